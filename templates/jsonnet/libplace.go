package jsonnet

import (
	"path"
	"strconv"
	"strings"

	gojsonnet "github.com/google/go-jsonnet"
	"github.com/google/go-jsonnet/ast"

	"github.com/kiln-gitops/kiln/internal/rootfs"
)

// The engine places each field of the output in the main file (origin):
// an object a function of a .libsonnet builds is named at the main
// file's call, where a reviewer finds no field. The library's syntax tree
// has the field's line, but reading every library a main file imports
// (k8s-libsonnet is megabytes) on every render would cost each render
// what only an error needs. Libraries reads them once an error is about
// such a field: the main file's tree followed through imports, fields of
// imported objects and calls of their functions, as the engine follows
// locals.

// libs reads and parses the files a main file imports, in the
// repository root, each once.
type libs struct {
	root, main string
	jpath      []string
	trees      map[string]ast.Node
	// budget bounds the bytes parsed: a crafted import chain should not
	// turn an error's placement into a long parse.
	budget int
}

// libBudget is the most a Libraries parses, all files together.
const libBudget = 16 << 20

// load returns the file import path in from ("" for the main file)
// names, as jsonnet finds it (from's folder, then the jpath, in order),
// and its tree. false for one not found, too large or that does not
// parse (a data file: importstr and importbin are not followed).
func (l *libs) load(from, p string) (string, ast.Node, bool) {
	if from == "" {
		from = l.main
	}
	if path.IsAbs(p) || strings.Contains(p, "://") {
		return "", nil, false
	}
	for _, dir := range append([]string{path.Dir(from)}, l.jpath...) {
		f := path.Clean(path.Join(dir, p))
		if t, ok := l.trees[f]; ok {
			return f, t, t != nil
		}
		data, err := rootfs.ReadFile(l.root, f)
		if err != nil {
			continue
		}
		l.budget -= len(data)
		if l.budget < 0 {
			return "", nil, false
		}
		t, err := gojsonnet.SnippetToAST(f, string(data))
		if err != nil {
			t = nil
		}
		l.trees[f] = t
		return f, t, t != nil
	}
	return "", nil, false
}

// Libraries places errors of one main file's output in the libraries it
// imports: NewLibraries. The files it parses are kept for all the errors
// of an app.
type Libraries struct {
	lib  *libs
	tree ast.Node // the main file's, nil until read or when it does not parse
	read bool
}

// NewLibraries returns the Libraries of the main file main (repository-
// relative) of the repository root, whose imports jsonnet searches in
// its folder and then in jpath (repository-relative folders).
func NewLibraries(root, main string, jpath []string) *Libraries {
	return &Libraries{lib: &libs{root: root, main: main, jpath: jpath, trees: map[string]ast.Node{}, budget: libBudget}}
}

// Place returns the file and line where the field (an API path,
// "spec.template.spec.containers[0].image") of the output object at
// objPath (templates.Object.Path) was written, when that is another
// file than the main one: a library whose function built it. false when
// the place is the main file, or not clear.
func (l *Libraries) Place(objPath, field string) (string, int, bool) {
	if !l.read {
		l.read = true
		data, err := rootfs.ReadFile(l.lib.root, l.lib.main)
		if err != nil {
			return "", 0, false
		}
		if l.tree, err = gojsonnet.SnippetToAST(l.lib.main, string(data)); err != nil {
			l.tree = nil
		}
	}
	node := l.tree
	if node == nil {
		return "", 0, false
	}
	if f, ok := node.(*ast.Function); ok {
		node = f.Body
	}
	o := resolveIn(node, nil, "", l.lib, 0)
	if !literal(o.node) && !sum(o) {
		return "", 0, false
	}
	for _, step := range append(pathSteps(objPath), pathSteps(field)...) {
		if i, err := strconv.Atoi(step); err == nil {
			o = o.index(i)
		} else {
			o = o.field(step)
		}
		if o.line == 0 {
			return "", 0, false
		}
	}
	if o.file == "" || o.line <= 0 {
		return "", 0, false
	}
	return o.file, o.line, true
}

// pathSteps splits a path of keys and indexes ("a.b[2]", `["x.y"].c`)
// into its keys and indexes, an index as its number.
func pathSteps(p string) []string {
	var out []string
	for p != "" {
		switch p[0] {
		case '.':
			p = p[1:]
		case '[':
			end := strings.IndexByte(p, ']')
			if end < 0 {
				return append(out, p)
			}
			in := p[1:end]
			if u, err := strconv.Unquote(in); err == nil {
				// A quoted key: told from an index, which is a number.
				in = u
				out = append(out, in)
				if _, err := strconv.Atoi(in); err == nil {
					return nil // a key that reads as a number: not clear
				}
			} else {
				out = append(out, in)
			}
			p = p[end+1:]
		default:
			end := strings.IndexAny(p, ".[")
			if end < 0 {
				end = len(p)
			}
			out = append(out, p[:end])
			p = p[end:]
		}
	}
	return out
}
