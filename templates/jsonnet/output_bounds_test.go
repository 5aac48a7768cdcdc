package jsonnet

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/internal/limits"
	"github.com/kiln-gitops/kiln/templates"
	"github.com/kiln-gitops/kiln/templates/internal/enginetest"
)

// TestOutputBounds: the jsonnet output is bounded like every engine's
// (docs/security.md: 64 MiB, 4,000,000 YAML nodes, 100,000 documents)
// before kiln builds objects of it, which a few lines of jsonnet could
// otherwise make as many as the worker's memory holds, for kiln's own
// process to take over. The bounds are lowered here, as in the helm
// engine's tests: the real ones take gigabytes to reach.
func TestOutputBounds(t *testing.T) {
	t.Parallel()
	cm := "{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'cm' + i}, data: {a: std.repeat('x', 100)}}"
	tests := []struct {
		name    string
		src     string
		bounds  bounds
		wantErr string
	}{
		{
			name:   "size",
			src:    "[" + cm + " for i in std.range(1, 20)]",
			bounds: bounds{output: 2 << 10, nodes: limits.Nodes, objects: limits.Documents},
			wantErr: "main.jsonnet: app a: the size of the jsonnet output exceeds kiln's limit of 2 KiB\n" +
				"  hint: " + limits.Hint,
		},
		{
			name:   "nodes",
			src:    "{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'x'}, data: {a: std.makeArray(200, function(i) 'v')}}",
			bounds: bounds{output: limits.OutputSize, nodes: 100, objects: limits.Documents},
			wantErr: "main.jsonnet: app a: the number of YAML nodes of the jsonnet output exceeds kiln's limit of 100\n" +
				"  hint: " + limits.Hint,
		},
		{
			name:   "objects",
			src:    "[" + cm + " for i in std.range(1, 20)]",
			bounds: bounds{output: limits.OutputSize, nodes: limits.Nodes, objects: 10},
			wantErr: "main.jsonnet: app a: the number of objects in the jsonnet output exceeds kiln's limit of 10\n" +
				"  hint: " + limits.Hint,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := enginetest.TempDir(t)
			if err := os.WriteFile(filepath.Join(root, "main.jsonnet"), []byte(tc.src), 0o644); err != nil {
				t.Fatal(err)
			}
			req := &templates.Request{Root: root, App: "a", Path: "main.jsonnet"}
			e := New(Options{})
			if _, err := e.Render(context.Background(), req); err != nil {
				t.Fatalf("within kiln's bounds: %v", err)
			}
			e.bounds = tc.bounds
			_, err := e.Render(context.Background(), req)
			if err == nil {
				t.Fatal("Render() succeeded, want an error")
			}
			if diff := cmp.Diff(tc.wantErr, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if !errors.Is(err, limits.ErrLimit) {
				t.Errorf("errors.Is(err, limits.ErrLimit) = false")
			}
		})
	}
}
