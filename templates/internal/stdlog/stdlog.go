// Package stdlog borrows the standard logger, to which Helm's chartutil
// and kustomize's krusty write warnings, for the length of one call, and
// hands back what was logged. It is the one place kiln touches that
// process-wide logger: a capture by Helm's engine and one by kustomize's
// (both in one process with render's InProcess option) run one after the
// other, so that neither restores the logger the other set.
package stdlog

import (
	"bytes"
	"log"
	"sync"
)

// mu serialises captures: the standard logger is process-wide.
var mu sync.Mutex

// Capture runs f with the standard logger writing, without flags or
// prefix, to a buffer, and returns what was logged and f's error. It
// writes nothing: lines other goroutines log meanwhile are in the result
// too, and are the caller's to keep or drop.
func Capture(f func() error) (string, error) {
	mu.Lock()
	defer mu.Unlock()
	var buf bytes.Buffer
	w, flags, prefix := log.Writer(), log.Flags(), log.Prefix()
	log.SetOutput(&buf)
	log.SetFlags(0)
	log.SetPrefix("")
	defer func() {
		log.SetOutput(w)
		log.SetFlags(flags)
		log.SetPrefix(prefix)
	}()
	err := f()
	return buf.String(), err
}
