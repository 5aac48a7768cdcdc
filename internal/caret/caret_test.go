package caret

import (
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, in, want string }{
		{name: "plain text", in: "a: b\tc", want: "a: b\tc"},
		{name: "a newline in a file name", in: "a\n+++ b", want: "a^J+++ b"},
		{name: "title", in: "\x1b]0;PWNED\x07", want: "^[]0;PWNED^G"},
		{name: "carriage return and delete", in: "a\rb\x7f", want: "a^Mb^?"},
		{name: "C1 CSI", in: "a\u009b2J", want: "a\\u009B2J"},
		{name: "a lone 0x9B byte", in: "a\x9b2J", want: "a\\x9B2J"},
		{name: "unicode", in: "héllo ✓", want: "héllo ✓"},
		{name: "NUL", in: "a\x00b", want: "a^@b"},
		{name: "right-to-left override", in: "a\u202Eexe.yaml", want: "a\\u202Eexe.yaml"},
		{name: "every bidi control", in: "\u061C\u200E\u200F\u202A\u202B\u202C\u202D\u2066\u2067\u2068\u2069",
			want: `\u061C\u200E\u200F\u202A\u202B\u202C\u202D\u2066\u2067\u2068\u2069`},
		{name: "line and paragraph separators", in: "a\u2028b\u2029c", want: `a\u2028b\u2029c`},
		{name: "right-to-left text itself", in: "שלום مرحبا", want: "שלום مرحبا"},
	} {
		if got := String(tc.in); got != tc.want {
			t.Errorf("%s: String(%q) = %q, want %q", tc.name, tc.in, got, tc.want)
		}
	}
}

func TestWriter(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	in := "\x1b[31m-x\x1b[m\n\x1b[8mhidden\x1b[2J\x1b]0;t\x07\n"
	n, err := Writer(&b).Write([]byte(in))
	if err != nil || n != len(in) {
		t.Fatalf("Write = %d, %v", n, err)
	}
	if want := "\x1b[31m-x\x1b[m\n^[[8mhidden^[[2J^[]0;t^G\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

// TestPlain: for a stream that is no terminal no escape sequence passes,
// not even kiln's colours; line feeds are kept.
func TestPlain(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	in := "\x1b[31m-x\x1b[m\n\x1b]0;t\x07\r\u202Eb\n"
	n, err := Plain(&b).Write([]byte(in))
	if err != nil || n != len(in) {
		t.Fatalf("Write = %d, %v", n, err)
	}
	if want := "^[[31m-x^[[m\n^[]0;t^G^M\\u202Eb\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

func TestLines(t *testing.T) {
	t.Parallel()
	if got, want := Lines("a\x1b[2J\nb\rc\n"), "a^[[2J\nb^Mc\n"; got != want {
		t.Errorf("Lines = %q, want %q", got, want)
	}
	// A CR LF pair ends a line; a lone CR is shown.
	if got, want := Lines("a\r\nb\rc\r\n"), "a\nb^Mc\n"; got != want {
		t.Errorf("Lines = %q, want %q", got, want)
	}
}

// TestColored: Colors pass only while on says so; otherwise they are shown
// like any other escape sequence.
func TestColored(t *testing.T) {
	t.Parallel()
	on := false
	var b strings.Builder
	w := Colored(&b, func() bool { return on })
	for _, o := range []bool{false, true} {
		on = o
		if _, err := w.Write([]byte("\x1b[32m+x\x1b[m\n")); err != nil {
			t.Fatal(err)
		}
	}
	if want := "^[[32m+x^[[m\n\x1b[32m+x\x1b[m\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}
