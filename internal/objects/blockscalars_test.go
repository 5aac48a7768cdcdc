package objects

import (
	"bytes"
	"testing"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// written is what kiln's writer (kyaml's encoder, which yamlenc copies
// byte for byte) writes for {k: v} with v in style, and the value kyaml's
// reader (kiln's, and kustomize's in Flux) reads back from it; ok is false
// when it cannot read it.
func written(t *testing.T, v string, style kyaml.Style) (text, back string, ok bool) {
	t.Helper()
	doc := &kyaml.Node{Kind: kyaml.DocumentNode, Content: []*kyaml.Node{{Kind: kyaml.MappingNode, Content: []*kyaml.Node{
		{Kind: kyaml.ScalarNode, Value: "k"}, {Kind: kyaml.ScalarNode, Style: style, Value: v}}}}}
	var b bytes.Buffer
	e := kyaml.NewEncoder(&b)
	if err := e.Encode(doc); err != nil {
		t.Fatalf("%q: %v", v, err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := kyaml.Unmarshal(b.Bytes(), &m); err != nil {
		return b.String(), "", false
	}
	return b.String(), m["k"], true
}

// TestKeepBlockScalars: every string of a small alphabet (letters, spaces,
// tabs, line breaks), as a plain, literal or folded scalar, reads back as
// itself once restyled; and a restyled scalar is written otherwise only
// where the writer would have changed its value or made it unreadable.
func TestKeepBlockScalars(t *testing.T) {
	alphabet := []string{"a", " ", "\n", "\t", "\r\n", "\u2028"}
	var values []string
	var grow func(string, int)
	grow = func(prefix string, n int) {
		for _, c := range alphabet {
			values = append(values, prefix+c)
			if n > 1 {
				grow(prefix+c, n-1)
			}
		}
	}
	grow("", 5)
	values = append(values, "all(c,\n  c.x ||\n   c.y)\nend", "\tall:\n\tgo build\n", "a\n b\n\nc\n", "x\n y\n\n")
	restyled := 0
	for _, v := range values {
		for _, style := range []kyaml.Style{0, kyaml.LiteralStyle, kyaml.FoldedStyle} {
			before, _, okBefore := written(t, v, style)
			n := &kyaml.Node{Kind: kyaml.ScalarNode, Style: style, Value: v}
			changed := KeepBlockScalars(n)
			after, back, ok := written(t, v, n.Style)
			if !ok || back != v {
				t.Errorf("%q in style %v, written as\n%s: reads back as %q (readable %v)", v, style, after, back, ok)
			}
			if changed != (n.Style != style) {
				t.Errorf("%q in style %v: reported %v, style now %v", v, style, changed, n.Style)
			}
			if changed && okBefore && before != after {
				if _, backBefore, _ := written(t, v, style); backBefore == v {
					t.Errorf("%q in style %v: restyled to %v though it was written as itself:\n%s", v, style, n.Style, before)
				}
			}
			if changed {
				restyled++
			}
		}
	}
	if restyled == 0 {
		t.Fatal("no scalar restyled: the test checks nothing")
	}
}

// TestKeepBlockScalarsTree: scalars deep in an object are restyled, keys
// and quoted scalars are left alone, and a second pass changes nothing.
func TestKeepBlockScalarsTree(t *testing.T) {
	objs, err := Parse([]byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  cel: >-\n    all(c,\n      c.x)\n  ok: >\n    a\n    b\n  lit: |\n    x\n      y\n  q: \"\\tx\\ny\"\n"), "cm.yaml", 0)
	if err != nil {
		t.Fatal(err)
	}
	root := objs[0].Node.YNode()
	if !KeepBlockScalars(root) {
		t.Fatal("reported no change")
	}
	got, err := objs[0].Node.String()
	if err != nil {
		t.Fatal(err)
	}
	// ok's value is "a b\n": the empty line after it is the writer's, and
	// the chomping drops it.
	want := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  cel: |-\n    all(c,\n      c.x)\n  ok: >\n    a b\n\n  lit: |\n    x\n      y\n  q: \"\\tx\\ny\"\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if KeepBlockScalars(root) {
		t.Error("changed a tree already restyled")
	}
}
