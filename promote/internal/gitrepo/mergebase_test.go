package gitrepo_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/promote/internal/gitrepo"
	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

// TestMergeBaseOfShallowFetches: the tips Fetch brings (depth 1) have no
// history, so MergeBase finds none ("", not an error) until the history
// is fetched; Diff needs only the trees; Has tells a commit the clone
// holds from a parent beyond what it fetched. An unrelated branch has no
// merge base at any depth.
func TestMergeBaseOfShallowFetches(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	remote := gittest.Bare(t)
	base := gittest.Commit(t, remote, "main", map[string]string{"a": "1\n"}, "seed")
	gittest.Update(t, remote, "main", map[string]string{"b": "2\n"}, nil, "main moves on")
	gittest.Git(t, remote, "branch", "side", base)
	gittest.Update(t, remote, "side", map[string]string{"c": "3\n"}, nil, "side")
	gittest.Commit(t, remote, "other", map[string]string{"a": "1\n"}, "unrelated")
	r := clone(t, remote, gitrepo.Options{})
	heads, err := r.Fetch(ctx, "main", "side", "other")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := r.MergeBase(ctx, heads["side"], heads["main"]); err != nil || got != "" {
		t.Errorf("MergeBase of depth-1 tips = %q, %v; want none", got, err)
	}
	if r.Has(ctx, base) {
		t.Errorf("Has(%s) before its history is fetched", base[:7])
	}
	diff, err := r.Diff(ctx, heads["main"], heads["side"])
	if err != nil || !cmp.Equal(diff, []string{"b", "c"}) {
		t.Errorf("Diff = %q, %v; want b and c", diff, err)
	}
	if _, err := r.FirstParents(ctx, "side", heads["side"], 5); err != nil {
		t.Fatal(err)
	}
	if _, err := r.FirstParents(ctx, "main", heads["main"], 5); err != nil {
		t.Fatal(err)
	}
	if got, err := r.MergeBase(ctx, heads["side"], heads["main"]); err != nil || got != base {
		t.Errorf("MergeBase = %q, %v; want %s", got, err, base)
	}
	if !r.Has(ctx, base) {
		t.Errorf("Has(%s) = false once fetched", base[:7])
	}
	if got, err := r.MergeBase(ctx, heads["other"], heads["main"]); err != nil || got != "" {
		t.Errorf("MergeBase of unrelated branches = %q, %v; want none", got, err)
	}
}
