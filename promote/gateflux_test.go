package promote

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/promote/internal/ghfake"
)

// TestGateFluxNotApplied: notification-controller before v1.8 (Flux 2.6
// and 2.7) posts every info event of a Kustomization that is not
// progressing as a success whose description is the event's reason, and
// kustomize-controller emits one, with the new revision, when a dependency
// is not ready. With flux.bootstrap every app posts it on each new commit
// until the bootstrap has applied it: the gate took that success for
// health and passed before any app ran the commit. Such a success is
// pending now, named as such, until the app's Ready event ("reconciliation
// succeeded") replaces it.
func TestGateFluxNotApplied(t *testing.T) {
	t.Parallel()
	g := newGitHubGate(t)
	set := func(app, state, desc string) {
		g.api.SetStatus("acme", "manifests", g.tip, ghfake.Status{Context: StatusContext("dev", app), State: state, Description: desc})
	}
	set("cache", "success", "reconciliation succeeded")
	set("web", "success", "dependency not ready")

	// Without --wait: not healthy yet, exit 3.
	_, err := promote(t, g.f, g.from(0, nil))
	var ge *GateError
	if !errors.As(err, &ge) {
		t.Fatalf("err = %v, want a GateError: a success saying the dependency is not ready passed the gate\n%s", err, g.log.String())
	}
	want := fmt.Sprintf("env dev is not healthy yet on commit %s: no successful status for app web (success but dependency not ready, so not applied yet: web)", g.tip[:7])
	if got, _, _ := strings.Cut(err.Error(), "\n"); got != want {
		t.Errorf("error:\n%s\nwant its first line:\n%s", err, want)
	}

	// A canceled health check (kustomize-controller v1.8) applied nothing
	// either; a pending status and none at all are named apart.
	set("cache", "success", "health check canceled")
	set("web", "pending", "")
	_, err = promote(t, g.f, g.from(0, nil))
	want = fmt.Sprintf("env dev is not healthy yet on commit %s: no successful status for apps cache, web (pending: web; success but health check canceled, so not applied yet: cache)", g.tip[:7])
	if got, _, _ := strings.Cut(fmt.Sprint(err), "\n"); got != want {
		t.Errorf("error:\n%v\nwant its first line:\n%s", err, want)
	}

	// Under --wait the gate polls until the app's Ready event.
	set("cache", "success", "reconciliation succeeded")
	set("web", "success", "dependency not ready")
	o := g.from(time.Minute, func(sleeps int) error {
		if sleeps == 1 {
			set("web", "success", "reconciliation succeeded")
		}
		return nil
	})
	res, err := promote(t, g.f, o)
	if err != nil {
		t.Fatalf("%v\n%s", err, g.log.String())
	}
	if res.FromCommit != g.tip {
		t.Errorf("judged %s, want %s", res.FromCommit, g.tip)
	}

	// A failed dependency still fails the gate at once, and the app that
	// waits on it is named so.
	set("cache", "failure", "health check failed")
	set("web", "success", "dependency not ready")
	_, err = promote(t, g.f, g.from(time.Minute, nil))
	if !errors.As(err, &ge) || len(ge.Failed) != 1 || ge.Failed[0].App != "cache" || len(ge.Pending) != 1 || ge.Pending[0].App != "web" {
		t.Fatalf("err = %v, want cache failed and web pending", err)
	}
	if d := cmp.Diff([]GateApp{{App: "web", State: "success", Description: "dependency not ready"}}, ge.Pending); d != "" {
		t.Errorf("pending (-want +got):\n%s", d)
	}
}

// TestGateDescriptionOneLine: a status description is the poster's text
// (anyone with statuses: write), and the gate's verdict quotes it whole.
// A line feed in it started a line of the poster's own under kiln's:
// a fake verdict, or a workflow command in GitHub Actions' log. It is
// shown in caret notation; a long or non-ASCII description stays as it is.
func TestGateDescriptionOneLine(t *testing.T) {
	t.Parallel()
	g := newGitHubGate(t)
	long := strings.Repeat("é", 140)
	g.api.SetStatus("acme", "manifests", g.tip, ghfake.Status{Context: StatusContext("dev", "cache"), State: "failure", Description: long})
	g.api.SetStatus("acme", "manifests", g.tip, ghfake.Status{Context: StatusContext("dev", "web"), State: "error", Description: "health check failed\n::warning::env dev is healthy\r\n"})
	_, err := promote(t, g.f, g.from(0, nil))
	want := fmt.Sprintf("env dev is not healthy on commit %s:\n  app cache: failure: %s\n  app web: error: health check failed^J::warning::env dev is healthy^M^J\n", g.tip[:7], long) +
		"  hint: fix cache, web in env dev (flux get kustomizations shows Flux's view), then promote again"
	if d := cmp.Diff(want, fmt.Sprint(err)); d != "" {
		t.Errorf("error (-want +got):\n%s", d)
	}
}
