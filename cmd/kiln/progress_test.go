package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// openPTY returns both ends of a new pseudo-terminal, so tests see what a
// person at a terminal sees.
func openPTY(t *testing.T) (master, tty *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("this test needs a pseudo-terminal: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(); m.Close() })
	return m, s
}

// TestProgressOnlyOnATerminal: the bar is drawn on a terminal only; a
// pipe, a file, TERM=dumb and --output json get none.
func TestProgressOnlyOnATerminal(t *testing.T) {
	_, tty := openPTY(t)
	file, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	noTerm := func(string) (string, bool) { return "", false }
	dumb := func(k string) (string, bool) { return "dumb", k == "TERM" }
	for _, tc := range []struct {
		name   string
		w      io.Writer
		lookup env
		output string
		want   bool
	}{
		{"terminal", tty, noTerm, "text", true},
		{"buffer", &bytes.Buffer{}, noTerm, "text", false},
		{"file", file, noTerm, "text", false},
		{"TERM=dumb", tty, dumb, "text", false},
		{"--output json", tty, noTerm, "json", false},
	} {
		if got := progressOut(tc.w, tc.lookup, tc.output) != nil; got != tc.want {
			t.Errorf("%s: progress %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestProgressOnTerminal renders the example with stderr on a terminal:
// the bar counts each env's apps, is erased, and the summary follows on
// a clean line.
func TestProgressOnTerminal(t *testing.T) {
	master, tty := openPTY(t)
	seen := make(chan string)
	go func() {
		var b bytes.Buffer
		_, _ = io.Copy(&b, master) // ends with EIO once the terminal closes
		seen <- b.String()
	}()
	var stdout bytes.Buffer
	lookup := func(string) (string, bool) { return "", false }
	app := newApp(&stdout, tty, lookup, "test")
	args := []string{"kiln", "render", "--config", filepath.Join("..", "..", "examples", "instavote", "kiln.yaml"),
		"--env", "dev", "--out", filepath.Join(t.TempDir(), "out"), "--cache-dir", t.TempDir()}
	err := runApp(context.Background(), app, args)
	sinksOf(app).flush()
	if err != nil {
		t.Fatal(err)
	}
	tty.Close()
	out := <-seen
	for _, want := range []string{"render dev", "(0/5)", "(4/5)"} {
		if !strings.Contains(out, want) {
			t.Errorf("terminal output lacks %q:\n%q", want, out)
		}
	}
	// Between the last bar drawn and the summary: only the blanks and
	// carriage returns that erase it.
	summary := strings.Index(out, "rendered env dev")
	lastBar := strings.LastIndex(out[:max(summary, 0)], "]")
	if summary < 1 || lastBar < 0 || strings.Trim(out[lastBar+1:summary], " \r") != "" || out[summary-1] != '\r' {
		t.Errorf("the summary does not follow the erased bar on a clean line:\n%q", out)
	}
}
