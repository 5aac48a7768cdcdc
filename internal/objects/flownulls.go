package objects

import (
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// KeepFlowNulls writes every empty null of a flow collection of n ({a: },
// [{a}], a key with no value) as "null", and says whether it changed one.
//
// yaml.v3's emitter, so kiln's writer, may not write an empty plain scalar
// inside a flow collection and falls back to quoting it: `{a: }` comes out
// as an empty single-quoted string, which kustomize in Flux reads as "".
// The cluster would get "" where kiln checked null (an unset field): a
// custom resource's value changes, and an integer field that kiln found
// unset is refused at apply. Written as null, it reads back as the null
// it was. In a block collection the emitter writes `a:` and needs nothing.
func KeepFlowNulls(n *kyaml.Node) bool {
	return walkScalars(n, false, keepFlowNull)
}

// keepFlowNull is KeepFlowNulls of one scalar, in a flow collection or
// not.
func keepFlowNull(n *kyaml.Node, flow bool) bool {
	if flow && n.Value == "" && n.Style == 0 && n.ShortTag() == "!!null" {
		n.Value = "null"
		return true
	}
	return false
}
