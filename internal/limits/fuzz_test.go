package limits_test

import (
	"bytes"
	"testing"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/limits"
)

// FuzzCheckYAMLBytes: measuring any input ends, without a panic, in nil or
// an error; never by expanding what it measures. And the stream
// CheckYAMLBytes leaves unparsed (limits.WithinBoundsUnparsed) is one that
// the parsing check passes, and whose parse keeps the claims that decision
// rests on: no alias, at most NodesPerByte nodes per byte plus the
// documents, a document per three bytes after the first, and no document
// nested deeper than its indicator bytes plus two.
func FuzzCheckYAMLBytes(f *testing.F) {
	f.Add([]byte("a: &a [1, 2]\nb: [*a, *a]\n"))
	f.Add([]byte(bomb(9, 9)))
	f.Add([]byte("---\n---\n[[[[]]]]\n"))
	for _, s := range unparsedSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := limits.CheckYAMLBytes(data, "in.yaml")
		if !limits.WithinBoundsUnparsed(data) {
			return
		}
		if err != nil {
			t.Fatalf("left unparsed, yet: %v", err)
		}
		if err := limits.CheckYAMLParsed(data, "in.yaml"); err != nil {
			t.Fatalf("left unparsed, but parsing it says: %v", err)
		}
		checkUnparsedClaims(t, data)
	})
}

// unparsedSeeds pack many nodes or much nesting into few bytes.
var unparsedSeeds = []string{
	"{:,:,:,:}", "{?,?,?}", "{a,b,c,d}", "[a,b,c,d]", "- - - - -\n", "-\n-\n-\n-\n", "a:\nb:\nc:\n",
	"? \n: \n? \n: \n", "[[[[[[{}]]]]]]", "{a: {b: {c: [d]}}}", "--- \n--- \n--- \n", "...\n---\n...\n---\n",
	"!!map {? !!str : !!null }", "&a [&b {}, &c []]", "a: [1, {b: -c}]\n# - : ? [ {\n", "- ? - a\n  : - b\n",
}

func checkUnparsedClaims(t *testing.T, data []byte) {
	t.Helper()
	indicators := 0
	for _, b := range data {
		switch b {
		case '[', '{', '-', ':', '?':
			indicators++
		}
	}
	dec := kyaml.NewDecoder(bytes.NewReader(data))
	docs, nodes := 0, 0
	for {
		var doc kyaml.Node
		if dec.Decode(&doc) != nil {
			break // the end, or a syntax error: nothing after it is read
		}
		docs++
		n, height := measure(t, &doc)
		nodes += n
		if height > indicators+2 {
			t.Fatalf("a document %d nodes deep with %d indicator bytes in %q", height, indicators, data)
		}
	}
	if nodes > limits.NodesPerByte*len(data)+docs {
		t.Fatalf("%d nodes in %d documents of %d bytes %q", nodes, docs, len(data), data)
	}
	if docs > len(data)/3+1 {
		t.Fatalf("%d documents in %d bytes %q", docs, len(data), data)
	}
}

// measure counts n's nodes and the nodes on its longest path down.
func measure(t *testing.T, n *kyaml.Node) (nodes, height int) {
	t.Helper()
	if n.Kind == kyaml.AliasNode {
		t.Fatalf("an alias without '*'")
	}
	nodes = 1
	for _, c := range n.Content {
		cn, ch := measure(t, c)
		nodes += cn
		height = max(height, ch)
	}
	return nodes, height + 1
}
