package validate

import (
	"bytes"
	"errors"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	apiextensionsinternal "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	kjson "sigs.k8s.io/json"
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
	// full reads every keyword a CRD's schema may have (readCRD); the
	// built-in kinds' reader knows only those their generator writes.
	full bool
	// free holds schemas to read a property into before the map copies
	// it (scratch), one per level of properties in use: a schema is some
	// 550 bytes, and a CRD has thousands of properties.
	free []*apiextensionsinternal.JSONSchemaProps
}

// scratch returns a schema to read a property into, for the caller to
// put back in r.free when done with it.
func (r *schemaReader) scratch() *apiextensionsinternal.JSONSchemaProps {
	if n := len(r.free); n > 0 {
		p := r.free[n-1]
		r.free = r.free[:n-1]
		return p
	}
	return &apiextensionsinternal.JSONSchemaProps{}
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

// str reads a string as sigs.k8s.io/json does. One in UTF-8 it reads
// itself, escapes included (a CRD's descriptions have many: newlines,
// and <, > and & as \u003c…); one with a surrogate escape (\ud83d…) or
// bytes that are not UTF-8 (which that package replaces) it leaves to
// that package.
func (r *schemaReader) str() (string, error) {
	if r.next() != '"' {
		return "", errNotPlain
	}
	start := r.i
	plain := true // no escape, ASCII only
	escapes := false
	for r.i < len(r.data) {
		switch c := r.data[r.i]; {
		case c == '\\':
			plain, escapes = false, true
			r.i += 2
			continue
		case c == '"':
			r.i++
			lit := r.data[start : r.i-1]
			if plain || utf8.Valid(lit) {
				if !escapes {
					return string(lit), nil
				}
				if s, ok := unescape(lit); ok {
					return s, nil
				}
			}
			var s string
			if err := kjson.UnmarshalCaseSensitivePreserveInts(r.data[start-1:r.i], &s); err != nil {
				return "", errNotPlain
			}
			return s, nil
		case c < 0x20:
			return "", errNotPlain
		case c >= utf8.RuneSelf:
			plain = false
		}
		r.i++
	}
	return "", errNotPlain
}

// unescape reads the escapes of a string's bytes between its quotes;
// ok is false for a surrogate's \u escape, or one JSON does not have.
func unescape(lit []byte) (string, bool) {
	var b strings.Builder
	b.Grow(len(lit))
	for i := 0; i < len(lit); i++ {
		c := lit[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i == len(lit) {
			return "", false
		}
		switch lit[i] {
		case '"', '\\', '/':
			b.WriteByte(lit[i])
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			if i+4 >= len(lit) {
				return "", false
			}
			n, err := strconv.ParseUint(string(lit[i+1:i+5]), 16, 32)
			if err != nil || utf16.IsSurrogate(rune(n)) {
				return "", false
			}
			b.WriteRune(rune(n))
			i += 4
		default:
			return "", false
		}
	}
	return b.String(), true
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

// raw reads any JSON value but null (it may hold one) and returns its
// bytes.
func (r *schemaReader) raw() ([]byte, error) {
	if r.peek() == 'n' {
		return nil, errNotPlain
	}
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
		_, err := r.number()
		return err
	case c == 'n' && bytes.HasPrefix(r.data[r.i:], []byte("null")):
		r.i += 4
		return nil
	}
	return errNotPlain // not JSON
}

// number reads a number as JSON spells it and returns its bytes.
func (r *schemaReader) number() ([]byte, error) {
	r.space()
	start := r.i
	digits := func() int {
		n := 0
		for r.i < len(r.data) && r.data[r.i] >= '0' && r.data[r.i] <= '9' {
			r.i++
			n++
		}
		return n
	}
	if r.i < len(r.data) && r.data[r.i] == '-' {
		r.i++
	}
	switch n := digits(); {
	case n == 0, n > 1 && r.data[r.i-n] == '0':
		return nil, errNotPlain
	}
	if r.i < len(r.data) && r.data[r.i] == '.' {
		r.i++
		if digits() == 0 {
			return nil, errNotPlain
		}
	}
	if r.i < len(r.data) && (r.data[r.i] == 'e' || r.data[r.i] == 'E') {
		r.i++
		if r.i < len(r.data) && (r.data[r.i] == '+' || r.data[r.i] == '-') {
			r.i++
		}
		if digits() == 0 {
			return nil, errNotPlain
		}
	}
	return r.data[start:r.i], nil
}

// int64p reads an integer field as the v1 decoding does
// (strconv.ParseInt of the literal): 1.0 or 1e3 is not one.
func (r *schemaReader) int64p() (*int64, error) {
	lit, err := r.number()
	if err != nil {
		return nil, err
	}
	n, err := strconv.ParseInt(string(lit), 10, 64)
	if err != nil {
		return nil, errNotPlain
	}
	return &n, nil
}

// float64p reads a number field as the v1 decoding does
// (strconv.ParseFloat of the literal, refusing one out of range).
func (r *schemaReader) float64p() (*float64, error) {
	lit, err := r.number()
	if err != nil {
		return nil, err
	}
	f, err := strconv.ParseFloat(string(lit), 64)
	if err != nil {
		return nil, errNotPlain
	}
	return &f, nil
}

// strict reads the value at r (not null) with sigs.k8s.io/json's strict
// decoding into v, for the parts of a CRD that are small and shallow:
// that decoding, of the same bytes into the same type, is what the whole
// CRD's would do there. Any error or strict error is errNotPlain.
func (r *schemaReader) strict(v any) error {
	raw, err := r.raw()
	if err != nil {
		return err
	}
	if strictErrs, err := kjson.UnmarshalStrict(raw, v); err != nil || len(strictErrs) > 0 {
		return errNotPlain
	}
	return nil
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
// any). A key twice is errNotPlain: sigs.k8s.io/json's strict decoding
// reports it, and its plain decoding (inside items and
// additionalProperties) keeps the last.
func (r *schemaReader) schema(s *apiextensionsinternal.JSONSchemaProps, sh *shape) error {
	var seen uint64
	return r.object(func(key string) error {
		bit, err := r.schemaKey(s, key, sh)
		if err == nil && seen&bit != 0 {
			return errNotPlain
		}
		seen |= bit
		return err
	})
}

// schemas reads an array of schemas (allOf, anyOf, oneOf).
func (r *schemaReader) schemas() ([]apiextensionsinternal.JSONSchemaProps, error) {
	out := []apiextensionsinternal.JSONSchemaProps{}
	err := r.array(func() error {
		out = append(out, apiextensionsinternal.JSONSchemaProps{})
		return r.schema(&out[len(out)-1], nil)
	})
	return out, err
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

// schemaKey reads the value of one key of a schema into s and returns
// the key's bit, for schema to find a key twice. The built-in kinds'
// reader knows the keys the generator writes (TestBuiltinKinds); a CRD's
// (full) every key of the v1 JSONSchemaProps but those a structural
// schema cannot have (id, $schema, $ref, patternProperties, dependencies,
// additionalItems, definitions), which are left to the general decoding.
func (r *schemaReader) schemaKey(s *apiextensionsinternal.JSONSchemaProps, key string, sh *shape) (uint64, error) {
	var err error
	switch key {
	case "type":
		s.Type, err = r.str()
		return 1 << 0, err
	case "format":
		s.Format, err = r.str()
		return 1 << 1, err
	case "required":
		s.Required, err = r.strings()
		return 1 << 2, err
	case "x-kubernetes-list-map-keys":
		s.XListMapKeys, err = r.strings()
		return 1 << 3, err
	case "x-kubernetes-list-type":
		var v string
		v, err = r.str()
		s.XListType = &v
		return 1 << 4, err
	case "x-kubernetes-map-type":
		var v string
		v, err = r.str()
		s.XMapType = &v
		return 1 << 5, err
	case "x-kubernetes-int-or-string":
		s.XIntOrString, err = r.boolean()
		return 1 << 6, err
	case "x-kubernetes-preserve-unknown-fields":
		var v bool
		v, err = r.boolean()
		s.XPreserveUnknownFields = &v
		return 1 << 7, err
	case "default":
		var v apiextensionsinternal.JSON
		v, err = r.value()
		s.Default = &v
		return 1 << 8, err
	case "enum":
		s.Enum = []apiextensionsinternal.JSON{}
		err = r.array(func() error {
			v, err := r.value()
			s.Enum = append(s.Enum, v)
			return err
		})
		return 1 << 9, err
	case "properties":
		s.Properties = map[string]apiextensionsinternal.JSONSchemaProps{}
		p := r.scratch()
		err = r.object(func(name string) error {
			*p = apiextensionsinternal.JSONSchemaProps{}
			if sub, has := sh.key(name); sh != nil && !has {
				if keep, err := r.absent(p); !keep || err != nil {
					return err
				}
			} else if err := r.schema(p, sub); err != nil {
				return err
			}
			if _, dup := s.Properties[name]; dup {
				return errNotPlain
			}
			s.Properties[name] = *p
			return nil
		})
		r.free = append(r.free, p)
		return 1 << 10, err
	case "items":
		if r.peek() != '{' {
			return 0, errNotPlain
		}
		item := &apiextensionsinternal.JSONSchemaProps{}
		err = r.schema(item, sh.itemsShape())
		s.Items = &apiextensionsinternal.JSONSchemaPropsOrArray{Schema: item}
		return 1 << 11, err
	case "additionalProperties":
		ap := &apiextensionsinternal.JSONSchemaPropsOrBool{}
		if r.peek() == '{' {
			ap.Allows, ap.Schema = true, &apiextensionsinternal.JSONSchemaProps{}
			err = r.schema(ap.Schema, sh.valuesShape())
		} else {
			ap.Allows, err = r.boolean()
		}
		s.AdditionalProperties = ap
		return 1 << 12, err
	case "title": // emptyTitle, in the built-in kinds' schemas
		s.Title, err = r.str()
		return 1 << 14, err
	}
	if !r.full {
		return 0, errNotPlain
	}
	switch key {
	case "description":
		s.Description, err = r.str()
		return 1 << 13, err
	case "pattern":
		s.Pattern, err = r.str()
		return 1 << 15, err
	case "maximum":
		s.Maximum, err = r.float64p()
		return 1 << 16, err
	case "minimum":
		s.Minimum, err = r.float64p()
		return 1 << 17, err
	case "multipleOf":
		s.MultipleOf, err = r.float64p()
		return 1 << 18, err
	case "exclusiveMaximum":
		s.ExclusiveMaximum, err = r.boolean()
		return 1 << 19, err
	case "exclusiveMinimum":
		s.ExclusiveMinimum, err = r.boolean()
		return 1 << 20, err
	case "uniqueItems":
		s.UniqueItems, err = r.boolean()
		return 1 << 21, err
	case "nullable":
		s.Nullable, err = r.boolean()
		return 1 << 22, err
	case "x-kubernetes-embedded-resource":
		s.XEmbeddedResource, err = r.boolean()
		return 1 << 23, err
	case "maxLength":
		s.MaxLength, err = r.int64p()
		return 1 << 24, err
	case "minLength":
		s.MinLength, err = r.int64p()
		return 1 << 25, err
	case "maxItems":
		s.MaxItems, err = r.int64p()
		return 1 << 26, err
	case "minItems":
		s.MinItems, err = r.int64p()
		return 1 << 27, err
	case "maxProperties":
		s.MaxProperties, err = r.int64p()
		return 1 << 28, err
	case "minProperties":
		s.MinProperties, err = r.int64p()
		return 1 << 29, err
	case "allOf":
		s.AllOf, err = r.schemas()
		return 1 << 30, err
	case "anyOf":
		s.AnyOf, err = r.schemas()
		return 1 << 31, err
	case "oneOf":
		s.OneOf, err = r.schemas()
		return 1 << 32, err
	case "not":
		if r.peek() != '{' {
			return 0, errNotPlain
		}
		s.Not = &apiextensionsinternal.JSONSchemaProps{}
		return 1 << 33, r.schema(s.Not, nil)
	case "example":
		var v apiextensionsinternal.JSON
		v, err = r.value()
		s.Example = &v
		return 1 << 34, err
	case "externalDocs":
		var d apiextensionsv1.ExternalDocumentation
		err = r.strict(&d)
		s.ExternalDocs = &apiextensionsinternal.ExternalDocumentation{Description: d.Description, URL: d.URL}
		return 1 << 35, err
	case "x-kubernetes-validations":
		var rules apiextensionsv1.ValidationRules
		if err := r.strict(&rules); err != nil {
			return 0, err
		}
		s.XValidations = make(apiextensionsinternal.ValidationRules, len(rules))
		for i := range rules {
			if err := apiextensionsv1.Convert_v1_ValidationRule_To_apiextensions_ValidationRule(&rules[i], &s.XValidations[i], nil); err != nil {
				return 0, errNotPlain
			}
		}
		return 1 << 36, nil
	}
	return 0, errNotPlain
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
