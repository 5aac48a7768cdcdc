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
	"reflect"
	"regexp"
	"sort"
	"strconv"
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

// String renders the object as Kind/namespace/name, each part of more
// than MaxName bytes clipped (Clip): a template can name an object with a
// string of megabytes, which every error and warning about the object
// would quote; and each part quoted (QuotePath) when it holds a control
// character, a quote or a backslash.
func (o Object) String() string {
	// Quoted when odd: an object read back from the manifests branch
	// (promote's checks of the tree it replaces) was never validated,
	// and its name may hold a line break or a terminal's escape.
	return o.join(func(s string) string { return QuotePath(Clip(s, MaxName)) })
}

// whole is String with no part clipped, for ordering and telling objects
// apart.
func (o Object) whole() string { return o.join(func(s string) string { return s }) }

func (o Object) join(show func(string) string) string {
	if o.Kind == "" && o.Name == "" {
		return ""
	}
	if o.Namespace == "" {
		return show(o.Kind) + "/" + show(o.Name)
	}
	return show(o.Kind) + "/" + show(o.Namespace) + "/" + show(o.Name)
}

// Map returns o with f applied to each part.
func (o Object) Map(f func(string) string) Object {
	return Object{Kind: f(o.Kind), Namespace: f(o.Namespace), Name: f(o.Name)}
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

// Error implements error. It shows e Bounded: however long the names and
// values an input put in it, an error is a few KiB.
func (e *Error) Error() string { return e.Bounded().text(Object.String) }

// text is e as Error prints it, with its object shown by object.
func (e *Error) text(object func(Object) string) string {
	var b strings.Builder
	b.WriteString(e.Location())
	if e.App != "" {
		// kiln.yaml's app names need no quoting; an app promote reads
		// from the manifests branch is a folder's name there.
		b.WriteString("app " + QuotePath(e.App) + ": ")
	}
	if s := object(e.Object); s != "" {
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

// Bounded returns a copy of e as sinks show it: its Field, Msg (Err's
// text when Msg is empty) and Hint bounded (Bound), its App clipped to
// MaxName and its File to maxPath; its Object clips its own parts when
// shown (Object.String). A sink that prints the parts (the --output json
// document, GitHub's annotations and job summary) prints these. Bounding
// cuts values: mask secret values in the parts first (Map), never in the
// bounded text, where a cut may have left only a value's start.
func (e *Error) Bounded() *Error {
	c := *e
	if c.Msg == "" && c.Err != nil {
		c.Msg = c.Err.Error()
	}
	c.Field, c.Msg, c.Hint = Bound(c.Field), Bound(c.Msg), Bound(c.Hint)
	// kiln.yaml checks app names, but a lock on the manifests branch,
	// which promote reads, may name any app; a tree read back may hold
	// any path.
	c.App, c.File = Clip(c.App, MaxName), Clip(c.File, maxPath)
	return &c
}

// maxPath is PATH_MAX on Linux: a file kiln read has no longer path.
const maxPath = 4096

// Map returns a copy of e with f applied to each text an input can put in
// it: Field, Msg (Err's text when Msg is empty), Hint and the parts of
// Object. File and App, a path and a name kiln.yaml checked, are kept.
// Redactors mask through it, so that they see each part whole.
func (e *Error) Map(f func(string) string) *Error {
	c := *e
	if c.Msg == "" && c.Err != nil {
		c.Msg = c.Err.Error()
	}
	c.File, c.App = f(c.File), f(c.App)
	c.Field, c.Msg, c.Hint, c.Object = f(c.Field), f(c.Msg), f(c.Hint), c.Object.Map(f)
	return &c
}

// Whole is an error sinks show whole: one that bounds what it holds
// itself (a gate's list of apps, each line short), or whose length is
// what it must show (a kiln bug's stack, which the user is asked to
// report).
type Whole interface {
	error
	ShowWhole()
}

// Text is err as sinks show it: a *Error's Error, a Whole's whole text,
// and any other error's text bounded as a message (Bound).
func Text(err error) string {
	switch e := err.(type) {
	case *Error:
		return e.Error()
	case Whole:
		return e.Error()
	}
	return Bound(err.Error())
}

// whole is err's text with nothing bounded, for ordering and telling
// errors apart: two errors may differ only past a bound.
func whole(err error) string {
	if de, ok := err.(*Error); ok {
		return de.text(Object.whole)
	}
	return err.Error()
}

// Location returns "file:line: ", "file: " or "", the file quoted
// (QuotePath).
func (e *Error) Location() string {
	switch {
	case e.File != "" && e.Line > 0:
		return fmt.Sprintf("%s:%d: ", QuotePath(e.File), e.Line)
	case e.File != "":
		return QuotePath(e.File) + ": "
	}
	return ""
}

// ArchiveEntry splits a File that names a file inside an archive, the
// archive and the entry as `tar tzf` lists it
// ("charts/app/charts/redis-17.0.0.tgz: redis/templates/x.yaml", one
// archive after the other for an archive in an archive: the Helm engine
// names a .tgz chart's files so), into the archive, which exists in the
// repository, and the rest. ok is false for any other File.
func ArchiveEntry(file string) (archive, entry string, ok bool) {
	for _, ext := range []string{".tgz: ", ".tar.gz: "} {
		if i := strings.Index(file, ext); i > 0 {
			n := i + len(ext) - len(": ")
			return file[:n], file[n+len(": "):], true
		}
	}
	return "", "", false
}

// QuotePath returns a path as git prints it in a diff header or a
// listing: as it is, or in double quotes with C escapes when it holds a
// control character, a byte that is not UTF-8, a double quote or a
// backslash. The manifests repository's file names are whoever pushed
// there's (and a chart's, its author's): a line break in one would start
// a line of its own in what kiln prints, one that reads as another file
// or warning, or in GitHub Actions' log a workflow command (::error::,
// ::stop-commands::).
func QuotePath(p string) string {
	if !utf8.ValidString(p) {
		return strconv.Quote(p)
	}
	for _, r := range p {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == '"' || r == '\\' {
			return strconv.Quote(p)
		}
	}
	return p
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
// any error with Unwrap() []error but fmt.Errorf's) down to their leaves,
// and a tree that fmt.Errorf wrapped with one %w as well, each leaf
// keeping the wrapper's words around it. Sinks that take each leaf's
// *Error with errors.As (--output json, annotations) would otherwise see
// only the first.
func Flatten(err error) []error {
	if err == nil {
		return nil
	}
	// fmt.Errorf("%w: %w", ...) is one error with two causes, not a list.
	if j, ok := err.(interface{ Unwrap() []error }); ok && reflect.TypeOf(err) != fmtWrapsType {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, Flatten(e)...)
		}
		return out
	}
	if reflect.TypeOf(err) == fmtWrapType {
		inner := errors.Unwrap(err)
		leaves := Flatten(inner)
		text, in := err.Error(), inner.Error()
		if i := strings.Index(text, in); len(leaves) > 1 && i >= 0 {
			out := make([]error, len(leaves))
			for k, leaf := range leaves {
				out[k] = &wrapped{before: text[:i], after: text[i+len(in):], err: leaf}
			}
			return out
		}
	}
	return []error{err}
}

// fmtWrapType and fmtWrapsType are the types of fmt.Errorf's error with
// one %w and with several.
var (
	fmtWrapType  = reflect.TypeOf(fmt.Errorf("%w", errors.New("")))
	fmtWrapsType = reflect.TypeOf(fmt.Errorf("%w%w", errors.New(""), errors.New("")))
)

// wrapped is one leaf of a tree fmt.Errorf wrapped, with the wrapper's
// words before and after it.
type wrapped struct {
	before, after string
	err           error
}

func (w *wrapped) Error() string { return w.before + w.err.Error() + w.after }
func (w *wrapped) Unwrap() error { return w.err }

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
		k := keyed{msg: whole(err), err: err}
		var de *Error
		if errors.As(err, &de) {
			k.file, k.line, k.app, k.obj = de.File, de.Line, de.App, de.Object.whole()
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

// Map returns w with f applied as Error.Map applies it.
func (w Warning) Map(f func(string) string) Warning {
	e := w.AsError().Map(f)
	return Warning{File: e.File, Line: e.Line, App: e.App, Object: e.Object, Msg: e.Msg, Hint: e.Hint}
}

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
	end := cutEnd(msg, max)
	return fmt.Sprintf(cutFormat, msg[:end], len(msg)-end)
}

// cutEnd is where Cut cuts msg, longer than max.
func cutEnd(msg string, max int) int {
	end := len(caret.Prefix(msg, max))
	for end > 0 && wordByte(msg[end-1]) && wordByte(msg[end]) {
		end--
	}
	return end
}

const cutFormat = "%s… (%d more bytes of the message)"

// cutNote is the end Cut gives a message it shortened.
var cutNote = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`… \((\d+) more bytes of the message\)$`) })

// MaxName bounds each part of an object's name (kind, namespace, name)
// and each word of a message as errors and warnings show them (Clip). A
// name is quoted in every error about its object and again in the API
// server's own messages ("metadata.name: Invalid value: …"); one of
// 100,000 characters made 500 KB of errors. 512 is twice the 253 bytes of
// a DNS subdomain, the longest name most kinds take, so that every name
// the API server takes for those shows whole, and the path-segment names
// of RBAC's kinds, which may be longer, show whole up to 512 bytes.
const MaxName = 512

// ellipsis marks where Clip and Cut cut.
const ellipsis = "…"

// Clip shortens s, a name or a word, to its first max bytes (whole runes)
// and says how long it was: "aaaa…(100000 bytes)". Unlike Cut it cuts
// inside a word, so mask s whole before (Error.Map): what it leaves of a
// value is a start that no redactor after it recognises.
func Clip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	return caret.Prefix(s, max) + ellipsis + "(" + strconv.Itoa(len(s)) + " bytes)"
}

// Bound is a text an input can fill (a message, a hint, the path of a
// field) as sinks show it: each word of more than MaxName bytes clipped
// (Clip), so that the text around a long name it quotes stays, and the
// whole cut to MaxMessage (Cut). A bounded text comes back as it is.
func Bound(s string) string {
	s = clipWords(s)
	kept, note := SplitCut(s)
	if len(kept) <= MaxMessage {
		return s
	}
	more := 0
	if note != "" {
		// Cut before (in an engine): count what that cut left out too.
		more, _ = strconv.Atoi(cutNote().FindStringSubmatch(note)[1])
	}
	end := cutEnd(kept, MaxMessage)
	return fmt.Sprintf(cutFormat, kept[:end], len(kept)-end+more)
}

// clipWords clips each word of s longer than MaxName. The ellipsis of a
// clip or a cut ends a word, so that clipping again changes nothing.
func clipWords(s string) string {
	if len(s) <= MaxName {
		return s
	}
	var b strings.Builder
	start := 0 // where the text not yet written starts
	word := -1 // where the current word starts, -1 outside one
	for i := 0; i <= len(s); i++ {
		mark := strings.HasPrefix(s[i:], ellipsis)
		if i < len(s) && wordByte(s[i]) && !mark {
			if word < 0 {
				word = i
			}
			continue
		}
		if word >= 0 && i-word > MaxName {
			b.WriteString(s[start:word])
			b.WriteString(Clip(s[word:i], MaxName))
			start = i
		}
		word = -1
		if mark {
			i += len(ellipsis) - 1
		}
	}
	if start == 0 {
		return s
	}
	b.WriteString(s[start:])
	return b.String()
}

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
