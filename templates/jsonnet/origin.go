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
	// file is the file line is in, "" for the main file; lib follows
	// imports, indexes and calls of functions into other files, nil to
	// stop at them (the engine's mapping reads no file but the main
	// one: Libraries follows them, for an error only).
	file string
	lib  *libs
	sums int // the a + b objects followed to reach node
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
	return resolveIn(node, scope, "", nil, 0)
}

// resolveIn is resolve in file; with lib, it also follows an import to
// the imported file, a field of an object (obj.name) to its value, and a
// call of a function to its body, its parameters bound to the arguments.
func resolveIn(node ast.Node, scope map[ast.Identifier]binding, file string, lib *libs, depth int) origin {
	stop := func(node ast.Node) origin {
		return origin{node: node, scope: scope, line: lineOf(node), file: file, lib: lib}
	}
	for ; node != nil && depth <= maxDepth; depth++ {
		switch n := node.(type) {
		case *ast.Local:
			node, scope = n.Body, bindAll(scope, n.Binds, file)
			continue
		case *ast.Var:
			b, ok := scope[n.Id]
			if !ok {
				return stop(node)
			}
			node, scope, file = b.def, b.scope, b.file
			continue
		case *ast.Parens:
			node = n.Inner
			continue
		case *ast.Import:
			if lib == nil || n.File == nil {
				return stop(node)
			}
			f, imported, ok := lib.load(file, n.File.Value)
			if !ok {
				return stop(node)
			}
			node, scope, file = imported, nil, f
			continue
		case *ast.Index:
			name, ok := n.Index.(*ast.LiteralString)
			if lib == nil || !ok {
				return stop(node)
			}
			t := resolveIn(n.Target, scope, file, lib, depth+1)
			obj, ok := t.node.(*ast.DesugaredObject)
			if !ok {
				return stop(node)
			}
			var body ast.Node
			for _, f := range obj.Fields {
				if !f.PlusSuper && canBeNamed(f.Name, name.Value, 0) {
					body = f.Body
				}
			}
			if body == nil {
				return stop(node)
			}
			node, scope, file = body, objectScope(obj, t.scope, t.file), t.file
			continue
		case *ast.Apply:
			if lib == nil {
				return stop(node)
			}
			t := resolveIn(n.Target, scope, file, lib, depth+1)
			fn, ok := t.node.(*ast.Function)
			if !ok {
				return stop(node)
			}
			inner := make(map[ast.Identifier]binding, len(t.scope)+len(fn.Parameters))
			for k, v := range t.scope {
				inner[k] = v
			}
			for i, p := range fn.Parameters {
				var arg ast.Node
				if i < len(n.Arguments.Positional) {
					arg = n.Arguments.Positional[i].Expr
				}
				for _, na := range n.Arguments.Named {
					if na.Name == p.Name {
						arg = na.Arg
					}
				}
				if arg != nil {
					inner[p.Name] = binding{def: arg, scope: scope, file: file}
				} else if p.DefaultArg != nil {
					inner[p.Name] = binding{def: p.DefaultArg, scope: inner, file: t.file}
				}
			}
			node, scope, file = fn.Body, inner, t.file
			continue
		}
		return stop(node)
	}
	return origin{}
}

// objectScope is scope with the locals of obj, in file, bound.
func objectScope(obj *ast.DesugaredObject, scope map[ast.Identifier]binding, file string) map[ast.Identifier]binding {
	if len(obj.Locals) == 0 {
		return scope
	}
	return bindAll(scope, obj.Locals, file)
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
		return origin{line: o.line, file: o.file}
	}
	return o.child(a.Elements[i].Expr)
}

// field is the origin of the value of field key of the object this
// origin gave.
func (o origin) field(key string) origin {
	if b, ok := o.node.(*ast.Binary); ok && o.lib != nil && b.Op == ast.BopPlus {
		// An object a + b: the field is b's when b writes it, else a's.
		// A chain of sums is followed maxDepth deep: a file of a
		// million `{} +` would otherwise recurse as deep.
		if o.sums >= maxDepth {
			return origin{line: o.line, file: o.file}
		}
		r := o.child(b.Right)
		obj, ok := r.node.(*ast.DesugaredObject)
		if !ok {
			return origin{line: o.line, file: o.file}
		}
		for _, f := range obj.Fields {
			if f.Hide != ast.ObjectFieldHidden && canBeNamed(f.Name, key, 0) {
				return r.field(key)
			}
		}
		l := o.child(b.Left)
		l.sums = o.sums + 1
		return l.field(key)
	}
	obj, ok := o.node.(*ast.DesugaredObject)
	if !ok {
		return origin{line: o.line, file: o.file}
	}
	for _, f := range obj.Fields {
		if f.Hide == ast.ObjectFieldHidden || !canBeNamed(f.Name, key, 0) {
			continue
		}
		if f.PlusSuper {
			// `key+: {…}` adds to an inherited value: the output is not
			// the literal alone.
			return origin{line: lineOf(f.Body), file: o.file}
		}
		return origin{node: o.node, scope: objectScope(obj, o.scope, o.file), line: o.line, file: o.file, lib: o.lib}.child(f.Body)
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
	c := resolveIn(expr, o.scope, o.file, o.lib, 0)
	if c.line == 0 {
		c.line, c.file = o.line, o.file
	}
	if !literal(c.node) && !sum(c) {
		// Not a literal: its value cannot be followed, only placed where
		// the expression that computes it starts.
		return origin{line: c.line, file: c.file}
	}
	return c
}

// sum reports whether o, following libraries, is an object a + b, whose
// fields field follows into b or a.
func sum(o origin) bool {
	b, ok := o.node.(*ast.Binary)
	return ok && o.lib != nil && b.Op == ast.BopPlus
}
