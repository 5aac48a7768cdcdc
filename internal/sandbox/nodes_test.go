package sandbox

import (
	"bytes"
	"encoding/binary"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kiln-gitops/kiln/templates"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

func encodeNodes(roots ...*kyaml.Node) ([]byte, []uint64) {
	data, ids := writeNodes(roots)
	return []byte(data), ids
}

// TestNodesRoundTrip: node graphs come back equal, with aliases pointing at
// their anchor's node, nil content apart from empty content, and a node
// shared by two roots still one node.
func TestNodesRoundTrip(t *testing.T) {
	t.Parallel()
	a, err := kyaml.Parse(echoYAML[:len(echoYAML)-len("---\n- [1, 2.50, 0x1F, ~, true]")])
	if err != nil {
		t.Fatal(err)
	}
	b, err := kyaml.Parse("- [1, 2.50, 0x1F, ~, true]\n- {}\n- []\n- \"\\xff\"\n")
	if err != nil {
		t.Fatal(err)
	}
	odd := &kyaml.Node{Kind: kyaml.ScalarNode, Value: "\x00\xff", Line: -3, Column: 1 << 40, Content: []*kyaml.Node{}}
	shared := &kyaml.Node{Kind: kyaml.MappingNode, Content: []*kyaml.Node{odd, odd}}
	data, ids := encodeNodes(a.YNode(), b.YNode(), shared, shared)
	nodes, err := decodeNodes(string(data))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a.YNode(), nodes[ids[0]]); diff != "" {
		t.Errorf("first document (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(b.YNode(), nodes[ids[1]]); diff != "" {
		t.Errorf("second document (-want +got):\n%s", diff)
	}
	if got := kyaml.NewRNode(nodes[ids[0]]).MustString(); got != a.MustString() {
		t.Errorf("first document encodes as\n%s\nwant\n%s", got, a.MustString())
	}
	if ids[2] != ids[3] || nodes[ids[2]].Content[0] != nodes[ids[2]].Content[1] {
		t.Error("a node reached twice became two nodes")
	}
	if got := nodes[ids[2]].Content[0]; got.Content == nil || len(got.Content) != 0 || got.Line != -3 || got.Column != 1<<40 || got.Value != "\x00\xff" {
		t.Errorf("odd node came back as %+v", got)
	}
	name, _ := kyaml.NewRNode(nodes[ids[0]]).Pipe(kyaml.Lookup("metadata", "name"))
	alias, _ := kyaml.NewRNode(nodes[ids[0]]).Pipe(kyaml.Lookup("data", "copy"))
	if alias.YNode().Alias != name.YNode() {
		t.Error("the alias lost its anchor")
	}
	// Appending to one node's content leaves its neighbours alone.
	seq := nodes[ids[1]].Content[0]
	next := nodes[ids[1]].Content[1]
	seq.Content = append(seq.Content, &kyaml.Node{Kind: kyaml.ScalarNode, Value: "x"})
	if nodes[ids[1]].Content[1] != next {
		t.Error("an append to one node's content overwrote another's")
	}
}

// FuzzDecodeNodes: no byte string makes the decoder panic, and what it
// accepts it accepts with every reference in range.
func FuzzDecodeNodes(f *testing.F) {
	a, err := kyaml.Parse(echoYAML)
	if err != nil {
		f.Fatal(err)
	}
	data, _ := encodeNodes(a.YNode())
	f.Add(data)
	f.Add([]byte{})
	f.Add([]byte{0, 0})
	f.Add([]byte{1, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		nodes, err := decodeNodes(string(data))
		if err != nil {
			return
		}
		for _, n := range nodes {
			for _, c := range n.Content {
				if c == nil {
					t.Fatal("a nil child")
				}
			}
		}
	})
}

// TestDecodeNodesRefuses: truncated lists, references out of range and
// counts larger than the frame are errors, not panics or huge allocations.
func TestDecodeNodesRefuses(t *testing.T) {
	t.Parallel()
	a, err := kyaml.Parse(echoYAML)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := encodeNodes(a.YNode())
	for i := range len(data) {
		if _, err := decodeNodes(string(data[:i])); err == nil {
			t.Fatalf("a list cut at %d of %d bytes was read", i, len(data))
		}
	}
	for _, bad := range [][]byte{
		{0xff, 0xff, 0xff, 0xff, 0x0f, 0},             // 4 G nodes in 6 bytes
		{0, 0xff, 0xff, 0xff, 0xff, 0x0f},             // 4 G children
		{1, 1, 0, 0, 0, 0, 0, 1, 5, 0, 0, 0, 0, 0, 0}, // a child beyond the list
		{1, 0, 0, 0, 0, 0, 2, 3, 0, 0, 0, 0, 0, 0, 0}, // an alias beyond the list
		append(append([]byte{}, data...), 0),          // a byte too many
	} {
		if _, err := decodeNodes(string(bad)); err == nil {
			t.Errorf("%x was read", bad)
		}
	}
}

// FuzzUnmarshalResult: a render cache entry (what MarshalResult wrote, or
// anything else found under its name) decodes to a result or an error,
// never a panic or a hang, and a result re-encodes to what it was read from.
func FuzzUnmarshalResult(f *testing.F) {
	a, err := kyaml.Parse(echoYAML)
	if err != nil {
		f.Fatal(err)
	}
	res := &templates.Result{
		Objects: []templates.Object{{Node: a, File: "t.yaml", Line: 3}, {Raw: []byte("sops: {}\n")}},
		Inputs:  []string{"t.yaml"}, InputDigest: "sha256:00", Params: map[string]any{"n": 1, "s": []any{"x", 2.5}},
		Cacheable: true, Deps: []templates.Dep{{Kind: "file", Path: "t.yaml", Sum: "sha256:11"}},
	}
	data, err := MarshalResult(res)
	if err != nil {
		f.Fatal(err)
	}
	back, err := UnmarshalResult(data)
	if err != nil {
		f.Fatal(err)
	}
	if again, _ := MarshalResult(back); !bytes.Equal(again, data) {
		f.Fatal("a result does not survive MarshalResult and UnmarshalResult unchanged")
	}
	f.Add(data)
	f.Add(data[:len(data)/2])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := UnmarshalResult(data)
		if err != nil {
			return
		}
		if _, err := MarshalResult(res); err != nil {
			t.Fatalf("a decoded result does not encode: %v", err)
		}
	})
}

// TestForestNumberedAsMap: a parser's output, aliases included, is
// numbered without the map exactly as through it; a graph that reaches a
// node twice, or aliases a node outside it, is numbered through the map.
func TestForestNumberedAsMap(t *testing.T) {
	t.Parallel()
	a, err := kyaml.Parse(echoYAML[:len(echoYAML)-len("---\n- [1, 2.50, 0x1F, ~, true]")])
	if err != nil {
		t.Fatal(err)
	}
	b, err := kyaml.Parse("- [1, 2.50, 0x1F, ~, true]\n- {}\n- []\n")
	if err != nil {
		t.Fatal(err)
	}
	leaf := &kyaml.Node{Kind: kyaml.ScalarNode, Value: "x"}
	outside := &kyaml.Node{Kind: kyaml.ScalarNode, Value: "anchor", Anchor: "a"}
	for name, roots := range map[string][]*kyaml.Node{
		"forest":         {a.YNode(), b.YNode()},
		"shared node":    {a.YNode(), {Kind: kyaml.SequenceNode, Content: []*kyaml.Node{leaf, leaf}}},
		"shared root":    {b.YNode(), b.YNode()},
		"outside anchor": {{Kind: kyaml.SequenceNode, Content: []*kyaml.Node{{Kind: kyaml.AliasNode, Value: "a", Alias: outside}}}},
	} {
		e := &nodeEncoder{ids: map[*kyaml.Node]uint64{}}
		var want []uint64
		for _, r := range roots {
			want = append(want, e.add(r))
		}
		wantData := e.bytes()
		data, ids := writeNodes(roots)
		if data != wantData || !slices.Equal(ids, want) {
			t.Errorf("%s: numbered otherwise than through the map: ids %v, want %v", name, ids, want)
		}
		tree := &nodeEncoder{}
		_, forest := tree.numberTree(roots)
		if forest != (name == "forest") {
			t.Errorf("%s: numberTree says forest %v", name, forest)
		}
	}
}

// appendedBytes is what nodeEncoder.bytes wrote before it wrote in
// chunks: every field appended to one slice.
func appendedBytes(e *nodeEncoder) []byte {
	b := binary.AppendUvarint(nil, uint64(len(e.order)))
	b = binary.AppendUvarint(b, uint64(e.children))
	for i, n := range e.order {
		b = binary.AppendUvarint(b, uint64(n.Kind))
		b = binary.AppendUvarint(b, uint64(n.Style))
		b = binary.AppendVarint(b, int64(n.Line))
		b = binary.AppendVarint(b, int64(n.Column))
		var flags uint64
		if n.Content == nil {
			flags |= nodeContentNil
		}
		if n.Alias != nil {
			flags |= nodeHasAlias
		}
		b = binary.AppendUvarint(b, flags)
		if n.Alias != nil {
			b = binary.AppendUvarint(b, e.alias(n))
		}
		b = binary.AppendUvarint(b, uint64(len(n.Content)))
		for _, id := range e.kids[e.first[i] : e.first[i]+len(n.Content)] {
			b = binary.AppendUvarint(b, id)
		}
		for _, s := range [...]string{n.Tag, n.Value, n.Anchor, n.HeadComment, n.LineComment, n.FootComment} {
			b = binary.AppendUvarint(b, uint64(len(s)))
			b = append(b, s...)
		}
	}
	return b
}

// TestNodeBytesInChunks: writing the nodes chunk by chunk gives the bytes
// appending them to one slice gave, for strings on both sides of a
// chunk's end and of the size written directly, and for graphs many
// chunks long.
func TestNodeBytesInChunks(t *testing.T) {
	t.Parallel()
	a, err := kyaml.Parse(echoYAML)
	if err != nil {
		t.Fatal(err)
	}
	many := &kyaml.Node{Kind: kyaml.SequenceNode}
	for i := range 20000 {
		s := &kyaml.Node{Kind: kyaml.ScalarNode, Tag: "!!str", Value: strings.Repeat("v", i%300), Line: i * 7, Column: -i,
			HeadComment: strings.Repeat("#", i%5), Anchor: strings.Repeat("a", i%3)}
		many.Content = append(many.Content, s)
	}
	var long []*kyaml.Node
	for _, n := range []int{chunkSize/2 - 1, chunkSize / 2, chunkSize/2 + 1, chunkSize - 1, chunkSize, chunkSize + 1, 3*chunkSize + 5} {
		long = append(long, &kyaml.Node{Kind: kyaml.ScalarNode, Value: strings.Repeat("x", n), FootComment: strings.Repeat("y", n/2)})
	}
	wide := &kyaml.Node{Kind: kyaml.MappingNode}
	leaf := &kyaml.Node{Kind: kyaml.ScalarNode, Value: "k"}
	for range 3 * chunkSize {
		wide.Content = append(wide.Content, leaf) // one node, referred to 98,304 times
	}
	for name, roots := range map[string][]*kyaml.Node{
		"echo":        {a.YNode()},
		"many":        {many, a.YNode()},
		"long":        long,
		"long inside": {{Kind: kyaml.SequenceNode, Content: append(slices.Clone(long), many.Content[:50]...)}},
		"wide":        {wide},
		"none":        nil,
	} {
		for _, tree := range []bool{true, false} {
			e := &nodeEncoder{ids: map[*kyaml.Node]uint64{}}
			if tree {
				e.ids = nil
				if _, ok := e.numberTree(roots); !ok && name != "wide" {
					t.Fatalf("%s: not a forest", name)
				} else if !ok {
					continue
				}
			} else {
				for _, r := range roots {
					e.add(r)
				}
			}
			want := appendedBytes(e)
			if got := e.bytes(); got != string(want) {
				t.Errorf("%s (forest %v): %d bytes in chunks, %d appended; first difference at %d", name, tree, len(got), len(want), firstDiff(got, string(want)))
			}
		}
		data, _ := writeNodes(roots)
		if _, err := decodeNodes(data); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func firstDiff(a, b string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
