package render

import (
	"bytes"
	"testing"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/templates"
)

// TestRawsAsString: rawsOf writes each object as RNode.String does, in
// the objects' order, whatever the order the encodings finish in.
func TestRawsAsString(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	for i := range 40 {
		b.WriteString("# head\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c" + string(rune('a'+i%26)) + ", namespace: n}\n" +
			"data:\n  long: |\n    line one\n    line two\n  list: \"- a\"\n  anchor: &a x\n  alias: *a\n---\n")
	}
	objs, err := objects.Parse(b.Bytes(), "c.yaml", 0)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := kyaml.Parse("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: n # trailing\n")
	if err != nil {
		t.Fatal(err)
	}
	objs = append(objs, templates.Object{Node: doc}, templates.Object{Node: nil}, templates.Object{Node: kyaml.NewRNode(nil)},
		templates.Object{Node: doc, Raw: []byte("kept: as is\n")})
	raws := rawsOf(objs)
	for i, o := range objs {
		want, err := o.Node.String()
		if err != nil {
			t.Fatal(err)
		}
		if o.Raw != nil {
			want = string(o.Raw)
		}
		if raws[i].err != nil || string(raws[i].data) != want {
			t.Errorf("object %d: got %q (%v), want %q", i, raws[i].data, raws[i].err, want)
		}
	}
}
