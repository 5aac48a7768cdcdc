package ghactions

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"sync"
)

// Guard keeps the runner from reading workflow commands in what kiln
// prints. The runner reads a command in any line of either stream whose
// text after leading blanks starts with "::", and in any line holding
// "##[" anywhere (actions/runner, ActionCommand.TryParseV2 and TryParse).
// kiln prints text that a pull request controls: a diff's context lines
// (" " + a manifest line such as "    ::warning::…" reads as a command once
// the runner trims it), a chart's `fail` message, a template's name. Such
// a line could set a step output (##[set-output name=changed;]false), add
// annotations, or stop kiln's own. So before the first line of data kiln
// sends ::stop-commands:: with a random token, which the runner obeys for
// the rest of the step until it reads ::<token>::; each of kiln's own
// commands is sent between ::<token>:: and a new stop; and kiln resumes at
// exit, so that a script's later commands in the same step still work.
//
// The token is random, so that no text printed can resume the commands:
// it is fixed before the run and never derived from its input. The runner
// masks it in the log.
//
// Ordering holds within a stream. The runner reads stdout and stderr
// through separate pipes, and a line of data still waiting in one when a
// command resumes the processing in the other could be read as a command:
// the kiln action runs kiln with stderr into stdout (one pipe), and a
// workflow that runs kiln itself should do the same (2>&1).
//
// A nil *Guard does nothing: outside GitHub Actions there is no runner.
type Guard struct {
	mu      sync.Mutex
	w       io.Writer // the stream commands go to
	token   string
	stopped bool
	// midLine: the data written last did not end its line.
	midLine bool
}

// NewGuard returns a Guard that writes its commands to w, or nil when
// lookup("GITHUB_ACTIONS") is not "true".
func NewGuard(lookup func(string) (string, bool), w io.Writer) *Guard {
	if v, _ := lookup("GITHUB_ACTIONS"); v != "true" {
		return nil
	}
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return &Guard{w: w, token: "kiln-" + hex.EncodeToString(b[:])}
}

// Data returns a writer that stops the runner's commands before anything
// reaches w: the writer of kiln's data, logs and errors.
func (g *Guard) Data(w io.Writer) io.Writer {
	if g == nil {
		return w
	}
	return guarded{g: g, w: w}
}

type guarded struct {
	g *Guard
	w io.Writer
}

// Write stops the commands and writes p while holding the guard, so that
// none of kiln's own commands lands inside p: a write to a pipe larger
// than PIPE_BUF may be split, and a command line written in between would
// be read as part of a line of data, its resume and all, and lost.
func (d guarded) Write(p []byte) (int, error) {
	d.g.mu.Lock()
	defer d.g.mu.Unlock()
	d.g.stop()
	n, err := d.w.Write(p)
	if n > 0 {
		d.g.midLine = p[n-1] != '\n'
	}
	return n, err
}

// stop sends the stop once; g.mu must be held.
func (g *Guard) stop() {
	if !g.stopped {
		g.stopped = true
		_, _ = io.WriteString(g.w, "::stop-commands::"+g.token+"\n")
	}
}

// Resume lets the runner read commands again; kiln calls it as it exits.
func (g *Guard) Resume() {
	if g == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopped {
		g.stopped = false
		_, _ = io.WriteString(g.w, g.lineStart()+"::"+g.token+"::\n")
	}
}

// lineStart is what starts a line of kiln's own after the data written
// so far: the runner reads a command only at the start of a line, so a
// resume written after data that did not end its line would be taken for
// the rest of that line, and the commands after it would be lost. g.mu
// must be held.
func (g *Guard) lineStart() string {
	if g.midLine {
		g.midLine = false
		return "\n"
	}
	return ""
}

// command writes one of kiln's own commands (a whole line): between a
// resume and a new stop when the commands are stopped, in one write.
func (g *Guard) command(w io.Writer, line string) {
	if g == nil {
		_, _ = io.WriteString(w, line)
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopped {
		line = "::" + g.token + "::\n" + line + "::stop-commands::" + g.token + "\n"
	}
	_, _ = io.WriteString(g.w, g.lineStart()+line)
}
