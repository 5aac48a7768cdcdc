package gh

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/kiln-gitops/kiln/internal/redact"
)

// PR is a pull request.
type PR struct {
	Number int
	// URL is the pull request's web page.
	URL string
	// Head and Base are branch names; Head is in the same repository.
	Head, Base  string
	Title, Body string
	// State is "open" or "closed".
	State string
}

// Status is a commit status: the latest one of its context.
type Status struct {
	Context, State, Description string
}

// Client is what kiln asks of GitHub.
type Client interface {
	// FindOpenPR returns the open pull request from branch head to base,
	// or nil, nil when there is none.
	FindOpenPR(ctx context.Context, owner, repo, head, base string) (*PR, error)
	// OpenPRs returns the open pull requests from branch head to any
	// base, by number.
	OpenPRs(ctx context.Context, owner, repo, head string) ([]*PR, error)
	// CreateOrUpdatePR opens pr (Head, Base, Title, Body), or updates the
	// title and body of the one already open for that head and base, and
	// adds labels. It never opens a second pull request, and changes
	// nothing while one of the head to another base is open (a
	// RetargetedError). When only the labels fail, it returns the pull
	// request, updated, with the error.
	CreateOrUpdatePR(ctx context.Context, owner, repo string, pr PR, labels []string) (*PR, error)
	// ClosePR closes a pull request, first commenting when comment is not
	// "".
	ClosePR(ctx context.Context, owner, repo string, number int, comment string) error
	// Statuses returns the combined status of ref: the latest status per
	// context, sorted by context.
	Statuses(ctx context.Context, owner, repo, ref string) ([]Status, error)
	// Dispatch sends a repository_dispatch event of eventType with payload
	// (at most 10 top-level keys) to owner/repo.
	Dispatch(ctx context.Context, owner, repo, eventType string, payload map[string]any) error
}

// Options configure New.
type Options struct {
	// Token is a GitHub token, sent as "Authorization: Bearer"; "" sends
	// none.
	Token string
	// APIURL is the REST API's base URL: "" for api.github.com, else a
	// GitHub Enterprise (or test) URL such as https://ghe.example.com/api/v3/.
	APIURL string
	// MaxRetries is how many times a failed request is repeated; 0 means 5,
	// a negative value none.
	MaxRetries int
	// MaxWait caps each wait between attempts; 0 means one minute. When
	// GitHub asks for a longer pause (Retry-After, X-RateLimit-Reset, or
	// the minute a secondary rate limit without them asks for), the
	// request fails instead.
	MaxWait time.Duration
	// Timeout bounds each attempt, answer included; 0 means 30s.
	Timeout time.Duration
	// Sleep waits between attempts; nil waits on a timer, stopping early
	// when ctx ends. Tests record the waits instead.
	Sleep func(context.Context, time.Duration) error
	// Now is the clock used to read X-RateLimit-Reset; nil is time.Now.
	Now func() time.Time
	// Logf reports retries; nil discards. Messages hold methods, paths and
	// status codes, never the token.
	Logf func(format string, args ...any)
	// Transport sends the requests; nil is a clone of
	// http.DefaultTransport.
	Transport http.RoundTripper
}

// GitHub is a Client talking to GitHub's REST API through go-github.
type GitHub struct {
	c     *github.Client
	retry *retrier
}

var _ Client = (*GitHub)(nil)

// New returns a client for opts.
func New(opts Options) (*GitHub, error) {
	if strings.ContainsFunc(opts.Token, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		// The token itself must not be printed.
		return nil, errors.New("the GitHub token holds a space or control character; check GITHUB_TOKEN or --token")
	}
	r := &retrier{
		next: opts.Transport, maxRetries: opts.MaxRetries, maxWait: opts.MaxWait,
		timeout: opts.Timeout, sleep: opts.Sleep, now: opts.Now, logf: opts.Logf,
	}
	if r.next == nil {
		r.next = http.DefaultTransport.(*http.Transport).Clone()
	}
	switch {
	case r.maxRetries == 0:
		r.maxRetries = defaultMaxRetries
	case r.maxRetries < 0:
		r.maxRetries = 0
	}
	if r.maxWait <= 0 {
		r.maxWait = defaultMaxWait
	}
	if r.timeout <= 0 {
		r.timeout = defaultTimeout
	}
	if r.sleep == nil {
		r.sleep = Sleep
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.logf == nil {
		r.logf = func(string, ...any) {}
	}

	c := github.NewClient(&http.Client{Transport: r})
	if opts.APIURL != "" {
		u, err := url.Parse(opts.APIURL)
		switch {
		case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
			return nil, fmt.Errorf("the GitHub API URL %q is not an http(s) URL; pass e.g. --github-api https://ghe.example.com/api/v3/", redact.PublicURL(opts.APIURL))
		case u.User != nil:
			return nil, fmt.Errorf("the GitHub API URL %s holds credentials; pass the token with --token or GITHUB_TOKEN instead", redact.PublicURL(opts.APIURL))
		case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
			// Also a password with "?" or "#" unescaped, which ends the
			// host early: the token would go to the host "user:…".
			return nil, fmt.Errorf("the GitHub API URL %s has a query or fragment; pass the API's base URL, e.g. --github-api https://ghe.example.com/api/v3/, and the token with --token or GITHUB_TOKEN", redact.PublicURL(opts.APIURL))
		}
		if c, err = c.WithEnterpriseURLs(opts.APIURL, opts.APIURL); err != nil {
			return nil, fmt.Errorf("parsing the GitHub API URL: %w", err)
		}
	}
	if opts.Token != "" {
		c = c.WithAuthToken(opts.Token)
	}
	c.UserAgent = "kiln"
	return &GitHub{c: c, retry: r}, nil
}

func toPR(p *github.PullRequest) *PR {
	return &PR{
		Number: p.GetNumber(), URL: p.GetHTMLURL(),
		Head: p.GetHead().GetRef(), Base: p.GetBase().GetRef(),
		Title: p.GetTitle(), Body: p.GetBody(), State: p.GetState(),
	}
}

// wrap names the operation and, after retries, how often it was tried.
func wrap(err error, attempts int, format string, args ...any) error {
	op := fmt.Sprintf(format, args...)
	if attempts > 1 {
		return fmt.Errorf("%s (gave up after %d attempts): %w", op, attempts, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// FindOpenPR implements Client.
func (g *GitHub) FindOpenPR(ctx context.Context, owner, repo, head, base string) (*PR, error) {
	prs, err := g.openPRs(ctx, owner, repo, head, base)
	if err != nil || len(prs) == 0 {
		return nil, err
	}
	return prs[0], nil
}

// OpenPRs implements Client.
func (g *GitHub) OpenPRs(ctx context.Context, owner, repo, head string) ([]*PR, error) {
	return g.openPRs(ctx, owner, repo, head, "")
}

// openPRs returns the open pull requests from branch head to base (any
// base when base is ""), oldest first.
func (g *GitHub) openPRs(ctx context.Context, owner, repo, head, base string) ([]*PR, error) {
	ctx, attempts := withAttempts(ctx)
	opts := &github.PullRequestListOptions{
		State: "open", Head: owner + ":" + head, Base: base,
		ListOptions: github.ListOptions{PerPage: 100},
	}
	var out []*github.PullRequest
	for {
		prs, resp, err := g.c.PullRequests.List(ctx, owner, repo, opts)
		if err != nil {
			to := ""
			if base != "" {
				to = " to " + base
			}
			return nil, wrap(err, *attempts, "looking for the open pull request from %s%s in %s/%s", head, to, owner, repo)
		}
		for _, p := range prs {
			// GitHub filters already; check anyway, the fork case uses the
			// same branch names.
			if p.GetHead().GetRef() != head || (base != "" && p.GetBase().GetRef() != base) || p.GetState() != "open" {
				continue
			}
			out = append(out, p)
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GetNumber() < out[j].GetNumber() })
	prs := make([]*PR, len(out))
	for i, p := range out {
		prs[i] = toPR(p)
	}
	return prs, nil
}

// RetargetedError is a pull request of the head branch that someone
// retargeted to another base: opening one to the base kiln promotes to
// would give the branch two pull requests, either of which merges it.
type RetargetedError struct {
	Number     int
	URL        string
	Head, Base string // the pull request's
	Want       string // the base kiln promotes to
}

func (e *RetargetedError) Error() string {
	return fmt.Sprintf("pull request #%d of branch %s (%s) targets %s, not %s: kiln does not open or update another pull request of the branch", e.Number, e.Head, e.URL, e.Base, e.Want)
}

// Retargeted returns the first of open, the open pull requests of head,
// whose base is not base, as a RetargetedError; nil when there is none.
// Beside one to base it is no less a pull request of the same commit:
// merging either merges the other's.
func Retargeted(open []*PR, head, base string) error {
	for _, o := range open {
		if o.Base != base {
			return &RetargetedError{Number: o.Number, URL: o.URL, Head: head, Base: o.Base, Want: base}
		}
	}
	return nil
}

// CreateOrUpdatePR implements Client.
//
// Creating is a POST, which is not repeated blindly: when it fails in a way
// that may have reached GitHub (a 5xx, a timeout), the pull request may
// exist although we got no answer, so before trying again we look for it
// and update it if it is there. A 422 "A pull request already exists"
// (someone opened it since kiln listed the open ones) also ends in an
// update.
func (g *GitHub) CreateOrUpdatePR(ctx context.Context, owner, repo string, pr PR, labels []string) (*PR, error) {
	// The branch's open pull requests, to any base: one retargeted by hand
	// is not updated or doubled.
	open, err := g.openPRs(ctx, owner, repo, pr.Head, "")
	if err != nil {
		return nil, err
	}
	if err := Retargeted(open, pr.Head, pr.Base); err != nil {
		return nil, err
	}
	var out *PR
	// One to pr.Base is updated, and only when its title or body differ:
	// a rerun with nothing new (a retried job, a promotion of the same
	// render) would otherwise edit it to the same text, which GitHub
	// records in the timeline and sends to every pull_request "edited"
	// workflow and webhook.
	for _, p := range open {
		if p.Base != pr.Base {
			continue
		}
		out = p
		if p.Title != pr.Title || p.Body != pr.Body {
			if out, err = g.updatePR(ctx, owner, repo, p.Number, pr); err != nil {
				return nil, err
			}
		}
		break
	}
	for attempt := 0; out == nil; attempt++ {
		if attempt > 0 {
			existing, err := g.FindOpenPR(ctx, owner, repo, pr.Head, pr.Base)
			if err != nil {
				return nil, err
			}
			if existing != nil {
				if out, err = g.updatePR(ctx, owner, repo, existing.Number, pr); err != nil {
					return nil, err
				}
				break
			}
		}
		cctx, attempts := withAttempts(ctx)
		p, _, err := g.c.PullRequests.Create(cctx, owner, repo, &github.NewPullRequest{
			Title: github.String(pr.Title), Head: github.String(pr.Head), Base: github.String(pr.Base), Body: github.String(pr.Body),
		})
		switch {
		case err == nil:
			out = toPR(p)
		case alreadyExists(err):
			existing, ferr := g.FindOpenPR(ctx, owner, repo, pr.Head, pr.Base)
			if ferr != nil {
				return nil, ferr
			}
			if existing == nil {
				return nil, wrap(err, *attempts, "opening a pull request from %s to %s in %s/%s: GitHub says one exists, but none is open", pr.Head, pr.Base, owner, repo)
			}
			if out, err = g.updatePR(ctx, owner, repo, existing.Number, pr); err != nil {
				return nil, err
			}
		case maybeApplied(ctx, err) && attempt < g.retry.maxRetries:
			wait := g.retry.backoff(attempt)
			if serr := g.retry.pastDeadline(ctx, wait, fmt.Sprintf("GitHub's API failed to open the pull request from %s (%v)", pr.Head, err), err); serr != nil {
				return nil, serr
			}
			g.retry.logf("GitHub: opening the pull request failed (%v); checking whether it was opened anyway, in %s", err, wait)
			if serr := g.retry.sleep(ctx, wait); serr != nil {
				return nil, serr
			}
		case headInvalid(err) && attempt < g.retry.maxRetries:
			// The head was pushed a moment ago, and GitHub's API may
			// not see a new branch (or its new commit) yet: it refused
			// without acting, so asking again is safe.
			wait := g.retry.backoff(attempt)
			if serr := g.retry.pastDeadline(ctx, wait, fmt.Sprintf("GitHub did not know the branch %s yet (422 head invalid)", pr.Head), err); serr != nil {
				return nil, serr
			}
			g.retry.logf("GitHub: does not know the branch %s yet (422 head invalid), as just after a push; asking again in %s", pr.Head, wait)
			if serr := g.retry.sleep(ctx, wait); serr != nil {
				return nil, serr
			}
		default:
			return nil, wrap(err, max(*attempts, attempt+1), "opening a pull request from %s to %s in %s/%s", pr.Head, pr.Base, owner, repo)
		}
	}
	if len(labels) > 0 {
		lctx, attempts := withAttempts(withIdempotent(ctx))
		if _, _, err := g.c.Issues.AddLabelsToIssue(lctx, owner, repo, out.Number, labels); err != nil {
			// The title and body are written: the caller must not say
			// they are not.
			return out, wrap(err, *attempts, "labelling pull request #%d in %s/%s", out.Number, owner, repo)
		}
	}
	return out, nil
}

// updatePR sets the title and body of pull request number; that is
// idempotent, so it may be retried.
func (g *GitHub) updatePR(ctx context.Context, owner, repo string, number int, pr PR) (*PR, error) {
	ctx, attempts := withAttempts(withIdempotent(ctx))
	p, _, err := g.c.PullRequests.Edit(ctx, owner, repo, number, &github.PullRequest{
		Title: github.String(pr.Title), Body: github.String(pr.Body),
	})
	if err != nil {
		return nil, wrap(err, *attempts, "updating pull request #%d in %s/%s", number, owner, repo)
	}
	return toPR(p), nil
}

// alreadyExists recognises GitHub's 422 for a second pull request from the
// same head to the same base.
func alreadyExists(err error) bool {
	var er *github.ErrorResponse
	if !errors.As(err, &er) || er.Response == nil || er.Response.StatusCode != http.StatusUnprocessableEntity {
		return false
	}
	for _, e := range er.Errors {
		if strings.HasPrefix(strings.ToLower(e.Message), "a pull request already exists") {
			return true
		}
	}
	return false
}

// headInvalid recognises GitHub's 422 for a head branch it does not know,
// which it also answers for a branch pushed a moment before.
func headInvalid(err error) bool {
	var er *github.ErrorResponse
	if !errors.As(err, &er) || er.Response == nil || er.Response.StatusCode != http.StatusUnprocessableEntity {
		return false
	}
	for _, e := range er.Errors {
		if e.Resource == "PullRequest" && e.Field == "head" && e.Code == "invalid" {
			return true
		}
	}
	return false
}

// maybeApplied reports whether a failed write may nevertheless have been
// carried out by GitHub: a server error or a lost answer. ctx ending is
// not such a failure.
func maybeApplied(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return er.Response.StatusCode >= 500
	}
	var te *TimeoutError
	var ne net.Error
	return errors.As(err, &te) || errors.As(err, &ne)
}

// Transient reports whether err, as left after the retries, is GitHub's
// trouble rather than the request's: a server error, a rate limit, an
// answer that did not come in time. Asking again later may succeed, where
// a 401, 403 or 404 (the token, the repository) will not, nor a host that
// does not resolve or a certificate that does not verify (--github-api).
func Transient(err error) bool {
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return er.Response.StatusCode >= 500 || er.Response.StatusCode == http.StatusTooManyRequests
	}
	var rl *github.RateLimitError
	var al *github.AbuseRateLimitError
	var te *TimeoutError
	var ne net.Error
	return errors.As(err, &rl) || errors.As(err, &al) || errors.As(err, &te) || (errors.As(err, &ne) && ne.Timeout())
}

// Unreachable reports whether err, as left after the retries, is a request
// that never reached the API: its host did not resolve, the connection was
// refused or broken, TLS failed (a certificate that does not verify, a
// server that does not speak it). The API's URL (--github-api), the way to
// it or the machine's trust store is at fault, not the token nor the
// repository. An answer that did not come in time is GitHub's trouble
// (Transient), and an interrupt (the context's error) none of these.
func Unreachable(err error) bool {
	if err == nil || Transient(err) {
		return false
	}
	var de *DeadlineError
	if errors.As(err, &de) {
		// A pause cut by the caller's deadline: after an answer (Err
		// nil) or a commit GitHub did not know, the API was reached;
		// else Err is what the transport failed with.
		var lag *UnknownCommitError
		return de.Err != nil && !errors.As(de.Err, &lag) && !Transient(de.Err)
	}
	// http.Client's error for a request that got no answer; GitHub's
	// answers are *github.ErrorResponse and its kin. A URL that does not
	// parse is go-github's "parse" error, no request at all.
	var ue *url.Error
	return errors.As(err, &ue) && ue.Op != "parse"
}

// ClosePR implements Client. A comment is a POST that cannot be repeated
// blindly (it would post twice), so the comments are read first: after a
// failure that may have reached GitHub, and before the first attempt too,
// since an earlier run may have commented and then failed to close (a
// token that may comment but not close would otherwise add the same
// comment on every run).
func (g *GitHub) ClosePR(ctx context.Context, owner, repo string, number int, comment string) error {
	if comment != "" {
		for attempt := 0; ; attempt++ {
			found, err := g.hasComment(ctx, owner, repo, number, comment)
			if err != nil {
				return err
			}
			if found {
				break
			}
			cctx, attempts := withAttempts(ctx)
			_, _, err = g.c.Issues.CreateComment(cctx, owner, repo, number, &github.IssueComment{Body: github.String(comment)})
			if err == nil {
				break
			}
			if !maybeApplied(ctx, err) || attempt >= g.retry.maxRetries {
				return wrap(err, max(*attempts, attempt+1), "commenting on pull request #%d in %s/%s", number, owner, repo)
			}
			wait := g.retry.backoff(attempt)
			if serr := g.retry.pastDeadline(ctx, wait, fmt.Sprintf("GitHub's API failed to comment on pull request #%d (%v)", number, err), err); serr != nil {
				return serr
			}
			if serr := g.retry.sleep(ctx, wait); serr != nil {
				return serr
			}
		}
	}
	ctx, attempts := withAttempts(withIdempotent(ctx))
	if _, _, err := g.c.PullRequests.Edit(ctx, owner, repo, number, &github.PullRequest{State: github.String("closed")}); err != nil {
		return wrap(err, *attempts, "closing pull request #%d in %s/%s", number, owner, repo)
	}
	return nil
}

func (g *GitHub) hasComment(ctx context.Context, owner, repo string, number int, body string) (bool, error) {
	ctx, attempts := withAttempts(ctx)
	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 100}}
	for {
		cs, resp, err := g.c.Issues.ListComments(ctx, owner, repo, number, opts)
		if err != nil {
			return false, wrap(err, *attempts, "reading the comments of pull request #%d in %s/%s", number, owner, repo)
		}
		for _, c := range cs {
			if c.GetBody() == body {
				return true, nil
			}
		}
		if resp.NextPage == 0 {
			return false, nil
		}
		opts.Page = resp.NextPage
	}
}

// UnknownCommitError is a commit whose statuses GitHub would not show:
// after every attempt it answered that it knows no such commit (422 "No
// commit found for SHA"), or answered for another commit. Just after
// the push that made a commit, GitHub's API may not know it for a few
// seconds; past that, the commit is not in the repository asked.
type UnknownCommitError struct {
	// Ref is the commit asked for.
	Ref string
	// Status and Message are GitHub's last answer when it refused; Status
	// is 0 when it answered for another commit, Answered.
	Status   int
	Message  string
	Answered string
	// Attempts is how often kiln asked, Waited how long it waited in all.
	Attempts int
	Waited   time.Duration
}

func (e *UnknownCommitError) Error() string {
	return fmt.Sprintf("GitHub does not show the statuses of commit %s: it %s (%d attempts over %s)", e.Ref, e.answered(), e.Attempts, e.Waited)
}

// answered says what GitHub answered, for Error and the retry log alike,
// so that both tell it in the same words.
func (e *UnknownCommitError) answered() string {
	if e.Status == 0 {
		return "answered for commit " + e.Answered
	}
	return fmt.Sprintf("answered %d %q", e.Status, e.Message)
}

// unknownCommit returns GitHub's refusal to read ref's statuses as a
// commit it does not know (yet), or nil for any other error.
func unknownCommit(ref string, err error) *UnknownCommitError {
	var er *github.ErrorResponse
	if !errors.As(err, &er) || er.Response == nil {
		return nil
	}
	// Only 422: GitHub answers a commit it does not know with it. A 404
	// is a repository the token cannot read (or none), which waiting does
	// not mend; it fails at once, as before.
	if er.Response.StatusCode == http.StatusUnprocessableEntity {
		return &UnknownCommitError{Ref: ref, Status: er.Response.StatusCode, Message: er.Message}
	}
	return nil
}

// isSHA reports whether ref is a full commit id, which GitHub's answer
// must name.
func isSHA(ref string) bool {
	if len(ref) != 40 && len(ref) != 64 {
		return false
	}
	for _, c := range ref {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Statuses implements Client. The statuses of a commit pushed a moment
// ago may not be readable yet: GitHub answers 422 "No commit found for
// SHA", or, for a full commit id, an API replica answers for
// another commit. Those answers are asked again with backoff, as often as
// other failures (Options.MaxRetries), then end in an UnknownCommitError;
// under WithRetryDeadline, a pause that would end after the deadline ends
// them at once in a *DeadlineError wrapping it.
func (g *GitHub) Statuses(ctx context.Context, owner, repo, ref string) ([]Status, error) {
	var waited time.Duration
	for attempt := 0; ; attempt++ {
		out, lag, err := g.statuses(ctx, owner, repo, ref)
		if lag == nil {
			return out, err
		}
		lag.Attempts, lag.Waited = attempt+1, waited
		if attempt >= g.retry.maxRetries {
			return nil, lag
		}
		wait := g.retry.backoff(attempt)
		if err := g.retry.pastDeadline(ctx, wait, fmt.Sprintf("GitHub did not know commit %s yet: it %s (%d attempts over %s)", lag.Ref, lag.answered(), lag.Attempts, lag.Waited), lag); err != nil {
			return nil, err
		}
		g.retry.logf("GitHub: reading the statuses of commit %s %s; as just after a push, asking again in %s (attempt %d of %d)", lag.Ref, lag.answered(), wait, attempt+2, g.retry.maxRetries+1)
		if err := g.retry.sleep(ctx, wait); err != nil {
			return nil, err
		}
		waited += wait
	}
}

// statuses reads ref's statuses once (each page with the transport's
// retries); lag is set when GitHub does not know the commit (yet).
func (g *GitHub) statuses(ctx context.Context, owner, repo, ref string) (_ []Status, lag *UnknownCommitError, _ error) {
	ctx, attempts := withAttempts(ctx)
	type entry struct {
		s    Status
		when time.Time
		id   int64
	}
	latest := map[string]entry{}
	opts := &github.ListOptions{PerPage: 100}
	for {
		cs, resp, err := g.c.Repositories.GetCombinedStatus(ctx, owner, repo, ref, opts)
		if err != nil {
			if lag := unknownCommit(ref, err); lag != nil && ctx.Err() == nil {
				return nil, lag, nil
			}
			return nil, nil, wrap(err, *attempts, "reading the commit statuses of %s in %s/%s", ref, owner, repo)
		}
		if sha := cs.GetSHA(); sha != "" && isSHA(ref) && !strings.EqualFold(sha, ref) {
			return nil, &UnknownCommitError{Ref: ref, Answered: sha}, nil
		}
		for _, s := range cs.Statuses {
			e := entry{Status{Context: s.GetContext(), State: s.GetState(), Description: s.GetDescription()}, s.GetUpdatedAt().Time, s.GetID()}
			// The combined status has one per context already; should a
			// context repeat, the latest wins.
			if old, ok := latest[e.s.Context]; !ok || e.when.After(old.when) || (e.when.Equal(old.when) && e.id > old.id) {
				latest[e.s.Context] = e
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	out := make([]Status, 0, len(latest))
	for _, e := range latest {
		out = append(out, e.s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Context < out[j].Context })
	return out, nil, nil
}

// Dispatch implements Client. A repeat after an error GitHub may have
// applied is harmless for kiln's events (the stage it starts is
// idempotent), so it is retried like a read.
func (g *GitHub) Dispatch(ctx context.Context, owner, repo, eventType string, payload map[string]any) error {
	raw, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	msg := json.RawMessage(raw)
	ctx, attempts := withAttempts(withIdempotent(ctx))
	if _, _, err := g.c.Repositories.Dispatch(ctx, owner, repo, github.DispatchRequestOptions{EventType: eventType, ClientPayload: &msg}); err != nil {
		return wrap(err, *attempts, "sending a repository_dispatch %q to %s/%s", eventType, owner, repo)
	}
	return nil
}
