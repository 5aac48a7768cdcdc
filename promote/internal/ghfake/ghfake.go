package ghfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Route names, for Inject and Request.Route.
const (
	RouteListPulls      = "pulls.list"
	RouteCreatePull     = "pulls.create"
	RouteGetPull        = "pulls.get"
	RouteUpdatePull     = "pulls.update"
	RouteAddLabels      = "issues.labels.add"
	RouteCreateComment  = "issues.comments.create"
	RouteListComments   = "issues.comments.list"
	RouteCombinedStatus = "commits.status" // also GET commits/{ref}/statuses
	RouteCreateStatus   = "statuses.create"
	RouteDispatch       = "repos.dispatch"
)

// BasePath is where the API is served, as on GitHub Enterprise.
const BasePath = "/api/v3/"

// Limits that keep the fake bounded.
const (
	maxBody  = 1 << 20
	maxDelay = 30 * time.Second
)

// epoch is the fake's clock start; timestamps advance one second per write
// so answers are deterministic.
var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// PR is a pull request as the fake holds it.
type PR struct {
	Number int
	// Head and Base are branch names; the head is in the same repository.
	Head, Base  string
	Title, Body string
	// State is "open" or "closed".
	State string
	// Labels are sorted label names.
	Labels []string
	// Comments are the bodies of the issue comments, oldest first.
	Comments []string
}

// Status is one commit status.
type Status struct {
	Context, State, Description string
}

// Request is one request the fake received.
type Request struct {
	Method, Path, Route string
	// Status is the HTTP status answered, 0 when the client gave up
	// before an answer.
	Status int
}

// Fault is a canned failure for one request of a route.
type Fault struct {
	// Status is the HTTP status to answer; 0 answers normally (after
	// Delay).
	Status int
	// Body is the JSON body; "" gives a GitHub-like message for Status.
	Body string
	// Header holds extra headers such as Retry-After or X-RateLimit-*.
	Header http.Header
	// Delay waits this long (at most 30s), or until the client gives up,
	// before answering.
	Delay time.Duration
	// AfterApply handles the request first, then waits Delay and answers
	// with Status (or, when Status is 0, the real answer, late): a write
	// that happened although the client saw an error or no answer.
	AfterApply bool
}

// ServerError is a 5xx answer.
func ServerError(code int) Fault { return Fault{Status: code} }

// TooManyRequests is a 429 with Retry-After seconds.
func TooManyRequests(retryAfter int) Fault {
	return Fault{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {strconv.Itoa(retryAfter)}}}
}

// SecondaryRateLimit is GitHub's 403 for a secondary rate limit, with
// Retry-After seconds when retryAfter > 0.
func SecondaryRateLimit(retryAfter int) Fault {
	f := Fault{
		Status: http.StatusForbidden,
		Body:   `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000:00000000.","documentation_url":"https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`,
	}
	if retryAfter > 0 {
		f.Header = http.Header{"Retry-After": {strconv.Itoa(retryAfter)}}
	}
	return f
}

// PrimaryRateLimit is GitHub's 403 for an exhausted primary rate limit
// that resets at reset.
func PrimaryRateLimit(reset time.Time) Fault {
	return Fault{
		Status: http.StatusForbidden,
		Body:   `{"message":"API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000:00000000.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-the-primary-rate-limit"}`,
		Header: http.Header{
			"X-Ratelimit-Limit":     {"5000"},
			"X-Ratelimit-Remaining": {"0"},
			"X-Ratelimit-Used":      {"5000"},
			"X-Ratelimit-Reset":     {strconv.FormatInt(reset.Unix(), 10)},
			"X-Ratelimit-Resource":  {"core"},
		},
	}
}

// Slow answers normally after d (or never, when the client gives up first).
func Slow(d time.Duration) Fault { return Fault{Delay: d} }

// UnknownCommit is GitHub's answer to a read of the statuses of commit
// sha that its API does not know yet, as just after the push that made it:
// 422 "No commit found for SHA".
func UnknownCommit(sha string) Fault {
	return Fault{
		Status: http.StatusUnprocessableEntity,
		Body:   fmt.Sprintf(`{"message":"No commit found for SHA: %s","documentation_url":"https://docs.github.com/rest/commits/statuses#get-the-combined-status-for-a-specific-reference","status":"422"}`, sha),
	}
}

// StaleCommit is a combined status read answered, 200, for the commit
// stale (with no statuses) instead of the one asked for: an API replica
// that has not seen the newest push.
func StaleCommit(stale string) Fault {
	return Fault{
		Status: http.StatusOK,
		Body:   fmt.Sprintf(`{"state":"pending","sha":%q,"total_count":0,"statuses":[]}`, stale),
	}
}

// Server is the fake. Its methods are safe for concurrent use.
type Server struct {
	srv   *httptest.Server
	token string

	done      chan struct{} // closed by Close: ends waits
	closeOnce sync.Once

	mu       sync.Mutex
	repos    map[string]*repoState
	faults   map[string][]Fault
	requests []Request
	tick     int
}

type repoState struct {
	owner, name string
	next        int // next issue number
	pulls       map[int]*PR
	statuses    map[string][]statusEntry // by ref, oldest first
	nextStatus  int
	dispatches  []Dispatch
}

// Dispatch is one repository_dispatch event received.
type Dispatch struct {
	EventType string
	// Payload is client_payload, as JSON.
	Payload string
}

type statusEntry struct {
	Status
	id   int
	when time.Time
}

// New starts a fake that accepts token (as "Bearer" or "token") and closes
// it when the test ends.
func New(t testing.TB, token string) *Server {
	t.Helper()
	s := &Server{token: token, repos: map[string]*repoState{}, faults: map[string][]Fault{}, done: make(chan struct{})}
	mux := http.NewServeMux()
	p := "/api/v3/repos/{owner}/{repo}/"
	mux.Handle("GET "+p+"pulls", s.route(RouteListPulls, s.listPulls))
	mux.Handle("POST "+p+"pulls", s.route(RouteCreatePull, s.createPull))
	mux.Handle("GET "+p+"pulls/{number}", s.route(RouteGetPull, s.getPull))
	mux.Handle("PATCH "+p+"pulls/{number}", s.route(RouteUpdatePull, s.updatePull))
	mux.Handle("POST "+p+"issues/{number}/labels", s.route(RouteAddLabels, s.addLabels))
	mux.Handle("POST "+p+"issues/{number}/comments", s.route(RouteCreateComment, s.createComment))
	mux.Handle("GET "+p+"issues/{number}/comments", s.route(RouteListComments, s.listComments))
	mux.Handle("GET "+p+"commits/{ref...}", s.route(RouteCombinedStatus, s.combinedStatus))
	mux.Handle("POST "+p+"statuses/{sha}", s.route(RouteCreateStatus, s.createStatus))
	mux.Handle("POST "+p+"dispatches", s.route(RouteDispatch, s.dispatch))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, notFound)
	})
	s.srv = httptest.NewServer(mux) // listens on 127.0.0.1 only
	t.Cleanup(s.Close)
	return s
}

// URL is the API's base URL, "http://127.0.0.1:PORT/api/v3/".
func (s *Server) URL() string { return s.srv.URL + BasePath }

// Close stops the server; requests still waiting in a Delay are ended.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.done)
		s.srv.CloseClientConnections()
		s.srv.Close()
	})
}

// Inject queues faults for route: each request of the route takes the
// next one until the queue is empty.
func (s *Server) Inject(route string, faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[route] = append(s.faults[route], faults...)
}

// Requests returns the requests received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Count returns how many requests a route received.
func (s *Server) Count(route string) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Route == route {
			n++
		}
	}
	return n
}

// PRs returns the pull requests of owner/repo, by number.
func (s *Server) PRs(owner, repo string) []PR {
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.repo(owner, repo)
	var out []PR
	for _, n := range sortedNumbers(rs.pulls) {
		out = append(out, clonePR(rs.pulls[n]))
	}
	return out
}

// Dispatches returns the repository_dispatch events owner/repo received,
// oldest first.
func (s *Server) Dispatches(owner, repo string) []Dispatch {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Dispatch(nil), s.repo(owner, repo).dispatches...)
}

// AddPR stores a pull request as if someone had opened it and returns its
// number; pr.Number is ignored, pr.State "" means open.
func (s *Server) AddPR(owner, repo string, pr PR) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.repo(owner, repo)
	rs.next++
	pr.Number = rs.next
	if pr.State == "" {
		pr.State = "open"
	}
	p := clonePR(&pr)
	rs.pulls[pr.Number] = &p
	return pr.Number
}

// SetStatus adds a commit status for ref; a later status of the same
// context replaces an earlier one in the combined status.
func (s *Server) SetStatus(owner, repo, ref string, st Status) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addStatus(s.repo(owner, repo), ref, st)
}

func (s *Server) addStatus(rs *repoState, ref string, st Status) statusEntry {
	rs.nextStatus++
	e := statusEntry{Status: st, id: rs.nextStatus, when: s.now()}
	rs.statuses[ref] = append(rs.statuses[ref], e)
	return e
}

// now advances the fake clock; callers hold mu.
func (s *Server) now() time.Time {
	s.tick++
	return epoch.Add(time.Duration(s.tick) * time.Second)
}

// repo returns the state of owner/repo, creating it; callers hold mu.
func (s *Server) repo(owner, name string) *repoState {
	k := strings.ToLower(owner + "/" + name)
	rs, ok := s.repos[k]
	if !ok {
		rs = &repoState{owner: owner, name: name, pulls: map[int]*PR{}, statuses: map[string][]statusEntry{}}
		s.repos[k] = rs
	}
	return rs
}

func clonePR(p *PR) PR {
	c := *p
	c.Labels = append([]string(nil), p.Labels...)
	c.Comments = append([]string(nil), p.Comments...)
	return c
}

func sortedNumbers(m map[int]*PR) []int {
	out := make([]int, 0, len(m))
	for n := range m {
		out = append(out, n)
	}
	sort.Ints(out)
	return out
}

// handler answers one route; it runs with mu held and returns the status
// and the value to encode as JSON.
type handler func(r *http.Request, rs *repoState) (int, any)

// statusRecorder records the status in the request log before the client
// can see the answer, so the log is complete once a call returns.
type statusRecorder struct {
	http.ResponseWriter
	s   *Server
	idx int
}

func (w *statusRecorder) WriteHeader(code int) {
	w.s.mu.Lock()
	w.s.requests[w.idx].Status = code
	w.s.mu.Unlock()
	w.ResponseWriter.WriteHeader(code)
}

func (s *Server) route(name string, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Route: name})
		idx := len(s.requests) - 1
		s.mu.Unlock()
		s.serve(&statusRecorder{ResponseWriter: w, s: s, idx: idx}, r, name, h)
	})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, name string, h handler) {
	// Read the body first: only then does net/http notice a client that
	// hangs up, which ends a Delay.
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		writeJSON(w, http.StatusRequestEntityTooLarge, message{Message: "request body too large"})
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if !s.authorized(r) {
		writeJSON(w, http.StatusUnauthorized, message{Message: "Bad credentials", DocURL: "https://docs.github.com/rest"})
		return
	}
	s.mu.Lock()
	var f *Fault
	if q := s.faults[name]; len(q) > 0 {
		f = &q[0]
		s.faults[name] = q[1:]
	}
	s.mu.Unlock()

	wait := func() bool {
		if f == nil || f.Delay <= 0 {
			return true
		}
		t := time.NewTimer(min(f.Delay, maxDelay))
		defer t.Stop()
		select {
		case <-t.C:
			return true
		case <-r.Context().Done(): // the client gave up
		case <-s.done:
		}
		return false
	}
	if f != nil && f.AfterApply {
		// Act first, then fail or answer late: the write happened.
		s.mu.Lock()
		code, v := h(r, s.repo(r.PathValue("owner"), r.PathValue("repo")))
		s.mu.Unlock()
		if !wait() {
			return
		}
		if f.Status == 0 {
			writeValue(w, code, v)
			return
		}
		writeFault(w, f)
		return
	}
	if !wait() {
		return
	}
	if f == nil || f.Status == 0 {
		s.mu.Lock()
		code, v := h(r, s.repo(r.PathValue("owner"), r.PathValue("repo")))
		s.mu.Unlock()
		writeValue(w, code, v)
		return
	}
	writeFault(w, f)
}

// writeValue writes a handler's answer.
func writeValue(w http.ResponseWriter, code int, v any) {
	if loc, ok := v.(created); ok {
		w.Header().Set("Location", loc.location)
		v = loc.v
	}
	if p, ok := v.(page); ok {
		if p.link != "" {
			w.Header().Set("Link", p.link)
		}
		v = p.v
	}
	writeJSON(w, code, v)
}

// writeFault writes a canned failure.
func writeFault(w http.ResponseWriter, f *Fault) {
	for k, vs := range f.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	body := f.Body
	if body == "" {
		body = fmt.Sprintf(`{"message":%q}`, http.StatusText(f.Status))
		if f.Status >= 500 {
			body = `{"message":"Server Error"}`
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(f.Status)
	_, _ = io.WriteString(w, body)
}

func (s *Server) authorized(r *http.Request) bool {
	a := r.Header.Get("Authorization")
	return a == "Bearer "+s.token || a == "token "+s.token
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	if v != nil {
		_ = json.NewEncoder(w).Encode(v)
	}
}

// created wraps a 201 answer with its Location.
type created struct {
	location string
	v        any
}

// page wraps one page of a list with its Link header.
type page struct {
	link string
	v    any
}
