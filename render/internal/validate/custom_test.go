package validate

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/templates"
)

const widget = `apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
  namespace: apps
spec:
  size: small
  url: https://example.com
  email: a@example.com
  minReplicas: 1
  maxReplicas: 3
  extra: {anything: [goes]}
  ports:
    - {name: http, port: 80}
status:
  ready: true
`

// TestCustomResourceMutations: each mutation of a valid custom resource
// (one at a time) is refused, at the mutated field's line.
func TestCustomResourceMutations(t *testing.T) {
	t.Parallel()
	env := testEnv(t, readObjects(t, "testdata/widget-crd.yaml")...)
	if err := env.Objects("demo", parse(t, "w.yaml", widget)); err != nil {
		t.Fatalf("the valid widget: %v", err)
	}
	for _, tc := range []struct{ name, from, to, want string }{
		{"drop a required field", "  size: small\n", "", `w.yaml:6: app demo: Widget/apps/w: field "spec.size": Required value`},
		{"add an unknown field", "  size: small\n", "  size: small\n  colour: red\n", `w.yaml:8: app demo: Widget/apps/w: unknown field "spec.colour"`},
		{"wrong type", "  minReplicas: 1\n", "  minReplicas: one\n", `w.yaml:10: app demo: Widget/apps/w: field "spec.minReplicas": Invalid value: "string": spec.minReplicas in body must be of type integer`},
		{"enum", "size: small", "size: medium", `w.yaml:7: app demo: Widget/apps/w: field "spec.size": Unsupported value: "medium": supported values: "small", "large"`},
		{"pattern", "url: https://example.com", "url: ftp://example.com", `w.yaml:8: app demo: Widget/apps/w: field "spec.url": Invalid value: "ftp://example.com"`},
		{"format", "email: a@example.com", "email: not-an-email", `w.yaml:9: app demo: Widget/apps/w: field "spec.email": Invalid value: "not-an-email"`},
		// kube-openapi names the field of a number out of its format's
		// range only in its detail.
		{"out of range", "minReplicas: 1", "minReplicas: 99999999999999999999",
			`w.yaml:10: app demo: Widget/apps/w: field "spec.minReplicas": value must be of type integer (default format)`},
		{"maximum", "maxReplicas: 3", "maxReplicas: 11", `w.yaml:11: app demo: Widget/apps/w: field "spec.maxReplicas": Invalid value: 11: spec.maxReplicas in body should be less than or equal to 10`},
		{"CEL rule", "minReplicas: 1", "minReplicas: 5", `w.yaml:6: app demo: Widget/apps/w: field "spec": Invalid value: minReplicas must not exceed maxReplicas`},
		{"CEL rule with a default", "  maxReplicas: 3\n", "", ""},
		{"list-map key twice", "    - {name: http, port: 80}\n", "    - {name: http, port: 80}\n    - {name: http, port: 81}\n", `w.yaml:15: app demo: Widget/apps/w: field "spec.ports[1]": Duplicate value: {"name":"http"}`},
		{"unserved version", "example.com/v1", "example.com/v1alpha1", "w.yaml:1: app demo: Widget/apps/w: apiVersion example.com/v1alpha1 is not served for kind Widget: CRD widgets.example.com serves v1"},
		{"unknown version", "example.com/v1", "example.com/v2", "w.yaml:1: app demo: Widget/apps/w: apiVersion example.com/v2 is not served for kind Widget"},
		{"bad name", "name: w\n", "name: W_1\n", `w.yaml:4: app demo: Widget/apps/W_1: field "metadata.name": Invalid value: "W_1": a lowercase RFC 1123 subdomain`},
		{"label value too long", "  namespace: apps\n", "  namespace: apps\n  labels: {tier: " + strings.Repeat("x", 64) + "}\n", `w.yaml:6: app demo: Widget/apps/w: field "metadata.labels": Invalid value: "xxxx`},
		{"duplicate field", "  size: small\n", "  size: small\n  size: large\n", `w.yaml:8: app demo: Widget/apps/w: duplicate field "spec.size"`},
		// Server-side apply types creationTimestamp as any scalar, and the
		// API server overwrites it on create: a real kube-apiserver 1.37
		// takes these on a custom resource (create and later applies),
		// found by mutating istio's BackendTLSPolicy test data.
		{"creationTimestamp a number", "  namespace: apps\n", "  namespace: apps\n  creationTimestamp: 12345\n", ""},
		{"creationTimestamp a bool", "  namespace: apps\n", "  namespace: apps\n  creationTimestamp: true\n", ""},
		{"creationTimestamp no time", "  namespace: apps\n", "  namespace: apps\n  creationTimestamp: \"2026-12-07 12:00:00.123 +0000 UTC\"\n", ""},
		{"creationTimestamp a map", "  namespace: apps\n", "  namespace: apps\n  creationTimestamp: {at: noon}\n", `w.yaml:6: app demo: Widget/apps/w: wrong type for field "metadata.creationTimestamp": got object, want string`},
		{"creationTimestamp a list", "  namespace: apps\n", "  namespace: apps\n  creationTimestamp: [1]\n", `w.yaml:6: app demo: Widget/apps/w: wrong type for field "metadata.creationTimestamp": got array, want string`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc := strings.Replace(widget, tc.from, tc.to, 1)
			if doc == widget {
				t.Fatalf("mutation %q not applied", tc.from)
			}
			err := env.Objects("demo", parse(t, "w.yaml", doc))
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got\n%v\nwant it to contain\n%s", err, tc.want)
			}
		})
	}
}

// TestFluxMutations: Flux objects are refused as the pinned controllers'
// CRDs refuse them, versions Flux no longer serves included.
func TestFluxMutations(t *testing.T) {
	t.Parallel()
	env := testEnv(t)
	ks := "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: apps, namespace: flux-system}\n" +
		"spec:\n  interval: 10m\n  path: ./apps\n  prune: true\n  sourceRef: {kind: GitRepository, name: flux-system}\n"
	hr := "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: podinfo, namespace: apps}\n" +
		"spec:\n  interval: 10m\n  chart:\n    spec:\n      chart: podinfo\n      reconcileStrategy: ChartVersion\n      sourceRef: {kind: HelmRepository, name: podinfo}\n"
	repo := "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata: {name: podinfo, namespace: apps}\n" +
		"spec:\n  interval: 10m\n  url: https://stefanprodan.github.io/podinfo\n"
	gen := "apiVersion: source.extensions.fluxcd.io/v1beta1\nkind: ArtifactGenerator\nmetadata: {name: redis, namespace: apps}\n" +
		"spec:\n  sources:\n  - {alias: source, kind: OCIRepository, name: manifests, namespace: flux-system}\n" +
		"  artifacts:\n  - name: redis\n    originRevision: '@source'\n    copy:\n    - {from: '@source/charts/redis/**', to: '@artifact/'}\n"
	ref := "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: redis, namespace: apps}\n" +
		"spec:\n  interval: 10m\n  chartRef: {kind: ExternalArtifact, name: redis}\n"
	// The Flux Operator's kinds, which it adds to the CRDs it installs.
	alert := "apiVersion: notification.toolkit.fluxcd.io/v1beta3\nkind: Alert\nmetadata: {name: flux, namespace: flux-system}\n" +
		"spec:\n  providerRef: {name: slack}\n  eventSources:\n  - {kind: FluxInstance, name: flux}\n  - {kind: ResourceSet, name: '*'}\n  - {kind: Kustomization, name: '*'}\n"
	receiver := "apiVersion: notification.toolkit.fluxcd.io/v1\nkind: Receiver\nmetadata: {name: github, namespace: flux-system}\n" +
		"spec:\n  type: github\n  secretRef: {name: webhook-token}\n  resources:\n  - {apiVersion: fluxcd.controlplane.io/v1, kind: ResourceSetInputProvider, name: prs}\n"
	for _, doc := range []string{ks, hr, repo, gen, ref, alert, receiver} {
		if err := env.Objects("demo", parse(t, "f.yaml", doc)); err != nil {
			t.Fatalf("valid: %v", err)
		}
	}
	for _, tc := range []struct{ name, doc, from, to, want string }{
		{"Kustomization v1beta2", ks, "/v1\n", "/v1beta2\n", "apiVersion kustomize.toolkit.fluxcd.io/v1beta2 is not served for kind Kustomization: the CRD of kustomize-controller v1.9.5 serves v1"},
		{"HelmRelease v2beta1", hr, "/v2\n", "/v2beta1\n", "apiVersion helm.toolkit.fluxcd.io/v2beta1 is not served for kind HelmRelease"},
		{"HelmRepository v1beta2", repo, "/v1\n", "/v1beta2\n", "apiVersion source.toolkit.fluxcd.io/v1beta2 is not served"},
		{"reconcileStrategy enum", hr, "ChartVersion", "Sometimes", `field "spec.chart.spec.reconcileStrategy": Unsupported value: "Sometimes"`},
		{"HelmRepository URL pattern", repo, "https://", "ftp://", `field "spec.url": Invalid value: "ftp://stefanprodan.github.io/podinfo"`},
		{"Kustomization without sourceRef", ks, "  sourceRef: {kind: GitRepository, name: flux-system}\n", "", `field "spec.sourceRef": Required value`},
		{"ArtifactGenerator v1", gen, "/v1beta1\n", "/v1\n", "apiVersion source.extensions.fluxcd.io/v1 is not served for kind ArtifactGenerator: the CRD of source-watcher v2.2.4 serves v1beta1"},
		{"ArtifactGenerator source kind enum", gen, "kind: OCIRepository", "kind: HelmRepository", `field "spec.sources[0].kind": Unsupported value: "HelmRepository"`},
		{"ArtifactGenerator copy outside the artifact", gen, "to: '@artifact/'", "to: '@artifact/../x'", `field "spec.artifacts[0].copy[0].to": Invalid value: "@artifact/../x"`},
		{"ArtifactGenerator unknown field", gen, "originRevision", "originRevison", `unknown field "spec.artifacts[0].originRevison"`},
		{"chartRef kind enum", ref, "ExternalArtifact", "GitRepository", `field "spec.chartRef.kind": Unsupported value: "GitRepository"`},
		{"Kustomization interval pattern", ks, "interval: 10m", "interval: often", `field "spec.interval": Invalid value: "often"`},
		{"Alert event source kind enum", alert, "kind: ResourceSet", "kind: Pod", `field "spec.eventSources[1].kind": Unsupported value: "Pod": supported values: "Bucket", "GitRepository", "Kustomization", "HelmRelease", "HelmChart", "HelmRepository", "ImageRepository", "ImagePolicy", "ImageUpdateAutomation", "OCIRepository", "ArtifactGenerator", "ExternalArtifact", "FluxInstance", "ResourceSet", "ResourceSetInputProvider"`},
		{"Receiver resource kind enum", receiver, "kind: ResourceSetInputProvider", "kind: FluxReport", `field "spec.resources[0].kind": Unsupported value: "FluxReport"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc := strings.Replace(tc.doc, tc.from, tc.to, 1)
			err := env.Objects("demo", parse(t, "f.yaml", doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestCustomResourceErrors pins the full text of the errors for a custom
// resource with several problems, all reported together.
func TestCustomResourceErrors(t *testing.T) {
	t.Parallel()
	env := testEnv(t, readObjects(t, "testdata/widget-crd.yaml")...)
	doc := strings.NewReplacer("size: small", "size: medium", "minReplicas: 1", "minReplicas: -1\n  colur: red", "  url: https://example.com\n", "").Replace(widget)
	err := env.Objects("demo", parse(t, "testdata/w.yaml", doc))
	var b bytes.Buffer
	for _, e := range diag.Flatten(err) {
		fmt.Fprintln(&b, e)
	}
	golden(t, filepath.Join("testdata", "custom.golden"), b.Bytes())
}

// goModVersions reads kiln's go.mod: module path → version.
func goModVersions(t *testing.T) map[string]string {
	t.Helper()
	gomod, err := os.ReadFile("../../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	mods := map[string]string{}
	for line := range strings.Lines(string(gomod)) {
		if f := strings.Fields(line); len(f) >= 2 && strings.HasPrefix(f[1], "v") {
			mods[f[0]] = f[1]
		}
	}
	return mods
}

// TestFluxCRDsMatchGoMod fails when go.mod moves a Flux API module and the
// embedded CRDs are not refreshed with it (see fluxcrds/README.md).
// imageModules are the image controllers' API modules: kiln imports
// nothing of them, so go.mod does not pin them, and their CRDs are those
// of the Flux release whose other controllers go.mod pins (fluxRelease,
// fluxcrds/README.md).
var imageModules = map[string]bool{"github.com/fluxcd/image-reflector-controller/api": true, "github.com/fluxcd/image-automation-controller/api": true}

func TestFluxCRDsMatchGoMod(t *testing.T) {
	mods := goModVersions(t)
	data, err := os.ReadFile("fluxcrds/versions.txt")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for line := range strings.Lines(string(data)) {
		mod, ver, _ := strings.Cut(strings.TrimSpace(line), " ")
		n++
		if got, ok := mods[mod]; (ok || !imageModules[mod]) && got != ver {
			t.Errorf("go.mod has %s %s, the embedded Flux CRDs are of %s: copy the CRDs of the matching release into fluxcrds/", mod, got, ver)
		}
		// go.mod moving the other controllers moves fluxRelease
		// (TestFluxMinKubeMatchesGoMod), and with it these.
		if want := fluxReleases[fluxRelease].modules[mod]; imageModules[mod] && want != ver {
			t.Errorf("Flux %s names %s %s, the embedded CRDs are of %s: generate them anew (fluxcrds/README.md)", fluxRelease, mod, want, ver)
		}
	}
	if n != 7 {
		t.Errorf("versions.txt names %d modules, want the API modules of the 4 Flux controllers, source-watcher and the 2 image controllers", n)
	}
}

// TestAPIReleaseMatchesGoMod: the release errors name is the one of the
// k8s.io/api go.mod pins.
func TestAPIReleaseMatchesGoMod(t *testing.T) {
	gomod, err := os.ReadFile("../../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(gomod)) {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "k8s.io/api" {
			if want := "v0." + strings.TrimPrefix(apiRelease, "1.") + ".0"; !strings.HasPrefix(f[1], strings.TrimSuffix(want, ".0")) {
				t.Errorf("go.mod pins k8s.io/api %s, apiRelease says %s", f[1], apiRelease)
			}
			return
		}
	}
	t.Error("go.mod does not name k8s.io/api")
}

// BenchmarkCustomResources validates 1000 custom resources (Flux
// HelmReleases and Kustomizations against the pinned CRDs, widgets against
// a CRD with CEL rules) with the CRDs compiled once, as a Renderer does
// across envs; BenchmarkCompileFluxCRDs measures that compilation.
func BenchmarkCustomResources(b *testing.B) {
	crds := readObjects(b, "testdata/widget-crd.yaml")
	s := NewSchemas()
	env, err := s.Env("1.31.0", crds)
	if err != nil {
		b.Fatal(err)
	}
	docs := widget + "---\n" +
		"apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: podinfo, namespace: apps}\n" +
		"spec:\n  interval: 10m\n  chart:\n    spec:\n      chart: podinfo\n      sourceRef: {kind: HelmRepository, name: podinfo}\n  values: {replicaCount: 2}\n---\n" +
		"apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: apps, namespace: flux-system}\n" +
		"spec:\n  interval: 10m\n  path: ./apps\n  prune: true\n  sourceRef: {kind: GitRepository, name: flux-system}\n"
	objs := distinct(b, "cr.yaml", docs, 1000)
	if err := env.Objects("bench", objs); err != nil { // compiles the Flux CRDs
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		s.clean = map[cleanKey]bool{} // each object checked as for the first time
		if err := env.Objects("bench", objs); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompileFluxCRDs(b *testing.B) {
	for b.Loop() {
		for _, compile := range NewSchemas().flux {
			compile()
		}
	}
}

// TestBuiltinSchemasMatchGoMod fails when go.mod moves k8s.io/api and the
// embedded OpenAPI schemas are not regenerated (see k8sopenapi/README.md).
func TestBuiltinSchemasMatchGoMod(t *testing.T) {
	t.Parallel()
	mods := goModVersions(t)
	gen, err := os.ReadFile("k8sopenapi/gen/go.mod")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("k8sopenapi/versions.txt")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for line := range strings.Lines(string(data)) {
		mod, ver, _ := strings.Cut(strings.TrimSpace(line), " ")
		n++
		if got := mods[mod]; got != ver {
			t.Errorf("go.mod has %s %s, the embedded OpenAPI schemas are of %s: run k8sopenapi/gen/gen.sh", mod, got, ver)
		}
		if !strings.Contains(string(gen), mod+" "+ver+"\n") {
			t.Errorf("k8sopenapi/gen/go.mod does not require %s %s", mod, ver)
		}
	}
	if n != 3 || builtinVersion() != mods["k8s.io/api"] {
		t.Errorf("versions.txt names %d modules and k8s.io/api %q; want k8s.io/api, apimachinery and kube-openapi, k8s.io/api %s", n, builtinVersion(), mods["k8s.io/api"])
	}
}

// TestBuiltinSchemasCompile: every kind of client-go's scheme has an
// embedded schema, and each compiles.
func TestBuiltinSchemasCompile(t *testing.T) {
	t.Parallel()
	b := &builtins{}
	n := 0
	for gvk := range scheme().AllKnownTypes() {
		if gvk.Group == "apiextensions.k8s.io" || gvk.Version == "__internal" || strings.HasSuffix(gvk.Kind, "List") || strings.HasSuffix(gvk.Kind, "Options") {
			continue
		}
		b.load()
		if _, ok := b.kinds[gvk]; !ok {
			continue // kinds that are never manifests (WatchEvent, Status, …)
		}
		if b.schemaFor(gvk) == nil {
			t.Errorf("%s: no schema", gvk)
		}
		n++
	}
	for _, want := range []string{"apps/v1, Kind=Deployment", "/v1, Kind=Service", "batch/v1, Kind=CronJob", "networking.k8s.io/v1, Kind=Ingress", "rbac.authorization.k8s.io/v1, Kind=ClusterRole"} {
		found := false
		for gvk := range b.kinds {
			found = found || gvk.String() == want
		}
		if !found {
			t.Errorf("no schema for %s", want)
		}
	}
	if n < 150 {
		t.Errorf("compiled %d built-in schemas, want every kind", n)
	}
}

// TestCRDNamesAndVersions: a CRD the API server refuses for its name,
// group, names or versions (apiextensions' create validation, not its
// schema) is refused as not servable, at the CRD, naming the field; the
// defaults the API server fills in first (singular, listKind) are not
// required.
func TestCRDNamesAndVersions(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/widget-crd.yaml")
	if err != nil {
		t.Fatal(err)
	}
	certs, err := os.ReadFile("../../../testdata/manifests/cert-manager/cert-manager.io_certificates.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		doc      []byte
		from, to string
		want     string // "" when the CRD is valid
	}{
		{"as written", data, "", "", ""},
		{"singular and listKind left to their defaults", data, "{kind: Widget, listKind: WidgetList, plural: widgets, singular: widget}", "{kind: Widget, plural: widgets}", ""},
		{"name not plural.group", data, "name: widgets.example.com", "name: widget.example.com",
			`metadata.name: Invalid value: "widget.example.com": must be spec.names.plural+"."+spec.group`},
		{"group without a dot", data, "group: example.com", "group: example",
			`spec.group: Invalid value: "example": should be a domain with at least one dot`},
		{"two storage versions", data, "      served: false\n      storage: false\n", "      served: false\n      storage: true\n",
			"spec.versions: Invalid value: must have exactly one version marked as storage version"},
		{"no storage version", data, "      served: true\n      storage: true\n", "      served: true\n      storage: false\n",
			"must have exactly one version marked as storage version"},
		{"a version twice", data, "- name: v1alpha1\n", "- name: v1\n", "spec.versions: Invalid value: must contain unique version names"},
		{"version name", data, "- name: v1alpha1\n", "- name: V1alpha1\n", `spec.versions[0].name: Invalid value: "V1alpha1": a DNS-1035 label`},
		{"plural in capitals", data, "plural: widgets", "plural: Widgets", `spec.names.plural: Invalid value: "Widgets": a DNS-1035 label`},
		{"listKind as kind", data, "listKind: WidgetList", "listKind: Widget", `spec.names.listKind: Invalid value: "Widget": kind and listKind may not be the same`},
		{"real: as written", certs, "", "", ""},
		{"real: short name", certs, "    - certs\n", "    - cert_s\n", `spec.names.shortNames[1]: Invalid value: "cert_s": a DNS-1035 label`},
		{"real: category", certs, "    - cert-manager\n", "    - cert.manager\n", `spec.names.categories[0]: Invalid value: "cert.manager": a DNS-1035 label`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mutatedCRD(t, "1.31.0", tc.doc, tc.from, tc.to, tc.want)
		})
	}
}

// mutatedCRD renders doc with the first from replaced by to (which must
// occur, unless from is "") as a CRD of an env of kubeVersion, and
// returns its error: nil, and the test fails, unless want is "" exactly
// when the CRD is accepted, and otherwise in the error of a CRD refused.
func mutatedCRD(t *testing.T, kubeVersion string, data []byte, from, to, want string) error {
	t.Helper()
	doc := strings.Replace(string(data), from, to, 1)
	if from != "" && doc == string(data) {
		t.Fatalf("mutation %q not applied", from)
	}
	_, err := NewSchemas().Env(kubeVersion, parse(t, "crd.yaml", doc))
	switch {
	case want == "" && err != nil:
		t.Fatalf("refused: %v", err)
	case want != "" && (err == nil || !strings.Contains(err.Error(), "CustomResourceDefinition cannot be served") || !strings.Contains(err.Error(), want)):
		t.Fatalf("got %v, want the CRD refused with %q", err, want)
	}
	return err
}

// TestUnknownFluxKind: a kind no embedded Flux CRD defines, in one of
// Flux's groups, is refused (a typo, or a newer Flux's kind); the CRD of a
// newer Flux, given to the env, defines it and takes precedence.
func TestUnknownFluxKind(t *testing.T) {
	t.Parallel()
	obj := "apiVersion: source.toolkit.fluxcd.io/v1\nkind: Gadget\nmetadata: {name: g, namespace: flux-system}\nspec: {url: https://example.com}\n"
	err := testEnv(t).Objects("infra", parse(t, "gadget.yaml", obj))
	if err == nil || !strings.Contains(err.Error(), "source.toolkit.fluxcd.io/v1 Gadget is not a kind of the Flux release kiln checks against") {
		t.Errorf("without its CRD: %v, want the kind refused", err)
	}
	crd := parse(t, "crd.yaml", `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.source.toolkit.fluxcd.io}
spec:
  group: source.toolkit.fluxcd.io
  names: {kind: Gadget, listKind: GadgetList, plural: gadgets, singular: gadget}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec: {type: object, properties: {url: {type: string}}}
`)
	if err := testEnv(t, crd...).Objects("infra", parse(t, "gadget.yaml", obj)); err != nil {
		t.Errorf("with its CRD: %v, want it accepted", err)
	}
}

// TestServedHintPrefersStable: the version an error tells the user to
// use is the one the API server prefers among those the CRD serves (v1
// before v1beta1), not the last as text, for an object and for a Flux
// health check (ServedError).
func TestServedHintPrefersStable(t *testing.T) {
	t.Parallel()
	crd := `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.com}
spec:
  group: example.com
  names: {kind: Gadget, plural: gadgets}
  scope: Namespaced
  versions:
  - {name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}
  - {name: v1beta1, served: true, storage: false, schema: {openAPIV3Schema: {type: object}}}
  - {name: v1alpha1, served: false, storage: false, schema: {openAPIV3Schema: {type: object}}}
`
	env := testEnv(t, parse(t, "crd.yaml", crd)...)
	err := env.Objects("demo", parse(t, "g.yaml", "apiVersion: example.com/v1alpha1\nkind: Gadget\nmetadata: {name: g, namespace: apps}\n"))
	errs := diag.Flatten(err)
	var de *diag.Error
	if len(errs) != 1 || !errors.As(errs[0], &de) || de.Hint != "use apiVersion example.com/v1 and check the object against that version's fields" {
		t.Errorf("got %v, want one error with the hint to use example.com/v1", err)
	}
	msg, hint := env.ServedError("example.com/v1alpha1", "Gadget")
	if msg != "CRD gadgets.example.com does not serve apiVersion example.com/v1alpha1 for kind Gadget (it serves v1, v1beta1)" || hint != "use apiVersion example.com/v1" {
		t.Errorf("ServedError = %q, %q", msg, hint)
	}
	for _, v := range []string{"example.com/v1", "example.com/v1beta1", "example.org/v1"} {
		if msg, _ := env.ServedError(v, "Gadget"); msg != "" {
			t.Errorf("ServedError(%s) = %q, want none", v, msg)
		}
	}
}

// TestCustomResourceScaleReplicas: the API server checks the replicas a
// CRD's scale subresource names whatever the schema says of them:
// kube-prometheus's Alertmanager against kube-prometheus-stack's CRD,
// whose int32 spec.replicas has no minimum.
func TestCustomResourceScaleReplicas(t *testing.T) {
	t.Parallel()
	var crds []templates.Object
	for _, c := range kpsCRDs(t) {
		if strings.HasSuffix(c.name, ":alertmanagers.monitoring.coreos.com") {
			crds = append(crds, parse(t, c.name, string(c.data))...)
		}
	}
	if len(crds) != 1 {
		t.Fatalf("%d Alertmanager CRDs", len(crds))
	}
	env, err := schemas().Env("1.37.0", crds)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, to, want string }{
		{"as written", "replicas: 3", ""},
		{"none", "replicas: 0", ""},
		{"negative", "replicas: -1", `alertmanager-alertmanager.yaml:24: app monitoring: Alertmanager/monitoring/main: field "spec.replicas": Invalid value: -1: should be a non-negative integer`},
		// The schema's error, told once: the scale check's would repeat it.
		{"a string", "replicas: '3'", `field "spec.replicas": Invalid value: "string": spec.replicas in body must be of type integer: "string"`},
		{"over int32", "replicas: 2147483648", `field "spec.replicas": value must be of type integer with format int32`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path, doc := realDoc(t, "kube-prometheus", "alertmanager-alertmanager.yaml", "replicas: 3", tc.to)
			err := env.Objects("monitoring", parse(t, path, doc))
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && err == nil:
				t.Fatal("accepted")
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Fatalf("got\n%v\nwant it to contain\n%s", err, tc.want)
			case tc.want != "" && len(diag.Flatten(err)) != 1:
				t.Fatalf("got %d errors, want one:\n%v", len(diag.Flatten(err)), err)
			}
		})
	}
}

// TestCustomResourceFormatsFollowKubeVersion: an API server checks only
// the string formats its compatibility version (the minor version before
// its own) knows; k8s-short-name and k8s-long-name came with 1.34, so
// the API server of 1.34 and older takes any string there.
func TestCustomResourceFormatsFollowKubeVersion(t *testing.T) {
	t.Parallel()
	const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: things.example.com}
spec:
  group: example.com
  names: {kind: Thing, plural: things, singular: thing, listKind: ThingList}
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
              short: {type: string, format: k8s-short-name}
              long: {type: string, format: k8s-long-name}
              email: {type: string, format: email}
`
	const thing = "apiVersion: example.com/v1\nkind: Thing\nmetadata: {name: x, namespace: d}\nspec: {short: Bad_Name, long: a..b, email: not-an-email}\n"
	for _, tc := range []struct {
		kube   string
		listed bool
		want   []string
	}{
		{"1.30.0", false, []string{`"spec.email"`}},
		{"1.34.0", false, []string{`"spec.email"`}},
		{"1.34.0", true, []string{`"spec.email"`}},
		{"1.35.0", false, []string{`"spec.email"`, `"spec.short": Invalid value: "Bad_Name"`, `"spec.long": Invalid value: "a..b"`}},
		{"1.37.0", true, []string{`"spec.email"`, `"spec.short"`, `"spec.long"`}},
	} {
		t.Run(fmt.Sprintf("%s listed %v", tc.kube, tc.listed), func(t *testing.T) {
			t.Parallel()
			crds := parse(t, "crd.yaml", crd)
			env, err := schemas().EnvWith(tc.kube, nil, crds)
			if tc.listed {
				env, err = schemas().EnvWith(tc.kube, crds, nil)
			}
			if err != nil {
				t.Fatal(err)
			}
			err = env.Objects("demo", parse(t, "thing.yaml", thing))
			if err == nil {
				t.Fatal("accepted")
			}
			if got, want := len(diag.Flatten(err)), len(tc.want); got != want {
				t.Errorf("%d errors, want %d:\n%v", got, want, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got\n%v\nwant it to contain %s", err, w)
				}
			}
		})
	}
}
