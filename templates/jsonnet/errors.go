package jsonnet

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	gojsonnet "github.com/google/go-jsonnet"
	"github.com/google/go-jsonnet/ast"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/redact"
	"github.com/kiln-gitops/kiln/internal/rootfs"
	"github.com/kiln-gitops/kiln/templates"
	"github.com/kiln-gitops/kiln/templates/internal/envsubst"
)

// staticError matches go-jsonnet's parse and static-analysis errors. Their
// type lives in an internal package; this is the part of it that is
// exported through methods.
type staticError interface {
	error
	Loc() ast.LocationRange
}

// topLevelHint is the hint of an error in the call of the main file's
// function.
const topLevelHint = "kiln passes the top-level arguments env, vars and images that the file's function declares; give every other parameter a default or a value in jsonnet.tlas (in kiln.yaml, or in the env file that sets it)"

// maxCallers is how many calling frames a runtime error's hint lists.
const maxCallers = 5

// convertError turns an error from go-jsonnet into a *diag.Error located
// in the jsonnet file that caused it. Messages pass through
// envsubst.Redact: a Jsonnet error message may quote any value, secret
// vars too.
//
// main is the main file's syntax tree, nil when it did not parse: an
// error of the output's manifestation is placed in it.
func convertError(req *templates.Request, im *importer, main ast.Node, err error) error {
	var de *diag.Error
	var rt gojsonnet.RuntimeError
	var se staticError
	switch {
	case errors.As(err, &rt):
		de = runtimeError(req, im, main, rt)
	case errors.As(err, &se):
		de = staticDiag(req, se)
	default:
		// go-jsonnet recovers its own panics into "(CRASH) …" errors.
		de = &diag.Error{File: req.Path, Msg: "the jsonnet engine failed: " + err.Error(), Err: err,
			Hint: "this is a bug in kiln or go-jsonnet; please report it with the app's jsonnet files"}
	}
	m := newMasker(req)
	de.Msg, de.Hint = m.cut(de.Msg), m.mask(de.Hint)
	return de
}

// masker masks a request's secret var values in the messages of the
// engine's errors.
type masker struct {
	secrets map[string]string
	rd      *redact.Redactor
}

func newMasker(req *templates.Request) masker {
	secrets := req.SecretVarValues()
	return masker{secrets: secrets, rd: redact.New(secrets)}
}

// mask masks every form of the secret values; envsubst.Redact first, for
// the name in its marker.
func (m masker) mask(s string) string { return m.rd.String(envsubst.Redact(s, m.secrets)) }

// cut is mask, then diag.Cut to diag.MaxMessage. Every form before the
// cut: it keeps encodings whole, but splits an escaped spelling at a
// quote or a blank (std.manifestJson of a passphrase), and no redactor
// after it finds the piece left.
func (m masker) cut(s string) string { return diag.Cut(m.mask(s), diag.MaxMessage) }

// outputErrors masks and cuts the messages of the errors flatten found in
// the output, as convertError does for an evaluation's: they name where
// in the output (a path of its keys, which the template computes, of any
// length and from any var) and quote an apiVersion; a key of 100,000
// characters made an error line of 100 KB.
func outputErrors(req *templates.Request, err error) error {
	m := newMasker(req)
	var out []error
	for _, e := range diag.Flatten(err) {
		if de, ok := e.(*diag.Error); ok {
			c := *de
			c.Msg = m.cut(c.Msg)
			e = &c
		}
		out = append(out, e)
	}
	return diag.Join(out...)
}

// staticDiag locates a parse or static-analysis error.
func staticDiag(req *templates.Request, se staticError) *diag.Error {
	loc := se.Loc()
	msg := se.Error()
	file := req.Path
	if loc.IsSet() {
		// Error() is "<location> <message>"; the location is in the fields.
		// A bad escape in a string literal has it twice: go-jsonnet's
		// parser wraps the error of its unescaping, location and all.
		for strings.HasPrefix(msg, loc.String()+" ") {
			msg = strings.TrimPrefix(msg, loc.String()+" ")
		}
		file = loc.FileName
	}
	return &diag.Error{File: file, Line: loc.Begin.Line, Msg: "invalid jsonnet: " + msg, Err: se,
		Hint: "fix the jsonnet at this line"}
}

// runtimeError locates an evaluation error at its innermost frame with
// code, or, for one of the output's manifestation that has none (a
// function left in the output), at the JSON path of the value.
func runtimeError(req *templates.Request, im *importer, main ast.Node, rt gojsonnet.RuntimeError) *diag.Error {
	// The trace runs from the outermost frame to the innermost; code
	// lists the frames with a location in the source, innermost first.
	var code []ast.LocationRange
	topLevelCall := false
	for i := len(rt.StackTrace) - 1; i >= 0; i-- {
		f := rt.StackTrace[i]
		switch {
		case f.Loc.IsSet() && !inStdlib(f.Loc):
			code = append(code, f.Loc)
		case f.Loc.FileName == "Top-level function call":
			topLevelCall = true
		}
	}
	msg := rt.Msg
	if strings.HasPrefix(msg, "failed to parse YAML: ") {
		// std.parseYaml's decoder quotes a scalar it cannot decode, and
		// the string parsed may be a secret var's YAML: a part of a value,
		// which the redactor of whole values does not recognise.
		msg = redact.YAML(msg)
	} else {
		// The same for std.parseJson, std.parseInt and their kin.
		msg = redact.JsonnetParse(msg)
	}
	msg, name := withoutOperands(msg, rt, code, im)
	de := &diag.Error{File: req.Path, Msg: "jsonnet error: " + msg, Err: rt}
	if len(code) > 0 {
		de.File, de.Line = code[0].FileName, code[0].Begin.Line
	} else if steps := manifested(rt); len(steps) > 0 {
		// No code to point at: go-jsonnet fails while it writes the
		// output, its trace naming only the fields and elements it was
		// in, and a bare "couldn't manifest function as JSON" leaves the
		// whole output of kube-prometheus to search.
		o := origin{}
		if main != nil {
			o = rootOrigin(main)
		}
		deeper := ""
		if len(steps) > maxPathSteps {
			// A value that holds itself ({spec: self}) fails 500 levels
			// down: its path, .loop 500 times, said nothing more than
			// its first steps.
			deeper = fmt.Sprintf(" (and %d levels deeper)", len(steps)-maxPathSteps)
			steps = steps[:maxPathSteps]
		}
		at, o := follow(slices.All(steps), o)
		de.Line, de.Field = o.line, outField(at)
		de.Msg = fmt.Sprintf("jsonnet output at %s%s: %s", where(at), deeper, msg)
		switch rt.Msg {
		case "couldn't manifest function as JSON":
			de.Hint = "a function reached the output: call it, or hide the field that holds it with ::"
			return de
		case maxStackMsg:
			de.Hint = "the output nests deeper than jsonnet's stack of 500 (the jsonnet program's default --max-stack, which kiln does not raise): " +
				"a value that holds itself, a field set to self, $ or the local it is in, nests without end"
			return de
		}
	}

	// The VM keeps only the message of an importer's error, and parses
	// imported files itself; find the cause among what this render saw.
	if ie := im.failure(rt.Msg); ie != nil {
		var bound *diag.Error
		if errors.As(ie.Err, &bound) {
			// A bound checkSource refused, at its own file and line: that
			// is where to fix it, not the import.
			c := *bound
			if c.Err == nil {
				c.Err = ie
			}
			if len(code) > 0 {
				c.Hint += fmt.Sprintf(" (imported from %s:%d)", code[0].FileName, code[0].Begin.Line)
			}
			return &c
		}
		de.Msg, de.Err = ie.Error(), ie
		if ie.missingInside() {
			de.Hint = "add the file the import names to the repository, or fix the import's path"
		} else if errors.Is(ie.Err, rootfs.ErrOutside) {
			de.Hint = "imports must stay inside the repository; copy the library into it and add its folder to the app's jsonnet jpath"
		} else {
			de.Hint = "relative imports are looked up next to the importing file, then in the app's jsonnet jpath folders in order"
		}
		return de
	}
	if se := im.parseError(rt.Msg); se != nil {
		sd := staticDiag(req, se)
		if len(code) > 0 {
			sd.Hint += fmt.Sprintf(" (imported from %s:%d)", code[0].FileName, code[0].Begin.Line)
		}
		return sd
	}

	if strings.HasPrefix(rt.Msg, "Undefined external variable: ") {
		if name == hiddenName {
			name = "it"
		}
		de.Hint = "kiln sets the ext vars env, vars and images, and those in the app's jsonnet.extVars: add " + name + " there (in kiln.yaml, or in an env file's apps.<app>.jsonnet), or read an env file's var from std.extVar('vars')"
		return de
	}
	if rt.Msg == "Unexpected type null, expected function" {
		// std.native gives null for a name the VM does not know. Tanka
		// registers helmTemplate, parseYaml, sha256 and more; kiln, as
		// the jsonnet program, registers none, and the VM's message does
		// not say so.
		if calls := im.nativeCalls(); len(calls) > 0 {
			de.Hint = "kiln registers no native functions (nor does the jsonnet program), so " + strings.Join(calls, ", ") +
				" is null: native functions are Tanka's; use the standard library instead (std.parseYaml, std.parseJson, std.sha256, std.manifestYamlDoc), or render a Helm chart or a kustomization as an app of its own (helm:, kustomize:)"
			return de
		}
	}

	callers := callerLines(code)
	switch {
	case len(code) == 0 && topLevelCall:
		de.Hint = topLevelHint
	case rt.Msg == maxStackMsg:
		de.Hint = "the calls nest deeper than jsonnet's stack of 500 (the jsonnet program's default --max-stack, which kiln does not raise): " +
			"a recursion without end, or one as deep as its input, which std.foldl, std.map or std.makeArray do without nesting"
		if len(callers) > 0 {
			de.Hint += " (called from " + strings.Join(callers, ", ") + ")"
		}
	case len(callers) > 0:
		de.Hint = "fix the jsonnet here (called from " + strings.Join(callers, ", ") + "); kiln sets the ext vars env, vars and images"
	default:
		de.Hint = "fix the jsonnet here; kiln sets the ext vars env, vars and images"
	}
	return de
}

// maxPathSteps is how many steps of the JSON path of an output value an
// error names.
const maxPathSteps = 20

// maxStackMsg is go-jsonnet's error for calls nested deeper than
// VM.MaxStack.
const maxStackMsg = "max stack frames exceeded."

// callerLines lists the calling frames of code (innermost first, code[0]
// being where the error is) as file:line, a run of frames at one line
// once, with its count when it is a recursion's: a recursion that overran
// the stack is 500 frames of one or two lines, which listed one by one
// filled the list with the same line and cut off the call that started
// it.
func callerLines(code []ast.LocationRange) []string {
	type run struct {
		at string
		n  int
	}
	var runs []run
	for _, l := range code[min(1, len(code)):] {
		at := fmt.Sprintf("%s:%d", l.FileName, l.Begin.Line)
		if len(runs) > 0 && runs[len(runs)-1].at == at {
			runs[len(runs)-1].n++
			continue
		}
		runs = append(runs, run{at: at, n: 1})
	}
	var out []string
	for i, r := range runs {
		if i == maxCallers && len(runs) > maxCallers+1 {
			// The outermost caller is where the chain was entered: keep it.
			out = append(out, "…")
			r = runs[len(runs)-1]
		}
		s := r.at
		if r.n > 2 { // two calls on one line, f(g(x)), are no recursion
			s += fmt.Sprintf(" (%d times)", r.n)
		}
		out = append(out, s)
		if i == maxCallers {
			break
		}
	}
	return out
}

// manifested is the JSON path, outermost first, of the output value whose
// manifestation rt is an error of: the trace's frames "Field \"name\""
// and "Array element N", which go-jsonnet writes as it manifests each
// field and element, located nowhere.
func manifested(rt gojsonnet.RuntimeError) []pathStep {
	var steps []pathStep
	for _, f := range rt.StackTrace {
		if f.Loc.IsSet() {
			continue
		}
		if q, ok := strings.CutPrefix(f.Loc.FileName, "Field "); ok {
			if key, err := strconv.Unquote(q); err == nil {
				steps = append(steps, pathStep{key: key})
			}
		} else if n, ok := strings.CutPrefix(f.Loc.FileName, "Array element "); ok {
			if i, err := strconv.Atoi(n); err == nil {
				steps = append(steps, pathStep{index: i, isIndex: true})
			}
		}
	}
	return steps
}

// namedOperands are go-jsonnet's runtime errors that end with a name the
// program may have computed from its data: an object indexed with a value
// (o[cfg.password]), a computed field name given twice, std.extVar of a
// value. A Secret's password written in a jsonnet object or a library's
// configuration is no secret var, which the masker would know.
var namedOperands = []string{"Field does not exist: ", "Duplicate field name: ", "Undefined external variable: "}

// hiddenName stands for a name withoutOperands does not show.
const hiddenName = "(a name the program computed; kiln does not show it: it may hold a secret)"

// withoutOperands returns msg without the values go-jsonnet quotes from
// the program's data, and the name it quotes, or hiddenName. A name the
// code at the error writes itself ({a: 1}.b, std.extVar('x')) is chart
// code, as in Helm's include, and stays: it says what to fix.
// std.assertEqual's "Assertion failed. A != B" prints both values whole.
func withoutOperands(msg string, rt gojsonnet.RuntimeError, code []ast.LocationRange, im *importer) (string, string) {
	if n := len(rt.StackTrace); strings.HasPrefix(msg, "Assertion failed. ") && n > 0 && inStdlib(rt.StackTrace[n-1].Loc) {
		return "Assertion failed: the two values std.assertEqual was given differ (kiln does not show them: they may hold a secret)", ""
	}
	for _, prefix := range namedOperands {
		quoted, ok := strings.CutPrefix(msg, prefix)
		if !ok {
			continue
		}
		name := quoted
		if u, err := strconv.Unquote(quoted); err == nil && strings.HasPrefix(quoted, `"`) {
			name = u
		}
		if len(code) > 0 && im.writes(code[0], name) {
			return msg, name
		}
		return prefix + hiddenName, hiddenName
	}
	return msg, ""
}

// writes reports whether the source at loc writes name: inside the range,
// or, for super, whose range ends before the field, right after it.
func (im *importer) writes(loc ast.LocationRange, name string) bool {
	c, ok := im.contents[loc.FileName]
	if !ok || name == "" {
		return false
	}
	lines := strings.Split(c.String(), "\n")
	if loc.Begin.Line < 1 || loc.End.Line > len(lines) || loc.Begin.Line > loc.End.Line {
		return false
	}
	var text strings.Builder
	var tail string
	for l := loc.Begin.Line; l <= loc.End.Line; l++ {
		line := []rune(lines[l-1])
		from, to := 0, len(line)
		if l == loc.Begin.Line {
			from = min(max(loc.Begin.Column-1, 0), len(line))
		}
		if l == loc.End.Line {
			to = min(max(loc.End.Column-1, from), len(line))
			tail = string(line[to:])
		}
		text.WriteString(string(line[from:to]) + "\n")
	}
	t := strings.TrimSpace(text.String())
	if strings.Contains(t, name) {
		return true
	}
	return strings.HasSuffix(t, "super") && (strings.HasPrefix(tail, "."+name) || strings.HasPrefix(tail, "['"+name+"'") || strings.HasPrefix(tail, `["`+name+`"`))
}

// failure returns the failed import whose message msg is, if any.
func (im *importer) failure(msg string) *importError {
	for _, ie := range im.failures {
		if ie.Error() == msg {
			return ie
		}
	}
	return nil
}

// nativeCall is a call of std.native with a literal name, as libraries
// written for Tanka make it.
var nativeCall = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`std\.native\(\s*['"]([^'"]*)['"]\s*\)`) })

// maxNativeCalls is how many std.native calls a hint names.
const maxNativeCalls = 3

// nativeCalls lists the std.native calls in the files read, as
// `std.native("name") (file:line)`, in file order. Only called on the
// error path.
func (im *importer) nativeCalls() []string {
	names := make([]string, 0, len(im.contents))
	for n := range im.contents {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []string
	for _, n := range names {
		src := im.contents[n].String()
		for _, m := range nativeCall().FindAllStringSubmatchIndex(src, -1) {
			if len(out) == maxNativeCalls {
				return append(out, "…")
			}
			out = append(out, fmt.Sprintf("std.native(%q) (%s:%d)", src[m[2]:m[3]], n, 1+strings.Count(src[:m[0]], "\n")))
		}
	}
	return out
}

// parseError returns the static error of an imported file whose message
// msg is, if any. Only called on the error path: it parses every file read.
func (im *importer) parseError(msg string) staticError {
	names := make([]string, 0, len(im.contents))
	for n := range im.contents {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		_, err := gojsonnet.SnippetToAST(n, im.contents[n].String())
		var se staticError
		if errors.As(err, &se) && se.Error() == msg {
			return se
		}
	}
	return nil
}

// inStdlib reports whether loc is in the standard library's own jsonnet
// (std.parseOctal calling std.parseInt, say), which go-jsonnet names with
// no file: the user's code is the frame that called it, and a location
// ":95" says nothing.
func inStdlib(loc ast.LocationRange) bool {
	return loc.FileName == "" || loc.FileName == "<std>"
}
