package gh

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Retry policy defaults.
const (
	defaultMaxRetries = 5
	defaultMaxWait    = time.Minute
	defaultTimeout    = 30 * time.Second
	// firstWait is the first backoff; it doubles each attempt.
	firstWait = time.Second
	// secondaryWait is what GitHub asks for after a secondary rate limit
	// without Retry-After: "wait for at least one minute".
	secondaryWait = time.Minute
	// maxErrBody is how much of an error answer is read to classify it.
	maxErrBody = 64 << 10
)

// idempotentKey marks a request context: the request may be repeated
// without harm although its method is POST or PATCH (adding labels,
// setting a PR's title and body).
type idempotentKey struct{}

func withIdempotent(ctx context.Context) context.Context {
	return context.WithValue(ctx, idempotentKey{}, true)
}

// attemptsKey carries a *int the transport sets to the number of attempts
// of the last request, so errors can say how often kiln tried.
type attemptsKey struct{}

func withAttempts(ctx context.Context) (context.Context, *int) {
	n := new(int)
	return context.WithValue(ctx, attemptsKey{}, n), n
}

// deadlineKey carries the time.Time set by WithRetryDeadline.
type deadlineKey struct{}

// WithRetryDeadline returns ctx under which the client starts no pause
// between attempts that would end after deadline, by Options.Now: such a
// request fails at once with a *DeadlineError instead. It bounds the
// waits GitHub asks for, which can be minutes, by the caller's own (kiln
// promote --wait); ctx is not cancelled at deadline, so the caller bounds
// a request in flight itself.
func WithRetryDeadline(ctx context.Context, deadline time.Time) context.Context {
	return context.WithValue(ctx, deadlineKey{}, deadline)
}

// DeadlineError is a request given up because the pause before its next
// attempt would have ended after the deadline set with WithRetryDeadline.
type DeadlineError struct {
	// Waiting says in words what kiln would have waited out: GitHub's
	// last answer, such as "GitHub rate limited kiln's requests until
	// 2024-01-01T00:00:51Z (403 for GET /repos/acme/manifests/commits/…/status)".
	Waiting string
	// Next is when the next attempt was due, Deadline when the caller's
	// wait ends.
	Next, Deadline time.Time
	// Err is the failure the pause would have followed, an
	// *UnknownCommitError or a transport error; nil after an answer of
	// GitHub's, which Waiting tells.
	Err error
}

func (e *DeadlineError) Error() string {
	return fmt.Sprintf("%s; the next attempt, at %s, would come after the deadline %s", e.Waiting, stamp(e.Next), stamp(e.Deadline))
}

func (e *DeadlineError) Unwrap() error { return e.Err }

// stamp writes a time as GitHub's headers mean it: UTC, to the second.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// TimeoutError is an attempt that got no answer in time.
type TimeoutError struct {
	Method, Path string
	After        time.Duration
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("%s %s: no answer from GitHub within %s", e.Method, e.Path, e.After)
}

// Timeout reports true, so TimeoutError is a net.Error timeout.
func (e *TimeoutError) Timeout() bool { return true }

// Temporary reports true (net.Error).
func (e *TimeoutError) Temporary() bool { return true }

// retrier is an http.RoundTripper that repeats failed requests.
type retrier struct {
	next       http.RoundTripper
	maxRetries int
	maxWait    time.Duration
	timeout    time.Duration
	sleep      func(context.Context, time.Duration) error
	now        func() time.Time
	logf       func(format string, args ...any)
}

var _ http.RoundTripper = (*retrier)(nil)

// idempotent reports whether req may be sent again after a failure that
// may have happened after GitHub acted on it.
func idempotent(req *http.Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	v, _ := req.Context().Value(idempotentKey{}).(bool)
	return v
}

// RoundTrip sends req, repeating it while the answer is retryable and the
// budget lasts. It returns the last answer (which go-github turns into an
// error) or the last transport error.
func (t *retrier) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	counter, _ := ctx.Value(attemptsKey{}).(*int)
	idem := idempotent(req)
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		idem = false // the body cannot be sent twice
	}
	for attempt := 0; ; attempt++ {
		if counter != nil {
			*counter = attempt + 1
		}
		r := req
		if attempt > 0 {
			r = req.Clone(ctx)
			if req.GetBody != nil {
				body, err := req.GetBody()
				if err != nil {
					return nil, err
				}
				r.Body = body
			}
		}
		actx, cancel := context.WithTimeout(ctx, t.timeout)
		resp, err := t.next.RoundTrip(r.WithContext(actx))
		if err != nil {
			// Asked before cancel, after which actx.Err() is set whatever
			// happened: a refused connection or a host that does not
			// resolve was reported as no answer within the timeout.
			timedOut := actx.Err() == context.DeadlineExceeded
			cancel()
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			// A connection that was never made carried nothing: safe to
			// repeat whatever the method.
			dial := dialError(err)
			if timedOut {
				err = &TimeoutError{Method: req.Method, Path: req.URL.Path, After: t.timeout}
			}
			if (!idem && !dial) || attempt >= t.maxRetries {
				return nil, err
			}
			wait := t.backoff(attempt)
			if err := t.pastDeadline(ctx, wait, failed(req, err), err); err != nil {
				return nil, err
			}
			t.logf("GitHub: %s %s failed (%v); retrying in %s (attempt %d of %d)", req.Method, req.URL.Path, err, wait, attempt+2, t.maxRetries+1)
			if err := t.sleep(ctx, wait); err != nil {
				return nil, err
			}
			continue
		}
		resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancel}

		wait, demanded, retry := t.classify(resp, idem, attempt)
		if !retry || attempt >= t.maxRetries {
			if resp.StatusCode < 400 && resp.Header.Get("X-RateLimit-Remaining") == "0" {
				// The last request of the rate limit's budget. go-github
				// remembers its reset and refuses every later request
				// until then without sending it, so this transport would
				// never see GitHub's 403 and could not wait out a reset
				// seconds away (classify): the gate's next poll, or the
				// pull request after it, would fail at once. Without the
				// reset go-github sends them, and GitHub's answer decides.
				resp.Header.Del("X-RateLimit-Reset")
			}
			return resp, nil
		}
		// Before the cap below: a pause past the caller's deadline is not
		// taken, and one GitHub demands past it makes asking again before
		// the deadline pointless (asking early extends a secondary limit).
		if err := t.pastDeadline(ctx, wait, t.waiting(req, resp, wait), nil); err != nil {
			drain(resp)
			return nil, err
		}
		if wait > t.maxWait {
			if demanded {
				// GitHub asked for a longer pause than we may wait: asking
				// earlier only extends the limit. Give up with its answer.
				t.logf("GitHub: %s %s answered %d and asks to wait %s, longer than the %s allowed; giving up", req.Method, req.URL.Path, resp.StatusCode, wait, t.maxWait)
				return resp, nil
			}
			wait = t.maxWait
		}
		t.logf("GitHub: %s %s answered %d; retrying in %s (attempt %d of %d)", req.Method, req.URL.Path, resp.StatusCode, wait, attempt+2, t.maxRetries+1)
		drain(resp)
		if err := t.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// drain reads and closes an answer that is not passed on, so that its
// connection can be used again.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrBody))
	resp.Body.Close()
}

// pastDeadline returns a *DeadlineError, and logs why, when a pause of d
// before the next attempt would end after the deadline ctx carries
// (WithRetryDeadline); waiting says what the pause would wait out, cause
// is the failure it follows, if any. A ctx already done is reported as
// such: a cancel is no deadline.
func (t *retrier) pastDeadline(ctx context.Context, d time.Duration, waiting string, cause error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	deadline, ok := ctx.Value(deadlineKey{}).(time.Time)
	if !ok {
		return nil
	}
	next := t.now().Add(d)
	if !next.After(deadline) {
		return nil
	}
	t.logf("GitHub: not asking again at %s, after the deadline %s: %s", stamp(next), stamp(deadline), waiting)
	return &DeadlineError{Waiting: waiting, Next: next, Deadline: deadline, Err: cause}
}

// waiting says what a pause of d before repeating req, answered resp,
// would wait out.
func (t *retrier) waiting(req *http.Request, resp *http.Response, d time.Duration) string {
	code := resp.StatusCode
	if code == http.StatusTooManyRequests || code == http.StatusForbidden {
		return fmt.Sprintf("GitHub rate limited kiln's requests until %s (%d for %s %s)", stamp(t.now().Add(d)), code, req.Method, req.URL.Path)
	}
	return fmt.Sprintf("GitHub's API failed (%d for %s %s)", code, req.Method, req.URL.Path)
}

// failed says what a pause before repeating req, which failed with err
// before an answer, would wait out.
func failed(req *http.Request, err error) string {
	var te *TimeoutError
	if errors.As(err, &te) {
		return fmt.Sprintf("GitHub's API did not answer (%v)", err)
	}
	return fmt.Sprintf("GitHub's API could not be reached (%s %s: %v)", req.Method, req.URL.Path, err)
}

// classify decides whether resp is worth another attempt and how long to
// wait first; demanded is true when GitHub set the wait (Retry-After,
// X-RateLimit-Reset) rather than our backoff.
func (t *retrier) classify(resp *http.Response, idem bool, attempt int) (wait time.Duration, demanded, retry bool) {
	code := resp.StatusCode
	switch {
	case code == http.StatusTooManyRequests, code == http.StatusForbidden:
		// GitHub rejected the request before acting on it, so any method
		// may be repeated.
		if d, ok := retryAfter(resp.Header); ok {
			return d, true, true
		}
		if resp.Header.Get("X-RateLimit-Remaining") == "0" {
			if d, ok := t.untilReset(resp.Header); ok {
				return d, true, true
			}
			return t.backoff(attempt), false, true
		}
		// A secondary rate limit (GitHub answers it with 403 or 429)
		// without either header: GitHub asks for at least a minute, and
		// asking earlier only extends the limit. A 429 is one whatever
		// its body says.
		if code == http.StatusTooManyRequests || secondaryLimit(resp) {
			return max(secondaryWait, t.backoff(attempt)), true, true
		}
		return 0, false, false // a real 403: no permission
	case code >= 500 && idem:
		if d, ok := retryAfter(resp.Header); ok {
			return d, true, true
		}
		return t.backoff(attempt), false, true
	}
	return 0, false, false
}

// backoff is the exponential wait before attempt+1: 1s, 2s, 4s, … capped
// at MaxWait.
func (t *retrier) backoff(attempt int) time.Duration {
	d := firstWait << min(attempt, 30)
	return min(d, t.maxWait)
}

// untilReset reads X-RateLimit-Reset (Unix seconds).
func (t *retrier) untilReset(h http.Header) (time.Duration, bool) {
	s, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64)
	if err != nil {
		return 0, false
	}
	// One second more: the reset time is rounded down.
	return max(time.Unix(s, 0).Sub(t.now())+time.Second, 0), true
}

// retryAfter reads Retry-After in seconds (GitHub's form) or as an HTTP
// date is not used by GitHub and ignored.
func retryAfter(h http.Header) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, false
	}
	return time.Duration(n) * time.Second, true
}

// secondaryLimit reports whether a 403 is a secondary rate limit, from its
// body: its message, or the documentation link go-github goes by, which on
// older GitHub Enterprise Server versions names the "abuse detection
// mechanism" instead. The body is kept readable for go-github.
func secondaryLimit(resp *http.Response) bool {
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxErrBody))
	rest := resp.Body
	resp.Body = &multiCloser{Reader: io.MultiReader(bytes.NewReader(data), rest), c: rest}
	if err != nil {
		return false
	}
	lower := bytes.ToLower(data)
	for _, s := range []string{"secondary rate limit", "secondary-rate-limits", "abuse detection", "#abuse-rate-limits"} {
		if bytes.Contains(lower, []byte(s)) {
			return true
		}
	}
	return false
}

func dialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// cancelBody ends an attempt's context when the body is closed, so the
// per-attempt timeout covers reading the answer too.
type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

type multiCloser struct {
	io.Reader
	c io.Closer
}

func (m *multiCloser) Close() error { return m.c.Close() }

// Sleep waits d or until ctx is done, whose error it returns then: the
// wait between retries, and promote's between polls of the environments.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
