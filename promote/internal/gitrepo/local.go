package gitrepo

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kiln-gitops/kiln/internal/gitinfo"
)

// Local runs git in dir, a local repository that is not a Repo (the user's
// code checkout, for kiln verify's worktree), with env (the process's
// when nil), and returns its trimmed stdout, or an error with its stderr.
func Local(ctx context.Context, dir string, env []string, args ...string) (string, error) {
	cmd := gitinfo.Command(ctx, 5*time.Second, "git", append([]string{"-C", dir}, args...)...)
	if env != nil {
		cmd.Env = env
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			return "", err
		}
		return "", fmt.Errorf("git %s: %s", args[0], msg)
	}
	return strings.TrimSpace(stdout.String()), nil
}
