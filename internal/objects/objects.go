// Package objects splits a YAML stream into Kubernetes objects that remember
// the file and line they started on. Engines whose output is YAML text
// (helm, kustomize, plain) share it, so objects from every engine look alike.
package objects

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/templates"
)

// Parse decodes every document of data. file is recorded on each object;
// lines are 1-based lines of data plus lineOffset (for a stream cut out of a
// larger file). Empty documents are skipped; a List is expanded into its
// items; a document that is not a mapping with apiVersion and kind is an
// error naming file and line.
func Parse(data []byte, file string, lineOffset int) ([]templates.Object, error) {
	dec := kyaml.NewDecoder(bytes.NewReader(data))
	var out []templates.Object
	var errs []error
	for {
		var doc kyaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, &diag.Error{File: file, Line: lineOffset + yamlErrLine(err), Msg: "invalid YAML: " + err.Error(), Err: err}
		}
		node := &doc
		if node.Kind == kyaml.DocumentNode && len(node.Content) == 1 {
			node = node.Content[0]
		}
		if node.Kind == kyaml.ScalarNode && (node.Tag == "!!null" || node.Value == "") {
			continue // an empty document, e.g. a template that rendered nothing
		}
		line := lineOffset + node.Line
		if node.Kind != kyaml.MappingNode {
			errs = append(errs, &diag.Error{File: file, Line: line, Msg: "a YAML document is not a Kubernetes object (not a mapping)", Hint: "every document must be a mapping with apiVersion and kind"})
			continue
		}
		node.HeadComment, node.FootComment = "", ""
		rn := kyaml.NewRNode(node)
		objs, err := Check(rn, file, line)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, objs...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// Check makes sure rn is a Kubernetes object (apiVersion, kind and a
// metadata.name) and expands a v1 List into its items.
func Check(rn *kyaml.RNode, file string, line int) ([]templates.Object, error) {
	kind := rn.GetKind()
	if rn.GetApiVersion() == "" || kind == "" {
		return nil, &diag.Error{File: file, Line: line, Msg: "object has no apiVersion or kind", Hint: "every document must be a Kubernetes object with apiVersion and kind"}
	}
	if kind == "List" && rn.GetApiVersion() == "v1" {
		items, err := rn.Pipe(kyaml.Lookup("items"))
		if err != nil || items == nil {
			return nil, nil
		}
		var out []templates.Object
		elems, err := items.Elements()
		if err != nil {
			return nil, &diag.Error{File: file, Line: line, Msg: "List items is not a list", Err: err}
		}
		for _, it := range elems {
			objs, err := Check(it, file, line+it.YNode().Line-rn.YNode().Line)
			if err != nil {
				return nil, err
			}
			out = append(out, objs...)
		}
		return out, nil
	}
	if rn.GetName() == "" {
		return nil, &diag.Error{File: file, Line: line, Object: diag.Object{Kind: kind}, Msg: "object has no metadata.name", Hint: "set metadata.name"}
	}
	return []templates.Object{{Node: rn, File: file, Line: line}}, nil
}

// yamlErrLine digs the line out of a yaml.v3 error message ("yaml: line 7: …").
func yamlErrLine(err error) int {
	var n int
	msg := err.Error()
	for i := 0; i+len("line ") < len(msg); i++ {
		if msg[i:i+5] == "line " {
			if _, e := fmt.Sscanf(msg[i+5:], "%d", &n); e == nil {
				return n
			}
		}
	}
	return 0
}
