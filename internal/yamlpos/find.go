package yamlpos

import (
	"encoding/base64"

	"gopkg.in/yaml.v3"
)

// Find returns the first node at or below n, depth first, that match
// takes (key: it is a mapping's key), following aliases once each (their
// targets are no keys), or nil.
func Find(n *yaml.Node, match func(n *yaml.Node, key bool) bool) *yaml.Node {
	seen := map[*yaml.Node]bool{}
	var find func(n *yaml.Node, key bool) *yaml.Node
	find = func(n *yaml.Node, key bool) *yaml.Node {
		if n == nil || seen[n] {
			return nil
		}
		seen[n] = true
		if match(n, key) {
			return n
		}
		if n.Kind == yaml.AliasNode {
			return find(n.Alias, false)
		}
		for i, c := range n.Content {
			if f := find(c, n.Kind == yaml.MappingNode && i%2 == 0); f != nil {
				return f
			}
		}
		return nil
	}
	return find(n, false)
}

// BadBinary returns the first !!binary scalar at or below n that is not
// base64, or nil: yaml.v2 and yaml.v3 refuse it with no line.
func BadBinary(n *yaml.Node) *yaml.Node {
	return Find(n, func(c *yaml.Node, _ bool) bool {
		if c.Kind != yaml.ScalarNode || c.ShortTag() != "!!binary" {
			return false
		}
		_, err := base64.StdEncoding.DecodeString(c.Value) // as both decode it
		return err != nil
	})
}
