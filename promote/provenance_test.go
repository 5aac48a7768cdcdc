package promote

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/promote/internal/gittest"
	"github.com/kiln-gitops/kiln/render"
)

// lockOn reads env's kiln.lock.json on a branch of the manifests repository.
func lockOn(t *testing.T, f *fixture, branch, env string) *render.Lock {
	t.Helper()
	data, ok := gittest.Files(t, f.remote, branch)["clusters/"+env+"/kiln.lock.json"]
	if !ok {
		t.Fatalf("%s holds no lock of env %s", branch, env)
	}
	l, err := render.ParseLock([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestNoOpCommitPush: in push mode, a source commit that changes no object
// pushes nothing, and the lock keeps naming the commit that last changed
// one; a commit that changes an object is pushed with its provenance.
func TestNoOpCommitPush(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	first := f.head(t)
	if _, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{})); err != nil {
		t.Fatal(err)
	}
	tip := gittest.Git(t, f.remote, "rev-parse", "main")

	f.commitCode(t, map[string]string{"README.md": "docs only\n"}, "docs")
	var log bytes.Buffer
	res, err := promote(t, f, f.opts(t, "dev", &log))
	if err != nil {
		t.Fatal(err)
	}
	if res.Changed || res.Commit != "" || len(res.Files) != 0 {
		t.Errorf("no-op commit promoted: %+v", res)
	}
	if got := gittest.Git(t, f.remote, "rev-parse", "main"); got != tip {
		t.Errorf("main moved to %s on a commit that changes no object", got)
	}
	if got := lockOn(t, f, "main", "dev").Source.Commit; got != first {
		t.Errorf("lock names %s, want the commit that rendered the objects, %s", got, first)
	}
	if !strings.Contains(log.String(), "nothing to promote") {
		t.Errorf("log does not say there is nothing to promote:\n%s", log.String())
	}
	d, err := Diff(context.Background(), f.pipeline(t), DiffOptions{Env: "dev", Render: f.opts(t, "dev", nil).Render, GitEnv: gittest.Env(), WorkDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if d.Changed || len(d.Changes) != 0 || d.Unified(false) != "" {
		t.Errorf("diff of a no-op commit = %+v\n%s", d, d.Unified(false))
	}

	// An object changes: the lock moves with it.
	cfg := strings.Replace(project(f.remote)["kiln.yaml"], "name: cache\n    namespace: shop", "name: cache\n    namespace: store", 1)
	changed := f.commitCode(t, map[string]string{"kiln.yaml": cfg}, "move cache")
	res, err = promote(t, f, f.opts(t, "dev", &bytes.Buffer{}))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Changed || res.Commit == "" {
		t.Fatalf("object change not promoted: %+v", res)
	}
	if got := lockOn(t, f, "main", "dev").Source.Commit; got != changed {
		t.Errorf("lock names %s after an object change, want %s", got, changed)
	}
}

// TestNoOpCommitPullRequest: in pr mode, a source commit that changes no
// object neither pushes kiln/<env> nor changes its pull request, whether
// the base or only the open pull request holds the env.
func TestNoOpCommitPullRequest(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	first := f.head(t)
	res, err := promote(t, f, f.opts(t, "staging", &bytes.Buffer{}))
	if err != nil || res.PRNumber != 1 {
		t.Fatalf("first promotion: %+v, %v", res, err)
	}
	branchTip := gittest.Git(t, f.remote, "rev-parse", "kiln/staging")
	title := f.gh.prs[0].Title

	f.commitCode(t, map[string]string{"README.md": "docs only\n"}, "docs")
	res, err = promote(t, f, f.opts(t, "staging", &bytes.Buffer{}))
	if err != nil {
		t.Fatal(err)
	}
	if got := gittest.Git(t, f.remote, "rev-parse", "kiln/staging"); got != branchTip {
		t.Errorf("kiln/staging was pushed again (%s) for a commit that changes no object", got)
	}
	if res.Commit != branchTip || res.SourceCommit != first {
		t.Errorf("result = %+v, want the open pull request's commit %s from source %s", res, branchTip, first)
	}
	if len(f.gh.prs) != 1 || f.gh.prs[0].Title != title || !strings.Contains(title, first[:7]) {
		t.Errorf("pull requests = %+v, want #1 titled %q still", f.gh.prs, title)
	}
	if got := lockOn(t, f, "kiln/staging", "staging").Source.Commit; got != first {
		t.Errorf("the pull request's lock names %s, want %s", got, first)
	}

	// GitHub's "Update branch" merged main into kiln/staging: the branch
	// still holds kiln's promotion and nothing of anyone else's.
	gittest.Update(t, f.remote, "main", map[string]string{"clusters/prod/other.yaml": "x\n"}, nil, "other")
	tree := gittest.Git(t, f.remote, "merge-tree", "--write-tree", "kiln/staging", "main")
	merge := gittest.Git(t, f.remote, "commit-tree", tree, "-p", "kiln/staging", "-p", "main", "-m", "Merge branch 'main' into kiln/staging")
	gittest.Git(t, f.remote, "update-ref", "refs/heads/kiln/staging", merge)
	f.commitCode(t, map[string]string{"README.md": "more docs\n"}, "docs")
	if res, err = promote(t, f, f.opts(t, "staging", &bytes.Buffer{})); err != nil {
		t.Fatal(err)
	}
	if res.SourceCommit != first || f.gh.prs[0].Title != title {
		t.Errorf("after Update branch: source %s, title %q; want %s, %q", res.SourceCommit, f.gh.prs[0].Title, first, title)
	}
}

// TestDirtyRefused: a tree rendered from uncommitted changes is refused,
// rendered here or by kiln render (--rendered), unless AllowDirty; then the
// lock on the manifests branch says so.
func TestDirtyRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	dirty := func() Options {
		o := f.opts(t, "dev", &bytes.Buffer{})
		o.Render.Source.Dirty = true
		return o
	}
	_, err := promote(t, f, dirty())
	if err == nil || !strings.Contains(err.Error(), "uncommitted changes") || !strings.Contains(err.Error(), "--allow-dirty") {
		t.Fatalf("dirty promotion: %v, want it refused naming --allow-dirty", err)
	}
	if got := gittest.Log(t, f.remote, "main"); len(got) != 1 {
		t.Errorf("a refused promotion pushed: %v", got)
	}

	// The same tree rendered first, then promoted with --rendered.
	out := t.TempDir()
	writeRender(t, f, dirty().Render, out)
	o := renderedOpts(t, f, "dev", out, &bytes.Buffer{})
	if _, err := promote(t, f, o); err == nil || !strings.Contains(err.Error(), "uncommitted changes") {
		t.Errorf("--rendered dirty tree: %v, want it refused", err)
	}

	o = dirty()
	o.AllowDirty = true
	res, err := promote(t, f, o)
	if err != nil || !res.Changed {
		t.Fatalf("--allow-dirty: %+v, %v", res, err)
	}
	if l := lockOn(t, f, "main", "dev"); !l.Source.Dirty || l.Source.Commit != f.head(t) {
		t.Errorf("lock source = %+v, want dirty at %s", l.Source, f.head(t))
	}
}

// TestGateAfterNoOpCommit: after a source commit that changed no object of
// dev, dev's lock still names the commit that rendered it, and promoting
// staging from dev wants the working tree there, so that staging gets the
// templates dev runs.
func TestGateAfterNoOpCommit(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	first := f.head(t)
	if _, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{})); err != nil {
		t.Fatal(err)
	}
	second := f.commitCode(t, map[string]string{"README.md": "docs only\n"}, "docs")
	if res, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{})); err != nil || res.Changed {
		t.Fatalf("no-op commit: %+v, %v", res, err)
	}
	successAll(t, f, "dev")
	_, err := promote(t, f, f.fromDev(t, &bytes.Buffer{}))
	if err == nil || !strings.Contains(err.Error(), "is at "+second[:7]+", but env dev was rendered from "+first) ||
		!strings.Contains(err.Error(), "git checkout "+first) {
		t.Fatalf("promotion from dev at the no-op commit: %v, want the commit to check out named", err)
	}
	gittest.Git(t, f.code, "checkout", "-q", first)
	res, err := promote(t, f, f.fromDev(t, &bytes.Buffer{}))
	if err != nil || !res.Changed || res.SourceCommit != first {
		t.Fatalf("promotion from dev at its commit: %+v, %v", res, err)
	}
}

// TestFromDirtyRefused: an env promoted with --allow-dirty runs a tree no
// commit renders. Promoting the next env from it renders the lock's commit
// without those changes, so the next env would not get what the env runs,
// though the gate says it is healthy: refused unless --allow-dirty, and
// then said.
func TestFromDirtyRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	o := f.opts(t, "dev", &bytes.Buffer{})
	o.Render.Source.Dirty, o.AllowDirty = true, true
	if _, err := promote(t, f, o); err != nil {
		t.Fatal(err)
	}
	successAll(t, f, "dev")
	_, err := promote(t, f, f.fromDev(t, &bytes.Buffer{}))
	want := "env dev runs a tree rendered from uncommitted changes on top of " + f.head(t)[:7] + " (its kiln.lock.json: source.dirty), so no commit renders what it runs, and staging rendered from " + f.head(t)[:7] + " would not get it"
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "--allow-dirty") {
		t.Fatalf("promotion from a dirty env: %v, want %q naming --allow-dirty", err, want)
	}
	if f.gh.count() != 0 || len(gittest.Heads(t, f.remote)) != 1 {
		t.Errorf("a refused promotion opened a PR or pushed: %d PRs, heads %v", f.gh.count(), gittest.Heads(t, f.remote))
	}

	var log bytes.Buffer
	o = f.fromDev(t, &log)
	o.AllowDirty = true
	res, err := promote(t, f, o)
	if err != nil || !res.Changed {
		t.Fatalf("--allow-dirty: %+v, %v", res, err)
	}
	if !strings.Contains(log.String(), "warning: "+want) {
		t.Errorf("--allow-dirty does not warn:\n%s", log.String())
	}
}
