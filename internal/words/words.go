// Package words holds the one bit of English kiln's messages share: a
// count with its noun ("1 object", "2 objects"). Every summary line, table
// and job summary uses it, so they agree on plurals. It knows only nouns
// whose plural adds an "s".
package words

import "strconv"

// Count is n and noun, plural unless n is 1: "1 app", "0 apps".
func Count(n int, noun string) string { return strconv.Itoa(n) + " " + Noun(n, noun) }

// Noun is noun for 1 and its plural otherwise.
func Noun(n int, noun string) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}
