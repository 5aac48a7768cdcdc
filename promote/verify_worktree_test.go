package promote

import (
	"bytes"
	"context"
	"os"
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
