// Package gitinfo reads which repository and commit a folder is checked out
// at, and whether its working tree holds changes that commit does not, for
// kiln.lock.json's provenance.
//
// It asks the git program (kiln needs git for promotion anyway) and removes
// any credentials from the remote URL before returning it. Outside a git work
// tree it returns empty values, not an error: rendering a plain folder is
// fine, and the caller warns that the lock names no commit.
package gitinfo

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/kiln-gitops/kiln/internal/redact"
)

// Info is a folder's provenance.
type Info struct {
	// InWorkTree is true when the folder is inside a git work tree.
	InWorkTree bool
	// Repo is the URL of the "origin" remote, without credentials; "" if none.
	Repo string
	// Commit is HEAD's full hash; "" outside a work tree or before the first commit.
	Commit string
	// Dirty is true when files below the folder differ from Commit: a
	// tracked file changed (staged or not) or a file git does not ignore
	// was added. Such a file may be read by the render, so the tree it
	// gives is not what Commit renders.
	Dirty bool
	// Changed are the first changed paths (at most MaxChanged), relative
	// to the repository's top folder, as git status prints them.
	Changed []string
}

// MaxChanged bounds Info.Changed.
const MaxChanged = 5

// Read returns the provenance of dir. Paths in exclude (absolute, or
// relative to the current folder, as flags give them) do not make the tree
// dirty: kiln's own output folders inside the checkout, such as render's
// --out.
func Read(ctx context.Context, dir string, exclude ...string) Info {
	var info Info
	if out, err := git(ctx, dir, "rev-parse", "--is-inside-work-tree"); err != nil || out != "true" {
		return info
	}
	info.InWorkTree = true
	if out, err := git(ctx, dir, "rev-parse", "--verify", "-q", "HEAD"); err == nil {
		info.Commit = out
	}
	if out, err := git(ctx, dir, "config", "--get", "remote.origin.url"); err == nil {
		info.Repo = redact.URL(out)
	}
	// Only below dir: kiln reads nothing outside the folder of kiln.yaml,
	// so changes elsewhere in a monorepo play no part. Ignored files
	// (.gitignore) do not count, as for git describe --dirty; untracked
	// ones do, since a new template would be rendered.
	args := []string{"-c", "core.quotePath=false", "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", "."}
	for _, ex := range exclude {
		if rel, ok := inside(dir, ex); ok {
			args = append(args, ":(exclude,literal)"+filepath.ToSlash(rel))
		}
	}
	out, err := gitRaw(ctx, dir, args...)
	if err != nil {
		// Unknown: say dirty rather than vouch for a tree kiln could not check.
		info.Dirty = true
		return info
	}
	entries := strings.Split(out, "\x00")
	for i := 0; i < len(entries); i++ {
		e := entries[i]
		if len(e) < 4 {
			continue
		}
		info.Dirty = true
		if len(info.Changed) < MaxChanged {
			info.Changed = append(info.Changed, e[3:])
		}
		if e[0] == 'R' || e[0] == 'C' {
			i++ // a rename's or copy's source path follows
		}
	}
	return info
}

// inside returns p relative to dir when it lies inside dir (not dir itself).
func inside(dir, p string) (string, bool) {
	if p == "" {
		return "", false
	}
	if !filepath.IsAbs(p) {
		abs, err := filepath.Abs(p)
		if err != nil {
			return "", false
		}
		p = abs
	}
	d, err := filepath.Abs(dir)
	if err != nil {
		return "", false
	}
	if rd, err := filepath.EvalSymlinks(d); err == nil {
		d = rd
	}
	if rp, err := filepath.EvalSymlinks(p); err == nil {
		p = rp
	}
	rel, err := filepath.Rel(d, p)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return rel, true
}

func git(ctx context.Context, dir string, args ...string) (string, error) {
	out, err := gitRaw(ctx, dir, args...)
	return strings.TrimSpace(out), err
}

func gitRaw(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		return "", err
	}
	return out.String(), nil
}
