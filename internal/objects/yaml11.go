package objects

import (
	"slices"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// yaml11Bools are the plain scalars YAML 1.1 reads as booleans and YAML
// 1.2 (yaml.v3, so kyaml and kustomize) reads as strings. The spellings
// of true and false both read as booleans are not listed.
var yaml11Bools = map[string]bool{
	"y": true, "Y": true, "yes": true, "Yes": true, "YES": true,
	"on": true, "On": true, "ON": true,
	"n": false, "N": false, "no": false, "No": false, "NO": false,
	"off": false, "Off": false, "OFF": false,
}

// ResolveYAML11Bools writes every plain, untagged scalar of n that YAML
// 1.1 reads as a boolean (yes, on, n, Off, …) as the boolean it means
// there, true or false, a mapping key as the string "true" or "false";
// and says whether it changed one.
//
// Helm reads its rendered manifests with sigs.k8s.io/yaml, which is YAML
// 1.1: `helm install` and Flux's helm-controller send `enabled: yes` as
// the boolean true, and a key `on:` as "true". Flux applies kiln's files
// through kustomize, which reads YAML 1.2 and would send the string
// "yes". Written as the boolean, the scalar means to kustomize what it
// meant to Helm, and kiln validates what the cluster gets. Only a Helm
// chart's output needs it: kustomize and a yaml app's files are read by
// Flux as kiln reads them, and Jsonnet's output is JSON.
func ResolveYAML11Bools(n *kyaml.Node) bool {
	if n == nil {
		return false
	}
	changed := false
	switch n.Kind {
	case kyaml.ScalarNode:
		if b, ok := yaml11Bool(n); ok {
			n.Tag, n.Value = "!!bool", boolText(b)
			return true
		}
	case kyaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			// sigs.k8s.io/yaml turns a boolean key into its text.
			if b, ok := yaml11Bool(k); ok {
				k.Value, k.Style = boolText(b), kyaml.DoubleQuotedStyle
				changed = true
			} else if ResolveYAML11Bools(k) {
				changed = true
			}
			if ResolveYAML11Bools(n.Content[i+1]) {
				changed = true
			}
		}
	case kyaml.DocumentNode, kyaml.SequenceNode:
		for _, c := range n.Content {
			if ResolveYAML11Bools(c) {
				changed = true
			}
		}
	}
	return changed
}

func yaml11Bool(n *kyaml.Node) (value, ok bool) {
	if n.Kind != kyaml.ScalarNode || n.Style != 0 || n.ShortTag() != "!!str" {
		return false, false
	}
	b, ok := yaml11Bools[n.Value]
	return b, ok
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// yaml11Merges expands the merge keys (<<) of the mappings below n as
// sigs.k8s.io/yaml (yaml.v2) reads a chart's output in helm install:
// there a mapping's pairs are set in the order written, a merge key
// setting the pairs of what it merges at its place, the last of a list
// of merged mappings first, so that a merge key overrides the keys
// written before it (x: 2 then <<: *base gives base's x, where kyaml,
// after the YAML spec, keeps 2), a later merge key overrides an earlier
// one, and within a list the first mapping wins. What is merged is
// expanded first. Its nodes are shared, not copied: deAnchor, which runs
// next, copies every mapping's content as kyaml does, so that kiln's
// later changes to one place (an image tag) do not reach another, and a
// copy here would double the memory of a document of many merges.
// envconfig reads values files the same way. done marks the mappings
// expanded.
func yaml11Merges(n *kyaml.Node, done map[*kyaml.Node]bool) {
	if n == nil || done[n] {
		return
	}
	done[n] = true
	yaml11Merges(n.Alias, done)
	for _, x := range n.Content {
		yaml11Merges(x, done)
	}
	if n.Kind != kyaml.MappingNode || !slices.ContainsFunc(n.Content, isMergeKey) {
		return
	}
	var out []*kyaml.Node
	at := map[string]int{} // a key's position in out
	set := func(k, v *kyaml.Node) {
		id := keyID(k)
		if i, ok := at[id]; ok && id != "" {
			out[i], out[i+1] = k, v
			return
		}
		at[id] = len(out)
		out = append(out, k, v)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !isMergeKey(k) {
			set(k, v)
			continue
		}
		srcs := mergeSources(v)
		for j := len(srcs) - 1; j >= 0; j-- {
			src := derefAlias(srcs[j])
			if src == nil || src.Kind != kyaml.MappingNode {
				// Left for deAnchor, which refuses it as kustomize does.
				set(k, v)
				continue
			}
			for p := 0; p+1 < len(src.Content); p += 2 {
				set(src.Content[p], src.Content[p+1])
			}
		}
	}
	n.Content = out
}

// isMergeKey reports whether k is a merge key: a plain <<, not a quoted one.
func isMergeKey(k *kyaml.Node) bool {
	return k.Kind == kyaml.ScalarNode && k.Tag == kyaml.MergeTag
}

// keyID identifies a scalar key by its tag and text; other keys are
// never equal.
func keyID(k *kyaml.Node) string {
	if k.Kind != kyaml.ScalarNode {
		return ""
	}
	return k.ShortTag() + "\x00" + k.Value
}

// mergeSources lists what a merge key's value merges: a mapping or an
// alias, or each item of a list written there.
func mergeSources(v *kyaml.Node) []*kyaml.Node {
	if v.Kind == kyaml.SequenceNode {
		return v.Content
	}
	return []*kyaml.Node{v}
}

// derefAlias follows an alias chain; yaml.v3 refuses an alias cycle
// before this runs.
func derefAlias(n *kyaml.Node) *kyaml.Node {
	for i := 0; n != nil && n.Kind == kyaml.AliasNode && i < 64; i++ {
		n = n.Alias
	}
	if n != nil && n.Kind == kyaml.AliasNode {
		return nil
	}
	return n
}
