package jsonnet

import (
	"github.com/google/go-jsonnet/ast"
)

// shape is what the syntax tree says about a file's value.
type shape int

const (
	// shapeValue: the value is certainly not a function (an object, an
	// array, a literal, arithmetic).
	shapeValue shape = iota
	// shapeFunction: the value is a function literal.
	shapeFunction
	// shapeUnknown: only evaluation can tell.
	shapeUnknown
)

// maxDepth bounds topLevel's walk through local bindings, against
// `local a = b, b = a; a`.
const maxDepth = 100

// binding is a local variable's definition and the scope it sees.
type binding struct {
	def   ast.Node
	scope map[ast.Identifier]binding
	// file is the file def stands in, for origins that follow imports
	// (Libraries); "" for the main file.
	file string
}

// topLevel inspects the (desugared) syntax tree of the main file. For a
// function it returns the names among env, vars and images that the
// function declares, in that order, then its other parameters in
// declaration order (the user's TLAs may fill them). scope maps the local variables bound
// so far to their definitions.
func topLevel(node ast.Node, scope map[ast.Identifier]binding, depth int) (shape, []string) {
	if depth > maxDepth {
		return shapeUnknown, nil
	}
	switch n := node.(type) {
	case *ast.Function:
		declared := map[ast.Identifier]bool{}
		for _, p := range n.Parameters {
			declared[p.Name] = true
		}
		var names []string
		for _, name := range []string{argEnv, argVars, argImages} {
			if declared[ast.Identifier(name)] {
				names = append(names, name)
			}
		}
		for _, p := range n.Parameters {
			if name := string(p.Name); name != argEnv && name != argVars && name != argImages {
				names = append(names, name)
			}
		}
		return shapeFunction, names
	case *ast.Local:
		return topLevel(n.Body, bindLocal(n, scope), depth+1)
	case *ast.Var:
		if b, ok := scope[n.Id]; ok {
			return topLevel(b.def, b.scope, depth+1)
		}
		return shapeUnknown, nil
	case *ast.DesugaredObject, *ast.Object, *ast.ObjectComp, *ast.Array, *ast.ArrayComp,
		*ast.LiteralString, *ast.LiteralNumber, *ast.LiteralBoolean, *ast.LiteralNull,
		*ast.Binary, *ast.Unary:
		// Binary and unary operators never yield a function.
		return shapeValue, nil
	}
	return shapeUnknown, nil
}

// bindLocal returns scope extended with the binds of local n.
func bindLocal(n *ast.Local, scope map[ast.Identifier]binding) map[ast.Identifier]binding {
	return bindAll(scope, n.Binds, "")
}

// bindAll returns scope extended with binds, written in file ("" for the
// main file). Binds of one local or object see each other (they may be
// recursive), so they all share the new scope.
func bindAll(scope map[ast.Identifier]binding, binds ast.LocalBinds, file string) map[ast.Identifier]binding {
	inner := make(map[ast.Identifier]binding, len(scope)+len(binds))
	for k, v := range scope {
		inner[k] = v
	}
	for _, b := range binds {
		var def ast.Node = b.Body
		if b.Fun != nil {
			def = b.Fun
		}
		inner[b.Variable] = binding{def: def, scope: inner, file: file}
	}
	return inner
}
