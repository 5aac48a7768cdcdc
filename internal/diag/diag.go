// Package diag holds kiln's one user-facing error type and its warnings.
//
// Every problem a user can fix (a misspelt key, an undefined variable, an
// unknown field, a path outside the repository) becomes an *Error that says
// where (file:line, app, kind/namespace/name), what, and what to do. Errors
// from libraries are wrapped, never flattened, so callers can still reach the
// cause with errors.As. Start with Error and Sort.
package diag

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/kiln-gitops/kiln/internal/caret"
)

// Object names a Kubernetes object in a message: Kind/namespace/name, or
// Kind/name for cluster-scoped objects.
type Object struct {
	Kind      string
	Namespace string
	Name      string
}

// String renders the object as Kind/namespace/name.
func (o Object) String() string {
	if o.Kind == "" && o.Name == "" {
		return ""
	}
	if o.Namespace == "" {
		return o.Kind + "/" + o.Name
	}
	return o.Kind + "/" + o.Namespace + "/" + o.Name
}

// Error is a problem in the user's input. It prints as
//
//	file:line: app A: Kind/ns/name: message
//	  hint: what to do
//
// leaving out the parts that are unknown.
type Error struct {
	// File is the path of the offending file, relative to the repository
	// root where possible.
	File string
	// Line is the 1-based line in File, 0 when unknown.
	Line int
	// App names the app being rendered, if any.
	App string
	// Object names the offending Kubernetes object, if any.
	Object Object
	// Field is the path of the offending field in the file (a kiln.yaml
	// key such as apps[2].helm.version) or in Object (spec.replicas), if
	// known. The printed error says it in its message; --output json
	// gives it as its own key.
	Field string
	// Msg says what is wrong, lowercase, no trailing period.
	Msg string
	// Hint says what to do about it; optional.
	Hint string
	// Err is the underlying cause, if any; Error unwraps to it.
	Err error
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Location())
	if e.App != "" {
		b.WriteString("app " + e.App + ": ")
	}
	if s := e.Object.String(); s != "" {
		b.WriteString(s + ": ")
	}
	msg := e.Msg
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	b.WriteString(msg)
	if e.Hint != "" {
		b.WriteString("\n  hint: " + e.Hint)
	}
	return b.String()
}

// Location returns "file:line: ", "file: " or "".
func (e *Error) Location() string {
	switch {
	case e.File != "" && e.Line > 0:
		return fmt.Sprintf("%s:%d: ", e.File, e.Line)
	case e.File != "":
		return e.File + ": "
	}
	return ""
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an *Error with a formatted message and no location; callers
// fill in the fields they know.
func Errorf(format string, args ...any) *Error {
	return &Error{Msg: fmt.Sprintf(format, args...)}
}

// At returns a copy of e located at file:line, keeping a location e already has.
func (e *Error) At(file string, line int) *Error {
	c := *e
	if c.File == "" {
		c.File, c.Line = file, line
	}
	return &c
}

// ForApp returns a copy of e that names app, keeping an app e already names.
func (e *Error) ForApp(app string) *Error {
	c := *e
	if c.App == "" {
		c.App = app
	}
	return &c
}

// WithHint returns a copy of e with the hint set.
func (e *Error) WithHint(hint string) *Error {
	c := *e
	c.Hint = hint
	return &c
}

// Flatten returns every error inside err: it unpacks errors.Join trees (and
// any error with Unwrap() []error) down to their leaves.
func Flatten(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, Flatten(e)...)
		}
		return out
	}
	return []error{err}
}

// ForApp names app in every *Error inside err (Flatten), keeping an app
// one names already, and joins them again (Join); other errors are kept
// as they are.
func ForApp(err error, app string) error {
	var out []error
	for _, e := range Flatten(err) {
		var de *Error
		if errors.As(e, &de) {
			e = de.ForApp(app)
		}
		out = append(out, e)
	}
	return Join(out...)
}

// Sort orders errors by file, line, app, object and message, so that
// reports are stable from run to run, and drops exact duplicates.
func Sort(errs []error) []error {
	type keyed struct {
		file, app, obj, msg string
		line                int
		err                 error
	}
	ks := make([]keyed, 0, len(errs))
	for _, err := range errs {
		k := keyed{msg: err.Error(), err: err}
		var de *Error
		if errors.As(err, &de) {
			k.file, k.line, k.app, k.obj = de.File, de.Line, de.App, de.Object.String()
		}
		ks = append(ks, k)
	}
	sort.SliceStable(ks, func(i, j int) bool {
		a, b := ks[i], ks[j]
		if a.file != b.file {
			// Errors without a file come after those with one.
			if a.file == "" || b.file == "" {
				return b.file == ""
			}
			return a.file < b.file
		}
		if a.line != b.line {
			return a.line < b.line
		}
		if a.app != b.app {
			return a.app < b.app
		}
		if a.obj != b.obj {
			return a.obj < b.obj
		}
		return a.msg < b.msg
	})
	out := make([]error, 0, len(ks))
	for i, k := range ks {
		if i > 0 && k.msg == ks[i-1].msg {
			continue
		}
		out = append(out, k.err)
	}
	return out
}

// Join flattens and sorts errs and joins them; nil when there are none.
func Join(errs ...error) error {
	var all []error
	for _, e := range errs {
		all = append(all, Flatten(e)...)
	}
	if len(all) == 0 {
		return nil
	}
	return errors.Join(Sort(all)...)
}

// Warning is a problem that does not stop a render; --strict turns each one
// into an error. Warnings are kept apart from errors on purpose: they travel
// in their own list and are never returned as error values.
type Warning struct {
	File   string
	Line   int
	App    string
	Object Object
	Msg    string
	Hint   string
}

// String prints the warning like an Error.
func (w Warning) String() string { return w.AsError().Error() }

// AsError turns the warning into an error, for --strict.
func (w Warning) AsError() *Error {
	return &Error{File: w.File, Line: w.Line, App: w.App, Object: w.Object, Msg: w.Msg, Hint: w.Hint}
}

// SortWarnings orders warnings like Sort orders errors (by file, then line
// as a number, ...), dropping duplicates.
func SortWarnings(ws []Warning) []Warning {
	errs := make([]error, len(ws))
	index := make(map[error]Warning, len(ws))
	for i, w := range ws {
		e := w.AsError()
		errs[i] = e
		index[e] = w
	}
	out := make([]Warning, 0, len(ws))
	for _, e := range Sort(errs) {
		out = append(out, index[e])
	}
	return out
}

// Closest returns the candidate nearest to s by edit distance, or "" when
// none is close enough to be a plausible misspelling. A candidate that
// shares no letter in place with s (as many edits as s has characters:
// "a" for "c", "a" for "zz") is none.
func Closest(s string, candidates []string) string {
	best, bestD := "", -1
	for _, c := range candidates {
		d := distance(strings.ToLower(s), strings.ToLower(c))
		if bestD < 0 || d < bestD || (d == bestD && c < best) {
			best, bestD = c, d
		}
	}
	limit := len(s) / 3
	if limit < 2 {
		limit = 2
	}
	if bestD < 0 || bestD > limit || bestD >= utf8.RuneCountInString(s) {
		return ""
	}
	return best
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// MaxMessage bounds the text a template put in an error that kiln shows:
// `error x` in jsonnet and `fail` in Helm print x whole, and x may be any
// value (a whole object, a string of megabytes). The reference programs
// print it, but kiln's errors go to CI logs, job summaries and --output
// json, where 10 MB on one line helps no one.
const MaxMessage = 4 << 10

// Cut shortens msg to at most max bytes and says how much it left out.
// Callers cut after masking secret values; it never cuts inside a word (a
// run of letters, digits and the characters of base64, hex and URL
// encodings), so that no part of an encoded secret is left for the
// redactors of kiln's output, which look for whole encodings, to miss. A
// value with a blank or a quote can still be cut in two: a redactor that
// comes after the cut masks the kept text's end (SplitCut).
func Cut(msg string, max int) string {
	if len(msg) <= max {
		return msg
	}
	end := len(caret.Prefix(msg, max))
	for end > 0 && wordByte(msg[end-1]) && wordByte(msg[end]) {
		end--
	}
	return fmt.Sprintf("%s… (%d more bytes of the message)", msg[:end], len(msg)-end)
}

// cutNote is the end Cut gives a message it shortened.
var cutNote = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`… \(\d+ more bytes of the message\)$`) })

// SplitCut splits a message Cut shortened into the text it kept and its
// note ("… (N more bytes of the message)"); a message Cut left whole is
// all kept, with no note. Not cutting inside a word keeps an encoded
// value whole, but a plain or escaped value holds blanks and quotes: a
// redactor that learns its values after the cut (render's, of the
// Secrets an env rendered) masks the kept text's end too (redact's
// StringCut), where such a value may have been cut in two.
func SplitCut(msg string) (kept, note string) {
	loc := cutNote().FindStringIndex(msg)
	if loc == nil {
		return msg, ""
	}
	return msg[:loc[0]], msg[loc[0]:]
}

// wordByte reports whether b may be part of an encoded value.
func wordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || strings.IndexByte("+/=_-%.\\", b) >= 0 || b >= 0x80
}
