package objects

import (
	"strings"
	"testing"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/limits"
	"github.com/kiln-gitops/kiln/templates"
)

// TestResolveYAML11Bools: a plain scalar YAML 1.1 reads as a boolean is
// written as that boolean, a key as its text, as sigs.k8s.io/yaml (so
// helm install) reads them; what both YAML versions read alike, and
// quoted or tagged scalars, are left as written.
func TestResolveYAML11Bools(t *testing.T) {
	in := `apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
spec:
  a: yes
  b: On
  c: n
  d: OFF
  e: Y
  f: "yes"
  g: 'on'
  h: !!str no
  i: true
  j: yess
  k: 012
  l: |
    yes
  list: [y, no, "n", x]
  on: 1
  No: 2
  "y": 3
`
	want := `apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
spec:
  a: true
  b: true
  c: false
  d: false
  e: true
  f: "yes"
  g: 'on'
  h: !!str no
  i: true
  j: yess
  k: 012
  l: |
    yes
  list: [true, false, "n", x]
  "true": 1
  "false": 2
  "y": 3
`
	objs, err := Parse([]byte(in), "w.yaml", 0)
	if err != nil {
		t.Fatal(err)
	}
	if !ResolveYAML11Bools(objs[0].Node.YNode()) {
		t.Error("changed nothing")
	}
	if got := objs[0].Node.MustString(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	objs, err = Parse([]byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: \"yes\"\n"), "c.yaml", 0)
	if err != nil {
		t.Fatal(err)
	}
	if ResolveYAML11Bools(objs[0].Node.YNode()) {
		t.Error("changed a quoted scalar")
	}
}

// TestMergeKeysAsHelmAndKustomizeReadThem: a chart's output is read as
// helm install reads it (yaml.v2: pairs set in order, a merge key at its
// place, a list's first mapping winning), every other engine's as
// kustomize does (the mapping's own keys win); a merge key without an
// alias is expanded too, not refused. The helm column is what
// `helm template | sigs.k8s.io/yaml` gives.
func TestMergeKeysAsHelmAndKustomizeReadThem(t *testing.T) {
	const doc = `apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
spec:
  base: &b {x: 1, z: 1}
  other: &o {x: 7, w: 7, <<: *b}
  before: {x: 2, <<: *b}
  after: {<<: *b, x: 2}
  seq: {<<: [*b, {x: 5, q: 1}]}
  seq2: {<<: [{x: 5, q: 1}, *o]}
  seq3: {<<: [*o, {x: 5}]}
  inline: {a: 1, <<: {a: 2, b: 2}, b: 3}
  two: {<<: {a: 1, b: 1}, c: 0, <<: {a: 2}}
  nested: {<<: {in: {<<: {deep: 1}, deep: 2}}}
  list: [{<<: *b, x: 9}, {x: 9, <<: *o}]
`
	helm := map[string]string{
		"other":  `{"w":7,"x":1,"z":1}`,
		"before": `{"x":1,"z":1}`,
		"after":  `{"x":2,"z":1}`,
		"seq":    `{"q":1,"x":1,"z":1}`,
		"seq2":   `{"q":1,"w":7,"x":5,"z":1}`,
		"seq3":   `{"w":7,"x":1,"z":1}`,
		"inline": `{"a":2,"b":3}`,
		"two":    `{"a":2,"b":1,"c":0}`,
		"nested": `{"in":{"deep":2}}`,
		"list":   `[{"x":9,"z":1},{"w":7,"x":1,"z":1}]`,
	}
	objs, err := ParseHelmOutput(doc, "w.yaml", 0, &limits.Counter{})
	if err != nil {
		t.Fatal(err)
	}
	for field, want := range helm {
		if got := specField(t, objs[0], field); got != want {
			t.Errorf("helm: spec.%s = %s, want %s", field, got, want)
		}
	}

	// kustomize: the mapping's own keys win, wherever the merge key is.
	objs, err = Parse([]byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {x: \"2\", <<: {x: \"1\", y: \"1\"}}\n"), "c.yaml", 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := objs[0].Node.MarshalJSON(); !strings.Contains(string(got), `"data":{"x":"2","y":"1"}`) {
		t.Errorf("kustomize: got %s", got)
	}
	// A merged mapping with a merge key of its own: what `kustomize build`
	// gives (kiln refused it before).
	objs, err = Parse([]byte(`apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
spec:
  base: &b {x: 1, z: 1}
  other: &o {x: 7, w: 7, <<: *b}
  seq2: {<<: [{x: 5, q: 1}, *o]}
  l2: {x: 9, <<: *o}
`), "w.yaml", 0)
	if err != nil {
		t.Fatal(err)
	}
	// kiln's validation refuses a merge key left (JSON has none): a
	// merged mapping's own is expanded too.
	if hasMergeKey(objs[0].Node.YNode()) {
		t.Errorf("a merge key is left:\n%s", objs[0].Node.MustString())
	}
	for field, want := range map[string]string{
		"other": `{"w":7,"x":7,"z":1}`,
		"seq2":  `{"q":1,"w":7,"x":5,"z":1}`,
		"l2":    `{"w":7,"x":9,"z":1}`,
	} {
		if got := specField(t, objs[0], field); got != want {
			t.Errorf("kustomize: spec.%s = %s, want %s", field, got, want)
		}
	}
}

func specField(t *testing.T, o templates.Object, field string) string {
	t.Helper()
	v, err := o.Node.Pipe(kyaml.Lookup("spec", field))
	if err != nil || v == nil {
		t.Fatalf("spec.%s: %v", field, err)
	}
	b, err := v.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestHelmMergesShareNothing: what a merge key brings in is the merged
// mapping's own nodes until deAnchor copies them; after reading, a change
// to one place (CI's image tag, a patch) changes no other.
func TestHelmMergesShareNothing(t *testing.T) {
	doc := "apiVersion: v1\nkind: X\nmetadata: {name: x}\nspec:\n  src: &s {inner: {v: 1}}\n  a: {<<: *s}\n  b: {<<: *s, w: 2}\n"
	objs, err := ParseHelmOutput(doc, "x", 0, &limits.Counter{})
	if err != nil {
		t.Fatal(err)
	}
	v, err := objs[0].Node.Pipe(kyaml.Lookup("spec", "a", "inner", "v"))
	if err != nil {
		t.Fatal(err)
	}
	v.YNode().Value = "2"
	for _, field := range []string{"src", "b"} {
		if got := specField(t, objs[0], field); !strings.Contains(got, `"inner":{"v":1}`) {
			t.Errorf("spec.%s changed with spec.a: %s", field, got)
		}
	}
}
