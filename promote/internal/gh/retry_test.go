package gh

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/promote/internal/ghfake"
)

// TestRetries injects each fault GitHub produces, then lets the request
// succeed: the client must wait as asked and end up with one PR.
func TestRetries(t *testing.T) {
	t.Parallel()
	type call func(context.Context, *GitHub, *ghfake.Server) error
	find := func(ctx context.Context, c *GitHub, _ *ghfake.Server) error {
		_, err := c.FindOpenPR(ctx, "acme", "manifests", "kiln/dev", "main")
		return err
	}
	create := func(ctx context.Context, c *GitHub, _ *ghfake.Server) error {
		_, err := c.CreateOrUpdatePR(ctx, "acme", "manifests", PR{Head: "kiln/dev", Base: "main", Title: "t", Body: "b"}, []string{"kiln"})
		return err
	}
	update := func(ctx context.Context, c *GitHub, f *ghfake.Server) error {
		f.AddPR("acme", "manifests", ghfake.PR{Head: "kiln/dev", Base: "main", Title: "old"})
		return create(ctx, c, f)
	}
	statuses := func(ctx context.Context, c *GitHub, _ *ghfake.Server) error {
		_, err := c.Statuses(ctx, "acme", "manifests", "main")
		return err
	}
	for _, tc := range []struct {
		name   string
		route  string
		faults []ghfake.Fault
		call   call
		// waits are the pauses the client must take.
		waits []time.Duration
		// requests is how many requests the route must see.
		requests int
	}{
		{name: "500", route: ghfake.RouteListPulls, faults: []ghfake.Fault{ghfake.ServerError(500)}, call: find, waits: []time.Duration{time.Second}, requests: 2},
		{name: "502 twice", route: ghfake.RouteListPulls, faults: []ghfake.Fault{ghfake.ServerError(502), ghfake.ServerError(502)}, call: find, waits: []time.Duration{time.Second, 2 * time.Second}, requests: 3},
		{name: "503 with Retry-After", route: ghfake.RouteCombinedStatus, faults: []ghfake.Fault{{Status: 503, Header: map[string][]string{"Retry-After": {"4"}}}}, call: statuses, waits: []time.Duration{4 * time.Second}, requests: 2},
		{name: "429 Retry-After", route: ghfake.RouteListPulls, faults: []ghfake.Fault{ghfake.TooManyRequests(7)}, call: find, waits: []time.Duration{7 * time.Second}, requests: 2},
		{name: "secondary limit with Retry-After", route: ghfake.RouteCombinedStatus, faults: []ghfake.Fault{ghfake.SecondaryRateLimit(3)}, call: statuses, waits: []time.Duration{3 * time.Second}, requests: 2},
		{name: "secondary limit without Retry-After", route: ghfake.RouteCombinedStatus, faults: []ghfake.Fault{ghfake.SecondaryRateLimit(0)}, call: statuses, waits: []time.Duration{time.Minute}, requests: 2},
		{name: "abuse detection (older GitHub Enterprise Server)", route: ghfake.RouteCombinedStatus, faults: []ghfake.Fault{{Status: 403, Body: `{"message":"You have triggered an abuse detection mechanism. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/enterprise/2.21/v3/#abuse-rate-limits"}`}}, call: statuses, waits: []time.Duration{time.Minute}, requests: 2},
		{name: "429 without Retry-After", route: ghfake.RouteCombinedStatus, faults: []ghfake.Fault{{Status: 429, Body: `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}`}}, call: statuses, waits: []time.Duration{time.Minute}, requests: 2},
		{name: "primary limit until reset", route: ghfake.RouteListPulls, faults: []ghfake.Fault{ghfake.PrimaryRateLimit(now.Add(42 * time.Second))}, call: find, waits: []time.Duration{43 * time.Second}, requests: 2},
		{name: "timeout", route: ghfake.RouteListPulls, faults: []ghfake.Fault{ghfake.Slow(20 * time.Second)}, call: find, waits: []time.Duration{time.Second}, requests: 2},
		// Writes.
		{name: "create: 429 is retried as is", route: ghfake.RouteCreatePull, faults: []ghfake.Fault{ghfake.TooManyRequests(5)}, call: create, waits: []time.Duration{5 * time.Second}, requests: 2},
		{name: "create: secondary limit is retried as is", route: ghfake.RouteCreatePull, faults: []ghfake.Fault{ghfake.SecondaryRateLimit(2)}, call: create, waits: []time.Duration{2 * time.Second}, requests: 2},
		{name: "create: 500 not applied", route: ghfake.RouteCreatePull, faults: []ghfake.Fault{ghfake.ServerError(500)}, call: create, waits: []time.Duration{time.Second}, requests: 2},
		{name: "create: 502 but applied", route: ghfake.RouteCreatePull, faults: []ghfake.Fault{{Status: 502, AfterApply: true}}, call: create, waits: []time.Duration{time.Second}, requests: 1},
		{name: "create: answer lost", route: ghfake.RouteCreatePull, faults: []ghfake.Fault{{Delay: 20 * time.Second, AfterApply: true}}, call: create, waits: []time.Duration{time.Second}, requests: 1},
		{name: "update: 500", route: ghfake.RouteUpdatePull, faults: []ghfake.Fault{ghfake.ServerError(500)}, call: update, waits: []time.Duration{time.Second}, requests: 2},
		{name: "labels: 502", route: ghfake.RouteAddLabels, faults: []ghfake.Fault{ghfake.ServerError(502)}, call: create, waits: []time.Duration{time.Second}, requests: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, f, rec := setup(t, func(o *Options) { o.Timeout = 300 * time.Millisecond })
			f.Inject(tc.route, tc.faults...)
			if err := tc.call(t.Context(), c, f); err != nil {
				t.Fatalf("call failed: %v", err)
			}
			if d := cmp.Diff(tc.waits, rec.waits()); d != "" {
				t.Errorf("waits (-want +got):\n%s", d)
			}
			if n := f.Count(tc.route); n != tc.requests {
				t.Errorf("%s received %d requests, want %d", tc.route, n, tc.requests)
			}
			open := 0
			for _, p := range f.PRs("acme", "manifests") {
				if p.State == "open" {
					open++
				}
			}
			if open > 1 {
				t.Errorf("%d open PRs, want at most one: %+v", open, f.PRs("acme", "manifests"))
			}
		})
	}
}

func TestRetryLimits(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		opts    func(*Options)
		route   string
		faults  []ghfake.Fault
		waits   []time.Duration
		wantErr string
	}{
		{
			name:    "exhausted",
			route:   ghfake.RouteListPulls,
			faults:  repeat(ghfake.ServerError(500), 6),
			waits:   []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second},
			wantErr: "(gave up after 6 attempts)",
		},
		{
			name:    "MaxRetries and MaxWait",
			opts:    func(o *Options) { o.MaxRetries = 3; o.MaxWait = 3 * time.Second },
			route:   ghfake.RouteListPulls,
			faults:  repeat(ghfake.ServerError(502), 4),
			waits:   []time.Duration{time.Second, 2 * time.Second, 3 * time.Second},
			wantErr: "(gave up after 4 attempts)",
		},
		{
			name:    "no retries",
			opts:    func(o *Options) { o.MaxRetries = -1 },
			route:   ghfake.RouteListPulls,
			faults:  repeat(ghfake.ServerError(500), 1),
			wantErr: ": 500 Server Error",
		},
		{
			name:    "Retry-After longer than MaxWait",
			opts:    func(o *Options) { o.MaxWait = 10 * time.Second },
			route:   ghfake.RouteListPulls,
			faults:  []ghfake.Fault{ghfake.TooManyRequests(3600)},
			wantErr: "429",
		},
		{
			// GitHub asks for a minute at least: asking earlier
			// extends the limit, so kiln gives up instead.
			name:    "secondary limit longer than MaxWait",
			opts:    func(o *Options) { o.MaxWait = 10 * time.Second },
			route:   ghfake.RouteListPulls,
			faults:  []ghfake.Fault{ghfake.SecondaryRateLimit(0)},
			wantErr: "secondary rate limit",
		},
		{
			name:    "rate limit reset too far",
			route:   ghfake.RouteListPulls,
			faults:  []ghfake.Fault{ghfake.PrimaryRateLimit(now.Add(time.Hour))},
			wantErr: "API rate limit exceeded",
		},
		{
			name:    "403 without limit is not retried",
			route:   ghfake.RouteListPulls,
			faults:  []ghfake.Fault{{Status: 403, Body: `{"message":"Resource not accessible by integration"}`}},
			wantErr: "Resource not accessible by integration",
		},
		{
			name:    "timeouts exhausted",
			opts:    func(o *Options) { o.MaxRetries = 1; o.Timeout = 100 * time.Millisecond },
			route:   ghfake.RouteListPulls,
			faults:  repeat(ghfake.Slow(10*time.Second), 2),
			waits:   []time.Duration{time.Second},
			wantErr: "no answer from GitHub within 100ms",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := []func(*Options){}
			if tc.opts != nil {
				opts = append(opts, tc.opts)
			}
			c, f, rec := setup(t, opts...)
			f.Inject(tc.route, tc.faults...)
			_, err := c.FindOpenPR(t.Context(), "acme", "manifests", "kiln/dev", "main")
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("the error holds the token: %v", err)
			}
			if d := cmp.Diff(tc.waits, rec.waits()); d != "" {
				t.Errorf("waits (-want +got):\n%s", d)
			}
		})
	}
}

func repeat(f ghfake.Fault, n int) []ghfake.Fault {
	out := make([]ghfake.Fault, n)
	for i := range out {
		out[i] = f
	}
	return out
}

// TestCancel: cancelling the context stops a wait at once.
func TestCancel(t *testing.T) {
	t.Parallel()
	f := ghfake.New(t, token)
	c, err := New(Options{Token: token, APIURL: f.URL()}) // the real sleep
	if err != nil {
		t.Fatal(err)
	}
	f.Inject(ghfake.RouteListPulls, ghfake.TooManyRequests(50))
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = c.FindOpenPR(ctx, "acme", "manifests", "kiln/dev", "main")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error = %v, want the context's deadline", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %s; the wait did not stop with the context", d)
	}
}

// TestTokenNeverShown provokes every kind of error and checks none, nor
// any log line, holds the token.
func TestTokenNeverShown(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	var errs []error

	// A wrong token: GitHub answers 401.
	f := ghfake.New(t, "another-token")
	c, err := New(Options{Token: token, APIURL: f.URL(), MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.FindOpenPR(ctx, "acme", "manifests", "kiln/dev", "main")
	if err == nil || !strings.Contains(err.Error(), "401 Bad credentials") {
		t.Errorf("with a wrong token: error = %v, want 401 Bad credentials", err)
	}
	errs = append(errs, err)

	c, f, _ = setup(t, func(o *Options) { o.MaxRetries = 1; o.Timeout = 100 * time.Millisecond })
	f.Inject(ghfake.RouteListPulls, ghfake.ServerError(500), ghfake.ServerError(500))
	_, err = c.FindOpenPR(ctx, "acme", "manifests", "kiln/dev", "main")
	errs = append(errs, err)
	f.Inject(ghfake.RouteCreatePull, repeat(ghfake.Slow(5*time.Second), 3)...)
	_, err = c.CreateOrUpdatePR(ctx, "acme", "manifests", PR{Head: "kiln/dev", Base: "main", Title: "t"}, nil)
	errs = append(errs, err)
	_, err = c.CreateOrUpdatePR(ctx, "acme", "manifests", PR{Head: "kiln/dev", Base: "main"}, nil) // 422: no title
	errs = append(errs, err)
	errs = append(errs, c.ClosePR(ctx, "acme", "manifests", 99, "x"))
	f.Inject(ghfake.RouteCombinedStatus, ghfake.SecondaryRateLimit(3600))
	_, err = c.Statuses(ctx, "acme", "manifests", "main")
	errs = append(errs, err)

	_, err = New(Options{Token: "ab\ncd" + token})
	errs = append(errs, err)
	_, err = New(Options{APIURL: "https://x:" + token + "@ghe.example.com/api/v3/"})
	errs = append(errs, err)

	for i, err := range errs {
		if err == nil {
			t.Errorf("case %d: no error", i)
			continue
		}
		if strings.Contains(err.Error(), token) {
			t.Errorf("case %d: the error holds the token: %v", i, err)
		}
	}
}

func TestNewErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{name: "not a URL", opts: Options{APIURL: "ghe.example.com"}, want: `the GitHub API URL "ghe.example.com" is not an http(s) URL; pass e.g. --github-api https://ghe.example.com/api/v3/`},
		{name: "password with #", opts: Options{APIURL: "https://u:12#s3cret@ghe.example.com/api/v3/"}, want: "the GitHub API URL https://ghe.example.com/api/v3/ has a query or fragment; pass the API's base URL, e.g. --github-api https://ghe.example.com/api/v3/, and the token with --token or GITHUB_TOKEN"},
		{name: "credentials", opts: Options{APIURL: "https://u:p@ghe.example.com/api/v3/"}, want: "the GitHub API URL https://ghe.example.com/api/v3/ holds credentials; pass the token with --token or GITHUB_TOKEN instead"},
		{name: "bad token", opts: Options{Token: "abc def"}, want: "the GitHub token holds a space or control character; check GITHUB_TOKEN or --token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(tc.opts)
			if err == nil {
				t.Fatal("no error")
			}
			if d := cmp.Diff(tc.want, err.Error()); d != "" {
				t.Errorf("error (-want +got):\n%s", d)
			}
		})
	}
}

// TestLastRequestOfTheBudget: the answer to the last request of the
// primary rate limit's budget is a 200 with X-RateLimit-Remaining: 0.
// go-github remembered its reset and refused the next request itself,
// without sending it, so the wait until a reset seconds away (as for
// GitHub's own 403) never happened: the gate's next poll failed at once.
func TestLastRequestOfTheBudget(t *testing.T) {
	t.Parallel()
	// go-github reads the real clock: the reset must be ahead of it.
	base := time.Now().Truncate(time.Second)
	reset := base.Add(42 * time.Second)
	c, f, rec := setup(t, func(o *Options) { o.Now = func() time.Time { return base } })
	const sha = "0123456789abcdef0123456789abcdef01234567"
	f.SetStatus("acme", "manifests", sha, ghfake.Status{Context: "kiln/dev/web", State: "success"})
	last := ghfake.PrimaryRateLimit(reset)
	last.Status = http.StatusOK
	last.Header.Set("X-Ratelimit-Remaining", "0")
	last.Body = `{"state":"pending","sha":"` + sha + `","total_count":0,"statuses":[]}`
	f.Inject(ghfake.RouteCombinedStatus, last, ghfake.PrimaryRateLimit(reset))
	if got, err := c.Statuses(t.Context(), "acme", "manifests", sha); err != nil || len(got) != 0 {
		t.Fatalf("first read = %v, %v; want no statuses", got, err)
	}
	got, err := c.Statuses(t.Context(), "acme", "manifests", sha)
	if err != nil || len(got) != 1 || got[0].State != "success" {
		t.Fatalf("read after the budget's last request = %v, %v; want the success, after waiting for the reset", got, err)
	}
	if d := cmp.Diff([]time.Duration{43 * time.Second}, rec.waits()); d != "" {
		t.Errorf("waits (-want +got):\n%s", d)
	}
	if n := f.Count(ghfake.RouteCombinedStatus); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
}

// TestRefusedConnection: a connection refused (a --github-api naming no
// server, or a host down) was reported as "no answer from GitHub within
// 30s", at once: the per-attempt context was asked whether it had timed
// out after being cancelled, which it then always had (and a POST whose
// connection was never made was not repeated, the dial error being
// replaced). The error now says what happened, and the gate does not take
// it for GitHub's passing trouble (Transient).
func TestRefusedConnection(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	rec := &recorder{}
	c, err := New(Options{Token: token, APIURL: "http://" + addr + "/api/v3/", MaxRetries: 1, Sleep: rec.sleep, Logf: rec.logf})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Statuses(t.Context(), "acme", "manifests", "0123456789abcdef0123456789abcdef01234567")
	if err == nil || !strings.Contains(err.Error(), "connection refused") || strings.Contains(err.Error(), "no answer from GitHub") || Transient(err) {
		t.Errorf("read: err = %v (transient %v), want the refused connection, not a timeout", err, Transient(err))
	}
	if n := len(rec.waits()); n != 1 {
		t.Errorf("%d retries, want 1", n)
	}
}

// TestRetryDeadline: under WithRetryDeadline (kiln promote --wait) no
// pause between attempts that would end after the deadline is started,
// whoever sets its length (GitHub's rate limit, the backoff after a
// failure or a commit GitHub does not know yet): the request ends at
// once, saying what kiln was waiting on. The pauses were taken in full,
// so a wait of 20s could last minutes. A cancel stays a cancel.
func TestRetryDeadline(t *testing.T) {
	t.Parallel()
	const sha = "0123456789abcdef0123456789abcdef01234567"
	for _, tc := range []struct {
		name   string
		faults []ghfake.Fault
		// cancelAt cancels the context in the pause of that number (from
		// 1); 0 never.
		cancelAt int
		waits    []time.Duration
		// waiting is what the *DeadlineError says; "" wants the cancel.
		waiting string
	}{
		{
			name:    "rate limit resets after the deadline",
			faults:  []ghfake.Fault{ghfake.PrimaryRateLimit(now.Add(50 * time.Second))},
			waiting: "GitHub rate limited kiln's requests until 2025-06-01T12:00:51Z (403 for GET /api/v3/repos/acme/manifests/commits/" + sha + "/status)",
		},
		{
			name:    "Retry-After past the deadline and MaxWait",
			faults:  []ghfake.Fault{ghfake.SecondaryRateLimit(3600)},
			waiting: "GitHub rate limited kiln's requests until 2025-06-01T13:00:00Z (403 for GET /api/v3/repos/acme/manifests/commits/" + sha + "/status)",
		},
		{
			name:    "backoff after server errors",
			faults:  repeat(ghfake.ServerError(502), 6),
			waits:   []time.Duration{time.Second, 2 * time.Second},
			waiting: "GitHub's API failed (502 for GET /api/v3/repos/acme/manifests/commits/" + sha + "/status)",
		},
		{
			name:    "a commit GitHub does not know",
			faults:  repeat(ghfake.UnknownCommit(sha), 6),
			waits:   []time.Duration{time.Second, 2 * time.Second},
			waiting: `GitHub did not know commit ` + sha + ` yet: it answered 422 "No commit found for SHA: ` + sha + `" (3 attempts over 3s)`,
		},
		{
			name:     "cancelled in a pause",
			faults:   repeat(ghfake.UnknownCommit(sha), 6),
			cancelAt: 2,
			waits:    []time.Duration{time.Second, 2 * time.Second},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			clock, pauses := now, 0
			c, f, rec := setup(t, func(o *Options) {
				o.Now = func() time.Time { return clock }
				record := o.Sleep
				o.Sleep = func(ctx context.Context, d time.Duration) error {
					clock = clock.Add(d)
					if pauses++; pauses == tc.cancelAt {
						cancel()
					}
					return record(ctx, d)
				}
			})
			f.Inject(ghfake.RouteCombinedStatus, tc.faults...)
			deadline := now.Add(5 * time.Second)
			_, err := c.Statuses(WithRetryDeadline(ctx, deadline), "acme", "manifests", sha)
			if d := cmp.Diff(tc.waits, rec.waits()); d != "" {
				t.Errorf("waits (-want +got):\n%s", d)
			}
			if clock.After(deadline) {
				t.Errorf("the client waited until %s, past the deadline %s", clock, deadline)
			}
			var de *DeadlineError
			if tc.waiting == "" {
				if !errors.Is(err, context.Canceled) || errors.As(err, &de) {
					t.Errorf("err = %v, want the cancel", err)
				}
				return
			}
			if !errors.As(err, &de) {
				t.Fatalf("err = %v, want a *DeadlineError", err)
			}
			if de.Waiting != tc.waiting || !de.Deadline.Equal(deadline) {
				t.Errorf("DeadlineError waiting %q, deadline %s\nwant %q, %s", de.Waiting, de.Deadline, tc.waiting, deadline)
			}
			if logs := strings.Join(rec.logs, "\n"); !strings.Contains(logs, ", after the deadline 2025-06-01T12:00:05Z: "+tc.waiting) {
				t.Errorf("the log does not say why kiln stopped:\n%s", logs)
			}
		})
	}
}
