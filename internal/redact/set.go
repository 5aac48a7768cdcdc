package redact

import (
	"io"
	"sync"
)

// Set gathers the secrets of a whole run, env after env, for the sinks
// that outlive one env: the CLI's stdout and stderr, GitHub's job summary,
// annotations and step outputs. The zero value is empty and ready; a Set
// is safe for concurrent use.
type Set struct {
	mu      sync.RWMutex
	secrets []secret
	added   map[*Redactor]bool
	r       *Redactor
}

// Add makes the set mask everything rd masks too. Adding the same
// Redactor again does nothing.
func (s *Set) Add(rd *Redactor) {
	if rd == nil || len(rd.secrets) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.added[rd] {
		return
	}
	if s.added == nil {
		s.added = map[*Redactor]bool{}
	}
	s.added[rd] = true
	s.secrets = append(s.secrets, rd.secrets...)
	s.r = build(append([]secret(nil), s.secrets...))
}

// Redactor returns a Redactor for every secret added so far.
func (s *Set) Redactor() *Redactor {
	if s == nil {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.r
}

// String masks s with every secret added so far.
func (s *Set) String(text string) string { return s.Redactor().String(text) }

// Writer returns a writer that masks every secret of s (as it is when the
// text is written) before passing text on to w. It holds back an
// unfinished last line until the next newline or Flush, so that a value
// split across two writes is still masked whole, and the lines of a run
// of base64 lines that a next line could continue (wrappedRuns) until a
// line ends the run, so that a value's base64 written a line at a time is
// read as the one text it was. Other lines pass on as soon as their
// newline arrives. Writes to it are serialised; callers must Flush before
// they are done.
func (s *Set) Writer(w io.Writer) *Writer { return &Writer{set: s, w: w} }
