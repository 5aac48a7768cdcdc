package kustomize

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/templates"
)

// TestOriginAnnotationsFailNoBuild: an object carrying an
// alpha.config.kubernetes.io/transformations annotation that is no list
// of transformations builds under `kustomize build`, which drops the
// annotation, but fails once origin annotations are on (krusty then
// appends to it). kiln asks for them only to name sources, so the build
// must still succeed, with kustomize build's output (checked with the
// program, v5.8.2), its objects named by the kustomization. With
// buildMetadata: [originAnnotations] written by the user, kustomize build
// fails too, and so does kiln.
func TestOriginAnnotationsFailNoBuild(t *testing.T) {
	t.Parallel()
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  annotations:\n    alpha.config.kubernetes.io/transformations: kept\ndata: {k: v}\n"
	patch := "patches:\n- target: {kind: ConfigMap}\n  patch: |-\n    - {op: add, path: /data/n, value: \"1\"}\n"
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	write(t, root, map[string]string{
		"app/cm.yaml":              cm,
		"app/kustomization.yaml":   "resources: [cm.yaml]\n" + patch,
		"asked/cm.yaml":            cm,
		"asked/kustomization.yaml": "buildMetadata: [originAnnotations]\nresources: [cm.yaml]\n" + patch,
	})
	res, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "a", Path: "app"})
	if err != nil {
		t.Fatal(err)
	}
	want := "# inputs:\n#   app/cm.yaml\n#   app/kustomization.yaml\n---\n# file: app/kustomization.yaml line: 0\napiVersion: v1\ndata:\n  k: v\n  \"n\": \"1\"\nkind: ConfigMap\nmetadata:\n  name: cm\n"
	if diff := cmp.Diff(want, format(res)); diff != "" {
		t.Errorf("render differs from kustomize build (-want +got):\n%s", diff)
	}
	if _, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "a", Path: "asked"}); err == nil {
		t.Error("render of a kustomization asking for origin annotations succeeded; kustomize build fails")
	}
}
