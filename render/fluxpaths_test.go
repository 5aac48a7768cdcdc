package render_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestFluxObjectsFromKilnsSource: a Flux Kustomization, HelmRelease or HelmChart
// of an app's output that builds, from kiln's source, another app's
// folder or the env's is refused, unless Flux does not apply it
// (kustomize.toolkit.fluxcd.io/reconcile: disabled): it then never
// builds or installs anything, as other checks of Flux objects take it.
func TestFluxObjectsFromKilnsSource(t *testing.T) {
	t.Parallel()
	const (
		ks = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: %s\n  namespace: flux-system\n%s" +
			"spec:\n  interval: 1h\n  path: %s\n  prune: true\n  sourceRef: {kind: GitRepository, name: flux-system}\n"
		hr = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: chart\n%s" +
			"spec:\n  interval: 1h\n  chart:\n    spec:\n      chart: ./charts/web\n      sourceRef: {kind: GitRepository, name: flux-system, namespace: flux-system}\n"
		off = "  annotations: {kustomize.toolkit.fluxcd.io/reconcile: disabled}\n"
		// A HelmRelease's chartRef may name a HelmChart, whose sourceRef
		// is in its own namespace.
		chart = "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmChart\nmetadata:\n  name: web\n  namespace: flux-system\n%s" +
			"spec:\n  interval: 1h\n  chart: ./charts/web/\n  sourceRef: {kind: GitRepository, name: flux-system}\n"
	)
	for _, tc := range []struct {
		name, meta string
		want       []string
	}{
		{name: "applied", want: []string{
			"Kustomization/flux-system/legacy-web: builds apps/web, the folder kiln renders app web from",
			"Kustomization/flux-system/legacy-env: builds clusters/dev, env dev's folder",
			"HelmRelease/infra/chart: installs chart charts/web, the folder kiln renders app chart from",
			"helmchart.yaml:8: app infra: HelmChart/flux-system/web: builds chart charts/web, the folder kiln renders app chart from",
		}},
		{name: "not applied", meta: off},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := loadProject(t, t.TempDir(), map[string]string{
				"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nkubeVersion: \"1.33.0\"\nenvironments: [{name: dev}]\nmanifests: {path: \"clusters/{env}\"}\n" +
					"apps:\n  - {name: web, namespace: web, yaml: apps/web}\n  - {name: chart, namespace: web, helm: {chart: charts/web}}\n" +
					"  - {name: infra, namespace: infra, yaml: apps/infra}\n",
				"envs/dev.yaml":                "vars: {}\n",
				"apps/web/cm.yaml":             "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\n",
				"charts/web/Chart.yaml":        "apiVersion: v2\nname: web\nversion: 0.1.0\n",
				"charts/web/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: chart}\n",
				"apps/infra/web.yaml":          fmt.Sprintf(ks, "legacy-web", tc.meta, "./apps/web"),
				"apps/infra/env.yaml":          fmt.Sprintf(ks, "legacy-env", tc.meta, "./clusters/dev"),
				"apps/infra/release.yaml":      fmt.Sprintf(hr, tc.meta),
				"apps/infra/helmchart.yaml":    fmt.Sprintf(chart, tc.meta),
			})
			for _, res := range renderAll(t, p, checkOptions(false)) {
				got := ""
				if res.Err != nil {
					got = res.Err.Error()
				}
				for _, w := range tc.want {
					if !strings.Contains(got, w) {
						t.Errorf("error %q, want one with %q", got, w)
					}
				}
				if len(tc.want) == 0 && res.Err != nil {
					t.Errorf("refused: %v", res.Err)
				}
			}
		})
	}
}

// TestFluxKustomizationOfAnotherEnvsFolder: a leftover in dev's output
// building, from kiln's source, the folder app web renders from in prod
// (apps/web/overlays/{env}) is refused in dev too: that folder is no more
// in the manifests repository than dev's own.
func TestFluxKustomizationOfAnotherEnvsFolder(t *testing.T) {
	t.Parallel()
	files := map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nkubeVersion: \"1.33.0\"\nenvironments: [{name: dev}, {name: prod}]\nmanifests: {path: \"clusters/{env}\"}\n" +
			"apps:\n  - {name: web, namespace: web, kustomize: \"apps/web/overlays/{env}\"}\n  - {name: infra, namespace: infra, yaml: apps/infra}\n",
		"envs/dev.yaml":  "vars: {}\n",
		"envs/prod.yaml": "vars: {}\n",
		"apps/infra/ks.yaml": "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: web-prod, namespace: flux-system}\n" +
			"spec:\n  interval: 1h\n  path: ./apps/web/overlays/prod\n  prune: true\n  sourceRef: {kind: GitRepository, name: flux-system}\n",
	}
	for _, e := range []string{"dev", "prod"} {
		files["apps/web/overlays/"+e+"/kustomization.yaml"] = "resources: [cm.yaml]\n"
		files["apps/web/overlays/"+e+"/cm.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\n"
	}
	p := loadProject(t, t.TempDir(), files)
	for _, res := range renderAll(t, p, checkOptions(false)) {
		want := "apps/infra/ks.yaml:6: app infra: Kustomization/flux-system/web-prod: builds apps/web/overlays/prod, the folder kiln renders app web from"
		if res.Err == nil || !strings.Contains(res.Err.Error(), want) {
			t.Errorf("env %s: error %v, want one with %q", res.Env, res.Err, want)
		}
	}
}
