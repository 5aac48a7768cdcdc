package gitinfo

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestIsAncestor on a real repository and a shallow clone of it, as
// actions/checkout makes by default.
func TestIsAncestor(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	repo := filepath.Join(dir, "repo")
	run(t, dir, "init", "-q", "--initial-branch=main", repo)
	head := func(d string) string {
		t.Helper()
		out, err := exec.Command("git", "-C", d, "rev-parse", "HEAD").Output()
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(out))
	}
	var commits []string
	for _, c := range []string{"a", "b", "c"} {
		write(t, filepath.Join(repo, "f"), c+"\n")
		run(t, repo, "add", "-A")
		run(t, repo, "commit", "-q", "-m", c)
		commits = append(commits, head(repo))
	}
	run(t, repo, "checkout", "-q", "-b", "side", commits[0])
	write(t, filepath.Join(repo, "g"), "side\n")
	run(t, repo, "add", "-A")
	run(t, repo, "commit", "-q", "-m", "side")
	side := head(repo)
	run(t, repo, "branch", "-q", "old", commits[1])

	shallow := filepath.Join(dir, "shallow")
	run(t, dir, "clone", "-q", "--depth=1", "--branch=old", "file://"+repo, shallow)
	// Both tips, each at depth 1: present, but no history joins them.
	cut := filepath.Join(dir, "cut")
	run(t, dir, "clone", "-q", "--depth=1", "--branch=main", "file://"+repo, cut)
	run(t, cut, "fetch", "-q", "--depth=1", "origin", "old")

	for _, tc := range []struct {
		name, dir, ancestor, commit string
		want                        bool
		undecided                   bool
	}{
		{"older", repo, commits[0], commits[2], true, false},
		{"same", repo, commits[1], commits[1], true, false},
		{"newer", repo, commits[2], commits[0], false, false},
		{"diverged", repo, side, commits[2], false, false},
		{"shallow: the newer commit is missing", shallow, commits[1], commits[2], false, true},
		{"shallow: the older commit is missing", shallow, commits[0], commits[1], false, true},
		{"shallow: both there, the history between cut", cut, commits[1], commits[2], false, true},
		{"not a hash", repo, "--output=x", commits[0], false, true},
		{"abbreviated", repo, commits[0][:12], commits[2], false, true},
	} {
		got, err := IsAncestor(ctx, tc.dir, tc.ancestor, tc.commit)
		if got != tc.want || errors.Is(err, ErrUndecided) != tc.undecided || (err != nil && !tc.undecided) {
			t.Errorf("%s: IsAncestor = %v, %v; want %v, undecided %v", tc.name, got, err, tc.want, tc.undecided)
		}
	}
}
