package objects_test

import (
	"fmt"
	"testing"

	"github.com/kiln-gitops/kiln/internal/limits"
	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/templates"
)

// parseSeeds are streams for FuzzParse and TestParseStringAsBytes: lists,
// an alias, a SOPS document (kept as its bytes), errors.
var parseSeeds = []string{
	"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
	"apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Secret, metadata: {name: s}}\n",
	"a: &a [x, x]\nb: [*a, *a]\n---\n",
	"apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  a: ENC[x]\nsops:\n  mac: ENC[m]\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  k: |\n    text",
	"kind: [\n",
	"apiVersion: 5\nkind: ConfigMap\nmetadata: {name: x}\n",
}

// FuzzParse: any bytes end in objects or an error, never a panic, and
// every object has a kind and a name; ParseCountedString reads the same
// text as ParseCounted.
func FuzzParse(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sameAsBytes(t, string(data))
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

// TestParseStringAsBytes: a string is parsed as its bytes are, objects,
// lines, raw SOPS text, counts and errors alike.
func TestParseStringAsBytes(t *testing.T) {
	for _, s := range parseSeeds {
		sameAsBytes(t, s)
	}
}

func sameAsBytes(t *testing.T, s string) {
	t.Helper()
	show := func(objs []objectsList, err error) string { return fmt.Sprint(objs, err) }
	cb := &limits.Counter{Input: "in.yaml", MaxNodes: 50}
	ob, eb := objects.ParseCounted([]byte(s), "in.yaml", 3, cb)
	cs := &limits.Counter{Input: "in.yaml", MaxNodes: 50}
	ostr, es := objects.ParseCountedString(s, "in.yaml", 3, cs)
	if b, str := show(list(ob), eb), show(list(ostr), es); b != str || fmt.Sprint(*cb) != fmt.Sprint(*cs) {
		t.Fatalf("%q: bytes give\n%s (%v)\nthe string\n%s (%v)", s, b, *cb, str, *cs)
	}
}

type objectsList struct {
	text, file string
	line       int
	raw        string
	rawNil     bool
}

func list(objs []templates.Object) []objectsList {
	var out []objectsList
	for _, o := range objs {
		out = append(out, objectsList{o.Node.MustString(), o.File, o.Line, string(o.Raw), o.Raw == nil})
	}
	return out
}
