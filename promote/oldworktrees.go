package promote

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kiln-gitops/kiln/promote/internal/gitrepo"
)

// removeOldWorktrees removes from the git repository whose work tree top
// is the worktree entries that kiln verify of older kilns left there when
// killed: those kilns checked the source commit out with git worktree add,
// into workDir/kiln-verify-<digits>/src, and an add killed half-way leaves
// its entry locked, which git worktree prune never removes, so the user's
// git worktree list named a dead worktree for good. Only an entry at such
// a path in workDir ("" is os.TempDir()), locked "initializing", whose
// kiln-verify-<digits> folder is gone is removed (a live run of an older kiln has its folder, and so
// does a killed one's that removeLeftovers keeps), each logged to log;
// never one the user made elsewhere. Best effort: what git cannot list or
// remove is left, with a line in log.
func removeOldWorktrees(ctx context.Context, top, workDir string, env []string, log io.Writer) {
	common, err := gitrepo.CommonDir(ctx, top, env)
	if err != nil {
		return
	}
	// A repository without linked worktrees has no such folder
	// (gitrepository-layout(5)): no git to start on every verify.
	if _, err := os.Stat(filepath.Join(common, "worktrees")); err != nil {
		return
	}
	list, err := gitrepo.Local(ctx, top, env, "worktree", "list", "--porcelain")
	if err != nil {
		fmt.Fprintf(log, "warning: could not list the worktrees of %s to remove those older kilns' verify left: %v\n", top, err)
		return
	}
	dirs := workDirs(workDir)
	// One record a worktree, blank-line separated; only an entry locked
	// "initializing" is what a killed add leaves (git worktree prune
	// removes an unlocked one whose folder is gone), so a live run of an
	// older kiln whose folder this process cannot see (another mount
	// namespace) is never touched once its add completed.
	for record := range strings.SplitSeq(list, "\n\n") {
		lines := strings.Split(record, "\n")
		wt, ok := strings.CutPrefix(lines[0], "worktree ")
		if !ok || !slices.Contains(lines[1:], "locked initializing") || !oldVerifyWorktree(wt, dirs) {
			continue
		}
		if _, err := os.Lstat(filepath.Dir(wt)); !os.IsNotExist(err) {
			continue
		}
		if _, err := gitrepo.Local(ctx, top, env, "worktree", "remove", "--force", "--force", wt); err != nil {
			fmt.Fprintf(log, "warning: could not remove the worktree %s from %s, left by an older kiln's verify that was killed: %v\n", wt, top, err)
			continue
		}
		fmt.Fprintf(log, "removed the worktree %s from %s, left by an older kiln's verify that was killed\n", wt, top)
	}
}

// workDirs are the spellings of workDir that git may have recorded a
// worktree in: absolute, and with its symlinks resolved (macOS's /var is
// /private/var).
func workDirs(workDir string) []string {
	if workDir == "" {
		workDir = os.TempDir()
	}
	abs, err := filepath.Abs(workDir)
	if err != nil {
		return nil
	}
	dirs := []string{abs}
	if real, err := filepath.EvalSymlinks(abs); err == nil && real != abs {
		dirs = append(dirs, real)
	}
	return dirs
}

// oldVerifyWorktree reports whether wt is where an older kiln's verify
// put its worktree: src in a folder named as makeTemp names verify's,
// directly in one of dirs.
func oldVerifyWorktree(wt string, dirs []string) bool {
	if filepath.Base(wt) != "src" {
		return false
	}
	tmp := filepath.Dir(wt)
	name := filepath.Base(tmp)
	return strings.HasPrefix(name, worktreePrefix) && tempName(name) && slices.Contains(dirs, filepath.Dir(tmp))
}
