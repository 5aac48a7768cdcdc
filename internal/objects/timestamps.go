package objects

import (
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// QuoteTimestamps double-quotes every plain scalar of n that YAML reads
// as a timestamp (2024-01-01, 2001-12-14 21:59:43.10), and says whether
// it changed one.
//
// Flux applies kiln's output through kustomize, whose YAML reader turns
// such a scalar into an RFC 3339 time: a label "released: 2024-01-01"
// reaches the cluster as "2024-01-01T00:00:00Z", which is no valid label
// value, and a ConfigMap entry changes its value. helm install and
// kubectl apply send the string as written, and so does kiln's
// validation. Quoted, the scalar is that same string for kustomize too,
// so the cluster gets what Helm would send and what kiln checked.
// (kustomize keeps annotation values as strings either way.)
func QuoteTimestamps(n *kyaml.Node) bool {
	if n == nil {
		return false
	}
	changed := false
	switch n.Kind {
	case kyaml.ScalarNode:
		if n.Style == 0 && maybeTimestamp(n.Value) && n.ShortTag() == "!!timestamp" {
			n.Tag, n.Style = "!!str", kyaml.DoubleQuotedStyle
			return true
		}
	case kyaml.DocumentNode, kyaml.SequenceNode, kyaml.MappingNode:
		for _, c := range n.Content {
			if QuoteTimestamps(c) {
				changed = true
			}
		}
	}
	return changed
}

// maybeTimestamp is a cheap test before YAML's own resolution: every
// timestamp form YAML reads starts with a four-digit year and a '-'.
func maybeTimestamp(s string) bool {
	if len(s) < 8 || s[4] != '-' {
		return false
	}
	for i := 0; i < 4; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
