package render

import (
	"context"
	"path/filepath"
	"runtime"
	"testing"
	"weak"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/deps"
	"github.com/kiln-gitops/kiln/templates"
)

// TestKustomizationFileAsSigsYAML: kustomizationFile writes the bytes
// sigs.k8s.io/yaml wrote (what the golden trees hold), for file names
// YAML would misread unquoted too.
func TestKustomizationFileAsSigsYAML(t *testing.T) {
	t.Parallel()
	for _, resources := range [][]string{
		nil,
		{},
		{"deployment-web.yaml", "service-web.yaml"},
		{"true", "null", "0x10", "1e3", "- x", "a: b", "#c", "yes", "~", "", " lead", "trail ", "tab\there", "ünïcode-☃.yaml", "<html>&amp;", "multi\nline"},
	} {
		want, err := yaml.Marshal(map[string]any{
			"apiVersion": "kustomize.config.k8s.io/v1beta1",
			"kind":       "Kustomization",
			"resources":  resources,
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := kustomizationFile(resources)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(want), string(got)); diff != "" {
			t.Errorf("resources %q (-sigs.k8s.io/yaml +kustomizationFile):\n%s", resources, diff)
		}
	}
}

// TestLayoutLetsAppsObjectsGo: once an app is laid out as files, its
// objects and its engine's result are no longer held by the env's runs.
// Laying out a large env used to hold every app's node graphs and every
// app's files at once: the peak of a 1000-app render.
func TestLayoutLetsAppsObjectsGo(t *testing.T) {
	root := copyInstavote(t)
	p, err := envconfig.Load(filepath.Join(root, "kiln.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(p, cachedOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	er, res := r.resolveEnv(p.Environments[0].Name)
	if er.Err != nil {
		t.Fatal(er.Err)
	}
	var runs []*appRun
	var results []weak.Pointer[templates.Result]
	for _, app := range res.Apps {
		run := &appRun{app: app, reads: deps.New(root)}
		r.renderApp(context.Background(), res, run)
		if run.err != nil || run.res == nil || len(run.objs) == 0 {
			t.Fatalf("app %s: %v (%d objects)", app.Name, run.err, len(run.objs))
		}
		results = append(results, weak.Make(run.res))
		runs = append(runs, run)
	}
	out := r.finishEnv(context.Background(), er, res, runs, nil, envMode{})
	if out.Err != nil || len(out.Files) == 0 {
		t.Fatalf("finishEnv: %v, %d files", out.Err, len(out.Files))
	}
	runtime.GC()
	for i, run := range runs {
		if run.objs != nil || results[i].Value() != nil {
			t.Errorf("app %s: its objects (%d) or its engine's result are still held after the layout", run.app.Name, len(run.objs))
		}
	}
	runtime.KeepAlive(runs)
}
