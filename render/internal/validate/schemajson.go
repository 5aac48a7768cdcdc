package validate

import (
	"encoding/json"
	"errors"
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
	r := &schemaReader{data: data}
	s = &apiextensionsinternal.JSONSchemaProps{}
	if err := r.schema(s); err != nil {
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
	if err := r.expect('{'); err != nil {
		return err
	}
	if r.peek() == '}' {
		r.i++
		return nil
	}
	for {
		key, err := r.str()
		if err != nil {
			return err
		}
		if err := r.expect(':'); err != nil {
			return err
		}
		if err := field(key); err != nil {
			return err
		}
		switch r.next() {
		case ',':
		case '}':
			return nil
		default:
			return errNotPlain
		}
	}
}

// array reads a JSON array, calling item with the reader at each item.
func (r *schemaReader) array(item func() error) error {
	if err := r.expect('['); err != nil {
		return err
	}
	if r.peek() == ']' {
		r.i++
		return nil
	}
	for {
		if err := item(); err != nil {
			return err
		}
		switch r.next() {
		case ',':
		case ']':
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

// schema reads one schema object into s.
func (r *schemaReader) schema(s *apiextensionsinternal.JSONSchemaProps) error {
	return r.object(func(key string) error { return r.schemaKey(s, key) })
}

// schemaKey reads the value of one key of a schema into s: the keys the
// generator writes (TestBuiltinKinds).
func (r *schemaReader) schemaKey(s *apiextensionsinternal.JSONSchemaProps, key string) error {
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
			err := r.schema(&p)
			s.Properties[name] = p
			return err
		})
	case "items":
		if r.peek() != '{' {
			return errNotPlain
		}
		item := &apiextensionsinternal.JSONSchemaProps{}
		err = r.schema(item)
		s.Items = &apiextensionsinternal.JSONSchemaPropsOrArray{Schema: item}
	case "additionalProperties":
		ap := &apiextensionsinternal.JSONSchemaPropsOrBool{}
		if r.peek() == '{' {
			ap.Allows, ap.Schema = true, &apiextensionsinternal.JSONSchemaProps{}
			err = r.schema(ap.Schema)
		} else {
			ap.Allows, err = r.boolean()
		}
		s.AdditionalProperties = ap
	default:
		return errNotPlain
	}
	return err
}
