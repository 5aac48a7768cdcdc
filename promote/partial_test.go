package promote

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/promote/internal/gittest"
	"github.com/kiln-gitops/kiln/render"
)

// renderTo renders env of the fixture with ro at the code repository's
// HEAD and writes it into out as kiln render --out does; with ro.Apps, the
// other apps are kept from out's earlier tree, as kiln render --app keeps
// them.
func renderTo(t *testing.T, f *fixture, env string, ro render.Options, out string) *render.EnvResult {
	t.Helper()
	ro.Source.Commit = f.head(t)
	if len(ro.Apps) > 0 {
		ro.Earlier = func(env string) (map[string][]byte, error) { return render.ReadTree(filepath.Join(out, env)) }
	}
	r, err := render.New(f.pipeline(t), ro)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	results, err := r.Render(context.Background(), []string{env})
	if err != nil || results[0].Err != nil {
		t.Fatal(err, results[0].Err)
	}
	if err := render.WriteEnv(out, results[0]); err != nil {
		t.Fatal(err)
	}
	return results[0]
}

// renderedOpts are the options of kiln promote --env env --rendered out,
// which renders nothing itself, logging to log.
func renderedOpts(t *testing.T, f *fixture, env, out string, log *bytes.Buffer) Options {
	t.Helper()
	o := f.opts(t, env, log)
	o.Rendered, o.Render = out, render.Options{Version: "test", LookupEnv: lookup}
	return o
}

// greeting is env's file with GREETING set to g: web uses it, cache does
// not.
func greeting(env, g string) map[string]string {
	return map[string]string{"envs/" + env + ".yaml": "vars:\n  GREETING: " + g + "\nsecretVars:\n  API_KEY: TEST_API_KEY\nallowPlainSecrets: true\n"}
}

// cacheSize is cache's Secret with the size s.
func cacheSize(s string) map[string]string {
	return map[string]string{"apps/cache/configmap.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: cache\nstringData:\n  size: \"" + s + "\"\n  key: \"${API_KEY}\"\n"}
}

// TestAppKeptFromOlderRenderRefused: the open pull request of staging
// holds web as rendered at C2; the user's rendered/staging holds web as of
// C1, and kiln render --app cache at C3 keeps it. The lock says so (web's
// own source), and promoting that tree is refused, naming web and both
// commits: force-pushing kiln/staging would drop web's change from the
// pull request while the lock claimed C3 rendered everything.
func TestAppKeptFromOlderRenderRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c1 := f.head(t)
	out := t.TempDir()
	ro := f.opts(t, "staging", nil).Render
	renderTo(t, f, "staging", ro, out)

	c2 := f.commitCode(t, greeting("staging", "hello-c2"), "web: new greeting")
	if res, err := promote(t, f, f.opts(t, "staging", &bytes.Buffer{})); err != nil || res.PRNumber != 1 {
		t.Fatalf("promotion at C2: %+v, %v", res, err)
	}
	pending := gittest.Git(t, f.remote, "rev-parse", "kiln/staging")

	c3 := f.commitCode(t, cacheSize("128"), "cache: bigger")
	ro.Apps = []string{"cache"}
	renderTo(t, f, "staging", ro, out)
	l, err := render.ParseLock(mustRead(t, filepath.Join(out, "staging", render.LockFile)))
	if err != nil {
		t.Fatal(err)
	}
	if l.Source.Commit != c3 {
		t.Errorf("lock header names %s, want %s", l.Source.Commit, c3)
	}
	if s := l.Apps["web"].Source; s == nil || s.Commit != c1 {
		t.Errorf("kept app web's lock entry has source %+v, want commit %s", s, c1)
	}
	if s := l.Apps["cache"].Source; s != nil {
		t.Errorf("rendered app cache's lock entry has source %+v, want none (the header's)", s)
	}

	o := renderedOpts(t, f, "staging", out, &bytes.Buffer{})
	_, err = promote(t, f, o)
	wantRefused(t, err, "promoting a tree that keeps web from C1 over the pull request's web of C2", "app web", "kiln/staging", c1[:7], c2[:7], "--app web")
	wantUnmoved(t, f, "kiln/staging", pending)
	if !strings.Contains(gittest.Files(t, f.remote, "kiln/staging")["clusters/staging/apps/web/deployment_web.yaml"], "hello-c2") {
		t.Errorf("the pull request lost web's change")
	}

	// Rendering web too makes the tree whole at C3: promoted.
	ro.Apps = []string{"web"}
	renderTo(t, f, "staging", ro, out)
	res, err := promote(t, f, o)
	if err != nil || !res.Changed {
		t.Fatalf("promotion of the tree rendered whole at C3: %+v, %v", res, err)
	}
	if l := lockOn(t, f, "kiln/staging", "staging"); l.Source.Commit != c3 || l.Apps["web"].Source != nil || l.Apps["cache"].Source != nil {
		t.Errorf("lock on kiln/staging = %+v, want every app of %s", l, c3)
	}
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestAppKeptFromNewerRenderPromoted: in push mode, a tree that keeps web
// from a render newer than the manifests branch's is promoted, and says
// so: web's own source in the lock, the commit message and the body. Then
// the manifests branch gets web from a newer whole render, and the same
// tree is refused: it would roll web back. And staging, promoted from
// dev, would be rendered from the lock's commit, which did not render web
// as dev runs it: refused too.
func TestAppKeptFromNewerRenderPromoted(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if _, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{})); err != nil {
		t.Fatal(err)
	}
	c1 := f.commitCode(t, greeting("dev", "hello-c1"), "web: new greeting")
	out := t.TempDir()
	ro := f.opts(t, "dev", nil).Render
	renderTo(t, f, "dev", ro, out)
	c2 := f.commitCode(t, cacheSize("128"), "cache: bigger")
	ro.Apps = []string{"cache"}
	renderTo(t, f, "dev", ro, out)

	o := renderedOpts(t, f, "dev", out, &bytes.Buffer{})
	res, err := promote(t, f, o)
	if err != nil || !res.Changed {
		t.Fatalf("promotion of web kept from C1 over main's web of C0: %+v, %v", res, err)
	}
	l := lockOn(t, f, "main", "dev")
	if l.Source.Commit != c2 || l.Apps["web"].Source == nil || l.Apps["web"].Source.Commit != c1 || l.Apps["cache"].Source != nil {
		t.Errorf("lock on main = %+v, want header %s, web at %s", l, c2, c1)
	}
	msg := gittest.Git(t, f.remote, "log", "-1", "--format=%B", "main")
	if want := "kept as earlier renders made them (kiln render --app): web at " + c1[:7]; !strings.Contains(msg, want) {
		t.Errorf("commit message does not say %q:\n%s", want, msg)
	}
	if want := "`web` at `" + c1[:12] + "`"; !strings.Contains(res.Body, want) {
		t.Errorf("body does not name %s:\n%s", want, res.Body)
	}

	// kiln verify renders C2, which did not render web as main holds it:
	// it says so.
	var vlog bytes.Buffer
	vres, err := Verify(context.Background(), f.pipeline(t), VerifyOptions{Env: "dev", LookupEnv: lookup, Version: "test",
		GitEnv: gittest.Env(), WorkDir: t.TempDir(), Log: &vlog})
	if err != nil || vres.Equal {
		t.Errorf("verify of a tree with a kept app: %+v, %v; want a difference", vres, err)
	}
	if want := "note: the lock keeps 1 app from earlier renders (kiln render --app): web at " + c1[:7] + "; " + c2[:7] + " did not render it"; !strings.Contains(vlog.String(), want) {
		t.Errorf("verify log does not say %q:\n%s", want, vlog.String())
	}

	// staging from dev: dev runs web as C1 rendered it, staging would get
	// C2's.
	successAll(t, f, "dev")
	_, err = promote(t, f, f.fromDev(t, &bytes.Buffer{}))
	wantRefused(t, err, "promotion from dev with a kept app", "env dev runs 1 app kept from earlier renders", "web at "+c1[:7], "its source commit "+c2[:7], "kiln promote --env dev")
	if f.gh.count() != 0 {
		t.Errorf("a refused promotion opened a pull request")
	}

	// A whole render at C2 with another image for web lands on main.
	whole := f.opts(t, "dev", &bytes.Buffer{})
	whole.Render.Images = render.Images{Refs: []string{"ghcr.io/acme/web:2.0.0"}}
	if res, err := promote(t, f, whole); err != nil || !res.Changed {
		t.Fatalf("whole render at C2: %+v, %v", res, err)
	}
	tip := gittest.Git(t, f.remote, "rev-parse", "main")
	_, err = promote(t, f, o)
	wantRefused(t, err, "promotion of web kept from C1 over main's web of C2", "main (the manifests branch) holds web", "app web: kept as rendered at "+c1[:7]+", the branch holds it as rendered at "+c2[:7], "--app web")
	wantUnmoved(t, f, "main", tip)
}

// TestAppKeptOverUnreadablePendingLock: the pull request's branch holds
// web as C2 rendered it, but its kiln.lock.json no longer parses (a hand
// edit), so it names no render. A tree keeping web from C1 is refused
// rather than taken as newer, even when the foreign commit is allowed to
// be replaced.
func TestAppKeptOverUnreadablePendingLock(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	out := t.TempDir()
	ro := f.opts(t, "staging", nil).Render
	renderTo(t, f, "staging", ro, out)
	f.commitCode(t, greeting("staging", "hello-c2"), "web: new greeting")
	if res, err := promote(t, f, f.opts(t, "staging", &bytes.Buffer{})); err != nil || res.PRNumber != 1 {
		t.Fatalf("promotion at C2: %+v, %v", res, err)
	}
	pending := gittest.Update(t, f.remote, "kiln/staging", map[string]string{"clusters/staging/" + render.LockFile: "{not json"}, nil, "a hand edit")

	f.commitCode(t, cacheSize("128"), "cache: bigger")
	ro.Apps = []string{"cache"}
	renderTo(t, f, "staging", ro, out)
	o := renderedOpts(t, f, "staging", out, &bytes.Buffer{})
	o.ReplaceForeignCommits = true
	_, err := promote(t, f, o)
	wantRefused(t, err, "promoting a tree that keeps web over a pull request whose lock does not parse", "app web", "does not parse", "kiln/staging", "--app web")
	wantUnmoved(t, f, "kiln/staging", pending)
}

// TestAppKeptLeavesPullRequestOpen: a tree that keeps web from C1 and
// equals the manifests branch finds nothing to promote, but the open pull
// request holds web as C2 rendered it, a change main does not have: the
// pull request stays open.
func TestAppKeptLeavesPullRequestOpen(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	out := t.TempDir()
	ro := f.opts(t, "staging", nil).Render
	renderTo(t, f, "staging", ro, out)
	if _, err := promote(t, f, f.opts(t, "staging", &bytes.Buffer{})); err != nil {
		t.Fatal(err)
	}
	gittest.Git(t, f.remote, "update-ref", "refs/heads/main", "refs/heads/kiln/staging")
	f.commitCode(t, greeting("staging", "hello-c2"), "web: new greeting")
	if res, err := promote(t, f, f.opts(t, "staging", &bytes.Buffer{})); err != nil || res.PRNumber != 1 {
		t.Fatalf("promotion at C2: %+v, %v", res, err)
	}
	pending := gittest.Git(t, f.remote, "rev-parse", "kiln/staging")

	f.commitCode(t, map[string]string{"README.md": "docs\n"}, "docs")
	ro.Apps = []string{"cache"}
	renderTo(t, f, "staging", ro, out)
	var log bytes.Buffer
	o := renderedOpts(t, f, "staging", out, &log)
	res, err := promote(t, f, o)
	if err != nil || res.Changed || res.ClosedPR != 0 {
		t.Fatalf("promotion of a tree main holds: %+v, %v", res, err)
	}
	if pr := f.gh.pr(1); pr.State != "open" {
		t.Errorf("pull request #1 is %s: web's change of C2 was shelved", pr.State)
	}
	wantUnmoved(t, f, "kiln/staging", pending)
	if !strings.Contains(log.String(), "so its pull request stays open: app web") {
		t.Errorf("log does not say why the pull request stays open:\n%s", log.String())
	}
}

// TestPromoteAppsKeptFromBaseRefused: promote with Render.Apps keeps the
// other apps as the manifests branch has them; when the open pull request
// holds one of them from a newer render, the promotion is refused rather
// than force-pushing the branch's older copy over it.
func TestPromoteAppsKeptFromBaseRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if _, err := promote(t, f, f.opts(t, "staging", &bytes.Buffer{})); err != nil {
		t.Fatal(err)
	}
	gittest.Git(t, f.remote, "update-ref", "refs/heads/main", "refs/heads/kiln/staging")
	c2 := f.commitCode(t, greeting("staging", "hello-c2"), "web: new greeting")
	if _, err := promote(t, f, f.opts(t, "staging", &bytes.Buffer{})); err != nil {
		t.Fatal(err)
	}
	pending := gittest.Git(t, f.remote, "rev-parse", "kiln/staging")
	f.commitCode(t, cacheSize("128"), "cache: bigger")
	o := f.opts(t, "staging", &bytes.Buffer{})
	o.Render.Apps = []string{"cache"}
	_, err := promote(t, f, o)
	wantRefused(t, err, "promote with Render.Apps over a pending change of web", "kiln/staging (the env's pull request) holds web", "the branch holds it as rendered at "+c2[:7], "Options.Render.Apps")
	wantUnmoved(t, f, "kiln/staging", pending)
}

// TestAppKeptDirtyRefused: an app kept from a render of uncommitted
// changes makes the tree one no commit renders, as a dirty render does:
// refused unless AllowDirty.
func TestAppKeptDirtyRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	out := t.TempDir()
	ro := f.opts(t, "dev", nil).Render
	dirty := ro
	dirty.Source.Dirty = true
	renderTo(t, f, "dev", dirty, out)
	c1 := f.head(t)
	c2 := f.commitCode(t, cacheSize("128"), "cache: bigger")
	ro.Apps = []string{"cache"}
	renderTo(t, f, "dev", ro, out)
	o := renderedOpts(t, f, "dev", out, &bytes.Buffer{})
	_, err := promote(t, f, o)
	if err == nil || !strings.Contains(err.Error(), "env dev keeps 1 app from an earlier render of a working tree with uncommitted changes") || !strings.Contains(err.Error(), "--allow-dirty") {
		t.Fatalf("promotion of a tree keeping web from a dirty render: %v, want it refused naming --allow-dirty", err)
	}
	// It names the app with its commit, the tree's, and the command.
	for _, want := range []string{"web at " + c1[:7] + " with uncommitted changes", "source commit is " + c2[:7], "kiln render --env dev --app web --out " + out} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %v does not say %q", err, want)
		}
	}
	o.AllowDirty = true
	if res, err := promote(t, f, o); err != nil || !res.Changed {
		t.Fatalf("--allow-dirty: %+v, %v", res, err)
	}
}

// TestAppKeptOverRewrittenHistory: the pull request of staging holds web
// as rendered at C2, and then the code repository's history was rewritten
// (C2 force-pushed away, and gone from this full clone). A tree that keeps
// web from C1 is refused, since kiln cannot order C1 and C2, and the
// refusal says why: no fetch-depth would help, the history was rewritten.
func TestAppKeptOverRewrittenHistory(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c1 := f.head(t)
	out := t.TempDir()
	ro := f.opts(t, "staging", nil).Render
	renderTo(t, f, "staging", ro, out)

	c2 := f.commitCode(t, greeting("staging", "hello-c2"), "web: new greeting")
	if res, err := promote(t, f, f.opts(t, "staging", &bytes.Buffer{})); err != nil || res.PRNumber != 1 {
		t.Fatalf("promotion at C2: %+v, %v", res, err)
	}
	// The force-push: C2 leaves the history, and the clone forgets it.
	gittest.Git(t, f.code, "reset", "-q", "--hard", c1)
	f.commitCode(t, cacheSize("128"), "cache: bigger")
	gittest.Git(t, f.code, "reflog", "expire", "--expire=now", "--all")
	gittest.Git(t, f.code, "gc", "-q", "--prune=now")

	ro.Apps = []string{"cache"}
	renderTo(t, f, "staging", ro, out)
	o := renderedOpts(t, f, "staging", out, &bytes.Buffer{})
	_, err := promote(t, f, o)
	if err == nil {
		t.Fatal("a tree keeping web from C1 over the pull request's web of C2, which the history lost, was promoted")
	}
	for _, want := range []string{"app web", c1[:7], c2[:7], "rewritten", "--app web"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %v does not name %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "fetch-depth") {
		t.Errorf("refusal in a full clone suggests fetch-depth: 0, which cannot help: %v", err)
	}
}

// wantRefused fails t unless err is a refusal of what naming each of wants.
func wantRefused(t *testing.T, err error, what string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want it refused naming %q", what, err, want)
		}
	}
}

// wantUnmoved fails t unless the remote's branch ref is still at sha.
func wantUnmoved(t *testing.T, f *fixture, ref, sha string) {
	t.Helper()
	if got := gittest.Git(t, f.remote, "rev-parse", ref); got != sha {
		t.Errorf("%s moved to %s: a refused promotion changed it", ref, got)
	}
}
