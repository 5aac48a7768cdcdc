package jsonnet

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	gojsonnet "github.com/google/go-jsonnet"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/templates"
	"github.com/kiln-gitops/kiln/templates/internal/enginetest"
)

// TestDuplicateObjectNamesBothPaths: kube-thanos's all.jsonnet outputs
// ServiceAccount thanos-compact under two keys (compact and compactShards
// each add it), both built in a library. The error names both places in
// the output, the only way to tell which two they are; the main file's
// line is the same for both, or none.
func TestDuplicateObjectNamesBothPaths(t *testing.T) {
	t.Parallel()
	const sa = "{apiVersion: 'v1', kind: 'ServiceAccount', metadata: {name: 'thanos-compact', namespace: 'thanos'}}"
	for _, tt := range []struct {
		name, src string
		want      string // "" for no error
	}{
		{name: "two keys", src: "{ 'thanos-compact-serviceAccount': " + sa + ", 'thanos-compact-shards-serviceAccount': " + sa + " }",
			want: `jsonnet output at ["thanos-compact-shards-serviceAccount"] is the object at ["thanos-compact-serviceAccount"] again`},
		{name: "list items", src: "{apiVersion: 'v1', kind: 'List', items: [" + sa + ", " + sa + "]}",
			want: "jsonnet output at items[1] is the object at items[0] again"},
		{name: "other api version of the group", src: "[{apiVersion: 'apps/v1', kind: 'Deployment', metadata: {name: 'a'}}, {apiVersion: 'apps/v1beta2', kind: 'Deployment', metadata: {name: 'a'}}]",
			want: "jsonnet output at [1] is the object at [0] again"},
		{name: "other namespace", src: "[" + sa + ", " + sa + " + {metadata+: {namespace: 'other'}}]"},
		{name: "other kind", src: "[" + sa + ", " + sa + " + {kind: 'Secret'}]"},
		{name: "other group", src: "[{apiVersion: 'a.example.com/v1', kind: 'Thing', metadata: {name: 'a'}}, {apiVersion: 'b.example.com/v1', kind: 'Thing', metadata: {name: 'a'}}]"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			node, err := gojsonnet.SnippetToAST("main.jsonnet", tt.src)
			if err != nil {
				t.Fatal(err)
			}
			out, err := gojsonnet.MakeVM().Evaluate(node)
			if err != nil {
				t.Fatal(err)
			}
			_, err = flatten([]byte(out), "main.jsonnet", node, New(Options{}).bounds)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var de *diag.Error
			if !errors.As(err, &de) {
				t.Fatalf("want a diag.Error, got %v", err)
			}
			if !strings.Contains(de.Msg, tt.want) {
				t.Errorf("message %q does not say %q", de.Msg, tt.want)
			}
			if de.File != "main.jsonnet" || de.Object.Kind == "" || de.Object.Name == "" {
				t.Errorf("error names no file or object: %+v", de)
			}
		})
	}
}

// TestDuplicateObjectPathsMasked: the two paths are keys the template
// computes, from any var: a secret var's value in one is masked like in
// any other error about the output.
func TestDuplicateObjectPathsMasked(t *testing.T) {
	t.Parallel()
	root := enginetest.TempDir(t)
	const value = `correct horse "battery" staple`
	src := "local sa = {apiVersion: 'v1', kind: 'ServiceAccount', metadata: {name: 'a'}};\n{a: sa, [std.extVar('vars').PW]: sa}\n"
	if err := os.WriteFile(filepath.Join(root, "main.jsonnet"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "a", Path: "main.jsonnet",
		Vars: map[string]string{"PW": value}, SecretVars: map[string]bool{"PW": true}})
	if err == nil {
		t.Fatal("Render() succeeded, want an error")
	}
	if msg := err.Error(); !strings.Contains(msg, "again") || strings.Contains(msg, "horse") {
		t.Errorf("error %q: want the duplicate named, without the secret var's value", msg)
	}
}
