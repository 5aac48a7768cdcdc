package validate

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

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
		got := fmt.Sprint(checkMeta("demo", o, gvk))

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
			want = fmt.Sprint(metaErrors("demo", o, gvk, &obj.Metadata))
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
