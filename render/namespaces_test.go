package render_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/envconfig"
)

// TestUncreatedNamespaces: in an env where an app creates a Namespace, an
// app putting objects into a namespace that no app creates is warned of
// once per namespace (Flux's apply fails on a fresh cluster: namespaces
// "X" not found); not for the namespaces every cluster has, those listed
// under validation.namespaces, a cluster-scoped object's dropped
// namespace, apps ordered after a Kustomization kiln does not manage or
// after an app whose HelmRelease creates the namespace, or an env where no
// app creates any Namespace.
func TestUncreatedNamespaces(t *testing.T) {
	t.Parallel()
	cm := func(name, ns string) string {
		return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + name + ", namespace: " + ns + "}\n---\n"
	}
	files := map[string]string{
		"envs/dev.yaml":        "vars: {}\n",
		"platform/ns.yaml":     "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n",
		"web/objs.yaml":        cm("web", "shop") + cm("web-cache", "cache") + cm("web-cache2", "cache") + cm("probe", "kube-system") + cm("src", "flux-system") + "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: web, namespace: nowhere}\n",
		"listed/objs.yaml":     cm("listed", "made-by-terraform"),
		"ordered/objs.yaml":    cm("ordered", "made-by-flux"),
		"downstream/objs.yaml": cm("downstream", "made-by-flux-too"),
		"releases/hr.yaml": "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: redis, namespace: shop}\n" +
			"spec:\n  interval: 10m\n  targetNamespace: made-by-helm\n  install: {createNamespace: true}\n" +
			"  chart:\n    spec: {chart: redis, sourceRef: {kind: HelmRepository, name: bitnami}}\n",
		// Ordered after the release that creates made-by-helm: that
		// namespace alone is there for it.
		"tenant/objs.yaml": cm("tenant", "made-by-helm") + cm("tenant-other", "not-made-by-helm"),
		// A kind kiln knows nothing of: given the app's namespace, it
		// has its own warning (guessedScope); written with another, it
		// is namespaced.
		"widgets/objs.yaml": "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: guessed}\n---\n" +
			"apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: written, namespace: widgets-elsewhere}\n---\n" +
			// The warning names an object whose namespace the API
			// server surely keeps, where one is in the namespace.
			"apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: mixed, namespace: widgets-mixed}\n---\n" + cm("widget-config", "widgets-mixed"),
	}
	pipeline := func(namespaces string) string {
		return "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments: [{name: dev}]\n" + namespaces + "apps:\n" +
			"  - {name: platform, namespace: shop, yaml: platform}\n" +
			"  - {name: web, namespace: shop, yaml: web, dependsOn: [platform]}\n" +
			"  - {name: listed, namespace: shop, yaml: listed}\n" +
			"  - {name: ordered, namespace: shop, yaml: ordered, dependsOn: [flux-system/namespaces]}\n" +
			"  - {name: downstream, namespace: shop, yaml: downstream, dependsOn: [ordered]}\n" +
			"  - {name: releases, namespace: shop, yaml: releases, dependsOn: [platform]}\n" +
			"  - {name: tenant, namespace: shop, yaml: tenant, dependsOn: [releases]}\n" +
			"  - {name: widgets, namespace: widgets, yaml: widgets}\n"
	}
	warned := func(files map[string]string) []string {
		return warningsWith(t, loadProject(t, t.TempDir(), files), "which no app creates", false)
	}

	files["kiln.yaml"] = pipeline("")
	want := []string{
		`kiln.yaml:11: app tenant: ConfigMap/not-made-by-helm/tenant-other: puts objects into namespace not-made-by-helm, which no app creates: on a cluster without it Flux's apply fails (namespaces "not-made-by-helm" not found)` +
			"\n  hint: add a Namespace not-made-by-helm to app tenant or to an app it depends on; if clusters make it by other means, list it under validation.namespaces in kiln.yaml, or add the Kustomization that creates it to dependsOn (namespace/name)",
		`kiln.yaml:12: app widgets: ConfigMap/widgets-mixed/widget-config: puts objects into namespace widgets-mixed, which no app creates: on a cluster without it Flux's apply fails (namespaces "widgets-mixed" not found)` +
			"\n  hint: add a Namespace widgets-mixed to app widgets or to an app it depends on; if clusters make it by other means, list it under validation.namespaces in kiln.yaml, or add the Kustomization that creates it to dependsOn (namespace/name)",
		`kiln.yaml:12: app widgets: Widget/widgets-elsewhere/written: puts objects into namespace widgets-elsewhere, which no app creates: on a cluster without it Flux's apply fails (namespaces "widgets-elsewhere" not found)` +
			"\n  hint: add a Namespace widgets-elsewhere to app widgets or to an app it depends on; if clusters make it by other means, list it under validation.namespaces in kiln.yaml, or add the Kustomization that creates it to dependsOn (namespace/name); if kind Widget is cluster-scoped, the API server drops its namespace: list its CustomResourceDefinition under validation.crds",
		`kiln.yaml:6: app web: ConfigMap/cache/web-cache: puts objects into namespace cache, which no app creates: on a cluster without it Flux's apply fails (namespaces "cache" not found)` +
			"\n  hint: add a Namespace cache to app web or to an app it depends on; if clusters make it by other means, list it under validation.namespaces in kiln.yaml, or add the Kustomization that creates it to dependsOn (namespace/name)",
		`kiln.yaml:7: app listed: ConfigMap/made-by-terraform/listed: puts objects into namespace made-by-terraform, which no app creates: on a cluster without it Flux's apply fails (namespaces "made-by-terraform" not found)` +
			"\n  hint: add a Namespace made-by-terraform to app listed or to an app it depends on; if clusters make it by other means, list it under validation.namespaces in kiln.yaml, or add the Kustomization that creates it to dependsOn (namespace/name)",
	}
	got := warned(files)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	files["kiln.yaml"] = pipeline("validation: {namespaces: [made-by-terraform, cache, widgets-elsewhere, widgets-mixed, not-made-by-helm]}\n")
	if got := warned(files); len(got) != 0 {
		t.Errorf("namespaces listed under validation.namespaces warned of:\n%s", strings.Join(got, "\n"))
	}

	files["kiln.yaml"] = pipeline("")
	files["platform/ns.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: platform}\n"
	if got := warned(files); len(got) != 0 {
		t.Errorf("an env that creates no Namespace warned of:\n%s", strings.Join(got, "\n"))
	}
}

// TestUncreatedNamespacesNotApplied: a Namespace annotated so that Flux
// does not apply it (reconcile: disabled, ssa: Ignore) is never created by
// kustomize-controller, so the apps using it are warned of, by the app
// holding it, and need not depend on that app; one with ssa: IfNotPresent
// is created where missing and counts.
func TestUncreatedNamespacesNotApplied(t *testing.T) {
	t.Parallel()
	ns := func(name, annotations string) string {
		return "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + name + "\n  annotations: {" + annotations + "}\n---\n"
	}
	cm := func(name, ns string) string {
		return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + name + ", namespace: " + ns + "}\n---\n"
	}
	files := map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments: [{name: dev}]\napps:\n" +
			"  - {name: platform, namespace: shop, yaml: platform}\n" +
			"  - {name: web, namespace: shop, yaml: web}\n",
		"envs/dev.yaml": "vars: {}\n",
		"platform/ns.yaml": ns("shop", "") + ns("legacy", "kustomize.toolkit.fluxcd.io/reconcile: disabled") +
			ns("ignored", "kustomize.toolkit.fluxcd.io/ssa: ignore") + ns("seeded", "kustomize.toolkit.fluxcd.io/ssa: IfNotPresent"),
		"web/objs.yaml": cm("a", "legacy") + cm("b", "ignored") + cm("c", "seeded"),
	}
	got := warningsWith(t, loadProject(t, t.TempDir(), files), "puts objects into namespace", true)
	want := []string{
		`kiln.yaml:6: app web: ConfigMap/ignored/b: puts objects into namespace ignored, whose Namespace app platform holds but Flux never creates (kustomize.toolkit.fluxcd.io/reconcile: disabled or ssa: Ignore): on a cluster without it Flux's apply fails (namespaces "ignored" not found)`,
		`kiln.yaml:6: app web: ConfigMap/legacy/a: puts objects into namespace legacy, whose Namespace app platform holds but Flux never creates (kustomize.toolkit.fluxcd.io/reconcile: disabled or ssa: Ignore): on a cluster without it Flux's apply fails (namespaces "legacy" not found)`,
		`kiln.yaml:6: app web: ConfigMap/seeded/c: puts objects into namespace seeded, which app platform creates, but does not depend on platform`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestUncreatedNamespacesHelmStorage: helm-controller writes a release's
// record into spec.storageNamespace, which Helm never creates; a release
// with spec.kubeConfig installs into another cluster, whose namespaces
// kiln cannot see.
func TestUncreatedNamespacesHelmStorage(t *testing.T) {
	t.Parallel()
	files := map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments: [{name: dev}]\napps:\n" +
			"  - {name: platform, namespace: shop, yaml: platform}\n" +
			"  - {name: releases, namespace: shop, yaml: releases, dependsOn: [platform]}\n",
		"envs/dev.yaml":    "vars: {}\n",
		"platform/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n",
		"releases/hr.yaml": helmReleaseDoc("local", "  storageNamespace: helm-records\n") +
			helmReleaseDoc("remote", "  targetNamespace: cache\n  storageNamespace: cache\n  kubeConfig: {secretRef: {name: spoke-kubeconfig}}\n"),
	}
	got := warningsWith(t, loadProject(t, t.TempDir(), files), "which no app creates", true)
	want := []string{`kiln.yaml:6: app releases: HelmRelease/shop/local: keeps its Helm release in namespace helm-records (spec.storageNamespace), which no app creates: on a cluster without it helm-controller's install fails (namespaces "helm-records" not found)`}
	if !slices.Equal(got, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestUncreatedNamespacesHelmDependsOn: helm-controller installs a
// HelmRelease once those its spec.dependsOn names are ready, so a release
// installing into the namespace that one of them created (install.
// createNamespace), directly or through another, in its own app or
// another, finds it there: cert-manager's chart creating cert-manager,
// and the issuers' chart after it. It was warned of. One without the
// dependsOn is warned of still: the two install in any order.
func TestUncreatedNamespacesHelmDependsOn(t *testing.T) {
	t.Parallel()
	files := map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments: [{name: dev}]\napps:\n" +
			"  - {name: platform, namespace: shop, yaml: platform}\n" +
			"  - {name: releases, namespace: shop, yaml: releases, dependsOn: [platform]}\n" +
			"  - {name: more, namespace: tools, yaml: more, dependsOn: [platform]}\n",
		"envs/dev.yaml":    "vars: {}\n",
		"platform/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: tools}\n",
		"releases/hr.yaml": helmReleaseDoc("cert-manager", "  targetNamespace: cert-manager\n  install: {createNamespace: true}\n") +
			helmReleaseDoc("issuers", "  targetNamespace: cert-manager\n  storageNamespace: cert-manager\n  dependsOn: [{name: cert-manager}]\n") +
			helmReleaseDoc("trust", "  targetNamespace: cert-manager\n  dependsOn: [{name: issuers}]\n") +
			helmReleaseDoc("racing", "  targetNamespace: cert-manager\n"),
		"more/hr.yaml": helmReleaseDoc("csi-driver", "  targetNamespace: cert-manager\n  dependsOn: [{name: trust, namespace: shop}]\n") +
			helmReleaseDoc("elsewhere", "  targetNamespace: cert-manager\n  dependsOn: [{name: trust}]\n"),
	}
	got := warningsWith(t, loadProject(t, t.TempDir(), files), "which no app creates", true)
	want := []string{
		`kiln.yaml:6: app releases: HelmRelease/shop/racing: installs its chart into namespace cert-manager, which no app creates: on a cluster without it helm-controller's install fails (namespaces "cert-manager" not found)`,
		`kiln.yaml:7: app more: HelmRelease/tools/elsewhere: installs its chart into namespace cert-manager, which no app creates: on a cluster without it helm-controller's install fails (namespaces "cert-manager" not found)`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestUncreatedNamespacesHolder: the app holding a HelmRelease that creates
// its namespace, or a Flux Kustomization, is warned of its own objects in a
// namespace no app creates: kustomize-controller's dry run refuses them
// before it applies anything of the app, so the release or Kustomization
// that would create the namespace never reaches the cluster. The apps
// ordered after it are not warned of.
func TestUncreatedNamespacesHolder(t *testing.T) {
	t.Parallel()
	cm := func(name, ns string) string {
		return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + name + ", namespace: " + ns + "}\n---\n"
	}
	files := map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments: [{name: dev}]\napps:\n" +
			"  - {name: platform, namespace: shop, yaml: platform}\n" +
			"  - {name: releases, namespace: shop, yaml: releases, dependsOn: [platform]}\n" +
			"  - {name: tenants, namespace: shop, yaml: tenants, dependsOn: [platform]}\n" +
			"  - {name: later, namespace: shop, yaml: later, dependsOn: [releases, tenants]}\n",
		"envs/dev.yaml":    "vars: {}\n",
		"platform/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n",
		"releases/hr.yaml": "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: redis}\n" +
			"spec:\n  interval: 10m\n  targetNamespace: cache\n  install: {createNamespace: true}\n" +
			"  chart:\n    spec: {chart: redis, sourceRef: {kind: HelmRepository, name: bitnami}}\n---\n" + cm("redis-dashboard", "cache"),
		"tenants/ks.yaml": "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: team-a}\n" +
			"spec:\n  interval: 10m\n  path: ./teams/a\n  prune: true\n  sourceRef: {kind: GitRepository, name: flux-system, namespace: flux-system}\n---\n" + cm("team-a-quota", "team-a"),
		"later/objs.yaml": cm("later", "cache") + cm("later-team", "team-a"),
	}
	got := warningsWith(t, loadProject(t, t.TempDir(), files), "which no app creates", true)
	want := []string{
		`kiln.yaml:6: app releases: ConfigMap/cache/redis-dashboard: puts objects into namespace cache, which no app creates: on a cluster without it Flux's apply fails (namespaces "cache" not found)`,
		`kiln.yaml:7: app tenants: ConfigMap/team-a/team-a-quota: puts objects into namespace team-a, which no app creates: on a cluster without it Flux's apply fails (namespaces "team-a" not found)`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// warningsWith renders every env of p and returns, sorted, the warnings
// that hold substr; first keeps only their first line (no hint).
func warningsWith(t *testing.T, p *envconfig.Pipeline, substr string, first bool) []string {
	t.Helper()
	var got []string
	for _, er := range renderAll(t, p, checkOptions(false)) {
		if er.Err != nil {
			t.Fatalf("render %s: %v", er.Env, er.Err)
		}
		for _, w := range er.Warnings {
			if s := w.String(); strings.Contains(s, substr) {
				if i := strings.IndexByte(s, '\n'); first && i >= 0 {
					s = s[:i]
				}
				got = append(got, s)
			}
		}
	}
	slices.Sort(got)
	return got
}

// TestUncreatedNamespaceSetByEnvFile: a namespace the env's file gives an
// app is warned of at that line, where it was chosen, not at the app's
// entry in kiln.yaml.
func TestUncreatedNamespaceSetByEnvFile(t *testing.T) {
	t.Parallel()
	files := map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments: [{name: dev}]\napps:\n" +
			"  - {name: platform, namespace: shop, yaml: platform}\n" +
			"  - {name: web, namespace: shop, yaml: web, dependsOn: [platform]}\n",
		"envs/dev.yaml":    "apps:\n  web:\n    namespace: shop-dev\n",
		"platform/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n",
		"web/cm.yaml":      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\n",
	}
	got := warningsWith(t, loadProject(t, t.TempDir(), files), "which no app creates", true)
	want := []string{`envs/dev.yaml:3: app web: ConfigMap/shop-dev/web: puts objects into namespace shop-dev, which no app creates: on a cluster without it Flux's apply fails (namespaces "shop-dev" not found)`}
	if !slices.Equal(got, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// helmReleaseDoc is a HelmRelease document of a bitnami redis chart named
// name, spec adding to its spec.
func helmReleaseDoc(name, spec string) string {
	return "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: " + name + "}\nspec:\n  interval: 10m\n" + spec +
		"  chart:\n    spec: {chart: redis, sourceRef: {kind: HelmRepository, name: bitnami}}\n---\n"
}

// TestAlwaysThereNamespacesOrderNothing: the namespaces that exist before
// any app is applied (the API server's, and flux.namespace, where kiln's
// Kustomizations live) need no order after the app holding their
// Namespace. buroa/k8s-gitops' kubernetes/apps/flux-system holds Namespace
// flux-system and depends (as its Flux Kustomization did) on the app of
// the OCIRepositories in flux-system: kiln refused that as a dependency
// cycle, and warned of every app with objects in kube-system that did not
// depend on the app holding Namespace kube-system.
func TestAlwaysThereNamespacesOrderNothing(t *testing.T) {
	t.Parallel()
	files := map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments: [{name: dev}]\napps:\n" +
			"  - {name: apps-flux-system, namespace: flux-system, yaml: fluxns, dependsOn: [oci]}\n" +
			"  - {name: oci, namespace: flux-system, yaml: oci}\n" +
			"  - {name: kube-system, namespace: kube-system, yaml: kubens}\n" +
			"  - {name: probe, namespace: kube-system, yaml: probe}\n",
		"envs/dev.yaml":  "vars: {}\n",
		"fluxns/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: flux-system, annotations: {kustomize.toolkit.fluxcd.io/prune: disabled}}\n",
		"oci/repo.yaml": "apiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\nmetadata: {name: app-template, namespace: flux-system}\n" +
			"spec: {interval: 15m, url: 'oci://ghcr.io/bjw-s-labs/helm/app-template', ref: {tag: 5.1.0}}\n",
		"kubens/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: kube-system}\n",
		"probe/cm.yaml":  "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: probe, namespace: kube-system}\n",
	}
	if got := warningsWith(t, loadProject(t, t.TempDir(), files), "namespace", true); len(got) != 0 {
		t.Errorf("warnings:\n%s", strings.Join(got, "\n"))
	}
}
