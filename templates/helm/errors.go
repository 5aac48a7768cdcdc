package helm

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/big"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/message"
	"gopkg.in/yaml.v3"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/redact"
	"github.com/kiln-gitops/kiln/internal/words"
)

// Helm v3's engine (pkg/engine/engine.go, cleanupParseError and
// cleanupExecError) flattens Go template errors into text such as
//
//	parse error at (app/templates/x.yaml:7): unexpected "}" in operand
//	execution error at (app/templates/x.yaml:3:4): replicas must be set
//
// and text/template's own ExecError keeps its location only in its text
// ("template: app/templates/x.yaml:3:4: executing ..."). There is no typed
// location to reach with errors.As, so these patterns read it; the original
// error stays reachable through diag.Error.Err. A template's name may hold
// spaces ("templates/my secret.yaml"), never a colon or a line break: a
// name not read fell through to the message as helm gave it, operands
// unmasked.
var (
	helmTplErrRe = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?s)^(parse|execution) error at \(([^()\n]+?):(\d+)(?::\d+)?\): (.*)$`)
	})
	goTplLocRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`template: ([^:\n]+):(\d+)(?::\d+)?: `) })
	// noTemplateRe matches text/template's error for {{ template "x" }}
	// of a name no template defines.
	noTemplateRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`template "[^"]*" not defined$`) })
	// notObjectRe is what helm's SortManifests says of a document that
	// parses but is no mapping: a template of plain text ("Hello world",
	// helm's own frobnitz chart's templates/template.tpl), or a list.
	notObjectRe = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`cannot unmarshal (\w+) into Go value of type releaseutil\.SimpleHead`)
	})
	// headFieldRe is what SortManifests says of a document whose
	// apiVersion, kind or metadata (its name, its annotations) has the
	// wrong shape: "metadata: x", annotations written as a list.
	headFieldRe = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`cannot unmarshal (\w+) into Go struct field (?:SimpleHead)?\.([\w.]+) of type (string|map\[string\]string|struct)`)
	})
	yamlErrRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?s)^YAML parse error on ([^:\n]+): (.*)$`) })
	// tplErrRe reads what Helm's tpl says of the string it was given
	// (pkg/engine/engine.go, tplFun): the whole string, %q-quoted, then
	// text/template's error about it.
	tplErrRe = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?s)^(cannot parse template|error during tpl function execution for) "(?:[^"\\]|\\.)*"(?:: template: [^:\n]+:(\d+))?`)
	})
)

// jsonKinds names the JSON types encoding/json's UnmarshalTypeError
// gives, as notObjectRe reads them.
var jsonKinds = map[string]string{"string": "a string", "number": "a number", "bool": "true or false", "array": "a list", "object": "a mapping"}

// A chart's templates are source the user can read, but what a template
// function was given is data: `tpl .Values.password .` hands Helm a
// value, and Helm quotes that value whole when it does not parse or
// execute, and text/template quotes its tokens; a function refusing its
// argument (mustToDate, mustRegexMatch) quotes the argument; the YAML
// decoder quotes a key it cannot convert. So the operands of these
// messages are masked (redact.Operands), and tpl's own message is
// replaced by where tpl was called; the chart's own words (fail,
// required) and the template source around them stay.
const (
	hintTpl = "tpl renders a string from the values as a template; kiln does not show that string, which may be a secret: " +
		"check the {{ }} in the value the template passes to tpl (helm template --debug shows the error in full)"
	callingTpl = "error calling tpl: "
	calling    = "error calling "
)

// rootTemplate is the name Helm's engine gives the template set it
// parses a chart into (pkg/engine/engine.go, template.New("gotpl")); include
// names it in "no template "x" associated with template "gotpl"".
const rootTemplate = "gotpl"

// callOperands masks the operands of call, text/template's "error calling
// FN: …", that may be data, and keeps those that are code: a string
// literal of the action before it ("at <include "c.labels" .>", already
// shown whole), and the name of Helm's root template in include's
// message. So `include "c.labels"` of a template the chart lacks names
// "c.labels", while `include .Values.name` or `mustToDate "2006-01-02"
// .Values.pw` masks what came from the values.
func callOperands(before, call string) string {
	lits := map[string]bool{}
	if j := strings.Index(before, " at <"); j >= 0 && strings.HasSuffix(before, ">: ") {
		lits = redact.Literals(before[j+len(" at <") : len(before)-len(">: ")])
	}
	root := strings.HasPrefix(call, "error calling include: ")
	// mustFromJson and its kin pass on encoding/json's syntax error, which
	// quotes one character of the value in single quotes.
	return redact.JSONChar(redact.OperandsExcept(call, func(op string) bool {
		return lits[op] || (root && op == rootTemplate)
	}))
}

// renderError turns an error of clientOnlyInstall (helm's, word for word) into a *diag.Error
// that names the template file (repository-relative) and line.
func renderError(err error, src *chartSource, chartName string) error {
	e := renderDiag(err, src, chartName)
	var de *diag.Error
	if errors.As(e, &de) {
		// Read in paths without ": " (chartSource.path), shown with the
		// archives that hold them.
		de.File, de.Msg = src.show(de.File), src.show(de.Msg)
		// `fail` and `required` print the chart's text whole, which may
		// be any value (toYaml of the values): at most diag.MaxMessage.
		de.Msg = diag.Cut(de.Msg, diag.MaxMessage)
	}
	return e
}

// valuesAtFault adds to de, the error of a values schema mismatch (err),
// where the user's values set each value at fault: helm's text names
// only its path in the merged values, which any values file or the env's
// values may have set. Places only, never a value.
func valuesAtFault(de error, err error, vals *values, env map[string]any) error {
	ve, d := (*valuesError)(nil), (*diag.Error)(nil)
	if !errors.As(err, &ve) || !errors.As(de, &d) {
		return de
	}
	var at []string
	for _, p := range ve.paths {
		where := vals.setAt(p, env)
		if i := slices.Index(p, "global"); where == "" && i > 0 {
			// Helm copies the top chart's global values into each
			// subchart's: a subchart's schema refuses them there.
			p = p[i:]
			where = vals.setAt(p, env)
		}
		if where != "" {
			at = append(at, where+" /"+strings.Join(p, "/"))
		}
	}
	if len(at) > 0 {
		d.Hint += ": " + words.First(slices.Compact(at), 3)
	}
	return de
}

// renderDiag is renderError before its message is bounded.
func renderDiag(err error, src *chartSource, chartName string) error {
	if re := (*schemaRefError)(nil); errors.As(err, &re) {
		return &diag.Error{File: src.schemaFile(re.chart), Msg: fmt.Sprintf("values.schema.json refers to %q, outside the schema document; kiln does not load it", re.ref),
			Hint: "kiln reads nothing outside the repository and fetches nothing while it renders: copy the schema it refers to into values.schema.json under \"$defs\" and refer to it as \"#/$defs/NAME\"", Err: err}
	}
	if ie := (*schemaInvalidError)(nil); errors.As(err, &ie) {
		// The schema is the chart's code, not values: its words are shown.
		return &diag.Error{File: src.schemaFile(ie.chart), Line: ie.line, Msg: "values.schema.json is no valid JSON Schema: " + strings.ReplaceAll(ie.err.Error(), `"file:///values.schema.json#" is not valid`, "it is not valid"),
			Hint: "fix the chart's values.schema.json (helm template fails on it too, calling it values that do not meet the schema): it must be JSON, and a schema its draft's metaschema takes", Err: err}
	}
	msg := src.rewriteSources(err.Error(), chartName)
	if de := tplError(msg, err); de != nil {
		return de
	}
	if m := helmTplErrRe().FindStringSubmatch(msg); m != nil {
		file, line, text := m[2], atoi(m[3]), m[4]
		if m[1] == "parse" {
			return &diag.Error{File: file, Line: line, Msg: "template syntax error: " + text, Hint: "fix the template; it is Go template syntax (text/template) with Helm's functions", Err: err}
		}
		// The wrapped text of `fail` or `required`: the chart's own message.
		return &diag.Error{File: file, Line: line, Msg: "chart refused to render: " + text, Hint: "set the values the chart asks for in the app's values files or the environment's values", Err: err}
	}
	if locs := goTplLocRe().FindAllStringSubmatchIndex(msg, -1); len(locs) > 0 {
		// Errors from included templates nest; the innermost location is
		// the one that went wrong.
		l := locs[len(locs)-1]
		file, line, text := msg[l[2]:l[3]], atoi(msg[l[4]:l[5]]), msg[l[1]:]
		if i := strings.Index(text, calling); i >= 0 {
			// "executing NAME at <ACTION>: error calling FN: what FN said
			// of its arguments".
			text = text[:i] + callOperands(text[:i], text[i:])
		}
		hint := "fix the template, or the values it reads"
		if strings.Contains(text, "error calling include: template: no template ") || noTemplateRe().MatchString(text) {
			hint = "no template of the chart (or of its subcharts) defines that name: fix the name, or define it with {{ define \"NAME\" }} … {{ end }}, usually in templates/_helpers.tpl"
		}
		return &diag.Error{File: file, Line: line, Msg: "template error: " + text, Hint: hint, Err: err}
	}
	if m := yamlErrRe().FindStringSubmatch(msg); m != nil {
		if n := headFieldRe().FindStringSubmatch(m[2]); n != nil {
			want := "a mapping"
			if n[3] == "string" {
				want = "a string"
			}
			return &diag.Error{File: m[1], Msg: fmt.Sprintf("template rendered an object whose %s is %s, where Kubernetes wants %s (helm: %s)", n[2], jsonKinds[n[1]], want, n[0]),
				Hint: fmt.Sprintf("make the template write %s as %s", n[2], want), Err: err}
		}
		if n := notObjectRe().FindStringSubmatch(m[2]); n != nil {
			return &diag.Error{File: m[1], Msg: fmt.Sprintf("template rendered a document that is %s, not a Kubernetes object (helm: %s)", jsonKinds[n[1]], n[0]),
				Hint: "helm reads every file of templates/ as Kubernetes objects, but NOTES.txt and those whose name starts with _: " +
					"a file that holds only defines belongs in one named so (templates/_helpers.tpl); else make the template print mappings with apiVersion and kind", Err: err}
		}
		return &diag.Error{File: m[1], Msg: "template rendered invalid YAML: " + redact.Operands(redact.YAML(m[2])), Hint: "fix the template's output (the line is a line of the rendered text; helm template --debug shows it)", Err: err}
	}
	if _, rest, ok := strings.Cut(msg, "type mismatch on "); ok {
		// chartutil's text ends with the value given (%t of it), which
		// may be anything the values hold.
		name, _, _ := strings.Cut(rest, ": ")
		return &diag.Error{File: src.errFile(), Msg: fmt.Sprintf("values: %s holds the values of subchart %s, and is not a mapping (helm: type mismatch on %s)", name, name, name),
			Hint: fmt.Sprintf("give %s's values as a mapping under %s:, or null for its defaults", name, name), Err: err}
	}
	if ve := (*valuesError)(nil); errors.As(err, &ve) {
		file := src.errFile()
		if len(ve.charts) > 0 {
			file = src.schemaFile(ve.charts[0])
		}
		return &diag.Error{File: file, Msg: src.rewriteSources(ve.shown, chartName), Hint: "fix the values so that they match the chart's values.schema.json", Err: err}
	}
	switch {
	case strings.HasPrefix(msg, "chart requires kubeVersion"):
		return &diag.Error{File: src.chartYAML(), Line: chartKeyLine(src.data(src.chartYAML()), "kubeVersion"), Msg: msg, Hint: "set kubeVersion in kiln.yaml to a version the chart supports", Err: err}
	}
	return &diag.Error{File: src.errFile(), Msg: "rendering chart " + src.input + ": " + msg, Err: err}
}

// tplError reads an error of Helm's tpl function in msg: it names the
// template and line that called tpl (the innermost location before tpl's
// message) and the line of the string at fault, never the string. nil
// when tpl did not fail.
func tplError(msg string, err error) *diag.Error {
	i := strings.Index(msg, callingTpl)
	if i < 0 {
		return nil
	}
	m := tplErrRe().FindStringSubmatch(msg[i+len(callingTpl):])
	if m == nil {
		return nil
	}
	de := &diag.Error{Hint: hintTpl, Err: err}
	if locs := goTplLocRe().FindAllStringSubmatchIndex(msg[:i], -1); len(locs) > 0 {
		l := locs[len(locs)-1]
		de.File, de.Line = msg[l[2]:l[3]], atoi(msg[l[4]:l[5]])
	}
	what := "does not parse as a template"
	if m[1] != "cannot parse template" {
		what = "failed as a template"
	}
	de.Msg = "tpl: the string it was given " + what
	if m[2] != "" {
		de.Msg += " (line " + m[2] + " of that string)"
	}
	return de
}

// A values file's value is often what a template puts into a Secret, and
// of the mismatches santhosh-tekuri/jsonschema tells, some quote the
// value: "- at '/password': 'hunter2' does not match pattern '^[a-z]+$'",
// "- at '/pin': maximum: got 9.87654321×10⁰⁸, want 3"; a format error's
// own cause (a mail or URL parser's) may quote it too, and so may a
// content decoder's. withoutValues tells those with the schema's operand
// only: the path and the schema say what to fix. The kinds are listed by
// what they quote, not by what they leave out: a kind this list does not
// know (a newer library's) is told by its keyword alone, so that a new
// way of quoting the value cannot show one.
func withoutValues(e *jsonschema.ValidationError) {
	e.ErrorKind = datalessKind(e.ErrorKind)
	for _, c := range e.Causes {
		withoutValues(c)
	}
}

func datalessKind(k jsonschema.ErrorKind) jsonschema.ErrorKind {
	told := func(msg string) jsonschema.ErrorKind { return &dataless{keyword: k.KeywordPath(), msg: msg} }
	switch k := k.(type) {
	// Of the schema's words, or of the value's type, length, count,
	// keys or positions: no value.
	case *kind.Schema, *kind.Group, *kind.Not, *kind.AllOf, *kind.AnyOf, *kind.OneOf, *kind.FalseSchema,
		*kind.RefCycle, *kind.Reference, *kind.Type, *kind.InvalidJsonValue, *kind.Enum, *kind.Const,
		*kind.MinProperties, *kind.MaxProperties, *kind.MinItems, *kind.MaxItems, *kind.AdditionalItems,
		*kind.Required, *kind.Dependency, *kind.DependentRequired, *kind.AdditionalProperties,
		*kind.PropertyNames, *kind.UniqueItems, *kind.Contains, *kind.MinContains, *kind.MaxContains,
		*kind.MinLength, *kind.MaxLength, *kind.ContentSchema:
		return k
	case *kind.Pattern:
		return told("the value does not match pattern " + schemaQuote(k.Want))
	case *kind.Format:
		return told("the value is not valid " + k.Want)
	case *kind.ContentEncoding:
		return told("the value is not " + schemaQuote(k.Want) + " encoded")
	case *kind.ContentMediaType:
		return told("the value is not of mediatype " + schemaQuote(k.Want))
	case *kind.Minimum:
		return told("minimum: the value is below " + schemaNumber(k.Want))
	case *kind.Maximum:
		return told("maximum: the value is above " + schemaNumber(k.Want))
	case *kind.ExclusiveMinimum:
		return told("exclusiveMinimum: the value is not above " + schemaNumber(k.Want))
	case *kind.ExclusiveMaximum:
		return told("exclusiveMaximum: the value is not below " + schemaNumber(k.Want))
	case *kind.MultipleOf:
		return told("multipleOf: the value is not a multiple of " + schemaNumber(k.Want))
	case *dataless:
		return k
	}
	return told("the value does not match the schema's " + strings.Join(k.KeywordPath(), "/"))
}

// dataless is a mismatch told without the value.
type dataless struct {
	keyword []string
	msg     string
}

func (d *dataless) KeywordPath() []string                   { return d.keyword }
func (d *dataless) LocalizedString(*message.Printer) string { return d.msg }

// schemaQuote quotes a string of the schema as the library does
// ('^[a-z]+$').
func schemaQuote(s string) string {
	s = strconv.Quote(s)
	s = strings.ReplaceAll(s[1:len(s)-1], `\"`, `"`)
	return "'" + strings.ReplaceAll(s, "'", `\'`) + "'"
}

// schemaNumber writes a number of the schema plainly (3, 0.5, 1e+21),
// where the library's printer writes 9.87654321×10⁰⁸.
func schemaNumber(r *big.Rat) string {
	if r == nil {
		return "the schema's bound"
	}
	if r.IsInt() {
		return r.RatString()
	}
	f, _ := r.Float64()
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// rewriteSources replaces helm's template names in msg ("app/templates/x.yaml")
// with repository-relative paths, so that every path in a message is one the
// user can open.
func (s *chartSource) rewriteSources(msg, chartName string) string {
	if s.dir == "" || chartName == "" {
		return msg
	}
	re := regexp.MustCompile(`(^|[\s("])` + regexp.QuoteMeta(chartName) + `/((?:templates|charts|crds)/[^\s:()"]*)`)
	return re.ReplaceAllStringFunc(msg, func(m string) string {
		sub := re.FindStringSubmatch(m)
		return sub[1] + s.path(chartName+"/"+sub[2])
	})
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// helm's loader (pkg/chart/loader/load.go) names a subchart it fails on
// only in text, one "error unpacking subchart N in C: " per level, then the
// file it could not read: "cannot load values.yaml: …".
var (
	subchartRe = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^error unpacking subchart (\S+) in \S+: `)
	})
	cannotLoadRe = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^cannot load (Chart\.yaml|Chart\.lock|values\.yaml|requirements\.yaml|requirements\.lock): `)
	})
)

// loadError turns an error of helm's chart loader into a *diag.Error
// naming the file it could not read (charts/s/values.yaml of a subchart s)
// and the line the YAML decoder gives; inside an archive, the archive and
// its entry (chartSource.show), or the archive when kiln cannot read it
// either.
func loadError(err error, src *chartSource) error {
	msg := redact.YAML(err.Error())
	de := &diag.Error{File: src.errFile(), Hint: "check that it is a valid Helm chart (helm lint)", Err: err}
	rest, dir := msg, src.dir
	// archive is the outermost archive dir is in, "" while it is in none.
	archive := ""
	if strings.HasSuffix(src.dir, ".tgz") || strings.HasSuffix(src.dir, ".tar.gz") {
		archive = src.dir
	}
	var subs []string
	for {
		m := subchartRe().FindStringSubmatch(rest)
		if m == nil {
			break
		}
		subs = append(subs, m[1])
		rest = rest[len(m[0]):]
		// Inside an archive too: helm names a subchart by its folder's
		// or its archive's name under charts/, which chartSource.path
		// names the archive's entries by.
		dir = path.Join(dir, "charts", m[1])
		if archive == "" && strings.HasSuffix(m[1], ".tgz") {
			archive = dir
		}
	}
	// at shows a path of dir, or the archive when kiln cannot tell the
	// entry.
	at := func(p string) string {
		if archive == "" || p == archive {
			return p
		}
		if shown := src.show(p); shown != p {
			return shown
		}
		return archive
	}
	if src.dir != "" {
		de.File = at(dir)
		if m := cannotLoadRe().FindStringSubmatch(rest); m != nil {
			de.File = at(path.Join(dir, m[1]))
			if l := yamlLineRe().FindStringSubmatch(rest); l != nil {
				de.Line = atoi(l[1])
			} else if archive == "" {
				de.Line = jsonLine(src.data(path.Join(dir, m[1])))
			}
			if de.File == archive {
				de.Line = 0
			}
			de.Hint = "fix the YAML of " + m[1] + " (helm lint shows the same error)"
		} else if key, hint, ok := metadataProblem(rest); ok {
			chartYAML := path.Join(dir, "Chart.yaml")
			de.File, de.Hint = at(chartYAML), hint
			if archive == "" {
				de.Line = chartKeyLine(src.data(chartYAML), key)
			}
		}
	}
	if archive == dir && dir != src.dir {
		// A subchart archive of the chart's folder that helm could not
		// unpack: say why when its bytes tell.
		if what, hint := notAnArchive(src.data(dir)); what != "" {
			de.Hint = hint
			rest = what + " (" + rest + ")"
		}
	}
	where := ""
	for i, s := range subs {
		if i == 0 {
			where += "subchart " + s
		} else {
			where += ", its subchart " + s
		}
	}
	if where != "" {
		rest = where + ": " + rest
	}
	de.Msg = "loading chart " + src.input + ": " + rest
	return de
}

// chartValidationRe reads the field in what helm's chart.Metadata.Validate
// and Dependency.Validate say of a Chart.yaml that parses: the loader
// gives them no file, and loadError named only the chart's folder.
var chartValidationRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^validation: (?:chart\.metadata\.(\w+)|(more than one dependency|dependency |dependencies )|(maintainers ))`)
})

// metadataProblem tells, for a loader error's text after its subchart
// prefixes, the Chart.yaml key at fault and what to write there; ok is
// false when the error is not one of Chart.yaml's fields.
func metadataProblem(rest string) (key, hint string, ok bool) {
	m := chartValidationRe().FindStringSubmatch(rest)
	switch {
	case m == nil:
		return "", "", false
	case m[2] != "":
		return "dependencies", "give each entry of dependencies its own name or alias (letters, digits, - and _), as helm lint asks", true
	case m[3] != "":
		return "maintainers", "remove the empty entry of maintainers, or give it a name", true
	}
	switch m[1] {
	case "apiVersion":
		return "apiVersion", "set apiVersion: v2 in Chart.yaml (v1 for a chart written for Helm 2)", true
	case "name":
		return "name", "set name in Chart.yaml to the chart's name, usually its folder's: no path (/, \\, . or ..)", true
	case "version":
		return "version", `set version in Chart.yaml to a SemVer 2 version, quoted (version: "1.2.3"): unquoted, YAML may read it as a number`, true
	case "type":
		return "type", "set type in Chart.yaml to application or library, in lower case, or leave it out (application)", true
	}
	return "", "", false
}

// chartKeyLine is the line of key in the top-level mapping of a Chart.yaml,
// 0 when it is not there (a key helm requires and the file lacks) or the
// file does not parse.
func chartKeyLine(data []byte, key string) int {
	var doc yaml.Node
	if data == nil || yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return 0
	}
	top := doc.Content[0].Content
	for i := 0; i+1 < len(top); i += 2 {
		if top[i].Value == key {
			return top[i].Line
		}
	}
	return 0
}

// lfsPointer starts a Git LFS pointer file (git-lfs's spec, v1), which a
// checkout without LFS leaves where the file belongs.
const lfsPointer = "version https://git-lfs.github.com/spec/"

// notAnArchive says what a chart archive that does not unpack holds
// instead, when its bytes tell: a Git LFS pointer (a repository keeping
// its vendored charts in LFS, checked out without it, as actions/checkout
// does by default), or nothing. "" when they do not.
func notAnArchive(data []byte) (what, hint string) {
	switch {
	case data == nil:
		return "", ""
	case bytes.HasPrefix(data, []byte(lfsPointer)):
		return "a Git LFS pointer, not the archive", "fetch the repository's LFS files before kiln runs: git lfs pull (actions/checkout: lfs: true)"
	case len(data) == 0:
		return "an empty file", "vendor the chart again: helm dependency build in the chart's folder (helm package for a chart of its own)"
	}
	return "", ""
}

// jsonLine is the line of the first node of a YAML file that helm's
// conversion to JSON refuses though the YAML parses (a NaN or an infinity,
// a list or map as a key, a tag the value does not fit): helm's error then
// has no line. 0 when there is none or the file does not parse.
func jsonLine(data []byte) int {
	var doc yaml.Node
	if data == nil || yaml.Unmarshal(data, &doc) != nil {
		return 0
	}
	// key says n is a mapping's key: helm turns a NaN or infinite key
	// into a string, so only a value's counts.
	var walk func(n *yaml.Node, key bool) int
	walk = func(n *yaml.Node, key bool) int {
		switch n.Kind {
		case yaml.ScalarNode:
			var v any
			if n.Decode(&v) != nil {
				return n.Line
			}
			if f, ok := v.(float64); ok && !key && (math.IsNaN(f) || math.IsInf(f, 0)) {
				return n.Line
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if k := n.Content[i]; k.Kind != yaml.ScalarNode && k.Kind != yaml.AliasNode {
					return k.Line
				}
			}
		}
		// Aliases are not followed: what they name is walked where it
		// stands, and following them could multiply the walk.
		for i, c := range n.Content {
			if c.Kind != yaml.AliasNode {
				if l := walk(c, n.Kind == yaml.MappingNode && i%2 == 0); l > 0 {
					return l
				}
			}
		}
		return 0
	}
	return walk(&doc, false)
}
