package promote

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

// TestEditedPullRequestBranch: kiln rebuilds kiln/<env> on every promotion
// and force-pushes it. A commit someone else pushed onto it (an accepted
// review suggestion) must not vanish unnoticed: kiln refuses to replace
// it, as Renovate and Dependabot stop updating a branch someone edited,
// until told to (ReplaceForeignCommits). A merge of the base into the
// branch (GitHub's "Update branch" button) loses nothing and is replaced
// as before.
func TestEditedPullRequestBranch(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	port := 8000
	change := func() {
		port++
		f.commitCode(t, map[string]string{"apps/web/service.yaml": strings.Replace(project("")["apps/web/service.yaml"], "port: 80", "port: "+strconv.Itoa(port), 1)}, "port")
	}
	if _, err := promote(t, f, f.opts(t, "staging", &bytes.Buffer{})); err != nil {
		t.Fatal(err)
	}

	// "Update branch": main moved on and was merged into kiln/staging.
	gittest.Update(t, f.remote, "main", map[string]string{"clusters/prod/other.yaml": "x\n"}, nil, "other")
	tree := gittest.Git(t, f.remote, "merge-tree", "--write-tree", "kiln/staging", "main")
	merge := gittest.Git(t, f.remote, "commit-tree", tree, "-p", "kiln/staging", "-p", "main", "-m", "Merge branch 'main' into kiln/staging")
	gittest.Git(t, f.remote, "update-ref", "refs/heads/kiln/staging", merge)
	change()
	if _, err := promote(t, f, f.opts(t, "staging", &bytes.Buffer{})); err != nil {
		t.Fatalf("after a merge of main into kiln/staging: %v", err)
	}

	// A reviewer's suggestion, accepted on the pull request.
	path := "clusters/staging/apps/web/deployment_web.yaml"
	edited := strings.Replace(gittest.Files(t, f.remote, "kiln/staging")[path], "replicas: 1", "replicas: 3", 1)
	suggestion := gittest.Update(t, f.remote, "kiln/staging", map[string]string{path: edited}, nil, "Apply suggestions from code review")
	change()
	for _, dry := range []bool{true, false} {
		o := f.opts(t, "staging", &bytes.Buffer{})
		o.DryRun = dry
		_, err := promote(t, f, o)
		if err == nil || !strings.Contains(err.Error(), suggestion[:7]) || !strings.Contains(err.Error(), "Apply suggestions from code review") || !strings.Contains(err.Error(), "Test <test@example.com>") {
			t.Errorf("dry run %v: %v, want a refusal naming the reviewer's commit", dry, err)
		}
	}
	if got := gittest.Git(t, f.remote, "rev-parse", "kiln/staging"); got != suggestion {
		t.Fatalf("kiln/staging = %s, want the reviewer's commit %s kept", got, suggestion)
	}

	// Many: the first five are named.
	for i := range 6 {
		gittest.Update(t, f.remote, "kiln/staging", map[string]string{"notes/" + strconv.Itoa(i): "x\n"}, nil, "note "+strconv.Itoa(i))
	}
	o := f.opts(t, "staging", &bytes.Buffer{})
	o.DryRun = true
	if _, err := promote(t, f, o); err == nil || !strings.Contains(err.Error(), "holds 7 commits kiln did not make") || !strings.Contains(err.Error(), "note 5") || !strings.Contains(err.Error(), "and 2 more") {
		t.Errorf("seven commits: %v", err)
	}

	// Told to replace them: they go, and the log names them.
	var log bytes.Buffer
	o = f.opts(t, "staging", &log)
	o.ReplaceForeignCommits = true
	res, err := promote(t, f, o)
	if err != nil {
		t.Fatal(err)
	}
	if got := gittest.Git(t, f.remote, "rev-parse", "kiln/staging"); got != res.Commit || !strings.Contains(log.String(), "note 5") || !strings.Contains(log.String(), suggestion[:7]) {
		t.Errorf("kiln/staging = %s, want %s; log:\n%s", got, res.Commit, log.String())
	}
}

// TestNoOpKeepsPullRequestWithForeignCommits: when the manifests branch
// already holds the env's render, kiln closes the env's pull request,
// commenting that nothing is left to promote. A commit someone pushed onto
// kiln/<env> (a reviewer's fix) is something the branch does not hold:
// that pull request used to be closed all the same, shelving the commit
// under a comment that says otherwise. It stays open, with a warning,
// unless ReplaceForeignCommits.
func TestNoOpKeepsPullRequestWithForeignCommits(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if _, err := promote(t, f, f.opts(t, "staging", &bytes.Buffer{})); err != nil {
		t.Fatal(err)
	}
	kiln := gittest.Git(t, f.remote, "rev-parse", "kiln/staging")
	fix := gittest.Update(t, f.remote, "kiln/staging", map[string]string{"clusters/staging/NOTES.md": "why\n"}, nil, "Add the rollout notes")
	// main comes to hold the env's render (kiln's commit alone).
	gittest.Git(t, f.remote, "update-ref", "refs/heads/main", kiln)

	var log bytes.Buffer
	res, err := promote(t, f, f.opts(t, "staging", &log))
	if err != nil || res.Changed || res.ClosedPR != 0 {
		t.Fatalf("no-op = %+v, %v", res, err)
	}
	if pr := f.gh.pr(1); pr.State != "open" || len(f.gh.comments[1]) != 0 {
		t.Errorf("PR = %+v, comments %q; want it open and uncommented", pr, f.gh.comments[1])
	}
	if !strings.Contains(log.String(), "kiln/staging holds 1 commit kiln did not make ("+fix[:7]+` "Add the rollout notes"`) || !strings.Contains(log.String(), "stays open") {
		t.Errorf("log:\n%s", log.String())
	}

	o := f.opts(t, "staging", &bytes.Buffer{})
	o.ReplaceForeignCommits = true
	if res, err := promote(t, f, o); err != nil || res.ClosedPR != 1 || f.gh.pr(1).State != "closed" {
		t.Errorf("with ReplaceForeignCommits: %+v, %v, PR %+v", res, err, f.gh.pr(1))
	}
}

// TestReplacedBranchDropsEditedLock: a source commit that changes no
// object keeps the open pull request's source commit, read from the lock
// on kiln/<env>. A commit someone pushed there can rewrite that lock to
// name any commit; replacing the branch (ReplaceForeignCommits) used to
// carry that commit into kiln's own commit, lock and title, though this
// run never rendered it. Only kiln's own commit, with nothing after it,
// gives its provenance.
func TestReplacedBranchDropsEditedLock(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if _, err := promote(t, f, f.opts(t, "staging", &bytes.Buffer{})); err != nil {
		t.Fatal(err)
	}
	head := f.head(t)
	const lockPath = "clusters/staging/kiln.lock.json"
	lock := gittest.Files(t, f.remote, "kiln/staging")[lockPath]
	forged := strings.Repeat("d", 40)
	edited := strings.ReplaceAll(lock, head, forged)
	if edited == lock {
		t.Fatalf("the lock names no %s:\n%s", head, lock)
	}
	gittest.Update(t, f.remote, "kiln/staging", map[string]string{lockPath: edited}, nil, "Fix the lock")

	var log bytes.Buffer
	o := f.opts(t, "staging", &log)
	o.ReplaceForeignCommits = true
	res, err := promote(t, f, o)
	if err != nil {
		t.Fatal(err)
	}
	if got := lockOn(t, f, "kiln/staging", "staging").Source.Commit; got != head {
		t.Errorf("kiln/staging's lock names %s, want this run's %s", got, head)
	}
	msg := gittest.Git(t, f.remote, "log", "-1", "--format=%B", "kiln/staging")
	for what, s := range map[string]string{"commit message": msg, "pull request title": f.gh.pr(1).Title} {
		if strings.Contains(s, forged[:7]) {
			t.Errorf("the %s names the edited lock's %s:\n%s", what, forged[:7], s)
		}
	}
	if strings.Contains(log.String(), "keeps its source commit") {
		t.Errorf("log:\n%s", log.String())
	}
	if !strings.Contains(res.Title, head[:7]) {
		t.Errorf("title %q, want this run's %s", res.Title, head[:7])
	}
}

// TestMergeEditingTheFolderCounts: a merge of main into kiln/<env>, as
// GitHub's conflict editor makes it, that also edits the env's folder
// (here the lock, to name another commit) brings in no commit kiln did not
// make, so it was neither named nor refused, and a source commit that
// changes no object kept that lock's commit for its title. Such a merge
// now counts as a commit of others: refused without
// --replace-foreign-commits, named in the warning with it, and the lock
// comes from kiln's own commit, never from the merge.
func TestMergeEditingTheFolderCounts(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if _, err := promote(t, f, f.opts(t, "staging", &bytes.Buffer{})); err != nil {
		t.Fatal(err)
	}
	head := f.head(t)
	gittest.Update(t, f.remote, "main", map[string]string{"clusters/prod/notes.txt": "x\n"}, nil, "notes")
	const lockPath = "clusters/staging/kiln.lock.json"
	files := gittest.Files(t, f.remote, "kiln/staging")
	files["clusters/prod/notes.txt"] = "x\n"
	forged := strings.Repeat("d", 40)
	files[lockPath] = strings.ReplaceAll(files[lockPath], head, forged)
	edited := gittest.Commit(t, f.remote, "kiln/merge", files, "Merge branch 'main' into kiln/staging")
	merge := gittest.Git(t, f.remote, "commit-tree", edited+"^{tree}", "-p", "kiln/staging", "-p", "main", "-m", "Merge branch 'main' into kiln/staging")
	gittest.Git(t, f.remote, "update-ref", "refs/heads/kiln/staging", merge)

	f.commitCode(t, map[string]string{"README.md": "more docs\n"}, "docs")
	var log bytes.Buffer
	_, err := promote(t, f, f.opts(t, "staging", &log))
	want := "kiln/staging holds 1 commit kiln did not make, which this promotion would replace: " + merge[:7] + ` "Merge branch 'main' into kiln/staging" by Test <test@example.com> (a merge that changes clusters/staging beyond what it merges)`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("promote: %v, want %q", err, want)
	}
	if strings.Contains(log.String(), "keeps its source commit") {
		t.Errorf("log:\n%s", log.String())
	}

	log.Reset()
	o := f.opts(t, "staging", &log)
	o.ReplaceForeignCommits = true
	res, err := promote(t, f, o)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "warning: replacing kiln/staging, which holds 1 commit kiln did not make: "+merge[:7]) {
		t.Errorf("log:\n%s", log.String())
	}
	if got := lockOn(t, f, "kiln/staging", "staging").Source.Commit; got != f.head(t) {
		t.Errorf("kiln/staging's lock names %s, want this run's %s", got, f.head(t))
	}
	if strings.Contains(res.Title, forged[:7]) || strings.Contains(f.gh.pr(1).Title, forged[:7]) {
		t.Errorf("titles %q, %q name the merge's %s", res.Title, f.gh.pr(1).Title, forged[:7])
	}
}
