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

// TestDiffOnTerminal: on a terminal, kiln diff colours its output unless
// NO_COLOR is set, and what kiln prints there (the diff on stdout, the
// summary on stderr) shows the control characters of the other side
// (whatever was pushed to the manifests branch: a manifest line, an app
// folder's name) in caret notation instead of sending them. Whether a
// stream is a terminal is asked of the process's own, not of the masking
// writer kiln puts in front of it, which never is one.
func TestDiffOnTerminal(t *testing.T) {
	t.Parallel()
	f := newPromoteFixture(t)
	// An app folder only the branch has, named to set the title too: its
	// name reaches the summary on stderr.
	cfg, against := foreignAgainst(t, f, "title: \"\x1b]0;PWNED\x07\"\n", "\x1b]0;APP\x07")

	for _, noColor := range []bool{false, true} {
		out, code := onTerminal(t, f, noColor, "diff", "--config", cfg, "--env", "dev", "--against", against)
		if code != exitOK {
			t.Fatalf("diff: exit %d\n%s", code, out)
		}
		if colored := strings.Contains(out, "\x1b[31m"); colored == noColor {
			t.Errorf("NO_COLOR %v: coloured %v:\n%q", noColor, colored, out)
		}
		if strings.Contains(out, "\x1b]0;") || !strings.Contains(out, "^[]0;PWNED^G") || !strings.Contains(out, "^[]0;APP^G") {
			t.Errorf("NO_COLOR %v: an escape sequence reached the terminal, not in caret notation:\n%q", noColor, out)
		}
	}
}

// TestDiffOnTerminalForeignColours: the colours kiln diff draws with are
// the only escape sequences that reach a terminal, and only kiln's own: the
// same colour sequences in a manifest line or a file name of the other side
// are shown in caret notation, with NO_COLOR too (where kiln draws none and
// any colour would be the other side's), and on stderr, where kiln never
// colours. They passed as they were, since caret.Writer let every colour
// sequence through.
func TestDiffOnTerminalForeignColours(t *testing.T) {
	t.Parallel()
	f := newPromoteFixture(t)
	// An app folder only the branch has: its name reaches the summary on
	// stderr and the file names on stdout.
	cfg, against := foreignAgainst(t, f, "title: \"\x1b[32mLINE\x1b[m\"\n", "\x1b[1mAPP")

	for _, noColor := range []bool{false, true} {
		out, code := onTerminal(t, f, noColor, "diff", "--config", cfg, "--env", "dev", "--against", against)
		if code != exitOK {
			t.Fatalf("diff: exit %d\n%s", code, out)
		}
		if strings.Contains(out, "\x1b[32mLINE") || strings.Contains(out, "\x1b[1mAPP") || !strings.Contains(out, "^[[32mLINE^[[m") || !strings.Contains(out, "^[[1mAPP") {
			t.Errorf("NO_COLOR %v: the other side's colour sequences reached the terminal, not in caret notation:\n%q", noColor, out)
		}
		if noColor && strings.Contains(out, "\x1b") {
			t.Errorf("NO_COLOR: an escape sequence reached the terminal:\n%q", out)
		}
	}
}

// onTerminal runs kiln with stdout and stderr on one terminal and
// returns what the terminal got, and the exit code.
func onTerminal(t *testing.T, f *promoteFixture, noColor bool, args ...string) (string, int) {
	t.Helper()
	reader, term := openPTY(t)
	var got bytes.Buffer
	read := make(chan error)
	go func() {
		_, err := io.Copy(&got, reader)
		read <- err
	}()
	lookup := func(k string) (string, bool) {
		if k == "NO_COLOR" && noColor {
			return "1", true
		}
		v, ok := f.vars[k]
		return v, ok
	}
	app := newApp(term, term, lookup, "test")
	err := runApp(context.Background(), app, append([]string{"kiln"}, args...))
	s := sinksOf(app)
	code := report(s.stderr, err)
	s.flush()
	term.Close() // the reader sees EIO once every byte is read
	if err := <-read; err != nil && !errors.Is(err, syscall.EIO) {
		t.Fatal(err)
	}
	return got.String(), code
}

// foreignAgainst renders env dev of f into a folder to diff against, as
// the manifests branch would hold it after someone else's push: line
// appended to app web's Service and an app folder named app that kiln
// did not write. It returns the config and that folder.
func foreignAgainst(t *testing.T, f *promoteFixture, line, app string) (cfg, against string) {
	t.Helper()
	cfg = filepath.Join(f.code, "kiln.yaml")
	against = t.TempDir()
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
	if err := os.WriteFile(files[0], append(old, line...), 0o644); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, filepath.Join(against, "dev", "apps", app), map[string]string{"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"})
	return cfg, against
}
