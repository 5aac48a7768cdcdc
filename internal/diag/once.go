package diag

import (
	"fmt"

	"github.com/kiln-gitops/kiln/internal/words"
)

// OnceEach gathers one warning per key, at the key's first occurrence,
// and counts the later ones, which the warning then mentions. Output stays
// bounded by causes, not by objects: a chart's hundreds of objects that
// share one cause make one warning. Keys name the cause within an app (a
// render's checks) or an app and its cause (a promotion's), so the count
// is "of the app".
type OnceEach struct {
	at   map[string]int // the index of the key's warning in out, -1 for none
	out  []Warning
	more []int
}

// Seen reports whether key came before, counting it against its warning.
func (w *OnceEach) Seen(key string) bool {
	i, ok := w.at[key]
	if ok && i >= 0 {
		w.more[i]++
	}
	return ok
}

// Add records key's warning, nil when it has none.
func (w *OnceEach) Add(key string, warn *Warning) {
	if w.at == nil {
		w.at = map[string]int{}
	}
	w.at[key] = -1
	if warn != nil {
		w.at[key] = len(w.out)
		w.out = append(w.out, *warn)
		w.more = append(w.more, 0)
	}
}

// Warnings are the warnings, in the order their keys first came, each
// naming how many more of noun the app has.
func (w *OnceEach) Warnings(noun string) []Warning {
	for i, n := range w.more {
		if n > 0 {
			w.out[i].Msg += fmt.Sprintf(" (and %d more %s of the app)", n, words.Noun(n, noun))
		}
	}
	return w.out
}
