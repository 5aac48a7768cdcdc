package gh

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/promote/internal/ghfake"
)

const token = "ghp_s3cr3tT0kenValue0123456789"

// recorder collects the waits and log lines of a client.
type recorder struct {
	mu     sync.Mutex
	sleeps []time.Duration
	logs   []string
}

func (r *recorder) sleep(ctx context.Context, d time.Duration) error {
	r.mu.Lock()
	r.sleeps = append(r.sleeps, d)
	r.mu.Unlock()
	return ctx.Err()
}

func (r *recorder) logf(format string, args ...any) {
	r.mu.Lock()
	r.logs = append(r.logs, fmt.Sprintf(format, args...))
	r.mu.Unlock()
}

func (r *recorder) waits() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Duration(nil), r.sleeps...)
}

var now = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// setup starts a fake and a client for it; opts adjust the client's
// options.
func setup(t *testing.T, opts ...func(*Options)) (*GitHub, *ghfake.Server, *recorder) {
	t.Helper()
	f := ghfake.New(t, token)
	rec := &recorder{}
	o := Options{Token: token, APIURL: f.URL(), Sleep: rec.sleep, Logf: rec.logf, Now: func() time.Time { return now }, Timeout: 2 * time.Second}
	for _, fn := range opts {
		fn(&o)
	}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, l := range rec.logs {
			if strings.Contains(l, token) {
				t.Errorf("a log line holds the token: %q", l)
			}
		}
	})
	return c, f, rec
}

func TestCreateOrUpdatePR(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c, f, _ := setup(t)
	labels := []string{"kiln", "env/dev"}

	got, err := c.CreateOrUpdatePR(ctx, "acme", "manifests", PR{Head: "kiln/dev", Base: "main", Title: "kiln: dev", Body: "first"}, labels)
	if err != nil {
		t.Fatal(err)
	}
	want := &PR{Number: 1, URL: strings.TrimSuffix(f.URL(), "api/v3/") + "acme/manifests/pull/1", Head: "kiln/dev", Base: "main", Title: "kiln: dev", Body: "first", State: "open"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("created PR (-want +got):\n%s", d)
	}

	// Again, with a new body: kiln finds its open pull request and
	// updates it.
	got, err = c.CreateOrUpdatePR(ctx, "acme", "manifests", PR{Head: "kiln/dev", Base: "main", Title: "kiln: dev (2)", Body: "second"}, labels)
	if err != nil {
		t.Fatal(err)
	}
	if got.Number != 1 || got.Body != "second" || got.Title != "kiln: dev (2)" {
		t.Errorf("updated PR = %+v, want #1 with the new title and body", got)
	}
	wantPRs := []ghfake.PR{{Number: 1, Head: "kiln/dev", Base: "main", Title: "kiln: dev (2)", Body: "second", State: "open", Labels: []string{"env/dev", "kiln"}}}
	if d := cmp.Diff(wantPRs, f.PRs("acme", "manifests"), cmpPR); d != "" {
		t.Errorf("PRs (-want +got):\n%s", d)
	}
	if n := f.Count(ghfake.RouteCreatePull); n != 1 {
		t.Errorf("%d create requests, want 1", n)
	}

	// Opened by someone else after kiln looked (the list shows none):
	// GitHub answers the create with 422, kiln updates that one.
	f.Inject(ghfake.RouteListPulls, ghfake.Fault{Status: 200, Body: "[]"})
	got, err = c.CreateOrUpdatePR(ctx, "acme", "manifests", PR{Head: "kiln/dev", Base: "main", Title: "kiln: dev (3)", Body: "third"}, labels)
	if err != nil {
		t.Fatal(err)
	}
	if got.Number != 1 || got.Body != "third" || f.Count(ghfake.RouteCreatePull) != 2 {
		t.Errorf("after a 422: %+v, %d create requests, want #1 updated after a second create", got, f.Count(ghfake.RouteCreatePull))
	}

	// Another env's PR is separate.
	got, err = c.CreateOrUpdatePR(ctx, "acme", "manifests", PR{Head: "kiln/prod", Base: "main", Title: "kiln: prod", Body: "p"}, []string{"kiln", "env/prod"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Number != 2 {
		t.Errorf("prod PR is #%d, want #2", got.Number)
	}
}

var cmpPR = cmp.Transformer("nilSlices", func(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
})

func TestCreateOrUpdatePRExisting(t *testing.T) {
	t.Parallel()
	c, f, _ := setup(t)
	f.AddPR("acme", "manifests", ghfake.PR{Head: "kiln/dev", Base: "main", Title: "old", Body: "old", State: "closed"})
	n := f.AddPR("acme", "manifests", ghfake.PR{Head: "kiln/dev", Base: "main", Title: "old", Body: "old", Labels: []string{"kiln"}})
	got, err := c.CreateOrUpdatePR(t.Context(), "acme", "manifests", PR{Head: "kiln/dev", Base: "main", Title: "new", Body: "new"}, []string{"kiln", "env/dev"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Number != n {
		t.Errorf("updated #%d, want the open #%d", got.Number, n)
	}
	prs := f.PRs("acme", "manifests")
	if len(prs) != 2 || prs[1].Title != "new" || prs[0].Title != "old" {
		t.Errorf("PRs = %+v, want the closed one untouched and the open one updated", prs)
	}
	if d := cmp.Diff([]string{"env/dev", "kiln"}, prs[1].Labels); d != "" {
		t.Errorf("labels (-want +got):\n%s", d)
	}
}

// TestCreateOrUpdatePRUnchanged: a rerun with nothing new (a retried job)
// finds kiln's open pull request with the title and body it would write,
// and leaves it alone: no create that GitHub refuses with 422, no edit to
// the same text, which GitHub records and sends to "edited" workflows.
// A pull request of the branch whose text differs is edited, not created.
func TestCreateOrUpdatePRUnchanged(t *testing.T) {
	t.Parallel()
	c, f, _ := setup(t)
	n := f.AddPR("acme", "manifests", ghfake.PR{Head: "kiln/dev", Base: "main", Title: "Promote dev", Body: "body\n", Labels: []string{"kiln"}})
	got, err := c.CreateOrUpdatePR(t.Context(), "acme", "manifests", PR{Head: "kiln/dev", Base: "main", Title: "Promote dev", Body: "body\n"}, []string{"kiln"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Number != n || got.URL == "" {
		t.Errorf("got %+v, want #%d", got, n)
	}
	if c, u := f.Count(ghfake.RouteCreatePull), f.Count(ghfake.RouteUpdatePull); c != 0 || u != 0 {
		t.Errorf("%d creates and %d edits of an unchanged pull request, want none", c, u)
	}

	if _, err := c.CreateOrUpdatePR(t.Context(), "acme", "manifests", PR{Head: "kiln/dev", Base: "main", Title: "Promote dev", Body: "new body\n"}, nil); err != nil {
		t.Fatal(err)
	}
	if c, u := f.Count(ghfake.RouteCreatePull), f.Count(ghfake.RouteUpdatePull); c != 0 || u != 1 {
		t.Errorf("%d creates and %d edits of a changed pull request, want one edit", c, u)
	}
	if prs := f.PRs("acme", "manifests"); len(prs) != 1 || prs[0].Body != "new body\n" {
		t.Errorf("PRs = %+v", prs)
	}
}

// TestCreateOrUpdatePRRetargeted: someone changed the base of kiln's pull
// request on GitHub. GitHub would let kiln open a second pull request of
// the same branch to the base it promotes to; kiln refuses instead, naming
// the pull request and its base, and changes nothing.
func TestCreateOrUpdatePRRetargeted(t *testing.T) {
	t.Parallel()
	c, f, _ := setup(t)
	n := f.AddPR("acme", "manifests", ghfake.PR{Head: "kiln/dev", Base: "release", Title: "old", Body: "old"})
	_, err := c.CreateOrUpdatePR(t.Context(), "acme", "manifests", PR{Head: "kiln/dev", Base: "main", Title: "new", Body: "new"}, nil)
	var re *RetargetedError
	if !errors.As(err, &re) || re.Number != n || re.Base != "release" || re.Want != "main" {
		t.Fatalf("CreateOrUpdatePR() = %v, want a RetargetedError naming #%d", err, n)
	}
	if !strings.HasSuffix(re.URL, fmt.Sprintf("/acme/manifests/pull/%d", n)) {
		t.Errorf("URL %q, want pull request #%d's page", re.URL, n)
	}
	if want := fmt.Sprintf("pull request #%d of branch kiln/dev (%s) targets release, not main: kiln does not open or update another pull request of the branch", n, re.URL); err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	if prs := f.PRs("acme", "manifests"); len(prs) != 1 || prs[0].Title != "old" {
		t.Errorf("PRs = %+v, want the retargeted one alone and untouched", prs)
	}
	// One to main open as well: updating it would describe, under the
	// one to release, the commit both merge.
	f.AddPR("acme", "manifests", ghfake.PR{Head: "kiln/dev", Base: "main", Title: "old", Body: "old"})
	if _, err = c.CreateOrUpdatePR(t.Context(), "acme", "manifests", PR{Head: "kiln/dev", Base: "main", Title: "new", Body: "new"}, nil); !errors.As(err, &re) || re.Number != n {
		t.Fatalf("CreateOrUpdatePR() = %v, want a RetargetedError naming #%d", err, n)
	}
	for _, p := range f.PRs("acme", "manifests") {
		if p.Title != "old" {
			t.Errorf("pull request #%d updated to %q", p.Number, p.Title)
		}
	}
	// Retargeted back: the one to main is updated.
	if err := c.ClosePR(t.Context(), "acme", "manifests", n, ""); err != nil {
		t.Fatal(err)
	}
	got, err := c.CreateOrUpdatePR(t.Context(), "acme", "manifests", PR{Head: "kiln/dev", Base: "main", Title: "new", Body: "new"}, nil)
	if err != nil || got.Base != "main" || got.Title != "new" {
		t.Errorf("CreateOrUpdatePR() = %+v, %v; want the pull request to main updated", got, err)
	}
}

// headInvalidFault is GitHub's answer to opening a pull request from a
// head it does not know, which it gives for a moment after the push too.
var headInvalidFault = ghfake.Fault{Status: 422, Body: `{"message":"Validation Failed","errors":[{"resource":"PullRequest","field":"head","code":"invalid"}],"documentation_url":"https://docs.github.com/rest/pulls/pulls#create-a-pull-request","status":"422"}`}

// TestCreatePRHeadNotYetKnown: just after kiln pushed kiln/<env>, GitHub
// may answer the pull request's creation with 422 "head invalid"; a second
// try works. kiln asks again with backoff, and gives up with GitHub's
// answer when the head stays unknown.
func TestCreatePRHeadNotYetKnown(t *testing.T) {
	t.Parallel()
	c, f, rec := setup(t)
	f.Inject(ghfake.RouteCreatePull, headInvalidFault, headInvalidFault)
	got, err := c.CreateOrUpdatePR(t.Context(), "acme", "manifests", PR{Head: "kiln/dev", Base: "main", Title: "t", Body: "b"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if prs := f.PRs("acme", "manifests"); len(prs) != 1 || got.Number != prs[0].Number {
		t.Errorf("PRs = %+v, got #%d", prs, got.Number)
	}
	if d := cmp.Diff([]time.Duration{time.Second, 2 * time.Second}, rec.waits()); d != "" {
		t.Errorf("waits (-want +got):\n%s", d)
	}

	c, f, _ = setup(t, func(o *Options) { o.MaxRetries = 2 })
	f.Inject(ghfake.RouteCreatePull, headInvalidFault, headInvalidFault, headInvalidFault)
	_, err = c.CreateOrUpdatePR(t.Context(), "acme", "manifests", PR{Head: "kiln/dev", Base: "main", Title: "t", Body: "b"}, nil)
	if err == nil || !strings.Contains(err.Error(), "422") || f.Count(ghfake.RouteCreatePull) != 3 {
		t.Errorf("err = %v after %d attempts, want GitHub's 422 after 3", err, f.Count(ghfake.RouteCreatePull))
	}
}

func TestFindOpenPR(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c, f, _ := setup(t)
	got, err := c.FindOpenPR(ctx, "acme", "manifests", "kiln/dev", "main")
	if err != nil || got != nil {
		t.Fatalf("FindOpenPR on an empty repo = %v, %v; want nil, nil", got, err)
	}
	f.AddPR("acme", "manifests", ghfake.PR{Head: "kiln/dev", Base: "main", State: "closed"})
	f.AddPR("acme", "manifests", ghfake.PR{Head: "kiln/dev", Base: "release"})
	f.AddPR("acme", "manifests", ghfake.PR{Head: "kiln/staging", Base: "main"})
	if got, err := c.FindOpenPR(ctx, "acme", "manifests", "kiln/dev", "main"); err != nil || got != nil {
		t.Fatalf("FindOpenPR with only closed or other PRs = %v, %v; want nil, nil", got, err)
	}
	n := f.AddPR("acme", "manifests", ghfake.PR{Head: "kiln/dev", Base: "main", Title: "t", Body: "b"})
	got, err = c.FindOpenPR(ctx, "acme", "manifests", "kiln/dev", "main")
	if err != nil {
		t.Fatal(err)
	}
	if got == nil || got.Number != n || got.Title != "t" || got.Body != "b" || got.State != "open" {
		t.Errorf("FindOpenPR = %+v, want #%d", got, n)
	}
}

func TestClosePR(t *testing.T) {
	t.Parallel()
	c, f, _ := setup(t)
	n := f.AddPR("acme", "manifests", ghfake.PR{Head: "kiln/dev", Base: "main"})
	// The comment is stored, but its answer is lost: kiln must not post it twice.
	f.Inject(ghfake.RouteCreateComment, ghfake.Fault{Status: 502, AfterApply: true})
	if err := c.ClosePR(t.Context(), "acme", "manifests", n, "Nothing to promote any more."); err != nil {
		t.Fatal(err)
	}
	want := []ghfake.PR{{Number: n, Head: "kiln/dev", Base: "main", State: "closed", Comments: []string{"Nothing to promote any more."}}}
	if d := cmp.Diff(want, f.PRs("acme", "manifests"), cmpPR); d != "" {
		t.Errorf("PRs (-want +got):\n%s", d)
	}
	// A run that commented and could not close (the token may comment,
	// not close): the next run does not comment again.
	k := f.AddPR("acme", "manifests", ghfake.PR{Head: "kiln/staging", Base: "main"})
	for range 2 {
		f.Inject(ghfake.RouteUpdatePull, ghfake.Fault{Status: 403, Body: `{"message":"Resource not accessible by integration"}`})
		if err := c.ClosePR(t.Context(), "acme", "manifests", k, "Nothing to promote any more."); err == nil {
			t.Fatal("closing without permission succeeded")
		}
	}
	if p := f.PRs("acme", "manifests")[1]; p.State != "open" || len(p.Comments) != 1 {
		t.Errorf("PR = %+v, want it open with one comment", p)
	}
	// Without a comment: just closed.
	m := f.AddPR("acme", "manifests", ghfake.PR{Head: "kiln/prod", Base: "main"})
	if err := c.ClosePR(t.Context(), "acme", "manifests", m, ""); err != nil {
		t.Fatal(err)
	}
	if p := f.PRs("acme", "manifests")[2]; p.State != "closed" || len(p.Comments) != 0 {
		t.Errorf("PR = %+v, want closed without comments", p)
	}
}

func TestStatuses(t *testing.T) {
	t.Parallel()
	c, f, _ := setup(t)
	const sha = "0123456789abcdef0123456789abcdef01234567"
	f.SetStatus("acme", "manifests", sha, ghfake.Status{Context: "kiln/dev/vote", State: "pending", Description: "reconciling"})
	f.SetStatus("acme", "manifests", sha, ghfake.Status{Context: "kiln/dev/db", State: "success", Description: "Applied revision: main@sha1:0123"})
	f.SetStatus("acme", "manifests", sha, ghfake.Status{Context: "kiln/dev/vote", State: "failure", Description: "health check failed after 5m0s"})
	f.SetStatus("acme", "manifests", "other", ghfake.Status{Context: "kiln/dev/x", State: "success"})
	got, err := c.Statuses(t.Context(), "acme", "manifests", sha)
	if err != nil {
		t.Fatal(err)
	}
	want := []Status{
		{Context: "kiln/dev/db", State: "success", Description: "Applied revision: main@sha1:0123"},
		{Context: "kiln/dev/vote", State: "failure", Description: "health check failed after 5m0s"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Statuses (-want +got):\n%s", d)
	}

	// A ref with a slash, and none set.
	if got, err := c.Statuses(t.Context(), "acme", "manifests", "kiln/dev"); err != nil || len(got) != 0 {
		t.Errorf("Statuses(kiln/dev) = %v, %v; want none", got, err)
	}
}

func TestStatusesPaginated(t *testing.T) {
	t.Parallel()
	c, f, _ := setup(t)
	var want []Status
	for i := range 250 {
		s := ghfake.Status{Context: fmt.Sprintf("kiln/dev/app%03d", i), State: "success"}
		f.SetStatus("acme", "manifests", "main", s)
		want = append(want, Status{Context: s.Context, State: s.State})
	}
	got, err := c.Statuses(t.Context(), "acme", "manifests", "main")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Statuses (-want +got):\n%s", d)
	}
	if n := f.Count(ghfake.RouteCombinedStatus); n != 3 {
		t.Errorf("%d requests, want 3 pages", n)
	}
}

// TestStatusesLag: just after a push GitHub's API may not know the new
// commit (422 "No commit found for SHA") or may answer for the previous
// one; Statuses asks again with backoff, a bounded number of times, and
// then says what it expected and what GitHub answered. A 404 (a repository
// the token cannot read) is no lag: it fails at once.
func TestStatusesLag(t *testing.T) {
	t.Parallel()
	const (
		sha   = "0123456789abcdef0123456789abcdef01234567"
		stale = "89abcdef0123456789abcdef0123456789abcdef"
	)
	for _, tc := range []struct {
		name    string
		faults  []ghfake.Fault
		waits   []time.Duration
		wantErr string // "" when the statuses come through
	}{
		{name: "422 twice", faults: []ghfake.Fault{ghfake.UnknownCommit(sha), ghfake.UnknownCommit(sha)}, waits: []time.Duration{time.Second, 2 * time.Second}},
		{name: "the previous commit", faults: []ghfake.Fault{ghfake.StaleCommit(stale)}, waits: []time.Duration{time.Second}},
		{
			name:    "422 past the bound",
			faults:  repeat(ghfake.UnknownCommit(sha), 7),
			waits:   []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second},
			wantErr: `GitHub does not show the statuses of commit ` + sha + `: it answered 422 "No commit found for SHA: ` + sha + `" (6 attempts over 31s)`,
		},
		{
			name:    "the previous commit past the bound",
			faults:  repeat(ghfake.StaleCommit(stale), 7),
			waits:   []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second},
			wantErr: `GitHub does not show the statuses of commit ` + sha + `: it answered for commit ` + stale + ` (6 attempts over 31s)`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, f, rec := setup(t)
			f.SetStatus("acme", "manifests", sha, ghfake.Status{Context: "kiln/dev/web", State: "success"})
			f.Inject(ghfake.RouteCombinedStatus, tc.faults...)
			got, err := c.Statuses(t.Context(), "acme", "manifests", sha)
			if d := cmp.Diff(tc.waits, rec.waits()); d != "" {
				t.Errorf("waits (-want +got):\n%s", d)
			}
			if tc.wantErr == "" {
				if err != nil || len(got) != 1 || got[0].State != "success" {
					t.Fatalf("Statuses = %v, %v; want the success", got, err)
				}
				return
			}
			var lag *UnknownCommitError
			if !errors.As(err, &lag) || err.Error() != tc.wantErr {
				t.Fatalf("err = %v\nwant %s", err, tc.wantErr)
			}
		})
	}

	// 404: no wait, no UnknownCommitError.
	{
		c, f, rec := setup(t)
		f.Inject(ghfake.RouteCombinedStatus, ghfake.ServerError(http.StatusNotFound))
		_, err := c.Statuses(t.Context(), "acme", "manifests", sha)
		var lag *UnknownCommitError
		if err == nil || errors.As(err, &lag) || len(rec.waits()) != 0 {
			t.Errorf("404: err = %v after %d waits, want a failure at once", err, len(rec.waits()))
		}
	}

	// The context ends while it waits: no more attempts.
	c, f, _ := setup(t, func(o *Options) {
		o.Sleep = func(context.Context, time.Duration) error { return context.Canceled }
	})
	f.Inject(ghfake.RouteCombinedStatus, repeat(ghfake.UnknownCommit(sha), 7)...)
	if _, err := c.Statuses(t.Context(), "acme", "manifests", sha); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if n := f.Count(ghfake.RouteCombinedStatus); n != 1 {
		t.Errorf("%d requests after the context ended, want 1", n)
	}
}

// TestTransient: what the client is left with after its retries is
// GitHub's trouble (asking later may succeed) or the request's (the
// token, the repository), which the gate tells apart.
func TestTransient(t *testing.T) {
	t.Parallel()
	const sha = "0123456789abcdef0123456789abcdef01234567"
	for _, tc := range []struct {
		name  string
		fault ghfake.Fault
		want  bool
	}{
		{"502", ghfake.ServerError(http.StatusBadGateway), true},
		{"primary rate limit", ghfake.PrimaryRateLimit(now.Add(time.Hour)), true},
		{"secondary rate limit", ghfake.SecondaryRateLimit(600), true},
		{"429", ghfake.TooManyRequests(600), true},
		{"404", ghfake.ServerError(http.StatusNotFound), false},
		{"403 not accessible", ghfake.Fault{Status: http.StatusForbidden, Body: `{"message":"Resource not accessible by integration"}`}, false},
		{"401", ghfake.ServerError(http.StatusUnauthorized), false},
		{"no answer in time", ghfake.Slow(10 * time.Second), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, f, _ := setup(t, func(o *Options) { o.MaxRetries, o.Timeout = -1, 200*time.Millisecond })
			f.Inject(ghfake.RouteCombinedStatus, tc.fault)
			_, err := c.Statuses(t.Context(), "acme", "manifests", sha)
			if err == nil {
				t.Fatal("no error")
			}
			if got := Transient(err); got != tc.want {
				t.Errorf("Transient(%v) = %v, want %v", err, got, tc.want)
			}
		})
	}
}

// TestUnreachable: a request that never reached the API (a refused
// connection, a host that does not resolve, TLS failing) is told from one
// GitHub answered, or did not answer in time, also when the caller's
// deadline cut the client's retries after it.
func TestUnreachable(t *testing.T) {
	t.Parallel()
	const sha = "0123456789abcdef0123456789abcdef01234567"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String() + "/api/v3/"
	ln.Close()
	untrusted := httptest.NewUnstartedServer(http.NotFoundHandler())
	untrusted.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshakes refused
	untrusted.StartTLS()
	t.Cleanup(untrusted.Close)
	plain := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(plain.Close)
	// A transport whose connections fail as err says, at once.
	dialing := func(err error) http.RoundTripper {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.DialContext = func(context.Context, string, string) (net.Conn, error) {
			return nil, &net.OpError{Op: "dial", Net: "tcp", Err: err}
		}
		return tr
	}
	for _, tc := range []struct {
		name  string
		owner string // "" is acme
		opts  func(*Options)
		// fault is the fake GitHub's answer, when it is asked.
		fault ghfake.Fault
		// deadline cuts the retries by WithRetryDeadline.
		deadline bool
		want     bool
	}{
		{name: "connection refused", opts: func(o *Options) { o.APIURL = refused }, want: true},
		{name: "connection refused, retries cut", opts: func(o *Options) { o.APIURL = refused }, deadline: true, want: true},
		{name: "a host that does not resolve", opts: func(o *Options) {
			o.Transport = dialing(&net.DNSError{Err: "no such host", Name: "ghe.invalid", IsNotFound: true})
		}, want: true},
		{name: "a certificate not trusted", opts: func(o *Options) { o.APIURL = untrusted.URL + "/api/v3/" }, want: true},
		{name: "a server that does not speak TLS", opts: func(o *Options) { o.APIURL = "https://" + plain.Listener.Addr().String() + "/api/v3/" }, want: true},
		{name: "401", fault: ghfake.ServerError(http.StatusUnauthorized)},
		{name: "404", fault: ghfake.ServerError(http.StatusNotFound)},
		{name: "502", fault: ghfake.ServerError(http.StatusBadGateway)},
		{name: "502, retries cut", fault: ghfake.ServerError(http.StatusBadGateway), deadline: true},
		{name: "a commit GitHub does not know, retries cut", fault: ghfake.UnknownCommit(sha), deadline: true},
		// No request at all: manifests.github's to fix.
		{name: "an owner that makes no URL", owner: "ac%zz"},
		{name: "no answer in time", opts: func(o *Options) { o.Transport = dialing(os.ErrDeadlineExceeded) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, f, _ := setup(t, func(o *Options) {
				// No case waits for an answer: a bound that a loaded machine
				// may reach in a TLS handshake would only make it a timeout.
				o.MaxRetries, o.Timeout = -1, time.Minute
				if tc.deadline {
					o.MaxRetries = 5
				}
				if tc.opts != nil {
					tc.opts(o)
				}
			})
			f.Inject(ghfake.RouteCombinedStatus, repeat(tc.fault, 6)...)
			ctx := t.Context()
			if tc.deadline {
				ctx = WithRetryDeadline(ctx, now.Add(2*time.Second))
			}
			owner := "acme"
			if tc.owner != "" {
				owner = tc.owner
			}
			_, err := c.Statuses(ctx, owner, "manifests", sha)
			if err == nil {
				t.Fatal("no error")
			}
			var de *DeadlineError
			if tc.deadline != errors.As(err, &de) {
				t.Fatalf("err = %v, want a DeadlineError: %v", err, tc.deadline)
			}
			if got := Unreachable(err); got != tc.want {
				t.Errorf("Unreachable(%v) = %v, want %v", err, got, tc.want)
			}
		})
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	c, _, _ := setup(t, func(o *Options) { o.APIURL = refused })
	if _, err := c.Statuses(ctx, "acme", "manifests", sha); Unreachable(err) {
		t.Errorf("interrupted: Unreachable(%v) = true", err)
	}
}

// TestCreateOrUpdatePRLabelsFail: the title and body are written before
// the labels; when only the labels fail, the pull request comes back with
// the error, so that the caller does not say it holds the old text.
func TestCreateOrUpdatePRLabelsFail(t *testing.T) {
	t.Parallel()
	c, f, _ := setup(t)
	f.Inject(ghfake.RouteAddLabels, ghfake.Fault{Status: 403, Body: `{"message":"Resource not accessible by integration"}`})
	got, err := c.CreateOrUpdatePR(t.Context(), "acme", "manifests", PR{Head: "kiln/dev", Base: "main", Title: "t", Body: "b"}, []string{"kiln"})
	if err == nil || got == nil || got.Title != "t" {
		t.Errorf("CreateOrUpdatePR() = %+v, %v; want the pull request opened, with the labels' error", got, err)
	}
}
