package scope

import (
	"fmt"
	"reflect"
	"testing"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// TestAppendNamespaceAsSetNamespace is the differential test of SetDefault's
// fast path: on objects of every shape and namespaces YAML 1.1 reads as
// other than strings, appendNamespace either leaves the object alone and
// says so, or changes it exactly as kyaml's SetNamespace does, node for
// node (styles, tags, positions and comments included).
func TestAppendNamespaceAsSetNamespace(t *testing.T) {
	t.Parallel()
	objects := []struct {
		name string
		yaml string
		fast bool // appendNamespace takes it
	}{
		{"block", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels: {x: y}\ndata: {k: v}\n", true},
		{"flow", "{apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n", true},
		{"empty metadata", "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n", true},
		{"comments", "# head\napiVersion: v1 # line\nkind: ConfigMap\nmetadata: # meta\n  name: a # name\n  # foot\n", true},
		{"tagged map", "apiVersion: v1\nkind: ConfigMap\nmetadata: !!map\n  name: a\n", true},
		{"metadata first", "metadata:\n  name: a\napiVersion: v1\nkind: ConfigMap\n", true},
		{"metadata twice", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nmetadata: {name: b}\n", true},
		{"no metadata", "apiVersion: v1\nkind: ConfigMap\ndata: {k: v}\n", false},
		{"null metadata", "apiVersion: v1\nkind: ConfigMap\nmetadata: null\n", false},
		{"tilde metadata", "apiVersion: v1\nkind: ConfigMap\nmetadata: ~\n", false},
		{"empty metadata value", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n", false},
		{"list metadata", "apiVersion: v1\nkind: ConfigMap\nmetadata: [a]\n", false},
		{"scalar metadata", "apiVersion: v1\nkind: ConfigMap\nmetadata: a\n", false},
		{"empty namespace", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: \"\"}\n", false},
		{"null namespace", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: null}\n", false},
		{"bare namespace", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace:\n", false},
		{"alias metadata", "apiVersion: v1\nkind: ConfigMap\nx: &m {name: a}\nmetadata: *m\n", false},
		{"anchored metadata", "apiVersion: v1\nkind: ConfigMap\nmetadata: &m {name: a}\ny: *m\n", true},
		{"merge key", "apiVersion: v1\nkind: ConfigMap\nx: &m {name: a}\nmetadata:\n  <<: *m\n  labels: {}\n", false},
		{"merge into object", "x: &m {metadata: {name: a}}\n<<: *m\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n", false},
		{"null object", "null\n", false},
		{"list object", "- a\n", false},
	}
	namespaces := []string{"apps", "ns-1", "yes", "no", "on", "off", "y", "n", "true", "null", "1", "0x1f", "1e3", "0b11", "1_000", "12:30", "-1", ".inf", "~"}
	var fast int
	for _, o := range objects {
		for _, ns := range namespaces {
			for _, doc := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%s/document=%v", o.name, ns, doc), func(t *testing.T) {
					want, got := parseNode(t, o.yaml, doc), parseNode(t, o.yaml, doc)
					_ = want.SetNamespace(ns)
					took := appendNamespace(got, ns, kyaml.IsValueNonString(ns))
					if took != o.fast {
						t.Errorf("appendNamespace took the object: %v, want %v", took, o.fast)
					}
					if !took {
						// Unchanged: SetDefault leaves it to SetNamespace.
						if !reflect.DeepEqual(got.Document(), parseNode(t, o.yaml, doc).Document()) {
							t.Fatalf("appendNamespace changed an object it did not take:\n%s", got.MustString())
						}
						_ = got.SetNamespace(ns)
					} else {
						fast++
					}
					if !reflect.DeepEqual(want.Document(), got.Document()) {
						t.Errorf("nodes differ\nSetNamespace:\n%s\nappendNamespace:\n%s", want.MustString(), got.MustString())
					}
					if w, g := want.MustString(), got.MustString(); w != g {
						t.Errorf("SetNamespace:\n%s\nappendNamespace:\n%s", w, g)
					}
				})
			}
		}
	}
	if fast == 0 {
		t.Error("appendNamespace took no object")
	}
}

// parseNode parses one YAML document as objects.Parse hands objects over
// (the document's content), or as its document node when doc is set.
func parseNode(t *testing.T, data string, doc bool) *kyaml.RNode {
	t.Helper()
	n, err := kyaml.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if doc {
		return kyaml.NewRNode(&kyaml.Node{Kind: kyaml.DocumentNode, Content: []*kyaml.Node{n.YNode()}})
	}
	return n
}

// TestSetDefaultQuotesAsKyaml checks SetDefault end to end on a namespace
// YAML 1.1 reads as a boolean: quoted, as kyaml quotes it.
func TestSetDefaultQuotesAsKyaml(t *testing.T) {
	t.Parallel()
	objs := parse(t, "a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n")
	New().SetDefault(objs, "yes")
	if got, want := objs[0].Node.MustString(), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: \"yes\"}\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := objs[1].Node.GetNamespace(); got != "" {
		t.Errorf("cluster-scoped Namespace got namespace %q", got)
	}
}

// TestQuotedNamespaceAsKyaml: the remembered answer is kyaml's, the first
// time and every time after.
func TestQuotedNamespaceAsKyaml(t *testing.T) {
	t.Parallel()
	s := New()
	for _, ns := range []string{"apps", "yes", "No", "on", "1", "0x1f", "1e3", "null", "~", "true", "a:b", "12:30"} {
		want := kyaml.IsValueNonString(ns)
		for range 2 {
			if got := s.quotedNamespace(ns); got != want {
				t.Errorf("%q: %v, kyaml says %v", ns, got, want)
			}
		}
	}
}
