package jsonnet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/templates"
	"github.com/kiln-gitops/kiln/templates/internal/enginetest"
)

// TestDataImports: kiln's checks of Jsonnet source (no tailstrict, nesting
// within 1,000) apply to what the VM evaluates: the main file and files
// imported with import. A file read with importstr or importbin is data,
// which the jsonnet program takes whatever it holds; a check failing in
// an imported file is an error at that file's line.
func TestDataImports(t *testing.T) {
	t.Parallel()
	root := enginetest.TempDir(t)
	tailstrict := "local f(x) = if x == 0 then 0 else f(x - 1) tailstrict;\nf(3)\n"
	files := map[string]string{
		"lib/tail.jsonnet": tailstrict,
		"lib/deep.json":    strings.Repeat("[", 1100) + strings.Repeat("]", 1100) + "\n",
		"data.jsonnet": "{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'x'},\n" +
			"  data: {src: importstr 'lib/tail.jsonnet', bin: std.toString(std.length(importbin 'lib/tail.jsonnet')),\n" +
			"    n: std.toString(std.length(std.parseJson(importstr 'lib/deep.json')))}}\n",
		"code.jsonnet": "local t = importstr 'lib/tail.jsonnet';\nlocal v = import 'lib/tail.jsonnet';\n{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'x'}, data: {a: std.toString(v)}}\n",
	}
	for p, data := range files {
		if err := os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, p), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	e := New(Options{})
	res, err := e.Render(context.Background(), &templates.Request{Root: root, App: "a", Path: "data.jsonnet"})
	if err != nil {
		t.Fatalf("importstr and importbin of data: %v", err)
	}
	data := res.Objects[0].Node.GetDataMap()
	want := map[string]string{"src": tailstrict, "bin": fmt.Sprint(len(tailstrict)), "n": "1"}
	if diff := cmp.Diff(want, data); diff != "" {
		t.Errorf("data (-want +got):\n%s", diff)
	}

	_, err = e.Render(context.Background(), &templates.Request{Root: root, App: "a", Path: "code.jsonnet"})
	wantErr := "lib/tail.jsonnet:1: app a: tailstrict is not supported: go-jsonnet evaluates a tailstrict call on the Go stack without counting it against the stack limit, so unbounded recursion would crash kiln\n" +
		"  hint: remove tailstrict; recursion is then bounded by jsonnet's stack of 500 frames (use std.foldl or std.map for long loops) (imported from code.jsonnet:2)"
	if err == nil {
		t.Fatal("import of a file with tailstrict succeeded")
	}
	if diff := cmp.Diff(wantErr, err.Error()); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
	var de *diag.Error
	if !errors.As(err, &de) || de.File != "lib/tail.jsonnet" || de.Line != 1 {
		t.Errorf("error is not located at lib/tail.jsonnet:1: %#v", de)
	}
}
