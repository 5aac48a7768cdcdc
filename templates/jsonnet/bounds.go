package jsonnet

import (
	"fmt"

	gojsonnet "github.com/google/go-jsonnet"
	"github.com/google/go-jsonnet/ast"
	"github.com/google/go-jsonnet/toolutils"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/jsonnetdepth"
)

// go-jsonnet counts calls against VM.MaxStack (500 frames), which turns
// deep recursion into a clean "max stack frames exceeded" error, except
// for a call marked tailstrict: it drops the jsonnet frame but not the Go
// frames, so `local f(x) = f(x + 1) tailstrict; f(0)` grows the Go stack
// until the runtime kills the process (a Go stack overflow cannot be
// recovered, in any goroutine). kiln therefore refuses tailstrict in the
// files it evaluates; std's own tailstrict loops are bounded by their
// inputs, which are bounded by limits.FileSize.

// maxASTDepth bounds the nesting of one jsonnet file's syntax tree, for
// the same reason: the evaluator recurses on it.
const maxASTDepth = 1000

// checkAST refuses tailstrict calls and too deep nesting in the syntax
// tree of file.
func checkAST(file string, node ast.Node) error {
	return walkAST(file, node, 0)
}

func walkAST(file string, n ast.Node, depth int) error {
	if n == nil {
		return nil
	}
	if depth > maxASTDepth {
		return tooDeep(file, line(n))
	}
	if a, ok := n.(*ast.Apply); ok && a.TailStrict {
		return &diag.Error{File: file, Line: line(n), Msg: "tailstrict is not supported: go-jsonnet evaluates a tailstrict call on the Go stack without counting it against the stack limit, so unbounded recursion would crash kiln",
			Hint: "remove tailstrict; recursion is then bounded by jsonnet's stack of 500 frames (use std.foldl or std.map for long loops)"}
	}
	for _, c := range toolutils.Children(n) {
		if err := walkAST(file, c, depth+1); err != nil {
			return err
		}
	}
	return nil
}

func tooDeep(file string, line int) error {
	return &diag.Error{File: file, Line: line, Msg: fmt.Sprintf("expressions nest deeper than kiln's limit of %d", maxASTDepth),
		Hint: "flatten the expression with locals; kiln bounds nesting so that evaluation cannot exhaust the Go stack"}
}

func line(n ast.Node) int {
	if l := n.Loc(); l != nil {
		return l.Begin.Line
	}
	return 0
}

// checkSource parses the source of a file evaluated as Jsonnet (the main
// file, or one imported with import) and checks it; a syntax error is left
// to the VM, whose message is better. It returns the paths the file
// imports as code (import, not importstr or importbin): only those are
// Jsonnet to check in turn. A file read as a string or bytes is data, as
// the jsonnet program reads it: a JSON document nested 2,000 deep, or a
// Jsonnet source with tailstrict, that std.parseJson or a ConfigMap takes.
func checkSource(file, src string) ([]string, error) {
	// Counted before it is parsed: the parser's own recursion overflowed
	// the worker's Go stack at some 20,000 levels, a crash whose message
	// blamed a template's recursion.
	if depth, line := jsonnetdepth.Of(src, maxASTDepth+1); depth > maxASTDepth {
		return nil, tooDeep(file, line)
	}
	node, err := gojsonnet.SnippetToAST(file, src)
	if err != nil {
		return nil, nil
	}
	if err := checkAST(file, node); err != nil {
		return nil, err
	}
	var imports []string
	var walk func(n ast.Node)
	walk = func(n ast.Node) {
		if i, ok := n.(*ast.Import); ok && i.File != nil {
			imports = append(imports, i.File.Value)
		}
		for _, c := range toolutils.Children(n) {
			walk(c)
		}
	}
	walk(node) // checkAST bounded its depth
	return imports, nil
}
