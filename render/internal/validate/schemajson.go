package validate

import (
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"

	apiextensionsinternal "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

// readSchema reads a built-in kind's embedded schema (JSON) straight into
// the API server's internal form, what decoding it into the v1 type and
// converting that gives (TestReadSchemaAsConverted, over every embedded
// kind) at a fraction of the cost: a Deployment's schema has 1,400
// nodes, and the reflective decoder and the conversion were most of what
// validating a small app's first Deployment cost. It reads only what the
// generator writes (the keys of readSchemaKey, no null); ok is false for
// anything else, which the caller then decodes the general way.
func readSchema(data []byte) (s *apiextensionsinternal.JSONSchemaProps, ok bool) {
	return readSchemaFor(data, nil)
}

// readSchemaFor is readSchema for the objects of shape sh (nil: any),
// leaving out the properties of the mappings sh has that neither sh nor
// a default of the schema fills (see shape).
func readSchemaFor(data []byte, sh *shape) (s *apiextensionsinternal.JSONSchemaProps, ok bool) {
	r := &schemaReader{data: data}
	s = &apiextensionsinternal.JSONSchemaProps{}
	if err := r.schema(s, sh); err != nil {
		return nil, false
	}
	r.space()
	if r.i != len(r.data) {
		return nil, false
	}
	return s, true
}

var errNotPlain = errors.New("not a schema readSchema reads")

// schemaReader reads JSON from data at i.
type schemaReader struct {
	data []byte
	i    int
}

func (r *schemaReader) space() {
	for r.i < len(r.data) {
		switch r.data[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// next skips space and reads one byte, 0 at the end.
func (r *schemaReader) next() byte {
	r.space()
	if r.i >= len(r.data) {
		return 0
	}
	c := r.data[r.i]
	r.i++
	return c
}

// peek skips space and returns the next byte without reading it.
func (r *schemaReader) peek() byte {
	r.space()
	if r.i >= len(r.data) {
		return 0
	}
	return r.data[r.i]
}

func (r *schemaReader) expect(c byte) error {
	if r.next() != c {
		return errNotPlain
	}
	return nil
}

// str reads a string; one with escapes is read by encoding/json.
func (r *schemaReader) str() (string, error) {
	if r.next() != '"' {
		return "", errNotPlain
	}
	start := r.i
	escaped := false
	for r.i < len(r.data) {
		switch c := r.data[r.i]; {
		case c == '\\':
			escaped = true
			r.i += 2
			continue
		case c == '"':
			r.i++
			if !escaped {
				return string(r.data[start : r.i-1]), nil
			}
			var s string
			if err := json.Unmarshal(r.data[start-1:r.i], &s); err != nil {
				return "", errNotPlain
			}
			return s, nil
		case c < 0x20:
			return "", errNotPlain
		}
		r.i++
	}
	return "", errNotPlain
}

// object reads a JSON object, calling field for each key with the reader
// at its value.
func (r *schemaReader) object(field func(key string) error) error {
	return r.entries('{', '}', func() error {
		key, err := r.str()
		if err != nil {
			return err
		}
		if err := r.expect(':'); err != nil {
			return err
		}
		return field(key)
	})
}

// array reads a JSON array, calling item with the reader at each item.
func (r *schemaReader) array(item func() error) error {
	return r.entries('[', ']', item)
}

// entries reads the comma-separated entries between open and end,
// calling entry at the start of each.
func (r *schemaReader) entries(open, end byte, entry func() error) error {
	if err := r.expect(open); err != nil {
		return err
	}
	if r.peek() == end {
		r.i++
		return nil
	}
	for {
		if err := entry(); err != nil {
			return err
		}
		switch r.next() {
		case ',':
		case end:
			return nil
		default:
			return errNotPlain
		}
	}
}

func (r *schemaReader) strings() ([]string, error) {
	out := []string{}
	err := r.array(func() error {
		s, err := r.str()
		out = append(out, s)
		return err
	})
	return out, err
}

func (r *schemaReader) boolean() (bool, error) {
	r.space()
	switch {
	case strings.HasPrefix(string(r.data[r.i:min(r.i+5, len(r.data))]), "false"):
		r.i += 5
		return false, nil
	case strings.HasPrefix(string(r.data[r.i:min(r.i+4, len(r.data))]), "true"):
		r.i += 4
		return true, nil
	}
	return false, errNotPlain
}

// raw reads any JSON value but null and returns its bytes.
func (r *schemaReader) raw() ([]byte, error) {
	r.space()
	start := r.i
	if err := r.skip(); err != nil {
		return nil, err
	}
	return r.data[start:r.i], nil
}

func (r *schemaReader) skip() error {
	switch c := r.peek(); {
	case c == '{':
		return r.object(func(string) error { return r.skip() })
	case c == '[':
		return r.array(r.skip)
	case c == '"':
		_, err := r.str()
		return err
	case c == 't' || c == 'f':
		_, err := r.boolean()
		return err
	case c == '-' || c >= '0' && c <= '9':
		for r.i < len(r.data) && strings.IndexByte("+-.eE0123456789", r.data[r.i]) >= 0 {
			r.i++
		}
		return nil
	}
	return errNotPlain // null, or not JSON
}

// value reads a default or enum value as the v1 conversion does.
func (r *schemaReader) value() (apiextensionsinternal.JSON, error) {
	raw, err := r.raw()
	if err != nil {
		return nil, err
	}
	var v apiextensionsinternal.JSON
	if err := apiextensionsv1.Convert_v1_JSON_To_apiextensions_JSON(&apiextensionsv1.JSON{Raw: raw}, &v, nil); err != nil {
		return nil, errNotPlain
	}
	return v, nil
}

// schema reads one schema object into s, for values of shape sh (nil:
// any).
func (r *schemaReader) schema(s *apiextensionsinternal.JSONSchemaProps, sh *shape) error {
	return r.object(func(key string) error { return r.schemaKey(s, key, sh) })
}

// absent reads, for a property the object does not have, its schema into
// p when the schema gives it a default (the defaulting fills it in, and
// the checks then see it: it is read for the shape of that default), and
// skips it otherwise (nothing reads it).
func (r *schemaReader) absent(p *apiextensionsinternal.JSONSchemaProps) (bool, error) {
	r.space()
	start := r.i
	var def *apiextensionsinternal.JSON
	err := r.object(func(key string) error {
		if key != "default" {
			return r.skip()
		}
		v, err := r.value()
		def = &v
		return err
	})
	if err != nil || def == nil {
		return false, err
	}
	sub := &schemaReader{data: r.data[:r.i], i: start}
	return true, sub.schema(p, shapeOf(*def))
}

// schemaKey reads the value of one key of a schema into s: the keys the
// generator writes (TestBuiltinKinds).
func (r *schemaReader) schemaKey(s *apiextensionsinternal.JSONSchemaProps, key string, sh *shape) error {
	var err error
	switch key {
	case "type":
		s.Type, err = r.str()
	case "format":
		s.Format, err = r.str()
	case "required":
		s.Required, err = r.strings()
	case "x-kubernetes-list-map-keys":
		s.XListMapKeys, err = r.strings()
	case "x-kubernetes-list-type":
		var v string
		v, err = r.str()
		s.XListType = &v
	case "x-kubernetes-map-type":
		var v string
		v, err = r.str()
		s.XMapType = &v
	case "x-kubernetes-int-or-string":
		s.XIntOrString, err = r.boolean()
	case "x-kubernetes-preserve-unknown-fields":
		var v bool
		v, err = r.boolean()
		s.XPreserveUnknownFields = &v
	case "default":
		var v apiextensionsinternal.JSON
		v, err = r.value()
		s.Default = &v
	case "enum":
		s.Enum = []apiextensionsinternal.JSON{}
		err = r.array(func() error {
			v, err := r.value()
			s.Enum = append(s.Enum, v)
			return err
		})
	case "properties":
		s.Properties = map[string]apiextensionsinternal.JSONSchemaProps{}
		err = r.object(func(name string) error {
			var p apiextensionsinternal.JSONSchemaProps
			if sub, has := sh.key(name); sh != nil && !has {
				if keep, err := r.absent(&p); !keep || err != nil {
					return err
				}
			} else if err := r.schema(&p, sub); err != nil {
				return err
			}
			s.Properties[name] = p
			return nil
		})
	case "items":
		if r.peek() != '{' {
			return errNotPlain
		}
		item := &apiextensionsinternal.JSONSchemaProps{}
		err = r.schema(item, sh.itemsShape())
		s.Items = &apiextensionsinternal.JSONSchemaPropsOrArray{Schema: item}
	case "additionalProperties":
		ap := &apiextensionsinternal.JSONSchemaPropsOrBool{}
		if r.peek() == '{' {
			ap.Allows, ap.Schema = true, &apiextensionsinternal.JSONSchemaProps{}
			err = r.schema(ap.Schema, sh.valuesShape())
		} else {
			ap.Allows, err = r.boolean()
		}
		s.AdditionalProperties = ap
	default:
		return errNotPlain
	}
	return err
}

// shape is what of a schema the checks of an object read: the schema
// nodes of the object's values, and of the values the defaulting adds.
// The defaulting (structuraldefaulting.Default) and the validator (kube-
// openapi's) walk a schema along the object only: a mapping's entries
// into their property (or the additional properties for a key with
// none), a list's items into the items; at each node they read the
// node's own keywords (type, format, enum, required, …) and, for the
// defaulting, the default of each property the mapping lacks, which it
// then adds and walks into. A schema read for an object's shape leaves
// out the other properties, so it finds for that object what the whole
// schema finds (TestShapedSchemasFindTheSame).
type shape struct {
	keys   map[string]*shape // a mapping's entries
	values *shape            // all the mapping's values, merged: the additional properties'
	items  *shape            // a list's items, merged
}

// shapeOf returns the shape of a decoded JSON value; a scalar (or null)
// has the empty shape: its node's keywords, no property.
func shapeOf(v any) *shape {
	sh := &shape{}
	sh.add(v)
	return sh
}

func (sh *shape) add(v any) {
	switch v := v.(type) {
	case map[string]any:
		if sh.keys == nil {
			sh.keys = make(map[string]*shape, len(v))
		}
		if sh.values == nil && len(v) > 0 {
			sh.values = &shape{}
		}
		for k, c := range v {
			sub := sh.keys[k]
			if sub == nil {
				sub = &shape{}
				sh.keys[k] = sub
			}
			sub.add(c)
			sh.values.add(c)
		}
	case []any:
		if sh.items == nil && len(v) > 0 {
			sh.items = &shape{}
		}
		for _, c := range v {
			sh.items.add(c)
		}
	}
}

// key returns the shape of the entry k; has is false when a mapping of
// shape sh has no such entry. A nil sh (any shape) has every entry, of
// any shape.
func (sh *shape) key(k string) (sub *shape, has bool) {
	if sh == nil {
		return nil, true
	}
	sub, has = sh.keys[k]
	return sub, has
}

// itemsShape is the shape of the items of a list of shape sh: empty when
// it has none (a schema's items are then read without their properties).
func (sh *shape) itemsShape() *shape {
	switch {
	case sh == nil:
		return nil
	case sh.items == nil:
		return &shape{}
	}
	return sh.items
}

// valuesShape is the shape of the values of a mapping of shape sh.
func (sh *shape) valuesShape() *shape {
	switch {
	case sh == nil:
		return nil
	case sh.values == nil:
		return &shape{}
	}
	return sh.values
}

// String names the shape, for caching what was read for it.
func (sh *shape) String() string {
	var b strings.Builder
	sh.write(&b)
	return b.String()
}

func (sh *shape) write(b *strings.Builder) {
	if len(sh.keys) > 0 {
		keys := make([]string, 0, len(sh.keys))
		for k := range sh.keys {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b.WriteByte('{')
		for _, k := range keys {
			b.WriteString(strconv.Quote(k))
			b.WriteByte(':')
			sh.keys[k].write(b)
			b.WriteByte(',')
		}
		b.WriteByte('}')
	}
	if sh.items != nil {
		b.WriteByte('[')
		sh.items.write(b)
		b.WriteByte(']')
	}
}
