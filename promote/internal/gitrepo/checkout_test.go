package gitrepo_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/promote/internal/gitrepo"
	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

// TestCheckoutDiscardsEverything: Checkout leaves the work tree and the
// index exactly the start commit's, whatever an earlier build of the
// change left behind (a promotion rebuilds its change on a new tip after
// a refused push): staged and unstaged edits, a deleted file, a staged new
// file, a file that became a folder, untracked and ignored files. It runs
// one checkout, no reset: -f already resets the index and the work tree.
func TestCheckoutDiscardsEverything(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	wrapper, argvLog := recordingGit(t)
	remote := gittest.Bare(t)
	gittest.Commit(t, remote, "main", map[string]string{
		"a.yaml":     "a\n",
		"b.yaml":     "b\n",
		"c.yaml":     "c\n",
		"d.yaml":     "d\n",
		".gitignore": "*.ignored\n",
	}, "seed")
	r := clone(t, remote, gitrepo.Options{Git: wrapper})
	if _, err := r.Fetch(ctx, "main"); err != nil {
		t.Fatal(err)
	}
	if err := r.Checkout(ctx, "kiln/dev", "refs/remotes/origin/main"); err != nil {
		t.Fatal(err)
	}
	write := func(name, content string) {
		t.Helper()
		p := filepath.Join(r.Dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.yaml", "staged edit\n")
	gittest.Git(t, r.Dir, "add", "a.yaml")
	write("b.yaml", "unstaged edit\n")
	if err := os.Remove(filepath.Join(r.Dir, "c.yaml")); err != nil {
		t.Fatal(err)
	}
	gittest.Git(t, r.Dir, "rm", "-q", "--cached", "d.yaml")
	if err := os.Remove(filepath.Join(r.Dir, "d.yaml")); err != nil {
		t.Fatal(err)
	}
	write("d.yaml/inside", "a folder where a file was\n")
	write("new.yaml", "staged new\n")
	gittest.Git(t, r.Dir, "add", "new.yaml")
	write("untracked/x.yaml", "untracked\n")
	write("secret.ignored", "ignored\n")
	if err := os.WriteFile(argvLog, nil, 0o644); err != nil {
		t.Fatal(err)
	}

	if err := r.Checkout(ctx, "kiln/dev", "refs/remotes/origin/main"); err != nil {
		t.Fatal(err)
	}
	if st := gittest.Git(t, r.Dir, "status", "--porcelain", "--ignored", "--untracked-files=all"); st != "" {
		t.Errorf("after Checkout, git status shows:\n%s", st)
	}
	for name, want := range map[string]string{"a.yaml": "a\n", "b.yaml": "b\n", "c.yaml": "c\n", "d.yaml": "d\n"} {
		if got, err := os.ReadFile(filepath.Join(r.Dir, name)); err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", name, got, err, want)
		}
	}
	if got := gittest.Git(t, r.Dir, "rev-parse", "HEAD"); got != gittest.Git(t, r.Dir, "rev-parse", "refs/remotes/origin/main") {
		t.Errorf("HEAD at %s, not at the start commit", got)
	}
	if got := gitCommands(t, argvLog); got != "checkout clean" {
		t.Errorf("Checkout ran git %s, want checkout clean", got)
	}
}

// TestFetchReadsRefsOnce: a fetch of two branches asks the remote once
// for its branches and reads the remote-tracking refs in one process
// before the fetch and one after, where it ran a rev-parse a branch twice;
// FetchListed hands the listing on, so a caller that needs the remote's
// branches does not ask again.
func TestFetchReadsRefsOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	wrapper, argvLog := recordingGit(t)
	remote := gittest.Bare(t)
	main := gittest.Commit(t, remote, "main", map[string]string{"a": "1\n"}, "main")
	dev := gittest.Commit(t, remote, "kiln/dev", map[string]string{"b": "2\n"}, "dev")
	other := gittest.Commit(t, remote, "other", map[string]string{"c": "3\n"}, "other")
	r := clone(t, remote, gitrepo.Options{Git: wrapper})
	if err := os.WriteFile(argvLog, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	got, heads, err := r.FetchListed(ctx, "main", "kiln/dev", "kiln/gone")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["main"] != main || got["kiln/dev"] != dev {
		t.Errorf("FetchListed fetched %v, want main %s and kiln/dev %s", got, main, dev)
	}
	if len(heads) != 3 || heads["other"] != other {
		t.Errorf("FetchListed listed %v, want main, kiln/dev and other", heads)
	}
	if got, want := gitCommands(t, argvLog), "ls-remote for-each-ref fetch for-each-ref"; got != want {
		t.Errorf("FetchListed ran git %s, want %s", got, want)
	}
	for b, sha := range got {
		if have := gittest.Git(t, r.Dir, "rev-parse", "refs/remotes/origin/"+b); have != sha {
			t.Errorf("refs/remotes/origin/%s at %s, want %s", b, have, sha)
		}
	}
}

// gitCommands is the git commands recordingGit logged, in order, by their
// first word.
func gitCommands(t *testing.T, argvLog string) string {
	t.Helper()
	data, err := os.ReadFile(argvLog)
	if err != nil {
		t.Fatal(err)
	}
	var commands []string
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if f := strings.Fields(l); len(f) > 0 {
			commands = append(commands, f[0])
		}
	}
	return strings.Join(commands, " ")
}
