package render

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/kiln-gitops/kiln/envconfig"
)

// warmerOf digs the warmer out of r's Helm engine.
func warmerOf(t *testing.T, r *Renderer) *warmer {
	t.Helper()
	e := r.engines["helm"].(guard).Engine
	if c, ok := e.(cached); ok {
		e = c.inner
	}
	switch w := e.(type) {
	case warming:
		return w.w
	case warmingWire:
		return w.w
	}
	t.Fatalf("the Helm engine %T does not warm", e)
	return nil
}

// TestWarmOnlyWhenRendering: a Helm render, sandboxed or in process,
// warms its chart's CRDs, once per chart however many envs render it; a
// render taken from the render cache warms nothing. The env's result is
// the one without warming (validate.TestWarmChangesNothing).
func TestWarmOnlyWhenRendering(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	crd := "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\n" +
		"spec:\n  group: example.com\n  names: {kind: Widget, plural: widgets}\n  scope: Namespaced\n" +
		"  versions:\n    - name: v1\n      served: true\n      storage: true\n      schema: {openAPIV3Schema: {type: object, properties: {spec: {type: object, properties: {size: {type: integer}}}}}}\n"
	for name, data := range map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\n  - name: prod\nmanifests:\n  github: acme/manifests\n" +
			"apps:\n  - name: w\n    namespace: apps\n    helm:\n      chart: charts/w\n",
		"envs/dev.yaml":                  "apps: {}\n",
		"envs/prod.yaml":                 "apps:\n  w:\n    values: {size: big}\n",
		"charts/w/Chart.yaml":            "apiVersion: v2\nname: w\nversion: 1.0.0\n",
		"charts/w/values.yaml":           "size: 3\n",
		"charts/w/crds/widget.yaml":      crd,
		"charts/w/templates/widget.yaml": "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: {{ .Values.size }}}\n",
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	opts := cachedOptions(t)
	render := func(opts Options) (map[string]error, int) {
		p, err := envconfig.Load(filepath.Join(root, "kiln.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		r, err := New(p, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		results, err := r.Render(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		errs := map[string]error{}
		for _, er := range results {
			errs[er.Env] = er.Err
		}
		w := warmerOf(t, r)
		w.mu.Lock()
		defer w.mu.Unlock()
		return errs, len(w.started)
	}
	for _, inProcess := range []bool{false, true} {
		o := opts
		o.InProcess = inProcess
		o.RenderCache = filepath.Join(t.TempDir(), "renders")
		errs, started := render(o)
		if errs["dev"] != nil {
			t.Errorf("in process %v: dev: %v", inProcess, errs["dev"])
		}
		if errs["prod"] == nil {
			t.Errorf("in process %v: prod's Widget of size \"big\" passed", inProcess)
		}
		if started != 1 {
			t.Errorf("in process %v: %d charts warmed, want 1", inProcess, started)
		}
		if _, started := render(o); started != 0 {
			t.Errorf("in process %v: %d charts warmed from the render cache, want 0", inProcess, started)
		}
	}
}
