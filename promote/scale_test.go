package promote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"

	"github.com/kiln-gitops/kiln/promote/internal/ghfake"
	"github.com/kiln-gitops/kiln/promote/internal/gittest"
	"github.com/kiln-gitops/kiln/render"
)

// scaleApps is how many apps the scale fixture has, and otherContexts how
// many other commit statuses (CI checks, other tools) each app's context
// in each env comes with: with two envs, 500 contexts land on one
// manifests commit. The gate reads them all the same, and 50 apps render
// and push at a fifth of the CPU of 250 under -race.
const (
	scaleApps     = 50
	otherContexts = 4
)

// setScaleStatuses sets, oldest first, dev's statuses, then staging's,
// each app's kiln context followed by its otherContexts: dev's are on
// pages 3-5 of the combined status, newest first, dev's app000 the very
// last. state is dev's app000 state.
func setScaleStatuses(api *ghfake.Server, tip, state, desc string) {
	for _, env := range []string{"dev", "staging"} {
		for i := range scaleApps {
			app := fmt.Sprintf("app%03d", i)
			st := ghfake.Status{Context: StatusContext(env, app), State: "success", Description: "reconciliation succeeded"}
			if env == "dev" && i == 0 {
				st.State, st.Description = state, desc
			}
			api.SetStatus("acme", "manifests", tip, st)
			for j := range otherContexts {
				api.SetStatus("acme", "manifests", tip, ghfake.Status{Context: fmt.Sprintf("ci/%s/%s/check%d", env, app, j), State: "success"})
			}
		}
	}
}

// newScaleFixture is a code repository with scaleApps one-ConfigMap apps
// and two push envs, dev and staging (promoted from dev).
func newScaleFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{code: filepath.Join(t.TempDir(), "code"), remote: gittest.Bare(t), gh: newFakeGitHub()}
	var b strings.Builder
	b.WriteString("apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - {name: dev, mode: push}\n  - {name: staging, mode: push, promoteFrom: dev}\n")
	fmt.Fprintf(&b, "manifests:\n  repo: %s\n  github: acme/manifests\n  branch: main\n  path: clusters/{env}\nnotifications: {secretRef: github-token, commitStatus: true}\napps:\n", f.remote)
	files := map[string]string{"envs/dev.yaml": "vars: {}\n", "envs/staging.yaml": "vars: {}\n"}
	for i := range scaleApps {
		app := fmt.Sprintf("app%03d", i)
		fmt.Fprintf(&b, "  - {name: %s, namespace: shop, yaml: apps/%s}\n", app, app)
		files["apps/"+app+"/cm.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + app + "}\ndata: {k: v}\n"
	}
	files["kiln.yaml"] = b.String()
	if err := os.MkdirAll(f.code, 0o755); err != nil {
		t.Fatal(err)
	}
	gittest.Git(t, f.code, "init", "-q", "--initial-branch=main")
	f.commitCode(t, files, "initial")
	return f
}

// TestGateAtScale: 500 contexts on one manifests commit, the statuses of
// the env promoted from spread over the last pages of the combined status
// (GitHub returns the latest status per context, 100 a page): the gate
// reads every page and keeps what each holds, through the real go-github
// client and the fake's pagination.
func TestGateAtScale(t *testing.T) {
	t.Parallel()
	f := newScaleFixture(t)
	api := ghfake.New(t, testToken)
	var log bytes.Buffer
	dev := f.opts(t, "dev", &log)
	dev.GitHub, dev.GitHubAPI = nil, api.URL()
	if _, err := promote(t, f, dev); err != nil {
		t.Fatal(err)
	}
	tip := gittest.Git(t, f.remote, "rev-parse", "main")
	setScaleStatuses(api, tip, "success", "reconciliation succeeded")
	o := f.opts(t, "", &log)
	o.GitHub, o.GitHubAPI = nil, api.URL()
	o.From, o.To = "dev", "staging"
	o.Render.Images = render.Images{}
	before := api.Count(ghfake.RouteCombinedStatus)
	res, err := promote(t, f, o)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if reads := api.Count(ghfake.RouteCombinedStatus) - before; !res.Changed || reads != 5 {
		t.Errorf("promotion %+v after %d status pages, want a change after 5 pages of 100", res, reads)
	}
	t.Logf("500 contexts on one commit: the gate read %d pages of the combined status", api.Count(ghfake.RouteCombinedStatus)-before)

	// staging's promotion moved the head: on it, a failure on the very
	// last page is seen.
	tip = gittest.Git(t, f.remote, "rev-parse", "main")
	setScaleStatuses(api, tip, "failure", "health check failed")
	if _, err = promote(t, f, o); err == nil || !strings.Contains(err.Error(), "app app000: failure: health check failed") {
		t.Errorf("error = %v, want the failure of app000", err)
	}
}

// postLikeFlux posts a commit status the way notification-controller's
// github provider (v1.9) does: list the commit's statuses, first page only
// with per_page 50 (newest first), skip when the newest status of the
// context there has the same state and description, else create it.
func postLikeFlux(ctx context.Context, c *github.Client, sha, statusContext, state, desc string) (created bool, err error) {
	statuses, _, err := c.Repositories.ListStatuses(ctx, "acme", "manifests", sha, &github.ListOptions{PerPage: 50})
	if err != nil {
		return false, err
	}
	for _, s := range statuses {
		if s.GetContext() == statusContext {
			if s.GetState() == state && s.GetDescription() == desc {
				return false, nil
			}
			break
		}
	}
	_, _, err = c.Repositories.CreateStatus(ctx, "acme", "manifests", sha, &github.RepoStatus{State: &state, Context: &statusContext, Description: &desc})
	return err == nil, err
}

// TestFluxStatusesAtScale measures what notification-controller does to a
// commit with many kiln contexts: kustomize-controller sends a
// "reconciliation succeeded" event for every Kustomization on every
// interval, and the duplicate check sees only the newest 50 statuses. Up
// to 50 contexts the repeats are skipped; beyond, each interval posts every
// context again, until GitHub's 1000 statuses per commit and context: then
// even a failure can no longer be posted and the commit keeps its stale
// success. docs/flux.md states the limits.
func TestFluxStatusesAtScale(t *testing.T) {
	t.Parallel()
	api := ghfake.New(t, testToken)
	c, err := github.NewClient(nil).WithAuthToken(testToken).WithEnterpriseURLs(api.URL(), api.URL())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rounds := func(sha string, contexts, n int) int {
		created := 0
		for range n {
			for i := range contexts {
				ok, err := postLikeFlux(ctx, c, sha, fmt.Sprintf("kiln/dev/app%03d", i), "success", "reconciliation succeeded")
				if err != nil {
					t.Fatal(err)
				}
				if ok {
					created++
				}
			}
		}
		return created
	}
	const n = 3
	// 51 is the boundary; 150 contexts, three windows of 50, show that
	// the repeats do not stop however far past it. (500 contexts checked
	// nothing more at ten times the cost under -race: every round is one
	// list and one create per context through go-github's JSON.)
	for _, tc := range []struct{ contexts, want int }{{40, 40}, {50, 50}, {51, 51 * n}, {150, 150 * n}} {
		sha := fmt.Sprintf("%040x", tc.contexts)
		got := rounds(sha, tc.contexts, n)
		t.Logf("%d contexts, %d reconciles each: %d statuses posted", tc.contexts, n, got)
		if got != tc.want {
			t.Errorf("%d contexts over %d intervals: %d statuses posted, want %d", tc.contexts, n, got, tc.want)
		}
	}

	// The cap: one context posted 1000 times (one per interval, as with
	// more than 50 contexts) cannot take a failure any more. The first 999
	// go straight into the fake (its own tests post all 1000 over HTTP);
	// the 1000th, the last one accepted, goes through the client.
	sha := strings.Repeat("c", 40)
	for i := range ghfake.MaxStatuses - 1 {
		api.SetStatus("acme", "manifests", sha, ghfake.Status{Context: "kiln/dev/web", State: "success", Description: fmt.Sprintf("reconciliation succeeded %d", i)})
	}
	st, desc := "success", fmt.Sprintf("reconciliation succeeded %d", ghfake.MaxStatuses-1)
	if _, _, err := c.Repositories.CreateStatus(ctx, "acme", "manifests", sha, &github.RepoStatus{State: &st, Context: github.String("kiln/dev/web"), Description: &desc}); err != nil {
		t.Fatalf("status %d: %v", ghfake.MaxStatuses, err)
	}
	_, err = postLikeFlux(ctx, c, sha, "kiln/dev/web", "failure", "health check failed")
	var er *github.ErrorResponse
	if !errors.As(err, &er) || er.Response.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("status %d: error %v, want GitHub's 422", ghfake.MaxStatuses+1, err)
	}
	combined, _, err := c.Repositories.GetCombinedStatus(ctx, "acme", "manifests", sha, nil)
	if err != nil {
		t.Fatal(err)
	}
	if combined.GetState() != "success" {
		t.Errorf("combined state %q, want the stale success", combined.GetState())
	}
	t.Logf("after %d statuses of one context on one commit GitHub refuses the next (%v); the commit stays %q", ghfake.MaxStatuses, er.Message, combined.GetState())
}
