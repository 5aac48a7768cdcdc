package caret

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
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
		// What a reader cannot see: a value that differs by one of these
		// alone reads as the same value.
		{name: "zero-width space", in: "db\u200Bhost", want: `db\u200Bhost`},
		{name: "zero-width joiners and word joiner", in: "a\u200Cb\u200Dc\u2060d", want: `a\u200Cb\u200Dc\u2060d`},
		{name: "byte order mark", in: "\uFEFFkind: Secret", want: `\uFEFFkind: Secret`},
		{name: "soft hyphen", in: "ad\u00ADmin", want: `ad\u00ADmin`},
		{name: "no-break space", in: "a:\u00A0b", want: `a:\u00A0b`},
		{name: "spaces that look like U+0020", in: "\u2000\u2007\u200A\u202F\u205F\u3000\u1680", want: `\u2000\u2007\u200A\u202F\u205F\u3000\u1680`},
		{name: "Hangul fillers", in: "a\u115Fb\u1160c\u3164d\uFFA0", want: `a\u115Fb\u1160c\u3164d\uFFA0`},
		{name: "combining grapheme joiner and blank braille", in: "a\u034Fb\u2800", want: `a\u034Fb\u2800`},
		{name: "a tag character above U+FFFF", in: "ok\U000E0041", want: `ok\U000E0041`},
		{name: "a variation selector after a letter draws nothing", in: "v1\uFE0F", want: `v1\uFE0F`},
		{name: "a variation selector after a symbol is the emoji", in: "\u26A0\uFE0F warn", want: "\u26A0\uFE0F warn"},
		{name: "an ideographic variation selector after an ideograph", in: "\u845B\U000E0100", want: "\u845B\U000E0100"},
		{name: "a variation selector after an escaped one", in: "\u26A0\u200B\uFE0F", want: "\u26A0" + `\u200B\uFE0F`},
		{name: "an emoji ZWJ sequence shows its joiner", in: "\U0001F9D1\u200D\U0001F4BB", want: "\U0001F9D1" + `\u200D` + "\U0001F4BB"},
		{name: "visible text of any script", in: "café 日本語 🙂 Ελλάδα ∑ ✓", want: "café 日本語 🙂 Ελλάδα ∑ ✓"},
		{name: "combining accent", in: "cafe\u0301", want: "cafe\u0301"},
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

// TestQuoted: a diff's line that ends in CR LF shows its CR, so that a
// change of line endings alone does not read as lines that look the same;
// Lines folds the pair, as a message written on Windows ends its lines.
func TestQuoted(t *testing.T) {
	t.Parallel()
	in := "-a: b\r\n+a: b\n c\u200B\r\n"
	if got, want := Quoted(in), "-a: b^M\n+a: b\n c\\u200B^M\n"; got != want {
		t.Errorf("Quoted = %q, want %q", got, want)
	}
	if got, want := Lines(in), "-a: b\n+a: b\n c\\u200B\n"; got != want {
		t.Errorf("Lines = %q, want %q", got, want)
	}
}

// FuzzString: what String returns is valid UTF-8 and holds no character a
// reader cannot see, but tabs and variation selectors that draw the
// symbol before them; and String of it is itself, since a coloured diff
// passes through String twice (its lines, then the terminal's writer).
func FuzzString(f *testing.F) {
	for _, s := range []string{"a\u200Bb", "\u26A0\uFE0F", "x\uFE0F", "\x9b2J", "\x1b]0;t\x07", "\U000E0041", "\u202Eexe", "é 日本 🙂", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := String(s)
		if !utf8.ValidString(got) {
			t.Fatalf("String(%q) = %q, not UTF-8", s, got)
		}
		prev := rune(-1)
		for _, r := range got {
			if isControl(r) && !selects(prev, r) {
				t.Fatalf("String(%q) = %q holds %U", s, got, r)
			}
			if unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Zs, r) && r != ' ' {
				t.Fatalf("String(%q) = %q holds %U", s, got, r)
			}
			prev = r
		}
		if again := String(got); again != got {
			t.Fatalf("String(String(%q)) = %q, not %q", s, again, got)
		}
	})
}

func TestPrefix(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		s    string
		n    int
		want string
	}{
		{"abc", 5, "abc"},
		{"abc", 2, "ab"},
		{"a€b", 2, "a"}, // € is 3 bytes: 1..3
		{"a€b", 3, "a"},
		{"a€b", 4, "a€"},
		{"😀", 3, ""},
		{"😀x", 4, "😀"},
		{"abc", 0, ""},
	} {
		if got := Prefix(tc.s, tc.n); got != tc.want {
			t.Errorf("Prefix(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
		}
	}
}
