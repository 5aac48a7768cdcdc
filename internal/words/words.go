// Package words holds the bits of English kiln's messages share: a count
// with its noun ("1 object", "2 objects"), and a list cut short ("a, b
// and 3 more"). Every summary line, table and job summary uses them, so
// they agree on plurals and on how a long list ends. It knows only nouns
// whose plural adds an "s".
package words

import (
	"strconv"
	"strings"
)

// Count is n and noun, plural unless n is 1: "1 app", "0 apps".
func Count(n int, noun string) string { return strconv.Itoa(n) + " " + Noun(n, noun) }

// Noun is noun for 1 and its plural otherwise.
func Noun(n int, noun string) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}

// First joins the first max items with ", " and says how many more there
// are: "a, b, and 3 more". An error names a few files or commits, not
// hundreds.
func First(items []string, max int) string {
	if len(items) <= max {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:max], ", ") + ", and " + strconv.Itoa(len(items)-max) + " more"
}

// And joins items as "a, b and c": a list a message names whole.
func And(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
