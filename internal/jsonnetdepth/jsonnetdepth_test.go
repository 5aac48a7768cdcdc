package jsonnetdepth

import (
	"strings"
	"testing"
)

// TestOf: brackets, chains of locals and unary operators count; what is
// in strings, text blocks and comments does not, and a "," or ";" ends
// what it ends in go-jsonnet's parser.
func TestOf(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		src         string
		depth, line int
	}{
		{"{}", 1, 1},
		{"[[[\n[]]]]", 4, 2},
		{"{a: [1, [2]], b: {c: {}}}", 3, 1},
		{"local a = 1; local b = 2;\nlocal c = 3; a", 3, 2},
		{"{local a = 1, local b = 2, c: a}", 2, 1},
		{"local a = -1; local b = !true; -a", 3, 1},
		{"1 - 2 - 3 - -4", 1, 1},
		{"local a = if true then 1 else 2; local b = function(x) x; a", 4, 1},
		{`"[[[[" + '((((' + @"{{""{{" + @'[[''[['`, 0, 1},
		{"// [[[[\n# ((((\n/* {{{{\n */ [1]", 1, 4},
		{"|||\n  [[[[\n  ((((\n|||", 0, 1},
		{"local s = |||\n  a ||| b\n|||; [s]", 2, 3},
		{`"\"[[" + [1]`, 1, 1},
	} {
		depth, line := Of(tc.src, 1000)
		if depth != tc.depth || line != tc.line {
			t.Errorf("Of(%q) = %d at line %d, want %d at line %d", tc.src, depth, line, tc.depth, tc.line)
		}
	}
	// It stops at max, at the line that reached it.
	if depth, line := Of("\n\n"+strings.Repeat("[", 1_000_000), 1000); depth != 1000 || line != 3 {
		t.Errorf("Of(a million [) = %d at line %d, want 1000 at line 3", depth, line)
	}
}
