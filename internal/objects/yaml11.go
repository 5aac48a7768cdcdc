package objects

import (
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
