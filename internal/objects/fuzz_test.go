package objects_test

import (
	"testing"

	"github.com/kiln-gitops/kiln/internal/objects"
)

// FuzzParse: any bytes end in objects or an error, never a panic, and
// every object has a kind and a name.
func FuzzParse(f *testing.F) {
	f.Add([]byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"))
	f.Add([]byte("apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Secret, metadata: {name: s}}\n"))
	f.Add([]byte("a: &a [x, x]\nb: [*a, *a]\n---\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, err := objects.Parse(data, "in.yaml", 0)
		if err != nil {
			return
		}
		for _, o := range objs {
			if o.Node.GetKind() == "" || o.Node.GetName() == "" {
				t.Fatalf("object without kind or name: %v", o.Node.MustString())
			}
		}
	})
}
