package redact

import (
	"bytes"
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
// split across two writes is still masked whole. Writes to it are
// serialised; callers must Flush before they are done.
func (s *Set) Writer(w io.Writer) *Writer { return &Writer{set: s, w: w} }

// Writer is Set.Writer's writer.
type Writer struct {
	set *Set
	w   io.Writer
	mu  sync.Mutex
	buf []byte
}

// Write masks and writes every complete line of p (with what was held
// back before it) and holds back the rest. It reports len(p) written
// unless w fails.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	i := bytes.LastIndexByte(w.buf, '\n')
	if i < 0 {
		return len(p), nil
	}
	// Whole lines at once: a multi-line value written in one go is masked
	// whole, and its lines are forms of their own anyway.
	_, err := w.w.Write(w.set.Redactor().Bytes(w.buf[:i+1]))
	w.buf = append(w.buf[:0], w.buf[i+1:]...)
	if err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush masks and writes what is held back.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) == 0 {
		return nil
	}
	_, err := w.w.Write(w.set.Redactor().Bytes(w.buf))
	w.buf = w.buf[:0]
	return err
}
