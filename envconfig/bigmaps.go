package envconfig

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// chunkPairs is how many key-value pairs splitLargeMappings leaves in one
// mapping.
const chunkPairs = 128

// splitLargeMappings rewrites each large mapping under n, a copy of an
// env file's nodes about to be decoded with yaml.v3, into a merge of
// mappings of chunkPairs pairs each, which decodes to the same map.
//
// Why: yaml.v3's Node.Decode checks a mapping's keys for duplicates by
// comparing every key with every later one. kiln bounds an env file to
// limits.FileSize, but a values mapping of 50,000 keys (1.4 MB) took three
// minutes to decode, and one of a million keys would take hours; Helm,
// whose reader does not check, reads the same file as a values file at
// once. The duplicates are checked here instead, in one pass with a map,
// and reported as yaml.v3 reports them.
//
// Only mappings whose decoding the rewrite cannot change are split: no
// merge key and no "<<" key, and only string keys (so the map is a
// map[string]any either way). An anchored mapping merged into another
// through an alias decodes the same split: yaml.v3 hands the keys the
// other mapping set to the merge of the chunks too. The others decode as
// before.
func splitLargeMappings(n *yaml.Node) error {
	seen := map[*yaml.Node]bool{}
	var walk func(n *yaml.Node) error
	walk = func(n *yaml.Node) error {
		if n == nil || seen[n] {
			return nil
		}
		seen[n] = true
		for _, c := range n.Content {
			if err := walk(c); err != nil {
				return err
			}
		}
		if n.Kind != yaml.MappingNode || len(n.Content) <= 2*chunkPairs {
			return nil
		}
		first := make(map[string]int, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" || k.Value == "<<" {
				return nil
			}
			if line, dup := first[k.Value]; dup {
				// yaml.v3's own words for it.
				return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: mapping key %#v already defined at line %d", k.Line, k.Value, line)}}
			}
			first[k.Value] = k.Line
		}
		var chunks []*yaml.Node
		for i := 0; i < len(n.Content); i += 2 * chunkPairs {
			end := min(i+2*chunkPairs, len(n.Content))
			chunks = append(chunks, &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Content[i].Line, Column: n.Content[i].Column,
				Content: n.Content[i:end:end]})
		}
		merge := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!merge", Value: "<<", Line: n.Line, Column: n.Column}
		n.Content = []*yaml.Node{merge, {Kind: yaml.SequenceNode, Tag: "!!seq", Line: n.Line, Column: n.Column, Content: chunks}}
		return nil
	}
	return walk(n)
}

// decodeLinear decodes n, a copy kiln made of an env file's nodes, into
// v as n.Decode does, in time linear in the mappings' sizes
// (splitLargeMappings).
func decodeLinear(n *yaml.Node, v any) error {
	if err := splitLargeMappings(n); err != nil {
		return err
	}
	return n.Decode(v)
}
