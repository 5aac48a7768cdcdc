package render_test

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/render"
)

// TestRenderCacheMoreInputs widens TestRenderCacheNeverServesAStaleRender
// to inputs its example project does not have: each case builds a small
// project, renders it twice with the cache (the second render must reuse
// the env whole), changes one input, and compares a render with the warm
// cache with one without it, byte for byte, or both must fail. A case
// marked same changes nothing in the output (the cache may then serve
// it); every other case must change it, or it tests nothing.
func TestRenderCacheMoreInputs(t *testing.T) {
	cm := func(name string) string {
		return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\ndata: {a: b}\n"
	}
	for _, c := range cacheInputCases(cm) {
		t.Run(c.name, func(t *testing.T) { checkCacheInput(t, c) })
	}
}

// cacheInput is one case of TestRenderCacheMoreInputs.
type cacheInput struct {
	name  string
	files map[string]string
	// setup prepares what files cannot (symlinks, archives).
	setup  func(t *testing.T, root string)
	change func(t *testing.T, root string)
	// images and strict are the options of the renders after the change.
	images []string
	strict bool
	// same: the change leaves the output as it was.
	same bool
}

func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for rel, content := range files {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// checkCacheInput runs one case.
func checkCacheInput(t *testing.T, pr cacheInput) {
	root := t.TempDir()
	writeFiles(t, root, pr.files)
	if pr.setup != nil {
		pr.setup(t, root)
	}
	cacheDir := filepath.Join(t.TempDir(), "renders")
	renderWith(t, root, cacheDir, nil)
	before, warmCached, _ := renderTry(t, root, cacheDir, false)
	if !warmCached["WHOLE@dev"] {
		t.Fatalf("the warm render was not reused whole (served: %v)", warmCached)
	}
	pr.change(t, root)
	want, _, werr := renderTry(t, root, "", pr.strict, pr.images...)
	got, cached, gerr := renderTry(t, root, cacheDir, pr.strict, pr.images...)
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("without the cache the render fails with %v, with it with %v (served: %v)", werr, gerr, cached)
	}
	if werr != nil {
		return
	}
	if d := diffTrees(want, got); len(d) > 0 {
		t.Errorf("with the cache, %v differ from a render without it (served: %v)", d, cached)
	}
	if changed := len(diffTrees(before, want)) > 0; changed == pr.same {
		t.Errorf("the change changed the output: %v, want %v", changed, !pr.same)
	}
}

// cacheKiln starts the kiln.yaml of every case: the apps follow.
const cacheKiln = `apiVersion: kiln/v1alpha1
kind: Pipeline
environments:
  - name: dev
    mode: push
kubeVersion: "1.33.0"
apps:
`

// renderTry renders every env of the project at root, and returns its
// files, what the cache served (\"app@env\", \"WHOLE@env\" for an env reused
// whole) and the envs' errors.
func renderTry(t *testing.T, root, cacheDir string, strict bool, images ...string) (map[string]map[string][]byte, map[string]bool, error) {
	t.Helper()
	p, err := envconfig.Load(filepath.Join(root, "kiln.yaml"))
	if err != nil {
		return nil, nil, err
	}
	opts := render.DefaultOptions()
	opts.CacheDir = ""
	opts.RenderCache = cacheDir
	opts.Images = render.Images{Refs: images}
	opts.Strict = strict
	r, err := render.New(p, opts)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	results, err := r.Render(context.Background(), nil)
	if err != nil {
		return nil, nil, err
	}
	trees := map[string]map[string][]byte{}
	cached := map[string]bool{}
	var errs []error
	for _, er := range results {
		if er.Err != nil {
			errs = append(errs, er.Err)
		}
		trees[er.Env] = er.Files
		for _, a := range er.Apps {
			if a.Cached {
				cached[a.Name+"@"+er.Env] = true
			}
		}
		if er.Cached {
			cached["WHOLE@"+er.Env] = true
		}
	}
	return trees, cached, errors.Join(errs...)
}

func mustWrite(t *testing.T, root, rel, content string) {
	t.Helper()
	writeFiles(t, root, map[string]string{rel: content})
}

// packChart writes the chart folder dir as the archive out.
func packChart(t *testing.T, root, dir, out string) {
	t.Helper()
	var files []string
	filepath.WalkDir(filepath.Join(root, dir), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	f, err := os.Create(filepath.Join(root, out))
	if err != nil {
		os.MkdirAll(filepath.Dir(filepath.Join(root, out)), 0o755)
		f, err = os.Create(filepath.Join(root, out))
		if err != nil {
			t.Fatal(err)
		}
	}
	defer f.Close()
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	for _, p := range files {
		data, _ := os.ReadFile(p)
		rel, _ := filepath.Rel(filepath.Join(root, dir), p)
		tw.WriteHeader(&tar.Header{Name: filepath.Base(dir) + "/" + filepath.ToSlash(rel), Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg})
		tw.Write(data)
	}
	tw.Close()
	gz.Close()
}

func cacheInputCases(cm func(string) string) []cacheInput {
	helmApp := cacheKiln + "  - name: web\n    namespace: web\n    helm:\n      chart: charts/web\n"
	chartYAML := "apiVersion: v2\nname: web\nversion: 0.1.0\n"
	kustApp := cacheKiln + "  - name: k\n    namespace: k\n    kustomize: k\n"
	jApp := cacheKiln + "  - name: j\n    namespace: j\n    jsonnet:\n      file: j/main.jsonnet\n"
	yApp := cacheKiln + "  - name: y\n    namespace: y\n    yaml: y\n"
	return []cacheInput{
		{name: "helm Files.Glob new file",
			files: map[string]string{"kiln.yaml": helmApp, "charts/web/Chart.yaml": chartYAML,
				"charts/web/files/a.txt":       "A",
				"charts/web/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n{{ (.Files.Glob \"files/*\").AsConfig | indent 2 }}\n"},
			change: func(t *testing.T, root string) { mustWrite(t, root, "charts/web/files/b.txt", "B") }},
		{name: "helm helmignore change",
			files: map[string]string{"kiln.yaml": helmApp, "charts/web/Chart.yaml": chartYAML,
				"charts/web/.helmignore": "files/b.txt\n",
				"charts/web/files/a.txt": "A", "charts/web/files/b.txt": "B",
				"charts/web/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n{{ (.Files.Glob \"files/*\").AsConfig | indent 2 }}\n"},
			change: func(t *testing.T, root string) { mustWrite(t, root, "charts/web/.helmignore", "\n") }},
		{name: "helm: a values.schema.json added that the values fail",
			files: map[string]string{"kiln.yaml": helmApp, "charts/web/Chart.yaml": chartYAML,
				"charts/web/values.yaml":       "x: 1\n",
				"charts/web/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  x: {{ .Values.x | quote }}\n"},
			change: func(t *testing.T, root string) {
				mustWrite(t, root, "charts/web/values.schema.json", `{"type":"object","properties":{"x":{"type":"string"}}}`)
			}},
		{name: "helm crds dir",
			files: map[string]string{"kiln.yaml": helmApp, "charts/web/Chart.yaml": chartYAML,
				"charts/web/crds/a.yaml":       cm("crd-a"),
				"charts/web/templates/cm.yaml": cm("web")},
			change: func(t *testing.T, root string) { mustWrite(t, root, "charts/web/crds/b.yaml", cm("crd-b")) }},
		{name: "helm subchart tgz replaced",
			files: map[string]string{"kiln.yaml": helmApp, "charts/web/Chart.yaml": chartYAML + "dependencies:\n  - name: sub\n    version: 0.1.0\n",
				"charts/web/templates/cm.yaml": cm("web"),
				"sub/Chart.yaml":               "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
				"sub/templates/cm.yaml":        cm("sub1")},
			setup: func(t *testing.T, root string) { packChart(t, root, "sub", "charts/web/charts/sub-0.1.0.tgz") },
			change: func(t *testing.T, root string) {
				mustWrite(t, root, "sub/templates/cm.yaml", cm("sub2"))
				packChart(t, root, "sub", "charts/web/charts/sub-0.1.0.tgz")
			}},
		{name: "helm dependency condition",
			files: map[string]string{"kiln.yaml": helmApp, "charts/web/Chart.yaml": chartYAML + "dependencies:\n  - name: sub\n    version: 0.1.0\n",
				"charts/web/templates/cm.yaml":            cm("web"),
				"charts/web/charts/sub/Chart.yaml":        "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
				"charts/web/charts/sub/templates/cm.yaml": cm("sub1")},
			change: func(t *testing.T, root string) {
				mustWrite(t, root, "charts/web/Chart.yaml", chartYAML+"dependencies:\n  - name: sub\n    version: 0.1.0\n    condition: sub.enabled\n")
				mustWrite(t, root, "charts/web/values.yaml", "sub:\n  enabled: false\n")
			}},
		{name: "helm values file symlink retarget",
			files: map[string]string{"kiln.yaml": cacheKiln + "  - name: web\n    namespace: web\n    helm:\n      chart: charts/web\n      values: [vals/v.yaml]\n",
				"charts/web/Chart.yaml": chartYAML, "vals/a.yaml": "x: a\n", "vals/b.yaml": "x: b\n",
				"charts/web/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  x: {{ .Values.x | quote }}\n"},
			setup: func(t *testing.T, root string) { os.Symlink("a.yaml", filepath.Join(root, "vals/v.yaml")) },
			change: func(t *testing.T, root string) {
				os.Remove(filepath.Join(root, "vals/v.yaml"))
				if err := os.Symlink("b.yaml", filepath.Join(root, "vals/v.yaml")); err != nil {
					t.Fatal(err)
				}
			}},

		{name: "kustomize component file",
			files: map[string]string{"kiln.yaml": kustApp, "k/kustomization.yaml": "resources: [cm.yaml]\ncomponents: [../comp]\n", "k/cm.yaml": cm("k"),
				"comp/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ncommonLabels: {x: a}\n"},
			change: func(t *testing.T, root string) {
				mustWrite(t, root, "comp/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ncommonLabels: {x: b}\n")
			}},
		{name: "kustomize configMapGenerator env file",
			files:  map[string]string{"kiln.yaml": kustApp, "k/kustomization.yaml": "configMapGenerator:\n- name: g\n  envs: [a.env]\n", "k/a.env": "A=1\n"},
			change: func(t *testing.T, root string) { mustWrite(t, root, "k/a.env", "A=2\n") }},
		{name: "kustomize generator files dir",
			files:  map[string]string{"kiln.yaml": kustApp, "k/kustomization.yaml": "configMapGenerator:\n- name: g\n  files: [d/a.txt]\n", "k/d/a.txt": "A"},
			change: func(t *testing.T, root string) { mustWrite(t, root, "k/d/a.txt", "B") }},
		{name: "kustomize new file in resource dir", same: true,
			files:  map[string]string{"kiln.yaml": kustApp, "k/kustomization.yaml": "resources: [sub]\n", "k/sub/kustomization.yaml": "resources: [a.yaml]\n", "k/sub/a.yaml": cm("a")},
			change: func(t *testing.T, root string) { mustWrite(t, root, "k/sub/b.yaml", cm("b")) }},
		{name: "kustomize openapi field",
			files:  map[string]string{"kiln.yaml": kustApp, "k/kustomization.yaml": "resources: [a.yaml]\nopenapi:\n  path: schema.json\n", "k/a.yaml": cm("a"), "k/schema.json": `{"definitions":{}}`},
			change: func(t *testing.T, root string) { mustWrite(t, root, "k/schema.json", `{"definitions":{"x":{}}}`) }},
		{name: "kustomize replacements file",
			files: map[string]string{"kiln.yaml": kustApp, "k/kustomization.yaml": "resources: [a.yaml, b.yaml]\nreplacements:\n- path: r.yaml\n", "k/a.yaml": cm("a"), "k/b.yaml": cm("b"),
				"k/r.yaml": "source: {kind: ConfigMap, name: a, fieldPath: data.a}\ntargets:\n- select: {kind: ConfigMap, name: b}\n  fieldPaths: [data.c]\n  options: {create: true}\n"},
			change: func(t *testing.T, root string) {
				mustWrite(t, root, "k/r.yaml", "source: {kind: ConfigMap, name: a, fieldPath: data.a}\ntargets:\n- select: {kind: ConfigMap, name: b}\n  fieldPaths: [data.d]\n  options: {create: true}\n")
			}},
		{name: "kustomize symlinked dir retarget",
			files: map[string]string{"kiln.yaml": kustApp, "k/kustomization.yaml": "resources: [l]\n", "x/kustomization.yaml": "resources: [a.yaml]\n", "x/a.yaml": cm("x"),
				"y/kustomization.yaml": "resources: [a.yaml]\n", "y/a.yaml": cm("y")},
			setup: func(t *testing.T, root string) { os.Symlink("../x", filepath.Join(root, "k/l")) },
			change: func(t *testing.T, root string) {
				os.Remove(filepath.Join(root, "k/l"))
				os.Symlink("../y", filepath.Join(root, "k/l"))
			}},
		{name: "kustomize crds field",
			files:  map[string]string{"kiln.yaml": kustApp, "k/kustomization.yaml": "resources: [a.yaml]\ncrds: [c.json]\nnamePrefix: p-\n", "k/a.yaml": cm("a"), "k/c.json": `{}`},
			change: func(t *testing.T, root string) { mustWrite(t, root, "k/c.json", `{"x":{}}`) }},
		{name: "jsonnet extVar",
			files: map[string]string{"kiln.yaml": cacheKiln + "  - name: j\n    namespace: j\n    jsonnet:\n      file: j/main.jsonnet\n      extVars: {x: a}\n",
				"j/main.jsonnet": "{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'j'}, data: {x: std.extVar('x')}}\n"},
			change: func(t *testing.T, root string) {
				mustWrite(t, root, "kiln.yaml", cacheKiln+"  - name: j\n    namespace: j\n    jsonnet:\n      file: j/main.jsonnet\n      extVars: {x: b}\n")
			}},
		{name: "jsonnet importbin",
			files:  map[string]string{"kiln.yaml": jApp, "j/main.jsonnet": "{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'j'}, data: {x: std.toString(importbin 'f.bin')}}\n", "j/f.bin": "A"},
			change: func(t *testing.T, root string) { mustWrite(t, root, "j/f.bin", "B") }},
		{name: "jsonnet importstr shadow in jpath",
			files: map[string]string{"kiln.yaml": cacheKiln + "  - name: j\n    namespace: j\n    jsonnet:\n      file: j/main.jsonnet\n      jpath: [l1, l2]\n",
				"j/main.jsonnet": "{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'j'}, data: {x: importstr 'f.txt'}}\n", "l2/f.txt": "two"},
			change: func(t *testing.T, root string) { mustWrite(t, root, "l1/f.txt", "one") }},
		{name: "jsonnet env var change",
			files:  map[string]string{"kiln.yaml": jApp, "envs/dev.yaml": "vars: {A: one}\n", "j/main.jsonnet": "{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'j'}, data: {x: std.extVar('vars').A}}\n"},
			change: func(t *testing.T, root string) { mustWrite(t, root, "envs/dev.yaml", "vars: {A: two}\n") }},
		{name: "yaml deleted file",
			files:  map[string]string{"kiln.yaml": yApp, "y/a.yaml": cm("a"), "y/b.yaml": cm("b")},
			change: func(t *testing.T, root string) { os.Remove(filepath.Join(root, "y/b.yaml")) }},
		{name: "yaml var default used then defined",
			files:  map[string]string{"kiln.yaml": yApp, "envs/dev.yaml": "vars: {B: x}\n", "y/a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  a: ${A:=dflt}\n"},
			change: func(t *testing.T, root string) { mustWrite(t, root, "envs/dev.yaml", "vars: {B: x, A: set}\n") }},
		{name: "yaml case rename",
			files: map[string]string{"kiln.yaml": yApp, "y/a.yaml": cm("a"), "y/b.yaml": cm("b")},
			change: func(t *testing.T, root string) {
				os.Rename(filepath.Join(root, "y/b.yaml"), filepath.Join(root, "y/B.yaml"))
			}},
		{name: "yaml file mode", same: true,
			files:  map[string]string{"kiln.yaml": yApp, "y/a.yaml": cm("a")},
			change: func(t *testing.T, root string) { os.Chmod(filepath.Join(root, "y/a.yaml"), 0o755) }},
		{name: "yaml dir becomes symlink",
			files: map[string]string{"kiln.yaml": yApp, "y/a.yaml": cm("a"), "z/a.yaml": cm("z")},
			change: func(t *testing.T, root string) {
				os.RemoveAll(filepath.Join(root, "y"))
				os.Symlink("z", filepath.Join(root, "y"))
			}},
		{name: "env: CI image digest",
			files:  map[string]string{"kiln.yaml": yApp, "y/a.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: ghcr.io/a/b:1\n"},
			images: []string{"ghcr.io/a/b@sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
			change: func(t *testing.T, root string) {}},
		{name: "kiln.yaml: flux interval",
			files: map[string]string{"kiln.yaml": yApp, "y/a.yaml": cm("a")},
			change: func(t *testing.T, root string) {
				mustWrite(t, root, "kiln.yaml", strings.Replace(yApp, "apps:\n", "flux:\n  interval: 7m\napps:\n", 1))
			}},
		{name: "validation.crds file changed",
			files: map[string]string{"kiln.yaml": strings.Replace(yApp, "apps:\n", "validation:\n  crds: [crds/w.yaml]\napps:\n", 1), "crds/w.yaml": widgetCRDOf("string"),
				"y/a.yaml": "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  size: big\n"},
			change: func(t *testing.T, root string) { mustWrite(t, root, "crds/w.yaml", widgetCRDOf("integer")) }},

		{name: "strict toggled with an implied-namespace warning",
			files: map[string]string{"kiln.yaml": cacheKiln + "  - name: ns\n    namespace: team\n    yaml: ns\n  - name: y\n    namespace: team\n    yaml: y\n",
				"ns/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n", "y/a.yaml": cm("a")},
			strict: true,
			change: func(t *testing.T, root string) {}},
		{name: "validation.crds scope change",
			files: map[string]string{"kiln.yaml": strings.Replace(yApp, "apps:\n", "validation:\n  crds: [crds/w.yaml]\napps:\n", 1), "crds/w.yaml": widgetCRDOf("string"),
				"y/a.yaml": "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  size: big\n"},
			change: func(t *testing.T, root string) {
				mustWrite(t, root, "crds/w.yaml", strings.Replace(widgetCRDOf("string"), "scope: Namespaced", "scope: Cluster", 1))
			}},
		{name: "other app's CRD scope change",
			files: map[string]string{"kiln.yaml": cacheKiln + "  - name: crd\n    namespace: y\n    yaml: crd\n  - name: y\n    namespace: y\n    yaml: y\n    dependsOn: [crd]\n", "crd/w.yaml": widgetCRDOf("string"),
				"y/a.yaml": "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  size: big\n"},
			change: func(t *testing.T, root string) {
				mustWrite(t, root, "crd/w.yaml", strings.Replace(widgetCRDOf("string"), "scope: Namespaced", "scope: Cluster", 1))
			}},
		{name: "helm capabilities from validation.crds",
			files: map[string]string{"kiln.yaml": strings.Replace(helmApp, "apps:\n", "validation:\n  crds: [crds/w.yaml]\napps:\n", 1), "crds/w.yaml": widgetCRDOf("string"), "charts/web/Chart.yaml": chartYAML,
				"charts/web/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  has: {{ .Capabilities.APIVersions.Has \"example.com/v2\" | quote }}\n"},
			change: func(t *testing.T, root string) {
				mustWrite(t, root, "crds/w.yaml", strings.Replace(widgetCRDOf("string"), "  - name: v1\n", "  - name: v2\n", 1))
			}},
		{name: "jsonnet tla",
			files: map[string]string{"kiln.yaml": cacheKiln + "  - name: j\n    namespace: j\n    jsonnet:\n      file: j/main.jsonnet\n      tlas: {x: a}\n",
				"j/main.jsonnet": "function(x) {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'j'}, data: {x: x}}\n"},
			change: func(t *testing.T, root string) {
				mustWrite(t, root, "kiln.yaml", cacheKiln+"  - name: j\n    namespace: j\n    jsonnet:\n      file: j/main.jsonnet\n      tlas: {x: b}\n")
			}},
		{name: "helm env values reach HelmRelease",
			files: map[string]string{"kiln.yaml": helmApp, "envs/dev.yaml": "apps:\n  web:\n    values: {x: 1}\n", "charts/web/Chart.yaml": chartYAML, "charts/web/templates/cm.yaml": cm("web")},
			change: func(t *testing.T, root string) {
				mustWrite(t, root, "envs/dev.yaml", "apps:\n  web:\n    values: {x: 2}\n")
			}},
		{name: "kustomize base file symlink retarget in high-level",
			files: map[string]string{"kiln.yaml": kustApp, "k/kustomization.yaml": "resources: [a.yaml]\n", "k/x.yaml": cm("x"), "k/y.yaml": cm("x") + "# y\n"},
			setup: func(t *testing.T, root string) { os.Symlink("x.yaml", filepath.Join(root, "k/a.yaml")) },
			change: func(t *testing.T, root string) {
				os.Remove(filepath.Join(root, "k/a.yaml"))
				os.Symlink("y.yaml", filepath.Join(root, "k/a.yaml"))
			}},

		{name: "helm subchart folder symlink retarget",
			files: map[string]string{"kiln.yaml": helmApp, "charts/web/Chart.yaml": chartYAML + "dependencies:\n  - name: sub\n    version: 0.1.0\n",
				"charts/web/templates/cm.yaml": cm("web"),
				"s1/Chart.yaml":                "apiVersion: v2\nname: sub\nversion: 0.1.0\n", "s1/templates/cm.yaml": cm("s1"),
				"s2/Chart.yaml": "apiVersion: v2\nname: sub\nversion: 0.1.0\n", "s2/templates/cm.yaml": cm("s2")},
			setup: func(t *testing.T, root string) {
				os.MkdirAll(filepath.Join(root, "charts/web/charts"), 0o755)
				os.Symlink("../../../s1", filepath.Join(root, "charts/web/charts/sub"))
			},
			change: func(t *testing.T, root string) {
				os.Remove(filepath.Join(root, "charts/web/charts/sub"))
				os.Symlink("../../../s2", filepath.Join(root, "charts/web/charts/sub"))
			}},
		{name: "helm packaged chart path replaced",
			files: map[string]string{"kiln.yaml": cacheKiln + "  - name: web\n    namespace: web\n    helm:\n      chart: pkg/web-0.1.0.tgz\n",
				"src/web/Chart.yaml": chartYAML, "src/web/templates/cm.yaml": cm("w1")},
			setup: func(t *testing.T, root string) { packChart(t, root, "src/web", "pkg/web-0.1.0.tgz") },
			change: func(t *testing.T, root string) {
				mustWrite(t, root, "src/web/templates/cm.yaml", cm("w2"))
				packChart(t, root, "src/web", "pkg/web-0.1.0.tgz")
			}},
		{name: "jsonnet main file symlink retarget",
			files: map[string]string{"kiln.yaml": jApp, "j/a.jsonnet": "{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'a'}}\n", "j/b.jsonnet": "{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'b'}}\n"},
			setup: func(t *testing.T, root string) { os.Symlink("a.jsonnet", filepath.Join(root, "j/main.jsonnet")) },
			change: func(t *testing.T, root string) {
				os.Remove(filepath.Join(root, "j/main.jsonnet"))
				os.Symlink("b.jsonnet", filepath.Join(root, "j/main.jsonnet"))
			}},
		{name: "jsonnet relative import from symlinked lib",
			files: map[string]string{"kiln.yaml": cacheKiln + "  - name: j\n    namespace: j\n    jsonnet:\n      file: j/main.jsonnet\n      jpath: [lib]\n",
				"j/main.jsonnet": "import 'l/x.libsonnet'\n", "real1/x.libsonnet": "import 'y.libsonnet'\n", "real1/y.libsonnet": "{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'a'}}\n",
				"real2/x.libsonnet": "import 'y.libsonnet'\n", "real2/y.libsonnet": "{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'b'}}\n"},
			setup: func(t *testing.T, root string) {
				os.MkdirAll(filepath.Join(root, "lib"), 0o755)
				os.Symlink("../real1", filepath.Join(root, "lib/l"))
			},
			change: func(t *testing.T, root string) {
				os.Remove(filepath.Join(root, "lib/l"))
				os.Symlink("../real2", filepath.Join(root, "lib/l"))
			}},
		{name: "yaml kustomization listing",
			files: map[string]string{"kiln.yaml": yApp, "y/a.yaml": cm("a"), "y/kustomization.yaml": "resources: [a.yaml]\n"},
			change: func(t *testing.T, root string) {
				mustWrite(t, root, "y/b.yaml", cm("b"))
				mustWrite(t, root, "y/kustomization.yaml", "resources: [a.yaml, b.yaml]\n")
			}},
		{name: "kustomize patch file created where inline was assumed",
			files: map[string]string{"kiln.yaml": kustApp, "k/kustomization.yaml": "resources: [a.yaml]\npatches:\n- path: p.yaml\n", "k/a.yaml": cm("a"),
				"k/p.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata: {p: one}\n"},
			change: func(t *testing.T, root string) {
				mustWrite(t, root, "k/p.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata: {p: two}\n")
			}},
		{name: "two envs share an app, one env file changes",
			files: map[string]string{"kiln.yaml": strings.Replace(yApp, "    mode: push\n", "    mode: push\n  - name: prod\n    mode: push\n", 1), "envs/dev.yaml": "vars: {A: d}\n", "envs/prod.yaml": "vars: {A: p}\n",
				"y/a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  a: ${A}\n"},
			change: func(t *testing.T, root string) { mustWrite(t, root, "envs/prod.yaml", "vars: {A: p2}\n") }},
	}
}

// widgetCRDOf serves example.com/v1 Widget, namespaced, whose
// spec.size is of type typ.
func widgetCRDOf(typ string) string {
	return `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: ` + typ + `}
`
}
