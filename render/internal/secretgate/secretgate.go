package secretgate

import (
	"sort"
	"strconv"
	"strings"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/redact"
)

// Permit reports whether obj may hold secret values in the values of its
// data and stringData fields. Only Secrets of apiVersion v1 can: a Permit
// is asked about those alone.
type Permit func(obj *kyaml.RNode) bool

// PlainSecrets permits every Secret: the env says allowPlainSecrets: true.
func PlainSecrets(*kyaml.RNode) bool { return true }

// Any permits an object when one of ps does (for instance, allowed in
// plain text, or about to be encrypted).
func Any(ps ...Permit) Permit {
	return func(obj *kyaml.RNode) bool {
		for _, p := range ps {
			if p != nil && p(obj) {
				return true
			}
		}
		return false
	}
}

// Finding is one secret var found in an object.
type Finding struct {
	// Name is the secret var's name. Never its value.
	Name string
	// Field is the dotted path of the first field holding it
	// ("spec.template.spec.containers[0].env[1].value"), or "" when it was
	// found only in the written YAML (in a comment, say).
	Field string
}

// IsSecret reports whether obj is a core v1 Secret, the only kind whose
// data a Permit can allow.
func IsSecret(obj *kyaml.RNode) bool {
	return obj.GetApiVersion() == "v1" && obj.GetKind() == "Secret"
}

// secretFields are the fields of a Secret whose values a Permit allows.
var secretFields = []string{"data", "stringData"}

// Object returns the secret vars found in obj outside what permit allows,
// sorted by name; nil when there are none. permit may be nil: nothing is
// allowed.
func Object(rd *redact.Redactor, obj *kyaml.RNode, permit Permit) ([]Finding, error) {
	if rd.Empty() {
		return nil, nil
	}
	node := obj
	if permit != nil && IsSecret(obj) && permit(obj) {
		// Blank the allowed values on a copy; their keys and everything
		// else, comments included, are still searched.
		node = obj.Copy()
		for _, f := range secretFields {
			m := node.Field(f)
			if m == nil || m.Value.YNode().Kind != kyaml.MappingNode {
				continue
			}
			content := m.Value.YNode().Content
			for i := 1; i < len(content); i += 2 {
				content[i] = &kyaml.Node{Kind: kyaml.ScalarNode, Value: ""}
			}
		}
	}
	found := map[string]string{}
	walk(node.YNode(), "", func(path, s string) {
		for _, n := range rd.Found(s) {
			if _, ok := found[n]; !ok {
				found[n] = path
			}
		}
	})
	text, err := node.String()
	if err != nil {
		return nil, err
	}
	for _, n := range rd.Found(text) {
		if _, ok := found[n]; !ok {
			found[n] = ""
		}
	}
	if len(found) == 0 {
		return nil, nil
	}
	out := make([]Finding, 0, len(found))
	for n, p := range found {
		out = append(out, Finding{Name: n, Field: p})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// walk calls fn with every scalar of n (keys too) and the dotted path to it.
// Aliases are not followed: their anchor is walked where it stands.
func walk(n *kyaml.Node, path string, fn func(path, s string)) {
	switch n.Kind {
	case kyaml.DocumentNode:
		for _, c := range n.Content {
			walk(c, path, fn)
		}
	case kyaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			p := k.Value
			if path != "" {
				p = path + "." + k.Value
			}
			fn(p, k.Value)
			walk(n.Content[i+1], p, fn)
		}
	case kyaml.SequenceNode:
		// A list of numbers (jsonnet's std.encodeUTF8 of a string) is
		// searched as one text, where the redactor reads a run of byte
		// values as the string it spells, so the field is named.
		numbers := make([]string, 0, len(n.Content))
		for i, c := range n.Content {
			if c.Kind == kyaml.ScalarNode && c.Value != "" && strings.Trim(c.Value, "0123456789") == "" {
				numbers = append(numbers, c.Value)
			}
			walk(c, path+"["+strconv.Itoa(i)+"]", fn)
		}
		if len(numbers) == len(n.Content) && len(numbers) > 0 {
			fn(path, strings.Join(numbers, ","))
		}
	case kyaml.ScalarNode:
		fn(path, n.Value)
	}
}
