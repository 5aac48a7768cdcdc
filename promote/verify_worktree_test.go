package promote

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

// TestVerifyLeavesTheRepositoryAlone: kiln verify writes nothing into the
// code repository, git's folder included. kiln checked the source commit
// out with git worktree add, which writes an entry into .git/worktrees,
// locked while the add runs: a verify killed then (SIGKILL, OOM, a
// cancelled runner) left that entry for good, since git worktree prune
// never removes a locked one, and git worktree list named a dead worktree.
// What is never written cannot be left; the temporary folder, all a killed
// run leaves now, is the next run's to remove (removeLeftovers).
func TestVerifyLeavesTheRepositoryAlone(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	out := t.TempDir()
	writeRender(t, f, f.opts(t, "dev", nil).Render, out)
	before := gittest.Listing(t, f.code, true)
	workDir := t.TempDir()
	res, err := Verify(context.Background(), f.pipeline(t), VerifyOptions{
		Env: "dev", Against: out, LookupEnv: lookup, Version: "test",
		GitEnv: gittest.Env(), WorkDir: workDir, Log: &bytes.Buffer{},
	})
	if err != nil || !res.Equal {
		t.Fatalf("verify = %+v, %v; want equal", res, err)
	}
	if diff := cmp.Diff(before, gittest.Listing(t, f.code, true)); diff != "" {
		t.Errorf("the code repository changed (-before +after):\n%s", diff)
	}
	if entries, _ := os.ReadDir(workDir); len(entries) != 0 {
		t.Errorf("the work dir holds %v, want nothing", entries)
	}
}

// TestVerifyRemovesOldKilnsWorktrees: the worktree entries that older
// kilns' verify left in the code repository when killed (locked, their
// folder in the work dir gone) are removed, each logged. Left alone: a
// worktree the user made, though its folder is gone; one named almost as
// kiln's, or in another folder; one whose kiln-verify folder is still
// there (an older kiln's live run).
func TestVerifyRemovesOldKilnsWorktrees(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// As git records them: with symlinks resolved (macOS's /var).
	var workDir, elsewhere string
	for _, d := range []*string{&workDir, &elsewhere} {
		var err error
		if *d, err = filepath.EvalSymlinks(t.TempDir()); err != nil {
			t.Fatal(err)
		}
	}
	var killed, kept []string
	for _, wt := range []struct {
		path           string
		locked, gone   bool
		olderKilnsLeft bool
	}{
		{path: filepath.Join(workDir, worktreePrefix+"123", "src"), locked: true, gone: true, olderKilnsLeft: true},
		{path: filepath.Join(workDir, worktreePrefix+"4567", "src"), locked: true, gone: true, olderKilnsLeft: true},
		// An older kiln's live run: its folder is there.
		{path: filepath.Join(workDir, worktreePrefix+"89", "src"), locked: true},
		// Named otherwise, not kiln's src, in another work dir.
		{path: filepath.Join(workDir, worktreePrefix+"debug", "src"), locked: true, gone: true},
		{path: filepath.Join(workDir, worktreePrefix+"77", "mine"), locked: true, gone: true},
		{path: filepath.Join(elsewhere, worktreePrefix+"55", "src"), locked: true, gone: true},
		// An older kiln's whose add completed: unlocked, git worktree
		// prune removes it, and kiln leaves it (a run whose folder this
		// process cannot see may still use it).
		{path: filepath.Join(workDir, worktreePrefix+"66", "src"), gone: true},
		// The user's, gone: git worktree prune would remove it.
		{path: filepath.Join(workDir, "my worktree", "src"), gone: true},
	} {
		gittest.Git(t, f.code, "-c", "core.hooksPath="+os.DevNull, "worktree", "add", "-q", "--no-checkout", "--detach", wt.path, "HEAD")
		if wt.locked {
			gittest.Git(t, f.code, "worktree", "lock", "--reason", "initializing", wt.path)
		}
		if wt.gone {
			if err := os.RemoveAll(filepath.Dir(wt.path)); err != nil {
				t.Fatal(err)
			}
		}
		if wt.olderKilnsLeft {
			killed = append(killed, wt.path)
		} else {
			kept = append(kept, wt.path)
		}
	}

	var log bytes.Buffer
	_, cleanup, err := checkout(context.Background(), f.code, f.head(t), workDir, gittest.Env(), &log)
	if err != nil {
		t.Fatal(err)
	}
	cleanup()
	var got []string
	for line := range strings.SplitSeq(gittest.Git(t, f.code, "worktree", "list", "--porcelain"), "\n") {
		if wt, ok := strings.CutPrefix(line, "worktree "); ok {
			got = append(got, wt)
		}
	}
	// The main worktree comes first.
	if diff := cmp.Diff(sorted(kept), sorted(got[1:])); diff != "" {
		t.Errorf("worktrees (-want +got):\n%s", diff)
	}
	for _, wt := range killed {
		if want := "removed the worktree " + wt + " from " + f.code + ", left by an older kiln's verify that was killed\n"; !strings.Contains(log.String(), want) {
			t.Errorf("the log does not say %q:\n%s", want, log.String())
		}
	}
	if n := strings.Count(log.String(), "left by an older kiln's verify"); n != len(killed) {
		t.Errorf("the log names %d worktrees, want %d:\n%s", n, len(killed), log.String())
	}

	// What is left is no older kiln's to remove: the next verify, which
	// lists the worktrees again, writes nothing.
	before := gittest.Listing(t, f.code, true)
	log.Reset()
	if _, cleanup, err = checkout(context.Background(), f.code, f.head(t), workDir, gittest.Env(), &log); err != nil {
		t.Fatal(err)
	}
	cleanup()
	if diff := cmp.Diff(before, gittest.Listing(t, f.code, true)); diff != "" || log.Len() != 0 {
		t.Errorf("the next verify changed the code repository (-before +after):\n%s\nlog:\n%s", diff, log.String())
	}
}
