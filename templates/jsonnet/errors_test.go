package jsonnet

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-jsonnet/ast"
)

// TestCallerLines: past maxCallers lines the list keeps the outermost
// caller, where the chain of calls was entered.
func TestCallerLines(t *testing.T) {
	var code []ast.LocationRange
	for _, l := range []int{9, 8, 7, 7, 7, 6, 5, 4, 3, 2, 2, 1} {
		code = append(code, ast.LocationRange{FileName: "m.jsonnet", Begin: ast.Location{Line: l}})
	}
	got := strings.Join(callerLines(code), ", ")
	want := "m.jsonnet:8, m.jsonnet:7 (3 times), m.jsonnet:6, m.jsonnet:5, m.jsonnet:4, …, m.jsonnet:1"
	if got != want {
		t.Errorf("callerLines() = %q, want %q", got, want)
	}
}

// TestImportPathOnOneLine: an import path may hold a line break; the
// error quoted it in the import but wrote it as it is among the paths
// looked for, breaking the error's line in two.
func TestImportPathOnOneLine(t *testing.T) {
	t.Parallel()
	root := copyRepo(t)
	write(t, root, "apps/crazy.jsonnet", "import 'ąę \\n\\t.libsonnet'\n")
	_, err := New(Options{}).Render(context.Background(), renderCase{path: "apps/crazy.jsonnet"}.request(root))
	if err == nil {
		t.Fatal("Render() = nil error, want an import not found")
	}
	msg, _, _ := strings.Cut(err.Error(), "\n  hint:")
	if want := `import "ąę \n\t.libsonnet" not found (looked for "apps/ąę \n\t.libsonnet", "lib/ąę \n\t.libsonnet", "vendor/ąę \n\t.libsonnet")`; !strings.Contains(msg, want) || strings.ContainsAny(msg, "\n\t") {
		t.Errorf("Render() error = %q, want one line holding %q", msg, want)
	}
}
