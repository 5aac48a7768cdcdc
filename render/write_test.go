package render_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/render"
)

// TestOpenOutputRefusesSources: an --out that is, is inside or contains a
// folder the pipeline reads is refused, also when only an env file names
// that folder, and --force does not change it.
func TestOpenOutputRefusesSources(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	files := map[string]string{
		"kiln.yaml": `apiVersion: kiln/v1alpha1
kind: Pipeline
environments:
  - name: dev
apps:
  - name: web
    namespace: shop
    yaml: apps/web
`,
		"envs/dev.yaml":              "apps:\n  web:\n    yaml: apps/web-dev\n",
		"apps/web/cm.yaml":           "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
		"apps/web-dev/cm.yaml":       "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
		"apps/web-dev/overlay/x.txt": "mine\n",
	}
	for p, data := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p, err := envconfig.Load(filepath.Join(root, "kiln.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := render.New(p, checkOptions(false))
	if err != nil {
		t.Fatal(err)
	}
	results, err := r.Render(context.Background(), nil)
	if err != nil || results[0].Err != nil {
		t.Fatalf("render: %v %v", err, results[0].Err)
	}
	for out, want := range map[string]string{
		filepath.Join(root, "apps/web-dev/overlay"): "--out is inside the source of app web apps/web-dev",
		filepath.Join(root, "apps/web-dev"):         "--out is the source of app web apps/web-dev",
		filepath.Join(root, "apps"):                 "--out contains the source of app web",
		root:                                        "--out contains the pipeline file kiln.yaml",
		filepath.Join(root, "apps/web", "x"):        "--out is inside the source of app web apps/web",
	} {
		w, err := r.OpenOutput(out, render.WriteOptions{Force: true})
		if err == nil {
			w.Close()
			t.Errorf("OpenOutput(%s) succeeded", out)
			continue
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("OpenOutput(%s) = %v, want %q", out, err, want)
		}
	}
	w, err := r.OpenOutput(filepath.Join(root, "rendered"), render.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Stage(context.Background(), results[0]); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "rendered", "dev", "kiln.lock.json")); err != nil {
		t.Error(err)
	}
	if data, _ := os.ReadFile(filepath.Join(root, "apps/web-dev/overlay/x.txt")); string(data) != "mine\n" {
		t.Error("a source file changed")
	}
}
