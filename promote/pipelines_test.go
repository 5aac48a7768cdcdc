package promote

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

// teamB is a second pipeline beside f's: another code repository that
// promotes into f's manifests repository, into teams/b/{env}, with the
// same env names, so that its pr envs share f's branches kiln/<env>. It
// returns the pipeline and the Options of its promotions of env.
func teamB(t *testing.T, f *fixture) (*fixture, func(env string, log *bytes.Buffer) Options) {
	t.Helper()
	b := &fixture{code: filepath.Join(t.TempDir(), "code-b"), remote: f.remote, gh: f.gh}
	files := project(f.remote)
	files["kiln.yaml"] = strings.Replace(files["kiln.yaml"], "path: clusters/{env}", "path: teams/b/{env}", 1)
	if err := os.MkdirAll(b.code, 0o755); err != nil {
		t.Fatal(err)
	}
	gittest.Git(t, b.code, "init", "-q", "--initial-branch=main")
	b.commitCode(t, files, "team b")
	return b, func(env string, log *bytes.Buffer) Options {
		o := b.opts(t, env, log)
		o.Render.Source.Repo = "https://github.com/acme/team-b"
		return o
	}
}

// withoutPathTrailer replaces the tip of branch by its commit as a kiln
// without the Kiln-Path trailer made it.
func withoutPathTrailer(t *testing.T, f *fixture, branch string) {
	t.Helper()
	msg := gittest.Git(t, f.remote, "log", "-1", "--format=%B", branch)
	var kept []string
	for _, line := range strings.Split(msg, "\n") {
		if !strings.HasPrefix(line, "Kiln-Path: ") {
			kept = append(kept, line)
		}
	}
	if len(kept) == len(strings.Split(msg, "\n")) {
		t.Fatalf("the tip of %s has no Kiln-Path trailer:\n%s", branch, msg)
	}
	c := gittest.Git(t, f.remote, "commit-tree", branch+"^{tree}", "-p", branch+"^", "-m", strings.Join(kept, "\n"))
	gittest.Git(t, f.remote, "update-ref", "refs/heads/"+branch, c)
}

// TestOtherPipelinesPendingPromotionKept: two code repositories promote
// into one manifests repository, each into its own folder, and both have
// an env staging, so both promote it on kiln/staging. The second used to
// take the first's commit there for its own (it has the trailer
// Kiln-Env: staging) and force-push over it: the first's release vanished
// from its open pull request, whose title and body then described the
// second's. It is refused, dry run included, naming the branch, the other
// folder and the pull request, whether kiln's Kiln-Path trailer says whose
// the commit is or, for a commit of an older kiln, the folder it changed.
// The same pipeline's promotions go on as before, and once the manifests
// branch holds the other pipeline's promotion (merged, its branch left
// behind), the branch is replaced.
func TestOtherPipelinesPendingPromotionKept(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b, optsB := teamB(t, f)
	resA, err := promote(t, f, f.opts(t, "staging", &bytes.Buffer{}))
	if err != nil || resA.PRNumber != 1 {
		t.Fatalf("team A: %+v, %v", resA, err)
	}
	title := f.gh.pr(1).Title
	refused := func(t *testing.T, dry bool) {
		t.Helper()
		tip := gittest.Git(t, f.remote, "rev-parse", "kiln/staging")
		o := optsB("staging", &bytes.Buffer{})
		o.DryRun = dry
		_, err := promote(t, b, o)
		want := []string{"kiln/staging holds another pipeline's promotion of env staging, into clusters/staging",
			"which main does not hold yet: promoting into teams/b/staging would replace it",
			"merge ", "or close it and delete the branch kiln/staging"}
		if !dry {
			want = append(want, "(pull request #1)", "merge pull request #1 first")
		}
		for _, w := range want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("team B (dry run %v): %v, want an error saying %q", dry, err, w)
			}
		}
		if now := gittest.Git(t, f.remote, "rev-parse", "kiln/staging"); now != tip {
			t.Errorf("team B (dry run %v) moved kiln/staging from %s to %s", dry, tip[:7], now[:7])
		}
	}
	refused(t, false)
	refused(t, true)
	if pr := f.gh.pr(1); pr.Title != title || f.gh.count() != 1 {
		t.Errorf("team B wrote pull request #1 (%q, %d pull requests)", pr.Title, f.gh.count())
	}

	// As an older kiln made it: the folder it changed tells whose it is,
	// for either pipeline.
	withoutPathTrailer(t, f, "kiln/staging")
	refused(t, false)
	f.commitCode(t, map[string]string{"apps/web/service.yaml": strings.Replace(project("")["apps/web/service.yaml"], "port: 80", "port: 8080", 1)}, "port")
	if res, err := promote(t, f, f.opts(t, "staging", &bytes.Buffer{})); err != nil || res.PRNumber != 1 {
		t.Fatalf("team A over its own older kiln's commit: %+v, %v", res, err)
	}

	// Merged, its branch left behind: nothing of it would be lost.
	gittest.Git(t, f.remote, "update-ref", "refs/heads/main", "refs/heads/kiln/staging")
	if err := f.gh.ClosePR(context.Background(), "acme", "manifests", 1, "merged"); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	res, err := promote(t, b, optsB("staging", &log))
	if err != nil || res.PRNumber != 2 {
		t.Fatalf("team B after team A's merge: %+v, %v\n%s", res, err, log.String())
	}
	if !strings.Contains(log.String(), "kiln/staging holds another pipeline's promotion, into clusters/staging, which main already holds; replacing it") {
		t.Errorf("log:\n%s", log.String())
	}
}

// TestNoOpLeavesOtherPipelinesPullRequestOpen: a promotion that finds the
// manifests branch holding its env's folder closes the env's pull request.
// Another pipeline that promotes the same env name into another folder
// shares that pull request's branch, kiln/<env>: its pull request is not
// this pipeline's to judge, and used to be closed with a comment that
// nothing was left to promote. It stays open, and the log says why.
func TestNoOpLeavesOtherPipelinesPullRequestOpen(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b, optsB := teamB(t, f)
	if _, err := promote(t, b, optsB("staging", &bytes.Buffer{})); err != nil {
		t.Fatal(err)
	}
	// Team B's pull request merged, then team A opens its own.
	gittest.Git(t, f.remote, "update-ref", "refs/heads/main", "refs/heads/kiln/staging")
	if err := f.gh.ClosePR(context.Background(), "acme", "manifests", 1, "merged"); err != nil {
		t.Fatal(err)
	}
	resA, err := promote(t, f, f.opts(t, "staging", &bytes.Buffer{}))
	if err != nil || resA.PRNumber != 2 {
		t.Fatalf("team A: %+v, %v", resA, err)
	}

	var log bytes.Buffer
	res, err := promote(t, b, optsB("staging", &log))
	if err != nil || res.Changed || res.ClosedPR != 0 {
		t.Fatalf("team B with nothing to promote: %+v, %v", res, err)
	}
	if pr := f.gh.pr(2); pr.State != "open" || len(f.gh.comments[2]) != 0 {
		t.Errorf("team B closed team A's pull request #2 (%s): %q", pr.State, f.gh.comments[2])
	}
	if !strings.Contains(log.String(), "env staging: kiln/staging holds another pipeline's promotion, into clusters/staging, so its pull request stays open") {
		t.Errorf("log:\n%s", log.String())
	}
}
