package depcheck

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOneWayToTheTerminal keeps every byte kiln prints behind the redactor:
// the CLI's writers (cmd/kiln newApp) mask secret values in every form, so
// code that reaches the process's stdout or stderr any other way (os.Stdout,
// fmt.Print*, the log package, print builtins) would be a sink that bypasses
// it. Only main.go hands the real streams to the app.
func TestOneWayToTheTerminal(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..")
	allowed := map[string]bool{
		filepath.Join("cmd", "kiln", "main.go"): true,
		// A sandbox worker's stdout and stderr are pipes to its pool, which
		// reads frames from one and classifies the other without ever
		// printing it.
		filepath.Join("internal", "sandbox", "worker.go"): true,
		// A build tool that go generate runs to write docs/schemas; not
		// part of kiln, it prints only its own errors.
		filepath.Join("envconfig", "internal", "schemagen", "main.go"): true,
		// Borrows the standard logger while Helm merges values or krusty
		// builds, to turn chartutil's and krusty's log.Printf warnings
		// into the render's, and gives it back; it writes nothing to it.
		filepath.Join("templates", "internal", "stdlog", "stdlog.go"): true,
		// Test support, imported by tests only: it says on the test
		// binary's stderr why sandbox workers stay race-enabled.
		filepath.Join("internal", "testenv", "worker.go"): true,
	}
	forbiddenSel := map[string]map[string]bool{
		"os":  {"Stdout": true, "Stderr": true},
		"fmt": {"Print": true, "Printf": true, "Println": true},
		"log": {"Print": true, "Printf": true, "Println": true, "Fatal": true, "Fatalf": true, "Fatalln": true,
			"Panic": true, "Panicf": true, "Panicln": true, "Default": true, "Writer": true},
	}
	fset := token.NewFileSet()
	checked := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			if name := d.Name(); rel != "." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "bin" || name == "rendered") {
				return filepath.SkipDir
			}
			// A Go module of its own (internal/apiservercheck, a check
			// of kiln against a real kube-apiserver) is no part of kiln.
			if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil && rel != "." {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") || allowed[rel] {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		checked++
		// Import names as the file spells them, so a renamed import is caught too.
		local := map[string]string{}
		for _, imp := range f.Imports {
			path := strings.Trim(imp.Path.Value, `"`)
			name := path
			if imp.Name != nil {
				name = imp.Name.Name
			}
			local[name] = path
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.SelectorExpr:
				if id, ok := n.X.(*ast.Ident); ok {
					if bad := forbiddenSel[local[id.Name]]; bad[n.Sel.Name] {
						t.Errorf("%s: %s.%s writes around the redacting writers; take an io.Writer from the caller instead", fset.Position(n.Pos()), id.Name, n.Sel.Name)
					}
				}
			case *ast.CallExpr:
				if id, ok := n.Fun.(*ast.Ident); ok && (id.Name == "print" || id.Name == "println") {
					t.Errorf("%s: the %s builtin writes to stderr around the redacting writers", fset.Position(n.Pos()), id.Name)
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Fatalf("checked only %d files: is the module root %s?", checked, root)
	}
}
