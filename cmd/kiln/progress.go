package main

import (
	"io"
	"os"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progressOut is where render and validate draw their progress bar: the
// process's own stderr when it is a terminal a person watches, else nil.
// Logs (CI, a pipe, a file) get the summary only, never a bar's carriage
// returns. The bar shows env names and counts, which are no secret, so it
// may bypass the masking writer, which holds text back until a newline.
func progressOut(raw io.Writer, lookup env, output string) io.Writer {
	f, ok := raw.(*os.File)
	if !ok || output == "json" || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	if t, _ := lookup("TERM"); t == "dumb" {
		return nil
	}
	return f
}

// progress draws apps done / total for one env at a time; it is
// render.Options.Progress's receiver and is cleared before anything else
// is printed.
type progress struct {
	w    io.Writer
	verb string
	bar  *progressbar.ProgressBar
}

// newProgress returns a progress drawing on w, or nil when w is nil.
func newProgress(w io.Writer, verb string) *progress {
	if w == nil {
		return nil
	}
	return &progress{w: w, verb: verb}
}

// update is render.Options.Progress: done 0 starts an env's bar.
func (p *progress) update(env string, done, total int) {
	if done == 0 || p.bar == nil {
		p.clear()
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription(p.verb+" "+env),
			progressbar.OptionSetItsString("apps"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetWidth(30),
			progressbar.OptionSetRenderBlankState(true),
			progressbar.OptionClearOnFinish())
	}
	_ = p.bar.Set(done) // a failed write to the terminal has nowhere to go
}

// clear erases the bar, so the summary and errors start on a clean line.
func (p *progress) clear() {
	if p == nil || p.bar == nil {
		return
	}
	_ = p.bar.Clear()
	p.bar = nil
}

// callback is the value for render.Options.Progress: nil without a
// terminal, so the renderer does not even count.
func (p *progress) callback() func(env string, done, total int) {
	if p == nil {
		return nil
	}
	return p.update
}
