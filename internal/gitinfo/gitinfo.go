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
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

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
//
// The three git programs it needs run at once: each costs a few
// milliseconds of process start, and git status can take much longer in a
// large checkout.
func Read(ctx context.Context, dir string, exclude ...string) Info {
	// Only below dir: kiln reads nothing outside the folder of kiln.yaml,
	// so changes elsewhere in a monorepo play no part. Ignored files
	// (.gitignore) do not count, as for git describe --dirty; untracked
	// ones do, since a new template would be rendered. A submodule's
	// files are rendered like any other, so its changes count whatever
	// the repository's .gitmodules (ignore = all, dirty, untracked) or
	// diff.ignoreSubmodules say to quiet git status. The user's own
	// excludes file (core.excludesFile, by default ~/.config/git/ignore)
	// does not count either: the same checkout would be clean on one
	// machine and dirty on another, and what a render reads is the same
	// on both. The repository's .gitignore files and its
	// .git/info/exclude are the checkout's own and do count. -c reaches
	// the git status of each submodule too.
	statusArgs := []string{"-c", "core.quotePath=false", "-c", "core.excludesFile=", "status", "--porcelain=v1", "-z", "--untracked-files=all", "--ignore-submodules=none", "--", "."}
	for _, ex := range exclude {
		if rel, ok := inside(dir, ex); ok {
			statusArgs = append(statusArgs, ":(exclude,literal)"+filepath.ToSlash(rel))
		}
	}
	// Outside a work tree the others fail too and are ignored; when
	// ctx ends, every one does.
	calls := [][]string{
		// One program for both: "true" or "false", then HEAD's hash; before
		// the first commit no hash, and git exits 1.
		{"rev-parse", "--is-inside-work-tree", "--verify", "-q", "HEAD"},
		{"config", "--get", "remote.origin.url"},
		statusArgs,
	}
	outs := make([]string, len(calls))
	errs := make([]error, len(calls))
	var wg sync.WaitGroup
	for i, args := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], errs[i] = gitRaw(ctx, dir, args...)
		}()
	}
	wg.Wait()

	var info Info
	where := strings.Fields(outs[0])
	if len(where) == 0 || where[0] != "true" || errs[0] != nil && (len(where) != 1 || exitCode(errs[0]) != 1) {
		return info
	}
	info.InWorkTree = true
	if errs[0] == nil && len(where) == 2 {
		info.Commit = where[1]
	}
	if errs[1] == nil {
		info.Repo = redact.RemoteURL(strings.TrimSpace(outs[1]))
	}
	if errs[2] != nil {
		// Unknown: say dirty rather than vouch for a tree kiln could not check.
		info.Dirty = true
		return info
	}
	entries := strings.Split(outs[2], "\x00")
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

// Pending is a Read under way; Start returns one.
type Pending struct {
	done chan struct{}
	info Info
}

// Start begins Read(ctx, dir, exclude...) in the background, so that a
// caller can render while git runs. Wait returns its result.
func Start(ctx context.Context, dir string, exclude ...string) *Pending {
	p := &Pending{done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.info = Read(ctx, dir, exclude...)
	}()
	return p
}

// Wait blocks until the Read is done and returns its Info; it may be
// called any number of times.
func (p *Pending) Wait() Info {
	<-p.done
	return p.info
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

// gitRaw runs git in dir and returns what it printed, also when it fails.
//
// --no-optional-locks: git status otherwise refreshes the index, taking
// .git/index.lock, while kiln renders. The user's own git (a commit in
// another terminal, an editor) would then fail on that lock, and a git
// killed when kiln's context ends (Ctrl-C) could leave it behind, so that
// every git command in the checkout fails until it is removed by hand.
// kiln only reads the checkout.
func gitRaw(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := Command(ctx, time.Second, "git", append([]string{"--no-optional-locks", "-C", dir}, args...)...)
	var out bytes.Buffer
	cmd.Stdout = &out
	err := cmd.Run()
	return out.String(), err
}

// exitCode is the status a git that ran and failed exited with, or -1.
func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

// ErrUndecided is the cause of an IsAncestor that the repository cannot
// answer: a commit is not in it, or it is a shallow clone whose history
// may stop before the two commits meet.
var ErrUndecided = errors.New("the repository cannot tell")

// IsShallow reports whether the repository at dir is a shallow clone
// (CI's default checkout, fetch-depth 1), whose history stops early; true
// too when git cannot say, which only lets a caller suggest the full
// history when a commit is missing.
func IsShallow(ctx context.Context, dir string) bool {
	out, err := gitRaw(ctx, dir, "rev-parse", "--is-shallow-repository")
	return err != nil || strings.TrimSpace(out) != "false"
}

// commitHash is a full SHA-1 or SHA-256 commit hash, as kiln.lock.json
// records one.
var commitHash = regexp.MustCompile(`^([0-9a-f]{40}|[0-9a-f]{64})$`)

// IsCommitHash reports whether s is a full commit hash in lower case, as
// kiln.lock.json records one: not a branch, a tag or an abbreviation.
func IsCommitHash(s string) bool { return commitHash.MatchString(s) }

// IsAncestor reports whether ancestor is commit or one of its ancestors in
// the repository at dir. It is sure only of what the history it holds
// shows: when a commit is missing, or the repository is shallow and no
// path was found, the error wraps ErrUndecided. Both must be full hashes:
// they may come from a file of another repository, and must not reach git
// as anything but a commit.
func IsAncestor(ctx context.Context, dir, ancestor, commit string) (bool, error) {
	for _, c := range []string{ancestor, commit} {
		if !commitHash.MatchString(c) {
			return false, fmt.Errorf("%q is not a full commit hash: %w", c, ErrUndecided)
		}
	}
	for _, c := range []string{ancestor, commit} {
		if _, err := gitRaw(ctx, dir, "cat-file", "-e", c+"^{commit}"); err != nil {
			if ctx.Err() != nil {
				return false, ctx.Err()
			}
			return false, fmt.Errorf("commit %s is not in the repository: %w", c, ErrUndecided)
		}
	}
	_, err := gitRaw(ctx, dir, "merge-base", "--is-ancestor", ancestor, commit)
	switch {
	case err == nil:
		return true, nil
	case ctx.Err() != nil:
		return false, ctx.Err()
	case exitCode(err) != 1:
		return false, fmt.Errorf("git merge-base: %v: %w", err, ErrUndecided)
	}
	if IsShallow(ctx, dir) {
		return false, fmt.Errorf("it is a shallow clone: %w", ErrUndecided)
	}
	return false, nil
}
