//go:build unix

package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestInterruptStopsPushingGit: a Ctrl-C in a terminal goes to every
// process of kiln's group, so git push, which kiln lets run through an
// interrupt, is stopped too, after the remote may have taken the push.
// kiln said only "interrupted by SIGINT", though the manifests branch had
// moved (Flux applies it; in push mode no next stage is started, in pr
// mode the pull request still tells the previous release). The error now
// says that the push may have landed and that running again is safe.
// Not parallel: it puts a git in PATH that lands the push and is then
// killed by the signal, its report unread.
func TestInterruptStopsPushingGit(t *testing.T) {
	realGit, err := exec.LookPath("git")
	if err != nil {
		t.Skip("no git")
	}
	f := newPromoteFixture(t)
	cfg := filepath.Join(f.code, "kiln.yaml")
	before := git(t, f.remote, "rev-parse", "main")

	dir := t.TempDir()
	pushed, resume := filepath.Join(dir, "pushed"), filepath.Join(dir, "resume")
	for _, p := range []string{pushed, resume} {
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	wrapper := "#!/bin/sh\n" +
		"case \" $* \" in *' push '*)\n" +
		"  '" + realGit + "' \"$@\" >/dev/null 2>&1\n" +
		"  echo pushed > '" + pushed + "'\n" +
		"  read _ < '" + resume + "'\n" +
		"  kill -INT $$\n" +
		"  exit 1 ;;\n" +
		"esac\n" +
		"exec '" + realGit + "' \"$@\"\n"
	bin := filepath.Join(dir, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "git"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))

	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	go func() {
		// The terminal's signal: kiln's context is cancelled as main's
		// handler does, then git is stopped by it.
		if _, err := os.ReadFile(pushed); err != nil {
			t.Error(err)
		}
		cancel(&interruptError{sig: os.Interrupt})
		if err := os.WriteFile(resume, []byte("go\n"), 0o600); err != nil {
			t.Error(err)
		}
	}()
	var stdout, stderr bytes.Buffer
	lookup := func(k string) (string, bool) { v, ok := f.vars[k]; return v, ok }
	app := newApp(&stdout, &stderr, lookup, "test")
	err = runApp(ctx, app, []string{"kiln", "promote", "--config", cfg, "--env", "dev"})
	code := report(&stderr, interrupted(ctx, err))

	if after := git(t, f.remote, "rev-parse", "main"); after == before {
		t.Fatal("the push did not land: the test shows nothing")
	}
	if code != exitSIGINT {
		t.Errorf("exit %d, want %d\n%s", code, exitSIGINT, stderr.String())
	}
	for _, want := range []string{"kiln: interrupted by SIGINT, which stopped git's push as well", "main may or may not have moved; run kiln again, which is safe"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr does not say %q:\n%s", want, stderr.String())
		}
	}
}
