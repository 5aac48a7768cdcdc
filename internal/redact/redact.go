// Package redact keeps secret values out of everything kiln writes: it
// finds a secret var's value in every form kiln's engines and serialisers
// can produce (see Forms) and masks it in text shown to people, or tells
// the plain-secret gate which secret it found.
//
// A Redactor knows the secret values of one env; it is built once (one
// Aho-Corasick automaton over every form of every value) and is safe for
// concurrent use. A Set gathers the Redactors of a run for the sinks that
// outlive one env (the CLI's stdout and stderr, GitHub's job summary).
// Values shorter than MinLength are not searched for or masked: "1" or
// "on" occur everywhere and protect nothing; Short names such vars so the
// caller can warn. Nothing here prints a value.
package redact

import (
	"errors"
	"net/url"
	"slices"
	"sort"
	"strings"
)

// MinLength is the shortest secret value that is redacted and searched for.
const MinLength = 4

// Mask replaces a secret value.
const Mask = "**redacted**"

// Redactor finds and masks known secret values in every form.
type Redactor struct {
	names   []string // secret names, sorted; index = owner in the matcher
	secrets []secret // name and value, sorted by name
	short   []string // names of values shorter than MinLength, sorted
	forms   []string // every form of every value, sorted
	m       *matcher // nil when there is nothing to find
	// tokens: a mask covers the whole token a match stands in (Tokens).
	tokens bool
}

type secret struct {
	name, value string
	// plainKept: the value as it is is not searched for, only its other
	// forms (WithKept).
	plainKept bool
}

// New returns a Redactor for secrets (name → value).
func New(secrets map[string]string) *Redactor {
	list := make([]secret, 0, len(secrets))
	for n, v := range secrets {
		list = append(list, secret{name: n, value: v})
	}
	return build(list)
}

// With returns a Redactor that masks r's secrets and these, built once:
// joining them through a Set would build the matcher of these alone
// first. r may be nil. Above 0, upTo bounds every form to its first upTo
// bytes, for a Redactor that only ever sees texts of at most upTo bytes:
// a whole form longer than the text cannot be in it, and a form's start
// at the text's end (StringCut) is a start of its first upTo bytes too. A
// long value has some 27 forms, 40 times its length: a 1.2 MiB Secret's
// made an automaton of 3.2 GB to mask error messages of a few KiB.
func (r *Redactor) With(secrets map[string]string, upTo int) *Redactor {
	return r.WithKept(secrets, upTo, nil)
}

// WithKept is With where the values keep reports true for are not masked
// as they are, nor trimmed or without their line breaks (how an object
// holds "secret\n" once parsed), only in their other forms (base64,
// escapes…): for a text where such a value may stand for itself, not as
// a secret (a name that is also a common word). A nil keep keeps none.
func (r *Redactor) WithKept(secrets map[string]string, upTo int, keep func(string) bool) *Redactor {
	var list []secret
	if r != nil {
		list = append(list, r.secrets...)
	}
	for n, v := range secrets {
		list = append(list, secret{name: n, value: v, plainKept: keep != nil && keep(v)})
	}
	return buildUpTo(list, upTo)
}

func build(list []secret) *Redactor { return buildUpTo(list, 0) }

// buildUpTo is build with every form cut after upTo bytes when upTo > 0
// (With).
func buildUpTo(list []secret, upTo int) *Redactor {
	sort.Slice(list, func(i, j int) bool {
		if list[i].name != list[j].name {
			return list[i].name < list[j].name
		}
		return list[i].value < list[j].value
	})
	r := &Redactor{secrets: list}
	var patterns []string
	var owner []int
	seenForm := map[string]bool{}
	for _, s := range list {
		if TooShort(s.value) {
			if s.value != "" && (len(r.short) == 0 || r.short[len(r.short)-1] != s.name) {
				r.short = append(r.short, s.name)
			}
			continue
		}
		idx := sort.SearchStrings(r.names, s.name)
		if idx == len(r.names) || r.names[idx] != s.name {
			r.names = append(r.names, s.name)
			idx = len(r.names) - 1
		}
		for _, f := range Forms(s.value) {
			if s.plainKept && (f == s.value || f == strings.TrimSpace(s.value) || f == strings.ReplaceAll(s.value, "\n", "")) {
				continue
			}
			if upTo > 0 && len(f) > upTo {
				f = f[:upTo]
			}
			patterns = append(patterns, f)
			owner = append(owner, idx)
			if !seenForm[f] {
				seenForm[f] = true
				r.forms = append(r.forms, f)
			}
		}
	}
	sort.Strings(r.forms)
	if len(patterns) > 0 {
		r.m = newMatcher(patterns, owner)
	}
	return r
}

// Empty reports whether r has nothing to find.
func (r *Redactor) Empty() bool { return r == nil || r.m == nil }

// String returns s with every form of every secret value masked. Forms
// that overlap are masked together, so no piece of one is left over.
func (r *Redactor) String(s string) string {
	if r.Empty() {
		return s
	}
	return maskSpans(s, r.spans(s))
}

// maskSpans replaces each of the sorted, disjoint spans of s with Mask.
func maskSpans(s string, spans [][2]int) string {
	if len(spans) == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	prev := 0
	for _, sp := range spans {
		b.WriteString(s[prev:sp[0]])
		b.WriteString(Mask)
		prev = sp[1]
	}
	b.WriteString(s[prev:])
	return b.String()
}

// StringCut is String for a text cut short at its end (diag.Cut): it also
// masks the end of s when that is the start of a form, MinLength bytes or
// more, whose rest the cut took away and which no search for whole forms
// would find. A cut between words keeps encodings whole but splits a
// value at a blank or a quote ("correct horse \"battery\"" of a JSON
// string).
func (r *Redactor) StringCut(s string) string {
	if r.Empty() {
		return s
	}
	spans := r.spans(s)
	// A start of a form the text ends with: the matcher's last state is
	// the longest such start.
	if d := int(scan(r.m, s, func(int, *acNode) {}).depth); d >= MinLength {
		start := len(s) - d
		for len(spans) > 0 && spans[len(spans)-1][1] >= start {
			start = min(start, spans[len(spans)-1][0])
			spans = spans[:len(spans)-1]
		}
		spans = append(spans, [2]int{start, len(s)})
		if r.tokens {
			spans = tokenSpans(s, spans)
		}
	}
	return maskSpans(s, spans)
}

// Bytes returns b with every secret value masked (b itself when there is
// nothing to mask).
func (r *Redactor) Bytes(b []byte) []byte {
	if r.Empty() {
		return b
	}
	spans := spansOf(r.m, b)
	if len(spans) == 0 {
		return b
	}
	out := make([]byte, 0, len(b))
	prev := 0
	for _, sp := range spans {
		out = append(out, b[prev:sp[0]]...)
		out = append(out, Mask...)
		prev = sp[1]
	}
	return append(out, b[prev:]...)
}

func (r *Redactor) spans(s string) [][2]int {
	spans := spansOf(r.m, s)
	if r.tokens && len(spans) > 0 {
		spans = tokenSpans(s, spans)
	}
	return spans
}

// Tokens returns r masking, in String and StringCut, the whole token each
// match stands in: the run of bytes around it up to a blank, a quote, a
// bracket, a comma or a semicolon. A Secret's value is often a common
// word (postgres, admin), and masked alone inside a longer one it told
// the reader the value: "kind ScheduledBackup (**redacted**ql.cnpg.io/v1)"
// is a Secret holding "postgres". A value glued to other text by a
// template (k8x2mq9z-suffix) is a secret's own, and must not show either:
// the token hides both. For texts shown to people (messages, hints), not
// for names and paths, which would lose where they point.
func (r *Redactor) Tokens() *Redactor {
	if r == nil {
		return nil
	}
	c := *r
	c.tokens = true
	return &c
}

// tokenSpans widens each of the sorted spans (at least one; its own slice) to the token
// of s it stands in (Tokens), merging spans that then meet.
func tokenSpans(s string, spans [][2]int) [][2]int {
	for i, sp := range spans {
		for sp[0] > 0 && tokenByte(s[sp[0]-1]) {
			sp[0]--
		}
		for sp[1] < len(s) && tokenByte(s[sp[1]]) {
			sp[1]++
		}
		spans[i] = sp
	}
	return mergeSpans(spans)
}

// tokenByte reports whether c continues a token: anything but a blank, a
// quote, a bracket, a comma or a semicolon (a byte of a UTF-8 sequence
// continues it).
func tokenByte(c byte) bool {
	return !strings.ContainsRune(" \t\r\n\"'`()[]{}<>,;", rune(c))
}

// spansOf returns the merged [start, end) ranges covered by matches, by
// runs of decimal numbers whose bytes hold a match (decimalRuns), and by
// runs of base64 lines whose joined text holds one (wrappedRuns).
func spansOf[T string | []byte](m *matcher, text T) [][2]int {
	spans := matchSpans(m, text)
	var runs [][2]int
	readings(string(text), func(read []byte) bool { return len(matchSpans(m, read)) > 0 },
		func(start, end int) { runs = append(runs, [2]int{start, end}) })
	if len(runs) == 0 {
		return spans
	}
	return mergeSpans(append(spans, runs...))
}

// mergeSpans sorts spans and merges those that overlap or touch.
func mergeSpans(spans [][2]int) [][2]int {
	slices.SortFunc(spans, func(a, b [2]int) int { return a[0] - b[0] })
	out := spans[:1]
	for _, sp := range spans[1:] {
		if last := &out[len(out)-1]; sp[0] <= last[1] {
			last[1] = max(last[1], sp[1])
			continue
		}
		out = append(out, sp)
	}
	return out
}

// matchSpans returns the merged [start, end) ranges covered by matches.
func matchSpans[T string | []byte](m *matcher, text T) [][2]int {
	var spans [][2]int
	scan(m, text, func(end int, n *acNode) {
		start := end - int(n.longest)
		if k := len(spans) - 1; k >= 0 && start <= spans[k][1] {
			if start < spans[k][0] {
				// A longer match reaching back over earlier spans.
				for k > 0 && start <= spans[k-1][1] {
					spans = spans[:k]
					k--
				}
				if start < spans[k][0] {
					spans[k][0] = start
				}
			}
			spans[k][1] = end
			return
		}
		spans = append(spans, [2]int{start, end})
	})
	return spans
}

// Found returns the names of the secrets any form of whose value occurs in
// s, sorted.
func (r *Redactor) Found(s string) []string { return foundIn(r, s) }

// FoundBytes is Found for a byte slice.
func (r *Redactor) FoundBytes(b []byte) []string { return foundIn(r, b) }

// foundIn is Found of text, as it is and as read otherwise (readings).
func foundIn[T string | []byte](r *Redactor, text T) []string {
	if r.Empty() {
		return nil
	}
	return r.found(func(hit func(int, *acNode)) {
		scan(r.m, text, hit)
		// Whatever holds is asked about reads as a part of text, a part
		// of a run asked about to find the run's end too: its forms are
		// text's.
		readings(string(text), func(read []byte) bool {
			hits := false
			scan(r.m, read, func(end int, n *acNode) {
				hits = true
				hit(end, n)
			})
			return hits
		}, func(int, int) {})
	})
}

// readings calls keep with each span of text that reads as another text
// in which holds finds a secret's form: a run of byte numbers
// (decimalRuns) and a run of base64 lines (wrappedRuns). holds is given
// what a span reads as, and, to tell where a run of base64 lines ends,
// what a part of one reads as.
func readings(text string, holds func(read []byte) bool, keep func(start, end int)) {
	decimalRuns(text, func(start, end int, spelled []byte) {
		if holds(spelled) {
			keep(start, end)
		}
	})
	wrappedRuns(text, holds, keep)
}

func (r *Redactor) found(run func(func(int, *acNode))) []string {
	var seen map[int]bool
	run(func(_ int, n *acNode) {
		for _, o := range r.m.ownersOf(n) {
			if seen == nil {
				seen = map[int]bool{}
			}
			seen[o] = true
		}
	})
	if len(seen) == 0 {
		return nil
	}
	out := make([]string, 0, len(seen))
	for o := range seen {
		out = append(out, r.names[o])
	}
	sort.Strings(out)
	return out
}

// Forms returns every form of every secret value, sorted, for a CI
// system's own masking (GitHub's ::add-mask::). Never print them anywhere
// else.
func (r *Redactor) Forms() []string {
	if r == nil {
		return nil
	}
	return append([]string(nil), r.forms...)
}

// Names returns the names of the secrets r searches for, sorted.
func (r *Redactor) Names() []string {
	if r == nil {
		return nil
	}
	return append([]string(nil), r.names...)
}

// Short returns the names of the secret vars whose values are TooShort and
// therefore neither searched for nor masked, sorted.
func (r *Redactor) Short() []string {
	if r == nil {
		return nil
	}
	return append([]string(nil), r.short...)
}

// Value returns v with every string in it masked: map values, keys and
// list items, recursively. It masks before serialisation, so a value the
// serialiser would escape or fold across lines is masked whole. Maps and
// slices are copied; v is not changed.
func (r *Redactor) Value(v any) any {
	if r.Empty() {
		return v
	}
	switch t := v.(type) {
	case string:
		return r.String(t)
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[r.String(k)] = r.Value(x)
		}
		return out
	case map[string]string:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[r.String(k)] = r.String(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = r.Value(x)
		}
		return out
	case []string:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = r.String(x)
		}
		return out
	default:
		return v
	}
}

// URL returns raw without the user information of a scheme://… URL, where
// CI puts tokens (https://x-access-token:TOKEN@github.com/…). A URL that
// does not parse loses everything between "://" and its last "@", so a
// malformed URL cannot smuggle a token into a message either. Other forms
// (paths, scp-like user@host:path) come back unchanged.
func URL(raw string) string {
	scheme := strings.Index(raw, "://")
	if scheme < 0 {
		return raw
	}
	// Without the user part, url.Parse finds no user either.
	raw = withoutUserinfo(raw, scheme)
	if _, err := url.Parse(raw); err != nil {
		if at := strings.LastIndex(raw, "@"); at > scheme {
			return raw[:scheme+3] + raw[at+1:]
		}
	}
	return raw
}

// RemoteURL is a git remote's URL as kiln writes it into a lock or shows
// it: without the user part (URL) and, for a scheme://… URL, without the
// query, where a host may take a token
// ("https://git.example.com/r.git?private_token=…"). Git's scp-like form
// (git@github.com:acme/app) stays as git names it, so that a lock's URL
// stays what it was for every remote that holds no such part.
func RemoteURL(raw string) string {
	raw = URL(raw)
	if strings.Contains(raw, "://") {
		raw, _, _ = strings.Cut(raw, "?")
	}
	return raw
}

// withoutUserinfo is raw, whose "://" is at scheme, without its user part
// (userinfoEnd).
func withoutUserinfo(raw string, scheme int) string {
	return raw[:scheme+3] + raw[scheme+3+userinfoEnd(raw[scheme+3:]):]
}

// PublicURL is raw as kiln may show or write it: without a user, password
// or query, which may hold credentials (a token, a signed URL's
// signature, as an Azure blob container's SAS token). A URL that does not
// parse loses its user part (URL) and everything from "?". One written
// without its scheme ("bot:TOKEN@charts.example.com", which helm.repo's
// check refuses, quoting it) parses with "bot" as its scheme and no host:
// it loses everything before the last "@" ahead of its path.
func PublicURL(raw string) string {
	if scheme := strings.Index(raw, "://"); scheme >= 0 {
		raw = withoutUserinfo(raw, scheme)
	} else {
		head, _, _ := strings.Cut(raw, "/")
		if at := strings.LastIndex(head, "@"); at >= 0 {
			raw = raw[at+1:]
		}
	}
	if u, err := url.Parse(raw); err == nil {
		c := *u
		c.User, c.RawQuery, c.ForceQuery = nil, "", false
		return c.String()
	}
	s, _, _ := strings.Cut(URL(raw), "?")
	return s
}

// userinfoEnd returns the length of the user part of s, the text after a
// URL's "://", "@" included; 0 when it has none. A password is often
// written unescaped, and a URL parser takes its "#" or "?" for the start
// of a fragment or query and its "/" for the path's: it then finds no
// user and keeps the password in the host, fragment, query or path
// ("https://bot:12#34@host" is host "bot:12", fragment "34@host"). So the
// user part ends at the last "@" before the first "/"; failing that, when
// what comes before the first "/" is no host name ("bot:1", "tok"), at
// the last "@" of the path (before any "?" or "#") that a host name
// follows ("bot:1/2/3@charts.example.com/x"). A digest
// ("chart@sha256:…") is no host name, and stays.
func userinfoEnd(s string) int {
	end := strings.IndexByte(s, '/')
	if end < 0 {
		return strings.LastIndexByte(s, '@') + 1
	}
	if at := strings.LastIndexByte(s[:end], '@'); at >= 0 {
		return at + 1
	}
	if hostName(s[:end]) {
		return 0 // a real host: an "@" in its path is the path's ("repo@v1.2.git")
	}
	path := s[:end+strings.IndexAny(s[end:]+"?", "?#")]
	for at := strings.LastIndexByte(path, '@'); at > end; at = strings.LastIndexByte(path[:at], '@') {
		host := s[at+1:]
		if i := strings.IndexAny(host, "/?#"); i >= 0 {
			host = host[:i]
		}
		if hostName(host) {
			return at + 1
		}
	}
	return 0
}

// hostName reports whether h is a DNS name with a dot, or localhost, with
// an optional numeric port.
func hostName(h string) bool {
	if name, port, ok := strings.Cut(h, ":"); ok {
		if port == "" || strings.Trim(port, "0123456789") != "" {
			return false
		}
		h = name
	}
	if h != "localhost" && !strings.Contains(h, ".") {
		return false
	}
	return h != "" && strings.Trim(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") == ""
}

// URLProblem is why url.Parse refused a URL, without the URL (url.Error
// quotes it whole) or a port error's text (the text after the host's ":",
// where a password lands whose "#", "?" or "/" ended the authority early,
// as in "https://admin:pa#ss@host"). An escape or host error quotes one
// character or a 3-character escape, and is kept.
func URLProblem(err error) string {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return "it does not parse"
	}
	var ee url.EscapeError
	var he url.InvalidHostError
	switch {
	case errors.As(ue.Err, &ee), errors.As(ue.Err, &he):
		return ue.Err.Error()
	case strings.Contains(ue.Err.Error(), "port"):
		return "invalid port after host"
	default:
		return "it does not parse"
	}
}
