package jsonnet

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/google/go-jsonnet/ast"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/limits"
	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/templates"
)

// flatten turns the JSON output of the main file into Kubernetes objects,
// like Tanka does:
//
//   - an object with apiVersion and kind is one object; one of kind List
//     stands for the objects in its items;
//   - an array stands for its elements, flattened in order;
//   - any other object stands for its fields' values, flattened in the
//     order of their keys (sorted, as Jsonnet prints them);
//   - null stands for nothing, so `if enabled then {…}` may yield null;
//   - anything else (a string, a number, a boolean, an object with only
//     one of apiVersion and kind) is an error naming file and the JSON
//     path of the value.
//
// Objects keep Jsonnet's key order. file is recorded on each object, with
// the line origin finds in main, the main file's syntax tree (0 where
// there is none).
func flatten(out []byte, file string, main ast.Node, b bounds) ([]templates.Object, error) {
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.UseNumber()
	root, err := decodeNode(dec, &nodeBudget{left: b.nodes, max: b.nodes})
	if err != nil {
		var le *limits.Error
		if errors.As(err, &le) {
			return nil, &diag.Error{File: file, Msg: le.Describe(), Err: le, Hint: limits.Hint}
		}
		var ne *numberError
		if errors.As(err, &ne) {
			at, o := ne.path(rootOrigin(main))
			return nil, &diag.Error{File: file, Line: o.line, Field: outField(at), Msg: fmt.Sprintf("jsonnet output at %s: %v", where(at), ne), Err: err,
				Hint: "write it as a string (std.toString) if it is not meant as a number"}
		}
		// go-jsonnet printed it: this is not the user's doing.
		return nil, &diag.Error{File: file, Msg: "cannot read the jsonnet output", Err: err}
	}
	f := &flattener{file: file}
	f.walk(root, "", rootOrigin(main))
	if len(f.errs) > 0 {
		return nil, diag.Join(f.errs...)
	}
	if len(f.objs) > b.objects {
		le := &limits.Error{What: "the number of objects in the jsonnet output", Limit: fmt.Sprint(b.objects)}
		return nil, &diag.Error{File: file, Msg: le.Describe(), Err: le, Hint: limits.Hint}
	}
	if len(f.objs) == 0 {
		return nil, &diag.Error{File: file, Msg: "the jsonnet output holds no Kubernetes objects",
			Hint: "output an object with apiVersion and kind, a list of them, or an object whose fields hold them"}
	}
	return f.objs, nil
}

type flattener struct {
	file string
	objs []templates.Object
	errs []error
}

const notObjectHint = "the output must be Kubernetes objects (with apiVersion and kind), lists of them, " +
	"or objects whose fields hold them; hide helper fields with :: or move them out of the output"

func (f *flattener) walk(n *kyaml.Node, at string, o origin) {
	switch n.Kind {
	case kyaml.SequenceNode:
		for i, el := range n.Content {
			f.walk(el, fmt.Sprintf("%s[%d]", at, i), o.index(i))
		}
	case kyaml.MappingNode:
		_, hasKind := field(n, "kind")
		_, hasAPI := field(n, "apiVersion")
		switch {
		case hasKind && hasAPI:
			f.object(n, at, o)
		case hasKind || hasAPI:
			missing := "apiVersion"
			if hasAPI {
				missing = "kind"
			}
			f.errs = append(f.errs, &diag.Error{File: f.file, Line: o.line, Field: outField(at),
				Msg:  fmt.Sprintf("jsonnet output at %s has no %s", where(at), missing),
				Hint: "a Kubernetes object needs both apiVersion and kind"})
		default:
			if values := dataFields(n); values != "" {
				// Data, not a holder of objects (a Grafana dashboard
				// of bitnami-labs/sealed-secrets' mixin): one error,
				// where one per value made 180 of one mistake.
				f.errs = append(f.errs, &diag.Error{File: f.file, Line: o.line, Field: outField(at),
					Msg:  fmt.Sprintf("jsonnet output at %s is an object without apiVersion and kind that holds values, not Kubernetes objects (%s)", where(at), values),
					Hint: notObjectHint})
				return
			}
			for i := 0; i+1 < len(n.Content); i += 2 {
				f.walk(n.Content[i+1], at+pathKey(n.Content[i].Value), o.field(n.Content[i].Value))
			}
		}
	case kyaml.ScalarNode:
		if n.Tag == kyaml.NodeTagNull {
			return
		}
		f.errs = append(f.errs, &diag.Error{File: f.file, Line: o.line, Field: outField(at),
			Msg:  fmt.Sprintf("jsonnet output at %s is a %s, not a Kubernetes object", where(at), typeName(n.Tag)),
			Hint: notObjectHint})
	}
}

// object adds an object, or the items of a List.
func (f *flattener) object(n *kyaml.Node, at string, o origin) {
	if tankaEnvironment(n) {
		// Tanka's inline environment holds the objects in its data and
		// the cluster and default namespace in its spec; Tanka applies
		// the data. Written whole, the app's objects would never reach
		// the cluster, and the Environment, a kind no cluster serves,
		// would fail the apply.
		f.errs = append(f.errs, &diag.Error{File: f.file, Line: o.line,
			Msg: fmt.Sprintf("jsonnet output at %s is a Tanka Environment (%s), Tanka's configuration, not a Kubernetes object: "+
				"kiln would write it whole, the app's objects inside its data, and no cluster serves the kind", where(at), fieldValue(n, "apiVersion")),
			Hint: "make the output the Environment's data (a main file of `(import 'main.jsonnet').data`), and give its spec.namespace as the app's namespace in kiln.yaml; kiln reads no Tanka Environment"})
		return
	}
	if items, ok := objects.ListItems(n); ok && items.Kind == kyaml.SequenceNode {
		f.walk(items, at+".items", o.field("items"))
		return
	}
	objs, err := objects.Check(kyaml.NewRNode(n), f.file, o.line)
	if err != nil {
		var de *diag.Error
		if errors.As(err, &de) {
			c := *de
			c.Msg = fmt.Sprintf("jsonnet output at %s: %s", where(at), de.Msg)
			err = &c
		}
		f.errs = append(f.errs, err)
		return
	}
	for i := range objs {
		objs[i].Path = strings.TrimPrefix(at, ".")
	}
	if len(objs) == 1 && objs[0].Node.YNode() == n {
		fieldLines(n, o)
	}
	f.objs = append(f.objs, objs...)
}

// fieldLines gives n, a value of the output, and each key and value below
// it the line origin finds for it in the main file: a key of an object
// literal the line where its value is written there, a value the line of
// the literal it resolves to (through locals), a value computed by an
// expression the line where the expression starts. The output's JSON has
// no lines of the file, so each field of an object used to be named at
// the object's `{`, in a 60-line Deployment literal 30 lines from the
// field. A field whose name only evaluation knows gets none (0: the
// object's line).
func fieldLines(n *kyaml.Node, o origin) {
	n.Line = o.line
	switch n.Kind {
	case kyaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			c := o.field(n.Content[i].Value)
			n.Content[i].Line = o.keyLine(n.Content[i].Value)
			fieldLines(n.Content[i+1], c)
		}
	case kyaml.SequenceNode:
		for i, item := range n.Content {
			fieldLines(item, o.index(i))
		}
	}
}

// dataFields describes the fields of mapping n (no Kubernetes object
// itself) that are values, strings, numbers or booleans, when no field is
// a Kubernetes object: "" when n holds objects or no value. At most three
// are named.
func dataFields(n *kyaml.Node) string {
	var names []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		v := n.Content[i+1]
		switch {
		case v.Kind == kyaml.MappingNode:
			_, hasKind := field(v, "kind")
			_, hasAPI := field(v, "apiVersion")
			if hasKind && hasAPI {
				return ""
			}
		case v.Kind == kyaml.ScalarNode && v.Tag != kyaml.NodeTagNull:
			names = append(names, where(pathKey(n.Content[i].Value))+": a "+typeName(v.Tag))
		}
	}
	if len(names) > 3 {
		return fmt.Sprintf("%s and %d more", strings.Join(names[:3], ", "), len(names)-3)
	}
	return strings.Join(names, ", ")
}

// tankaEnvironment reports whether n is a Tanka inline environment: kind
// Environment in the tanka.dev group.
func tankaEnvironment(n *kyaml.Node) bool {
	group, _, _ := strings.Cut(fieldValue(n, "apiVersion"), "/")
	return group == "tanka.dev" && fieldValue(n, "kind") == "Environment"
}

// fieldValue returns the value of key in mapping n when it is a scalar.
func fieldValue(n *kyaml.Node, key string) string {
	if v, ok := field(n, key); ok && v.Kind == kyaml.ScalarNode {
		return v.Value
	}
	return ""
}

// field returns the value of key in mapping n.
func field(n *kyaml.Node, key string) (*kyaml.Node, bool) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1], true
		}
	}
	return nil, false
}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// pathKey is one step of a JSON path: .name, or ["odd key"].
func pathKey(k string) string {
	if identifier.MatchString(k) {
		return "." + k
	}
	return "[" + strconv.Quote(k) + "]"
}

// outField is the error's field for a value at JSON path at of the
// output: the path the message quotes, so that a Secret's value that is a
// name is kept in it as in any field path (kiln's redactor masked
// bitnami-labs/sealed-secrets' "sealed-secrets-controller.json" as
// "sealed-**redacted**s-controller.json"); none at the top level.
func outField(at string) string { return strings.TrimPrefix(at, ".") }

func where(at string) string {
	if at == "" {
		return "the top level"
	}
	return strings.TrimPrefix(at, ".")
}

func typeName(tag string) string {
	switch tag {
	case kyaml.NodeTagString:
		return "string"
	case kyaml.NodeTagBool:
		return "boolean"
	}
	return "number"
}

// decodeNode reads one JSON value from dec into a YAML node tree, keeping
// the key order and the exact number literals. Each node made (values
// and keys) is taken from left.
func decodeNode(dec *json.Decoder, left *nodeBudget) (*kyaml.Node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if err := left.take(); err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n := &kyaml.Node{Kind: kyaml.MappingNode, Tag: kyaml.NodeTagMap}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("object key %v is not a string", kt)
				}
				if err := left.take(); err != nil {
					return nil, err
				}
				v, err := decodeNode(dec, left)
				if err != nil {
					return nil, within(err, pathStep{key: key})
				}
				n.Content = append(n.Content, stringNode(key), v)
			}
			_, err := dec.Token() // '}'
			return n, err
		case '[':
			n := &kyaml.Node{Kind: kyaml.SequenceNode, Tag: kyaml.NodeTagSeq}
			for dec.More() {
				v, err := decodeNode(dec, left)
				if err != nil {
					return nil, within(err, pathStep{index: len(n.Content), isIndex: true})
				}
				n.Content = append(n.Content, v)
			}
			_, err := dec.Token() // ']'
			return n, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	case string:
		return stringNode(t), nil
	case json.Number:
		tag := kyaml.NodeTagInt
		if strings.ContainsAny(string(t), ".eE") {
			tag = kyaml.NodeTagFloat
		} else if _, err := strconv.ParseInt(string(t), 10, 64); err != nil {
			// YAML would carry it only as "!!int 1000000000000000000000",
			// which neither kustomize nor the Kubernetes decoder reads.
			return nil, &numberError{n: string(t)}
		}
		return &kyaml.Node{Kind: kyaml.ScalarNode, Tag: tag, Value: string(t)}, nil
	case bool:
		return &kyaml.Node{Kind: kyaml.ScalarNode, Tag: kyaml.NodeTagBool, Value: strconv.FormatBool(t)}, nil
	case nil:
		return &kyaml.Node{Kind: kyaml.ScalarNode, Tag: kyaml.NodeTagNull, Value: "null"}, nil
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

// nodeBudget counts the YAML nodes flatten makes against limits.Nodes,
// as every engine's output is counted (limits.Counter).
type nodeBudget struct{ left, max int }

func (b *nodeBudget) take() error {
	if b.left--; b.left < 0 {
		return &limits.Error{What: "the number of YAML nodes of the jsonnet output", Limit: fmt.Sprint(b.max)}
	}
	return nil
}

// numberError is an integer kiln cannot write faithfully.
type numberError struct {
	n string
	// steps lead from the output's top level to the number, innermost
	// first: decodeNode adds them as the error goes up, so that a render
	// without the error builds no path.
	steps []pathStep
}

// pathStep is one step of a JSON path: a field or an array index.
type pathStep struct {
	key     string
	index   int
	isIndex bool
}

// within adds step in front of a numberError's path; other errors pass.
func within(err error, step pathStep) error {
	if ne, ok := err.(*numberError); ok {
		ne.steps = append(ne.steps, step)
	}
	return err
}

// path returns the number's JSON path and its origin in the main file,
// following o, the origin of the top level.
func (e *numberError) path(o origin) (string, origin) {
	return follow(slices.Backward(e.steps), o)
}

// follow returns the JSON path of steps, outermost first, and the origin
// in the main file of the value there, following o, the origin of the
// top level.
func follow(steps iter.Seq2[int, pathStep], o origin) (string, origin) {
	var at strings.Builder
	for _, s := range steps {
		if s.isIndex {
			fmt.Fprintf(&at, "[%d]", s.index)
			o = o.index(s.index)
		} else {
			at.WriteString(pathKey(s.key))
			o = o.field(s.key)
		}
	}
	return at.String(), o
}

func (e *numberError) Error() string {
	return "the number " + e.n + " does not fit a 64-bit integer, so neither kustomize nor the Kubernetes decoder can read it"
}

// stringNode is a string scalar. It is tagged !!str with no style, so the
// YAML encoder quotes it only where a plain scalar would read as something
// else in YAML 1.2 ("true", "1.0"); strings that YAML 1.1 would read as
// something else ("on", "yes", "0777") are double-quoted as well, because
// the Kubernetes tooling that reads kiln's output parses YAML 1.1.
func stringNode(s string) *kyaml.Node {
	n := &kyaml.Node{Kind: kyaml.ScalarNode, Tag: kyaml.NodeTagString, Value: s}
	if kyaml.IsValueNonString(s) {
		n.Style = kyaml.DoubleQuotedStyle
	}
	return n
}
