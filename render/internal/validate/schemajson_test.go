package validate

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	apiextensionsinternal "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// TestReadSchemaAsConverted: readSchema reads every embedded built-in
// kind's schema, and reads it as the v1 decoding and conversion do, to
// the last default and enum value. A schema it does not read whole would
// be read the slow way: the test fails on that too, so that the speed
// does not go unnoticed when the generator changes.
func TestReadSchemaAsConverted(t *testing.T) {
	t.Parallel()
	b := &builtins{}
	b.load()
	if len(b.kinds) < 100 {
		t.Fatalf("%d embedded kinds", len(b.kinds))
	}
	for gvk, sp := range b.kinds {
		data := kindSchema(sp)
		got, ok := readSchema(data)
		if !ok {
			t.Errorf("%s: readSchema does not read it", gvk)
			continue
		}
		if want := convertSchema(gvk, data); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: readSchema reads it otherwise than the conversion", gvk)
		}
	}
}

// TestReadSchemaRefuses: what readSchema does not read as the v1
// decoding would, it leaves to it.
func TestReadSchemaRefuses(t *testing.T) {
	t.Parallel()
	for _, doc := range []string{
		`{"type":"object","description":"x"}`,
		`{"Type":"object"}`,
		`{"type":"object","default":null}`,
		`{"items":[{"type":"string"}]}`,
		`{"type":"object"} {}`,
		`{"type":"object",}`,
		`{"type":"string","enum":["a",]}`,
		`{"required":["a"`,
		`{"type":"str\ing"}`,
		`{"additionalProperties":1}`,
	} {
		if s, ok := readSchema([]byte(doc)); ok {
			t.Errorf("%s: read as %+v", doc, s)
		}
	}
}

// TestReadSchemaValues: what readSchema reads beyond the embedded schemas'
// usual spelling (space, escapes, numbers, booleans, empty lists) it reads
// as the conversion does.
func TestReadSchemaValues(t *testing.T) {
	t.Parallel()
	for _, doc := range []string{
		` { "type" : "object" , "properties" : { "a\"b" : { "type" : "string" , "enum" : [ "x\u00e9" , "y" ] } } } `,
		`{"type":"integer","default":3,"enum":[1,2.5,-3e2]}`,
		`{"type":"object","default":{"a":[true,false,{"b":"c"}]},"x-kubernetes-preserve-unknown-fields":false}`,
		`{"type":"object","additionalProperties":false,"required":[]}`,
		`{"type":"object","additionalProperties":true,"properties":{}}`,
		`{"type":"array","items":{"type":"string"},"x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["name","port"]}`,
		`{"x-kubernetes-int-or-string":true,"x-kubernetes-map-type":"atomic","format":"int-or-string"}`,
	} {
		got, ok := readSchema([]byte(doc))
		if !ok {
			t.Errorf("%s: not read", doc)
			continue
		}
		if want := convertSchema(schema.GroupVersionKind{}, []byte(doc)); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: read as %+v, converted to %+v", doc, got, want)
		}
	}
}

// TestShapedSchemasFindTheSame: a built-in object checked against its
// kind's schema read for the object's shape gets the errors the whole
// schema gives, and is defaulted the same, for the valid and invalid
// objects of testdata, the real sources and the built-in mutations
// (defaulted required fields included: a Deployment without a template
// still misses its containers). The schema read for a small object is a
// fraction of the whole.
func TestShapedSchemasFindTheSame(t *testing.T) {
	t.Parallel()
	objs := append(readObjects(t, "testdata/valid.yaml"), readObjects(t, "testdata/invalid.yaml")...)
	for _, source := range []string{"argo-cd", "cert-manager", "gateway-api", "kube-prometheus", "kubebuilder", "podinfo"} {
		objs = append(objs, readReal(t, source)...)
	}
	noTemplate := builtinDocs[:strings.Index(builtinDocs, "  template:\n")] + builtinDocs[strings.Index(builtinDocs, "status: {}\n"):]
	for _, doc := range []string{builtinDocs, noTemplate,
		strings.Replace(builtinDocs, "operator: Exists", "operator: Sometimes", 1),
		strings.Replace(builtinDocs, "            - containerPort: 8080\n", "            - hostPort: 8080\n", 1),
		"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec: {template: {spec: {containers: [{name: a, image: a, env: [{name: A, valueFrom: {}}]}]}}}\n",
		"apiVersion: v1\nkind: Pod\nmetadata: {name: a, labels: {a: b}}\nspec: {containers: [{name: a, ports: [{}], resources: {limits: {cpu: x}}}], volumes: [{name: v, configMap: {}}, {name: w, secret: {items: [{}]}}]}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {a: b}\n",
	} {
		objs = append(objs, parse(t, "b.yaml", doc)...)
	}
	checked := 0
	for _, o := range objs {
		gv, err := schema.ParseGroupVersion(o.Node.GetApiVersion())
		if err != nil {
			continue
		}
		gvk := gv.WithKind(o.Node.GetKind())
		b := &builtins{}
		if !b.has(gvk) {
			continue
		}
		enc := encode(o)
		if enc.err != nil {
			continue
		}
		input := func() map[string]any {
			var obj map[string]any
			if err := json.Unmarshal(enc.data, &obj); err != nil {
				t.Fatal(err)
			}
			builtinInput(obj)
			return obj
		}
		whole, shaped := input(), input()
		data := kindSchema(b.kinds[gvk])
		sh := shapeOf(shaped)
		wholeErrs := compileBuiltin(gvk, data, nil).validate(whole)
		shapedErrs := compileBuiltin(gvk, data, sh).validate(shaped)
		name := fmt.Sprintf("%s %s", gvk, o.Node.GetName())
		if got, want := errorTexts(shapedErrs), errorTexts(wholeErrs); !slices.Equal(got, want) {
			t.Errorf("%s: the shaped schema finds\n%s\nthe whole schema\n%s", name, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if !reflect.DeepEqual(shaped, whole) {
			t.Errorf("%s: defaulted otherwise by the shaped schema:\n%v\n%v", name, shaped, whole)
		}
		checked++
	}
	if checked < 50 {
		t.Fatalf("%d objects checked", checked)
	}
	b := &builtins{}
	b.load()
	data := kindSchema(b.kinds[schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}])
	obj := input(t, builtinDocs)
	whole, _ := readSchema(data)
	shaped, _ := readSchemaFor(data, shapeOf(obj))
	if n, all := schemaNodes(shaped), schemaNodes(whole); n*4 > all {
		t.Errorf("the schema read for a small Deployment has %d nodes of %d", n, all)
	}
}

// input is the first object of doc as the built-in checks see it.
func input(t *testing.T, doc string) map[string]any {
	t.Helper()
	enc := encode(parse(t, "b.yaml", doc)[0])
	var obj map[string]any
	if err := json.Unmarshal(enc.data, &obj); err != nil {
		t.Fatal(err)
	}
	builtinInput(obj)
	return obj
}

func schemaNodes(s *apiextensionsinternal.JSONSchemaProps) int {
	if s == nil {
		return 0
	}
	n := 1
	for _, p := range s.Properties {
		n += schemaNodes(&p)
	}
	if s.Items != nil {
		n += schemaNodes(s.Items.Schema)
	}
	if s.AdditionalProperties != nil {
		n += schemaNodes(s.AdditionalProperties.Schema)
	}
	return n
}

// TestShapedSchemasBounded: a kind's first objects get schemas read for
// their shape, one per shape; after maxShapes shapes or maxShaped objects
// the kind's whole schema, read once, is used.
func TestShapedSchemasBounded(t *testing.T) {
	t.Parallel()
	gvk := schema.GroupVersionKind{Group: "", Version: "v1", Kind: "ConfigMap"}
	for _, tc := range []struct {
		name   string
		doc    func(i int) string
		shaped int
	}{
		{"one shape", func(i int) string {
			return fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c%d}\ndata: {a: b}\n", i)
		}, 1},
		{"many shapes", func(i int) string {
			return fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {k%d: b}\n", i)
		}, maxShapes},
	} {
		b := &builtins{}
		for i := range maxShaped + 2 {
			if b.schemaOf(gvk, input(t, tc.doc(i))) == nil {
				t.Fatal("no schema")
			}
			k := b.cache[gvk]
			if wantWhole := i >= maxShaped || (tc.shaped == maxShapes && i >= maxShapes); (k.whole != nil) != wantWhole {
				t.Fatalf("%s: object %d: whole schema read: %v", tc.name, i, k.whole != nil)
			}
		}
		if got := len(b.cache[gvk].shaped); got != tc.shaped {
			t.Errorf("%s: %d shaped schemas, want %d", tc.name, got, tc.shaped)
		}
	}
}
