package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestDiffOnTerminal: on a terminal, kiln diff colours its output and
// shows the control characters of the other side (whatever was pushed to
// the manifests branch) in caret notation instead of sending them. Whether
// stdout is a terminal is asked of the process's stdout, not of the
// masking writer kiln puts in front of it, which never is one.
func TestDiffOnTerminal(t *testing.T) {
	t.Parallel()
	f := newPromoteFixture(t)
	cfg := filepath.Join(f.code, "kiln.yaml")
	against := t.TempDir()
	if _, stderr, code := f.kiln(t, false, "render", "--config", cfg, "--env", "dev", "--out", against); code != exitOK {
		t.Fatalf("render: exit %d\n%s", code, stderr)
	}
	files, err := filepath.Glob(filepath.Join(against, "dev", "apps", "web", "service*.yaml"))
	if err != nil || len(files) != 1 {
		t.Fatalf("the rendered Service: %v %v", files, err)
	}
	old, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(files[0], append(old, "title: \"\x1b]0;PWNED\x07\"\n"...), 0o644); err != nil {
		t.Fatal(err)
	}

	reader, term := openPTY(t)
	var got bytes.Buffer
	read := make(chan error)
	go func() {
		_, err := io.Copy(&got, reader)
		read <- err
	}()
	var stderr bytes.Buffer
	lookup := func(k string) (string, bool) { v, ok := f.vars[k]; return v, ok }
	app := newApp(term, &stderr, lookup, "test")
	err = runApp(context.Background(), app, []string{"kiln", "diff", "--config", cfg, "--env", "dev", "--against", against})
	code := report(&stderr, err)
	sinksOf(app).flush()
	term.Close() // the reader sees EIO once every byte is read
	if err := <-read; err != nil && !errors.Is(err, syscall.EIO) {
		t.Fatal(err)
	}
	if code != exitOK {
		t.Fatalf("diff: exit %d\n%s", code, stderr.String())
	}
	out := got.String()
	if !strings.Contains(out, "\x1b[31m") {
		t.Errorf("no colour on a terminal:\n%q", out)
	}
	if strings.Contains(out, "\x1b]0;") || !strings.Contains(out, "^[]0;PWNED^G") {
		t.Errorf("the escape sequence reached the terminal, not in caret notation:\n%q", out)
	}
}
