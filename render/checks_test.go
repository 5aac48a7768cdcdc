package render_test

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	helmv2 "github.com/fluxcd/helm-controller/api/v2"
	kustomizev1 "github.com/fluxcd/kustomize-controller/api/v1"
	notifyv1beta3 "github.com/fluxcd/notification-controller/api/v1beta3"
	sourcev1 "github.com/fluxcd/source-controller/api/v1"
	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/golden"
	"github.com/kiln-gitops/kiln/render"
)

// checkOptions are options for the small repositories of testdata/errors:
// no images, no remote charts.
func checkOptions(strict bool) render.Options {
	opts := render.DefaultOptions()
	opts.CacheDir = ""
	opts.Version = "test"
	opts.Strict = strict
	return opts
}

// checkReport renders every env of the repository in dir and prints what
// a user sees: each env's errors, then its warnings.
func checkReport(t *testing.T, dir string, strict bool) string {
	t.Helper()
	p, err := envconfig.Load(filepath.Join(dir, "kiln.yaml"))
	if err != nil {
		return fmt.Sprintf("config: %v\n", err)
	}
	r, err := render.New(p, checkOptions(strict))
	if err != nil {
		t.Fatal(err)
	}
	results, err := r.Render(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, er := range results {
		if er.Err != nil {
			for _, e := range diag.Flatten(er.Err) {
				fmt.Fprintf(&b, "env %s: %s\n", er.Env, e)
			}
		}
		for _, w := range er.Warnings {
			fmt.Fprintf(&b, "env %s: warning: %s\n", er.Env, w.String())
		}
	}
	return b.String()
}

// TestCheckErrors renders each repository under testdata/errors and
// compares the errors and warnings with its want.err (empty: the render
// succeeds without warnings). A file named strict in the case turns on
// Options.Strict.
func TestCheckErrors(t *testing.T) {
	t.Parallel()
	cases, err := filepath.Glob(filepath.Join("testdata", "errors", "*", "kiln.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 10 {
		t.Fatalf("found %d cases, want at least 10", len(cases))
	}
	for _, c := range cases {
		dir := filepath.Dir(c)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			_, err := os.Stat(filepath.Join(dir, "strict"))
			got := checkReport(t, dir, err == nil)
			golden.File(t, filepath.Join(dir, "want.err"), []byte(got), *update)
		})
	}
}

// TestExternalDependencyPassesThrough checks that a "namespace/name"
// dependency is not checked and lands in the Kustomization's dependsOn.
func TestExternalDependencyPassesThrough(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("testdata", "errors", "crd-transitive-dependency")
	p, err := envconfig.Load(filepath.Join(dir, "kiln.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := render.New(p, checkOptions(false))
	if err != nil {
		t.Fatal(err)
	}
	results, err := r.Render(context.Background(), []string{"dev"})
	if err != nil || results[0].Err != nil {
		t.Fatalf("render: %v %v", err, results[0].Err)
	}
	got := string(results[0].Files["flux/shop.yaml"])
	want := "  dependsOn:\n  - name: controllers\n    namespace: infra\n  - name: db\n"
	if !strings.Contains(got, want) {
		t.Errorf("flux/shop.yaml has no dependsOn\n%s\ngot:\n%s", want, got)
	}
}

// TestEnvFluxOverride checks that an env file's flux: override of an app
// reaches its Kustomization, key by key over kiln.yaml's.
func TestEnvFluxOverride(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := map[string]string{
		"kiln.yaml": `apiVersion: kiln/v1alpha1
kind: Pipeline
environments:
  - name: dev
  - name: prod
    promoteFrom: dev
manifests: {repo: https://github.com/acme/manifests.git}
notifications: {secretRef: github-token, commitStatus: true}
apps:
  - name: web
    namespace: shop
    yaml: web
    flux:
      interval: 5m
      timeout: 2m
      healthChecks: [{apiVersion: v1, kind: Service, name: web}]
`,
		"envs/prod.yaml": `apps:
  web:
    flux:
      interval: 1m
      wait: true
      healthCheckExprs:
        - {apiVersion: example.com/v1, kind: Widget, current: "status.ready == true"}
`,
		"web/service.yaml": `apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80}]
`,
		"web/widget-crd.yaml": `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
`,
		"web/widget.yaml": `apiVersion: example.com/v1
kind: Widget
metadata: {name: web}
spec: {size: 1}
`,
		"web/deploy.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx:1.27}]}
`,
	}
	for name, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p, err := envconfig.Load(filepath.Join(dir, "kiln.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := render.New(p, checkOptions(false))
	if err != nil {
		t.Fatal(err)
	}
	results, err := r.Render(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"dev": `  healthChecks:
  - apiVersion: apps/v1
    kind: Deployment
    name: web
    namespace: shop
  - apiVersion: v1
    kind: Service
    name: web
    namespace: shop
  interval: 5m0s
  path: ./clusters/dev/apps/web
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
  timeout: 2m0s
`,
		"prod": `  healthCheckExprs:
  - apiVersion: example.com/v1
    current: status.ready == true
    kind: Widget
  interval: 1m0s
  path: ./clusters/prod/apps/web
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
  timeout: 2m0s
  wait: true
`,
	}
	for _, er := range results {
		if er.Err != nil {
			t.Fatalf("env %s: %v", er.Env, er.Err)
		}
		k := string(er.Files["flux/web.yaml"])
		_, spec, _ := strings.Cut(k, "spec:\n")
		if diff := cmp.Diff(want[er.Env], spec); diff != "" {
			t.Errorf("env %s: flux/web.yaml spec (-want +got):\n%s", er.Env, diff)
		}
	}
}

// TestFluxObjectsDecodeStrictly renders the example and decodes every
// Flux object kiln writes (flux/, high-level/<app>/helmrelease.yaml and
// source.yaml) strictly with Flux's own API types.
func TestFluxObjectsDecodeStrictly(t *testing.T) {
	t.Parallel()
	results, err := exampleRenderer(t).Render(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, er := range results {
		if er.Err != nil {
			t.Fatalf("env %s: %v", er.Env, er.Err)
		}
		for name, data := range er.Files {
			base := path.Base(name)
			if !strings.HasPrefix(name, "flux/") && !(strings.HasPrefix(name, "high-level/") && (base == "helmrelease.yaml" || base == "source.yaml")) {
				continue
			}
			for _, doc := range strings.Split(string(data), "\n---\n") {
				var tm metav1.TypeMeta
				if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
					t.Fatal(err)
				}
				var into any
				switch tm.APIVersion + " " + tm.Kind {
				case "kustomize.toolkit.fluxcd.io/v1 Kustomization":
					into = &kustomizev1.Kustomization{}
				case "helm.toolkit.fluxcd.io/v2 HelmRelease":
					into = &helmv2.HelmRelease{}
				case "source.toolkit.fluxcd.io/v1 HelmRepository":
					into = &sourcev1.HelmRepository{}
				case "source.toolkit.fluxcd.io/v1 OCIRepository":
					into = &sourcev1.OCIRepository{}
				case "notification.toolkit.fluxcd.io/v1beta3 Provider":
					into = &notifyv1beta3.Provider{}
				case "notification.toolkit.fluxcd.io/v1beta3 Alert":
					into = &notifyv1beta3.Alert{}
				default:
					t.Errorf("env %s: %s: unexpected %s %s", er.Env, name, tm.APIVersion, tm.Kind)
					continue
				}
				if err := yaml.UnmarshalStrict([]byte(doc), into); err != nil {
					t.Errorf("env %s: %s: %v", er.Env, name, err)
				}
				seen[tm.Kind] = true
			}
		}
	}
	for _, kind := range []string{"Kustomization", "HelmRelease", "Provider", "Alert"} {
		if !seen[kind] {
			t.Errorf("the example wrote no %s", kind)
		}
	}
}

// TestStatusScaleWarning: more commit-status contexts on one manifests
// commit than notification-controller's duplicate check sees (50) is a
// warning naming the numbers, given once however many envs render.
func TestStatusScaleWarning(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		apps int
		want bool
	}{{25, false}, {26, true}} {
		dir := t.TempDir()
		var b strings.Builder
		b.WriteString("apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments: [{name: dev}, {name: prod, promoteFrom: dev}]\n")
		b.WriteString("manifests: {repo: https://github.com/acme/manifests.git}\nnotifications: {secretRef: github-token, commitStatus: true}\napps:\n")
		files := map[string]string{"envs/dev.yaml": "vars: {}\n", "envs/prod.yaml": "vars: {}\n"}
		for i := range tc.apps {
			app := fmt.Sprintf("app%02d", i)
			fmt.Fprintf(&b, "  - {name: %s, namespace: shop, yaml: apps/%s}\n", app, app)
			files["apps/"+app+"/cm.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + app + "}\n"
		}
		files["kiln.yaml"] = b.String()
		for name, content := range files {
			p := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		p, err := envconfig.Load(filepath.Join(dir, "kiln.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		r, err := render.New(p, checkOptions(false))
		if err != nil {
			t.Fatal(err)
		}
		// Once per run, not once per env: it is about the pipeline.
		for _, envs := range [][]string{{"dev"}, {"prod"}, nil} {
			results, err := r.Render(context.Background(), envs)
			if err != nil {
				t.Fatal(err)
			}
			got := 0
			for _, er := range results {
				if er.Err != nil {
					t.Fatalf("render %s: %v", er.Env, er.Err)
				}
				for _, w := range er.Warnings {
					if strings.Contains(w.String(), "2 envs = 52 status contexts on one manifests commit") && strings.Contains(w.String(), "(about 6.9 days at flux.interval 10m)") {
						got++
					}
				}
			}
			if want := map[bool]int{true: 1}[tc.want]; got != want {
				t.Errorf("%d apps, envs %v: the scale warning %d times, want %d", tc.apps, envs, got, want)
			}
		}
	}
}

// TestHealthChecksOfAnotherApp: a health check of a cluster-scoped object
// another app applies (a CustomResourceDefinition, a Namespace) needs only
// its apiVersion: it has no namespace to give, and kiln used to refuse it
// as a check Flux could not resolve. testdata/errors/health-check-of-another-app
// without its env file, whose override adds a namespaced check that is
// refused (want.err there).
func TestHealthChecksOfAnotherApp(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("testdata", "errors", "health-check-of-another-app"))); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "envs", "dev.yaml")); err != nil {
		t.Fatal(err)
	}
	p, err := envconfig.Load(filepath.Join(dir, "kiln.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := render.New(p, checkOptions(false))
	if err != nil {
		t.Fatal(err)
	}
	results, err := r.Render(context.Background(), []string{"dev"})
	if err != nil || results[0].Err != nil {
		t.Fatalf("render: %v %v", err, results[0].Err)
	}
	got := string(results[0].Files["flux/shop.yaml"])
	want := "  healthChecks:\n" +
		"  - apiVersion: apiextensions.k8s.io/v1\n    kind: CustomResourceDefinition\n    name: widgets.example.com\n" +
		"  - apiVersion: v1\n    kind: Namespace\n    name: shop\n"
	if !strings.Contains(got, want) {
		t.Errorf("flux/shop.yaml has not\n%s\ngot:\n%s", want, got)
	}
}

// TestKubeVersionCoverage: a kubeVersion older than the oldest release
// kiln's API data describes (1.24), or newer than the pinned k8s.io/api's,
// renders with one run-level warning at kubeVersion's line saying what
// goes unchecked; versions inside the range warn about nothing.
func TestKubeVersionCoverage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ kube, want string }{
		{"1.19.0", `kiln.yaml:3: kubeVersion "1.19.0" is older than Kubernetes 1.24, the oldest release kiln's API data describes: a field or API that 1.24 has and 1.19 has not passes validation`},
		{"1.24.0", ""},
		{envconfig.DefaultKubeVersion, ""},
		{"v1.99", `kiln.yaml:3: kubeVersion "v1.99" is newer than Kubernetes 1.37, the release of the API data this kiln embeds`},
	} {
		p := loadProject(t, t.TempDir(), map[string]string{
			"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nkubeVersion: \"" + tc.kube + "\"\nenvironments: [{name: dev}, {name: prod}]\n" +
				"apps:\n  - {name: web, namespace: shop, yaml: apps/web}\n",
			"envs/dev.yaml":    "vars: {}\n",
			"envs/prod.yaml":   "vars: {}\n",
			"apps/web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\n",
		})
		results := renderAll(t, p, checkOptions(false))
		var got []string
		for _, res := range results {
			if res.Err != nil {
				t.Fatalf("%s: %v", tc.kube, res.Err)
			}
			for _, w := range res.Warnings {
				// TestKubeVersionFlux's warning is at the same line.
				if strings.Contains(w.Msg, "kubeVersion") && !strings.Contains(w.Msg, "oldest that Flux") {
					got = append(got, w.String())
				}
			}
		}
		switch {
		case tc.want == "" && len(got) > 0:
			t.Errorf("kubeVersion %s: unexpected warnings %q", tc.kube, got)
		case tc.want != "" && (len(got) != 1 || !strings.Contains(got[0], "/"+tc.want)):
			t.Errorf("kubeVersion %s: warnings %q, want one with %q", tc.kube, got, tc.want)
		}
	}
}

// TestKubeVersionFlux: a kubeVersion older than the oldest Kubernetes the
// pinned Flux release supports (flux check --pre's minimum) renders with
// one run-level warning at kubeVersion's line, naming the version to use;
// from that minimum on, and with kubeVersion left out, nothing.
func TestKubeVersionFlux(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ kube, want string }{
		{kube: "1.32.4", want: `kiln.yaml:3: kubeVersion "1.32.4" is older than Kubernetes 1.33, the oldest that Flux v2.9.5 supports`},
		{kube: "1.33.0"},
		{kube: ""},
	} {
		kv := ""
		if tc.kube != "" {
			kv = "kubeVersion: \"" + tc.kube + "\"\n"
		}
		p := loadProject(t, t.TempDir(), map[string]string{
			"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\n" + kv + "environments: [{name: dev}, {name: prod}]\n" +
				"apps:\n  - {name: web, namespace: shop, yaml: apps/web}\n",
			"envs/dev.yaml":    "vars: {}\n",
			"envs/prod.yaml":   "vars: {}\n",
			"apps/web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\n",
		})
		var got []string
		for _, res := range renderAll(t, p, checkOptions(false)) {
			if res.Err != nil {
				t.Fatalf("%s: %v", tc.kube, res.Err)
			}
			for _, w := range res.Warnings {
				if strings.Contains(w.Msg, "oldest that Flux") {
					got = append(got, w.String())
				}
			}
		}
		switch {
		case tc.want == "" && len(got) > 0:
			t.Errorf("kubeVersion %q: unexpected warnings %q", tc.kube, got)
		case tc.want != "" && (len(got) != 1 || !strings.Contains(got[0], "/"+tc.want) || !strings.Contains(got[0], "Kubernetes 1.33 or later")):
			t.Errorf("kubeVersion %q: warnings %q, want one with %q and the version to use", tc.kube, got, tc.want)
		}
	}
}

// TestBootstrapSourceWarning: with flux.namespace set and flux.sourceRef
// left out, every Kustomization reads from GitRepository flux-system in
// that namespace, which flux bootstrap --namespace X does not make (it
// names its source X): a warning at flux.namespace's line. Setting the
// source, or the namespace being flux-system, says nothing.
func TestBootstrapSourceWarning(t *testing.T) {
	t.Parallel()
	for flux, want := range map[string]string{
		"flux: {namespace: team-flux}\n": "kiln.yaml:5: flux.namespace is team-flux and flux.sourceRef is not set, so every Kustomization reads its manifests from GitRepository team-flux/flux-system, which flux bootstrap does not make: with --namespace team-flux it names its GitRepository team-flux\n" +
			"  hint: set flux.sourceRef: {name: team-flux}",
		"flux: {namespace: team-flux, sourceRef: {name: flux-system}}\n": "",
		"flux: {namespace: flux-system}\n":                               "",
		"":                                                               "",
	} {
		dir := writeProject(t, map[string]string{
			"kiln.yaml":      "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments: [{name: dev}]\napps: [{name: a, namespace: shop, yaml: apps/a}]\n" + flux,
			"envs/dev.yaml":  "",
			"apps/a/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
		})
		r, err := render.New(load(t, dir), checkOptions(false))
		if err != nil {
			t.Fatal(err)
		}
		results, err := r.Render(context.Background(), nil)
		if err != nil || results[0].Err != nil {
			t.Fatalf("%q: %v, %v", flux, err, results[0].Err)
		}
		got := ""
		for _, w := range results[0].Warnings {
			if strings.Contains(w.String(), "flux.sourceRef is not set") {
				got = w.String()
			}
		}
		if want == "" && got != "" || want != "" && !strings.Contains(got, "/"+want) {
			t.Errorf("%q: warning %q, want %q", flux, got, want)
		}
	}
}

// TestFailedAppHidesNoOtherApp: an app whose document the parser refuses
// (metadata.generateName alone, an apiVersion written Apps/v1) has no
// objects, but the other apps' objects are still checked, so one run
// reports the document and their errors. The other apps' checks used to
// be skipped whole.
func TestFailedAppHidesNoOtherApp(t *testing.T) {
	t.Parallel()
	dir := writeProject(t, map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments: [{name: dev}]\n" +
			"apps: [{name: a, namespace: shop, yaml: apps/a}, {name: b, namespace: shop, yaml: apps/b}, {name: c, namespace: shop, yaml: apps/c}, {name: d, namespace: shop, yaml: apps/d, dependsOn: [a]}]\n",
		"envs/dev.yaml":  "",
		"apps/a/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: x-}\n",
		"apps/b/cm.yaml": "apiVersion: Apps/v1\nkind: Deployment\nmetadata: {name: d}\n",
		"apps/c/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Bad_Name}\n",
		// The failed app's CRD serves a HelmRelease version Flux's
		// embedded CRD does not: app d's object is not judged without it.
		"apps/a/crd.yaml": "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: helmreleases.helm.toolkit.fluxcd.io}\n" +
			"spec:\n  group: helm.toolkit.fluxcd.io\n  names: {kind: HelmRelease, listKind: HelmReleaseList, plural: helmreleases, singular: helmrelease}\n  scope: Namespaced\n" +
			"  versions: [{name: v3, served: true, storage: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}]\n",
		"apps/d/hr.yaml": "apiVersion: helm.toolkit.fluxcd.io/v3\nkind: HelmRelease\nmetadata: {name: web}\nspec: {anything: 1}\n",
	})
	r, err := render.New(load(t, dir), checkOptions(false))
	if err != nil {
		t.Fatal(err)
	}
	results, err := r.Render(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(results[0].Err)
	for _, want := range []string{
		"apps/a/cm.yaml:1: app a: ConfigMap/: object has no metadata.name",
		`apps/b/cm.yaml:1: app b: apiVersion "Apps/v1" is not an API version any cluster serves`,
		`apps/c/cm.yaml:3: app c: ConfigMap/shop/Bad_Name: field "metadata.name": Invalid value: "Bad_Name"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("error %q\nwants %q", got, want)
		}
	}
	if strings.Contains(got, "app d") {
		t.Errorf("error %q\njudges app d's HelmRelease without the failed app's CRD that serves it", got)
	}
}

// TestFluxNamespaceCopyNotPruned checks the way out of the rule that
// refuses an app's copy of flux.namespace's Namespace (and of Flux's
// Kustomization CRD): the rule is there for the app's prune, so a copy
// the app's Kustomization would not garbage-collect passes, with
// flux.prune off or with kustomize.toolkit.fluxcd.io/prune: disabled on
// it; and the rule follows flux.namespace.
func TestFluxNamespaceCopyNotPruned(t *testing.T) {
	t.Parallel()
	const app = "  - name: platform\n    namespace: platform\n    yaml: platform\n"
	ns := func(name, annotations string) string {
		return "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + name + "\n" + annotations
	}
	for _, tc := range []struct {
		name, flux, doc, want string
	}{
		{"pruned", "", ns("flux-system", ""), "Namespace/flux-system: is flux.namespace"},
		{"prune off", "flux: {prune: false}\n", ns("flux-system", ""), ""},
		{"prune disabled on the copy", "", ns("flux-system", "  annotations: {kustomize.toolkit.fluxcd.io/prune: disabled}\n"), ""},
		{"prune disabled in another case", "", ns("flux-system", "  annotations: {kustomize.toolkit.fluxcd.io/prune: Disabled}\n"), ""},
		{"prune disabled by a label", "", ns("flux-system", "  labels: {kustomize.toolkit.fluxcd.io/prune: disabled}\n"), ""},
		{"prune enabled", "", ns("flux-system", "  annotations: {kustomize.toolkit.fluxcd.io/prune: enabled}\n"), "Namespace/flux-system: is flux.namespace"},
		{"another flux.namespace", "flux: {namespace: flux, sourceRef: {name: flux}}\n", ns("flux-system", ""), ""},
		{"another flux.namespace's own", "flux: {namespace: flux, sourceRef: {name: flux}}\n", ns("flux", ""), "Namespace/flux: is flux.namespace"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := writeProject(t, map[string]string{
				"kiln.yaml":          "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments: [{name: dev}]\n" + tc.flux + "apps:\n" + app,
				"platform/ns.yaml":   tc.doc,
				"platform/conf.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: conf}\ndata: {a: b}\n",
			})
			got := checkReport(t, dir, false)
			if tc.want == "" {
				if strings.Contains(got, "is flux.namespace") {
					t.Errorf("refused a copy Flux would not prune:\n%s", got)
				}
			} else if !strings.Contains(got, tc.want) {
				t.Errorf("report does not say %q:\n%s", tc.want, got)
			}
		})
	}
}

// TestComponentConfigWarning: a Kubernetes program's configuration file
// given a name (kubernetes/kubernetes' e2e EncryptionConfiguration, in
// testdata/manifests) is an unknown kind to kiln; the warning told the
// user to list its CRD, which no cluster has: it now says what the file
// is and that Flux's apply fails on it.
func TestComponentConfigWarning(t *testing.T) {
	t.Parallel()
	enc, err := os.ReadFile(filepath.Join("..", "testdata", "manifests", "kubernetes", "test_e2e_testing-manifests_auth_encrypt_encryption-config.invalid"))
	if err != nil {
		t.Fatal(err)
	}
	root := writeProject(t, map[string]string{
		"kiln.yaml": `apiVersion: kiln/v1alpha1
kind: Pipeline
environments:
  - name: dev
kubeVersion: "1.37.0"
manifests: {repo: "https://github.com/acme/manifests.git", branch: main, path: "clusters/{env}"}
apps:
  - name: secrets
    namespace: demo
    yaml: secrets
`,
		"secrets/encryption.yaml": strings.Replace(string(enc), "kind: EncryptionConfiguration\n", "kind: EncryptionConfiguration\nmetadata: {name: enc}\n", 1),
	})
	opts := testOptions()
	opts.Images = render.Images{}
	er := renderAll(t, load(t, root), opts)[0]
	if er.Err != nil {
		t.Fatal(er.Err)
	}
	var got string
	for _, w := range er.Warnings {
		got += w.String() + "\n"
	}
	for _, want := range []string{
		"kind EncryptionConfiguration (apiserver.config.k8s.io/v1) is unknown to kiln",
		"hint: EncryptionConfiguration (apiserver.config.k8s.io/v1) is a configuration file of kube-apiserver, not an object of the Kubernetes API",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("warnings:\n%s\nwant one containing %q", got, want)
		}
	}
	if strings.Contains(got, "validation.crds") {
		t.Errorf("the warning still sends the user to list a CRD:\n%s", got)
	}
}
