package redact

import (
	"bytes"
	"io"
	"sync"
)

// Writer is Set.Writer's writer.
//
// A run of base64 lines is held back whole while a next line could still
// continue it, up to a bound: of a run of more than 3k lines, where k
// lines hold more base64 characters than the longest form of any secret,
// the lines before its last k are written, since no form that a later
// line completes can begin in them. The k lines written last stay as
// ctx, which the held lines are masked with: a form that the cut crosses
// is found again there, and its rest masked too.
type Writer struct {
	set *Set
	w   io.Writer
	mu  sync.Mutex
	// buf is what is not written yet: the held lines of a run, then the
	// unfinished last line.
	buf []byte
	// ctx is the end of what was written, when buf holds the rest of a
	// run too long to hold whole; masked reports that what was written
	// ends in a mask, which a mask reaching back into ctx continues.
	ctx    []byte
	masked bool
}

// Write masks and writes every complete line of p (with what was held
// back before it) but for those of a run that a next line could
// continue, and holds back the rest. It reports len(p) written unless w
// fails.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	if bytes.IndexByte(p, '\n') < 0 {
		return len(p), nil // no line ended: nothing to decide anew
	}
	if err := w.release(bytes.LastIndexByte(w.buf, '\n')+1, false); err != nil {
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
	return w.release(len(w.buf), true)
}

// release masks and writes the first n bytes of buf, all of them when
// all, else but for the lines of the run they leave open (held).
func (w *Writer) release(n int, all bool) error {
	r := w.set.Redactor()
	text := w.buf
	if len(w.ctx) > 0 {
		text = append(append(make([]byte, 0, len(w.ctx)+len(w.buf)), w.ctx...), w.buf...)
	}
	from, end := len(w.ctx), len(w.ctx)+n
	// text[from:to] is written now, text[ctxFrom:to] is the new ctx.
	to, ctxFrom := end, end
	var spans [][2]int
	if !r.Empty() {
		// Whole lines at once: a multi-line value written in one go is
		// masked whole, and its lines are forms of their own anyway. The
		// lines held are read too: a form that begins before them is
		// masked up to them now.
		var open, width int
		spans, open, width = spansOpen(r.m, text[:end])
		if !all && open >= 0 {
			to, ctxFrom = held(text[:end], from, open, width, r.longest)
		}
	}
	out, masked := appendMasked(nil, text, spans, from, to, w.masked)
	w.ctx = append(w.ctx[:0], text[ctxFrom:to]...)
	w.buf = append(w.buf[:0], text[to:]...)
	w.masked = masked
	if len(out) == 0 {
		return nil
	}
	_, err := w.w.Write(out)
	return err
}

// held returns where the part of text that waits begins, text being
// complete lines whose first from bytes were written already and start
// the start of the run they leave open, of width: the line of start, or
// of a run of more than 3k lines (Writer) the end of its line k lines
// before the last. It also returns where ctx begins then: what is
// written of a run that began in ctx stays ctx, a run whose lines are
// all held needs none, and a run cut keeps the k lines before the cut.
func held(text []byte, from, start, width, longest int) (hold, ctx int) {
	first := bytes.LastIndexByte(text[:start], '\n') + 1
	var breaks []int
	for i := first; i < len(text); i++ {
		if text[i] == '\n' {
			breaks = append(breaks, i)
		}
	}
	k := longest/width + 2
	if l := len(breaks); l > 3*k {
		hold = breaks[l-k-1]
		if hold > first && text[hold-1] == '\r' {
			hold--
		}
		return hold, breaks[l-2*k-1] + 1
	}
	if first <= from {
		return from, 0 // still the run that ctx ends
	}
	return first, first
}

// appendMasked appends text[from:to] to out with every span of spans
// (sorted, apart) masked. A span that begins before from, or at it,
// continues the mask that what was written ends in when cont. It reports
// whether what was written ends in a mask now.
func appendMasked(out, text []byte, spans [][2]int, from, to int, cont bool) ([]byte, bool) {
	if from == to {
		return out, cont
	}
	prev, ends := from, false
	for _, sp := range spans {
		if sp[1] <= from {
			continue
		}
		if sp[0] >= to {
			break
		}
		if sp[0] > from || !cont {
			out = append(out, text[prev:max(sp[0], from)]...)
			out = append(out, Mask...)
		}
		prev = min(sp[1], to)
		ends = sp[1] >= to
	}
	if prev < to {
		out = append(out, text[prev:to]...)
		ends = false
	}
	return out, ends
}
