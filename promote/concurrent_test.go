package promote

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/promote/internal/ghfake"
	"github.com/kiln-gitops/kiln/promote/internal/gittest"
	"github.com/kiln-gitops/kiln/render"
)

// TestConcurrentPullRequestPromotions: two pr-mode promotions of one env
// run at once (no concurrency group in the workflow), with different
// trees. Whatever the interleaving, the branch kiln/<env> and the pull
// request's title and body must describe the same commit, and a run whose
// commit is not the one left on the branch must not report success. The
// runs are interleaved at fixed steps (Options.hook): run B runs whole
// while run A waits at a step.
func TestConcurrentPullRequestPromotions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, step string
		// wantA is what run A's error must say; "" when B's tree is
		// A's and A must succeed.
		wantA string
	}{
		{"B pushes between A's fetch and A's push", stepPush, "pushed nothing"},
		{"B pushes between A's push and A's pull request update", stepPushed, "pushed kiln/staging after this run"},
		{"B pushes and updates the pull request just before A updates it", stepPR, "while this run updated its pull request"},
		{"B pushes the same change between A's fetch and A's push", stepPush, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			api := ghfake.New(t, testToken)
			opts := func(image string) Options {
				o := f.opts(t, "staging", &bytes.Buffer{})
				o.GitHub, o.GitHubAPI = nil, api.URL()
				o.Render.Images = render.Images{Refs: []string{"ghcr.io/acme/web:" + image}}
				return o
			}
			// A pull request is open already, as after an earlier promotion.
			if _, err := promote(t, f, opts("1.0.0")); err != nil {
				t.Fatal(err)
			}

			var resB *Result
			imageA, imageB := "1.1.0", "2.0.0"
			if tc.wantA == "" {
				imageA = imageB
			}
			a := opts(imageA)
			a.hook = func(_ context.Context, step string) error {
				if step != tc.step || resB != nil {
					return nil
				}
				var err error
				b := opts(imageB)
				// Made at another moment: the same change is
				// another commit.
				b.GitEnv = append(b.GitEnv, "GIT_AUTHOR_DATE=2024-06-01T00:00:00Z", "GIT_COMMITTER_DATE=2024-06-01T00:00:00Z")
				if resB, err = promote(t, f, b); err != nil {
					t.Fatalf("run B: %v", err)
				}
				return nil
			}
			resA, errA := promote(t, f, a)
			if resB == nil {
				t.Fatal("run B did not run")
			}
			switch {
			case tc.wantA == "" && (errA != nil || resA.Commit != resB.Commit):
				t.Errorf("run A: %v, commit %s; want success with run B's commit %s", errA, resA.Commit, resB.Commit)
			case tc.wantA != "" && (errA == nil || !strings.Contains(errA.Error(), tc.wantA) || !strings.Contains(errA.Error(), "another promotion of env staging")):
				t.Errorf("run A: error %v, want one saying %q", errA, tc.wantA)
			}
			if resA != nil && resA.Commit != "" && resA.Commit != gittest.Git(t, f.remote, "rev-parse", "kiln/staging") {
				t.Errorf("run A reports commit %s, which is not on kiln/staging", resA.Commit)
			}
			if got := gittest.Git(t, f.remote, "rev-parse", "kiln/staging"); got != resB.Commit {
				t.Errorf("kiln/staging = %s, want run B's commit %s", got, resB.Commit)
			}
			if !strings.Contains(gittest.Files(t, f.remote, "kiln/staging")["clusters/staging/apps/web/deployment_web.yaml"], "web:2.0.0") {
				t.Error("kiln/staging does not hold run B's tree")
			}
			if tc.step == stepPR {
				// The pull request was updated by A after B: only
				// running the newest promotion again can tell. It
				// finds its commit on the branch and updates the PR.
				if _, err := promote(t, f, opts("2.0.0")); err != nil {
					t.Fatal(err)
				}
			}
			prs := api.PRs("acme", "manifests")
			if len(prs) != 1 || prs[0].Body != resB.Body || prs[0].Title != resB.Title {
				t.Errorf("the pull request does not describe kiln/staging (run B's commit): %d PRs, body is B's: %v, A's: %v",
					len(prs), len(prs) == 1 && prs[0].Body == resB.Body, len(prs) == 1 && resA != nil && prs[0].Body == resA.Body)
			}
		})
	}
}

// TestNoOpPromotionLeavesANewerPullRequestOpen: a promotion that finds the
// manifests branch holding its render closes the env's pull request, which
// is then out of date. A pull request that another promotion of a newer
// source commit pushed, before this run looked or while it was closing,
// is not out of date and must stay open.
func TestNoOpPromotionLeavesANewerPullRequestOpen(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// hooked: B runs while A is about to close; else before A.
		hooked bool
	}{
		{"B pushed before A looked", false},
		{"B pushes while A is about to close", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			x := f.head(t)
			if _, err := promote(t, f, f.opts(t, "staging", &bytes.Buffer{})); err != nil {
				t.Fatal(err)
			}
			// Merged by hand: main holds X's render; the PR is open still.
			gittest.Git(t, f.remote, "update-ref", "refs/heads/main", "refs/heads/kiln/staging")
			y := f.commitCode(t, map[string]string{"apps/web/service.yaml": strings.Replace(project("")["apps/web/service.yaml"], "port: 80", "port: 8080", 1)}, "port")
			var resB *Result
			runB := func() {
				gittest.Git(t, f.code, "checkout", "-q", y)
				var err error
				if resB, err = promote(t, f, f.opts(t, "staging", &bytes.Buffer{})); err != nil {
					t.Fatalf("run B: %v", err)
				}
				gittest.Git(t, f.code, "checkout", "-q", x)
			}
			if !tc.hooked {
				runB()
			}
			gittest.Git(t, f.code, "checkout", "-q", x)
			a := f.opts(t, "staging", &bytes.Buffer{})
			a.hook = func(_ context.Context, step string) error {
				if step == stepClose && tc.hooked && resB == nil {
					runB()
				}
				return nil
			}
			resA, errA := promote(t, f, a)
			if resA == nil || resA.Changed {
				t.Fatalf("run A: %+v, %v; want nothing to promote", resA, errA)
			}
			if resB == nil {
				t.Fatal("run B did not run")
			}
			if pr := f.gh.pr(1); pr.State != "open" || pr.Body != resB.Body {
				t.Errorf("run A closed run B's pull request (state %s), error %v", pr.State, errA)
			}
			if resA.ClosedPR != 0 {
				t.Errorf("run A reports closing #%d", resA.ClosedPR)
			}
		})
	}
}
