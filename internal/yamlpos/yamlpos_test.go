package yamlpos

import (
	"strings"
	"testing"
)

// TestOffset: yaml.v3's line and column (characters, from 1) to a byte
// offset, on ASCII and multi-byte lines, past a byte order mark, up to the
// line's end and no further.
func TestOffset(t *testing.T) {
	t.Parallel()
	text := New([]byte("\ufeffa: 1\nkey: [日本, ! 5]\nlast"))
	for _, tc := range []struct {
		line, column int
		want         string // the line from the offset on; "" with ok false
		ok           bool
	}{
		{1, 1, "a: 1", true},
		{1, 4, "1", true},
		{1, 5, "", true},
		{1, 6, "", false},
		{2, 11, "! 5]", true},
		{2, 7, "日本, ! 5]", true},
		{2, 9, ", ! 5]", true},
		{3, 5, "", true},
		{3, 6, "", false},
		{4, 1, "", false},
		{0, 1, "", false},
	} {
		at, ok := text.Offset(tc.line, tc.column)
		got := ""
		if ok {
			got, _, _ = strings.Cut(string(text.Data()[at:]), "\n")
		}
		if ok != tc.ok || got != tc.want {
			t.Errorf("Offset(%d, %d) = %q, %v; want %q, %v", tc.line, tc.column, got, ok, tc.want, tc.ok)
		}
	}
}

// TestLinesAsYAMLReadsThem: a lone CR, NEL, LS and PS end a line for
// yaml.v3, CRLF one line; a line's break is no column of it.
func TestLinesAsYAMLReadsThem(t *testing.T) {
	t.Parallel()
	text := New([]byte("a\rb\r\nc\u0085d\u2028e\u2029f\ng"))
	for line, want := range []string{"a", "b", "c", "d", "e", "f", "g"} {
		at, ok := text.Offset(line+1, 1)
		if !ok || string(text.Data()[at:at+1]) != want {
			t.Errorf("line %d starts at %d, %v; want %q", line+1, at, ok, want)
		}
		if _, ok := text.Offset(line+1, 3); ok {
			t.Errorf("line %d has a column 3", line+1)
		}
	}
	if got := len(text.Documents()); got != 1 {
		t.Errorf("%d documents", got)
	}
}
