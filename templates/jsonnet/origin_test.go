package jsonnet

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	gojsonnet "github.com/google/go-jsonnet"

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
