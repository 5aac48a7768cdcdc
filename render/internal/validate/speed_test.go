package validate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	apiextensionsinternal "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/render/internal/validate/apirules"
	"github.com/kiln-gitops/kiln/templates"
)

// The shortcuts taken for speed must not change what is refused: each test
// here compares a shortcut with the slow way it replaces.

// TestWriteStringAsMarshal: the encoder's strings are json.Marshal's.
func TestWriteStringAsMarshal(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "plain", "with space", `q"uote`, `back\slash`, "<tag>", "a&b", "tab\t", "nl\n", "\x00", "\x1f",
		"\x7f", "é", "日本", "\u2028", "\u2029", "\xff", "a\xc3", "~!@#$%^*()_+{}|:?`-=[];',./"} {
		var e encoder
		writeString(&e.buf, s)
		want, _ := json.Marshal(s)
		if e.buf.String() != string(want) {
			t.Errorf("writeString(%q) = %s, json.Marshal says %s", s, e.buf.String(), want)
		}
	}
}

// TestCheckMetaReadsWhatUnmarshalReads: checkMeta encodes only metadata,
// and must see the metadata json.Unmarshal of the whole object sees: keys
// in another case and repeated keys included.
func TestCheckMetaReadsWhatUnmarshalReads(t *testing.T) {
	t.Parallel()
	for _, doc := range []string{
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Bad_Name, namespace: apps}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: good, labels: {a: " + strings.Repeat("x", 64) + "}}\n",
		"apiVersion: v1\nkind: ConfigMap\nMetadata: {name: Bad_Name}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: good}\nMETADATA: {name: Bad_Name}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: good}\nmetadata: {namespace: Bad_NS}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: null\n",
		"apiVersion: v1\nkind: ConfigMap\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: &m {name: Bad_Name}\ndata: {a: b}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Bad_Name}\ndata: {<<: {a: b}}\n",
	} {
		// Not objects.Parse: it refuses an object without a name.
		n, err := kyaml.Parse(doc)
		if err != nil {
			t.Fatal(err)
		}
		o := templates.Object{Node: n, File: "m.yaml", Line: 1}
		gvk := schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}
		got := fmt.Sprint(checkMeta("demo", o, gvk, encode(o), nil, false))

		// The slow way: the whole object as JSON, unmarshalled.
		var want string
		e := &encoder{}
		if err := e.encode(o.Node.YNode(), nil); err == nil {
			var obj struct {
				Metadata metav1.ObjectMeta `json:"metadata"`
			}
			if err := json.Unmarshal(e.buf.Bytes(), &obj); err != nil {
				t.Fatal(err)
			}
			want = fmt.Sprint(metaErrors("demo", o, gvk, &obj.Metadata, nil, false))
		} else {
			want = fmt.Sprint([]error(nil))
		}
		if got != want {
			t.Errorf("%s\ngot  %s\nwant %s", doc, got, want)
		}
	}
}

// TestCRDCheckedOnceCompiled: a CustomResourceDefinition the env compiled
// is not decoded a second time when the first decoding found nothing, and
// still is when it found something: its problems are reported either way.
func TestCRDCheckedOnceCompiled(t *testing.T) {
	t.Parallel()
	crd := readObjects(t, "testdata/widget-crd.yaml")
	env := testEnv(t, crd...)
	if err := env.Objects("demo", crd); err != nil {
		t.Fatalf("the valid CRD: %v", err)
	}
	for _, tc := range []struct{ name, from, to, want string }{
		{"unknown field", "  scope: Namespaced\n", "  scope: Namespaced\n  colour: red\n", `unknown field "spec.colour"`},
		{"wrong type", "  scope: Namespaced\n", "  scope: [Namespaced]\n", `wrong type for field "spec.scope"`},
		{"duplicate field", "  scope: Namespaced\n", "  scope: Namespaced\n  scope: Namespaced\n", `duplicate field "spec.scope"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			raw, err := os.ReadFile("testdata/widget-crd.yaml")
			if err != nil {
				t.Fatal(err)
			}
			data := string(raw)
			doc := strings.Replace(data, tc.from, tc.to, 1)
			if doc == data {
				t.Fatalf("mutation %q not applied", tc.from)
			}
			objs := parse(t, "crd.yaml", doc)
			env, _ := schemas().Env("1.31.0", objs) // compiled (or refused) first, as a Renderer does
			err = env.Objects("demo", objs)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestFluxFiles: fluxFiles names every embedded Flux CRD file, with the
// group and kind it defines.
func TestFluxFiles(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("fluxcrds/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := map[groupKind]string{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range parse(t, f, string(data)) {
			group, _ := o.Node.GetString("spec.group")
			kind, _ := o.Node.GetString("spec.names.kind")
			want[groupKind{group, kind}] = path.Base(f)
		}
	}
	if diff := cmp.Diff(want, fluxFiles, cmp.AllowUnexported(groupKind{})); diff != "" {
		t.Errorf("fluxFiles differs from the files (-files +fluxFiles):\n%s", diff)
	}
	s := NewSchemas()
	for gk := range fluxFiles {
		if c := s.flux[gk](); c.group != gk.group || c.kind != gk.kind || len(c.served) == 0 {
			t.Errorf("%v: compiled %s %s serving %v", gk, c.group, c.kind, c.served)
		}
	}
}

// twoVersions is a CRD serving two versions with different schemas, and a
// third kind no object uses.
const twoVersions = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.com}
spec:
  group: example.com
  names: {kind: Gadget, plural: gadgets}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: false
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [size]
              properties:
                size: {type: string, enum: [small, large]}
    - name: v2
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [shape]
              x-kubernetes-validations:
                - {rule: "self.shape != 'round' || self.edges == 0", message: a round gadget has no edges}
              properties:
                shape: {type: string}
                edges: {type: integer, minimum: 0}
`

// TestLazyCompileStillRefuses: with a fresh cache (nothing compiled
// before), custom resources are refused by the schema and the CEL rules
// of their own version, each version of a CRD with several; an object
// valid for one version is refused under the other.
func TestLazyCompileStillRefuses(t *testing.T) {
	t.Parallel()
	crds := append(parse(t, "gadgets.yaml", twoVersions), readObjects(t, "testdata/widget-crd.yaml")...)
	for _, tc := range []struct{ name, doc, want string }{
		{"v1 valid", "apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g}\nspec: {size: small}\n", ""},
		{"v2 valid", "apiVersion: example.com/v2\nkind: Gadget\nmetadata: {name: g}\nspec: {shape: square, edges: 4}\n", ""},
		{"v1 enum", "apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g}\nspec: {size: medium}\n", `field "spec.size": Unsupported value: "medium"`},
		{"v1 object as v2", "apiVersion: example.com/v2\nkind: Gadget\nmetadata: {name: g}\nspec: {size: small}\n", `unknown field "spec.size"`},
		{"v2 object as v1", "apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g}\nspec: {shape: square}\n", `unknown field "spec.shape"`},
		{"v2 required", "apiVersion: example.com/v2\nkind: Gadget\nmetadata: {name: g}\nspec: {edges: 4}\n", `field "spec.shape": Required value`},
		{"v2 minimum", "apiVersion: example.com/v2\nkind: Gadget\nmetadata: {name: g}\nspec: {shape: square, edges: -1}\n", `field "spec.edges": Invalid value: -1`},
		{"v2 CEL rule", "apiVersion: example.com/v2\nkind: Gadget\nmetadata: {name: g}\nspec: {shape: round, edges: 4}\n", "a round gadget has no edges"},
		{"unserved version", "apiVersion: example.com/v3\nkind: Gadget\nmetadata: {name: g}\nspec: {}\n", "serves v1, v2"},
		{"another CRD's CEL rule", strings.Replace(widget, "minReplicas: 1", "minReplicas: 5", 1), "minReplicas must not exceed maxReplicas"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env, err := NewSchemas().Env("1.31.0", crds)
			if err != nil {
				t.Fatal(err)
			}
			err = env.Objects("demo", parse(t, "g.yaml", tc.doc))
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestUnusedCRDStillChecked: a CRD no object of the env uses is still
// refused when the API server could not serve it.
func TestUnusedCRDStillChecked(t *testing.T) {
	t.Parallel()
	bad := strings.Replace(twoVersions, "                edges: {type: integer, minimum: 0}\n",
		"                edges: {type: integer, minimum: 0}\n                corners: {minimum: 0}\n", 1)
	if bad == twoVersions {
		t.Fatal("mutation not applied")
	}
	_, err := NewSchemas().Env("1.31.0", parse(t, "gadgets.yaml", bad))
	if err == nil || !strings.Contains(err.Error(), "CustomResourceDefinition cannot be served") || !strings.Contains(err.Error(), "corners") {
		t.Fatalf("got %v, want the CRD refused as not structural", err)
	}
}

// TestParallelCRDsInOrder: CRDs compiled in parallel are taken in order,
// so the last CRD of a kind wins and errors come in the objects' order.
func TestParallelCRDsInOrder(t *testing.T) {
	t.Parallel()
	v1only := strings.Replace(twoVersions, "    - name: v2\n      served: true", "    - name: v2\n      served: false", 1)
	var docs []string
	for i := range 8 {
		bad := strings.Replace(twoVersions, "metadata: {name: gadgets.example.com}", fmt.Sprintf("metadata: {name: bad%d.example.com}", i), 1)
		bad = strings.Replace(bad, "plural: gadgets}", fmt.Sprintf("plural: bad%d}", i), 1)
		bad = strings.Replace(bad, "size: {type: string, enum", "size: {enum", 1) // not structural: no type
		docs = append(docs, bad)
	}
	docs = append(docs, twoVersions, v1only)
	env, err := NewSchemas().Env("1.31.0", parse(t, "crds.yaml", strings.Join(docs, "---\n")))
	var names []string
	for _, e := range diag.Flatten(err) {
		var de *diag.Error
		if errors.As(e, &de) {
			names = append(names, de.Object.Name)
		}
	}
	if want := "bad0.example.com bad1.example.com bad2.example.com bad3.example.com bad4.example.com bad5.example.com bad6.example.com bad7.example.com"; strings.Join(names, " ") != want {
		t.Errorf("errors name %v, want %s", names, want)
	}
	err = env.Objects("demo", parse(t, "g.yaml", "apiVersion: example.com/v2\nkind: Gadget\nmetadata: {name: g}\nspec: {shape: square}\n"))
	if err == nil || !strings.Contains(err.Error(), "serves v1") {
		t.Errorf("got %v, want v2 not served by the last CRD", err)
	}
}

// TestRulesSkipCRDs: a CRD that compiling decoded cleanly is not decoded
// into its Go type again, so apirules never sees it; that is only right
// while apirules has no rules for CRDs. This fails when it gets some:
// then decode the CRD for them (check's shortcut).
func TestRulesSkipCRDs(t *testing.T) {
	t.Parallel()
	bad := &apiextensionsv1.CustomResourceDefinition{Spec: apiextensionsv1.CustomResourceDefinitionSpec{Scope: "Nowhere",
		Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{Name: "V_1"}, {Name: "V_1"}}}}
	if p := apirules.Check(bad, apirules.Options{}); len(p) != 0 {
		t.Errorf("apirules checks CRDs now (%v): make check decode a CRD whose compiling decoded it", p)
	}
}

// TestCopyDefaults: pruning the defaults of a compiled schema leaves the
// internal schema's defaults, which the structural one was built from
// sharing them, as they were.
func TestCopyDefaults(t *testing.T) {
	t.Parallel()
	internal := &apiextensionsinternal.JSONSchemaProps{
		Type: "object",
		Properties: map[string]apiextensionsinternal.JSONSchemaProps{
			"spec": {
				Type:    "object",
				Default: defaultOf(map[string]any{"a": "x", "unknown": "y"}),
				Properties: map[string]apiextensionsinternal.JSONSchemaProps{
					"a":     {Type: "string"},
					"items": {Type: "array", Items: &apiextensionsinternal.JSONSchemaPropsOrArray{Schema: &apiextensionsinternal.JSONSchemaProps{Type: "object", Default: defaultOf(map[string]any{"b": "z"}), Properties: map[string]apiextensionsinternal.JSONSchemaProps{"c": {Type: "string"}}}}},
				},
			},
		},
	}
	st, err := structuralschema.NewStructural(internal)
	if err != nil {
		t.Fatal(err)
	}
	copyDefaults(st)
	if err := structuraldefaulting.PruneDefaults(st); err != nil {
		t.Fatal(err)
	}
	if got := st.Properties["spec"].Default.Object; !cmp.Equal(got, map[string]any{"a": "x"}) {
		t.Errorf("pruned default %v, want only a", got)
	}
	if got := *internal.Properties["spec"].Default; !cmp.Equal(got, any(map[string]any{"a": "x", "unknown": "y"})) {
		t.Errorf("the internal schema's default became %v", got)
	}
	if got := *internal.Properties["spec"].Properties["items"].Items.Schema.Default; !cmp.Equal(got, any(map[string]any{"b": "z"})) {
		t.Errorf("the internal schema's item default became %v", got)
	}
}

func defaultOf(v any) *apiextensionsinternal.JSON {
	j := apiextensionsinternal.JSON(v)
	return &j
}

// TestCleanCRDNamesRead: a CRD that compiles, strictly decoded without a
// problem, with a group and a kind, has the names crdNames reads without
// compiling (Env keeps its crdKey on that ground); the CRDs whose names
// crdNames could read otherwise are not clean.
func TestCleanCRDNamesRead(t *testing.T) {
	t.Parallel()
	for name, doc := range map[string]string{
		"valid":          twoVersions,
		"key case":       strings.Replace(twoVersions, "  group: example.com", "  Group: example.com", 1),
		"group twice":    strings.Replace(twoVersions, "  group: example.com", "  group: example.com\n  group: other.example.com", 1),
		"kind twice":     strings.Replace(twoVersions, "names: {kind: Gadget,", "names: {kind: Gadget, kind: Widget,", 1),
		"no group":       strings.Replace(twoVersions, "  group: example.com\n", "", 1),
		"empty kind":     strings.Replace(twoVersions, "kind: Gadget,", "kind: \"\",", 1),
		"names a string": strings.Replace(twoVersions, "names: {kind: Gadget, plural: gadgets}", "names: Gadget", 1),
		"group a number": strings.Replace(twoVersions, "  group: example.com", "  group: 5", 1),
		"unknown field":  strings.Replace(twoVersions, "  scope: Namespaced", "  scope: Namespaced\n  colour: red", 1),
	} {
		if name != "valid" && doc == twoVersions {
			t.Fatalf("%s: mutation not applied", name)
		}
		// Not objects.Parse: a test of the decoding, not of the reading.
		node, err := kyaml.Parse(doc)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		enc := encode(templates.Object{Node: node, File: "crd.yaml", Line: 1})
		if enc.err != nil {
			t.Fatalf("%s: %v", name, enc.err)
		}
		c := compileCRD(enc.data, false)
		kept := c.clean && c.err == nil && c.group != "" && c.kind != ""
		gk, _, ok := crdNames(enc.data)
		if kept && (!ok || gk != (groupKind{c.group, c.kind})) {
			t.Errorf("%s: kept with compiled names %s %s, crdNames reads %v %v", name, c.group, c.kind, gk, ok)
		}
		if kept != (name == "valid") {
			t.Errorf("%s: kept = %v", name, kept)
		}
	}
}

// TestCompileAheadChangesNothing: Objects, which compiles what the checks
// need ahead of them and checks in parallel, finds what checking each
// object alone, in order, finds, with fresh schemas each time; also when
// several envs of one Schemas check at once (run with -race).
func TestCompileAheadChangesNothing(t *testing.T) {
	t.Parallel()
	var docs []string
	for _, file := range []string{"testdata/valid.yaml", "testdata/invalid.yaml", "testdata/widget-crd.yaml"} {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, string(raw))
	}
	docs = append(docs, twoVersions, widget, strings.Replace(widget, "size: small", "size: tiny", 1),
		"apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g1}\nspec: {size: small}\n",
		"apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g2}\nspec: {}\n",
		"apiVersion: example.com/v2\nkind: Gadget\nmetadata: {name: g3}\nspec: {shape: round, edges: 2}\n",
		"apiVersion: example.com/v3\nkind: Gadget\nmetadata: {name: g4}\nspec: {}\n",
		"apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: k, namespace: flux-system}\nspec: {interval: 1m, prune: true, sourceRef: {kind: GitRepository, name: repo}, path: ./x, colour: red}\n",
		"apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: old}\nspec: {}\n",
	)
	all := strings.Join(docs, "\n---\n")
	alone := func() string {
		objs := parse(t, "all.yaml", all)
		// invalid.yaml's CRD with a misspelt names is refused as a CRD
		// too; the env is usable all the same.
		e, err := NewSchemas().Env("1.31.0", objs)
		errs := []error{err}
		for _, o := range objs {
			errs = append(errs, e.object(context.Background(), "demo", o, e.prepare(o))...)
		}
		return fmt.Sprint(diag.Join(errs...))
	}
	want := alone()
	for _, m := range []string{"hoge", "tiny", "no edges", "colour", "v3", "extensions/v1beta1", "spec.names.plural: Required value"} {
		if !strings.Contains(want, m) {
			t.Fatalf("the objects checked alone lack %q:\n%s", m, want)
		}
	}
	for range 4 {
		if got := fmt.Sprint(testObjects(t, NewSchemas(), all)); got != want {
			t.Errorf("Objects:\n%s\nwant\n%s", got, want)
		}
	}
	s := NewSchemas()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if got := fmt.Sprint(testObjects(t, s, all)); got != want {
				t.Errorf("Objects of concurrent envs:\n%s\nwant\n%s", got, want)
			}
		})
	}
	wg.Wait()
}

// testObjects checks the objects of docs in an env of s made of them.
func testObjects(t *testing.T, s *Schemas, docs string) error {
	objs := parse(t, "all.yaml", docs)
	e, err := s.Env("1.31.0", objs)
	return diag.Join(err, e.Objects("demo", objs))
}

// TestUnusedCRDSchemasNotKept: an env keeps the compiled schemas of the
// CRDs whose kind one of its objects is of, and only those (a chart's
// CRDs for kinds it does not use are most of what compiling keeps in
// memory); an object of the other kind checked later still has its CRD
// compiled, and refused as before. Either way the CRD object itself is
// checked as Env encoded it, and remembered clean.
func TestUnusedCRDSchemasNotKept(t *testing.T) {
	t.Parallel()
	crd := readObjects(t, "testdata/widget-crd.yaml")
	bad := strings.Replace(widget, "minReplicas: 1", "minReplicas: 5", 1)
	for _, tc := range []struct {
		name string
		objs []templates.Object
		kept int // CRDs compiled whole by Env
	}{
		{"no widget", crd, 0},
		{"a widget", append(append([]templates.Object{}, crd...), parse(t, "w.yaml", widget)...), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := NewSchemas()
			env, err := s.Env("1.31.0", tc.objs)
			if err != nil {
				t.Fatal(err)
			}
			s.mu.Lock()
			kept, checked := len(s.cache), len(s.verdicts)
			s.mu.Unlock()
			if kept != tc.kept || checked != 1 {
				t.Fatalf("Env compiled %d CRDs whole and checked %d, want %d and 1", kept, checked, tc.kept)
			}
			if len(env.encoded) != 1 {
				t.Fatalf("Env kept %d encodings, want the CRD's", len(env.encoded))
			}
			if err := env.Objects("demo", crd); err != nil {
				t.Fatalf("the CRD: %v", err)
			}
			if len(env.encoded) != 0 {
				t.Errorf("the CRD's encoding was not taken by its check")
			}
			if !s.wasClean(cleanKey{sum: encode(crd[0]).sum, kube: "1.31.0"}, false, CleanKey{}) {
				t.Errorf("the CRD was not remembered clean")
			}
			err = env.Objects("demo", parse(t, "w.yaml", bad))
			if err == nil || !strings.Contains(err.Error(), "minReplicas must not exceed maxReplicas") {
				t.Fatalf("got %v, want the widget's CEL rule", err)
			}
			if s.mu.Lock(); len(s.cache) != 1 {
				t.Errorf("%d CRDs compiled whole after the widget's check, want 1", len(s.cache))
			}
			s.mu.Unlock()
		})
	}
}
