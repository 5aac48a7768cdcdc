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
