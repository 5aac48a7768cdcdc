package gitrepo_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

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

// TestFetchSinceKeepsTracking: FetchSince fetches into the ref it is given
// and leaves refs/remotes/origin where Fetch set it, also when the branch
// moved on meanwhile: git would otherwise move the remote-tracking ref
// too (its configured refspec), and a promotion would build on a newer
// tip of its base than the one it read and checked.
func TestFetchSinceKeepsTracking(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	remote := gittest.Bare(t)
	old := gittest.Commit(t, remote, "main", map[string]string{"a": "1\n"}, "one")
	r := clone(t, remote, gitrepo.Options{})
	if got, err := r.Fetch(ctx, "main"); err != nil || got["main"] != old {
		t.Fatalf("Fetch = %v, %v", got, err)
	}
	newer := gittest.Commit(t, remote, "main", map[string]string{"a": "2\n"}, "two")
	base, err := r.FetchSince(ctx, "main", "refs/kiln/base", time.Unix(0, 0))
	if err != nil || base != newer {
		t.Fatalf("FetchSince = %s, %v; want %s", base, err, newer)
	}
	if got := gittest.Git(t, r.Dir, "rev-parse", "refs/remotes/origin/main"); got != old {
		t.Errorf("refs/remotes/origin/main moved to %s; want it at %s, where Fetch left it", got, old)
	}
	if got, err := r.Fetch(ctx, "main"); err != nil || got["main"] != newer {
		t.Errorf("Fetch after = %v, %v; want main at %s", got, err, newer)
	}
}
