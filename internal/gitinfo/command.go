package gitinfo

import (
	"context"
	"os/exec"
	"time"
)

// Command is exec.CommandContext for git, with how it ends when ctx does.
// CommandContext kills with SIGKILL, which gives git no chance to remove
// the lock files it holds (.git/index.lock, a ref's .lock, a worktree
// entry half made by `git worktree add`); every later git command in that
// repository then fails until someone removes them by hand. git removes
// them on SIGTERM, so that is sent first, and SIGKILL only if git has not
// exited grace later (exec.Cmd's WaitDelay, which also stops waiting for a
// helper such as git-remote-https that keeps git's pipes open).
func Command(ctx context.Context, grace time.Duration, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Cancel = func() error { return terminate(cmd) }
	cmd.WaitDelay = grace
	return cmd
}
