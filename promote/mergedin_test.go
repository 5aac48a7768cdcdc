package promote

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

// TestMergedSideBranchOnPullRequestBranch: someone merges a branch of
// their own (a fix made locally, never pushed as a branch) into
// kiln/<env> and pushes the merge. Unlike GitHub's "Update branch", the
// merge brings in a commit that the base does not hold: the force-push
// of the next promotion must not drop it without saying so.
func TestMergedSideBranchOnPullRequestBranch(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if _, err := promote(t, f, f.opts(t, "staging", &bytes.Buffer{})); err != nil {
		t.Fatal(err)
	}
	kiln := gittest.Git(t, f.remote, "rev-parse", "kiln/staging")
	// A side commit on top of kiln's, then a merge of it with --no-ff,
	// so kiln/staging's first-parent line is [merge, kiln's commit].
	gittest.Git(t, f.remote, "update-ref", "refs/heads/side", kiln)
	x := gittest.Update(t, f.remote, "side", map[string]string{"docs/rollout.md": "why\n"}, nil, "Add the rollout notes")
	tree := gittest.Git(t, f.remote, "rev-parse", x+"^{tree}")
	merge := gittest.Git(t, f.remote, "commit-tree", tree, "-p", kiln, "-p", x, "-m", "Merge branch 'notes' into kiln/staging")
	gittest.Git(t, f.remote, "update-ref", "refs/heads/kiln/staging", merge)
	gittest.Git(t, f.remote, "update-ref", "-d", "refs/heads/side")

	f.commitCode(t, map[string]string{"apps/web/service.yaml": strings.Replace(project("")["apps/web/service.yaml"], "port: 80", "port: "+strconv.Itoa(8081), 1)}, "port")
	for _, dry := range []bool{true, false} {
		o := f.opts(t, "staging", &bytes.Buffer{})
		o.DryRun = dry
		_, err := promote(t, f, o)
		if err == nil || !strings.Contains(err.Error(), x[:7]) || !strings.Contains(err.Error(), "Add the rollout notes") {
			t.Errorf("dry run %v: %v, want a refusal naming the commit the merge brought in", dry, err)
		}
	}
	if now := gittest.Git(t, f.remote, "rev-parse", "kiln/staging"); now != merge {
		t.Fatalf("kiln/staging = %s, want the merge %s kept", now[:7], merge[:7])
	}

	// Told to replace it: it goes, and the log names it.
	var log bytes.Buffer
	o := f.opts(t, "staging", &log)
	o.ReplaceForeignCommits = true
	if _, err := promote(t, f, o); err != nil || !strings.Contains(log.String(), x[:7]) {
		t.Errorf("with ReplaceForeignCommits: %v; log:\n%s", err, log.String())
	}

	// GitHub's "Update branch" merges main in, and main moves on after,
	// by more commits than kiln reads of kiln/staging's history (a busy
	// manifests branch gains one per promotion): the merge brings in
	// nothing main does not hold.
	gittest.Update(t, f.remote, "main", map[string]string{"clusters/prod/one.yaml": "x\n"}, nil, "one")
	tree = gittest.Git(t, f.remote, "merge-tree", "--write-tree", "kiln/staging", "main")
	upd := gittest.Git(t, f.remote, "commit-tree", tree, "-p", "kiln/staging", "-p", "main", "-m", "Merge branch 'main' into kiln/staging")
	gittest.Git(t, f.remote, "update-ref", "refs/heads/kiln/staging", upd)
	for i := range foreignDepth + 10 {
		gittest.Update(t, f.remote, "main", map[string]string{"clusters/prod/more.yaml": strconv.Itoa(i) + "\n"}, nil, "more")
	}
	f.commitCode(t, map[string]string{"apps/web/service.yaml": strings.Replace(project("")["apps/web/service.yaml"], "port: 80", "port: "+strconv.Itoa(8082), 1)}, "port")
	if _, err := promote(t, f, f.opts(t, "staging", &bytes.Buffer{})); err != nil {
		t.Errorf("after GitHub's Update branch and main moving on: %v", err)
	}
}
