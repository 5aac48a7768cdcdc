package sandbox

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/kiln-gitops/kiln/templates"
)

// A wireResponse encodes itself (MarshalBinary), and gob carries the bytes
// as one opaque value. gob sends a stream's type descriptions with the
// stream and compiles a decoder for them on every new Decoder: for the
// render cache, which decodes one stream per cached app, that was most of
// the cost of reusing a result (a tenth of a one-app-changed render of a
// fleet), more than decoding the objects themselves. The encoding is
// varints and length-prefixed strings, as nodes.go writes node graphs, and
// decodes to exactly what gob decoded: empty slices as nil, like gob's.

// wireVersion starts every encoding; a change of the layout below changes
// it, and a reader refuses any other.
const wireVersion = 9

// maxValueDepth bounds the nesting of a decoded value, so that crafted
// bytes cannot exhaust the stack: YAML and JSON decoders refuse documents
// nested this deep, so no values or parameters are.
const maxValueDepth = 10000

var errWire = errors.New("sandbox: malformed response")

// MarshalBinary encodes w.
func (w *wireResponse) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, len(w.Nodes)+64*len(w.Objects)+256)
	b = append(w.head(b), w.Nodes...)
	return w.tail(b), nil
}

// head appends to b what MarshalBinary writes before w.Nodes: the frame's
// head, which writeResponse sends without copying Nodes (megabytes for a
// chart with large CRDs) into one slice with it.
func (w *wireResponse) head(b []byte) []byte {
	b = binary.AppendUvarint(b, wireVersion)
	return binary.AppendUvarint(b, uint64(len(w.Nodes)))
}

// tail appends to b what MarshalBinary writes after w.Nodes.
func (w *wireResponse) tail(b []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(w.Objects)))
	for _, o := range w.Objects {
		b = binary.AppendVarint(b, int64(o.Node))
		b = appendString(b, o.File)
		b = binary.AppendVarint(b, int64(o.Line))
		b = appendBytes(b, o.Raw)
		b = appendBool(b, o.RawNil)
		b = appendString(b, o.Overlay)
		b = binary.AppendUvarint(b, uint64(len(o.Fields)))
		for _, f := range o.Fields {
			b = appendString(b, f.Path)
			b = appendString(b, f.File)
			b = binary.AppendVarint(b, int64(f.Line))
			b = appendBool(b, f.Whole)
			b = appendString(b, f.Generator)
		}
		b = appendString(b, o.Path)
	}
	b = appendStrings(b, w.Inputs)
	b = appendBool(b, w.InputsNil)
	b = appendString(b, w.InputDigest)
	b = appendValue(b, &w.Params)
	b = appendBool(b, w.Cacheable)
	b = binary.AppendUvarint(b, uint64(len(w.Deps)))
	for _, d := range w.Deps {
		b = appendString(b, d.Kind)
		b = appendString(b, d.Path)
		b = appendString(b, d.Sum)
	}
	b = binary.AppendUvarint(b, uint64(len(w.Errors)))
	for _, e := range w.Errors {
		b = appendBool(b, e.Diag)
		b = appendString(b, e.File)
		b = binary.AppendVarint(b, int64(e.Line))
		for _, s := range []string{e.App, e.Kind, e.Namespace, e.Name, e.Field, e.Msg, e.Hint, e.Cause} {
			b = appendString(b, s)
		}
		b = appendBool(b, e.HasCause)
	}
	b = binary.AppendUvarint(b, uint64(len(w.Warnings)))
	for _, x := range w.Warnings {
		b = appendString(b, x.File)
		b = binary.AppendVarint(b, int64(x.Line))
		b = appendString(b, x.Msg)
		b = appendString(b, x.Hint)
	}
	return appendStrings(b, w.APIChecks)
}

// UnmarshalBinary decodes what MarshalBinary encoded. Bytes it did not
// write, truncated or altered, are an error, never a panic, and cannot
// make it allocate much more than their own size.
func (w *wireResponse) UnmarshalBinary(data []byte) error {
	r := &nodeReader{s: string(data)} // the strings are substrings of this one copy
	*w = wireResponse{}
	if v := r.uvarint(); v != wireVersion {
		return fmt.Errorf("%w: version %d", errWire, v)
	}
	w.Nodes = r.str()
	if n := r.count(); n > 0 {
		w.Objects = make([]wireObject, n)
		for i := range w.Objects {
			o := &w.Objects[i]
			node := r.varint()
			if node < math.MinInt32 || node > math.MaxInt32 {
				r.fail()
			}
			o.Node = int32(node)
			o.File = r.str()
			o.Line = int(r.varint())
			o.Raw = r.bytes()
			o.RawNil = r.bool()
			o.Overlay = r.str()
			if n := r.count(); n > 0 {
				o.Fields = make([]templates.FieldAt, n)
				for j := range o.Fields {
					o.Fields[j] = templates.FieldAt{Path: r.str(), File: r.str(), Line: int(r.varint()), Whole: r.bool(), Generator: r.str()}
				}
			}
			o.Path = r.str()
		}
	}
	w.Inputs = r.strings()
	w.InputsNil = r.bool()
	w.InputDigest = r.str()
	w.Params = r.value(0)
	w.Cacheable = r.bool()
	if n := r.count(); n > 0 {
		w.Deps = make([]templates.Dep, n)
		for i := range w.Deps {
			w.Deps[i] = templates.Dep{Kind: r.str(), Path: r.str(), Sum: r.str()}
		}
	}
	if n := r.count(); n > 0 {
		w.Errors = make([]wireError, n)
		for i := range w.Errors {
			e := &w.Errors[i]
			e.Diag = r.bool()
			e.File = r.str()
			e.Line = int(r.varint())
			e.App, e.Kind, e.Namespace, e.Name = r.str(), r.str(), r.str(), r.str()
			e.Field, e.Msg, e.Hint, e.Cause = r.str(), r.str(), r.str(), r.str()
			e.HasCause = r.bool()
		}
	}
	if n := r.count(); n > 0 {
		w.Warnings = make([]templates.Warning, n)
		for i := range w.Warnings {
			w.Warnings[i] = templates.Warning{File: r.str(), Line: int(r.varint()), Msg: r.str(), Hint: r.str()}
		}
	}
	w.APIChecks = r.strings()
	if r.err == nil && r.left() != 0 {
		r.fail()
	}
	if r.err != nil {
		*w = wireResponse{}
		return fmt.Errorf("%w: %w", errWire, r.err)
	}
	return nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendBytes(b, s []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

func appendStrings(b []byte, ss []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(ss)))
	for _, s := range ss {
		b = appendString(b, s)
	}
	return b
}

func appendValue(b []byte, v *value) []byte {
	b = binary.AppendUvarint(b, uint64(v.K))
	b = appendString(b, v.S)
	b = binary.AppendVarint(b, v.I)
	b = binary.AppendUvarint(b, v.U)
	b = binary.AppendUvarint(b, math.Float64bits(v.F))
	b = appendBytes(b, v.B)
	b = binary.AppendUvarint(b, uint64(len(v.L)))
	for i := range v.L {
		b = appendValue(b, &v.L[i])
	}
	return appendStrings(b, v.Keys)
}

// count reads the length of a list whose every item takes at least one
// byte, so that no length can exceed what is left.
func (r *nodeReader) count() int {
	n := r.uvarint()
	if n > uint64(r.left()) {
		r.fail()
		return 0
	}
	return int(n)
}

// bytes reads a byte string; an empty one is nil, as gob decodes it.
func (r *nodeReader) bytes() []byte {
	s := r.str()
	if s == "" {
		return nil
	}
	return []byte(s)
}

func (r *nodeReader) bool() bool {
	switch r.uvarint() {
	case 0:
		return false
	case 1:
		return true
	}
	r.fail()
	return false
}

// strings reads a list of strings; an empty one is nil, as gob decodes it.
func (r *nodeReader) strings() []string {
	n := r.count()
	if n == 0 {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = r.str()
	}
	return out
}

func (r *nodeReader) value(depth int) value {
	if depth > maxValueDepth {
		r.fail()
		return value{}
	}
	kind := r.uvarint()
	if kind > math.MaxUint8 {
		r.fail()
	}
	v := value{K: valueKind(kind), S: r.str(), I: r.varint(), U: r.uvarint(), F: math.Float64frombits(r.uvarint()), B: r.bytes()}
	if n := r.count(); n > 0 {
		v.L = make([]value, n)
		for i := range v.L {
			v.L[i] = r.value(depth + 1)
			if r.err != nil {
				return value{}
			}
		}
	}
	v.Keys = r.strings()
	return v
}
