package sandbox

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/templates"
)

// What crosses the pipes: one request from the pool, one response from the
// worker, each a frame after its length: the request gob-encoded, the
// response in its own encoding (wirebin.go). templates.Request and
// templates.Result hold interface values (Values, Params) and YAML node
// graphs, which gob cannot carry as they are; the wire types below carry
// them exactly, nil and empty apart, so that rendered output is byte for
// byte what the engine produced in process.

// maxFrame bounds what the pool reads from a worker: the engines' own
// bounds (64 MiB of Helm output, 4,000,000 YAML nodes) keep a result well
// below it, and a worker cannot make kiln allocate more.
const maxFrame = 512 << 20

func writeFrame(w io.Writer, payload []byte) error {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(payload)))
	if _, err := w.Write(n[:]); err != nil {
		return err
	}
	_, err := w.Write(payload)
	return err
}

func readFrame(r io.Reader) ([]byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, err
	}
	size := binary.BigEndian.Uint32(n[:])
	if size > maxFrame {
		return nil, fmt.Errorf("a frame of %d bytes is larger than the sandbox's limit of %d", size, maxFrame)
	}
	buf := make([]byte, size)
	if _, err := io.ReadFull(r, buf); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return buf, nil
}

// writeResponse writes w's encoding (MarshalBinary) as a frame, with its
// Nodes written from where they are rather than copied into the frame.
func writeResponse(out io.Writer, w *wireResponse) error {
	var n [4]byte
	head := w.head(n[:])
	tail := w.tail(nil)
	binary.BigEndian.PutUint32(head, uint32(len(head)-len(n)+len(w.Nodes)+len(tail)))
	if _, err := out.Write(head); err != nil {
		return err
	}
	if _, err := io.WriteString(out, w.Nodes); err != nil {
		return err
	}
	_, err := out.Write(tail)
	return err
}

// wireRequest is a templates.Request for the named engine.
type wireRequest struct {
	Engine string
	Config []byte

	Root, App, Namespace, Env, KubeVersion string
	Path, ChartRepo, ChartVersion          string
	ValuesFiles, APIVersions               []string
	SkipCRDs                               bool
	Values                                 value
	JPath                                  []string
	ExtVars, TLAs                          value
	Vars                                   map[string]string
	SecretVars                             map[string]bool
	Images                                 map[string]string
	// Nil records which of the slices and maps above were nil, gob
	// making no difference between nil and empty.
	Nil []string
}

func encodeRequest(engine string, config []byte, r *templates.Request) (*wireRequest, error) {
	values, err := encodeValue(anyOrNil(r.Values))
	if err != nil {
		return nil, fmt.Errorf("values: %w", err)
	}
	extVars, err := encodeValue(anyOrNil(r.ExtVars))
	if err != nil {
		return nil, fmt.Errorf("extVars: %w", err)
	}
	tlas, err := encodeValue(anyOrNil(r.TLAs))
	if err != nil {
		return nil, fmt.Errorf("tlas: %w", err)
	}
	w := &wireRequest{
		Engine: engine, Config: config,
		Root: r.Root, App: r.App, Namespace: r.Namespace, Env: r.Env, KubeVersion: r.KubeVersion,
		Path: r.Path, ChartRepo: r.ChartRepo, ChartVersion: r.ChartVersion,
		ValuesFiles: r.ValuesFiles, APIVersions: r.APIVersions, SkipCRDs: r.SkipCRDs, Values: values, JPath: r.JPath, ExtVars: extVars, TLAs: tlas,
		Vars: r.Vars, SecretVars: r.SecretVars, Images: r.Images,
	}
	for name, isNil := range map[string]bool{
		"ValuesFiles": r.ValuesFiles == nil, "APIVersions": r.APIVersions == nil, "JPath": r.JPath == nil, "Vars": r.Vars == nil,
		"SecretVars": r.SecretVars == nil, "Images": r.Images == nil,
	} {
		if isNil {
			w.Nil = append(w.Nil, name)
		}
	}
	slices.Sort(w.Nil)
	return w, nil
}

// anyOrNil keeps a nil map nil when it becomes an interface value.
func anyOrNil(m map[string]any) any {
	if m == nil {
		return nil
	}
	return m
}

func (w *wireRequest) decode() (*templates.Request, error) {
	r := &templates.Request{
		Root: w.Root, App: w.App, Namespace: w.Namespace, Env: w.Env, KubeVersion: w.KubeVersion,
		Path: w.Path, ChartRepo: w.ChartRepo, ChartVersion: w.ChartVersion,
		ValuesFiles: emptySlice(w.ValuesFiles), APIVersions: emptySlice(w.APIVersions), SkipCRDs: w.SkipCRDs, JPath: emptySlice(w.JPath),
		Vars: emptyMap(w.Vars), SecretVars: emptyMap(w.SecretVars), Images: emptyMap(w.Images),
	}
	for _, f := range []struct {
		name string
		v    value
		into *map[string]any
	}{{"values", w.Values, &r.Values}, {"extVars", w.ExtVars, &r.ExtVars}, {"tlas", w.TLAs, &r.TLAs}} {
		x, err := f.v.decode()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.name, err)
		}
		if x == nil {
			continue
		}
		m, ok := x.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: a %T, not a mapping", f.name, x)
		}
		*f.into = m
	}
	for _, name := range w.Nil {
		switch name {
		case "ValuesFiles":
			r.ValuesFiles = nil
		case "APIVersions":
			r.APIVersions = nil
		case "JPath":
			r.JPath = nil
		case "Vars":
			r.Vars = nil
		case "SecretVars":
			r.SecretVars = nil
		case "Images":
			r.Images = nil
		}
	}
	return r, nil
}

func emptySlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func emptyMap[K comparable, V any](m map[K]V) map[K]V {
	if m == nil {
		return map[K]V{}
	}
	return m
}

// wireResponse is a templates.Result, or the error the engine returned.
type wireResponse struct {
	// Nodes are the objects' node graphs (nodes.go): a string, so that
	// the decoded nodes' strings share the response's copy of the frame.
	Nodes       string
	Objects     []wireObject
	Inputs      []string
	InputsNil   bool
	InputDigest string
	Params      value
	Cacheable   bool
	Deps        []templates.Dep
	// Errors are the leaves of the engine's error, when it failed.
	Errors    []wireError
	Warnings  []templates.Warning
	APIChecks []string
}

type wireObject struct {
	Node    int32 // -1: nil
	File    string
	Line    int
	Raw     []byte
	RawNil  bool
	Overlay string
	Fields  []templates.FieldAt
	Path    string
}

// wireError is one leaf of an engine's error: a *diag.Error's fields, or
// the text of any other error. Causes travel as their text: the pool's
// callers read diag fields and messages, never an engine's own types.
type wireError struct {
	Diag                  bool
	File                  string
	Line                  int
	App                   string
	Kind, Namespace, Name string
	Field, Msg, Hint      string
	Cause                 string
	HasCause              bool
}

func encodeResponse(res *templates.Result, rerr error) (*wireResponse, error) {
	w := &wireResponse{}
	if rerr != nil {
		for _, e := range diag.Flatten(rerr) {
			w.Errors = append(w.Errors, encodeError(e))
		}
		return w, nil
	}
	var roots []*kyaml.Node
	for _, o := range res.Objects {
		if o.Node != nil {
			roots = append(roots, o.Node.YNode())
		}
	}
	nodes, ids := writeNodes(roots)
	for _, o := range res.Objects {
		wo := wireObject{Node: -1, File: o.File, Line: o.Line, Raw: o.Raw, RawNil: o.Raw == nil, Overlay: o.Overlay, Fields: o.Fields, Path: o.Path}
		if o.Node != nil {
			wo.Node, ids = int32(ids[0]), ids[1:]
		}
		w.Objects = append(w.Objects, wo)
	}
	w.Nodes = nodes
	w.Inputs, w.InputsNil, w.InputDigest = res.Inputs, res.Inputs == nil, res.InputDigest
	w.Cacheable, w.Deps, w.Warnings, w.APIChecks = res.Cacheable, res.Deps, res.Warnings, res.APIChecks
	params, err := encodeValue(anyOrNil(res.Params))
	if err != nil {
		return nil, fmt.Errorf("params: %w", err)
	}
	w.Params = params
	return w, nil
}

func encodeError(e error) wireError {
	var de *diag.Error
	if !errors.As(e, &de) {
		return wireError{Msg: e.Error()}
	}
	w := wireError{Diag: true, File: de.File, Line: de.Line, App: de.App,
		Kind: de.Object.Kind, Namespace: de.Object.Namespace, Name: de.Object.Name, Field: de.Field, Msg: de.Msg, Hint: de.Hint}
	if de.Err != nil {
		w.Cause, w.HasCause = de.Err.Error(), true
	}
	return w
}

func (w *wireError) decode() error {
	if !w.Diag {
		return errors.New(w.Msg)
	}
	de := &diag.Error{File: w.File, Line: w.Line, App: w.App,
		Object: diag.Object{Kind: w.Kind, Namespace: w.Namespace, Name: w.Name}, Field: w.Field, Msg: w.Msg, Hint: w.Hint}
	if w.HasCause {
		de.Err = errors.New(w.Cause)
	}
	return de
}

func (w *wireResponse) decode() (*templates.Result, error) {
	if len(w.Errors) > 0 {
		errs := make([]error, len(w.Errors))
		for i := range w.Errors {
			errs[i] = w.Errors[i].decode()
		}
		if len(errs) == 1 {
			return nil, errs[0]
		}
		return nil, errors.Join(errs...)
	}
	nodes, err := decodeNodes(w.Nodes)
	if err != nil {
		return nil, err
	}
	at := func(id int32) (*kyaml.Node, error) {
		switch {
		case id == -1:
			return nil, nil
		case id < 0 || int(id) >= len(nodes):
			return nil, fmt.Errorf("node %d of %d", id, len(nodes))
		}
		return nodes[id], nil
	}
	res := &templates.Result{InputDigest: w.InputDigest, Inputs: emptySlice(w.Inputs), Cacheable: w.Cacheable, Deps: w.Deps, Warnings: w.Warnings, APIChecks: w.APIChecks}
	if w.InputsNil {
		res.Inputs = nil
	}
	for _, wo := range w.Objects {
		o := templates.Object{File: wo.File, Line: wo.Line, Raw: wo.Raw, Overlay: wo.Overlay, Fields: wo.Fields, Path: wo.Path}
		if wo.RawNil {
			o.Raw = nil
		} else if o.Raw == nil {
			o.Raw = []byte{}
		}
		n, err := at(wo.Node)
		if err != nil {
			return nil, err
		}
		if n != nil {
			o.Node = kyaml.NewRNode(n)
		}
		res.Objects = append(res.Objects, o)
	}
	params, err := w.Params.decode()
	if err != nil {
		return nil, err
	}
	if params != nil {
		m, ok := params.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("params: a %T, not a mapping", params)
		}
		res.Params = m
	}
	return res, nil
}

// value is one interface value of Values or Params, of the types YAML and
// JSON decoders and Helm's value merging produce.
type value struct {
	K    valueKind
	S    string
	I    int64
	U    uint64
	F    float64
	B    []byte
	L    []value
	Keys []string
}

type valueKind uint8

const (
	kNil valueKind = iota
	kBool
	kString
	kInt
	kInt8
	kInt16
	kInt32
	kInt64
	kUint
	kUint8
	kUint16
	kUint32
	kUint64
	kFloat32
	kFloat64
	kTime
	kBytes
	kList
	kMap
	kStrings
	kStringMap
)

func encodeValue(v any) (value, error) {
	switch t := v.(type) {
	case nil:
		return value{K: kNil}, nil
	case bool:
		if t {
			return value{K: kBool, I: 1}, nil
		}
		return value{K: kBool}, nil
	case string:
		return value{K: kString, S: t}, nil
	case int:
		return value{K: kInt, I: int64(t)}, nil
	case int8:
		return value{K: kInt8, I: int64(t)}, nil
	case int16:
		return value{K: kInt16, I: int64(t)}, nil
	case int32:
		return value{K: kInt32, I: int64(t)}, nil
	case int64:
		return value{K: kInt64, I: t}, nil
	case uint:
		return value{K: kUint, U: uint64(t)}, nil
	case uint8:
		return value{K: kUint8, U: uint64(t)}, nil
	case uint16:
		return value{K: kUint16, U: uint64(t)}, nil
	case uint32:
		return value{K: kUint32, U: uint64(t)}, nil
	case uint64:
		return value{K: kUint64, U: t}, nil
	case float32:
		return value{K: kFloat32, F: float64(t)}, nil
	case float64:
		return value{K: kFloat64, F: t}, nil
	case time.Time:
		b, err := t.MarshalBinary()
		return value{K: kTime, B: b}, err
	case []byte:
		return value{K: kBytes, B: t, I: nilFlag(t == nil)}, nil
	case []string:
		return value{K: kStrings, Keys: t, I: nilFlag(t == nil)}, nil
	case []any:
		out := value{K: kList, I: nilFlag(t == nil), L: make([]value, len(t))}
		for i, x := range t {
			var err error
			if out.L[i], err = encodeValue(x); err != nil {
				return value{}, err
			}
		}
		return out, nil
	case map[string]string:
		out := value{K: kStringMap, I: nilFlag(t == nil), Keys: slices.Sorted(maps.Keys(t))}
		for _, k := range out.Keys {
			out.L = append(out.L, value{K: kString, S: t[k]})
		}
		return out, nil
	case map[string]any:
		out := value{K: kMap, I: nilFlag(t == nil), Keys: slices.Sorted(maps.Keys(t))}
		for _, k := range out.Keys {
			x, err := encodeValue(t[k])
			if err != nil {
				return value{}, fmt.Errorf("%s: %w", k, err)
			}
			out.L = append(out.L, x)
		}
		return out, nil
	}
	return value{}, fmt.Errorf("a value of type %T cannot cross to the sandbox", v)
}

func nilFlag(isNil bool) int64 {
	if isNil {
		return 1
	}
	return 0
}

func (v *value) decode() (any, error) {
	switch v.K {
	case kNil:
		return nil, nil
	case kBool:
		return v.I == 1, nil
	case kString:
		return v.S, nil
	case kInt:
		return int(v.I), nil
	case kInt8:
		return int8(v.I), nil
	case kInt16:
		return int16(v.I), nil
	case kInt32:
		return int32(v.I), nil
	case kInt64:
		return v.I, nil
	case kUint:
		return uint(v.U), nil
	case kUint8:
		return uint8(v.U), nil
	case kUint16:
		return uint16(v.U), nil
	case kUint32:
		return uint32(v.U), nil
	case kUint64:
		return v.U, nil
	case kFloat32:
		return float32(v.F), nil
	case kFloat64:
		return v.F, nil
	case kTime:
		var t time.Time
		err := t.UnmarshalBinary(v.B)
		return t, err
	case kBytes:
		if v.I == 1 {
			return []byte(nil), nil
		}
		return emptySlice(v.B), nil
	case kStrings:
		if v.I == 1 {
			return []string(nil), nil
		}
		return emptySlice(v.Keys), nil
	case kList:
		if v.I == 1 {
			return []any(nil), nil
		}
		out := make([]any, len(v.L))
		for i := range v.L {
			var err error
			if out[i], err = v.L[i].decode(); err != nil {
				return nil, err
			}
		}
		return out, nil
	case kStringMap:
		if v.I == 1 {
			return map[string]string(nil), nil
		}
		if len(v.Keys) != len(v.L) {
			return nil, errors.New("a mapping's keys and values differ in number")
		}
		out := make(map[string]string, len(v.Keys))
		for i, k := range v.Keys {
			out[k] = v.L[i].S
		}
		return out, nil
	case kMap:
		if v.I == 1 {
			return map[string]any(nil), nil
		}
		if len(v.Keys) != len(v.L) {
			return nil, errors.New("a mapping's keys and values differ in number")
		}
		out := make(map[string]any, len(v.Keys))
		for i, k := range v.Keys {
			x, err := v.L[i].decode()
			if err != nil {
				return nil, err
			}
			out[k] = x
		}
		return out, nil
	}
	return nil, fmt.Errorf("unknown value kind %d", v.K)
}

// MarshalResult encodes res exactly as it crosses the worker pipe, for
// callers that keep a Result elsewhere (render's cache): objects, node
// graphs, raw SOPS bytes, parameters and dependencies come back byte for
// byte from UnmarshalResult.
func MarshalResult(res *templates.Result) ([]byte, error) {
	w, err := encodeResponse(res, nil)
	if err != nil {
		return nil, err
	}
	return w.MarshalBinary()
}

// UnmarshalResult decodes what MarshalResult encoded. Data it did not
// write, truncated or corrupt, is an error, never a panic.
func UnmarshalResult(data []byte) (res *templates.Result, err error) {
	defer func() {
		// The decoders are meant to return errors on bad input; this is a
		// guard for the day one does not, since the data comes from a
		// folder anyone with the cache key could have written.
		if p := recover(); p != nil {
			res, err = nil, fmt.Errorf("undecodable result: %v", p)
		}
	}()
	var w wireResponse
	if err := w.UnmarshalBinary(data); err != nil {
		return nil, err
	}
	if len(w.Errors) > 0 {
		return nil, errors.New("not a result: an error")
	}
	return w.decode()
}
