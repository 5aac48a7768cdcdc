package ghfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// message is GitHub's plain error body.
type message struct {
	Message string `json:"message"`
	DocURL  string `json:"documentation_url,omitempty"`
}

// MaxLabel is GitHub's limit on a label's name, in characters.
const MaxLabel = 50

var notFound = message{Message: "Not Found", DocURL: "https://docs.github.com/rest"}

// fieldError is one entry of a 422's errors, keys in GitHub's order.
type fieldError struct {
	Resource string `json:"resource"`
	Field    string `json:"field,omitempty"`
	Code     string `json:"code"`
	Message  string `json:"message,omitempty"`
}

// validationError is GitHub's 422 body.
type validationError struct {
	Message string       `json:"message"`
	Errors  []fieldError `json:"errors,omitempty"`
	DocURL  string       `json:"documentation_url"`
	Status  string       `json:"status"`
}

func validationFailed(doc string, errs ...fieldError) validationError {
	return validationError{Message: "Validation Failed", Errors: errs, DocURL: doc, Status: "422"}
}

const createPullDoc = "https://docs.github.com/rest/pulls/pulls#create-a-pull-request"

type userJSON struct {
	Login string `json:"login"`
	ID    int    `json:"id"`
	Type  string `json:"type"`
}

var bot = userJSON{Login: "kiln-bot", ID: 1, Type: "Bot"}

type branchJSON struct {
	Label string `json:"label"`
	Ref   string `json:"ref"`
	SHA   string `json:"sha"`
}

type labelJSON struct {
	ID      int    `json:"id"`
	Name    string `json:"name"`
	Color   string `json:"color"`
	Default bool   `json:"default"`
}

type pullJSON struct {
	ID        int         `json:"id"`
	Number    int         `json:"number"`
	State     string      `json:"state"`
	Title     string      `json:"title"`
	Body      string      `json:"body"`
	URL       string      `json:"url"`
	HTMLURL   string      `json:"html_url"`
	IssueURL  string      `json:"issue_url"`
	User      userJSON    `json:"user"`
	Labels    []labelJSON `json:"labels"`
	Head      branchJSON  `json:"head"`
	Base      branchJSON  `json:"base"`
	Draft     bool        `json:"draft"`
	Merged    bool        `json:"merged"`
	CreatedAt time.Time   `json:"created_at"`
	UpdatedAt time.Time   `json:"updated_at"`
}

func (s *Server) pullJSON(r *http.Request, rs *repoState, p *PR) pullJSON {
	api := fmt.Sprintf("http://%s%srepos/%s/%s/", r.Host, BasePath, rs.owner, rs.name)
	out := pullJSON{
		ID: 1000 + p.Number, Number: p.Number, State: p.State, Title: p.Title, Body: p.Body,
		URL:      api + "pulls/" + strconv.Itoa(p.Number),
		HTMLURL:  fmt.Sprintf("http://%s/%s/%s/pull/%d", r.Host, rs.owner, rs.name, p.Number),
		IssueURL: api + "issues/" + strconv.Itoa(p.Number),
		User:     bot, Labels: []labelJSON{},
		Head:      branchJSON{Label: rs.owner + ":" + p.Head, Ref: p.Head, SHA: fakeSHA(p.Head)},
		Base:      branchJSON{Label: rs.owner + ":" + p.Base, Ref: p.Base, SHA: fakeSHA(p.Base)},
		CreatedAt: epoch, UpdatedAt: epoch,
	}
	for _, l := range p.Labels {
		out.Labels = append(out.Labels, labelOf(l))
	}
	return out
}

func labelOf(name string) labelJSON {
	id := 0
	for _, c := range name {
		id = id*31 + int(c)
	}
	return labelJSON{ID: id & 0xffffff, Name: name, Color: "ededed"}
}

// fakeSHA is a stable 40-hex stand-in for a branch's head commit.
func fakeSHA(s string) string {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * 1099511628211
	}
	return fmt.Sprintf("%016x%016x%08x", h, h^0x5bd1e995, uint32(h))
}

// paginate returns one page of items as GitHub does, with a Link header.
func paginate[T any](r *http.Request, items []T) any {
	q := r.URL.Query()
	per, _ := strconv.Atoi(q.Get("per_page"))
	if per <= 0 {
		per = 30
	}
	per = min(per, 100)
	pg, _ := strconv.Atoi(q.Get("page"))
	pg = max(pg, 1)
	from := min((pg-1)*per, len(items))
	to := min(from+per, len(items))
	out := page{v: append([]T{}, items[from:to]...)}
	last := max(1, (len(items)+per-1)/per)
	if pg < last {
		link := func(n int, rel string) string {
			q.Set("page", strconv.Itoa(n))
			q.Set("per_page", strconv.Itoa(per))
			return fmt.Sprintf(`<http://%s%s?%s>; rel="%s"`, r.Host, r.URL.Path, q.Encode(), rel)
		}
		out.link = link(pg+1, "next") + ", " + link(last, "last")
	}
	return out
}

// headBranch splits GitHub's head parameter, "owner:branch" or "branch".
func headBranch(rs *repoState, head string) (owner, branch string) {
	if o, b, ok := strings.Cut(head, ":"); ok {
		return o, b
	}
	return rs.owner, head
}

func (s *Server) listPulls(r *http.Request, rs *repoState) (int, any) {
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	var items []pullJSON
	// GitHub's default order is newest first.
	nums := sortedNumbers(rs.pulls)
	for i := len(nums) - 1; i >= 0; i-- {
		p := rs.pulls[nums[i]]
		if state != "all" && p.State != state {
			continue
		}
		if h := q.Get("head"); h != "" {
			o, b := headBranch(rs, h)
			if !strings.EqualFold(o, rs.owner) || b != p.Head {
				continue
			}
		}
		if b := q.Get("base"); b != "" && b != p.Base {
			continue
		}
		items = append(items, s.pullJSON(r, rs, p))
	}
	return http.StatusOK, paginate(r, items)
}

func (s *Server) createPull(r *http.Request, rs *repoState) (int, any) {
	var in struct {
		Title string `json:"title"`
		Head  string `json:"head"`
		Base  string `json:"base"`
		Body  string `json:"body"`
		Draft bool   `json:"draft"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		return http.StatusBadRequest, message{Message: "Problems parsing JSON", DocURL: createPullDoc}
	}
	for _, f := range []struct{ name, v string }{{"base", in.Base}, {"head", in.Head}, {"title", in.Title}} {
		if f.v == "" {
			return http.StatusUnprocessableEntity, validationFailed(createPullDoc, fieldError{Resource: "PullRequest", Field: f.name, Code: "missing_field"})
		}
	}
	if e, ok := bodyTooLong(in.Body); ok {
		return http.StatusUnprocessableEntity, validationFailed(createPullDoc, e)
	}
	owner, branch := headBranch(rs, in.Head)
	if !strings.EqualFold(owner, rs.owner) {
		return http.StatusUnprocessableEntity, validationFailed(createPullDoc, fieldError{Resource: "PullRequest", Field: "head", Code: "invalid"})
	}
	for _, n := range sortedNumbers(rs.pulls) {
		p := rs.pulls[n]
		if p.State == "open" && p.Head == branch && p.Base == in.Base {
			return http.StatusUnprocessableEntity, validationFailed(createPullDoc, fieldError{
				Resource: "PullRequest", Code: "custom",
				Message: fmt.Sprintf("A pull request already exists for %s:%s.", rs.owner, branch),
			})
		}
	}
	rs.next++
	p := &PR{Number: rs.next, Head: branch, Base: in.Base, Title: in.Title, Body: in.Body, State: "open"}
	rs.pulls[p.Number] = p
	j := s.pullJSON(r, rs, p)
	return http.StatusCreated, created{location: j.URL, v: j}
}

// MaxBody is GitHub's limit on the body of a pull request or comment, in
// characters.
const MaxBody = 65536

// bodyTooLong is GitHub's refusal of a body over MaxBody characters.
func bodyTooLong(body string) (fieldError, bool) {
	if utf8.RuneCountInString(body) <= MaxBody {
		return fieldError{}, false
	}
	return fieldError{Resource: "Issue", Field: "body", Code: "custom",
		Message: fmt.Sprintf("body is too long (maximum is %d characters)", MaxBody)}, true
}

// pull finds the PR of the request's {number}.
func pull(r *http.Request, rs *repoState) (*PR, bool) {
	n, err := strconv.Atoi(r.PathValue("number"))
	if err != nil {
		return nil, false
	}
	p, ok := rs.pulls[n]
	return p, ok
}

func (s *Server) getPull(r *http.Request, rs *repoState) (int, any) {
	p, ok := pull(r, rs)
	if !ok {
		return http.StatusNotFound, notFound
	}
	return http.StatusOK, s.pullJSON(r, rs, p)
}

func (s *Server) updatePull(r *http.Request, rs *repoState) (int, any) {
	p, ok := pull(r, rs)
	if !ok {
		return http.StatusNotFound, notFound
	}
	var in struct {
		Title *string `json:"title"`
		Body  *string `json:"body"`
		State *string `json:"state"`
		Base  *string `json:"base"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		return http.StatusBadRequest, message{Message: "Problems parsing JSON"}
	}
	const doc = "https://docs.github.com/rest/pulls/pulls#update-a-pull-request"
	if in.State != nil && *in.State != "open" && *in.State != "closed" {
		return http.StatusUnprocessableEntity, validationFailed(doc, fieldError{Resource: "PullRequest", Field: "state", Code: "invalid"})
	}
	if in.Body != nil {
		if e, ok := bodyTooLong(*in.Body); ok {
			return http.StatusUnprocessableEntity, validationFailed(doc, e)
		}
	}
	if in.Title != nil {
		p.Title = *in.Title
	}
	if in.Body != nil {
		p.Body = *in.Body
	}
	if in.Base != nil {
		p.Base = *in.Base
	}
	if in.State != nil {
		p.State = *in.State
	}
	return http.StatusOK, s.pullJSON(r, rs, p)
}

func (s *Server) addLabels(r *http.Request, rs *repoState) (int, any) {
	p, ok := pull(r, rs)
	if !ok {
		return http.StatusNotFound, notFound
	}
	// GitHub takes a list of names or {"labels": [...]}.
	var raw json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&raw); err != nil {
		return http.StatusBadRequest, message{Message: "Problems parsing JSON"}
	}
	var names []string
	if err := json.Unmarshal(raw, &names); err != nil {
		var obj struct {
			Labels []string `json:"labels"`
		}
		if err := json.Unmarshal(raw, &obj); err != nil {
			return http.StatusUnprocessableEntity, validationFailed("https://docs.github.com/rest/issues/labels#add-labels-to-an-issue")
		}
		names = obj.Labels
	}
	// GitHub creates a label it does not know, and refuses a name of
	// more than 50 characters as it would on creating it.
	for _, l := range names {
		if utf8.RuneCountInString(l) > MaxLabel {
			return http.StatusUnprocessableEntity, validationFailed("https://docs.github.com/rest/issues/labels#add-labels-to-an-issue",
				fieldError{Resource: "Label", Field: "name", Code: "invalid"})
		}
	}
	set := map[string]bool{}
	for _, l := range append(p.Labels, names...) {
		set[l] = true
	}
	p.Labels = p.Labels[:0]
	for l := range set {
		p.Labels = append(p.Labels, l)
	}
	sort.Strings(p.Labels)
	out := []labelJSON{}
	for _, l := range p.Labels {
		out = append(out, labelOf(l))
	}
	return http.StatusOK, out
}

type commentJSON struct {
	ID        int       `json:"id"`
	Body      string    `json:"body"`
	User      userJSON  `json:"user"`
	HTMLURL   string    `json:"html_url"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func commentOf(r *http.Request, rs *repoState, p *PR, i int) commentJSON {
	id := p.Number*1000 + i + 1
	return commentJSON{
		ID: id, Body: p.Comments[i], User: bot, CreatedAt: epoch, UpdatedAt: epoch,
		HTMLURL: fmt.Sprintf("http://%s/%s/%s/pull/%d#issuecomment-%d", r.Host, rs.owner, rs.name, p.Number, id),
	}
}

func (s *Server) createComment(r *http.Request, rs *repoState) (int, any) {
	p, ok := pull(r, rs)
	if !ok {
		return http.StatusNotFound, notFound
	}
	var in struct {
		Body string `json:"body"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		return http.StatusBadRequest, message{Message: "Problems parsing JSON"}
	}
	if in.Body == "" {
		return http.StatusUnprocessableEntity, validationFailed("https://docs.github.com/rest/issues/comments#create-an-issue-comment",
			fieldError{Resource: "IssueComment", Field: "body", Code: "missing_field"})
	}
	p.Comments = append(p.Comments, in.Body)
	c := commentOf(r, rs, p, len(p.Comments)-1)
	return http.StatusCreated, created{location: c.HTMLURL, v: c}
}

func (s *Server) listComments(r *http.Request, rs *repoState) (int, any) {
	p, ok := pull(r, rs)
	if !ok {
		return http.StatusNotFound, notFound
	}
	var out []commentJSON
	for i := range p.Comments {
		out = append(out, commentOf(r, rs, p, i))
	}
	return http.StatusOK, paginate(r, out)
}

type statusJSON struct {
	ID          int       `json:"id"`
	State       string    `json:"state"`
	Description string    `json:"description"`
	Context     string    `json:"context"`
	TargetURL   *string   `json:"target_url"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func statusOf(e statusEntry) statusJSON {
	return statusJSON{ID: e.id, State: e.State, Description: e.Description, Context: e.Context, CreatedAt: e.when, UpdatedAt: e.when}
}

// MaxStatuses is GitHub's limit of statuses per commit and context: "there
// is a limit of 1000 statuses per sha and context within a repository.
// Attempts to create more than 1000 statuses will result in a validation
// error." (REST API, create a commit status).
const MaxStatuses = 1000

// listStatuses answers GET commits/{ref}/statuses: every status of the
// ref, newest first, paginated (per_page at most 100), as GitHub does.
func (s *Server) listStatuses(r *http.Request, rs *repoState, ref string) (int, any) {
	all := rs.statuses[ref]
	out := make([]statusJSON, 0, len(all))
	for i := len(all) - 1; i >= 0; i-- {
		out = append(out, statusOf(all[i]))
	}
	return http.StatusOK, paginate(r, out)
}

// combinedStatus answers GET commits/{ref}/status, the latest status per
// context paginated like any list, and commits/{ref}/statuses.
func (s *Server) combinedStatus(r *http.Request, rs *repoState) (int, any) {
	if ref, ok := strings.CutSuffix(r.PathValue("ref"), "/statuses"); ok && ref != "" {
		return s.listStatuses(r, rs, ref)
	}
	ref, ok := strings.CutSuffix(r.PathValue("ref"), "/status")
	if !ok || ref == "" {
		return http.StatusNotFound, notFound
	}
	// The latest status per context, most recent first.
	all := rs.statuses[ref]
	seen := map[string]bool{}
	var latest []statusJSON
	for i := len(all) - 1; i >= 0; i-- {
		if !seen[all[i].Context] {
			seen[all[i].Context] = true
			latest = append(latest, statusOf(all[i]))
		}
	}
	state := "success"
	if len(latest) == 0 {
		state = "pending"
	}
	for _, st := range latest {
		switch st.State {
		case "error", "failure":
			state = "failure"
		case "pending":
			if state == "success" {
				state = "pending"
			}
		}
	}
	pg := paginate(r, latest).(page)
	sha := ref
	if len(sha) != 40 {
		sha = fakeSHA(ref)
	}
	pg.v = map[string]any{
		"state": state, "sha": sha, "total_count": len(latest), "statuses": pg.v,
		"commit_url": fmt.Sprintf("http://%s%srepos/%s/%s/commits/%s", r.Host, BasePath, rs.owner, rs.name, sha),
	}
	return http.StatusOK, pg
}

func (s *Server) createStatus(r *http.Request, rs *repoState) (int, any) {
	var in struct {
		State       string `json:"state"`
		Description string `json:"description"`
		Context     string `json:"context"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		return http.StatusBadRequest, message{Message: "Problems parsing JSON"}
	}
	switch in.State {
	case "error", "failure", "pending", "success":
	default:
		return http.StatusUnprocessableEntity, validationFailed("https://docs.github.com/rest/commits/statuses#create-a-commit-status",
			fieldError{Resource: "Status", Field: "state", Code: "custom", Message: "state is not included in the list"})
	}
	if in.Context == "" {
		in.Context = "default"
	}
	n := 0
	for _, e := range rs.statuses[r.PathValue("sha")] {
		if e.Context == in.Context {
			n++
		}
	}
	if n >= MaxStatuses {
		return http.StatusUnprocessableEntity, validationFailed("https://docs.github.com/rest/commits/statuses#create-a-commit-status",
			fieldError{Resource: "Status", Code: "custom", Message: "This SHA and context has reached the maximum number of statuses."})
	}
	e := s.addStatus(rs, r.PathValue("sha"), Status{Context: in.Context, State: in.State, Description: in.Description})
	return http.StatusCreated, statusOf(e)
}

// dispatch answers POST dispatches as GitHub does: 204, or 422 without an
// event_type or with more than 10 top-level client_payload keys.
func (s *Server) dispatch(r *http.Request, rs *repoState) (int, any) {
	var in struct {
		EventType     string                     `json:"event_type"`
		ClientPayload map[string]json.RawMessage `json:"client_payload"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		return http.StatusBadRequest, message{Message: "Problems parsing JSON"}
	}
	const doc = "https://docs.github.com/rest/repos/repos#create-a-repository-dispatch-event"
	if in.EventType == "" || len(in.EventType) > 100 {
		return http.StatusUnprocessableEntity, validationFailed(doc, fieldError{Resource: "Repository", Field: "event_type", Code: "invalid"})
	}
	if len(in.ClientPayload) > 10 {
		return http.StatusUnprocessableEntity, validationFailed(doc, fieldError{Resource: "Repository", Field: "client_payload", Code: "custom", Message: "client_payload can have at most 10 top-level properties"})
	}
	payload, _ := json.Marshal(in.ClientPayload)
	rs.dispatches = append(rs.dispatches, Dispatch{EventType: in.EventType, Payload: string(payload)})
	return http.StatusNoContent, nil
}
