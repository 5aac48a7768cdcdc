// Package gitinfo reads which repository and commit a folder is checked out
// at, for kiln.lock.json's provenance.
//
// It asks the git program (kiln needs git for promotion anyway) and removes
// any credentials from the remote URL before returning it. Outside a git work
// tree it returns empty values, not an error: rendering a plain folder is fine.
package gitinfo

import (
	"bytes"
	"context"
	"os/exec"
	"strings"

	"github.com/kiln-gitops/kiln/internal/redact"
)

// Info is a folder's provenance.
type Info struct {
	// Repo is the URL of the "origin" remote, without credentials; "" if none.
	Repo string
	// Commit is HEAD's full hash; "" outside a work tree or before the first commit.
	Commit string
}

// Read returns the provenance of dir.
func Read(ctx context.Context, dir string) Info {
	var info Info
	if out, err := git(ctx, dir, "rev-parse", "--verify", "-q", "HEAD"); err == nil {
		info.Commit = out
	}
	if out, err := git(ctx, dir, "config", "--get", "remote.origin.url"); err == nil {
		info.Repo = redact.URL(out)
	}
	return info
}

func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		return "", err
	}
	return strings.TrimSpace(out.String()), nil
}
