package helm

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/message"
	"helm.sh/helm/v3/pkg/chart"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/templates"
)

// TestSchemaLoadsNothingOutside: helm's values.schema.json loader follows
// a $ref or $schema to any file of the machine and any http(s) URL. A
// chart is untrusted; kiln refuses each such reference before reading or
// requesting anything, and names the schema file and the reference
// (without a URL's user, password or query).
func TestSchemaLoadsNothingOutside(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte(`{"type": "string"}`))
	}))
	t.Cleanup(srv.Close)
	secretFile := filepath.Join(t.TempDir(), "secret.txt")
	if err := os.WriteFile(secretFile, []byte("S3CRET-CONTENT"), 0o600); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name, schema, sub, file, ref string
	}{
		{name: "absolute file", schema: `{"properties": {"a": {"$ref": "file://` + secretFile + `"}}}`,
			file: "c/values.schema.json", ref: "file://" + secretFile},
		// Resolved against helm's base, file:///values.schema.json.
		{name: "relative file", schema: `{"properties": {"a": {"$ref": "defs.json#/x"}}}`,
			file: "c/values.schema.json", ref: "file:///defs.json"},
		{name: "http", schema: `{"properties": {"a": {"$ref": "` + srv.URL + `/s.json?token=T0KEN"}}}`,
			file: "c/values.schema.json", ref: srv.URL + "/s.json"},
		{name: "http with user", schema: `{"properties": {"a": {"$ref": "` + strings.Replace(srv.URL, "://", "://bob:PASSW0RD@", 1) + `/s.json"}}}`,
			file: "c/values.schema.json", ref: srv.URL + "/s.json"},
		{name: "metaschema", schema: `{"$schema": "` + srv.URL + `/meta.json", "type": "object"}`,
			file: "c/values.schema.json", ref: srv.URL + "/meta.json"},
		{name: "subchart", sub: `{"properties": {"b": {"$ref": "file:///etc/os-release"}}}`,
			file: "c/charts/sub-folder/values.schema.json", ref: "file:///etc/os-release"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := tempRoot(t)
			writeFile(t, filepath.Join(root, "c", "Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\n")
			writeFile(t, filepath.Join(root, "c", "values.yaml"), "a: x\nsub: {b: y}\n")
			writeFile(t, filepath.Join(root, "c", "templates", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n")
			if tc.schema != "" {
				writeFile(t, filepath.Join(root, "c", "values.schema.json"), tc.schema)
			}
			if tc.sub != "" {
				writeFile(t, filepath.Join(root, "c", "charts", "sub-folder", "Chart.yaml"), "apiVersion: v2\nname: sub\nversion: 0.1.0\n")
				writeFile(t, filepath.Join(root, "c", "charts", "sub-folder", "values.schema.json"), tc.sub)
			}
			_, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, Path: "c", App: "web", Namespace: "shop"})
			var de *diag.Error
			if !errors.As(err, &de) {
				t.Fatalf("Render() = %v, want a *diag.Error", err)
			}
			if de.File != tc.file {
				t.Errorf("error's file = %q, want %q", de.File, tc.file)
			}
			msg := err.Error()
			if !strings.Contains(msg, "refers to \""+tc.ref+"\",") || !strings.Contains(msg, `"#/$defs/NAME"`) {
				t.Errorf("error does not name %s, or what to do:\n%s", tc.ref, msg)
			}
			for _, leak := range []string{"S3CRET", "T0KEN", "PASSW0RD", "NAME=", "ID="} {
				if strings.Contains(msg, leak) {
					t.Errorf("error shows %q:\n%s", leak, msg)
				}
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the schema server got %d requests, want none", n)
	}
}

// TestSchemaWithinTheDocument: what helm validates without loading
// anything still works as in helm: references into the document, the
// drafts' metaschemas (embedded in the library, never fetched) and
// helm's permissive fallback for urn: references.
func TestSchemaWithinTheDocument(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, schema, values, want string
	}{
		{name: "defs and draft-07", schema: `{"$schema": "http://json-schema.org/draft-07/schema#", "definitions": {"port": {"type": "integer", "maximum": 65535}},
			"properties": {"port": {"$ref": "#/definitions/port"}}}`, values: "port: 70000\n",
			want: "values don't meet the specifications of the schema(s) in the following chart(s):\nc:\n- at '/port': maximum: the value is above 65535\n"},
		{name: "2020-12 $defs", schema: `{"$schema": "https://json-schema.org/draft/2020-12/schema", "$defs": {"n": {"type": "string"}},
			"properties": {"name": {"$ref": "#/$defs/n"}}}`, values: "name: 1\n",
			want: "values don't meet the specifications of the schema(s) in the following chart(s):\nc:\n- at '/name': got number, want string\n"},
		{name: "$id and a relative ref", schema: `{"$id": "https://example.com/c.json", "$defs": {"n": {"$id": "n.json", "type": "string"}},
			"properties": {"name": {"$ref": "n.json"}}}`, values: "name: 1\n",
			want: "values don't meet the specifications of the schema(s) in the following chart(s):\nc:\n- at '/name': got number, want string\n"},
		{name: "urn", schema: `{"properties": {"name": {"$ref": "urn:example:n"}}}`, values: "name: 1\n"},
		{name: "valid", schema: `{"$schema": "http://json-schema.org/draft-07/schema#", "properties": {"name": {"type": "integer"}}}`, values: "name: 1\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := tempRoot(t)
			writeFile(t, filepath.Join(root, "c", "Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\n")
			writeFile(t, filepath.Join(root, "c", "values.yaml"), tc.values)
			writeFile(t, filepath.Join(root, "c", "values.schema.json"), tc.schema)
			writeFile(t, filepath.Join(root, "c", "templates", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n")
			_, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, Path: "c", App: "web", Namespace: "shop"})
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Render() = %v, want no error", err)
				}
				return
			}
			var de *diag.Error
			if !errors.As(err, &de) {
				t.Fatalf("Render() = %v, want a *diag.Error", err)
			}
			if de.Msg != tc.want {
				t.Errorf("error = %q, want %q", de.Msg, tc.want)
			}
		})
	}
}

// TestSchemaErrorNamesItsChart: values that fail a subchart's
// values.schema.json are an error of that file, not of the top chart's
// folder (where the user would look for a schema that is not there);
// when the top chart's schema fails too, helm lists it first, and so its
// file is named.
func TestSchemaErrorNamesItsChart(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, top, values, file, msg string
	}{
		{name: "subchart", values: "sub: {port: x}\n", file: "c/charts/sub-folder/values.schema.json",
			msg: "values don't meet the specifications of the schema(s) in the following chart(s):\nsub:\n- at '/port': got string, want integer\n"},
		{name: "top and subchart", top: `{"properties": {"a": {"type": "integer"}}}`, values: "a: x\nsub: {port: x}\n", file: "c/values.schema.json",
			msg: "values don't meet the specifications of the schema(s) in the following chart(s):\nc:\n- at '/a': got string, want integer\nsub:\n- at '/port': got string, want integer\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := tempRoot(t)
			writeFile(t, filepath.Join(root, "c", "Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\n")
			writeFile(t, filepath.Join(root, "c", "values.yaml"), tc.values)
			writeFile(t, filepath.Join(root, "c", "templates", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n")
			if tc.top != "" {
				writeFile(t, filepath.Join(root, "c", "values.schema.json"), tc.top)
			}
			writeFile(t, filepath.Join(root, "c", "charts", "sub-folder", "Chart.yaml"), "apiVersion: v2\nname: sub\nversion: 0.1.0\n")
			writeFile(t, filepath.Join(root, "c", "charts", "sub-folder", "values.schema.json"), `{"properties": {"port": {"type": "integer"}}}`)
			_, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, Path: "c", App: "web", Namespace: "shop"})
			var de *diag.Error
			if !errors.As(err, &de) {
				t.Fatalf("Render() = %v, want a *diag.Error", err)
			}
			if de.File != tc.file || de.Msg != tc.msg {
				t.Errorf("error = %q: %q, want %q: %q", de.File, de.Msg, tc.file, tc.msg)
			}
		})
	}
}

// TestSchemaErrorsInOrder: the schema library walks the values' maps in
// Go's random order, so helm lists a values file's mismatches, and the
// properties additionalProperties refuses, in a different order each run.
// kiln lists them by where they are in the values (array items by index),
// the same text every run.
func TestSchemaErrorsInOrder(t *testing.T) {
	t.Parallel()
	root := tempRoot(t)
	writeFile(t, filepath.Join(root, "c", "Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\n")
	writeFile(t, filepath.Join(root, "c", "values.yaml"), `a: 1
b: 1
c: 1
d: 1
e: 1
f: 1
list: [x, x, x, x, x, x, x, x, x, x, x, 1]
strict: {z: 1, q: 1, x: 1, w: 1, v: 1, u: 1}
`)
	writeFile(t, filepath.Join(root, "c", "values.schema.json"), `{"properties": {
		"a": {"type": "string"}, "b": {"type": "string"}, "c": {"type": "string"},
		"d": {"type": "string"}, "e": {"type": "string"}, "f": {"type": "string"},
		"list": {"items": {"type": "string"}},
		"strict": {"type": "object", "additionalProperties": false}}}`)
	writeFile(t, filepath.Join(root, "c", "templates", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n")
	want := `values don't meet the specifications of the schema(s) in the following chart(s):
c:
- at '/a': got number, want string
- at '/b': got number, want string
- at '/c': got number, want string
- at '/d': got number, want string
- at '/e': got number, want string
- at '/f': got number, want string
- at '/list/11': got number, want string
- at '/strict': additional properties 'q', 'u', 'v', 'w', 'x', 'z' not allowed
`
	sameErrorEachRender(t, root, want)
}

// TestSubchartsInOrder: helm's loader keeps a chart's subcharts in Go's
// random map order, so the CRDs of several subcharts came out in another
// order each run (which of two copies of one CRD an error calls the
// first), and so did their values.schema.json mismatches. kiln orders the
// subcharts by name: the same objects in the same order, the same error,
// every run.
func TestSubchartsInOrder(t *testing.T) {
	t.Parallel()
	root := tempRoot(t)
	writeFile(t, filepath.Join(root, "c", "Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\n")
	subs := []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot"}
	for _, n := range subs {
		dir := filepath.Join(root, "c", "charts", n)
		writeFile(t, filepath.Join(dir, "Chart.yaml"), "apiVersion: v2\nname: "+n+"\nversion: 0.1.0\n")
		writeFile(t, filepath.Join(dir, "values.yaml"), "port: 1\n")
		writeFile(t, filepath.Join(dir, "values.schema.json"), `{"properties": {"port": {"type": "integer"}}}`)
		writeFile(t, filepath.Join(dir, "crds", "crd.yaml"), "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: "+n+"s.example.com}\n")
	}
	var wantObjs []string
	for _, n := range subs {
		wantObjs = append(wantObjs, "c/charts/"+n+"/crds/crd.yaml")
	}
	for i := range 10 {
		res, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, Path: "c", App: "web", Namespace: "shop"})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, o := range res.Objects {
			got = append(got, o.File)
		}
		if strings.Join(got, " ") != strings.Join(wantObjs, " ") {
			t.Fatalf("render %d: objects from %q, want %q", i+1, got, wantObjs)
		}
	}

	// Each subchart's schema refuses the values the parent gives it.
	writeFile(t, filepath.Join(root, "c", "values.yaml"), "alpha: {port: x}\nbravo: {port: x}\ncharlie: {port: x}\ndelta: {port: x}\necho: {port: x}\nfoxtrot: {port: x}\n")
	want := "values don't meet the specifications of the schema(s) in the following chart(s):\n"
	for _, n := range subs {
		want += n + ":\n- at '/port': got string, want integer\n"
	}
	sameErrorEachRender(t, root, want)
}

// sameErrorEachRender renders chart c of root ten times and requires the
// error message want every time.
func sameErrorEachRender(t *testing.T, root, want string) {
	t.Helper()
	for i := range 10 {
		_, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, Path: "c", App: "web", Namespace: "shop"})
		var de *diag.Error
		if !errors.As(err, &de) {
			t.Fatalf("Render() = %v, want a *diag.Error", err)
		}
		if de.Msg != want {
			t.Fatalf("render %d: error =\n%s\nwant\n%s", i+1, de.Msg, want)
		}
	}
}

// TestSchemaMismatchShowsNoValue: each kind of mismatch the schema
// library tells of a value that quotes it (a number against a bound, a
// string against a pattern) is told by kiln with the schema's operand
// only, and the kinds that quote none keep the library's words. The
// library's text must hold the value, or the row proves nothing.
func TestSchemaMismatchShowsNoValue(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		schema, value, want string
		kept                bool // the library's words, which quote no value
	}{
		{`{"maximum": 3}`, `987654321`, "maximum: the value is above 3", false},
		{`{"exclusiveMaximum": 3}`, `987654321`, "exclusiveMaximum: the value is not below 3", false},
		{`{"minimum": 0.5}`, `-987654321`, "minimum: the value is below 0.5", false},
		{`{"exclusiveMinimum": 1e30}`, `987654321`, "exclusiveMinimum: the value is not above 1000000000000000000000000000000", false},
		{`{"multipleOf": 7}`, `987654321`, "multipleOf: the value is not a multiple of 7", false},
		{`{"multipleOf": 0.25}`, `9876.54321`, "multipleOf: the value is not a multiple of 0.25", false},
		{`{"pattern": "^[a-z']+$"}`, `"Hunter2-987654321"`, `the value does not match pattern '^[a-z\']+$'`, false},
		{`{"maxLength": 3}`, `"987654321"`, "maxLength: got 9, want 3", true},
		{`{"enum": ["a", "b"]}`, `"987654321"`, "value must be one of 'a', 'b'", true},
		{`{"const": 5}`, `987654321`, "value must be 5", true},
		{`{"type": "string"}`, `987654321`, "got number, want string", true},
	} {
		var v any
		if err := json.Unmarshal([]byte(`{"pin": `+tc.value+`}`), &v); err != nil {
			t.Fatal(err)
		}
		c := &chart.Chart{Metadata: &chart.Metadata{Name: "c"}, Schema: []byte(`{"properties": {"pin": ` + tc.schema + `}}`)}
		err := validateSingle(c, v.(map[string]any))
		var m *mismatch
		if !errors.As(err, &m) {
			t.Errorf("%s of %s: validateSingle() = %v, want a mismatch", tc.schema, tc.value, err)
			continue
		}
		if want := "- at '/pin': " + tc.want + "\n"; m.shown != want {
			t.Errorf("%s of %s: shown %q, want %q", tc.schema, tc.value, m.shown, want)
		}
		// The library writes 987654321 as 9.87654321×10⁰⁸ and 9876.54321
		// as 9,876.54321.
		if !tc.kept && !strings.Contains(m.raw, "54321") {
			t.Errorf("%s of %s: the library's text %q does not quote the value: the row tests nothing", tc.schema, tc.value, m.raw)
		}
	}
}

// quotingKind is a mismatch of a kind withoutValues does not know, which
// quotes the value, as a newer library's might.
type quotingKind struct{}

func (quotingKind) KeywordPath() []string                   { return []string{"x-new"} }
func (quotingKind) LocalizedString(*message.Printer) string { return "got 'hunter2'" }

// TestSchemaKindsShowNoValue: the mismatches helm's validation never
// asserts (format and content, which its compiler only annotates) and a
// kind kiln does not know are told without the value all the same.
func TestSchemaKindsShowNoValue(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		kind jsonschema.ErrorKind
		want string
	}{
		{&kind.ContentEncoding{Want: "base64", Err: errors.New("illegal base64 data: hunter2")}, "the value is not 'base64' encoded"},
		{&kind.ContentMediaType{Got: []byte("hunter2"), Want: "application/json", Err: errors.New("hunter2")}, "the value is not of mediatype 'application/json'"},
		{&kind.Format{Got: "hunter2", Want: "uri", Err: errors.New(`parse "hunter2": invalid`)}, "the value is not valid uri"},
		{quotingKind{}, "the value does not match the schema's x-new"},
	} {
		e := &jsonschema.ValidationError{ErrorKind: &kind.Group{}, Causes: []*jsonschema.ValidationError{{InstanceLocation: []string{"pw"}, ErrorKind: tc.kind}}}
		withoutValues(e)
		if got := e.Error(); got != "at '': validation failed\n- at '/pw': "+tc.want {
			t.Errorf("%T: %q, want %q", tc.kind, got, tc.want)
		}
	}
}

// TestSchemaErrorNamesTheValuesAtFault: helm's values.schema.json error
// names a value's path in the merged values only, and the user has to
// find which values file, or the env's values, gave it (external-secrets'
// schema refusing replicaCount: two named charts/external-secrets/
// values.schema.json alone). The hint names the file and line of the key
// that set each value at fault: the last values file that sets it, a
// subchart's under its name (its global values under the top chart's
// global), or the env's values, which merge last; a chart default at
// fault is named by no place. Never the value.
func TestSchemaErrorNamesTheValuesAtFault(t *testing.T) {
	t.Parallel()
	root := tempRoot(t)
	writeFile(t, filepath.Join(root, "c", "Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\ndependencies:\n  - {name: sub, version: 0.1.0}\n")
	writeFile(t, filepath.Join(root, "c", "values.yaml"), "replicaCount: 1\nlogLevel: debug\n")
	writeFile(t, filepath.Join(root, "c", "values.schema.json"), `{"properties": {"replicaCount": {"type": "integer"}, "port": {"type": "integer"}, "logLevel": {"type": "integer"}}}`)
	writeFile(t, filepath.Join(root, "c", "templates", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n")
	writeFile(t, filepath.Join(root, "c", "charts", "sub", "Chart.yaml"), "apiVersion: v2\nname: sub\nversion: 0.1.0\n")
	writeFile(t, filepath.Join(root, "c", "charts", "sub", "values.schema.json"), `{"properties": {"image": {"properties": {"tag": {"type": "string"}}}, "global": {"properties": {"registry": {"type": "string"}}}}}`)
	writeFile(t, filepath.Join(root, "values", "base.yaml"), "# defaults of the team\nreplicaCount: two\nport: 80\n")
	writeFile(t, filepath.Join(root, "values", "prod.yaml"), "replicaCount: three\nsub:\n  image:\n    tag: 5\nglobal:\n  registry: 5\n")
	for _, tc := range []struct {
		name string
		env  map[string]any
		want string
	}{
		{name: "files", want: "values/prod.yaml:1 sets /replicaCount, values/prod.yaml:6 sets /global/registry, values/prod.yaml:4 sets /sub/image/tag"},
		{name: "env", env: map[string]any{"port": "http"}, want: "the environment's values set /port, values/prod.yaml:1 sets /replicaCount, values/prod.yaml:6 sets /global/registry, and 1 more"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, Path: "c", App: "web", Namespace: "shop",
				ValuesFiles: []string{"values/base.yaml", "values/prod.yaml"}, Values: tc.env})
			var de *diag.Error
			if !errors.As(err, &de) {
				t.Fatalf("err = %v, want a schema mismatch", err)
			}
			if want := "fix the values so that they match the chart's values.schema.json: " + tc.want; de.Hint != want {
				t.Errorf("hint:\n%s\nwant:\n%s", de.Hint, want)
			}
			for _, v := range []string{"three", "two", "http"} {
				if strings.Contains(de.Hint, v) {
					t.Errorf("hint shows the value %q: %s", v, de.Hint)
				}
			}
		})
	}
}

// TestInvalidSchemaNamed: a values.schema.json that is no JSON, or that
// its metaschema refuses, is the chart's mistake, not the values'. helm
// calls it values that do not meet the schema, and kiln hinted to fix
// the values, without a line. The first schema is Helm's own
// pkg/chartutil/testdata/test-values-invalid.schema.json (helm/helm,
// Apache-2.0).
func TestInvalidSchemaNamed(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, schema, sub, wantFile, wantMsg string
		wantLine                             int
	}{
		{name: "a number", schema: "   1E1111111           \n", wantFile: "c/values.schema.json", wantMsg: "it is not valid against metaschema"},
		{name: "not JSON", schema: "{\"properties\": {\n  \"a\": {\"type\": \"string\",}}}\n", wantFile: "c/values.schema.json", wantLine: 2, wantMsg: "invalid character"},
		{name: "subchart pattern", sub: `{"properties": {"b": {"pattern": "(?<x"}}}`, wantFile: "c/charts/s/values.schema.json", wantMsg: "is not valid regex"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := tempRoot(t)
			writeFile(t, filepath.Join(root, "c", "Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\n")
			writeFile(t, filepath.Join(root, "c", "values.yaml"), "a: x\ns:\n  b: y\n")
			writeFile(t, filepath.Join(root, "c", "charts", "s", "Chart.yaml"), "apiVersion: v2\nname: s\nversion: 0.1.0\n")
			if tc.schema != "" {
				writeFile(t, filepath.Join(root, "c", "values.schema.json"), tc.schema)
			}
			if tc.sub != "" {
				writeFile(t, filepath.Join(root, "c", "charts", "s", "values.schema.json"), tc.sub)
			}
			_, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, Path: "c", App: "web", Namespace: "shop"})
			var de *diag.Error
			if !errors.As(err, &de) {
				t.Fatalf("Render() = %v, want a *diag.Error", err)
			}
			if de.File != tc.wantFile || de.Line != tc.wantLine || !strings.Contains(de.Msg, "values.schema.json is no valid JSON Schema") ||
				!strings.Contains(de.Msg, tc.wantMsg) || !strings.Contains(de.Hint, "fix the chart's values.schema.json") {
				t.Errorf("error at %s:%d %q (hint %q), want %s:%d and %q", de.File, de.Line, de.Msg, de.Hint, tc.wantFile, tc.wantLine, tc.wantMsg)
			}
		})
	}
}
