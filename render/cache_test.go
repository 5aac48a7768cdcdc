package render_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/render"
)

// renderWith renders every env of the pipeline at root with the render
// cache in cacheDir ("" renders without it) and returns each env's files
// and the apps whose engine result came from the cache ("app@env").
func renderWith(t *testing.T, root, cacheDir string, envs []string, images ...string) (map[string]map[string][]byte, map[string]bool) {
	trees, cached, _ := renderEnvs(t, root, cacheDir, envs, images...)
	return trees, cached
}

// mustRender renders envs of p (every env when nil) with opts and fails
// tb on any error, an env's included. The caller closes the Renderer.
func mustRender(tb testing.TB, p *envconfig.Pipeline, opts render.Options, envs []string) (*render.Renderer, []*render.EnvResult) {
	tb.Helper()
	r, err := render.New(p, opts)
	if err != nil {
		tb.Fatal(err)
	}
	results, err := r.Render(context.Background(), envs)
	if err != nil {
		r.Close()
		tb.Fatal(err)
	}
	for _, er := range results {
		if er.Err != nil {
			r.Close()
			tb.Fatalf("env %s: %v", er.Env, er.Err)
		}
	}
	return r, results
}

// renderEnvs is renderWith that also returns the envs reused whole.
func renderEnvs(t *testing.T, root, cacheDir string, envs []string, images ...string) (map[string]map[string][]byte, map[string]bool, map[string]bool) {
	t.Helper()
	p, err := envconfig.Load(filepath.Join(root, "kiln.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	opts := render.DefaultOptions()
	opts.CacheDir = ""
	opts.RenderCache = cacheDir
	opts.Images = render.Images{Refs: images}
	r, results := mustRender(t, p, opts, envs)
	defer r.Close()
	trees := map[string]map[string][]byte{}
	cached, whole := map[string]bool{}, map[string]bool{}
	for _, er := range results {
		trees[er.Env] = er.Files
		whole[er.Env] = er.Cached
		for _, a := range er.Apps {
			if a.Cached {
				cached[a.Name+"@"+er.Env] = true
			}
		}
	}
	return trees, cached, whole
}

// diffTrees names the files that differ between two renders.
func diffTrees(a, b map[string]map[string][]byte) []string {
	var out []string
	for env, files := range a {
		for p, data := range files {
			if other, ok := b[env][p]; !ok || string(other) != string(data) {
				out = append(out, env+"/"+p)
			}
		}
		for p := range b[env] {
			if _, ok := files[p]; !ok {
				out = append(out, env+"/"+p)
			}
		}
	}
	return out
}

// TestRenderCacheNeverServesAStaleRender is the cache's contract on the
// example project, which uses all four engines: after each change to one
// kind of input, a render with the cache warm from before the change must
// equal, byte for byte, a render without the cache; the changed app must
// not be served from the cache; the others still are.
func TestRenderCacheNeverServesAStaleRender(t *testing.T) {
	root := t.TempDir()
	if err := os.CopyFS(root, os.DirFS("../examples/instavote")); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(filepath.Join(root, "rendered"))
	cacheDir := filepath.Join(t.TempDir(), "renders")

	cold, cachedCold := renderWith(t, root, cacheDir, nil)
	if len(cachedCold) != 0 {
		t.Fatalf("a cold cache served %v", cachedCold)
	}
	warm, cachedWarm, whole := renderEnvs(t, root, cacheDir, nil)
	if d := diffTrees(cold, warm); len(d) > 0 {
		t.Fatalf("a warm render differs from the cold one in %v", d)
	}
	// The example's envs have no secret vars and no SOPS: each is reused
	// whole once its apps are.
	for _, env := range []string{"dev", "staging", "prod"} {
		if !whole[env] {
			t.Errorf("env %s was not reused whole", env)
		}
	}
	for _, want := range []string{"redis@dev", "vote@dev", "result@dev", "db@dev", "platform@prod"} {
		if !cachedWarm[want] {
			t.Errorf("%s was not served from a warm cache (served: %v)", want, cachedWarm)
		}
	}

	// Each change is tried on dev alone: the envs share the code paths.
	dev := []string{"dev"}
	read := func(rel string) string {
		data, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	write := func(rel, content string) {
		t.Helper()
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	edit := func(rel, old, new string) {
		t.Helper()
		s := read(rel)
		if !strings.Contains(s, old) {
			t.Fatalf("%s has no %q", rel, old)
		}
		write(rel, strings.Replace(s, old, new, 1))
	}

	for _, tc := range []struct {
		name string
		// setup prepares the state before the change, if it needs one.
		setup func()
		// change changes one input; the test puts every file back after.
		change func()
		// stale are apps (app@dev) the change must keep out of the cache.
		stale []string
		// served are apps the change must leave in the cache.
		served []string
		// images are CI's images after the change (none before).
		images []string
	}{
		{name: "helm: a template's content",
			change: func() { edit("charts/redis/templates/configmap.yaml", "\ndata:", "\ndata:\n  extra: \"1\"") },
			stale:  []string{"redis@dev"}},
		{name: "helm: a values file",
			change: func() { write("charts/redis/values.yaml", read("charts/redis/values.yaml")+"\nextraValue: 1\n") },
			stale:  []string{"redis@dev"}},
		{name: "helm: a new template in the chart folder",
			change: func() {
				write("charts/redis/templates/extra.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\ndata: {a: b}\n")
			},
			stale: []string{"redis@dev"}},
		{name: "helm: a template replaced by a symlink to other content",
			change: func() {
				write("charts/other.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: linked\ndata: {a: b}\n")
				p := filepath.Join(root, "charts/redis/templates/configmap.yaml")
				os.Remove(p)
				if err := os.Symlink("../../other.yaml", p); err != nil {
					t.Fatal(err)
				}
			},
			stale: []string{"redis@dev"}},
		{name: "helm: skipCRDs",
			change: func() {
				edit("kiln.yaml", "values: [charts/redis/values.yaml]", "values: [charts/redis/values.yaml]\n      skipCRDs: true")
			},
			stale: []string{"redis@dev"}},
		{name: "helm: env values",
			change: func() { edit("envs/dev.yaml", "values: {replicas: 1}", "values: {replicas: 3}") },
			stale:  []string{"redis@dev"}},
		{name: "kustomize: a base resource",
			change: func() { edit("apps/vote/base/service.yaml", "port: 80", "port: 81") },
			stale:  []string{"vote@dev"}},
		{name: "kustomize: a file the overlay adds",
			change: func() {
				write("apps/vote/overlays/dev/extra.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\ndata: {a: b}\n")
				edit("apps/vote/overlays/dev/kustomization.yaml", "resources:", "resources:\n  - extra.yaml")
			},
			stale: []string{"vote@dev"}},
		{name: "jsonnet: an imported library",
			change: func() { write("apps/result/lib/kube.libsonnet", read("apps/result/lib/kube.libsonnet")+"\n") },
			// Same output: a miss is not required, only the same bytes.
		},
		{name: "jsonnet: an import shadowed in the file's own folder",
			change: func() {
				write("apps/result/kube.libsonnet", strings.Replace(read("apps/result/lib/kube.libsonnet"), "'instavote'", "'instavote-shadowed'", 1)+"\n")
			},
			stale: []string{"result@dev"}},
		{name: "jsonnet: CI's images",
			change: func() {},
			images: []string{"ghcr.io/acme/result:9.9.9"},
			stale:  []string{"result@dev"}},
		{name: "helm: CI's images are applied after the cache",
			change: func() {},
			images: []string{"redis:9.9.9"},
			served: []string{"redis@dev"}},
		{name: "yaml: a var",
			change: func() { edit("envs/dev.yaml", "LOG_LEVEL: debug", "LOG_LEVEL: trace") },
			stale:  []string{"db@dev"}},
		{name: "yaml: a new file in the folder",
			change: func() {
				write("apps/db/extra.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\ndata: {a: b}\n")
			},
			stale: []string{"db@dev"}},
		{name: "env file: an inline patch",
			change: func() {
				edit("envs/dev.yaml", "          - {op: replace, path: /spec/replicas, value: 2}", "          - {op: replace, path: /spec/replicas, value: 4}")
			}},
		{name: "render: a patch file an env file names",
			setup: func() {
				write("patches/vote.yaml", "- {op: replace, path: /spec/replicas, value: 2}\n")
				edit("envs/dev.yaml", "        patch: |-\n          - {op: replace, path: /spec/replicas, value: 2}", "        path: patches/vote.yaml")
			},
			change: func() { write("patches/vote.yaml", "- {op: replace, path: /spec/replicas, value: 5}\n") }},
		{name: "kiln.yaml: kubeVersion",
			change: func() { edit("kiln.yaml", `kubeVersion: "1.33.0"`, `kubeVersion: "1.34.0"`) },
			stale:  []string{"redis@dev"}},
		{name: "kiln.yaml: an app's namespace",
			change: func() {
				edit("kiln.yaml", "  - name: redis\n    namespace: instavote", "  - name: redis\n    namespace: cache")
			},
			stale: []string{"redis@dev"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			backup := t.TempDir()
			if err := os.CopyFS(backup, os.DirFS(root)); err != nil {
				t.Fatal(err)
			}
			defer func() {
				os.RemoveAll(root)
				if err := os.CopyFS(root, os.DirFS(backup)); err != nil {
					t.Fatal(err)
				}
			}()
			if tc.setup != nil {
				tc.setup()
			}
			// Warm for the state before the change.
			before, _ := renderWith(t, root, cacheDir, dev)
			tc.change()
			got, cached, whole := renderEnvs(t, root, cacheDir, dev, tc.images...)
			want, _ := renderWith(t, root, "", dev, tc.images...)
			if d := diffTrees(want, got); len(d) > 0 {
				t.Fatalf("with the cache, %v differ from a render without it", d)
			}
			if whole["dev"] && len(diffTrees(before, want)) > 0 {
				t.Error("the env was reused whole although its output changed")
			}
			for _, app := range tc.stale {
				if cached[app] {
					t.Errorf("%s was served from the cache after the change", app)
				}
			}
			for _, app := range tc.served {
				if !cached[app] {
					t.Errorf("%s was not served from the cache after the change", app)
				}
			}
			if len(tc.images) == 0 && len(diffTrees(before, want)) == 0 && tc.name != "jsonnet: an imported library" {
				t.Errorf("the change did not change the output: the case tests nothing")
			}
		})
	}
}

// TestRenderCacheSurvivesCorruptEntries: every entry truncated, a render
// still equals one without the cache, and rewrites the entries.
func TestRenderCacheSurvivesCorruptEntries(t *testing.T) {
	root := t.TempDir()
	if err := os.CopyFS(root, os.DirFS("../examples/instavote")); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(filepath.Join(root, "rendered"))
	cacheDir := filepath.Join(t.TempDir(), "renders")
	want, _ := renderWith(t, root, cacheDir, nil)
	n := 0
	filepath.WalkDir(cacheDir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			data, _ := os.ReadFile(p)
			os.WriteFile(p, data[:len(data)/2], 0o600)
			n++
		}
		return nil
	})
	if n == 0 {
		t.Fatal("the render stored no cache entries")
	}
	got, cached := renderWith(t, root, cacheDir, nil)
	if len(cached) != 0 {
		t.Errorf("truncated entries were served: %v", cached)
	}
	if d := diffTrees(want, got); len(d) > 0 {
		t.Fatalf("%v differ", d)
	}
	if _, cached := renderWith(t, root, cacheDir, nil); len(cached) == 0 {
		t.Error("the truncated entries were not rewritten")
	}
}

// oneConfigMapApp is a project of one env and one yaml app of one
// ConfigMap: the least a render writes the cache for.
var oneConfigMapApp = map[string]string{
	"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\n" +
		"apps:\n  - name: web\n    namespace: shop\n    yaml: apps/web\n",
	"envs/dev.yaml":    "apps: {}\n",
	"apps/web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
}

// TestRenderCacheDisabledIsSaid: a render cache folder kiln cannot make
// or write (here below a regular file; a read-only restore of
// actions/cache does the same) turned the cache off with a line to
// Options.Log, which the command line discards: every run paid its full
// time without a word. It is the run's warning now. So is a renders
// folder that is a symlink, through which kiln wrote its entries and
// pruned other builds' folders where the link led.
func TestRenderCacheDisabledIsSaid(t *testing.T) {
	t.Parallel()
	root := writeProject(t, oneConfigMapApp)
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	elsewhere := t.TempDir()
	link := filepath.Join(t.TempDir(), "renders")
	if err := os.Symlink(elsewhere, link); err != nil {
		t.Fatal(err)
	}
	for renders, says := range map[string]string{filepath.Join(file, "renders"): "not a directory", link: "is a symlink"} {
		opts := checkOptions(true) // a run's warning, never an error
		opts.RenderCache = renders
		r, results := mustRender(t, load(t, root), opts, nil)
		r.Close()
		var found bool
		for _, w := range results[0].Warnings {
			found = found || strings.HasPrefix(w.Msg, "render cache disabled: ") && strings.Contains(w.Msg, says)
		}
		if !found {
			t.Errorf("%s: no warning says the render cache is off: %v", says, results[0].Warnings)
		}
	}
	if entries, _ := os.ReadDir(elsewhere); len(entries) != 0 {
		t.Errorf("the render wrote %d files where the symlinked renders folder leads", len(entries))
	}
}

// TestRenderCacheStoreFailureIsSaid: entries the render cache cannot
// store (a full disk on a CI runner; here the build's folder is a file
// by the time the render stores) cost every later run its full time, and
// the render, right all the same, said nothing. It is the run's warning
// now, a warning under --strict too, as the cache's being off is.
func TestRenderCacheStoreFailureIsSaid(t *testing.T) {
	t.Parallel()
	root := writeProject(t, oneConfigMapApp)
	renders := filepath.Join(t.TempDir(), "renders")
	opts := checkOptions(true)
	opts.RenderCache = renders
	r, err := render.New(load(t, root), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	builds, err := os.ReadDir(renders)
	if err != nil || len(builds) != 1 {
		t.Fatalf("the cache folder holds %v (%v), want one build's folder", builds, err)
	}
	build := filepath.Join(renders, builds[0].Name())
	if err := os.RemoveAll(build); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(build, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	results, err := r.Render(context.Background(), nil)
	if err != nil || results[0].Err != nil {
		t.Fatalf("render: %v %v", err, results[0].Err)
	}
	var found bool
	for _, w := range results[0].Warnings {
		found = found || strings.HasPrefix(w.Msg, "render cache: ") && strings.Contains(w.Msg, "could not be stored: ") && strings.Contains(w.Msg, "not a directory")
	}
	if !found {
		t.Errorf("no warning says the cache stored nothing: %v", results[0].Warnings)
	}
}

// TestRenderCacheOldBuildPruned: the folder a render's build of kiln
// filled, validation results included, goes a week after that build last
// ran, when another build opens the cache. The validation results' folder
// kept every build folder from the pruning. The folder is this build's,
// renamed as another build would name its own.
func TestRenderCacheOldBuildPruned(t *testing.T) {
	t.Parallel()
	root := writeProject(t, oneConfigMapApp)
	cacheDir := t.TempDir()
	renderWith(t, root, cacheDir, nil)
	builds, err := os.ReadDir(cacheDir)
	if err != nil || len(builds) != 1 {
		t.Fatalf("the render cache after one render: %v, %v", builds, err)
	}
	old := filepath.Join(cacheDir, "0123456789abcdef")
	if err := os.Rename(filepath.Join(cacheDir, builds[0].Name()), old); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(old, "va")); err != nil {
		t.Fatalf("the render kept no validation results: %v", err)
	}
	long := time.Now().Add(-8 * 24 * time.Hour)
	if err := os.Chtimes(old, long, long); err != nil {
		t.Fatal(err)
	}
	renderWith(t, root, cacheDir, nil)
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Errorf("another build's folder, unused for 8 days, was kept: %v", err)
	}
}
