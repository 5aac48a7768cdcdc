package jsonnet

import (
	"github.com/google/go-jsonnet/ast"
)

// Jsonnet's values do not remember where they were built: go-jsonnet's
// evaluator keeps no location on an object, and its output is JSON. What
// kiln has is the main file's syntax tree, and where the output follows
// that tree literally (an array literal's elements, an object literal's
// fields with plain names, a local variable bound to a literal) each
// output value is the value of a known expression. origin walks the output
// and the tree together: an object whose own `{` is found has that line;
// an object produced by any other expression (a function call, `+`, an
// import, a conditional, a comprehension) has the line where that
// expression starts in the main file, the closest place the user wrote it.
// An output whose top level is not a literal has no lines (0).

// origin is the expression of the main file an output value came from.
type origin struct {
	// node is the literal expression being followed; nil once the output
	// left the literals.
	node  ast.Node
	scope map[ast.Identifier]binding
	// line is the line to report for values below: node's start, or the
	// start of the last expression followed.
	line int
}

// rootOrigin is the origin of the whole output of a main file whose
// syntax tree is node: its value, through locals and a top-level function.
func rootOrigin(node ast.Node) origin {
	if f, ok := node.(*ast.Function); ok {
		node = f.Body
	}
	o := resolve(node, nil)
	if o.node == nil || !literal(o.node) {
		return origin{}
	}
	return o
}

// resolve follows locals, variables bound to them and parentheses from
// node to the expression that gives its value.
func resolve(node ast.Node, scope map[ast.Identifier]binding) origin {
	for depth := 0; node != nil && depth <= maxDepth; depth++ {
		switch n := node.(type) {
		case *ast.Local:
			node, scope = n.Body, bindLocal(n, scope)
			continue
		case *ast.Var:
			b, ok := scope[n.Id]
			if !ok {
				return origin{node: node, scope: scope, line: lineOf(node)}
			}
			node, scope = b.def, b.scope
			continue
		case *ast.Parens:
			node = n.Inner
			continue
		}
		return origin{node: node, scope: scope, line: lineOf(node)}
	}
	return origin{}
}

func literal(node ast.Node) bool {
	switch node.(type) {
	case *ast.DesugaredObject, *ast.Array:
		return true
	}
	return false
}

func lineOf(node ast.Node) int {
	if node == nil || node.Loc() == nil {
		return 0
	}
	return node.Loc().Begin.Line
}

// index is the origin of element i of the array this origin gave.
func (o origin) index(i int) origin {
	a, ok := o.node.(*ast.Array)
	if !ok || i >= len(a.Elements) {
		return origin{line: o.line}
	}
	return o.child(a.Elements[i].Expr)
}

// field is the origin of the value of field key of the object this
// origin gave.
func (o origin) field(key string) origin {
	obj, ok := o.node.(*ast.DesugaredObject)
	if !ok {
		return origin{line: o.line}
	}
	for _, f := range obj.Fields {
		if f.Hide == ast.ObjectFieldHidden || !canBeNamed(f.Name, key, 0) {
			continue
		}
		if f.PlusSuper {
			// `key+: {…}` adds to an inherited value: the output is not
			// the literal alone.
			return origin{line: lineOf(f.Body)}
		}
		scope := o.scope
		if len(obj.Locals) > 0 {
			scope = make(map[ast.Identifier]binding, len(o.scope)+len(obj.Locals))
			for k, v := range o.scope {
				scope[k] = v
			}
			for _, b := range obj.Locals {
				var def ast.Node = b.Body
				if b.Fun != nil {
					def = b.Fun
				}
				scope[b.Variable] = binding{def: def, scope: scope}
			}
		}
		return origin{node: o.node, scope: scope, line: o.line}.child(f.Body)
	}
	// A field whose name only evaluation knows: no line rather than a
	// wrong one.
	return origin{}
}

// keyLine is the line where field key of the object this origin gave is
// written: where its value's expression starts in the literal (a local
// it names may stand elsewhere), the origin's line when the object is no
// literal, 0 for a field whose name only evaluation knows.
func (o origin) keyLine(key string) int {
	obj, ok := o.node.(*ast.DesugaredObject)
	if !ok {
		return o.line
	}
	for _, f := range obj.Fields {
		if f.Hide != ast.ObjectFieldHidden && canBeNamed(f.Name, key, 0) {
			if l := lineOf(f.Body); l > 0 {
				return l
			}
			return o.line
		}
	}
	return 0
}

// canBeNamed reports whether a field name expression can only evaluate to
// key or to null (no field): a plain name, or `[if c then 'key']`.
func canBeNamed(name ast.Node, key string, depth int) bool {
	if depth > maxDepth {
		return false
	}
	switch n := name.(type) {
	case *ast.LiteralString:
		return n.Value == key
	case *ast.Conditional:
		t, f := n.BranchTrue, n.BranchFalse
		_, tNull := t.(*ast.LiteralNull)
		_, fNull := f.(*ast.LiteralNull)
		return (tNull || canBeNamed(t, key, depth+1)) && (fNull || canBeNamed(f, key, depth+1)) && !(tNull && fNull)
	}
	return false
}

// child follows expr, the expression of an element or field, in o's
// scope.
func (o origin) child(expr ast.Node) origin {
	c := resolve(expr, o.scope)
	if c.line == 0 {
		c.line = o.line
	}
	if !literal(c.node) {
		// Not a literal: its value cannot be followed, only placed where
		// the expression that computes it starts.
		return origin{line: c.line}
	}
	return c
}
