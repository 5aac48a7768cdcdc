package promote

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/promote/internal/gh"
	"github.com/kiln-gitops/kiln/promote/internal/ghfake"
	"github.com/kiln-gitops/kiln/promote/internal/gitrepo"
	"github.com/kiln-gitops/kiln/promote/internal/gittest"
	"github.com/kiln-gitops/kiln/render"
)

// TestThroughGitHubAPI runs promotions with the real go-github client
// against the fake GitHub REST server: PR lifecycle and the gate.
func TestThroughGitHubAPI(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	api := ghfake.New(t, testToken)
	opts := func(env string, log *bytes.Buffer) Options {
		o := f.opts(t, env, log)
		o.GitHub, o.GitHubAPI = nil, api.URL()
		return o
	}
	var log bytes.Buffer

	res, err := promote(t, f, opts("staging", &log))
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	prs := api.PRs("acme", "manifests")
	if len(prs) != 1 || res.PRNumber != prs[0].Number || !strings.HasPrefix(res.PRURL, "http") {
		t.Fatalf("after the first promotion: result %+v, PRs %+v", res, prs)
	}
	if diff := cmp.Diff([]string{"env/staging", "kiln"}, prs[0].Labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	if prs[0].Head != "kiln/staging" || prs[0].Base != "main" || prs[0].Body != res.Body {
		t.Errorf("PR = %+v", prs[0])
	}

	// Rerun and update: still one PR.
	if _, err := promote(t, f, opts("staging", &log)); err != nil {
		t.Fatal(err)
	}
	f.commitCode(t, map[string]string{"apps/web/service.yaml": strings.Replace(project("")["apps/web/service.yaml"], "port: 80", "port: 81", 1)}, "port")
	client, err := gh.New(gh.Options{Token: testToken, APIURL: api.URL()})
	if err != nil {
		t.Fatal(err)
	}
	// Someone opens a second pull request of kiln/staging, to release:
	// beside the one to main, it would merge whatever kiln pushes.
	tip := gittest.Git(t, f.remote, "rev-parse", "kiln/staging")
	second := api.AddPR("acme", "manifests", ghfake.PR{Head: "kiln/staging", Base: "release", Title: "theirs", Body: "theirs"})
	_, err = promote(t, f, opts("staging", &log))
	if want := fmt.Sprintf("pull request #%d of branch kiln/staging (", second); err == nil || !strings.Contains(err.Error(), want) ||
		!strings.HasSuffix(err.Error(), fmt.Sprintf("/acme/manifests/pull/%d) targets release, not main: kiln does not open or update another pull request of the branch\n  hint: change the base of pull request #%d back to main (manifests.branch), or close it, and run kiln again; nothing was pushed", second, second)) {
		t.Errorf("with a second pull request to release: err = %v", err)
	}
	if now := gittest.Git(t, f.remote, "rev-parse", "kiln/staging"); now != tip {
		t.Errorf("kiln/staging moved to %s under the pull request to release", now)
	}
	if err := client.ClosePR(t.Context(), "acme", "manifests", second, ""); err != nil {
		t.Fatal(err)
	}
	// GitHub fails the update after the push: the branch holds the new
	// commit, the pull request the previous promotion's text.
	var outage []ghfake.Fault
	for range 6 {
		outage = append(outage, ghfake.ServerError(http.StatusBadGateway))
	}
	api.Inject(ghfake.RouteUpdatePull, outage...)
	o := opts("staging", &log)
	o.Sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	_, err = promote(t, f, o)
	tip = gittest.Git(t, f.remote, "rev-parse", "kiln/staging")
	if want := fmt.Sprintf("; kiln/staging holds commit %s, but the title and description of pull request #%d (%s) may still describe the previous promotion (GitHub did not confirm their update) until kiln runs again\n  hint: %s; the branch kiln/staging is pushed, so running kiln again is safe", tip[:7], prs[0].Number, res.PRURL, githubDownHint); err == nil || !strings.HasSuffix(err.Error(), want) {
		t.Errorf("with GitHub failing the update: err = %v\nwant it to end in %q", err, want)
	}
	if got := api.PRs("acme", "manifests")[0]; got.Title != prs[0].Title {
		t.Errorf("pull request title %q, want the previous %q", got.Title, prs[0].Title)
	}
	res, err = promote(t, f, opts("staging", &log))
	if err != nil {
		t.Fatal(err)
	}
	prs = api.PRs("acme", "manifests")
	if prs[0].Title != res.Title || prs[0].Body != res.Body {
		t.Errorf("after the update: %+v", prs)
	}

	// Merged elsewhere: the next promotion closes the PR with a comment,
	// not while a pull request of the branch to another base is open.
	gittest.Git(t, f.remote, "update-ref", "refs/heads/main", "refs/heads/kiln/staging")
	second = api.AddPR("acme", "manifests", ghfake.PR{Head: "kiln/staging", Base: "release", Title: "theirs", Body: "theirs"})
	if _, err = promote(t, f, opts("staging", &log)); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("pull request #%d of branch kiln/staging", second)) || !strings.HasSuffix(err.Error(), "; nothing was changed") {
		t.Errorf("closing beside a pull request to release: err = %v", err)
	}
	if prs := api.PRs("acme", "manifests"); prs[0].State != "open" || len(prs[0].Comments) != 0 {
		t.Errorf("pull request #%d closed beside the one to release: %+v", prs[0].Number, prs[0])
	}
	if err := client.ClosePR(t.Context(), "acme", "manifests", second, ""); err != nil {
		t.Fatal(err)
	}
	res, err = promote(t, f, opts("staging", &log))
	if err != nil {
		t.Fatal(err)
	}
	prs = api.PRs("acme", "manifests")
	if res.Changed || res.ClosedPR != prs[0].Number || prs[0].State != "closed" || len(prs[0].Comments) != 1 {
		t.Errorf("no-op: result %+v, PR %+v", res, prs[0])
	}
	// Nothing left to promote and the branch's one open pull request
	// targets another base: kiln has nothing to close and pushes
	// nothing, so there is nothing to refuse (exit 0).
	third := api.AddPR("acme", "manifests", ghfake.PR{Head: "kiln/staging", Base: "release", Title: "theirs", Body: "theirs"})
	if res, err = promote(t, f, opts("staging", &log)); err != nil || res.Changed || res.ClosedPR != 0 {
		t.Errorf("no-op beside only a pull request to release: %+v, %v", res, err)
	}
	if err := client.ClosePR(t.Context(), "acme", "manifests", third, ""); err != nil {
		t.Fatal(err)
	}

	// Gate: dev pushed, statuses on main's head, then staging from dev.
	devOpts := opts("dev", &log)
	devOpts.Render.Images = render.Images{Refs: []string{"ghcr.io/acme/web:2.0.0"}}
	if _, err := promote(t, f, devOpts); err != nil {
		t.Fatal(err)
	}
	tip = gittest.Git(t, f.remote, "rev-parse", "main")
	for _, app := range []string{"web", "cache"} {
		api.SetStatus("acme", "manifests", tip, ghfake.Status{Context: StatusContext("dev", app), State: "pending"})
		api.SetStatus("acme", "manifests", tip, ghfake.Status{Context: StatusContext("dev", app), State: "success", Description: "Health check passed"})
	}
	o = opts("", &log)
	o.From, o.To = "dev", "staging"
	o.Render.Images = render.Images{}
	res, err = promote(t, f, o)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if res.From != "dev" || !res.Changed || res.PRNumber == 0 || res.Apps["web"] != (AppChanges{Changed: 1}) {
		t.Errorf("promotion from dev = %+v", res)
	}
	if !strings.Contains(res.Body, "2.0.0") {
		t.Errorf("the body does not show dev's image:\n%s", res.Body)
	}
	if got := api.PRs("acme", "manifests"); len(got) != 5 || got[4].State != "open" {
		t.Errorf("PRs after the promotion from dev: %+v", got)
	}
	if strings.Contains(log.String(), testToken) {
		t.Error("the log shows the token")
	}
}

// TestNoOpPromotionChains: a push that changes no app's objects (only the
// Kustomizations in flux/ and kiln.lock.json change) makes
// Flux reconcile without a change, and notification-controller then sends
// the githubdispatch Provider nothing. kiln sends the repository_dispatch
// that starts the next stage itself, and only then.
func TestNoOpPromotionChains(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cfg := strings.Replace(project(f.remote)["kiln.yaml"], "  commitStatus: true\n", "  commitStatus: true\n  dispatch: acme/shop\n", 1)
	f.commitCode(t, map[string]string{"kiln.yaml": cfg}, "notifications")
	api := ghfake.New(t, testToken)
	opts := func() Options {
		o := f.opts(t, "dev", &bytes.Buffer{})
		o.GitHub, o.GitHubAPI = nil, api.URL()
		return o
	}

	// Apps change: Flux reports the change, kiln sends nothing.
	res, err := promote(t, f, opts())
	if err != nil {
		t.Fatal(err)
	}
	if res.Dispatched || len(api.Dispatches("acme", "shop")) != 0 {
		t.Fatalf("first promotion: dispatched %v, %v", res.Dispatched, api.Dispatches("acme", "shop"))
	}

	// A source commit that changes no object: nothing to push, nothing
	// to send (the env is as it was).
	f.commitCode(t, map[string]string{"README.md": "docs only\n"}, "docs")
	if res, err = promote(t, f, opts()); err != nil || res.Changed || res.Dispatched || len(api.Dispatches("acme", "shop")) != 0 {
		t.Fatalf("no-op commit: %+v, %v, %v", res, err, api.Dispatches("acme", "shop"))
	}

	// Only the Kustomizations change (and the lock): Flux applies no app's
	// objects anew, so kiln starts the next stage.
	cfg = strings.Replace(cfg, "notifications:\n", "flux:\n  interval: 5m\nnotifications:\n", 1)
	src := f.commitCode(t, map[string]string{"kiln.yaml": cfg}, "flux interval")
	res, err = promote(t, f, opts())
	if err != nil {
		t.Fatal(err)
	}
	if !res.Changed || res.Apps["web"] != (AppChanges{}) || !res.Dispatched {
		t.Fatalf("Kustomization-only promotion = %+v, want a dispatch", res)
	}
	got := api.Dispatches("acme", "shop")
	want := []ghfake.Dispatch{{EventType: DispatchEvent,
		Payload: `{"commit":"` + res.Commit + `","env":"dev","metadata":{"env":"dev"},"severity":"info","sourceCommit":"` + src + `"}`}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("dispatches (-want +got):\n%s", diff)
	}

	// Nothing to promote: nothing pushed, nothing sent.
	if res, err = promote(t, f, opts()); err != nil || res.Changed || len(api.Dispatches("acme", "shop")) != 1 {
		t.Errorf("rerun: %+v, %v, %d dispatches", res, err, len(api.Dispatches("acme", "shop")))
	}
}

// TestHugeBodyThroughGitHubAPI: a promotion whose diff is far larger than
// GitHub's limit on a pull request body (the fake refuses a body over it,
// as GitHub does, counting characters) opens and updates its pull request
// with a body cut to fit, which says where, and is the same on a rerun.
func TestHugeBodyThroughGitHubAPI(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var big strings.Builder
	big.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n")
	for i := range 3000 {
		// Multi-byte characters: the limit counts characters, not bytes.
		fmt.Fprintf(&big, "  key%04d: \"größe-%04d-ünïcödé-€€€-%s\"\n", i, i, strings.Repeat("x", 40))
	}
	f.commitCode(t, map[string]string{"apps/web/big.yaml": big.String()}, "a big ConfigMap")
	api := ghfake.New(t, testToken)
	opts := func() Options {
		o := f.opts(t, "staging", &bytes.Buffer{})
		o.GitHub, o.GitHubAPI = nil, api.URL()
		return o
	}
	res, err := promote(t, f, opts())
	if err != nil {
		t.Fatal(err)
	}
	prs := api.PRs("acme", "manifests")
	if len(prs) != 1 || prs[0].Body != res.Body {
		t.Fatalf("PRs = %d, body as sent: %v", len(prs), len(prs) == 1 && prs[0].Body == res.Body)
	}
	if n := utf8.RuneCountInString(res.Body); n > ghfake.MaxBody || !strings.Contains(res.Body, "left out") {
		t.Errorf("body has %d characters (limit %d) and says where it was cut: %v", n, ghfake.MaxBody, strings.Contains(res.Body, "left out"))
	}
	again, err := promote(t, f, opts())
	if err != nil || again.Body != res.Body {
		t.Errorf("rerun: %v; same body: %v", err, again != nil && again.Body == res.Body)
	}
}

// TestLongEnvNameLabel: kiln allows env names of 63 characters, GitHub
// label names of 50, and refuses (422) to add a longer label to a pull
// request. A promotion of such an env opened its pull request and then
// failed on every run; its label is now cut, with a hash of the name.
func TestLongEnvNameLabel(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	long := "staging-" + strings.Repeat("x", 63-len("staging-"))
	p := project(f.remote)
	f.commitCode(t, map[string]string{
		"kiln.yaml":              strings.ReplaceAll(p["kiln.yaml"], "staging", long),
		"envs/" + long + ".yaml": p["envs/staging.yaml"],
		"envs/prod.yaml":         p["envs/prod.yaml"],
	}, "a long env name")
	api := ghfake.New(t, testToken)
	var log bytes.Buffer
	o := f.opts(t, long, &log)
	o.GitHub, o.GitHubAPI = nil, api.URL()
	res, err := promote(t, f, o)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	prs := api.PRs("acme", "manifests")
	want := "env/staging-xxxxxxxxxxxxxxxxxxxxxxxxxxxxx-" + fmt.Sprintf("%x", sha256.Sum256([]byte(long)))[:8]
	if len(prs) != 1 || res.PRNumber != prs[0].Number || len(want) != ghfake.MaxLabel {
		t.Fatalf("result %+v, PRs %+v", res, prs)
	}
	if diff := cmp.Diff([]string{want, "kiln"}, prs[0].Labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
}

// TestCloseCommentOnce: the manifests branch already holds the env, so
// promote comments on the env's open pull request and closes it. With a
// token that may comment but not close, every later run that changed
// nothing (a new source commit that changes no object included) added the
// same comment again before failing again. Real git repositories on disk,
// the real client against the fake GitHub API.
func TestCloseCommentOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	api := ghfake.New(t, testToken)
	opts := func(log *bytes.Buffer) Options {
		o := f.opts(t, "staging", log)
		o.GitHub, o.GitHubAPI = nil, api.URL()
		return o
	}
	var log bytes.Buffer
	if _, err := promote(t, f, opts(&log)); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	gittest.Git(t, f.remote, "update-ref", "refs/heads/main", "refs/heads/kiln/staging")
	denied := ghfake.Fault{Status: 403, Body: `{"message":"Resource not accessible by integration"}`}
	for i, change := range []bool{false, true} {
		if change {
			f.commitCode(t, map[string]string{"README.md": "changes no object\n"}, "a readme")
		}
		api.Inject(ghfake.RouteUpdatePull, denied)
		if _, err := promote(t, f, opts(&log)); err == nil || !strings.Contains(err.Error(), "Resource not accessible") {
			t.Fatalf("run %d: err = %v, want GitHub's refusal to close", i, err)
		}
	}
	prs := api.PRs("acme", "manifests")
	if len(prs) != 1 || prs[0].State != "open" || len(prs[0].Comments) != 1 {
		t.Errorf("PRs = %+v, want one open with one comment", prs)
	}
}

// TestGateGitHubLag: right after dev's commit lands on the manifests
// branch, GitHub's API may not know it yet (422 "No commit found for
// SHA") or may answer for the previous head. The gate waits that out,
// with backoff and a bound, and past the bound says which commit it
// expected and what GitHub answered.
func TestGateGitHubLag(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	api := ghfake.New(t, testToken)
	var waits []time.Duration
	opts := func(env string, log *bytes.Buffer) Options {
		o := f.opts(t, env, log)
		o.GitHub, o.GitHubAPI = nil, api.URL()
		o.Sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
		return o
	}
	var log bytes.Buffer
	devOpts := opts("dev", &log)
	devOpts.Render.Images = render.Images{Refs: []string{"ghcr.io/acme/web:2.0.0"}}
	if _, err := promote(t, f, devOpts); err != nil {
		t.Fatal(err)
	}
	tip := gittest.Git(t, f.remote, "rev-parse", "main")
	previous := gittest.Git(t, f.remote, "rev-parse", "main~1")
	for _, app := range []string{"web", "cache"} {
		api.SetStatus("acme", "manifests", tip, ghfake.Status{Context: StatusContext("dev", app), State: "success", Description: "Health check passed"})
	}
	from := func() Options {
		o := opts("", &log)
		o.From, o.To, o.DryRun = "dev", "staging", true
		o.Render.Images = render.Images{}
		return o
	}

	api.Inject(ghfake.RouteCombinedStatus, ghfake.UnknownCommit(tip), ghfake.StaleCommit(previous), ghfake.UnknownCommit(tip))
	res, err := promote(t, f, from())
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if res.FromCommit != tip {
		t.Errorf("judged %s, want %s", res.FromCommit, tip)
	}
	if d := cmp.Diff([]time.Duration{time.Second, 2 * time.Second, 4 * time.Second}, waits); d != "" {
		t.Errorf("waits (-want +got):\n%s", d)
	}
	if !strings.Contains(log.String(), "as just after a push, asking again in 1s") {
		t.Errorf("the log does not say why kiln asks again:\n%s", log.String())
	}

	// GitHub never learns of the commit (manifests.github names another
	// repository than manifests.repo): an error after the bound.
	waits = nil
	api.Inject(ghfake.RouteCombinedStatus, ghfake.UnknownCommit(tip), ghfake.UnknownCommit(tip), ghfake.UnknownCommit(tip), ghfake.UnknownCommit(tip), ghfake.UnknownCommit(tip), ghfake.UnknownCommit(tip))
	_, err = promote(t, f, from())
	want := fmt.Sprintf(`the manifests branch main is at commit %s, which git fetched, but GitHub's API for acme/manifests does not know it: GitHub does not show the statuses of commit %s: it answered 422 "No commit found for SHA: %s" (6 attempts over 31s)`, tip[:7], tip, tip)
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "manifests.github names the repository manifests.repo points at") {
		t.Fatalf("err = %v\nwant it to hold %s and the hint", err, want)
	}
	var ge *GateError
	if errors.As(err, &ge) {
		t.Errorf("a GitHub lag is no gate verdict (exit 3): %v", err)
	}
	if len(waits) != 5 {
		t.Errorf("waits = %v, want 5", waits)
	}
}

// TestGateGitHubTrouble: GitHub failing (5xx) or rate-limiting the
// status reads beyond the client's own retries says nothing of dev's
// health. The gate under --wait gave up at the first such read, though
// asked to wait minutes, with a hint to check the token's permissions;
// it now asks again at the next poll, and without --wait says that
// GitHub failed, not the token.
func TestGateGitHubTrouble(t *testing.T) {
	t.Parallel()
	g := newGitHubGate(t)
	f, api, log, tip := g.f, g.api, &g.log, g.tip
	g.set("success")
	from := func(wait time.Duration) Options { return g.from(wait, nil) }
	var outage []ghfake.Fault // the client's 6 attempts
	for range 6 {
		outage = append(outage, ghfake.ServerError(http.StatusBadGateway))
	}

	// --wait: the outage outlasts the client's retries (31s), not the wait.
	api.Inject(ghfake.RouteCombinedStatus, outage...)
	res, err := promote(t, f, from(5*time.Minute))
	if err != nil {
		t.Fatalf("promotion through a GitHub outage under --wait: %v\n%s", err, log.String())
	}
	if res.FromCommit != tip {
		t.Errorf("judged %s, want %s", res.FromCommit, tip)
	}
	if !strings.Contains(log.String(), "502 Server Error []; asking again in 15s") {
		t.Errorf("the log does not say that kiln asks again:\n%s", log.String())
	}

	// No --wait: GitHub's trouble, named as such.
	api.Inject(ghfake.RouteCombinedStatus, outage...)
	_, err = promote(t, f, from(0))
	if err == nil || !strings.Contains(err.Error(), "502") || !strings.Contains(err.Error(), "GitHub's API failed or limited kiln's requests") ||
		strings.Contains(err.Error(), "may read statuses") {
		t.Errorf("no --wait: err = %v, want GitHub's failure named, not the token", err)
	}
	var ge *GateError
	if errors.As(err, &ge) {
		t.Errorf("no --wait: GitHub's failure is no gate verdict (exit 3): %v", err)
	}

	// The wait used up by the outage is the wait running out (exit 3),
	// whether it ends during the client's retries (20s: the pause of 16s
	// would end past it) or just after them, with no time left for
	// another poll (40s: the retries end at 31s). The second was exit 1.
	for _, tc := range []struct {
		wait     time.Duration
		attempts int
		cut      string
		hint     string
	}{
		{
			wait:     20 * time.Second,
			attempts: 5,
			cut:      "--wait 20s runs out before kiln's next request to GitHub: GitHub's API failed (502 for GET /api/v3/repos/acme/manifests/commits/" + tip + "/status)",
			hint:     "GitHub's API failed or limited kiln's requests (not a matter of the token): run again later, or pass a longer --wait",
		},
		{
			wait:     40 * time.Second,
			attempts: 6,
			cut:      "--wait 40s runs out before kiln's next poll, and GitHub's API failed this one's status read of " + tip[:7] + " (logged above)",
			hint:     "GitHub's API failed or limited kiln's requests (not a matter of the token): run again later, or pass a longer --wait",
		},
	} {
		log.Reset()
		api.Inject(ghfake.RouteCombinedStatus, outage[:tc.attempts]...)
		_, err = promote(t, f, from(tc.wait))
		if !errors.As(err, &ge) || ge.Cut != tc.cut || !ge.Unread || !strings.HasSuffix(err.Error(), "\n  hint: "+tc.hint) {
			t.Errorf("--wait %s: err = %v\nwant a GateError, statuses not read, cut: %s\n  hint: %s", tc.wait, err, tc.cut, tc.hint)
		}
		if !strings.Contains(log.String(), "502") {
			t.Errorf("--wait %s: the log does not show GitHub's answer:\n%s", tc.wait, log.String())
		}
	}

	// A 404 (no such repository, or the token may not read it) is the
	// token's or kiln.yaml's: at once, whatever the wait.
	api.Inject(ghfake.RouteCombinedStatus, ghfake.ServerError(http.StatusNotFound))
	if _, err = promote(t, f, from(5*time.Minute)); err == nil || !strings.Contains(err.Error(), "may read statuses") {
		t.Errorf("404: err = %v, want the token's hint", err)
	}
}

// TestGateFetchTrouble: every poll under --wait fetches the manifests
// branch again, and one failed fetch (the network, the git host) ended
// the gate at once though the wait had minutes left. The first fetch
// worked, so the gate now asks again at the next poll; once the wait is
// used up, the gate is not met (exit 3). A refusal no poll mends (the
// token expired, the repository deleted) was taken for such trouble, and
// the gate waited it out to say "not healthy yet": it now stops at once,
// exit 1, saying what to fix. The manifests repository is served over
// git's smart HTTP, whose answers the test sets.
func TestGateFetchTrouble(t *testing.T) {
	t.Parallel()
	var fault atomic.Int32 // the git host's answer; 0: git's own
	g := newGitHubGateAt(t, func(remote string) string {
		return gittest.HTTP(t, filepath.Dir(remote), func(w http.ResponseWriter, r *http.Request) bool {
			code := int(fault.Load())
			if code == 0 {
				return false
			}
			if code == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			}
			http.Error(w, http.StatusText(code), code)
			return true
		}) + "/" + filepath.Base(remote)
	})
	f, log, tip, set := g.f, &g.log, g.tip, g.set
	away := f.remote + ".away"
	// from is a promotion from dev under --wait whose git host, from the
	// first poll's sleep on, does what trouble does; then, at the third,
	// answers again with dev healthy.
	var slept int
	from := func(wait time.Duration, trouble func() error) Options {
		slept = 0
		fault.Store(0)
		return g.from(wait, func(sleeps int) error {
			slept = sleeps
			switch sleeps {
			case 1:
				return trouble()
			case 3:
				set("success")
				fault.Store(0)
				if _, err := os.Stat(away); err == nil {
					return os.Rename(away, f.remote)
				}
			}
			return nil
		})
	}
	failing := func(code int) func() error {
		return func() error { fault.Store(int32(code)); return nil }
	}

	set("pending")
	res, err := promote(t, f, from(5*time.Minute, failing(http.StatusBadGateway)))
	if err != nil {
		t.Fatalf("promotion through a failed fetch under --wait: %v\n%s", err, log.String())
	}
	if res.FromCommit != tip {
		t.Errorf("judged %s, want %s", res.FromCommit, tip)
	}
	if !strings.Contains(log.String(), "fetching the manifests branch main failed: ") || !strings.Contains(log.String(), "502; asking again in 15s") {
		t.Errorf("the log does not say that kiln asks again:\n%s", log.String())
	}

	// The wait used up while the host fails: the gate is not met
	// (exit 3), as when the wait runs out during a fetch, and git's
	// answer is in the log.
	set("pending")
	log.Reset()
	_, err = promote(t, f, from(20*time.Second, failing(http.StatusBadGateway)))
	var ge *GateError
	if !errors.As(err, &ge) || !strings.Contains(ge.Cut, "--wait 20s runs out before kiln's next poll, and git failed this one's fetch of the manifests branch main") {
		t.Errorf("--wait 20s: err = %v, want the gate not met because the fetch failed", err)
	}
	if !strings.Contains(log.String(), "fetching the manifests branch main failed: ") {
		t.Errorf("the log does not hold git's answer:\n%s", log.String())
	}

	// Refused for good: at the first failed poll, whatever the wait
	// left, exit 1 with what to fix.
	for _, tc := range []struct {
		name    string
		trouble func() error
		says    string
		hint    string
	}{
		{name: "the token expired (401)", trouble: failing(http.StatusUnauthorized), says: "could not read Username", hint: refusedHint(gitrepo.ErrDenied)},
		{name: "the token lost its access (403)", trouble: failing(http.StatusForbidden), says: "returned error: 403", hint: refusedHint(gitrepo.ErrDenied)},
		{name: "the repository deleted", trouble: func() error { return os.Rename(f.remote, away) }, says: "not found", hint: refusedHint(gitrepo.ErrNoRepository)},
	} {
		set("pending")
		log.Reset()
		_, err = promote(t, f, from(5*time.Minute, tc.trouble))
		var de *diag.Error
		if errors.As(err, &ge) || !errors.As(err, &de) || de.Hint != tc.hint || !strings.Contains(de.Msg, tc.says) ||
			!strings.HasPrefix(de.Msg, "fetching the manifests branch main of http://127.0.0.1:") || !strings.Contains(de.Msg, " again, 15s into --wait 5m0s: ") {
			t.Errorf("%s: err = %v\nwant exit 1 saying %q, with the hint %q", tc.name, err, tc.says, tc.hint)
		}
		if slept != 1 || strings.Contains(log.String(), "asking again") {
			t.Errorf("%s: the gate polled on after the refusal (%d sleeps):\n%s", tc.name, slept, log.String())
		}
		if _, serr := os.Stat(away); serr == nil {
			if err := os.Rename(away, f.remote); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// gitHubGate is env dev promoted through the real go-github client and the
// fake GitHub, for tests of the gate of a promotion from dev.
type gitHubGate struct {
	t   *testing.T
	f   *fixture
	api *ghfake.Server
	log bytes.Buffer
	tip string // the manifests branch once dev is promoted
}

func newGitHubGate(t *testing.T) *gitHubGate {
	t.Helper()
	return newGitHubGateAt(t, nil)
}

// newGitHubGateAt is newGitHubGate with the manifests remote named as
// newFixtureAt names it.
func newGitHubGateAt(t *testing.T, at func(remote string) string) *gitHubGate {
	t.Helper()
	g := &gitHubGate{t: t, f: newFixtureAt(t, at), api: ghfake.New(t, testToken)}
	dev := g.f.opts(t, "dev", &g.log)
	dev.GitHub, dev.GitHubAPI = nil, g.api.URL()
	if _, err := promote(t, g.f, dev); err != nil {
		t.Fatal(err)
	}
	g.tip = gittest.Git(t, g.f.remote, "rev-parse", "main")
	return g
}

// set gives each app of dev the status state on the tip.
func (g *gitHubGate) set(state string) {
	for _, app := range []string{"web", "cache"} {
		g.api.SetStatus("acme", "manifests", g.tip, ghfake.Status{Context: StatusContext("dev", app), State: state, Description: "reconciliation succeeded"})
	}
}

// from is a dry run of the promotion from dev under --wait wait, polling
// every 15s on a fake clock; onSleep, if set, runs at each poll's sleep
// with its number (from 1).
func (g *gitHubGate) from(wait time.Duration, onSleep func(int) error) Options {
	o := g.f.fromDev(g.t, &g.log)
	o.GitHub, o.GitHubAPI, o.DryRun = nil, g.api.URL(), true
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	o.Now = func() time.Time { return now }
	sleeps := 0
	o.Sleep = func(_ context.Context, d time.Duration) error {
		now = now.Add(d)
		sleeps++
		if onSleep != nil {
			return onSleep(sleeps)
		}
		return nil
	}
	o.Wait, o.PollInterval = wait, 15*time.Second
	return o
}

// TestAPIHintGitHubTrouble: a GitHub request kiln gave up on because
// GitHub failed or limited it (opening, updating or closing a pull
// request, commenting, labelling, a repository_dispatch) is not blamed
// on the token or manifests.github, and a refusal still is.
func TestAPIHintGitHubTrouble(t *testing.T) {
	t.Parallel()
	api := ghfake.New(t, testToken)
	client, err := gh.New(gh.Options{Token: testToken, APIURL: api.URL(), MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	r := &run{opts: Options{GitHubAPI: api.URL()}}
	const tokenHint = "check that the token may write pull requests"
	for _, tc := range []struct {
		name  string
		fault ghfake.Fault
		want  string
	}{
		{"502", ghfake.ServerError(http.StatusBadGateway), githubDownHint},
		{"secondary rate limit", ghfake.SecondaryRateLimit(0), githubDownHint},
		{"403", ghfake.Fault{Status: http.StatusForbidden, Body: `{"message":"Resource not accessible by integration"}`}, tokenHint},
		// Last: go-github then refuses every request until the reset.
		{"primary rate limit", ghfake.PrimaryRateLimit(time.Now().Add(time.Hour)), githubDownHint},
	} {
		api.Inject(ghfake.RouteDispatch, tc.fault)
		err := client.Dispatch(t.Context(), "acme", "manifests", DispatchEvent, map[string]any{"env": "staging"})
		if err == nil {
			t.Fatalf("%s: Dispatch() = nil", tc.name)
		}
		if got := r.apiHint(err, tokenHint); got != tc.want {
			t.Errorf("%s: apiHint(%v) = %q, want %q", tc.name, err, got, tc.want)
		}
		// A failed dispatch is never sent by a rerun (it finds nothing
		// left to promote): whatever the cause, never "run again".
		if got := r.dispatchHint(err, "acme/shop"); !strings.HasSuffix(got, "start the next stage by hand") || strings.Contains(got, "run again") {
			t.Errorf("%s: dispatchHint = %q", tc.name, got)
		}
	}
}
