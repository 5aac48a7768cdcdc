// Package warnlist collects an engine's warnings within a bound. A chart
// whose values give a scalar for each of 100,000 tables makes Helm log
// 100,000 warnings, each about another key; kept whole they would fill
// kiln's memory, the log and the job summary. A List keeps the first Max
// distinct warnings in sort order, whatever order they arrive in (Helm
// walks maps in Go's random order), and counts the others, so the result
// is deterministic and its size bounded by Max, not by the input.
package warnlist

import (
	"fmt"
	"hash/fnv"
	"sort"
	"unicode/utf8"

	"github.com/kiln-gitops/kiln/internal/words"
	"github.com/kiln-gitops/kiln/templates"
)

// Max is how many warnings one engine result keeps.
const Max = 100

// MaxMsg is the longest message a warning keeps, in bytes; a longer one
// (a key path of a huge values file) is cut with "…".
const MaxMsg = 1024

// List is a bounded set of warnings, distinct by message. The zero value
// keeps Max.
type List struct {
	max  int
	kept []templates.Warning // sorted by Msg, at most max
	// seen holds a 64-bit hash of each distinct message: the count of
	// those not kept costs 8 bytes each, not their text.
	seen map[uint64]bool
}

// New returns a List that keeps max warnings (tests lower it).
func New(max int) *List { return &List{max: max} }

// Add adds w unless a warning with its message was added before.
func (l *List) Add(w templates.Warning) {
	if l.max == 0 {
		l.max = Max
	}
	w.Msg = cut(w.Msg)
	h := fnv.New64a()
	h.Write([]byte(w.Msg))
	k := h.Sum64()
	if l.seen == nil {
		l.seen = map[uint64]bool{}
	}
	if l.seen[k] {
		return
	}
	l.seen[k] = true
	i := sort.Search(len(l.kept), func(i int) bool { return l.kept[i].Msg >= w.Msg })
	if i == l.max {
		return
	}
	l.kept = append(l.kept, templates.Warning{})
	copy(l.kept[i+1:], l.kept[i:])
	l.kept[i] = w
	if len(l.kept) > l.max {
		l.kept = l.kept[:l.max]
	}
}

// Warnings returns the warnings kept, sorted by message, and when others
// were left out a last one saying how many, with hint and file those of
// the last kept one.
func (l *List) Warnings() []templates.Warning {
	if len(l.kept) == 0 {
		return nil
	}
	out := append([]templates.Warning(nil), l.kept...)
	if more := len(l.seen) - len(l.kept); more > 0 {
		last := l.kept[len(l.kept)-1]
		out = append(out, templates.Warning{File: last.File,
			Msg:  fmt.Sprintf("… and %d more %s (kiln shows the first %d, sorted)", more, words.Noun(more, "warning"), len(l.kept)),
			Hint: last.Hint})
	}
	return out
}

// cut shortens msg to MaxMsg bytes at a character's start.
func cut(msg string) string {
	if len(msg) <= MaxMsg {
		return msg
	}
	i := MaxMsg - len("…")
	for i > 0 && !utf8.RuneStart(msg[i]) {
		i--
	}
	return msg[:i] + "…"
}
