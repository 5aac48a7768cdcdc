package ghactions

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kiln-gitops/kiln/internal/diag"
)

// TestGuard: data a pull request controls (a manifest line that reads as
// a workflow command once the runner trims it, a "##[" anywhere) reaches
// the log only while the runner's commands are stopped; kiln's own
// commands are sent between a resume and a new stop; the commands are
// resumed at the end.
func TestGuard(t *testing.T) {
	t.Parallel()
	lookup := func(k string) (string, bool) { return "true", k == "GITHUB_ACTIONS" }
	var log bytes.Buffer // one stream, as the kiln action runs kiln (2>&1)
	g := NewGuard(lookup, &log)
	r := FromEnv(lookup, &log).WithGuard(g)
	data := g.Data(&log)

	r.Warning(diag.Warning{Msg: "before any data"})
	if _, err := data.Write([]byte("     ::warning::injected\n+    ##[set-output name=changed;]false\n")); err != nil {
		t.Fatal(err)
	}
	r.Error(errors.New("after data"))
	if _, err := data.Write([]byte("more data\n")); err != nil {
		t.Fatal(err)
	}
	g.Resume()

	tok := g.token
	if !strings.HasPrefix(tok, "kiln-") || len(tok) != len("kiln-")+32 {
		t.Fatalf("token %q: want kiln- and 32 hex digits", tok)
	}
	want := "::warning title=kiln::before any data\n" +
		"::stop-commands::" + tok + "\n" +
		"     ::warning::injected\n+    ##[set-output name=changed;]false\n" +
		"::" + tok + "::\n::error title=kiln::after data\n::stop-commands::" + tok + "\n" +
		"more data\n" +
		"::" + tok + "::\n"
	if got := log.String(); got != want {
		t.Errorf("log:\n%s\nwant:\n%s", got, want)
	}

	// A second run draws another token: none can be known in advance.
	if g2 := NewGuard(lookup, &log); g2.token == tok {
		t.Errorf("two guards share the token %q", tok)
	}
}

// TestGuardOutsideActions: no runner, nothing added.
func TestGuardOutsideActions(t *testing.T) {
	t.Parallel()
	var log bytes.Buffer
	g := NewGuard(func(string) (string, bool) { return "", false }, &log)
	if g != nil {
		t.Fatal("a Guard outside GitHub Actions")
	}
	if _, err := g.Data(&log).Write([]byte("data\n")); err != nil {
		t.Fatal(err)
	}
	g.Resume()
	if log.String() != "data\n" {
		t.Errorf("log = %q, want the data alone", log.String())
	}
}

// overlapLog records whether two writes to it were ever under way at once.
type overlapLog struct {
	busy    atomic.Int32
	overlap atomic.Bool
}

func (l *overlapLog) Write(p []byte) (int, error) {
	if l.busy.Add(1) > 1 {
		l.overlap.Store(true)
	}
	time.Sleep(50 * time.Microsecond) // a write to a pipe, in parts
	l.busy.Add(-1)
	return len(p), nil
}

// TestGuardWritesWhole: data and kiln's own commands reach the stream
// one write after the other, never at once: a command line written while
// a large write of data is under way could land inside it and be lost.
func TestGuardWritesWhole(t *testing.T) {
	t.Parallel()
	lookup := func(k string) (string, bool) { return "true", k == "GITHUB_ACTIONS" }
	var log overlapLog
	g := NewGuard(lookup, &log)
	r := FromEnv(lookup, &log).WithGuard(g)
	data := g.Data(&log)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for range 200 {
			_, _ = data.Write([]byte("a line of data\n"))
		}
	}()
	go func() {
		defer wg.Done()
		for range 200 {
			r.Warning(diag.Warning{Msg: "a warning"})
		}
	}()
	wg.Wait()
	if log.overlap.Load() {
		t.Error("a command was written while data was being written")
	}
}

// TestGuardAfterAPartialLine: data that did not end its line (a prompt,
// an error flushed without its newline) would swallow the resume that
// follows it, and with it kiln's command; the guard ends the line first.
func TestGuardAfterAPartialLine(t *testing.T) {
	t.Parallel()
	lookup := func(k string) (string, bool) { return "true", k == "GITHUB_ACTIONS" }
	var log bytes.Buffer
	g := NewGuard(lookup, &log)
	r := FromEnv(lookup, &log).WithGuard(g)
	if _, err := g.Data(&log).Write([]byte("no newline")); err != nil {
		t.Fatal(err)
	}
	r.Error(errors.New("e"))
	if _, err := g.Data(&log).Write([]byte("tail")); err != nil {
		t.Fatal(err)
	}
	g.Resume()
	tok := g.token
	want := "::stop-commands::" + tok + "\nno newline\n::" + tok + "::\n::error title=kiln::e\n::stop-commands::" + tok + "\ntail\n::" + tok + "::\n"
	if got := log.String(); got != want {
		t.Errorf("log:\n%q\nwant:\n%q", got, want)
	}
}
