package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestNoGitOutlivesTheCommand: render reads the checkout's provenance
// with git while the apps render. A command that fails before it needs
// the answer (here an unreadable SOPS_AGE_KEY_FILE, checked after git has
// started) must still end those gits and wait for them: none may go on
// running in the user's checkout after kiln returns.
func TestNoGitOutlivesTheCommand(t *testing.T) {
	bin, pids := t.TempDir(), t.TempDir()
	// A git that says its process id, then takes far longer than the test
	// (as one process: a signal to it ends all of it).
	script := "#!/bin/sh\necho $$ > " + pids + "/$$\nexec sleep 60\n"
	if err := os.WriteFile(filepath.Join(bin, "git"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Cleanup(func() { killAll(t, pids) })

	vars := map[string]string{"SOPS_AGE_KEY_FILE": filepath.Join(t.TempDir(), "none")}
	lookup := func(k string) (string, bool) {
		if k == "SOPS_AGE_KEY" {
			// Read right after git starts: hold the command here until
			// the three gits run, so that it fails with them under way.
			deadline := time.Now().Add(time.Minute)
			for len(running(t, pids, false)) < 3 && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
		}
		v, ok := vars[k]
		return v, ok
	}
	var stdout, stderr bytes.Buffer
	app := newApp(&stdout, &stderr, lookup, "test")
	args := []string{"kiln", "render", "--config", filepath.Join("..", "..", "examples", "instavote", "kiln.yaml"),
		"--all", "--out", filepath.Join(t.TempDir(), "out"), "--cache-dir", t.TempDir()}
	err := runApp(context.Background(), app, args)
	if err == nil || !strings.Contains(err.Error(), "SOPS_AGE_KEY_FILE") {
		t.Fatalf("render = %v, want the SOPS_AGE_KEY_FILE error", err)
	}
	if started := running(t, pids, false); len(started) != 3 {
		t.Fatalf("render started %d gits, want 3: the test no longer covers a failure while they run", len(started))
	}
	if alive := running(t, pids, true); len(alive) > 0 {
		t.Errorf("git processes %v still run after kiln render returned", alive)
	}
}

// running lists the process ids the fake git wrote into dir; alive keeps
// only those still running (a zombie counts: nobody waited for it).
func running(t *testing.T, dir string, alive bool) []int {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if alive {
			if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
				continue
			}
		}
		out = append(out, pid)
	}
	return out
}

// killAll stops what a failing run of the test left behind.
func killAll(t *testing.T, dir string) {
	for _, pid := range running(t, dir, true) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}
