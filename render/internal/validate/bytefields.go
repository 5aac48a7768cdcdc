package validate

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"sync"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/templates"
)

// errBytesNotString is the cause of the error about a []byte field whose
// value is not a string.
var errBytesNotString = errors.New("the value of a []byte field is not a base64 string")

// A []byte field of a built-in kind (a Secret's data, a ConfigMap's
// binaryData, a webhook's caBundle, a CSR's request) is a base64 string
// in the API. encoding/json, which the typed decode and the API server's
// create follow, also takes a list of numbers for it ([1, 2] is two
// bytes), and reports a list of anything else as a wrong element
// ("got string, want integer"); server-side apply, which Flux uses, types
// the field as a string of format byte and refuses any list. So every
// value of such a field that kiln writes as anything but a string (or
// null) is refused here, by its field and its YAML type, never its value.

// badBytes is a []byte field whose value is not a string.
type badBytes struct {
	path      string
	key, node *kyaml.Node
}

// bytesNotStrings returns the []byte fields below Go type t whose value in
// n is not a string, in document order.
func bytesNotStrings(n *kyaml.Node, t reflect.Type) []badBytes {
	var out []badBytes
	walkBytes(n, n, t, nil, &out)
	return out
}

func walkBytes(n, key *kyaml.Node, t reflect.Type, segs []string, out *[]badBytes) {
	for n.Kind == kyaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind == kyaml.DocumentNode {
		if len(n.Content) > 0 {
			walkBytes(n.Content[0], key, t, segs, out)
		}
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if !holdsBytes(t) {
		return
	}
	if isBytes(t) {
		if !jsonString(n) {
			*out = append(*out, badBytes{path: objects.JoinPath(segs), key: key, node: n})
		}
		return
	}
	child := func(s string) []string { return append(segs[:len(segs):len(segs)], s) }
	switch {
	case t.Kind() == reflect.Struct && n.Kind == kyaml.MappingNode:
		fields := jsonFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			if ft, ok := fields[n.Content[i].Value]; ok {
				walkBytes(n.Content[i+1], n.Content[i], ft, child(n.Content[i].Value), out)
			}
		}
	case t.Kind() == reflect.Map && n.Kind == kyaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			walkBytes(n.Content[i+1], n.Content[i], t.Elem(), child(n.Content[i].Value), out)
		}
	case (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) && n.Kind == kyaml.SequenceNode:
		for i, c := range n.Content {
			walkBytes(c, c, t.Elem(), child("["+strconv.Itoa(i)+"]"), out)
		}
	}
}

// jsonString reports whether kiln writes n as a JSON string or null.
func jsonString(n *kyaml.Node) bool {
	if n.Kind != kyaml.ScalarNode {
		return false
	}
	var e encoder
	if e.encode(n, nil) != nil {
		return true // refused as an encoding error
	}
	b := e.buf.Bytes()
	return len(b) > 0 && (b[0] == '"' || string(b) == "null")
}

// isBytes reports whether encoding/json decodes t as base64.
func isBytes(t reflect.Type) bool {
	return t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 && !customJSON(t)
}

func customJSON(t reflect.Type) bool {
	return t.Implements(unmarshaler) || reflect.PointerTo(t).Implements(unmarshaler)
}

// holdsBytesOf caches holdsBytes: a kind's Go type is walked once a run,
// and an object whose type holds no []byte field (most kinds) is not
// walked at all.
var holdsBytesOf sync.Map // reflect.Type → bool

// holdsBytes reports whether a value of t can hold a []byte field that
// encoding/json decodes (not one below a type that decodes itself).
func holdsBytes(t reflect.Type) bool {
	if v, ok := holdsBytesOf.Load(t); ok {
		return v.(bool)
	}
	h := holds(t, map[reflect.Type]bool{})
	holdsBytesOf.Store(t, h)
	return h
}

func holds(t reflect.Type, seen map[reflect.Type]bool) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if seen[t] || customJSON(t) {
		return false
	}
	if isBytes(t) {
		return true
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Struct:
		for _, ft := range jsonFields(t) {
			if holds(ft, seen) {
				return true
			}
		}
	case reflect.Map, reflect.Slice, reflect.Array:
		return holds(t.Elem(), seen)
	}
	return false
}

// bytesError is the error about b, a field of o.
func bytesError(o templates.Object, base diag.Error, b badBytes) error {
	d := base
	d.Err, d.Field, d.Line = errBytesNotString, b.path, o.LineOf(b.key)
	d.Msg = fmt.Sprintf("wrong type for field %q: got %s, want base64 string", b.path, yamlKind(b.node))
	d.Hint = "write the value as one base64 string (a Secret's data value as `echo -n VALUE | base64`, or the plain value under stringData): " +
		"the API server's server-side apply, which Flux uses, refuses anything else" + overlayNote(o, b.key)
	return &d
}

// yamlKind names what n is, never what it holds.
func yamlKind(n *kyaml.Node) string {
	switch n.Kind {
	case kyaml.SequenceNode:
		return "list"
	case kyaml.MappingNode:
		return "mapping"
	}
	switch n.ShortTag() {
	case "!!int", "!!float":
		return "number"
	case "!!bool":
		return "boolean"
	}
	return "a non-string value"
}
