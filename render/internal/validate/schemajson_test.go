package validate

import (
	"reflect"
	"testing"

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
