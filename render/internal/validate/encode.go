package validate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/templates"
)

// encoder writes a YAML node tree as JSON, directly: unlike going through
// a map (RNode.MarshalJSON), it keeps duplicate keys, so that strict
// decoding can report them, and it can remember where each field went.
type encoder struct {
	buf bytes.Buffer
	// index, when not nil, maps each field path ("spec.containers[0].image",
	// the format of sigs.k8s.io/json's strict errors) to where it is.
	index map[string]*field
	// values lists the JSON span of every field value, for type errors,
	// which give a byte offset rather than a path.
	values []*field
	// nulls lists field paths to write as null: values already reported.
	nulls map[string]bool
	// depth counts the mappings being written, 0 outside the object's.
	depth int
}

// field is one mapping entry of the YAML.
type field struct {
	path       string
	segments   []string // path split into keys and "[i]"
	key, value *kyaml.Node
	dup        *kyaml.Node // a second key with the same path, if any
	start, end int         // the value's bytes in the JSON
}

// errMergeKey is returned for YAML that JSON cannot express as written.
var errMergeKey = errors.New("YAML merge keys (<<) are not supported in Kubernetes objects")

func (e *encoder) encode(n *kyaml.Node, segs []string) error {
	for n.Kind == kyaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch n.Kind {
	case kyaml.DocumentNode:
		if len(n.Content) == 0 {
			e.buf.WriteString("null")
			return nil
		}
		return e.encode(n.Content[0], segs)
	case kyaml.MappingNode:
		e.buf.WriteByte('{')
		top := e.depth == 0
		e.depth++
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			for k.Kind == kyaml.AliasNode && k.Alias != nil {
				k = k.Alias
			}
			if k.Kind == kyaml.ScalarNode && k.Value == "<<" && k.ShortTag() == "!!merge" {
				return errMergeKey
			}
			// A key "<<" that is a string (quoted, tagged !!str, or from
			// jsonnet) is a merge key to kustomize build all the same: it
			// leaves it out, value and all, at any depth, and kiln's
			// writer would write it as a plain << that merges its value
			// into the mapping.
			if k.Kind == kyaml.ScalarNode && k.Value == "<<" {
				return &tagError{node: k, path: objects.JoinPath(append(segs[:len(segs):len(segs)], k.Value)), key: true, merge: true}
			}
			// kustomize build reads each object into a map with yaml.v3's
			// decoder, which makes a mapping below the top whose keys are
			// not all strings a map[interface{}]interface{}, and JSON
			// cannot hold that: the build fails, and Flux applies none of
			// the app. A key that is no scalar fails at any depth.
			if k.Kind != kyaml.ScalarNode {
				return &tagError{node: k, path: objects.JoinPath(segs), key: true}
			}
			if tag := k.ShortTag(); !top && tag != "!!str" {
				return &tagError{node: k, path: objects.JoinPath(append(segs[:len(segs):len(segs)], k.Value)), tag: tag, key: true}
			}
			if c, ok := buildRefuses(k.Value); ok {
				if strings.Contains(k.Value, nel) {
					return &tagError{node: k, path: objects.JoinPath(segs), nelKey: true}
				}
				return &tagError{node: k, path: objects.JoinPath(segs), char: c, key: true}
			}
			if i > 0 {
				e.buf.WriteByte(',')
			}
			writeString(&e.buf, k.Value)
			e.buf.WriteByte(':')
			var f *field
			child := segs
			if e.index != nil {
				child = append(segs[:len(segs):len(segs)], k.Value)
				p := objects.JoinPath(child)
				if old, ok := e.index[p]; ok {
					if old.dup == nil {
						old.dup = k
					}
				} else {
					f = &field{path: p, segments: child, key: k, value: v, start: e.buf.Len()}
					e.index[p] = f
				}
			}
			if e.nulls[objects.JoinPath(child)] {
				e.buf.WriteString("null")
			} else if err := e.encode(v, child); err != nil {
				return err
			}
			if f != nil {
				f.end = e.buf.Len()
				e.values = append(e.values, f)
			}
		}
		e.depth--
		e.buf.WriteByte('}')
	case kyaml.SequenceNode:
		e.buf.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				e.buf.WriteByte(',')
			}
			child := segs
			if e.index != nil {
				child = append(segs[:len(segs):len(segs)], "["+strconv.Itoa(i)+"]")
				// Index the element too, so an error about a whole
				// element (a duplicate list-map key) finds its line.
				if p := objects.JoinPath(child); e.index[p] == nil {
					e.index[p] = &field{path: p, segments: child, key: c, value: c}
				}
			}
			if err := e.encode(c, child); err != nil {
				return err
			}
		}
		e.buf.WriteByte(']')
	case kyaml.ScalarNode:
		return e.scalar(n, segs)
	default:
		e.buf.WriteString("null")
	}
	return nil
}

// scalar writes a scalar with the type YAML 1.2 (yaml.v3) resolves it to,
// or, for an explicit tag that changes what the value is, with the value
// kustomize build gives it (taggedScalar).
func (e *encoder) scalar(n *kyaml.Node, segs []string) error {
	v := n.Value
	if n.Style&kyaml.TaggedStyle != 0 {
		switch tag := n.ShortTag(); tag {
		case "!!null", "!!bool", "!!int", "!!float", "!!timestamp", "!!binary":
			if tag == "!!float" && nonFinite(strings.ReplaceAll(v, "_", "")) {
				return &tagError{node: n, path: objects.JoinPath(segs), tag: tag, nonFinite: true}
			}
			j, ok := taggedScalar(n)
			if !ok {
				return &tagError{node: n, path: objects.JoinPath(segs), tag: tag}
			}
			e.buf.Write(j)
			return nil
		}
	}
	switch n.ShortTag() {
	case "!!null":
		e.buf.WriteString("null")
		return nil
	case "!!bool":
		if b, err := strconv.ParseBool(strings.ToLower(v)); err == nil {
			e.buf.WriteString(strconv.FormatBool(b))
			return nil
		}
	case "!!int":
		if i, err := strconv.ParseInt(v, 0, 64); err == nil {
			e.buf.WriteString(strconv.FormatInt(i, 10))
			return nil
		}
		if u, err := strconv.ParseUint(strings.TrimPrefix(v, "+"), 0, 64); err == nil {
			e.buf.WriteString(strconv.FormatUint(u, 10))
			return nil
		}
	case "!!float":
		s := strings.ReplaceAll(v, "_", "")
		if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			// As kustomize build writes it (encoding/json), which is what
			// the API server decodes: whole digits below 1e21. Helm prints
			// a large number from values as 1.00068e+09, and an int field
			// takes the 1000680000 the cluster gets, not an exponent.
			j, _ := json.Marshal(f)
			e.buf.Write(j)
			return nil
		}
		if nonFinite(s) {
			// kustomize build reads .inf as a float, which JSON cannot
			// hold: it fails ("json: unsupported value"), and with it the
			// app's Flux Kustomization.
			return &tagError{node: n, path: objects.JoinPath(segs), tag: "!!float", nonFinite: true}
		}
	}
	if c, ok := buildRefuses(v); ok {
		if strings.Contains(v, nel) {
			return &tagError{node: n, path: objects.JoinPath(segs), nel: true}
		}
		return &tagError{node: n, path: objects.JoinPath(segs), char: c}
	}
	writeString(&e.buf, v)
	return nil
}

// buildRefuses returns the first character of s on which kustomize build,
// which Flux runs on the app's folder, fails or which it changes: U+0085
// (nel, below), U+007F (delete), the other C1 controls U+0080 to U+009F,
// and the noncharacters U+FFFE and U+FFFF. The first is an error of its
// own (a line break to Flux's reader). The others kiln writes escaped
// ("\x7F"), which kustomize reads; but it makes its output through JSON
// (Resource.AsYAML), and encoding/json leaves these characters as they
// are, so the YAML reader of that JSON meets them raw and refuses them
// ("yaml: control characters are not allowed"), quoting the whole object:
// Flux applies none of the app. The other C0 controls survive, since
// encoding/json escapes them. A C1 control is often a Windows-1252 byte
// (a curly quote, 0x93) decoded as Latin-1. s is UTF-8, in which 0xC2 and
// 0xEF only start a character.
//
// Every string of every object passes here: one that holds none of the
// three bytes that can start such a character, nearly all, is let through
// by the runtime's vectorised byte search alone.
func buildRefuses(s string) (rune, bool) {
	if strings.IndexByte(s, 0x7f) < 0 && strings.IndexByte(s, 0xc2) < 0 && strings.IndexByte(s, 0xef) < 0 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == 0x7f:
			return 0x7f, true
		case s[i] == 0xc2 && i+1 < len(s) && s[i+1] >= 0x80 && s[i+1] <= 0x9f:
			return rune(s[i+1]), true
		case s[i] == 0xef && i+2 < len(s) && s[i+1] == 0xbf && (s[i+2] == 0xbe || s[i+2] == 0xbf):
			return 0xffc0 | rune(s[i+2]&0x3f), true
		}
	}
	return 0, false
}

// nel is U+0085 (next line). kustomize build writes it into its output as
// it is; the reader of that output (sigs.k8s.io/yaml, YAML 1.1) takes it
// for a line break, so Flux applies a space in its place, and a key
// holding it makes kustomize build fail on its own JSON round trip.
const nel = "\u0085"

// taggedScalar returns the JSON that kustomize build, which Flux runs on
// the app's folder, makes of a scalar with an explicit tag, false when it
// refuses it ("!!int abc", "!!bool yes", "!!binary" that is not base64).
// kustomize turns each resource into a map with yaml.v3's decoder, which
// reads a tagged scalar by its tag, and applies that map's JSON: kiln
// writes the tag as it found it, so what the cluster gets is that value,
// not the untagged one: "!!binary" is the decoded bytes, "!!timestamp
// 2001-12-14" is "2001-12-14T00:00:00Z".
func taggedScalar(n *kyaml.Node) ([]byte, bool) {
	v := *n
	v.Anchor, v.HeadComment, v.LineComment, v.FootComment = "", "", "", ""
	var x any
	if err := v.Decode(&x); err != nil {
		return nil, false
	}
	j, err := json.Marshal(x)
	if err != nil {
		return nil, false
	}
	return j, true
}

// tagError is a scalar whose explicit YAML tag kustomize build refuses for
// its value. Its message names the field and the tag, never the value:
// that reader's own error ("cannot decode !!str `…` as a !!int") quotes
// the value, and Flux would show it in its events and commit statuses.
type tagError struct {
	node *kyaml.Node
	path string // "" until an indexed encoding finds it
	tag  string
	// nonFinite is set for a float YAML reads as infinite or not a
	// number (.inf, -.Inf, .nan), tagged or not: JSON has no such value.
	nonFinite bool
	// nel is set for a string holding U+0085, nelKey for a key holding
	// it (path is then the mapping's).
	nel, nelKey bool
	// char is a character kustomize build fails on (buildRefuses) that
	// the string holds, or the key when key is set (path is then the
	// mapping's).
	char rune
	// key is set for a key that is not a string: tag is what YAML reads
	// it as, "" for a key that is no scalar (path is then the mapping's).
	key bool
	// merge is set for a key "<<" that is a string.
	merge bool
}

// nonFinite reports whether a !!float scalar is one of YAML's infinities
// or not-a-number forms, which strconv does not read.
func nonFinite(v string) bool {
	switch strings.ToLower(strings.TrimLeft(v, "+-")) {
	case ".inf", ".nan":
		return true
	}
	return false
}

func (e *tagError) Error() string {
	if e.nel {
		return fmt.Sprintf("field %q holds the character U+0085 (next line), which kustomize build, which Flux runs on the app's folder, writes as it is and Flux then reads as a line break: the cluster would get a space in its place", e.path)
	}
	if e.nelKey {
		return fmt.Sprintf("field %q has a key holding the character U+0085 (next line), on which kustomize build, which Flux runs on the app's folder, fails", e.path)
	}
	if e.char != 0 && e.key {
		return fmt.Sprintf("field %q has a key holding the control character %U, on which kustomize build, which Flux runs on the app's folder, fails (\"yaml: control characters are not allowed\"): Flux would apply none of the app", e.path, e.char)
	}
	if e.char != 0 {
		return fmt.Sprintf("field %q holds the control character %U, on which kustomize build, which Flux runs on the app's folder, fails (\"yaml: control characters are not allowed\"): Flux would apply none of the app", e.path, e.char)
	}
	if e.merge {
		return fmt.Sprintf("field %q has the key \"<<\", which kustomize build, which Flux runs on the app's folder, takes for a YAML merge key even quoted: the cluster would not get it", e.path)
	}
	if e.key && e.tag == "" {
		return fmt.Sprintf("field %q has a key that is not a string but a YAML list or mapping: kustomize build, which Flux runs on the app's folder, fails on the object", e.path)
	}
	if e.key {
		return fmt.Sprintf("field %q has a key YAML reads as %s, not as a string: kustomize build, which Flux runs on the app's folder, fails on the object", e.path, e.tag)
	}
	if e.nonFinite {
		return fmt.Sprintf("field %q is an infinite or not-a-number float, which JSON cannot hold: kustomize build, which Flux runs on the app's folder, fails on the object", e.path)
	}
	return fmt.Sprintf("field %q is tagged %s but its value is not one: kustomize build, which Flux runs on the app's folder, refuses the object", e.path, e.tag)
}

// encodeError is the error about an object that cannot be encoded
// (encoded.err), at the line of the offending field when known.
func encodeError(o templates.Object, base diag.Error, err error) *diag.Error {
	d := base
	d.Err = err
	var te *tagError
	if errors.As(err, &te) {
		idx := &encoder{index: map[string]*field{}}
		if ierr := idx.encode(o.Node.YNode(), nil); errors.As(ierr, &te) {
			d.Field = te.path
		}
		d.Line = o.LineOf(te.node)
		d.Msg = te.Error()
		d.Hint = fmt.Sprintf("remove the %s tag, or write a value of that type", te.tag)
		if te.nonFinite {
			d.Hint = "quote the value to make it a string, or write a finite number"
		}
		if te.key && te.char == 0 {
			d.Hint = "quote the key to make it a string (\"1\": …, \"true\": …); a key that is a list or mapping has no string form: write it as one"
		}
		if te.merge {
			d.Hint = "rename the key: no object Flux applies through kustomize can hold a key \"<<\""
		}
		if te.nel || te.nelKey {
			d.Hint = "write the text without U+0085 (often a Latin-1 or Windows-1252 byte decoded as another character set); binary content belongs base64-encoded in binaryData or a Secret's data"
		}
		if te.char != 0 {
			why := ""
			if te.char >= 0x80 && te.char <= 0x9f {
				why = " (often a Windows-1252 byte, such as a curly quote, decoded as Latin-1)"
			}
			d.Hint = fmt.Sprintf("write the text without %U%s; binary content belongs base64-encoded in binaryData or a Secret's data", te.char, why)
		}
		return &d
	}
	d.Msg, d.Hint = err.Error(), "write the object without YAML merge keys (<<)"
	return &d
}

// at returns the innermost field whose value spans byte offset off, as
// reported by a type error ("after reading off bytes").
func (e *encoder) at(off int64) *field {
	var best *field
	for _, f := range e.values {
		if int64(f.start) < off && off <= int64(f.end) && (best == nil || f.end-f.start < best.end-best.start) {
			best = f
		}
	}
	return best
}

// refused returns the first field, in document order, whose value the
// decoder of the Go type at its path (below root) refuses on its own: the
// value a custom decoder (a quantity, a timestamp) or the base64 decoding
// of a []byte (a Secret's data) stopped at.
func (e *encoder) refused(root reflect.Type) *field {
	for _, f := range e.values {
		t := typeAt(root, f.segments)
		if t == nil || e.nulls[f.path] {
			continue
		}
		pt := reflect.PointerTo(t)
		bytes := t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 // base64, decoded by encoding/json itself
		if !pt.Implements(unmarshaler) && !t.Implements(unmarshaler) && !bytes {
			continue
		}
		if err := json.Unmarshal(e.buf.Bytes()[f.start:f.end], reflect.New(t).Interface()); err != nil {
			return f
		}
	}
	return nil
}

var unmarshaler = reflect.TypeFor[json.Unmarshaler]()

// sizeHint is about the length of n's JSON encoding, a little less when
// strings need escaping: enough to size the buffer once for most objects
// instead of doubling it up to megabytes for a CRD.
func sizeHint(n *kyaml.Node) int {
	size := 3 + len(n.Value) // quotes and a comma or colon around a scalar; brackets and a comma around a collection
	for _, c := range n.Content {
		size += sizeHint(c)
	}
	return size
}

// writeString writes s as a JSON string, as json.Marshal would. Most
// strings of a manifest need no escaping and are copied as they are; the
// rest go through json.Marshal (a CRD has tens of thousands of strings,
// and a Marshal call each was a tenth of validating it).
func writeString(b *bytes.Buffer, s string) {
	if plainJSON(s) {
		b.WriteByte('"')
		b.WriteString(s)
		b.WriteByte('"')
		return
	}
	// Encoding a string cannot fail; the Encoder writes into b directly,
	// without the copy json.Marshal returns, and ends with a newline.
	_ = json.NewEncoder(b).Encode(s)
	b.Truncate(b.Len() - 1)
}

// plainJSON reports whether json.Marshal writes s between quotes as it is:
// printable ASCII without a quote, a backslash or the characters it
// escapes for HTML (<, >, &).
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

// JSON is the JSON an object is checked as: what kiln validated, for
// tests that hold it against what Flux's kustomize build applies.
func JSON(o templates.Object) ([]byte, error) {
	enc := encode(o)
	return enc.data, enc.err
}
