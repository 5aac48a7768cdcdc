package jsonnet

import (
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
