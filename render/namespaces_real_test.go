package render_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestUncreatedNamespacesFluxExample renders Flux's own example repository
// (testdata/manifests/flux2-kustomize-helm-example: each app and
// controller carries its Namespace, as Flux's documentation advises) with
// the order its clusters' Kustomizations give: no namespace warning. With
// podinfo's namespace.yaml left out of its kustomization, as a slip
// would, the apps app is warned of in each env.
func TestUncreatedNamespacesFluxExample(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	if err := os.CopyFS(root, os.DirFS("../testdata/manifests/flux2-kustomize-helm-example")); err != nil {
		t.Fatal(err)
	}
	writeProjectIn(t, root, map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments: [{name: staging}, {name: production}]\napps:\n" +
			"  - {name: controllers, namespace: flux-system, kustomize: infrastructure/controllers}\n" +
			"  - {name: configs, namespace: flux-system, kustomize: infrastructure/configs, dependsOn: [controllers]}\n" +
			"  - {name: apps, namespace: flux-system, kustomize: \"apps/{env}\", dependsOn: [configs]}\n",
		"envs/staging.yaml":    "vars: {}\n",
		"envs/production.yaml": "vars: {}\n",
	})
	warned := func() []string { return warningsWith(t, load(t, root), "which no app creates", true) }
	if got := warned(); len(got) != 0 {
		t.Errorf("Flux's example warned of:\n%s", strings.Join(got, "\n"))
	}

	k := filepath.Join(root, "apps", "base", "podinfo", "kustomization.yaml")
	data, err := os.ReadFile(k)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(k, []byte(strings.Replace(string(data), "  - namespace.yaml\n", "", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	const msg = ": puts objects into namespace podinfo, which no app creates: on a cluster without it Flux's apply fails (namespaces \"podinfo\" not found)"
	want := []string{
		"kiln.yaml:7: app apps: HelmRelease/podinfo/podinfo" + msg, // production
		"kiln.yaml:7: app apps: HelmRelease/podinfo/podinfo" + msg, // staging
	}
	if got := warned(); !slices.Equal(got, want) {
		t.Errorf("without podinfo's Namespace:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestUncreatedNamespacesHelmTarget renders the podinfo HelmRelease of
// Flux's hub-and-spoke example (testdata/manifests/flux2-hub-spoke-example),
// which installs into spec.targetNamespace podinfo and keeps its release
// there (spec.storageNamespace) without install.createNamespace: the
// tenants app creates the namespace first, and nothing is warned of.
// Without the tenants' podinfo Namespace helm-controller's install fails
// with namespaces "podinfo" not found, though Flux's apply of the
// HelmRelease itself succeeds: the warning names the HelmRelease.
func TestUncreatedNamespacesHelmTarget(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	if err := os.CopyFS(root, os.DirFS("../testdata/manifests/flux2-hub-spoke-example")); err != nil {
		t.Fatal(err)
	}
	writeProjectIn(t, root, map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments: [{name: staging}]\napps:\n" +
			"  - {name: tenants, namespace: flux-system, yaml: deploy/tenants}\n" +
			"  - {name: apps, namespace: flux-system, kustomize: deploy/apps, dependsOn: [tenants]}\n",
		"envs/staging.yaml": "vars: {}\n",
	})
	warned := func() []string { return warningsWith(t, load(t, root), "which no app creates", false) }
	if got := warned(); len(got) != 0 {
		t.Errorf("the hub-and-spoke example warned of:\n%s", strings.Join(got, "\n"))
	}

	if err := os.Remove(filepath.Join(root, "deploy", "tenants", "podinfo.yaml")); err != nil {
		t.Fatal(err)
	}
	want := []string{`kiln.yaml:6: app apps: HelmRelease/flux-system/podinfo: installs its chart into namespace podinfo, which no app creates: on a cluster without it helm-controller's install fails (namespaces "podinfo" not found)` +
		"\n  hint: add a Namespace podinfo to app apps or to an app it depends on, or set spec.install.createNamespace: true on the HelmRelease; if clusters make it by other means, list it under validation.namespaces in kiln.yaml"}
	if got := warned(); !slices.Equal(got, want) {
		t.Errorf("without the tenants' podinfo Namespace:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// The Namespace back, the order gone: the release may be installed
	// before its namespace exists.
	ns, err := os.ReadFile("../testdata/manifests/flux2-hub-spoke-example/deploy/tenants/podinfo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	writeProjectIn(t, root, map[string]string{
		"deploy/tenants/podinfo.yaml": string(ns),
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments: [{name: staging}]\napps:\n" +
			"  - {name: tenants, namespace: flux-system, yaml: deploy/tenants}\n" +
			"  - {name: apps, namespace: flux-system, kustomize: deploy/apps}\n",
	})
	got := warningsWith(t, load(t, root), "does not depend on", false)
	want = []string{"kiln.yaml:6: app apps: HelmRelease/flux-system/podinfo: installs its chart into namespace podinfo, which app tenants creates, but does not depend on tenants: helm-controller's install fails until a retry finds it" +
		"\n  hint: add tenants to dependsOn of apps"}
	if !slices.Equal(got, want) {
		t.Errorf("without the order:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
