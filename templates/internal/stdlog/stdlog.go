// Package stdlog borrows the standard logger, to which Helm's chartutil
// and kustomize's krusty write warnings, for the length of one call, and
// hands each line logged to the caller. It is the one place kiln touches that
// process-wide logger: a capture by Helm's engine and one by kustomize's
// (both in one process with render's InProcess option) run one after the
// other, so that neither restores the logger the other set.
package stdlog

import (
	"io"
	"log"
	"strings"
	"sync"
)

// mu serialises captures: the standard logger is process-wide.
var mu sync.Mutex

// Lines runs f with the standard logger writing, without flags or
// prefix, to line: each line logged (without its line feed) as it is
// logged, none held, so that a chart whose values make Helm log a warning
// for each of a million keys costs no buffer of them all. It writes
// nothing: lines other goroutines log meanwhile reach line too, and are
// the caller's to keep or drop. line runs with the logger borrowed and
// must not log.
func Lines(f func() error, line func(string)) error {
	return capture(lineWriter(line), f)
}

// lineWriter calls itself with each line of each write: the standard
// logger writes each message whole, in one call, ending in a line feed.
type lineWriter func(string)

func (l lineWriter) Write(p []byte) (int, error) {
	for s := range strings.Lines(string(p)) {
		l(strings.TrimSuffix(s, "\n"))
	}
	return len(p), nil
}

func capture(out io.Writer, f func() error) error {
	mu.Lock()
	defer mu.Unlock()
	w, flags, prefix := log.Writer(), log.Flags(), log.Prefix()
	log.SetOutput(out)
	log.SetFlags(0)
	log.SetPrefix("")
	defer func() {
		log.SetOutput(w)
		log.SetFlags(flags)
		log.SetPrefix(prefix)
	}()
	return f()
}
