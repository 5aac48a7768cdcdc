package gitrepo_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/promote/internal/gitrepo"
	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

// TestOldestTimeAndOutside: the oldest time of many commits, and which of
// them reach beyond a base, come from one git process each, and a commit a
// shallow clone lacks is passed over as git log --ignore-missing did for
// each commit alone: no time, and nothing beyond the base.
func TestOldestTimeAndOutside(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	wrapper, argvLog := recordingGit(t)
	remote := gittest.Bare(t)
	history := gittest.History(t, remote, "main", 4)
	// Two commits on a side branch from main's second commit: neither is
	// main's.
	gittest.Git(t, remote, "branch", "side", history[1])
	s1 := gittest.Update(t, remote, "side", map[string]string{"s": "1\n"}, nil, "side 1")
	s2 := gittest.Update(t, remote, "side", map[string]string{"s": "2\n"}, nil, "side 2")
	r := clone(t, remote, gitrepo.Options{Git: wrapper})
	heads, err := r.Fetch(ctx, "main", "side")
	if err != nil {
		t.Fatal(err)
	}
	// main back to its third commit: its first two are beyond the clone.
	if _, err := r.FirstParents(ctx, "main", heads["main"], 2); err != nil {
		t.Fatal(err)
	}
	if _, err := r.FirstParents(ctx, "side", heads["side"], 2); err != nil {
		t.Fatal(err)
	}
	clearLog(t, argvLog)

	commits := []string{history[0], history[2], history[3], s1, s2}
	date, _ := time.Parse(time.RFC3339, gittest.Date)
	if got, err := r.OldestTime(ctx, commits); err != nil || !got.Equal(date) {
		t.Errorf("OldestTime = %v, %v; want %v", got, err, date)
	}
	if got, err := r.OldestTime(ctx, []string{history[0]}); err != nil || !got.IsZero() {
		t.Errorf("OldestTime of a commit the clone lacks = %v, %v; want zero", got, err)
	}

	outside, err := r.Outside(ctx, heads["main"], commits)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]bool{s1: true, s2: true}; !cmp.Equal(outside, want) {
		t.Errorf("Outside = %v, want the side branch's commits %s and %s", outside, s1[:7], s2[:7])
	}
	if outside, err := r.Outside(ctx, heads["side"], commits); err != nil || !cmp.Equal(outside, map[string]bool{history[2]: true, history[3]: true}) {
		t.Errorf("Outside of side = %v, %v; want main's commits after side forked, %s and %s", outside, err, history[2][:7], history[3][:7])
	}

	data, err := os.ReadFile(argvLog)
	if err != nil {
		t.Fatal(err)
	}
	if runs := strings.Count(strings.TrimSpace(string(data)), "\n") + 1; runs != 4 {
		t.Errorf("%d git runs for two times (one of %d commits) and two checks, want 4:\n%s", runs, len(commits), data)
	}
}

// TestEntries: the kinds of a folder and its parents, read at once, as
// checkShape needs them: a folder on the way is listed although git
// ls-tree enters it without a line of its own, a path below a file or a
// symlink is not there, and the root needs no pathspec.
func TestEntries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	remote := gittest.Bare(t)
	gittest.Commit(t, remote, "main", map[string]string{"clusters/dev/a.yaml": "a\n", "file": "x\n"}, "files")
	gittest.UpdateEntries(t, remote, "main", "120000", map[string]string{"link": "clusters"}, "link")
	r := clone(t, remote, gitrepo.Options{})
	heads, err := r.Fetch(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		paths []string
		want  map[string]string
	}{
		{[]string{"clusters", "clusters/dev"}, map[string]string{"clusters": "tree", "clusters/dev": "tree"}},
		{[]string{"clusters", "clusters/dev", "clusters/dev/a.yaml"}, map[string]string{"clusters": "tree", "clusters/dev": "tree", "clusters/dev/a.yaml": "blob"}},
		{[]string{"clusters", "clusters/prod"}, map[string]string{"clusters": "tree"}},
		{[]string{"file", "file/dev"}, map[string]string{"file": "blob"}},
		{[]string{"link", "link/dev"}, map[string]string{"link": "symlink"}},
		{[]string{"none", "none/dev"}, map[string]string{}},
		{[]string{"", "/clusters/"}, map[string]string{"clusters": "tree"}},
	} {
		got, err := r.Entries(ctx, heads["main"], tc.paths...)
		if err != nil || !cmp.Equal(got, tc.want) {
			t.Errorf("Entries(%q) = %v, %v; want %v", tc.paths, got, err, tc.want)
		}
	}
}
