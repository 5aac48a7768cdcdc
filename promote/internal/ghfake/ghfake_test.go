package ghfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// do sends one raw request and returns status, headers and body.
func do(t *testing.T, s *Server, method, path, auth, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(data)
}

func TestAPI(t *testing.T) {
	t.Parallel()
	s := New(t, "tok")
	const auth = "Bearer tok"
	for _, tc := range []struct {
		name, method, path, auth, body string
		wantCode                       int
		wantBody                       string // a substring
	}{
		{name: "no token", method: "GET", path: "repos/a/b/pulls", wantCode: 401, wantBody: `"message":"Bad credentials"`},
		{name: "wrong token", method: "GET", path: "repos/a/b/pulls", auth: "Bearer nope", wantCode: 401},
		{name: "token scheme", method: "GET", path: "repos/a/b/pulls", auth: "token tok", wantCode: 200, wantBody: "[]"},
		{name: "create", method: "POST", path: "repos/a/b/pulls", auth: auth, body: `{"title":"t","head":"kiln/dev","base":"main","body":"x"}`, wantCode: 201, wantBody: `"number":1`},
		{
			name: "create again", method: "POST", path: "repos/a/b/pulls", auth: auth, body: `{"title":"t","head":"a:kiln/dev","base":"main"}`, wantCode: 422,
			wantBody: `{"message":"Validation Failed","errors":[{"resource":"PullRequest","code":"custom","message":"A pull request already exists for a:kiln/dev."}],"documentation_url":"https://docs.github.com/rest/pulls/pulls#create-a-pull-request","status":"422"}`,
		},
		{name: "missing title", method: "POST", path: "repos/a/b/pulls", auth: auth, body: `{"head":"x","base":"main"}`, wantCode: 422, wantBody: `"field":"title"`},
		{name: "body too long", method: "POST", path: "repos/a/b/pulls", auth: auth, body: `{"title":"t","head":"kiln/x","base":"main","body":"` + strings.Repeat("é", MaxBody+1) + `"}`, wantCode: 422,
			wantBody: `{"resource":"Issue","field":"body","code":"custom","message":"body is too long (maximum is 65536 characters)"}`},
		{name: "body at the limit", method: "PATCH", path: "repos/a/b/pulls/1", auth: auth, body: `{"body":"` + strings.Repeat("é", MaxBody) + `"}`, wantCode: 200},
		{name: "edit body too long", method: "PATCH", path: "repos/a/b/pulls/1", auth: auth, body: `{"body":"` + strings.Repeat("x", MaxBody+1) + `"}`, wantCode: 422, wantBody: `body is too long`},
		{name: "body back", method: "PATCH", path: "repos/a/b/pulls/1", auth: auth, body: `{"body":"x"}`, wantCode: 200},
		{name: "list by head", method: "GET", path: "repos/a/b/pulls?head=a:kiln/dev&base=main", auth: auth, wantCode: 200, wantBody: `"label":"a:kiln/dev"`},
		{name: "list other head", method: "GET", path: "repos/a/b/pulls?head=a:kiln/prod", auth: auth, wantCode: 200, wantBody: "[]"},
		{name: "get", method: "GET", path: "repos/a/b/pulls/1", auth: auth, wantCode: 200, wantBody: `"html_url":"http://127.0.0.1:`},
		{name: "get missing", method: "GET", path: "repos/a/b/pulls/9", auth: auth, wantCode: 404, wantBody: `"message":"Not Found"`},
		{name: "labels", method: "POST", path: "repos/a/b/issues/1/labels", auth: auth, body: `["kiln","env/dev","kiln"]`, wantCode: 200, wantBody: `"name":"env/dev"`},
		{name: "labels object", method: "POST", path: "repos/a/b/issues/1/labels", auth: auth, body: `{"labels":["x"]}`, wantCode: 200, wantBody: `"name":"x"`},
		{name: "comment", method: "POST", path: "repos/a/b/issues/1/comments", auth: auth, body: `{"body":"bye"}`, wantCode: 201, wantBody: `"body":"bye"`},
		{name: "close", method: "PATCH", path: "repos/a/b/pulls/1", auth: auth, body: `{"state":"closed"}`, wantCode: 200, wantBody: `"state":"closed"`},
		{name: "bad state", method: "PATCH", path: "repos/a/b/pulls/1", auth: auth, body: `{"state":"merged"}`, wantCode: 422},
		{name: "status", method: "POST", path: "repos/a/b/statuses/abc", auth: auth, body: `{"state":"success","context":"kiln/dev/x"}`, wantCode: 201},
		{name: "combined", method: "GET", path: "repos/a/b/commits/abc/status", auth: auth, wantCode: 200, wantBody: `"state":"success"`},
		{name: "combined empty", method: "GET", path: "repos/a/b/commits/kiln/dev/status", auth: auth, wantCode: 200, wantBody: `"state":"pending"`},
		{name: "unknown route", method: "GET", path: "user", auth: auth, wantCode: 404},
	} {
		// Sequential: each step builds on the last.
		code, _, body := do(t, s, tc.method, tc.path, tc.auth, tc.body)
		if code != tc.wantCode || !strings.Contains(body, tc.wantBody) {
			t.Errorf("%s: %d %s; want %d with %s", tc.name, code, body, tc.wantCode, tc.wantBody)
		}
	}
	want := []PR{{Number: 1, Head: "kiln/dev", Base: "main", Title: "t", Body: "x", State: "closed", Labels: []string{"env/dev", "kiln", "x"}, Comments: []string{"bye"}}}
	if d := cmp.Diff(want, s.PRs("a", "b")); d != "" {
		t.Errorf("PRs (-want +got):\n%s", d)
	}
}

func TestFaultsAndPages(t *testing.T) {
	t.Parallel()
	s := New(t, "tok")
	for range 5 {
		s.SetStatus("a", "b", "main", Status{Context: "c", State: "pending"})
	}
	s.SetStatus("a", "b", "main", Status{Context: "c", State: "failure", Description: "boom"})
	s.SetStatus("a", "b", "main", Status{Context: "d", State: "success"})
	s.Inject(RouteCombinedStatus, SecondaryRateLimit(9), ServerError(502))

	code, h, body := do(t, s, "GET", "repos/a/b/commits/main/status", "Bearer tok", "")
	if code != 403 || h.Get("Retry-After") != "9" || !strings.Contains(body, "secondary rate limit") {
		t.Errorf("first: %d %v %s", code, h, body)
	}
	if code, _, _ := do(t, s, "GET", "repos/a/b/commits/main/status", "Bearer tok", ""); code != 502 {
		t.Errorf("second: %d, want 502", code)
	}
	code, h, body = do(t, s, "GET", "repos/a/b/commits/main/status?per_page=1", "Bearer tok", "")
	var cs struct {
		State      string `json:"state"`
		TotalCount int    `json:"total_count"`
		Statuses   []struct{ Context, State, Description string }
	}
	if err := json.Unmarshal([]byte(body), &cs); err != nil {
		t.Fatal(err)
	}
	if code != 200 || cs.State != "failure" || cs.TotalCount != 2 || len(cs.Statuses) != 1 || cs.Statuses[0].Context != "d" {
		t.Errorf("third: %d %+v", code, cs)
	}
	if l := h.Get("Link"); !strings.Contains(l, `page=2&per_page=1>; rel="next"`) {
		t.Errorf("Link = %q, want a next page", l)
	}
	got := []int{}
	for _, r := range s.Requests() {
		got = append(got, r.Status)
	}
	if d := cmp.Diff([]int{403, 502, 200}, got); d != "" {
		t.Errorf("request log (-want +got):\n%s", d)
	}
}

// TestStatusLimits: the combined status pages at most 100 contexts, the
// list of statuses is newest first, and a commit takes at most
// MaxStatuses statuses per context, as on GitHub.
func TestStatusLimits(t *testing.T) {
	t.Parallel()
	s := New(t, "tok")
	for i := range 150 {
		s.SetStatus("a", "b", "abc", Status{Context: fmt.Sprintf("c%03d", i), State: "success"})
	}
	code, h, body := do(t, s, "GET", "repos/a/b/commits/abc/status?per_page=500", "Bearer tok", "")
	var cs struct {
		TotalCount int `json:"total_count"`
		Statuses   []struct{ Context string }
	}
	if err := json.Unmarshal([]byte(body), &cs); err != nil {
		t.Fatal(err)
	}
	if code != 200 || cs.TotalCount != 150 || len(cs.Statuses) != 100 || !strings.Contains(h.Get("Link"), `rel="next"`) {
		t.Errorf("combined: %d, total %d, %d on the page, Link %q; want 150, 100 and a next page", code, cs.TotalCount, len(cs.Statuses), h.Get("Link"))
	}
	code, _, body = do(t, s, "GET", "repos/a/b/commits/abc/statuses?per_page=2", "Bearer tok", "")
	if code != 200 || !strings.HasPrefix(body, `[{"id":150,`) {
		t.Errorf("list: %d %s, want the newest first", code, body)
	}

	for i := range MaxStatuses {
		if code, _, body := do(t, s, "POST", "repos/a/b/statuses/abc", "Bearer tok", `{"state":"success","context":"x"}`); code != 201 {
			t.Fatalf("status %d: %d %s", i+1, code, body)
		}
	}
	code, _, body = do(t, s, "POST", "repos/a/b/statuses/abc", "Bearer tok", `{"state":"failure","context":"x"}`)
	if code != 422 || !strings.Contains(body, "This SHA and context has reached the maximum number of statuses.") {
		t.Errorf("status %d: %d %s, want 422", MaxStatuses+1, code, body)
	}
	if code, _, _ := do(t, s, "POST", "repos/a/b/statuses/abc", "Bearer tok", `{"state":"failure","context":"y"}`); code != 201 {
		t.Errorf("another context: %d, want 201", code)
	}
}
