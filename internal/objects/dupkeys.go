package objects

import (
	"strconv"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// DupKey is a mapping key written a second time.
type DupKey struct {
	// Path is the field path of the key ("spec.m.a", "items[0].x").
	Path string
	// Key is the second key.
	Key *kyaml.Node
}

// DuplicateKeys returns every key of n's mappings written a second time
// (the second one), as yaml.v3 compares keys: by value. kustomize build,
// which Flux runs on an app's folder, and kustomize-controller's SOPS
// decryption both refuse such a document. It allocates nothing for a
// node without one: every object kiln cannot check otherwise is walked.
func DuplicateKeys(n *kyaml.Node) []DupKey {
	var out []DupKey
	var path [32]segment // deeper paths grow it
	walkDuplicateKeys(n, path[:0], &out)
	return out
}

// segment is one step of a field path: a key (index < 0) or an index.
type segment struct {
	key   string
	index int
}

func walkDuplicateKeys(n *kyaml.Node, segs []segment, out *[]DupKey) {
	switch n.Kind {
	case kyaml.MappingNode:
		var seen map[string]bool // for large mappings only
		if len(n.Content) > 32 {
			seen = make(map[string]bool, len(n.Content)/2)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind == kyaml.ScalarNode && keyBefore(n.Content, i, seen) {
				*out = append(*out, DupKey{Path: fieldPath(append(segs, segment{key: k.Value, index: -1})), Key: k})
			}
			walkDuplicateKeys(n.Content[i+1], append(segs, segment{key: k.Value, index: -1}), out)
		}
	case kyaml.SequenceNode:
		for i, c := range n.Content {
			walkDuplicateKeys(c, append(segs, segment{index: i}), out)
		}
	case kyaml.DocumentNode:
		for _, c := range n.Content {
			walkDuplicateKeys(c, segs, out)
		}
	}
}

// keyBefore reports whether the scalar key content[i] is among the keys
// before it: by pairs for small mappings, through seen for large ones
// (seen then records content[i]).
func keyBefore(content []*kyaml.Node, i int, seen map[string]bool) bool {
	v := content[i].Value
	if seen != nil {
		dup := seen[v]
		seen[v] = true
		return dup
	}
	for j := 0; j < i; j += 2 {
		if content[j].Kind == kyaml.ScalarNode && content[j].Value == v {
			return true
		}
	}
	return false
}

func fieldPath(segs []segment) string {
	var b []byte
	for _, s := range segs {
		if s.index >= 0 {
			b = append(b, '[')
			b = strconv.AppendInt(b, int64(s.index), 10)
			b = append(b, ']')
			continue
		}
		if len(b) > 0 {
			b = append(b, '.')
		}
		b = append(b, s.key...)
	}
	return string(b)
}
