package promote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/promote/internal/ghfake"
)

// TestGateWaitBound: --wait bounded the gate's polls only. Inside a poll
// the GitHub client asked again on its own, after pauses that were not
// counted: up to 31s for a commit GitHub did not know, as long as a rate
// limit asked for (a minute); and a read GitHub did not answer took the
// client's timeout of 30s, then its retries. A --wait of 20s could take
// minutes, and a gate that passed after them had not met its bound. No
// pause past the end of the wait is started now, and a read still running
// a grace after it is cut: the gate ends as when the wait runs out between
// polls, a GateError saying what kiln was waiting on. An interrupt stays
// an interrupt, and a failure no pause mends stays a failure.
func TestGateWaitBound(t *testing.T) {
	t.Parallel()
	g := newGitHubGate(t)
	f, api, tip := g.f, g.api, g.tip
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	wait := 20 * time.Second
	var slept []time.Duration
	from := func() Options {
		slept = nil
		o := g.from(wait, nil)
		sleep := o.Sleep
		o.Sleep = func(ctx context.Context, d time.Duration) error {
			slept = append(slept, d)
			return sleep(ctx, d)
		}
		return o
	}
	statusHint := "\n  hint: " + githubTroubleHint
	for _, tc := range []struct {
		name  string
		state string // of every app of dev
		// faults are the answers of the status reads, in turn.
		faults []ghfake.Fault
		sleeps []time.Duration
		want   string
	}{
		{
			// Before, the client asked again after 1, 2, 4, 8 and 16s
			// (31s), and a sixth answer would have passed the gate.
			name:   "a commit GitHub never knows",
			state:  "success",
			faults: repeat(ghfake.UnknownCommit(tip), 5),
			sleeps: []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second},
			want: fmt.Sprintf(`env dev is not healthy yet on commit %s: no successful status for apps cache, web (statuses not read) after waiting 15s; `+
				`--wait 20s runs out before kiln's next request to GitHub: GitHub did not know commit %s yet: it answered 422 "No commit found for SHA: %s" (5 attempts over 15s)`+
				"\n  hint: "+lagHint, tip[:7], tip, tip),
		},
		{
			// Healthy once the limit resets, 51s on: before, the gate
			// waited it out and passed.
			name:   "rate limited past the wait",
			state:  "success",
			faults: []ghfake.Fault{ghfake.PrimaryRateLimit(start.Add(50 * time.Second))},
			want: fmt.Sprintf(`env dev is not healthy yet on commit %s: no successful status for apps cache, web (statuses not read); `+
				`--wait 20s runs out before kiln's next request to GitHub: GitHub rate limited kiln's requests until 2024-01-01T00:00:51Z (403 for GET /api/v3/repos/acme/manifests/commits/%s/status)`+
				statusHint, tip[:7], tip),
		},
		{
			// The first poll read dev's statuses: they are the verdict.
			name:   "rate limited at the second poll",
			state:  "pending",
			faults: []ghfake.Fault{{}, ghfake.PrimaryRateLimit(start.Add(50 * time.Second))},
			sleeps: []time.Duration{15 * time.Second},
			want: fmt.Sprintf(`env dev is not healthy yet on commit %s: no successful status for apps cache, web (pending: cache, web) after waiting 15s; `+
				`--wait 20s runs out before kiln's next request to GitHub: GitHub rate limited kiln's requests until 2024-01-01T00:00:51Z (403 for GET /api/v3/repos/acme/manifests/commits/%s/status)`+
				statusHint, tip[:7], tip),
		},
	} {
		g.log.Reset()
		g.set(tc.state)
		api.Inject(ghfake.RouteCombinedStatus, tc.faults...)
		o := from()
		_, err := promote(t, f, o)
		var ge *GateError
		if !errors.As(err, &ge) {
			t.Errorf("%s: err = %v, want a GateError\n%s", tc.name, err, g.log.String())
			continue
		}
		if d := cmp.Diff(tc.want, err.Error()); d != "" {
			t.Errorf("%s: error (-want +got):\n%s", tc.name, d)
		}
		if d := cmp.Diff(tc.sleeps, slept); d != "" {
			t.Errorf("%s: sleeps (-want +got):\n%s", tc.name, d)
		}
		if end := o.Now(); end.After(start.Add(wait)) {
			t.Errorf("%s: the gate slept until %s, past the end of --wait at %s", tc.name, end, start.Add(wait))
		}
		if !strings.Contains(g.log.String(), "GitHub: not asking again at ") {
			t.Errorf("%s: the log does not say that kiln did not wait:\n%s", tc.name, g.log.String())
		}
	}

	// Interrupted in the client's second pause.
	api.Inject(ghfake.RouteCombinedStatus, repeat(ghfake.UnknownCommit(tip), 2)...)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := g.from(5*time.Minute, func(sleeps int) error {
		if sleeps == 2 {
			cancel()
			return ctx.Err()
		}
		return nil
	})
	_, err := Promote(ctx, f.pipeline(t), o)
	var ge *GateError
	var de *diag.Error
	if !errors.Is(err, context.Canceled) || errors.As(err, &ge) || errors.As(err, &de) {
		t.Errorf("interrupted: err = %v, want the cancel as such, not the wait running out nor a failed read", err)
	}

	// An API kiln cannot reach (--github-api naming a host that refuses
	// connections, or whose certificate does not verify): the client's
	// pauses after it cross a wait of 20s, not one of 5m, and either way
	// it is the failure it is, exit 1, not the wait running out on
	// GitHub's trouble; and its hint names --github-api and the URL, not
	// manifests.github and the token, which were not asked about.
	untrusted := httptest.NewUnstartedServer(http.NotFoundHandler())
	untrusted.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshakes kiln refuses
	untrusted.StartTLS()
	defer untrusted.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String() + "/api/v3/"
	ln.Close()
	unreachable := func(api string) string { return "kiln could not reach GitHub's API at " + api + " (--github-api): " }
	for _, api := range []struct{ name, url, says string }{
		{name: "connection refused", url: refused, says: "connection refused"},
		{name: "a certificate that does not verify", url: untrusted.URL + "/api/v3/", says: "x509"},
	} {
		for _, wait := range []time.Duration{wait, 5 * time.Minute} {
			o := g.from(wait, nil)
			o.GitHubAPI = api.url
			_, err := promote(t, f, o)
			if !errors.As(err, &de) || errors.As(err, &ge) || !strings.HasPrefix(de.Hint, unreachable(api.url)) || !strings.Contains(de.Msg, api.says) {
				t.Errorf("--wait %s, %s: err = %v, want the failed read, exit 1, with a hint starting %q", wait, api.name, err, unreachable(api.url))
			}
		}
	}
	// So for the pull request, kiln's first request to GitHub without
	// --from (before its push, which the hint says).
	o = g.f.opts(t, "staging", &g.log)
	o.GitHub, o.GitHubAPI = nil, refused
	o.Sleep = func(context.Context, time.Duration) error { return nil }
	_, err = promote(t, f, o)
	if !errors.As(err, &de) || !strings.HasPrefix(de.Hint, unreachable(refused)) || !strings.HasSuffix(de.Hint, "; nothing was pushed") {
		t.Errorf("the pull request, connection refused: err = %v, want a hint starting %q", err, unreachable(refused))
	}

	// A read GitHub does not answer, on the real clock, which alone can
	// cut a request: the wait of 1ms is over before the read, the grace
	// of 50ms soon after (or before the request is sent, which ends the
	// same: last, so that the fault it may leave behind harms no other).
	g.log.Reset()
	api.Inject(ghfake.RouteCombinedStatus, ghfake.Slow(30*time.Second))
	o = g.from(time.Millisecond, nil)
	o.Now, o.Sleep, o.waitGrace = nil, nil, 50*time.Millisecond
	_, err = promote(t, f, o)
	cut := "--wait 1ms ran out while kiln waited for GitHub's answer to the status read of " + tip[:7]
	want := "env dev is not healthy yet on commit " + tip[:7] + ": no successful status for apps cache, web (statuses not read)"
	if !errors.As(err, &ge) || ge.Cut != cut || !ge.Unread || !strings.HasPrefix(err.Error(), want) ||
		!strings.Contains(err.Error(), "; "+cut+"\n  hint: run again later, or pass a longer --wait") {
		t.Errorf("a read cut: err = %v\nwant %s …; %s and the hint\n%s", err, want, cut, g.log.String())
	}
}

func repeat(f ghfake.Fault, n int) []ghfake.Fault {
	out := make([]ghfake.Fault, n)
	for i := range out {
		out[i] = f
	}
	return out
}
