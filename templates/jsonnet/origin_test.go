package jsonnet

import (
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	gojsonnet "github.com/google/go-jsonnet"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/templates"
)

// flattenSnippet evaluates src as the main file and flattens its output.
func flattenSnippet(t *testing.T, src string) []templates.Object {
	t.Helper()
	node, err := gojsonnet.SnippetToAST("main.jsonnet", src)
	if err != nil {
		t.Fatal(err)
	}
	out, err := gojsonnet.MakeVM().Evaluate(node)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := flatten([]byte(out), "main.jsonnet", node, New(Options{}).bounds)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// TestOrigin: each object of the output gets the line of the expression
// that built it in the main file, where the output follows the syntax
// tree; otherwise no line (0), never a wrong one.
func TestOrigin(t *testing.T) {
	t.Parallel()
	const cm = "{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'x'}}"
	for _, tt := range []struct {
		name, src string
		want      []int
	}{
		{name: "object literal", src: "\n" + cm, want: []int{2}},
		{name: "array of literals", src: "[\n" + cm + ",\n\n" + cm + "]", want: []int{2, 4}},
		{name: "object of objects, in key order", src: "{\n b: " + cm + ",\n a:\n  " + cm + "}", want: []int{4, 2}},
		{name: "through locals", src: "local a = \n" + cm + ";\nlocal b = a;\n[b, a]", want: []int{2, 2}},
		{name: "object local", src: "{\n local c = \n" + cm + ",\n x: c }", want: []int{3}},
		{name: "top-level function", src: "function(env='dev')\n  [\n" + cm + "]", want: []int{3}},
		{name: "call", src: "local f(n) = " + cm + ";\n[\n  f(1)]", want: []int{3}},
		{name: "call inline", src: "[\n  (function(n) " + cm + ")(1)]", want: []int{2}},
		{name: "conditional", src: "{\n  a:\n if true then " + cm + " else null }", want: []int{3}},
		{name: "conditional field name", src: "{\n  [if true then 'a']:\n " + cm + " }", want: []int{3}},
		{name: "computed field name", src: "{\n  [std.join('', ['a'])]:\n " + cm + " }", want: []int{0}},
		{name: "plus super", src: "{\n  a+:\n " + cm + " }", want: []int{3}},
		{name: "mixin below a literal", src: "{\n  a:\n " + cm + " + {}, }", want: []int{3}},
		{name: "mixin at the top", src: "{\n  a: " + cm + "} + {}", want: []int{0}},
		{name: "list kind", src: "{apiVersion: 'v1', kind: 'List', items: [\n" + cm + ",\n" + cm + "]}", want: []int{2, 3}},
		{name: "typed list kind", src: "{apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBindingList', items: [\n" + cm + ",\n" + cm + "]}", want: []int{2, 3}},
		{name: "nested arrays", src: "[[\n" + cm + "], [null,\n" + cm + "]]", want: []int{2, 3}},
		{name: "comprehension at the top", src: "[\n  " + cm + " for i in [1, 2]]", want: []int{0, 0}},
		{name: "comprehension in a field", src: "{\n a:\n [" + cm + " for i in [1, 2]]}", want: []int{3, 3}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			objs := flattenSnippet(t, tt.src)
			var got []int
			for _, o := range objs {
				got = append(got, o.Line)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
		})
	}
}

// TestOutputPath: each object records where it stands in the output, all
// that tells apart two objects one function built (same file, same line).
func TestOutputPath(t *testing.T) {
	t.Parallel()
	const cm = "{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'x'}}"
	for _, tt := range []struct {
		name, src string
		want      []string
	}{
		{name: "the output", src: cm, want: []string{""}},
		{name: "array", src: "[" + cm + ", null, " + cm + "]", want: []string{"[0]", "[2]"}},
		{name: "fields, in key order", src: "{b: " + cm + ", a: {c: " + cm + "}}", want: []string{"a.c", "b"}},
		{name: "odd key", src: "{'web-1': " + cm + "}", want: []string{`["web-1"]`}},
		{name: "list kind", src: "{x: {apiVersion: 'v1', kind: 'List', items: [" + cm + ", " + cm + "]}}", want: []string{"x.items[0]", "x.items[1]"}},
		{name: "one function", src: "local f(n) = " + cm + "; {web: f(1), worker: [f(2)]}", want: []string{"web", "worker[0]"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			objs := flattenSnippet(t, tt.src)
			var got []string
			for _, o := range objs {
				got = append(got, o.Path)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("paths (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFieldLines: each field of an object literal is at the line where
// its value is written, through nested literals, lists and locals; a
// field of a value an expression computed (an import's, a call's) is at
// the line where the expression starts; one whose name only evaluation
// knows is at the object's line. They were all at the object's `{`.
func TestFieldLines(t *testing.T) {
	t.Parallel()
	objs := flattenSnippet(t, `local params = {replicas: 1, image: 'web:1'};
local probe = {
  path: '/healthz',
};
{
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {name: 'web'},
  spec: {
    replicas:
      params.replicas,
    template: {
      spec: {
        containers: [
          {
            name: 'web',
            image: params.image,
            readinessProbe: {httpGet: probe},
            env: std.map(function(n) {name: n}, ['A']),
          },
        ],
        [std.join('', ['host', 'Network'])]: true,
      },
    },
  },
}
`)
	if len(objs) != 1 {
		t.Fatalf("%d objects, want 1", len(objs))
	}
	o := objs[0]
	for path, want := range map[string]int{
		"spec.replicas":                         11,
		"spec.template.spec.containers.0.image": 17,
		"spec.template.spec.containers.0.readinessProbe.httpGet.path": 3,
		"spec.template.spec.containers.0.env.0.name":                  19,
		"spec.template.spec.hostNetwork":                              5,
		"metadata.name":                                               8,
	} {
		n := o.Node.YNode()
		var key = n
		for _, seg := range strings.Split(path, ".") {
			if i, err := strconv.Atoi(seg); err == nil && n.Kind == kyaml.SequenceNode {
				n = n.Content[i]
				continue
			}
			for j := 0; j+1 < len(n.Content); j += 2 {
				if n.Content[j].Value == seg {
					key, n = n.Content[j], n.Content[j+1]
					break
				}
			}
		}
		if got := o.LineOf(key); got != want {
			t.Errorf("%s at line %d, want %d", path, got, want)
		}
	}
}
