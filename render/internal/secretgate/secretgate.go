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
	// found only in the written YAML (in a comment, say). A key that holds
	// a period (or a bracket, or is empty) is in brackets, as the API
	// server writes it: data[tls.crt], not data.tls.crt, the key crt of a
	// mapping tls.
	Field string
	// Node is where Field is: the key of a mapping's entry, an item of a
	// sequence; nil when Field is "".
	Node *kyaml.Node
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
	// The allowed values are blanked; their keys and everything else,
	// comments included, are still searched.
	node := allowed(obj, permit, nil)
	found := map[string]Finding{}
	walk(node.YNode(), "", nil, func(path, s string, at *kyaml.Node) {
		for _, n := range rd.Found(s) {
			if _, ok := found[n]; !ok {
				found[n] = Finding{Name: n, Field: path, Node: at}
			}
		}
	})
	text, err := node.String()
	if err != nil {
		return nil, err
	}
	for _, n := range rd.Found(text) {
		if _, ok := found[n]; !ok {
			found[n] = Finding{Name: n}
		}
	}
	if len(found) == 0 {
		return nil, nil
	}
	out := make([]Finding, 0, len(found))
	for _, f := range found {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// walk calls fn with every scalar of n (keys too), the path to it (Field)
// and the node it is at: a mapping's value is at its key, which is where
// a reader looks for it. Aliases are not followed: their anchor is walked
// where it stands. at is n's key, if any.
func walk(n *kyaml.Node, path string, at *kyaml.Node, fn func(path, s string, at *kyaml.Node)) {
	if at == nil {
		at = n
	}
	switch n.Kind {
	case kyaml.DocumentNode:
		for _, c := range n.Content {
			walk(c, path, nil, fn)
		}
	case kyaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			p := child(path, k.Value)
			fn(p, k.Value, k)
			walk(n.Content[i+1], p, k, fn)
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
			walk(c, path+"["+strconv.Itoa(i)+"]", nil, fn)
		}
		if len(numbers) == len(n.Content) && len(numbers) > 0 {
			fn(path, strings.Join(numbers, ","), at)
		}
	case kyaml.ScalarNode:
		fn(path, n.Value, at)
	}
}

// child is the path of key k below path: dotted, or in brackets as the
// API server's field paths write a map's key (data[tls.crt]) when a
// period, a bracket or nothing in k would make the dotted path read as
// another one.
func child(path, k string) string {
	switch {
	case k == "" || strings.ContainsAny(k, ".[]"):
		return path + "[" + k + "]"
	case path == "":
		return k
	}
	return path + "." + k
}

// allowed returns obj with the values permit allows blanked on a copy
// (their keys and everything else are kept), or obj itself when permit
// allows nothing of it. only, when not nil, narrows them to the entries
// of data or stringData (field) it reports true for.
func allowed(obj *kyaml.RNode, permit Permit, only func(field, key string) bool) *kyaml.RNode {
	if permit == nil || !IsSecret(obj) || !permit(obj) {
		return obj
	}
	node := obj.Copy()
	for _, f := range secretFields {
		m := node.Field(f)
		if m == nil || m.Value.YNode().Kind != kyaml.MappingNode {
			continue
		}
		content := m.Value.YNode().Content
		for i := 1; i < len(content); i += 2 {
			if only == nil || only(f, content[i-1].Value) {
				content[i] = &kyaml.Node{Kind: kyaml.ScalarNode, Value: ""}
			}
		}
	}
	return node
}

// Computed compares obj, rendered with the env's secret vars, with other,
// the same program's object rendered with other values of them, and
// returns the fields of obj whose values differ: values computed from a
// secret var in a way rd cannot recognise (a case change, a slice, a
// format of several). A field that differs in shape (a key, a list's
// length) counts too. What permit allows, and values rd finds (the gate's
// own findings, reported by Object), are left out; only, when not nil,
// narrows what permit allows to the entries of data or stringData (field)
// it reports true for (those SOPS encrypts). Name is empty in each.
func Computed(rd *redact.Redactor, obj, other *kyaml.RNode, permit Permit, only func(field, key string) bool) []Finding {
	var out []Finding
	var cmp func(a, b *kyaml.Node, path string, at *kyaml.Node)
	cmp = func(a, b *kyaml.Node, path string, at *kyaml.Node) {
		if at == nil {
			at = a
		}
		if a.Kind != b.Kind || len(a.Content) != len(b.Content) {
			out = append(out, Finding{Field: path, Node: at})
			return
		}
		switch a.Kind {
		case kyaml.ScalarNode:
			// The tag too: 1 and "1" differ, and a program can choose
			// between them by the secret.
			if (a.Value != b.Value || a.ShortTag() != b.ShortTag()) && len(rd.Found(a.Value)) == 0 {
				out = append(out, Finding{Field: path, Node: at})
			}
		case kyaml.DocumentNode:
			for i := range a.Content {
				cmp(a.Content[i], b.Content[i], path, nil)
			}
		case kyaml.SequenceNode:
			for i := range a.Content {
				cmp(a.Content[i], b.Content[i], path+"["+strconv.Itoa(i)+"]", nil)
			}
		case kyaml.MappingNode:
			for i := 0; i+1 < len(a.Content); i += 2 {
				k, ok := a.Content[i], b.Content[i]
				if k.Value != ok.Value {
					if len(rd.Found(k.Value)) == 0 {
						// The key is the computed value: the path names
						// it by its place, as HideSecretKeys does.
						p := path + "[(key " + strconv.Itoa(i/2+1) + " of " + strconv.Itoa(len(a.Content)/2) + " in sorted order)]"
						out = append(out, Finding{Field: p, Node: k})
					}
					continue
				}
				cmp(a.Content[i+1], b.Content[i+1], child(path, k.Value), k)
			}
		}
	}
	cmp(allowed(obj, permit, only).YNode(), allowed(other, permit, only).YNode(), "", nil)
	return out
}
