package helm

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
)

// Helm checks values against each chart's values.schema.json with a
// loader that follows a "$ref" (or "$schema") to any file:// path of the
// machine and any http(s) URL. A chart is untrusted input: a pull request
// could make kiln read /etc/… or a CI runner's metadata endpoint, and
// helm's error for a file that is not JSON shows part of it. kiln's
// loader loads nothing: a reference that leaves the schema document is
// an error naming it. References inside the document ("#/$defs/x") and
// the JSON Schema drafts' own metaschemas, which the library embeds,
// work as in helm; so does helm's fallback for "urn:" references.

// schemaRefError is a values.schema.json reference kiln did not load.
type schemaRefError struct {
	// chart is the chart's path as helm prints template names
	// ("app" or "app/charts/sub").
	chart string
	// ref is the reference, without user, password or query.
	ref string
}

// refused reports whether err is a reference kiln did not load, or a
// schema that is no JSON Schema, which ends the validation instead of
// joining the charts' mismatch texts: helm's "values don't meet the
// specifications" would blame the values.
func refused(err error) bool {
	var re *schemaRefError
	var ie *schemaInvalidError
	return errors.As(err, &re) || errors.As(err, &ie)
}

// schemaInvalidError is a values.schema.json that does not parse as JSON,
// or that its draft's metaschema refuses (a number for a schema, a
// pattern Go cannot compile). helm reports it as values that do not meet
// the schema, and kiln hinted to fix the values.
type schemaInvalidError struct {
	// chart is the chart's path as helm prints template names.
	chart string
	// line is where the JSON stops parsing, 0 when it parses.
	line int
	err  error
}

func (e *schemaInvalidError) Error() string {
	return fmt.Sprintf("%s: values.schema.json is no valid JSON Schema: %v", e.chart, e.err)
}

func (e *schemaInvalidError) Unwrap() error { return e.err }

func (e *schemaRefError) Error() string {
	return fmt.Sprintf("%s: values.schema.json refers to %q, outside the schema", e.chart, e.ref)
}

// valuesError is helm's "values don't meet the specifications" error,
// word for word, and the charts (as helm prints template names) whose
// values.schema.json the values failed, in helm's order: the error names
// the first one's file, so that a subchart's schema is not blamed on the
// top chart's folder. shown is the same text without the values
// (withoutValues), the one kiln prints.
type valuesError struct {
	charts []string
	msg    string
	shown  string
	// paths are where in the values (the top chart's: a subchart's
	// under its name) each mismatch is, for naming the values file and
	// line that set it.
	paths [][]string
}

// mismatch is the text of the values' mismatches with one or more
// schemas: as the library wrote it (raw) and without the values (shown),
// and where in the values each is (paths).
type mismatch struct {
	raw, shown string
	paths      [][]string
}

func (m *mismatch) Error() string { return m.raw }

// shownText is what kiln prints of err, an error of validateValues.
func shownText(err error) string {
	if m := (*mismatch)(nil); errors.As(err, &m) {
		return m.shown
	}
	return err.Error()
}

func (e *valuesError) Error() string { return e.msg }

// refusingLoader is the schema compiler's only loader.
type refusingLoader struct{ refused []string }

func (l *refusingLoader) Load(ref string) (any, error) {
	if strings.HasPrefix(ref, "urn:") {
		// chartutil's urnLoader without a URNResolver: a permissive
		// schema (helm also logs a warning).
		return true, nil
	}
	if u, err := url.Parse(ref); err == nil {
		ref = redactURL(u) // a reference may carry a token
	}
	l.refused = append(l.refused, ref)
	return nil, errors.New("kiln loads no schema from outside values.schema.json")
}

// renderValues is chartutil.ToRenderValuesWithSchemaValidation with
// kiln's schema loader; its errors read as helm's.
func renderValues(chrt *chart.Chart, vals map[string]any, opts chartutil.ReleaseOptions, caps *chartutil.Capabilities) (chartutil.Values, error) {
	top, err := chartutil.ToRenderValuesWithSchemaValidation(chrt, vals, opts, caps, true)
	if err != nil {
		return nil, err
	}
	merged, _ := top["Values"].(chartutil.Values)
	var failed []string
	if err := validateValues(chrt, merged, &failed); err != nil {
		if refused(err) {
			return nil, err
		}
		const head = "values don't meet the specifications of the schema(s) in the following chart(s):\n"
		ve := &valuesError{charts: failed, msg: head + err.Error(), shown: head + shownText(err)}
		if m := (*mismatch)(nil); errors.As(err, &m) {
			ve.paths = m.paths
		}
		return nil, ve
	}
	return top, nil
}

// validateValues is chartutil.ValidateAgainstSchema: the chart's schema,
// then each subchart's against its values, the texts concatenated. The
// full paths of the charts whose schema the values failed are appended
// to failed.
func validateValues(chrt *chart.Chart, values map[string]any, failed *[]string) error {
	var sb, shown strings.Builder
	var paths [][]string
	if chrt.Schema != nil {
		if err := validateSingle(chrt, values); err != nil {
			if refused(err) {
				return err
			}
			*failed = append(*failed, chrt.ChartFullPath())
			fmt.Fprintf(&sb, "%s:\n", chrt.Name())
			fmt.Fprintf(&shown, "%s:\n", chrt.Name())
			sb.WriteString(err.Error())
			shown.WriteString(shownText(err))
			if m := (*mismatch)(nil); errors.As(err, &m) {
				paths = append(paths, m.paths...)
			}
		}
	}
	for _, sub := range chrt.Dependencies() {
		raw, ok := values[sub.Name()]
		if !ok || raw == nil {
			continue
		}
		subValues, ok := raw.(map[string]any)
		if !ok {
			for _, b := range []*strings.Builder{&sb, &shown} {
				fmt.Fprintf(b, "%s:\ninvalid type for values: expected object (map), got %T\n", sub.Name(), raw)
			}
			continue
		}
		if err := validateValues(sub, subValues, failed); err != nil {
			if refused(err) {
				return err
			}
			sb.WriteString(err.Error())
			shown.WriteString(shownText(err))
			if m := (*mismatch)(nil); errors.As(err, &m) {
				for _, p := range m.paths {
					paths = append(paths, append([]string{sub.Name()}, p...))
				}
			}
		}
	}
	if sb.Len() > 0 {
		return &mismatch{raw: sb.String(), shown: shown.String(), paths: paths}
	}
	return nil
}

// validateSingle is chartutil.ValidateAgainstSingleSchema with
// refusingLoader.
func validateSingle(chrt *chart.Chart, values map[string]any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("unable to validate schema: %s", r)
		}
	}()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(chrt.Schema))
	if err != nil {
		line := 0
		if se := (*json.SyntaxError)(nil); errors.As(err, &se) && se.Offset <= int64(len(chrt.Schema)) {
			line = bytes.Count(chrt.Schema[:se.Offset], []byte("\n")) + 1
		}
		return &schemaInvalidError{chart: chrt.ChartFullPath(), line: line, err: err}
	}
	loader := &refusingLoader{}
	c := jsonschema.NewCompiler()
	c.UseLoader(loader)
	if err := c.AddResource("file:///values.schema.json", doc); err != nil {
		return err
	}
	sch, err := c.Compile("file:///values.schema.json")
	if len(loader.refused) > 0 {
		return &schemaRefError{chart: chrt.ChartFullPath(), ref: loader.refused[0]}
	}
	if err != nil {
		return &schemaInvalidError{chart: chrt.ChartFullPath(), err: err}
	}
	if err := sch.Validate(values); err != nil {
		text := func() string {
			return strings.TrimPrefix(err.Error(), "jsonschema validation failed with 'file:///values.schema.json#'\n") + "\n"
		}
		var ve *jsonschema.ValidationError
		if !errors.As(err, &ve) {
			return errors.New(text())
		}
		inOrder(ve)
		m := &mismatch{raw: text(), paths: leafPaths(ve, nil)}
		withoutValues(ve)
		m.shown = text()
		return m
	}
	return nil
}

// inOrder sorts the mismatches under e, at every level, by where they are
// in the values, then by the schema that found them (so anyOf branches
// stay in the schema's order), and the properties additionalProperties
// refuses by name. The library walks the values' maps in Go's random
// order: helm lists the same mismatches in another order each run, and
// kiln's errors must read the same every run (only their order changes,
// not a word of helm's text).
func inOrder(e *jsonschema.ValidationError) {
	if k, ok := e.ErrorKind.(*kind.AdditionalProperties); ok {
		slices.Sort(k.Properties)
	}
	for _, c := range e.Causes {
		inOrder(c)
	}
	slices.SortStableFunc(e.Causes, func(a, b *jsonschema.ValidationError) int {
		if c := comparePath(a.InstanceLocation, b.InstanceLocation); c != 0 {
			return c
		}
		return comparePath(strings.Split(a.SchemaURL, "/"), strings.Split(b.SchemaURL, "/"))
	})
}

// leafPaths appends where in the values each mismatch under e is, in
// the order the error lists them.
func leafPaths(e *jsonschema.ValidationError, out [][]string) [][]string {
	if len(e.Causes) == 0 {
		return append(out, slices.Clone(e.InstanceLocation))
	}
	for _, c := range e.Causes {
		out = leafPaths(c, out)
	}
	return out
}

// comparePath orders two paths token by token, array indexes (all digits)
// by number: /list/2 before /list/10, a folder before what is in it.
func comparePath(a, b []string) int {
	for i := range min(len(a), len(b)) {
		x, y := a[i], b[i]
		if digits(x) && digits(y) {
			if c := cmp.Compare(len(strings.TrimLeft(x, "0")), len(strings.TrimLeft(y, "0"))); c != 0 {
				return c
			}
			if c := strings.Compare(strings.TrimLeft(x, "0"), strings.TrimLeft(y, "0")); c != 0 {
				return c
			}
		}
		if c := strings.Compare(x, y); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

// digits reports whether s is a non-empty run of ASCII digits.
func digits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// schemaFile is the repository path of the values.schema.json of the
// chart helm names chartPath.
func (s *chartSource) schemaFile(chartPath string) string {
	return s.file(path.Join(chartPath, "values.schema.json"))
}
