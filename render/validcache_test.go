package render_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/render"
	"github.com/kiln-gitops/kiln/render/internal/cache"
)

// kpsRun renders the kube-prometheus-stack repository at dir with the
// render cache in cacheDir ("" for none) and returns the env's result and
// how many objects validation checked.
func kpsRun(t *testing.T, p *envconfig.Pipeline, cacheDir string) (*render.EnvResult, int64) {
	t.Helper()
	opts := checkOptions(true)
	opts.RenderCache = cacheDir
	return checkedRun(t, p, opts)
}

// checkedRun renders p's first env with opts and returns its result and
// how many objects validation checked.
func checkedRun(t *testing.T, p *envconfig.Pipeline, opts render.Options) (*render.EnvResult, int64) {
	t.Helper()
	r, err := render.New(p, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	results, err := r.Render(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return results[0], r.ValidationChecks()
}

// cleanFile is the path of the kept validation results below cacheDir.
func cleanFile(t *testing.T, cacheDir string) string {
	t.Helper()
	var found string
	filepath.WalkDir(cacheDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == "validate-clean-v1" {
			found = p
		}
		return nil
	})
	if found == "" {
		t.Fatal("no validation results in the render cache")
	}
	return found
}

// TestValidationResultsCorruptIgnored: a corrupt file of kept validation
// results is ignored: every object is checked again, nothing fails.
// (TestKubePrometheusStack shows what a sound file saves.)
func TestValidationResultsCorruptIgnored(t *testing.T) {
	t.Parallel()
	p := load(t, writeProject(t, map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\nmanifests:\n  github: acme/manifests\n" +
			"apps:\n  - name: web\n    namespace: apps\n    yaml: apps/web\n",
		"envs/dev.yaml":        "",
		"apps/web/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {mode: fast}\n",
		"apps/web/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n" +
			"  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: ghcr.io/acme/web:1.0}]}\n",
	}))
	cacheDir := t.TempDir()
	// The first run checks all and keeps them; the image changes so that
	// no run reuses the env whole.
	run := func(image string) (*render.EnvResult, int64) {
		t.Helper()
		opts := checkOptions(true)
		opts.RenderCache = cacheDir
		opts.Images = render.Images{Refs: []string{image}}
		return checkedRun(t, p, opts)
	}
	er, coldChecks := run("ghcr.io/acme/web:1.28")
	if er.Err != nil || coldChecks == 0 {
		t.Fatalf("a cold run: %v, %d objects checked", er.Err, coldChecks)
	}
	if _, checked := run("ghcr.io/acme/web:1.29"); checked >= coldChecks {
		t.Fatalf("a warm run checked %d objects, as many as a cold one: the test would show nothing", checked)
	}

	f := cleanFile(t, cacheDir)
	data, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	for i, corrupt := range [][]byte{data[:len(data)-7], append(append([]byte(nil), data[:len(data)-1]...), data[len(data)-1]^1), []byte("garbage")} {
		if err := os.WriteFile(f, corrupt, 0o600); err != nil {
			t.Fatal(err)
		}
		er, checked := run(fmt.Sprintf("ghcr.io/acme/web:1.%d", 30+i))
		if er.Err != nil {
			t.Fatal(er.Err)
		}
		if checked != coldChecks {
			t.Errorf("a corrupt file of results (%d): %d objects checked, want all %d", i, checked, coldChecks)
		}
	}
}

// TestValidationResultsNotKeptWithSecretVars: an env with secret vars may
// have their values in any object, so nothing of its validation is kept.
func TestValidationResultsNotKeptWithSecretVars(t *testing.T) {
	t.Parallel()
	dir := writeProject(t, map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\nmanifests:\n  github: acme/manifests\n" +
			"apps:\n  - name: web\n    namespace: apps\n    yaml: apps/web\n",
		"envs/dev.yaml":        "secretVars:\n  TOKEN: WEB_TOKEN\n",
		"apps/web/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {mode: fast}\n",
	})
	p := load(t, dir)
	cacheDir := t.TempDir()
	for run := range 2 {
		opts := checkOptions(true)
		opts.RenderCache = cacheDir
		opts.LookupEnv = func(string) (string, bool) { return "a-long-enough-secret", true }
		r, err := render.New(p, opts)
		if err != nil {
			t.Fatal(err)
		}
		results, err := r.Render(context.Background(), nil)
		r.Close()
		if err != nil || results[0].Err != nil {
			t.Fatal(err, results[0].Err)
		}
		if r.ValidationChecks() == 0 {
			t.Errorf("run %d checked nothing: an env with secret vars was remembered clean", run)
		}
	}
	cleanFile(t, cacheDir)
	if keys := keptResults(t, cacheDir); keys != 0 {
		t.Errorf("%d validation results of an env with secret vars kept", keys)
	}
}

// keptResults is how many validation results the cache in cacheDir keeps.
func keptResults(t *testing.T, cacheDir string) int {
	t.Helper()
	build, err := cache.BuildID()
	if err != nil {
		t.Fatal(err)
	}
	store, err := cache.Open(cacheDir, build)
	if err != nil {
		t.Fatal(err)
	}
	ent, err := store.Get("validate-clean-v1")
	if err != nil || ent == nil {
		t.Fatalf("the validation results: %v, %v", ent, err)
	}
	return len(ent.Result) / 33
}

// TestValidationResultsSameOutput renders the example project and the
// real podinfo chart with a new image in each run, so that no env is
// reused whole: with the validation results of the run before kept, the
// output is byte for byte that of a render without the render cache, and
// fewer objects are checked.
func TestValidationResultsSameOutput(t *testing.T) {
	t.Parallel()
	podinfo := t.TempDir()
	if err := os.CopyFS(filepath.Join(podinfo, "charts", "podinfo"), os.DirFS("../testdata/charts/podinfo")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(podinfo, "envs"), 0o755); err != nil {
		t.Fatal(err)
	}
	for rel, content := range map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\n  - name: prod\nmanifests:\n  github: acme/manifests\n" +
			"apps:\n  - name: podinfo\n    namespace: apps\n    helm:\n      chart: charts/podinfo\n",
		"envs/dev.yaml":  "",
		"envs/prod.yaml": "apps:\n  podinfo:\n    values:\n      replicaCount: 3\n",
	} {
		if err := os.WriteFile(filepath.Join(podinfo, rel), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	instavote := t.TempDir()
	if err := os.CopyFS(instavote, os.DirFS("../examples/instavote")); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(filepath.Join(instavote, "rendered"))

	for _, tc := range []struct{ name, root, image string }{
		{"podinfo", podinfo, "ghcr.io/stefanprodan/podinfo"},
		{"instavote", instavote, "ghcr.io/acme/vote"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := load(t, tc.root)
			cacheDir := t.TempDir()
			renderRun := func(cacheDir, tag string) (map[string]map[string][]byte, int64) {
				t.Helper()
				opts := checkOptions(true)
				opts.RenderCache = cacheDir
				opts.Images = render.Images{Refs: []string{tc.image + ":" + tag}}
				r, results := mustRender(t, p, opts, nil)
				defer r.Close()
				trees := map[string]map[string][]byte{}
				for _, er := range results {
					if er.Cached {
						t.Fatalf("env %s was reused whole", er.Env)
					}
					trees[er.Env] = er.Files
				}
				return trees, r.ValidationChecks()
			}
			renderRun(cacheDir, "1.0.0")
			warm, warmChecks := renderRun(cacheDir, "1.0.1")
			cold, coldChecks := renderRun("", "1.0.1")
			if d := diffTrees(cold, warm); len(d) > 0 {
				t.Errorf("with the validation results kept, %v differ", d)
			}
			t.Logf("%d objects checked with the results kept, %d without", warmChecks, coldChecks)
			if warmChecks >= coldChecks {
				t.Errorf("%d objects checked with the results kept, %d without", warmChecks, coldChecks)
			}
		})
	}
}
