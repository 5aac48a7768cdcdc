package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// writeCounter counts the writes that reach the process's stderr.
type writeCounter struct {
	bytes.Buffer
	writes int
}

func (w *writeCounter) Write(p []byte) (int, error) {
	w.writes++
	return w.Buffer.Write(p)
}

// TestSummaryOneWrite: render's summary, a line per app of every env,
// reaches stderr in one write, not a system call a line (a re-render of
// a large fleet with nothing changed costs little else).
func TestSummaryOneWrite(t *testing.T) {
	var stdout bytes.Buffer
	stderr := &writeCounter{}
	lookup := func(string) (string, bool) { return "", false }
	app := newApp(&stdout, stderr, lookup, "test")
	args := []string{"kiln", "render", "--config", filepath.Join("..", "..", "examples", "instavote", "kiln.yaml"),
		"--all", "--out", filepath.Join(t.TempDir(), "out"), "--cache-dir", t.TempDir()}
	err := runApp(context.Background(), app, args)
	sinksOf(app).flush()
	if err != nil {
		t.Fatal(err)
	}
	out := stderr.String()
	for _, want := range []string{"rendered env dev", "rendered env prod", "  vote "} {
		if !strings.Contains(out, want) {
			t.Errorf("the summary lacks %q:\n%s", want, out)
		}
	}
	if lines := strings.Count(out, "\n"); stderr.writes != 1 {
		t.Errorf("the summary's %d lines took %d writes, want 1:\n%s", lines, stderr.writes, out)
	}
}
