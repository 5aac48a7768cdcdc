package gitrepo_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/kiln-gitops/kiln/promote/internal/gitrepo"
	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

// A git stopped because kiln's context ended (Ctrl-C, --timeout) must not
// leave its lock files behind: every later git command in that repository
// would fail on them until someone removed them by hand. git holds
// .git/index.lock while a pre-commit hook of `commit -a` runs; the hook
// here waits, and the context ends meanwhile.
func TestCanceledGitLeavesNoLock(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows has no SIGTERM; git is killed there")
	}
	t.Parallel()
	dir := t.TempDir()
	gittest.Git(t, dir, "init", "-q")
	if err := os.WriteFile(filepath.Join(dir, "a"), []byte("a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gittest.Git(t, dir, "add", "a")
	gittest.Git(t, dir, "commit", "-qm", "first")
	if err := os.WriteFile(filepath.Join(dir, "a"), []byte("b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The hook gives its pipes up, so that only git's own end is waited
	// for, and says it started: the context ends while git waits for it,
	// holding the lock. (Ended as soon as the lock appeared, before the
	// hook ran, git 2.39 left the lock behind in about 5 % of runs under
	// load, killed by SIGTERM all the same: a window inside git, between
	// its taking the lock and its waiting for the hook, that no caller
	// can close.)
	started := filepath.Join(dir, ".git", "hook-started")
	hook := filepath.Join(dir, ".git", "hooks", "pre-commit")
	if err := os.WriteFile(hook, []byte("#!/bin/sh\nexec >/dev/null 2>&1 </dev/null\n: > '"+started+"'\nsleep 20\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	lock := filepath.Join(dir, ".git", "index.lock")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for range 1000 {
			if _, err := os.Stat(started); err == nil {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
	}()
	_, err := gitrepo.Local(ctx, dir, gittest.Env(), "commit", "-aqm", "second")
	if err == nil {
		t.Fatal("the commit ended before its context did")
	}
	if _, err := os.Stat(lock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the stopped git left %s behind (stat: %v)", lock, err)
	}
}
