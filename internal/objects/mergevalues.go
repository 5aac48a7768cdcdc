package objects

import kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

// PlainMergeValues retags each plain "<<" in n's tree that is no mapping's
// key as the string it is, and reports whether there was one. yaml.v3
// tags every plain "<<" it reads !!merge, a value too, but resolves "<<"
// as a string when it writes: kyaml's encoder then spells the tag out,
// `key: !!merge <<`, where `kustomize build` (which writes through JSON)
// and `helm template` write `key: <<`. The value is the string "<<" either
// way; only the bytes differed from the reference programs'. A merge key
// itself is no concern here: kiln expands merge keys when it reads a
// document, and refuses a "<<" key that is left.
func PlainMergeValues(n *kyaml.Node) bool {
	if n == nil {
		return false
	}
	switch n.Kind {
	case kyaml.ScalarNode:
		if isMergeTag(n.Tag) {
			// An explicit `!!merge <<` too: kustomize build writes `<<`.
			n.Tag, n.Style = kyaml.NodeTagString, n.Style&^kyaml.TaggedStyle
			return true
		}
	case kyaml.MappingNode:
		changed := false
		for i := 1; i < len(n.Content); i += 2 {
			changed = PlainMergeValues(n.Content[i]) || changed
		}
		return changed
	case kyaml.DocumentNode, kyaml.SequenceNode:
		changed := false
		for _, c := range n.Content {
			changed = PlainMergeValues(c) || changed
		}
		return changed
	}
	return false
}

func isMergeTag(tag string) bool { return tag == kyaml.MergeTag || tag == "tag:yaml.org,2002:merge" }
