package sandbox

import (
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/templates"
)

// gobResponse is wireResponse without its methods: what gob encoded
// field by field before wireResponse encoded itself.
type gobResponse wireResponse

// viaGob is w encoded and decoded by gob field by field.
func viaGob(t *testing.T, w *wireResponse) wireResponse {
	t.Helper()
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode((*gobResponse)(w)); err != nil {
		t.Fatal(err)
	}
	var back gobResponse
	if err := gob.NewDecoder(&buf).Decode(&back); err != nil {
		t.Fatal(err)
	}
	return wireResponse(back)
}

// viaBinary is w encoded and decoded as it crosses the pipe now: gob
// carrying MarshalBinary's bytes.
func viaBinary(t *testing.T, w *wireResponse) wireResponse {
	t.Helper()
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(w); err != nil {
		t.Fatal(err)
	}
	var back wireResponse
	if err := gob.NewDecoder(&buf).Decode(&back); err != nil {
		t.Fatal(err)
	}
	return back
}

// fullResponse sets every field of a wireResponse, nested ones included,
// with values easy to get wrong: empty and nil, negative, extreme.
func fullResponse(t *testing.T) *wireResponse {
	params, err := encodeValue(map[string]any{
		"s": "x", "b": true, "i": -3, "i8": int8(-8), "u": uint(7), "u64": uint64(math.MaxUint64), "f": -2.5, "nan": math.Inf(1),
		"bytes": []byte{0, 1}, "nilBytes": []byte(nil), "emptyBytes": []byte{}, "strs": []string{"a", ""}, "nilStrs": []string(nil),
		"list": []any{nil, 1.5, []any{}, map[string]any{}}, "smap": map[string]string{"k": "v"}, "nilMap": map[string]any(nil),
	})
	if err != nil {
		t.Fatal(err)
	}
	w := &wireResponse{
		Nodes:   "\x03\x00\x01\x02",
		Objects: []wireObject{{Node: -1, File: "a.yaml", Line: 3, Raw: []byte("sops: {}\n")}, {Node: math.MaxInt32, RawNil: true, Overlay: "overlays/dev/kustomization.yaml", Fields: []templates.FieldAt{{Path: "spec.replicas", File: "overlays/dev/patch.yaml", Line: 7}, {Path: "data.A B", File: "app/db.env", Line: 2, Generator: "secretGenerator db"}, {Path: "spec.template.spec.containers[1]", File: "overlays/dev/patch.yaml", Line: 12, Whole: true}}, Path: "web[0]"}, {Raw: []byte{}}},
		Inputs:  []string{"a.yaml", ""}, InputsNil: true, InputDigest: "sha256:00", Params: params, Cacheable: true,
		Deps:      []templates.Dep{{Kind: "file", Path: "a.yaml", Sum: "sha256:11"}, {}},
		Errors:    []wireError{{Diag: true, File: "f", Line: -1, App: "a", Kind: "k", Namespace: "n", Name: "m", Field: "spec.x", Msg: "msg", Hint: "h", Cause: "c", HasCause: true}, {Msg: "plain"}},
		Warnings:  []templates.Warning{{File: "Chart.yaml", Line: 7, Msg: "w", Hint: "h"}, {}},
		APIChecks: []string{"monitoring.coreos.com/v1", ""},
	}
	// Every field is set in some item.
	for _, items := range [][]any{{*w}, {w.Objects[0], w.Objects[1]}, {w.Errors[0]}, {w.Deps[0]}, {w.Warnings[0]}} {
		typ := reflect.TypeOf(items[0])
		for i := range typ.NumField() {
			set := false
			for _, item := range items {
				set = set || !reflect.ValueOf(item).Field(i).IsZero()
			}
			if !set {
				t.Errorf("the test leaves %s.%s unset: set it", typ.Name(), typ.Field(i).Name)
			}
		}
	}
	return w
}

// TestWireResponseDecodesAsGob: a response crosses the pipe (and the
// render cache) as exactly what gob gave field by field, nil and empty
// slices as gob has them, for a full response, an empty one and an error.
func TestWireResponseDecodesAsGob(t *testing.T) {
	t.Parallel()
	for name, w := range map[string]*wireResponse{
		"full":  fullResponse(t),
		"empty": {},
		"empty slices": {Nodes: "", Objects: []wireObject{}, Inputs: []string{}, Deps: []templates.Dep{}, Errors: []wireError{},
			Params: value{K: kList, L: []value{}, Keys: []string{}, B: []byte{}}},
		"an error": {Errors: []wireError{{Msg: "failed"}}},
	} {
		want, got := viaGob(t, w), viaBinary(t, w)
		if d := cmp.Diff(want, got, cmp.AllowUnexported(value{})); d != "" {
			t.Errorf("%s: differs from gob's decoding (-gob +binary):\n%s", name, d)
		}
	}
}

// TestWireResponseRefusesDamage: every truncation of an encoding, bytes
// after it, another version and a value nested too deep are errors.
func TestWireResponseRefusesDamage(t *testing.T) {
	t.Parallel()
	data, err := fullResponse(t).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var w wireResponse
	if err := w.UnmarshalBinary(data); err != nil {
		t.Fatalf("the encoding does not decode: %v", err)
	}
	for n := range len(data) {
		if err := w.UnmarshalBinary(data[:n]); !errors.Is(err, errWire) {
			t.Fatalf("cut to %d of %d bytes: %v", n, len(data), err)
		}
	}
	if err := w.UnmarshalBinary(append(data[:len(data):len(data)], 0)); !errors.Is(err, errWire) {
		t.Errorf("a byte after the encoding: %v", err)
	}
	other := append([]byte{wireVersion + 1}, data[1:]...)
	if err := w.UnmarshalBinary(other); !errors.Is(err, errWire) {
		t.Errorf("another version: %v", err)
	}

	deep := value{K: kList}
	for range maxValueDepth + 1 {
		deep = value{K: kList, L: []value{deep}}
	}
	data, _ = (&wireResponse{Params: deep}).MarshalBinary()
	if err := w.UnmarshalBinary(data); !errors.Is(err, errWire) {
		t.Errorf("a value nested %d deep: %v", maxValueDepth+2, err)
	}
	// A count larger than the bytes left allocates nothing.
	huge := binary.AppendUvarint([]byte{wireVersion, 0}, math.MaxInt64)
	if err := w.UnmarshalBinary(huge); !errors.Is(err, errWire) {
		t.Errorf("a count past the end: %v", err)
	}
}

// TestWriteResponseIsItsFrame: the frame writeResponse writes, its nodes
// written apart, is the frame of MarshalBinary's bytes.
func TestWriteResponseIsItsFrame(t *testing.T) {
	t.Parallel()
	big := fullResponse(t)
	big.Nodes = strings.Repeat("\x01\x02", 70000)
	for name, w := range map[string]*wireResponse{
		"full":     fullResponse(t),
		"empty":    {},
		"an error": {Errors: []wireError{{Msg: "failed"}}},
		"large":    big,
	} {
		data, err := w.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var want, got bytes.Buffer
		if err := writeFrame(&want, data); err != nil {
			t.Fatal(err)
		}
		if err := writeResponse(&got, w); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("%s: writeResponse wrote %d bytes, the frame of MarshalBinary is %d", name, got.Len(), want.Len())
		}
		back, err := readFrame(&got)
		if err != nil || !bytes.Equal(back, data) {
			t.Errorf("%s: read back %d bytes, %v", name, len(back), err)
		}
	}
}

// TestWireErrorKeepsField: an engine's error crosses the pipe with its
// field (a jsonnet output's JSON path), which --output json prints and the
// redactor keeps a name in; it was dropped, and the field path was left
// in the message alone.
func TestWireErrorKeepsField(t *testing.T) {
	t.Parallel()
	in := &diag.Error{File: "d.jsonnet", Line: 5, Field: `["sealed-secrets-controller.json"]`, Msg: "m", Hint: "h"}
	w := &wireResponse{Errors: []wireError{encodeError(in)}}
	data, err := w.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var back wireResponse
	if err := back.UnmarshalBinary(data); err != nil {
		t.Fatal(err)
	}
	var de *diag.Error
	if !errors.As(back.Errors[0].decode(), &de) || *de != *in {
		t.Errorf("decoded %+v, want %+v", de, in)
	}
}
