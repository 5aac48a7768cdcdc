package promote

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

// TestOlderSourceNotPromotedOverNewer: a promotion of source commit X that
// finishes after one of Y, a descendant of X (no concurrency group, or an
// old workflow run rerun), must not roll the env back to X: kiln.lock.json
// names the source commit each tree was rendered from, and the code
// repository's history says which is newer.
func TestOlderSourceNotPromotedOverNewer(t *testing.T) {
	t.Parallel()
	// setup returns a fixture whose code repository has X, then Y with
	// another port, checked out at Y.
	setup := func(t *testing.T) (f *fixture, x, y string) {
		f = newFixture(t)
		x = f.head(t)
		y = f.commitCode(t, map[string]string{"apps/web/service.yaml": strings.Replace(project("")["apps/web/service.yaml"], "port: 80", "port: 8080", 1)}, "port")
		return f, x, y
	}
	at := func(t *testing.T, f *fixture, commit string) { gittest.Git(t, f.code, "checkout", "-q", commit) }
	port := func(t *testing.T, f *fixture, branch, env string) bool {
		return strings.Contains(gittest.Files(t, f.remote, branch)["clusters/"+env+"/apps/web/service_web.yaml"], "port: 8080")
	}
	const refused = "promoting would roll the env back"

	t.Run("push: the older run pushes last", func(t *testing.T) {
		t.Parallel()
		f, x, y := setup(t)
		at(t, f, x)
		a := f.opts(t, "dev", &bytes.Buffer{})
		ran := false
		a.hook = func(_ context.Context, step string) error {
			if step != stepPush || ran {
				return nil
			}
			ran = true
			// The newer run, of Y, pushes while the older one is
			// about to push.
			at(t, f, y)
			if _, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{})); err != nil {
				t.Fatalf("run of Y: %v", err)
			}
			return nil
		}
		_, err := promote(t, f, a)
		if err == nil || !strings.Contains(err.Error(), refused) {
			t.Errorf("run of X: %v, want a refusal", err)
		}
		if got := lockOn(t, f, "main", "dev").Source.Commit; got != y || !port(t, f, "main", "dev") {
			t.Errorf("main holds dev from %s (port 8080: %v), want Y %s", got, port(t, f, "main", "dev"), y)
		}
	})
	t.Run("push: an old run rerun", func(t *testing.T) {
		t.Parallel()
		f, x, y := setup(t)
		if _, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{})); err != nil {
			t.Fatal(err)
		}
		at(t, f, x)
		for _, dry := range []bool{true, false} {
			o := f.opts(t, "dev", &bytes.Buffer{})
			o.DryRun = dry
			if _, err := promote(t, f, o); err == nil || !strings.Contains(err.Error(), refused) || !strings.Contains(err.Error(), y[:7]) {
				t.Errorf("dry run %v: %v, want a refusal naming %s", dry, err, y[:7])
			}
		}
		if got := lockOn(t, f, "main", "dev").Source.Commit; got != y {
			t.Errorf("main holds dev from %s, want %s", got, y)
		}
		// On purpose.
		o := f.opts(t, "dev", &bytes.Buffer{})
		o.AllowOlderSource = true
		if _, err := promote(t, f, o); err != nil {
			t.Fatal(err)
		}
		if got := lockOn(t, f, "main", "dev").Source.Commit; got != x || port(t, f, "main", "dev") {
			t.Errorf("with AllowOlderSource main holds dev from %s, want %s", got, x)
		}
	})
	t.Run("pr: an older run after a newer one", func(t *testing.T) {
		t.Parallel()
		f, x, _ := setup(t)
		newer, err := promote(t, f, f.opts(t, "staging", &bytes.Buffer{}))
		if err != nil {
			t.Fatal(err)
		}
		at(t, f, x)
		if _, err := promote(t, f, f.opts(t, "staging", &bytes.Buffer{})); err == nil || !strings.Contains(err.Error(), refused) || !strings.Contains(err.Error(), "kiln/staging") {
			t.Errorf("older run against the open pull request: %v, want a refusal naming kiln/staging", err)
		}
		if got := gittest.Git(t, f.remote, "rev-parse", "kiln/staging"); got != newer.Commit || f.gh.pr(1).Body != newer.Body {
			t.Errorf("kiln/staging or its pull request changed")
		}
		// Merged: the base holds Y now.
		gittest.Git(t, f.remote, "update-ref", "refs/heads/main", "refs/heads/kiln/staging")
		gittest.Git(t, f.remote, "update-ref", "-d", "refs/heads/kiln/staging")
		if _, err := promote(t, f, f.opts(t, "staging", &bytes.Buffer{})); err == nil || !strings.Contains(err.Error(), refused) || !strings.Contains(err.Error(), "on main") {
			t.Errorf("older run against the base: %v, want a refusal naming main", err)
		}
	})
	// cannotTell promotes dev from X in a clone of the code repository
	// made with cloneArgs, which lacks Y, over dev promoted from Y, and
	// returns the log after checking that kiln said it could not tell.
	cannotTell := func(t *testing.T, cloneArgs ...string) string {
		t.Helper()
		f, x, y := setup(t)
		if _, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{})); err != nil {
			t.Fatal(err)
		}
		gittest.Git(t, f.code, "branch", "old", x)
		clone := filepath.Join(t.TempDir(), "clone")
		gittest.Git(t, f.code, append(append([]string{"clone", "-q"}, cloneArgs...), "--branch=old", "file://"+f.code, clone)...)
		p, err := envconfig.Load(filepath.Join(clone, "kiln.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		var log bytes.Buffer
		o := f.opts(t, "dev", &log)
		o.Render.Source.Commit = x
		if _, err := Promote(context.Background(), p, o); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(log.String(), "cannot tell whether this run's source commit "+x[:7]+" is older than "+y[:7]) {
			t.Errorf("the log does not say that kiln could not tell:\n%s", log.String())
		}
		return log.String()
	}
	t.Run("shallow code repository: cannot tell, promotes", func(t *testing.T) {
		t.Parallel()
		// A checkout of X at depth 1, as actions/checkout makes.
		if log := cannotTell(t, "--depth=1"); !strings.Contains(log, "fetch-depth: 0") {
			t.Errorf("the log does not advise fetch-depth: 0:\n%s", log)
		}
	})
	t.Run("full clone without the commit: cannot tell, promotes, no fetch-depth advice", func(t *testing.T) {
		t.Parallel()
		// A whole history that lacks Y, as after a force-push that
		// rewrote it: no depth would bring Y back.
		if log := cannotTell(t, "--single-branch"); strings.Contains(log, "fetch-depth") || !strings.Contains(log, "no shallow clone") {
			t.Errorf("the log does not say why kiln could not tell, without the fetch-depth advice:\n%s", log)
		}
	})
}

// TestOtherRepoNotReplaced: two code repositories whose pipelines write
// one env folder of one manifests repository (two teams, one
// manifests.path) would each replace the other's apps, and Flux would
// prune them; the commit check cannot tell, as neither repository holds
// the other's commits. A tree whose lock names another repository is
// refused, before the mass-delete guard, in push and pr mode, dry run or
// not; one spelt otherwise (ssh, .git) is the same repository; and
// AllowOtherRepo takes the env over on purpose.
func TestOtherRepoNotReplaced(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, env := range []string{"dev", "staging"} {
		if _, err := promote(t, f, f.opts(t, env, &bytes.Buffer{})); err != nil {
			t.Fatal(err)
		}
	}
	// The staging pull request merged: main holds both envs.
	gittest.Git(t, f.remote, "update-ref", "refs/heads/main", "refs/heads/kiln/staging")
	gittest.Git(t, f.remote, "update-ref", "-d", "refs/heads/kiln/staging")
	main := gittest.Git(t, f.remote, "rev-parse", "main")
	// What the other pipeline renders differs (a tree alike but for its
	// provenance is no change, and nothing is pushed).
	f.commitCode(t, map[string]string{"apps/web/service.yaml": strings.Replace(project("")["apps/web/service.yaml"], "port: 80", "port: 8080", 1)}, "port")
	other := func(t *testing.T, env, repo string) Options {
		o := f.opts(t, env, &bytes.Buffer{})
		o.Render.Source.Repo = repo
		o.AllowMassDelete = false
		return o
	}
	for _, env := range []string{"dev", "staging"} {
		for repo, dry := range map[string]bool{"https://github.com/acme/other": false, "": true} {
			o := other(t, env, repo)
			o.DryRun = dry
			_, err := promote(t, f, o)
			if err == nil || !strings.Contains(err.Error(), "is rendered from the code repository https://github.com/acme/shop, not from this run") ||
				!strings.Contains(err.Error(), "--allow-other-repo") {
				t.Errorf("env %s from %q (dry run %v): %v, want a refusal naming both repositories", env, repo, dry, err)
			}
		}
	}
	if got := gittest.Git(t, f.remote, "rev-parse", "main"); got != main {
		t.Errorf("main moved from %s to %s", main, got)
	}
	for _, env := range []string{"dev", "staging"} {
		o := other(t, env, "git@github.com:acme/shop.git")
		o.DryRun = true
		if _, err := promote(t, f, o); err != nil {
			t.Errorf("env %s from the same repository over ssh: %v", env, err)
		}
	}
	o := other(t, "dev", "https://github.com/acme/other")
	o.AllowOtherRepo = true
	if _, err := promote(t, f, o); err != nil {
		t.Fatal(err)
	}
	if got := lockOn(t, f, "main", "dev").Source.Repo; got != "https://github.com/acme/other" {
		t.Errorf("with AllowOtherRepo main holds dev from %s", got)
	}
}
