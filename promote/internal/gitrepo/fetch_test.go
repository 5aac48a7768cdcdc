package gitrepo_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/promote/internal/gitrepo"
	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

// TestFetchSkipsTipsHeld: Fetch does not fetch a branch whose
// remote-tracking ref already holds the remote's tip, and still fetches
// one that moved, a new one, and one whose ref something else changed.
func TestFetchSkipsTipsHeld(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	wrapper, argvLog := recordingGit(t)
	fetches := func() int {
		data, _ := os.ReadFile(argvLog)
		n := 0
		for _, l := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(l, "fetch ") {
				n++
			}
		}
		return n
	}

	remote := gittest.Bare(t)
	first := gittest.Commit(t, remote, "main", map[string]string{"a": "1\n"}, "first")
	r := clone(t, remote, gitrepo.Options{Git: wrapper})
	fetch := func(want map[string]string, wantFetches int) {
		t.Helper()
		got, err := r.Fetch(ctx, "main", "kiln/dev")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) || got["main"] != want["main"] || got["kiln/dev"] != want["kiln/dev"] {
			t.Errorf("Fetch = %v, want %v", got, want)
		}
		if n := fetches(); n != wantFetches {
			t.Errorf("%d git fetch runs, want %d", n, wantFetches)
		}
		for b, sha := range want {
			if tree, err := r.Tree(ctx, sha, ""); err != nil || len(tree) == 0 {
				t.Errorf("%s at %s: %v, %d files", b, sha, err, len(tree))
			}
		}
	}
	fetch(map[string]string{"main": first}, 1)
	fetch(map[string]string{"main": first}, 1) // nothing moved: no fetch

	second := gittest.Update(t, remote, "main", map[string]string{"b": "2\n"}, nil, "second")
	fetch(map[string]string{"main": second}, 2)
	dev := gittest.Commit(t, remote, "kiln/dev", map[string]string{"c": "3\n"}, "dev")
	fetch(map[string]string{"main": second, "kiln/dev": dev}, 3)
	fetch(map[string]string{"main": second, "kiln/dev": dev}, 3)

	// A ref moved here (not by Fetch) is fetched again once Repo ran a
	// command that may change refs: it forgets what it read of them then.
	// (Only Repo's methods change its clone's refs in kiln.)
	gittest.Git(t, r.Dir, "update-ref", "refs/remotes/origin/main", dev)
	if err := r.Checkout(ctx, "kiln/dev", "refs/remotes/origin/kiln/dev"); err != nil {
		t.Fatal(err)
	}
	fetch(map[string]string{"main": second, "kiln/dev": dev}, 4)
}
