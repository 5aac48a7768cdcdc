package promote

import (
	"bytes"
	"context"
	"fmt"
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
// folder and, when known, the pull request, for a commit of any kiln: what
// the branch changes outside the env's folder decides, not the trailer.
// The same pipeline's promotions go on as before, also once the manifests
// branch moved on elsewhere (its merge base then read from the history),
// and once the manifests branch holds the other pipeline's promotion
// (squash-merged, its branch left behind), the branch is replaced.
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
		want := []string{"holds changes main does not hold yet outside teams/b/staging, this pipeline's folder of env staging: another pipeline's promotion into clusters/staging; promoting would replace them",
			"delete the branch kiln/staging (which closes its pull request); then promote again"}
		if dry {
			// No token to ask GitHub with: the hint holds without a number.
			want = append(want, "kiln/staging holds changes", "merge the pull request from kiln/staging first if one is open; or, if what it changes is not wanted")
		} else {
			want = append(want, "kiln/staging (pull request #1) holds changes", "merge pull request #1 first")
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

	// As an older kiln made it, with the manifests branch moved on
	// elsewhere since: what the branch changes tells whose it is, for
	// either pipeline.
	withoutPathTrailer(t, f, "kiln/staging")
	gittest.Update(t, f.remote, "main", map[string]string{"clusters/prod/notes.txt": "elsewhere\n"}, nil, "elsewhere")
	refused(t, false)
	f.commitCode(t, map[string]string{"apps/web/service.yaml": strings.Replace(project("")["apps/web/service.yaml"], "port: 80", "port: 8080", 1)}, "port")
	if res, err := promote(t, f, f.opts(t, "staging", &bytes.Buffer{})); err != nil || res.PRNumber != 1 {
		t.Fatalf("team A over its own older kiln's commit: %+v, %v", res, err)
	}

	// Squash-merged, its branch left behind: the branch's tree is on
	// main, though not its commits, and nothing of it would be lost.
	squash := gittest.Git(t, f.remote, "commit-tree", "kiln/staging^{tree}", "-p", "main", "-m", "kiln: staging (#1)")
	gittest.Git(t, f.remote, "update-ref", "refs/heads/main", squash)
	if err := f.gh.ClosePR(context.Background(), "acme", "manifests", 1, "merged"); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	res, err := promote(t, b, optsB("staging", &log))
	if err != nil || res.PRNumber != 2 {
		t.Fatalf("team B after team A's merge: %+v, %v\n%s", res, err, log.String())
	}
}

// teamAPendingAfterB is a fixture (team A) and team B's pipeline into
// the same manifests repository: team B's staging promotion merged, then
// team A's opened as pull request #2 of kiln/staging, pending.
func teamAPendingAfterB(t *testing.T) (*fixture, *fixture, func(env string, log *bytes.Buffer) Options) {
	t.Helper()
	f := newFixture(t)
	b, optsB := teamB(t, f)
	if _, err := promote(t, b, optsB("staging", &bytes.Buffer{})); err != nil {
		t.Fatal(err)
	}
	gittest.Git(t, f.remote, "update-ref", "refs/heads/main", "refs/heads/kiln/staging")
	if err := f.gh.ClosePR(context.Background(), "acme", "manifests", 1, "merged"); err != nil {
		t.Fatal(err)
	}
	if res, err := promote(t, f, f.opts(t, "staging", &bytes.Buffer{})); err != nil || res.PRNumber != 2 {
		t.Fatalf("team A: %+v, %v", res, err)
	}
	return f, b, optsB
}

// TestNoOpLeavesOtherPipelinesPullRequestOpen: a promotion that finds the
// manifests branch holding its env's folder closes the env's pull request.
// Another pipeline that promotes the same env name into another folder
// shares that pull request's branch, kiln/<env>: its pull request is not
// this pipeline's to judge, and used to be closed with a comment that
// nothing was left to promote. It stays open, and the log says why.
func TestNoOpLeavesOtherPipelinesPullRequestOpen(t *testing.T) {
	t.Parallel()
	f, b, optsB := teamAPendingAfterB(t)

	var log bytes.Buffer
	res, err := promote(t, b, optsB("staging", &log))
	if err != nil || res.Changed || res.ClosedPR != 0 {
		t.Fatalf("team B with nothing to promote: %+v, %v", res, err)
	}
	if pr := f.gh.pr(2); pr.State != "open" || len(f.gh.comments[2]) != 0 {
		t.Errorf("team B closed team A's pull request #2 (%s): %q", pr.State, f.gh.comments[2])
	}
	if !strings.Contains(log.String(), "env staging: kiln/staging holds changes main does not hold yet outside teams/b/staging (another pipeline's promotion into clusters/staging), so its pull request stays open") {
		t.Errorf("log:\n%s", log.String())
	}
}

// TestOtherPipelineKeptPastUpdateMerges: an "Update branch" bot merged
// main into team A's pending kiln/staging more often than kiln reads back
// (foreignDepth), and main moved on after. kiln's commit is then beyond the
// history read, and team B's runs took the branch for their own: a no-op
// run closed team A's pull request, and a change force-pushed over it,
// with --replace-foreign-commits. What the branch changes since its merge
// base with main decides instead, at any depth. A reviewer's commit that
// deep, outside the env's folder, is still a commit of others for team A:
// refused, and dropped only with --replace-foreign-commits.
func TestOtherPipelineKeptPastUpdateMerges(t *testing.T) {
	t.Parallel()
	f, b, optsB := teamAPendingAfterB(t)
	gittest.Update(t, f.remote, "kiln/staging", map[string]string{"docs/notes.md": "rollout\n"}, nil, "Add rollout notes")
	// Commits of main that change nothing, each merged in: what the
	// merges bring is beside the point, their number is not, and two git
	// calls a round keep the test cheap.
	mainTip, branchTip := gittest.Git(t, f.remote, "rev-parse", "main"), gittest.Git(t, f.remote, "rev-parse", "kiln/staging")
	mainTree, branchTree := gittest.Git(t, f.remote, "rev-parse", "main^{tree}"), gittest.Git(t, f.remote, "rev-parse", "kiln/staging^{tree}")
	for i := 0; i <= foreignDepth; i++ {
		mainTip = gittest.Git(t, f.remote, "commit-tree", mainTree, "-p", mainTip, "-m", fmt.Sprintf("docs %d", i))
		branchTip = gittest.Git(t, f.remote, "commit-tree", branchTree, "-p", branchTip, "-p", mainTip, "-m", "Merge branch 'main' into kiln/staging")
	}
	gittest.Git(t, f.remote, "update-ref", "refs/heads/main", mainTip)
	gittest.Git(t, f.remote, "update-ref", "refs/heads/kiln/staging", branchTip)
	gittest.Update(t, f.remote, "main", map[string]string{"clusters/prod/notes.txt": "later\n"}, nil, "later")
	tip := gittest.Git(t, f.remote, "rev-parse", "kiln/staging")

	var log bytes.Buffer
	o := optsB("staging", &log)
	o.ReplaceForeignCommits = true
	res, err := promote(t, b, o)
	if err != nil || res.Changed || res.ClosedPR != 0 {
		t.Fatalf("team B with nothing to promote: %+v, %v", res, err)
	}
	if pr := f.gh.pr(2); pr.State != "open" || len(f.gh.comments[2]) != 0 {
		t.Errorf("team B closed team A's pull request #2 (%s): %q", pr.State, f.gh.comments[2])
	}
	if !strings.Contains(log.String(), "(another pipeline's promotion into clusters/staging, docs/notes.md), so its pull request stays open") {
		t.Errorf("log:\n%s", log.String())
	}

	b.commitCode(t, map[string]string{"apps/web/service.yaml": strings.Replace(project("")["apps/web/service.yaml"], "port: 80", "port: 8080", 1)}, "port")
	o = optsB("staging", &bytes.Buffer{})
	o.ReplaceForeignCommits = true
	_, err = promote(t, b, o)
	if err == nil || !strings.Contains(err.Error(), "kiln/staging (pull request #2) holds changes main does not hold yet outside teams/b/staging") {
		t.Errorf("team B's change: %v, want it refused", err)
	}
	if now := gittest.Git(t, f.remote, "rev-parse", "kiln/staging"); now != tip {
		t.Errorf("team B moved kiln/staging from %s to %s", tip[:7], now[:7])
	}

	f.commitCode(t, map[string]string{"apps/web/service.yaml": strings.Replace(project("")["apps/web/service.yaml"], "port: 80", "port: 8080", 1)}, "port")
	_, err = promote(t, f, f.opts(t, "staging", &bytes.Buffer{}))
	if want := "kiln/staging holds changes to 1 file outside clusters/staging that main does not hold, which this promotion would replace: docs/notes.md"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("team A: %v, want %q", err, want)
	}
	log.Reset()
	o = f.opts(t, "staging", &log)
	o.ReplaceForeignCommits = true
	if res, err := promote(t, f, o); err != nil || res.PRNumber != 2 {
		t.Errorf("team A with ReplaceForeignCommits: %+v, %v", res, err)
	}
	if !strings.Contains(log.String(), "warning: replacing kiln/staging, which holds changes to 1 file outside clusters/staging that main does not hold: docs/notes.md") {
		t.Errorf("log:\n%s", log.String())
	}
}

// TestFolderOfThisRepositoryRefused: kiln/<env> holds a pending promotion
// into another folder whose lock names this code repository and env. That
// is this pipeline's folder before its manifests.path changed, or the
// folder of another kiln.yaml of the same repository (--config), which no
// lock tells apart: replacing it would drop the second's pending release,
// so kiln refuses, names the folder, and says that deleting the branch is
// the way on after a move; a no-op run leaves the pull request open.
func TestFolderOfThisRepositoryRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if res, err := promote(t, f, f.opts(t, "staging", &bytes.Buffer{})); err != nil || res.PRNumber != 1 {
		t.Fatalf("first: %+v, %v", res, err)
	}
	tip := gittest.Git(t, f.remote, "rev-parse", "kiln/staging")

	// Another kiln.yaml of the same repository.
	b, optsB := teamB(t, f)
	o := optsB("staging", &bytes.Buffer{})
	o.Render.Source.Repo = f.opts(t, "staging", &bytes.Buffer{}).Render.Source.Repo
	if o.Render.Source.Repo == "" {
		o.Render.Source.Repo = "https://github.com/acme/shop"
	}
	_, err := promote(t, b, o)
	for _, w := range []string{"holds changes main does not hold yet outside teams/b/staging", "this code repository's promotion into clusters/staging",
		"if clusters/staging was this pipeline's folder before its manifests.path changed, delete the branch kiln/staging"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("the second kiln.yaml's promote: %v, want an error saying %q", err, w)
		}
	}
	if now := gittest.Git(t, f.remote, "rev-parse", "kiln/staging"); now != tip {
		t.Errorf("kiln/staging moved from %s to %s", tip, now)
	}

	// The move itself: refused the same way, and deleting the branch
	// lets the pipeline promote its new folder.
	cfg := strings.Replace(project(f.remote)["kiln.yaml"], "path: clusters/{env}", "path: deploy/{env}", 1)
	f.commitCode(t, map[string]string{"kiln.yaml": cfg}, "move")
	var log bytes.Buffer
	if _, err := promote(t, f, f.opts(t, "staging", &log)); err == nil || !strings.Contains(err.Error(), "this code repository's promotion into clusters/staging") {
		t.Fatalf("after the move: %v, want a refusal naming clusters/staging\n%s", err, log.String())
	}
	gittest.Git(t, f.remote, "update-ref", "-d", "refs/heads/kiln/staging")
	if _, err := promote(t, f, f.opts(t, "staging", &bytes.Buffer{})); err != nil {
		t.Fatalf("after deleting the branch: %v", err)
	}
	files := gittest.Files(t, f.remote, "kiln/staging")
	if _, ok := files["deploy/staging/kiln.lock.json"]; !ok {
		t.Errorf("kiln/staging holds no deploy/staging/kiln.lock.json")
	}
}

// TestUnrelatedBranchRefused: when kiln finds no merge base of kiln/<env>
// and the manifests branch in the history it reads (here a branch with
// history of its own), it cannot tell what the pull request changes
// outside the env's folder, and refuses to replace it, whatever
// --replace-foreign-commits says, rather than drop a change.
func TestUnrelatedBranchRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	files := gittest.Files(t, f.remote, "main")
	files["NOTES.md"] = "kept\n"
	gittest.Commit(t, f.remote, "kiln/staging", files, "notes")
	o := f.opts(t, "staging", &bytes.Buffer{})
	o.ReplaceForeignCommits = true
	_, err := promote(t, f, o)
	for _, w := range []string{"kiln/staging and main differ outside clusters/staging, this pipeline's folder of env staging (NOTES.md), and kiln cannot tell whether kiln/staging changed that or main did: kiln found no commit of main in the history of kiln/staging it read",
		`merge main into kiln/staging (GitHub's "Update branch")`} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("promote: %v, want an error saying %q", err, w)
		}
	}
}

// TestInEnv: a path is the env's only below its folder, not in a sibling
// whose name starts with the folder's, nor in another env's folder nested
// in it.
func TestInEnv(t *testing.T) {
	r := &run{dir: "clusters/prod"}
	envDirs := []string{"clusters", "clusters/prod/eu", "clusters/prod-eu"}
	for p, want := range map[string]bool{
		"clusters/prod/kiln.lock.json":     true,
		"clusters/prod/apps/web/x.yaml":    true,
		"clusters/prod-eu/kiln.lock.json":  false,
		"clusters/prod-eu":                 false,
		"clusters/prod/eu/kiln.lock.json":  false,
		"clusters/prod/eu/apps/web/x.yaml": false,
		"clusters/prod/europe/apps/x.yaml": true,
		"clusters/kiln.lock.json":          false,
		"README.md":                        false,
	} {
		if got := r.inEnv(p, envDirs); got != want {
			t.Errorf("inEnv(%q) = %v, want %v", p, got, want)
		}
	}
}

// TestOwnRerunFetchesNoHistory: the common rerun, kiln's own commit at the
// tip of kiln/<env> while the manifests branch moved on elsewhere (another
// env's pull request merged): what the branch changes is what that commit
// changes, read from its parent, with no history of either branch.
func TestOwnRerunFetchesNoHistory(t *testing.T) {
	f := newFixture(t)
	if _, err := promote(t, f, f.opts(t, "staging", &bytes.Buffer{})); err != nil {
		t.Fatal(err)
	}
	gittest.Update(t, f.remote, "main", map[string]string{"clusters/prod/notes.txt": "elsewhere\n"}, nil, "prod merged")
	shim := t.TempDir()
	logf := filepath.Join(shim, "log")
	script := "#!/bin/sh\necho \"$*\" >> " + logf + "\nexec " + gittest.Git(t, f.remote, "--exec-path") + "/git \"$@\"\n"
	if err := os.WriteFile(filepath.Join(shim, "git"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", shim+":"+os.Getenv("PATH"))
	if _, err := promote(t, f, f.opts(t, "staging", &bytes.Buffer{})); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(logf)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "fetch") && (strings.Contains(l, "--depth=50") || strings.Contains(l, "--shallow-since")) {
			t.Errorf("a rerun over kiln's own commit fetched history: git %s", l)
		}
	}
}

// TestOwnRerunAfterBaseRewritten: the manifests branch rewritten and
// force-pushed (git filter-repo to purge a secret) shares no history with
// kiln/<env> left; kiln's own pending commit there is still this
// pipeline's to replace, as before kiln looked for merge bases.
func TestOwnRerunAfterBaseRewritten(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if _, err := promote(t, f, f.opts(t, "staging", &bytes.Buffer{})); err != nil {
		t.Fatal(err)
	}
	gittest.Update(t, f.remote, "main", map[string]string{"clusters/prod/notes.txt": "x\n"}, nil, "prod")
	root := gittest.Git(t, f.remote, "commit-tree", "main^{tree}", "-m", "rewritten")
	gittest.Git(t, f.remote, "update-ref", "refs/heads/main", root)
	f.commitCode(t, map[string]string{"apps/web/service.yaml": strings.Replace(project("")["apps/web/service.yaml"], "port: 80", "port: 8080", 1)}, "port")
	if res, err := promote(t, f, f.opts(t, "staging", &bytes.Buffer{})); err != nil || res.PRNumber != 1 {
		t.Errorf("the pipeline's own rerun after main was rewritten: %+v, %v", res, err)
	}
}
