package gitrepo_test

import (
	"context"
	"errors"
	"testing"

	"github.com/kiln-gitops/kiln/promote/internal/gitrepo"
	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

// TestPushLease: a lease on the commit the branch was fetched at replaces
// the branch only while it is still there; "" leases a branch that does
// not exist. Head reads where the branch is now.
func TestPushLease(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	remote := gittest.Bare(t)
	gittest.Commit(t, remote, "main", map[string]string{"a": "a\n"}, "base")
	r := clone(t, remote, gitrepo.Options{})
	if _, err := r.Fetch(ctx, "main"); err != nil {
		t.Fatal(err)
	}
	commit := func(content string) string {
		t.Helper()
		if err := r.Checkout(ctx, "kiln/dev", "refs/remotes/origin/main"); err != nil {
			t.Fatal(err)
		}
		if err := r.ReplaceDir(ctx, "dev", map[string][]byte{"f": []byte(content)}); err != nil {
			t.Fatal(err)
		}
		c, err := r.Commit(ctx, "c "+content)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	head := func() string {
		t.Helper()
		h, err := r.Head(ctx, "kiln/dev")
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	if h := head(); h != "" {
		t.Fatalf("Head of a missing branch = %q", h)
	}
	first := commit("1")
	if err := r.PushLease(ctx, "kiln/dev", ""); err != nil {
		t.Fatalf("lease on a missing branch: %v", err)
	}
	if h := head(); h != first {
		t.Fatalf("Head = %s, want %s", h, first)
	}
	// The branch exists now: a lease on its absence fails.
	second := commit("2")
	if err := r.PushLease(ctx, "kiln/dev", ""); !errors.Is(err, gitrepo.ErrNonFastForward) {
		t.Fatalf("lease on a missing branch that exists: %v", err)
	}
	if err := r.PushLease(ctx, "kiln/dev", first); err != nil {
		t.Fatalf("lease on the commit seen: %v", err)
	}
	// Another run replaces the branch; our lease on second fails and the
	// branch keeps the other run's commit.
	other := gittest.Update(t, remote, "kiln/dev", map[string]string{"dev/f": "other\n"}, nil, "other run")
	commit("3")
	if err := r.PushLease(ctx, "kiln/dev", second); !errors.Is(err, gitrepo.ErrNonFastForward) {
		t.Fatalf("lease on a commit no longer there: %v", err)
	}
	if h := head(); h != other {
		t.Errorf("Head = %s, want the other run's %s", h, other)
	}
}
