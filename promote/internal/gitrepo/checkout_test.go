package gitrepo_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
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
// one checkout, no reset: -f already resets the index and the work tree;
// and git clean only when ReplaceDir wrote since the last Checkout (the
// first Checkout of a clone runs checkout alone).
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
	clearLog(t, argvLog)
	if err := r.Checkout(ctx, "kiln/dev", "refs/remotes/origin/main"); err != nil {
		t.Fatal(err)
	}
	if got := gitCommands(t, argvLog); got != "checkout" {
		t.Errorf("the clone's first Checkout ran git %s, want checkout", got)
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
	write("secret.ignored", "ignored\n")
	// A ReplaceDir stopped halfway (here by a name it refuses, after it
	// wrote x.yaml) leaves a file git does not track: only then is there
	// anything to clean, since kiln writes the work tree through
	// ReplaceDir alone.
	if err := r.ReplaceDir(ctx, "untracked", map[string][]byte{"x.yaml": []byte("untracked\n"), "z/../..": nil}); err == nil {
		t.Fatal("ReplaceDir took the name z/../..")
	}
	if _, err := os.Stat(filepath.Join(r.Dir, "untracked", "x.yaml")); err != nil {
		t.Fatalf("the stopped ReplaceDir wrote no x.yaml: %v", err)
	}
	clearLog(t, argvLog)

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
// after the fetch (a fresh clone has none before it), where it ran a
// rev-parse a branch twice; FetchListed hands the listing on, so a caller
// that needs the remote's branches does not ask again. A second fetch
// with nothing moved asks the remote only: it knows its refs.
func TestFetchReadsRefsOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	wrapper, argvLog := recordingGit(t)
	remote := gittest.Bare(t)
	main := gittest.Commit(t, remote, "main", map[string]string{"a": "1\n"}, "main")
	dev := gittest.Commit(t, remote, "kiln/dev", map[string]string{"b": "2\n"}, "dev")
	other := gittest.Commit(t, remote, "other", map[string]string{"c": "3\n"}, "other")
	r := clone(t, remote, gitrepo.Options{Git: wrapper})
	clearLog(t, argvLog)
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
	if got, want := gitCommands(t, argvLog), "ls-remote fetch for-each-ref"; got != want {
		t.Errorf("FetchListed ran git %s, want %s", got, want)
	}
	if again, _, err := r.FetchListed(ctx, "main", "kiln/dev"); err != nil || len(again) != 2 || again["main"] != main {
		t.Errorf("FetchListed again: %v, %v", again, err)
	}
	if got, want := gitCommands(t, argvLog), "ls-remote fetch for-each-ref ls-remote"; got != want {
		t.Errorf("FetchListed twice ran git %s, want %s", got, want)
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

// TestCloneAndKeepAskOnce: a clone is one git init (its remote is kiln's
// configuration, not a git remote add); KeepFromHead knows from the
// checkout before it whether HEAD names a commit, so it runs git reset
// alone, and nothing at all on an orphan branch; and fetch, push and
// clone still find the remote by name.
func TestCloneAndKeepAskOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	wrapper, argvLog := recordingGit(t)
	remote := gittest.Bare(t)
	gittest.Commit(t, remote, "main", map[string]string{"keep/a": "1\n", "b": "2\n"}, "main")
	r := clone(t, remote, gitrepo.Options{Git: wrapper})
	if got := gitCommands(t, argvLog); got != "init" {
		t.Errorf("Clone ran git %s, want init", got)
	}
	if config, err := os.ReadFile(filepath.Join(r.Dir, ".git", "config")); err != nil || strings.Contains(string(config), "remote") {
		t.Errorf(".git/config: %v\n%s", err, config)
	}
	if _, err := r.Fetch(ctx, "main"); err != nil {
		t.Fatal(err)
	}
	if err := r.Checkout(ctx, "kiln/dev", "refs/remotes/origin/main"); err != nil {
		t.Fatal(err)
	}
	clearLog(t, argvLog)
	if err := r.ReplaceDir(ctx, "keep", map[string][]byte{"a": []byte("changed\n")}); err != nil {
		t.Fatal(err)
	}
	if err := r.KeepFromHead(ctx, "keep"); err != nil {
		t.Fatal(err)
	}
	if got := gitCommands(t, argvLog); got != "rm add reset" {
		t.Errorf("ReplaceDir and KeepFromHead ran git %s, want rm add reset", got)
	}
	if _, err := r.Commit(ctx, "nothing"); err != nil {
		t.Fatal(err)
	}
	if err := r.Push(ctx, "kiln/dev", true); err != nil {
		t.Fatal(err)
	}
	if got := gittest.Files(t, remote, "kiln/dev"); got["keep/a"] != "1\n" {
		t.Errorf("pushed keep/a = %q, want HEAD's", got["keep/a"])
	}

	// An orphan has no HEAD commit: nothing to keep, and no git to ask.
	if err := r.Checkout(ctx, "fresh", ""); err != nil {
		t.Fatal(err)
	}
	clearLog(t, argvLog)
	if err := r.KeepFromHead(ctx, "keep"); err != nil {
		t.Fatal(err)
	}
	if got := gitCommands(t, argvLog); got != "" {
		t.Errorf("KeepFromHead on an orphan ran git %s", got)
	}
}

// TestObjectsReadOnce: what git says of an object named by its full hash
// (a commit's header, a tree's listing, its files) is asked once; a
// caller that changes what it got does not change the next answer; and a
// ref, which may move, is asked each time.
func TestObjectsReadOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	wrapper, argvLog := recordingGit(t)
	remote := gittest.Bare(t)
	tip := gittest.Commit(t, remote, "main", map[string]string{"d/a": "same\n", "d/b": "same\n", "d/c": "c\n", "e": "e\n"}, "one")
	r := clone(t, remote, gitrepo.Options{Git: wrapper})
	if _, err := r.Fetch(ctx, "main"); err != nil {
		t.Fatal(err)
	}
	clearLog(t, argvLog)
	want := map[string][]byte{"a": []byte("same\n"), "b": []byte("same\n"), "c": []byte("c\n")}
	for i := range 2 {
		files, err := r.Tree(ctx, tip, "d")
		if err != nil || !reflect.DeepEqual(files, want) {
			t.Fatalf("read %d: %q, %v", i, files, err)
		}
		files["a"][0] = 'X'
		delete(files, "c")
		info, err := r.Info(ctx, tip)
		if err != nil || info.Message != "one\n" || len(info.Parents) != 0 {
			t.Fatalf("info %d: %+v, %v", i, info, err)
		}
		info.Parents = append(info.Parents, "x")
	}
	if got := gitCommands(t, argvLog); got != "ls-tree cat-file cat-file" {
		t.Errorf("two reads of a commit's folder and header ran git %s, want ls-tree cat-file cat-file", got)
	}
	// The whole tree reads only the blob it had not read yet.
	if files, err := r.Tree(ctx, tip, ""); err != nil || len(files) != 4 || string(files["e"]) != "e\n" || string(files["d/a"]) != "same\n" {
		t.Errorf("whole tree: %q, %v", files, err)
	}
	clearLog(t, argvLog)
	for range 2 {
		if _, err := r.Tree(ctx, "refs/remotes/origin/main", "d"); err != nil {
			t.Fatal(err)
		}
	}
	if got := gitCommands(t, argvLog); got != "ls-tree ls-tree" {
		t.Errorf("two reads by a ref ran git %s, want ls-tree ls-tree", got)
	}
}

// clearLog empties recordingGit's log, so that gitCommands lists what
// runs from here.
func clearLog(t *testing.T, argvLog string) {
	t.Helper()
	if err := os.WriteFile(argvLog, nil, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestOrphanAfterCheckout: an orphan branch checked out right after a
// branch with files starts from an empty work tree, as from a clone's:
// the files the earlier checkout wrote are the index's no more, and git
// clean must still remove them, though kiln itself wrote none.
func TestOrphanAfterCheckout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	remote := gittest.Bare(t)
	gittest.Commit(t, remote, "main", map[string]string{"clusters/dev/a.yaml": "a\n", "other/b": "b\n"}, "main")
	r := clone(t, remote, gitrepo.Options{})
	if _, err := r.Fetch(ctx, "main"); err != nil {
		t.Fatal(err)
	}
	if err := r.Checkout(ctx, "main", "refs/remotes/origin/main"); err != nil {
		t.Fatal(err)
	}
	if err := r.Checkout(ctx, "fresh", ""); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"clusters/dev/a.yaml", "other/b"} {
		if _, err := os.Lstat(filepath.Join(r.Dir, filepath.FromSlash(p))); err == nil {
			t.Errorf("%s is in the orphan's work tree", p)
		}
	}
}
