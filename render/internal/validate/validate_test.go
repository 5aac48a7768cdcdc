package validate

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/kiln-gitops/kiln/internal/objects"

	gold "github.com/kiln-gitops/kiln/internal/golden"

	"github.com/google/go-cmp/cmp"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/templates"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestValidObjectsPass(t *testing.T) {
	t.Parallel()
	objs := readObjects(t, "testdata/valid.yaml")
	if len(objs) < 20 {
		t.Fatalf("read %d objects, want more", len(objs))
	}
	if err := testEnv(t).Objects("demo", objs); err != nil {
		t.Errorf("valid objects: %v", err)
	}
}

// TestInvalidObjects compares the errors for testdata/invalid.yaml with
// testdata/invalid.golden.
func TestInvalidObjects(t *testing.T) {
	t.Parallel()
	err := testEnv(t).Objects("worker", readObjects(t, "testdata/invalid.yaml"))
	if err == nil {
		t.Fatal("no error")
	}
	var b bytes.Buffer
	for _, e := range diag.Flatten(err) {
		var de *diag.Error
		if !errors.As(e, &de) {
			t.Errorf("%v is not a *diag.Error", e)
		}
		if de.Unwrap() == nil {
			t.Errorf("%v does not wrap its cause", e)
		}
		fmt.Fprintln(&b, e)
	}
	golden(t, filepath.Join("testdata", "invalid.golden"), b.Bytes())
}

func TestLines(t *testing.T) {
	t.Parallel()
	const doc = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\nhoge: 1\n"
	tests := []struct {
		name string
		obj  func(t *testing.T) templates.Object
		want string
	}{
		{
			name: "known line",
			obj: func(t *testing.T) templates.Object {
				o := parse(t, "a.yaml", "# comment\n---\n"+doc)[0]
				o.Line += 10 // as if cut out of a larger file
				return o
			},
			want: `a.yaml:17: app demo: ConfigMap/a: unknown field "hoge"`,
		},
		{
			name: "unknown line",
			obj: func(t *testing.T) templates.Object {
				return templates.Object{Node: kyaml.MustParse(doc), File: "main.jsonnet"}
			},
			want: `main.jsonnet: app demo: ConfigMap/a: unknown field "hoge"`,
		},
		{
			name: "field without line falls back to the object",
			obj: func(t *testing.T) templates.Object {
				o := parse(t, "a.yaml", doc)[0]
				o.Node.YNode().Content[6].Line = 0 // the key "hoge", as if a patch added it
				return o
			},
			want: `a.yaml:1: app demo: ConfigMap/a: unknown field "hoge"`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := testEnv(t).Objects("demo", []templates.Object{tc.obj(t)})
			got := ""
			if err != nil {
				got, _, _ = strings.Cut(err.Error(), "\n")
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestEncodeScalars(t *testing.T) {
	t.Parallel()
	tests := []struct {
		yaml string
		want string
	}{
		{yaml: "a: 1", want: `{"a":1}`},
		{yaml: "a: 0x1F", want: `{"a":31}`},
		{yaml: "a: 0o17", want: `{"a":15}`},
		{yaml: "a: -3", want: `{"a":-3}`},
		{yaml: "a: 18446744073709551615", want: `{"a":18446744073709551615}`},
		{yaml: "a: 1.5", want: `{"a":1.5}`},
		// Floats as encoding/json writes them (kustomize build's output,
		// what the API server decodes): whole digits below 1e21, so a
		// large number Helm printed as 1.00068e+09 fills an int field.
		{yaml: "a: 1.00068e+09", want: `{"a":1000680000}`},
		{yaml: "a: 1e+06", want: `{"a":1000000}`},
		{yaml: "a: 1e3", want: `{"a":1000}`},
		{yaml: "a: 99999999999999999999", want: `{"a":100000000000000000000}`},
		{yaml: "a: 1e21", want: `{"a":1e+21}`},
		{yaml: "a: 1.5e-7", want: `{"a":1.5e-7}`},
		{yaml: "a: True", want: `{"a":true}`},
		{yaml: "a: yes", want: `{"a":"yes"}`},
		{yaml: "a: ~", want: `{"a":null}`},
		{yaml: "a: '1'", want: `{"a":"1"}`},
		{yaml: "a: !!str 1", want: `{"a":"1"}`},
		{yaml: "a: 2024-01-01", want: `{"a":"2024-01-01"}`},
		{yaml: "a: [1, x, {b: c}]", want: `{"a":[1,"x",{"b":"c"}]}`},
		{yaml: "a: &x {b: 1}\nc: *x", want: `{"a":{"b":1},"c":{"b":1}}`},
		{yaml: "a: 1\na: 2", want: `{"a":1,"a":2}`},
		{yaml: "a: \"<&>\"", want: `{"a":"\u003c\u0026\u003e"}`},
		// An explicit tag gives the value sigs.k8s.io/yaml (kustomize
		// build, kubectl) reads, which is what the cluster gets.
		{yaml: "a: !!binary U1VQRVI=", want: `{"a":"SUPER"}`},
		{yaml: "a: !!bool True", want: `{"a":true}`},
		{yaml: "a: !!timestamp 2001-12-14", want: `{"a":"2001-12-14T00:00:00Z"}`},
		{yaml: "a: !!int \"5\"", want: `{"a":5}`},
		{yaml: "a: !!float 1", want: `{"a":1}`},
		{yaml: "a: !custom x", want: `{"a":"x"}`},
	}
	for _, tc := range tests {
		t.Run(tc.yaml, func(t *testing.T) {
			t.Parallel()
			var n kyaml.Node
			if err := kyaml.Unmarshal([]byte(tc.yaml), &n); err != nil {
				t.Fatal(err)
			}
			e := &encoder{}
			if err := e.encode(&n, nil); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, e.buf.String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestEncodeNumbersAsKustomize: kustomize build decodes each resource with
// yaml.v3 and writes it as encoding/json does; that JSON is what the API
// server decodes, so kiln's encoding of every number form must be it.
func TestEncodeNumbersAsKustomize(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"0", "1", "-1", "+12", "0x1F", "0o17", "017", "1_000", "1e3", "1E3",
		"1.5", "-0.0", ".5", "1.", "1.00068e+09", "1e+06", "9007199254740993", "18446744073709551615",
		"123456789012345678901234", "1e20", "1e21", "1e-6", "1e-7", "0.000001", "3.0e+2", "-2.5E-3"} {
		doc := "a: " + v
		var n kyaml.Node
		if err := kyaml.Unmarshal([]byte(doc), &n); err != nil {
			t.Fatal(err)
		}
		e := &encoder{}
		if err := e.encode(&n, nil); err != nil {
			t.Errorf("%s: %v", v, err)
			continue
		}
		var x any
		if err := kyaml.Unmarshal([]byte(doc), &x); err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(x)
		if err != nil {
			t.Fatal(err)
		}
		if got := e.buf.String(); got != string(want) {
			t.Errorf("%s: kiln checks %s, the cluster gets %s", v, got, want)
		}
	}
}

// TestNonFiniteFloatsAreErrors: kustomize build reads .inf and .nan as
// floats, which JSON cannot hold, and fails; a quoted one is a string.
func TestNonFiniteFloatsAreErrors(t *testing.T) {
	t.Parallel()
	for _, v := range []string{".inf", "-.Inf", "+.INF", ".nan", ".NaN"} {
		var n kyaml.Node
		if err := kyaml.Unmarshal([]byte("a: "+v), &n); err != nil {
			t.Fatal(err)
		}
		var te *tagError
		if err := (&encoder{}).encode(&n, nil); !errors.As(err, &te) || !te.nonFinite {
			t.Errorf("%s: error %v, want a non-finite float's", v, err)
		}
	}
	var n kyaml.Node
	if err := kyaml.Unmarshal([]byte(`a: ".inf"`), &n); err != nil {
		t.Fatal(err)
	}
	e := &encoder{}
	if err := e.encode(&n, nil); err != nil || e.buf.String() != `{"a":".inf"}` {
		t.Errorf("quoted: %s, %v", e.buf.String(), err)
	}
}

// TestMergeKeysAreErrors: a merge key that reaches validation is refused.
// Reading a document expands its merge keys, inline or of an alias, as
// kustomize (or, for a chart's output, Helm) reads them
// (objects.selfContained), so only a node made otherwise keeps one.
func TestMergeKeysAreErrors(t *testing.T) {
	t.Parallel()
	const doc = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  <<: {k: v}\n"
	rn, err := kyaml.Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	objs := []templates.Object{{Node: rn, File: "a.yaml", Line: 1}}
	want := "a.yaml:1: app demo: ConfigMap/a: YAML merge keys (<<) are not supported in Kubernetes objects\n" +
		"  hint: write the object without YAML merge keys (<<)"
	got := ""
	if err := testEnv(t).Objects("demo", objs); err != nil {
		got = err.Error()
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if err := testEnv(t).Objects("demo", parse(t, "a.yaml", doc)); err != nil {
		t.Errorf("an inline merge key, read as kustomize reads it: %v", err)
	}
}

// TestRefusedTagsAreErrors: an explicit tag that kustomize build (which
// Flux runs on the folder) refuses for its value is an error at its line,
// naming the field and the tag but never the value: kustomize's own error
// quotes it, and Flux would post that where everyone reads it.
func TestRefusedTagsAreErrors(t *testing.T) {
	t.Parallel()
	objs := parse(t, "s.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  a: !!int s3cret-int\n  b: !!timestamp s3cret-time\n"+
		"---\napiVersion: v1\nkind: Secret\nmetadata: {name: t}\ndata:\n  c: !!binary s3cret-not-base64\n"+
		"---\napiVersion: example.com/v1\nkind: Unknown\nmetadata: {name: u}\nspec:\n  d: !!bool s3cret-bool\n")
	want := "s.yaml:5: app demo: Secret/s: field \"stringData.a\" is tagged !!int but its value is not one: kustomize build, which Flux runs on the app's folder, refuses the object\n" +
		"  hint: remove the !!int tag, or write a value of that type\n" +
		"s.yaml:12: app demo: Secret/t: field \"data.c\" is tagged !!binary but its value is not one: kustomize build, which Flux runs on the app's folder, refuses the object\n" +
		"  hint: remove the !!binary tag, or write a value of that type\n" +
		"s.yaml:18: app demo: Unknown/u: field \"spec.d\" is tagged !!bool but its value is not one: kustomize build, which Flux runs on the app's folder, refuses the object\n" +
		"  hint: remove the !!bool tag, or write a value of that type"
	got := ""
	if err := testEnv(t).Objects("demo", objs); err != nil {
		got = err.Error()
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if strings.Contains(got, "s3cret") {
		t.Errorf("an error shows a value: %s", got)
	}
}

func TestConcurrent(t *testing.T) {
	t.Parallel()
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			objs := readObjects(t, "testdata/invalid.yaml")
			if err := testEnv(t).Objects("worker", objs); err == nil {
				t.Error("no error")
			}
		}()
	}
	wg.Wait()
}

// BenchmarkObjects validates 1000 distinct objects of the kinds of
// testdata/valid.yaml, each for the first time in the run (an env's cost
// when no other env of the run had the object).
func BenchmarkObjects(b *testing.B) {
	data, err := os.ReadFile("testdata/valid.yaml")
	if err != nil {
		b.Fatal(err)
	}
	objs := distinct(b, "valid.yaml", string(data), 1000)
	s := NewSchemas()
	env, err := s.Env("1.31.0", nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := env.Objects("bench", objs); err != nil { // builds the scheme
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		s.clean = map[cleanKey]bool{}
		if err := env.Objects("bench", objs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkObjectsAgain validates the objects of BenchmarkObjects in a
// second env of the same run: each was checked clean already.
func BenchmarkObjectsAgain(b *testing.B) {
	data, err := os.ReadFile("testdata/valid.yaml")
	if err != nil {
		b.Fatal(err)
	}
	objs := distinct(b, "valid.yaml", string(data), 1000)
	s := NewSchemas()
	env, err := s.Env("1.31.0", nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := env.Objects("bench", objs); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := env.Objects("bench", objs); err != nil {
			b.Fatal(err)
		}
	}
}

// distinct returns n objects: the documents of doc over and over, each copy
// with its own annotation, so that no two have the same content and none
// is remembered clean from another.
func distinct(tb testing.TB, file, doc string, n int) []templates.Object {
	tb.Helper()
	var objs []templates.Object
	for i := 0; len(objs) < n; i++ {
		for _, o := range parse(tb, file, doc) {
			if err := o.Node.PipeE(kyaml.SetAnnotation("bench.kiln.dev/copy", strconv.Itoa(i))); err != nil {
				tb.Fatal(err)
			}
			objs = append(objs, o)
		}
	}
	return objs[:n]
}

func readObjects(t testing.TB, file string) []templates.Object {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return parse(t, file, string(data))
}

// parse splits a YAML stream into objects that know their lines, like the
// engines' output.
func parse(t testing.TB, file, data string) []templates.Object {
	t.Helper()
	objs, err := objects.Parse([]byte(data), file, 0)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

func golden(t *testing.T, file string, got []byte) {
	t.Helper()
	gold.File(t, file, got, *update)
}

// schemas is shared by the tests, as one Renderer shares it across envs.
var schemas = sync.OnceValue(NewSchemas)

// testEnv returns the validation context of an env whose CRDs are those of
// the given objects (none by default: the pinned Flux CRDs only).
func testEnv(t testing.TB, crds ...templates.Object) *Env {
	t.Helper()
	e, err := schemas().Env("1.31.0", crds)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestErrorFields: each error names its field's path in the object, which
// --output json gives as "field".
func TestErrorFields(t *testing.T) {
	t.Parallel()
	const deploy = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: %s\nspec:\n  selector: {matchLabels: {app: a}}\n  template:\n    metadata: {labels: {app: a}}\n    spec:\n      containers: [{name: a, image: a}]\n"
	tests := []struct {
		name, doc string
		want      []string
	}{
		{name: "unknown field", doc: fmt.Sprintf(deploy, "a") + "  hoge: 1\n", want: []string{"spec.hoge"}},
		{name: "wrong type", doc: fmt.Sprintf(deploy, "a") + "  replicas: many\n", want: []string{"spec.replicas"}},
		{name: "custom resource", doc: "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: infra, namespace: flux-system}\nspec: {interval: 10m, prune: 'yes', sourceRef: {kind: GitRepository, name: x}}\n",
			want: []string{"spec.prune"}},
		{name: "label too long", doc: strings.Replace(fmt.Sprintf(deploy, "a"), "  name: a\n", "  name: a\n  labels: {x: "+strings.Repeat("y", 64)+"}\n", 1), want: []string{"metadata.labels"}},
		{name: "invalid name", doc: fmt.Sprintf(deploy, "Not_A_Name"), want: []string{"metadata.name"}},
		{name: "unknown field in a list", doc: strings.Replace(fmt.Sprintf(deploy, "a"), "image: a}", "image: a, imagee: b}", 1),
			want: []string{"spec.template.spec.containers[0].imagee"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := testEnv(t).Objects("demo", parse(t, "a.yaml", tc.doc))
			var got []string
			for _, e := range diag.Flatten(err) {
				var de *diag.Error
				if errors.As(e, &de) {
					got = append(got, de.Field)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("fields (-want +got):\n%s\nerrors: %v", diff, err)
			}
		})
	}
}
