package promote

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

// TestMissingBranchInRepositoryWithOthers: a manifests.branch that does
// not exist in a repository that has other branches names the wrong
// branch (main in a repository on master). Push mode used to push it as a
// new history that shares no commit with the others, which Flux, reading
// master, never sees, and reported success. It is refused, dry run too,
// naming the branches and the default one, and nothing is pushed; an
// empty repository still gets its first commit.
func TestMissingBranchInRepositoryWithOthers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	gittest.Git(t, f.remote, "branch", "-m", "main", "master")
	gittest.Git(t, f.remote, "symbolic-ref", "HEAD", "refs/heads/master")
	for _, env := range []string{"dev", "staging"} { // push and pr mode
		for _, dry := range []bool{true, false} {
			o := f.opts(t, env, &bytes.Buffer{})
			o.DryRun = dry
			_, err := promote(t, f, o)
			if err == nil || !strings.Contains(err.Error(), "the manifests branch main (manifests.branch) does not exist") ||
				!strings.Contains(err.Error(), "1 other branch: master") || !strings.Contains(err.Error(), "the repository's default branch is master") {
				t.Errorf("env %s, dry run %v: %v, want a refusal naming master", env, dry, err)
			}
		}
	}
	if heads := gittest.Heads(t, f.remote); strings.Join(heads, " ") != "master" {
		t.Errorf("branches = %v, want master alone", heads)
	}

	// An empty repository: the first push-mode promotion starts main.
	f.remote = gittest.Bare(t)
	f.commitCode(t, project(f.remote), "empty manifests repository")
	res, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{}))
	if err != nil || !res.Changed || res.Commit == "" {
		t.Fatalf("first promotion into an empty repository = %+v, %v", res, err)
	}
	if heads := gittest.Heads(t, f.remote); strings.Join(heads, " ") != "main" {
		t.Errorf("branches = %v, want main", heads)
	}
}

// TestDiffWarnsOfMissingBranchBesideOthers: kiln diff against the
// manifests branch, the preview of a promotion, warns of the refusal
// above rather than only showing every file as added.
func TestDiffWarnsOfMissingBranchBesideOthers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	gittest.Git(t, f.remote, "branch", "-m", "main", "master")
	var log bytes.Buffer
	o := f.opts(t, "dev", nil)
	res, err := Diff(context.Background(), f.pipeline(t), DiffOptions{Env: "dev", Render: o.Render, GitEnv: gittest.Env(), WorkDir: t.TempDir(), Log: &log})
	if err != nil || !res.Changed {
		t.Fatalf("diff = %+v, %v", res, err)
	}
	if !strings.Contains(log.String(), "warning: kiln.yaml: the manifests branch main (manifests.branch) does not exist") || !strings.Contains(log.String(), "1 other branch: master") {
		t.Errorf("log:\n%s", log.String())
	}
}
