package promote

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

// TestVerifyWorktreeGoesWhenLocked: kiln verify's temporary worktree is
// removed from the user's repository also as a git worktree add killed
// half-way leaves it: locked ("initializing"). An interrupt (SIGTERM
// from a CI runner or timeout(1), which reaches kiln alone) cancels the
// add, which is killed before it can unlock; git worktree remove --force
// and prune both leave a locked worktree alone, so every interrupted
// verify left an entry in .git/worktrees for a folder that was gone.
func TestVerifyWorktreeGoesWhenLocked(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	wt, cleanup, err := worktree(context.Background(), f.code, f.head(t), t.TempDir(), gittest.Env(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	gittest.Git(t, f.code, "worktree", "lock", "--reason", "initializing", wt)
	cleanup()
	if list := gittest.Git(t, f.code, "worktree", "list", "--porcelain"); strings.Count(list, "worktree ") != 1 {
		t.Errorf("worktrees left in the user's repository:\n%s", list)
	}
	if entries, _ := os.ReadDir(filepath.Join(f.code, ".git", "worktrees")); len(entries) > 0 {
		t.Errorf(".git/worktrees holds %d entries, want none", len(entries))
	}
}
