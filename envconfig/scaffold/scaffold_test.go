package scaffold

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func write(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const (
	chart = "apiVersion: v2\nname: x\nversion: 0.1.0\n"
	cm    = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"
)

// tankaSpec is a Tanka environment's spec.json with namespace ns.
func tankaSpec(ns string) string {
	return `{"apiVersion": "tanka.dev/v1alpha1", "kind": "Environment", "metadata": {"name": "x"}, "spec": {"namespace": "` + ns + `"}}`
}

func kust(lines string) string {
	return "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n" + lines
}

// TestScan: what is an app and what is part of one, on small trees.
func TestScan(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		files     map[string]string
		wantEnvs  []string
		wantApps  []App
		wantNotes []Note
	}{
		{
			name: "a chart's subcharts are part of it",
			files: map[string]string{
				"charts/web/Chart.yaml":               chart,
				"charts/web/charts/redis/Chart.yaml":  chart,
				"charts/web/charts/redis/values.yaml": "a: 1\n",
			},
			wantEnvs: []string{"dev"},
			wantApps: []App{{Name: "web", Namespace: "web", Engine: Helm, Path: "charts/web"}},
		},
		{
			name: "overlays of a base: one app per environment, environments from the overlays",
			files: map[string]string{
				"apps/shop/base/kustomization.yaml":          kust("resources: [cm.yaml]\n"),
				"apps/shop/base/cm.yaml":                     cm,
				"apps/shop/overlays/prod/kustomization.yaml": kust("namespace: shop\nresources: [../../base]\n"),
				"apps/shop/overlays/dev/kustomization.yaml":  kust("namespace: shop\nresources: [../../base]\n"),
				"apps/shop/overlays/staging/kustomization.yaml": kust("namespace: shop\nresources: [../../base]\n" +
					"components: [../../../../components/extra]\n"),
				"components/extra/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n",
			},
			wantEnvs: []string{"dev", "staging", "prod"},
			wantApps: []App{{Name: "shop", Namespace: "shop", Engine: Kustomize, Path: "apps/shop/overlays/{env}"}},
		},
		{
			name: "overlays that do not match envs/*.yaml: each an app",
			files: map[string]string{
				"envs/dev.yaml":                          "vars: {}\n",
				"envs/prod.yaml":                         "vars: {}\n",
				"envs/qa.yaml":                           "vars: {}\n",
				"web/base/kustomization.yaml":            kust("resources: [cm.yaml]\n"),
				"web/base/cm.yaml":                       cm,
				"web/overlays/dev/kustomization.yaml":    kust("resources: [../../base]\nnamePrefix: dev-\n"),
				"web/overlays/canary/kustomization.yaml": kust("resources: [../../base]\nnamePrefix: canary-\n"),
			},
			wantEnvs: []string{"dev", "qa", "prod"},
			wantApps: []App{
				{Name: "web-canary", Namespace: "web", Engine: Kustomize, Path: "web/overlays/canary"},
				{Name: "web-dev", Namespace: "web", Engine: Kustomize, Path: "web/overlays/dev"},
			},
			wantNotes: []Note{{Path: "web/overlays", Message: "overlays canary, dev do not match the environments dev, qa, prod one for one, so each is an app of its own in every environment; with one overlay per environment, kiln.yaml can name them all as web/overlays/{env}"}},
		},
		{
			name: "Jsonnet: imported files and vendor are not entry points; jpath as the imports need",
			files: map[string]string{
				"jsonnet/app/main.jsonnet":         "local p = import 'parts.jsonnet'; local k = import 'k.libsonnet'; p + k",
				"jsonnet/app/parts.jsonnet":        "{}",
				"jsonnet/tool.jsonnet":             "{ a: import 'lib/util.libsonnet' }",
				"jsonnet/lib/util.libsonnet":       "{}",
				"vendor/k.libsonnet":               "{}",
				"vendor/github.com/x/main.jsonnet": "{}",
			},
			wantEnvs: []string{"dev"},
			wantApps: []App{
				{Name: "app", Namespace: "app", Engine: Jsonnet, Path: "jsonnet/app/main.jsonnet", JPath: []string{"vendor"}},
				{Name: "tool", Namespace: "tool", Engine: Jsonnet, Path: "jsonnet/tool.jsonnet"},
			},
		},
		{
			// The library's import of z.libsonnet must read lib's copy, as
			// in Tanka, though the body's import (vendor/) comes first in
			// the syntax tree's walk; an environment's vendor/ comes before
			// the root's.
			name: "Jsonnet: lib/ before vendor/ in jpath, whatever order the imports need them",
			files: map[string]string{
				"environments/default/main.jsonnet":       "local mine = import 'mine.libsonnet';\nlocal x = import 'x.libsonnet';\n{ local kausal = import 'ksonnet-util/kausal.libsonnet', a: [kausal, mine, x] }\n",
				"lib/mine.libsonnet":                      "import 'z.libsonnet'",
				"lib/z.libsonnet":                         "{ from: 'lib' }",
				"vendor/z.libsonnet":                      "{ from: 'vendor' }",
				"vendor/ksonnet-util/kausal.libsonnet":    "import 'z.libsonnet'",
				"environments/default/vendor/v.libsonnet": "{}",
				"environments/default/x.libsonnet":        "import 'v.libsonnet'",
			},
			wantEnvs: []string{"dev"},
			wantApps: []App{
				{Name: "default", Namespace: "default", Engine: Jsonnet, Path: "environments/default/main.jsonnet", JPath: []string{"lib", "environments/default/vendor", "vendor"}},
			},
		},
		{
			name: "YAML folders: the topmost, not kiln's output, not hidden, DNS-label names made unique",
			files: map[string]string{
				"deploy/My_App/cm.yaml":        cm,
				"deploy/My_App/nested/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y\n  namespace: shop\n",
				"other/my-app/cm.yaml":         cm,
				"rendered/dev/kiln.lock.json":  "{}",
				"rendered/dev/apps/x/cm.yaml":  cm,
				".github/workflows/ci.yaml":    "on: push\n",
				"kiln.yaml":                    "apiVersion: kiln/v1alpha1\nkind: Pipeline\n",
			},
			wantEnvs: []string{"dev"},
			wantApps: []App{
				{Name: "deploy-my-app", Namespace: "shop", Engine: YAML, Path: "deploy/My_App"},
				{Name: "other-my-app", Namespace: "my-app", Engine: YAML, Path: "other/my-app"},
			},
		},
		{
			name: "a CRD user depends on the CRD's app, a namespace user on the namespace's app",
			files: map[string]string{
				"crds/crd.yaml": "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.acme.io\n" +
					"spec:\n  group: acme.io\n  names: {kind: Widget}\n",
				"ns/ns.yaml":      "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n",
				"app/widget.yaml": "apiVersion: acme.io/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: shop\n",
			},
			wantEnvs: []string{"dev"},
			wantApps: []App{
				{Name: "app", Namespace: "shop", Engine: YAML, Path: "app", DependsOn: []string{"crds", "ns"}},
				{Name: "crds", Namespace: "crds", Engine: YAML, Path: "crds"},
				{Name: "ns", Namespace: "ns", Engine: YAML, Path: "ns"},
			},
		},
		{
			// Such an overlay used to become an app named after it alone,
			// in every environment, without a word.
			name: "an overlay that is no environment name: an app of its own, with a note",
			files: map[string]string{
				"shop/base/kustomization.yaml":             kust("resources: [cm.yaml]\n"),
				"shop/base/cm.yaml":                        cm,
				"shop/overlays/dev/kustomization.yaml":     kust("resources: [../../base]\n"),
				"shop/overlays/Prod_EU/kustomization.yaml": kust("resources: [../../base]\n"),
			},
			wantEnvs: []string{"dev"},
			wantApps: []App{
				{Name: "shop", Namespace: "shop", Engine: Kustomize, Path: "shop/overlays/{env}"},
				{Name: "shop-prod-eu", Namespace: "shop", Engine: Kustomize, Path: "shop/overlays/Prod_EU"},
			},
			wantNotes: []Note{{Path: "shop/overlays/Prod_EU", Message: "Prod_EU is not an environment name, so this overlay is an app of its own in every environment; " +
				"to render it only in environment prod-eu, rename the folder to prod-eu"}},
		},
		{
			name: "flux bootstrap's folder is Flux's, not an app",
			files: map[string]string{
				"clusters/dev/flux-system/kustomization.yaml":   kust("resources: [gotk-components.yaml, gotk-sync.yaml]\n"),
				"clusters/dev/flux-system/gotk-components.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: flux-system\n",
				"clusters/dev/flux-system/gotk-sync.yaml":       "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux-system\n",
				"app/cm.yaml": cm,
			},
			wantEnvs:  []string{"dev"},
			wantApps:  []App{{Name: "app", Namespace: "app", Engine: YAML, Path: "app"}},
			wantNotes: []Note{{Path: "clusters/dev/flux-system", Message: "not added: flux bootstrap's own folder (it holds gotk-sync.yaml or gotk-components.yaml), which Flux applies itself"}},
		},
		{
			// kiln validate refuses these names for any app.
			name: "names kiln reserves get their folder's parent in front",
			files: map[string]string{
				"platform/flux-system/kustomization.yaml": kust("resources: [cm.yaml]\n"),
				"platform/flux-system/cm.yaml":            cm,
				"ci/cloudbuild/cm.yaml":                   cm,
				"kustomization/cm.yaml":                   cm,
			},
			wantEnvs: []string{"dev"},
			wantApps: []App{
				{Name: "ci-cloudbuild", Namespace: "cloudbuild", Engine: YAML, Path: "ci/cloudbuild"},
				{Name: "kustomization-2", Namespace: "kustomization", Engine: YAML, Path: "kustomization"},
				{Name: "platform-flux-system", Namespace: "flux-system", Engine: Kustomize, Path: "platform/flux-system"},
			},
		},
		{
			name: "an env file that is no environment name is noted",
			files: map[string]string{
				"envs/dev.yaml":  "vars: {}\n",
				"envs/Prod.yaml": "vars: {}\n",
				"app/cm.yaml":    cm,
			},
			wantEnvs:  []string{"dev"},
			wantApps:  []App{{Name: "app", Namespace: "app", Engine: YAML, Path: "app"}},
			wantNotes: []Note{{Path: "envs/Prod.yaml", Message: "not an environment: Prod is not an environment name (lowercase letters, digits and -, at most 63); rename the file to prod.yaml"}},
		},
		{
			// kiln.yaml would read {x} as a placeholder (and replace a
			// literal {env}) and refuses \: init wrote a kiln.yaml that
			// kiln validate refused.
			// yaml.v3 named the Go type init decodes into:
			// "cannot unmarshal !!int `3` into []struct { Name string …".
			name: "a Chart.yaml or kustomization of the wrong shape is noted as a person reads it",
			files: map[string]string{
				"charts/web/Chart.yaml":          "apiVersion: v2\nname: web\nversion: 1.0.0\ndependencies: 3\n",
				"apps/shop/kustomization.yaml":   kust("resources: {a: b}\n"),
				"apps/shop/cm.yaml":              cm,
				"charts/typed/Chart.yaml":        "apiVersion: v2\nname: typed\nversion: 1.0.0\ntype: [x]\n",
				"charts/typed/templates/cm.yaml": cm,
			},
			wantEnvs: []string{"dev"},
			// Nor is the kustomization's folder a plain YAML app, which
			// kiln render refuses.
			wantApps: []App{},
			wantNotes: []Note{
				{Path: "apps/shop/kustomization.yaml", Message: "not added: not a kustomization kiln can read (line 3: a mapping where a list belongs); mend it, then run kiln init again"},
				{Path: "charts/typed/Chart.yaml", Message: "not a chart kiln can read: line 4: a list where a string belongs"},
				{Path: "charts/web/Chart.yaml", Message: "not a chart kiln can read: line 4: `3` (a number) where a list belongs"},
			},
		},
		{
			name: "paths kiln.yaml cannot name are left out, with a note",
			files: map[string]string{
				"apps/{x}/cm.yaml":                           cm,
				"charts/{env}/Chart.yaml":                    chart,
				`odd\name/kustomization.yaml`:                kust("resources: [cm.yaml]\n"),
				`odd\name/cm.yaml`:                           cm,
				"jsonnet/{v}.jsonnet":                        "{}\n",
				"web/{team}/overlays/dev/kustomization.yaml": kust("resources: []\n"),
				"ok/cm.yaml":                                 cm,
				"c: d/cm.yaml":                               cm,
				"x:y/main.jsonnet":                           "{}\n",
			},
			wantEnvs: []string{"dev"},
			wantApps: []App{{Name: "ok", Namespace: "ok", Engine: YAML, Path: "ok"}},
			wantNotes: []Note{
				{Path: "apps/{x}", Message: "not added: kiln.yaml reads {x} in a path as a placeholder, so it cannot name this one; rename the folder or file"},
				{Path: "c: d", Message: "not added: kiln.yaml reads c: at the start of a path as a Windows drive, so it cannot name this one; rename the folder or file"},
				{Path: "charts/{env}", Message: "not added: kiln.yaml reads {env} in a path as a placeholder, so it cannot name this one; rename the folder or file"},
				{Path: "jsonnet/{v}.jsonnet", Message: "not added: kiln.yaml reads {v} in a path as a placeholder, so it cannot name this one; rename the folder or file"},
				{Path: `odd\name`, Message: "not added: kiln.yaml paths separate folders with /, so it cannot name one with \\ in it; rename the folder or file"},
				{Path: "web/{team}/overlays", Message: "not added: kiln.yaml reads {team} in a path as a placeholder, so it cannot name this one; rename the folder or file"},
				{Path: "x:y/main.jsonnet", Message: "not added: kiln.yaml reads x: at the start of a path as a Windows drive, so it cannot name this one; rename the folder or file"},
			},
		},
		{
			// argoproj/argocd-example-apps' jsonnet-guestbook and jsonnet-guestbook-tla.
			name: "Jsonnet files of one name in two folders: each named after its folder",
			files: map[string]string{
				"plain/guestbook-ui.jsonnet": "{}\n",
				"tla/guestbook-ui.jsonnet":   "{}\n",
				"x/one/main.jsonnet":         "{}\n",
				"y/one/main.jsonnet":         "{}\n",
			},
			wantEnvs: []string{"dev"},
			wantApps: []App{
				{Name: "plain-guestbook-ui", Namespace: "guestbook-ui", Engine: Jsonnet, Path: "plain/guestbook-ui.jsonnet"},
				{Name: "tla-guestbook-ui", Namespace: "guestbook-ui", Engine: Jsonnet, Path: "tla/guestbook-ui.jsonnet"},
				{Name: "x-one", Namespace: "one", Engine: Jsonnet, Path: "x/one/main.jsonnet"},
				{Name: "y-one", Namespace: "one", Engine: Jsonnet, Path: "y/one/main.jsonnet"},
			},
		},
		{
			// argoproj/argocd-example-apps' helm-hooks and sync-waves.
			name: "a YAML folder with an object that has no name is no app",
			files: map[string]string{
				"hooks/manifests.yaml": cm + "---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  generateName: before-\n",
			},
			wantEnvs:  []string{"dev"},
			wantApps:  []App{},
			wantNotes: []Note{{Path: "hooks/manifests.yaml", Message: "not added: an object without metadata.name (generateName alone, as Argo CD and Helm hooks have), which Flux cannot apply; give it a name, then kiln init again"}},
		},
		{
			// kubebuilder's testdata: three projects, each config/default.
			name: "apps of one name told apart by as many folders above as it takes",
			files: map[string]string{
				"testdata/project-v4/config/default/kustomization.yaml":            kust("resources: []\n"),
				"testdata/project-v4-multigroup/config/default/kustomization.yaml": kust("resources: []\n"),
				"other/default/kustomization.yaml":                                 kust("resources: []\n"),
			},
			wantEnvs: []string{"dev"},
			wantApps: []App{
				{Name: "other-default", Namespace: "default", Engine: Kustomize, Path: "other/default"},
				{Name: "project-v4-config-default", Namespace: "default", Engine: Kustomize, Path: "testdata/project-v4/config/default"},
				{Name: "project-v4-multigroup-config-default", Namespace: "default", Engine: Kustomize, Path: "testdata/project-v4-multigroup/config/default"},
			},
		},
		{
			// kube-prometheus's manifests/grafana-dashboardDefinitions.yaml.
			name: "a list's items are its objects, named or not",
			files: map[string]string{
				"manifests/dashboards.yaml": "apiVersion: v1\nkind: ConfigMapList\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a, namespace: monitoring}\n",
				"unnamed/list.yaml":         "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {generateName: a-}\n",
			},
			wantEnvs:  []string{"dev"},
			wantApps:  []App{{Name: "manifests", Namespace: "monitoring", Engine: YAML, Path: "manifests"}},
			wantNotes: []Note{{Path: "unnamed/list.yaml", Message: "not added: an object without metadata.name (generateName alone, as Argo CD and Helm hooks have), which Flux cannot apply; give it a name, then kiln init again"}},
		},
		{
			// argoproj/argocd-example-apps' plugins/kasane/patch.jsonnet.
			name: "a Jsonnet function of required parameters is no app; one with defaults is",
			files: map[string]string{
				"patch.jsonnet":    "function (layers)\n[layers[0] { spec+: {replicas: 2} }]\n",
				"app/main.jsonnet": "local cm(n) = {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: n}};\nfunction(env, vars, images, n='x') [cm(env + n)]\n",
			},
			wantEnvs:  []string{"dev"},
			wantApps:  []App{{Name: "app", Namespace: "app", Engine: Jsonnet, Path: "app/main.jsonnet"}},
			wantNotes: []Note{{Path: "patch.jsonnet", Message: "not added: it is a function that needs layers, which kiln does not pass (it passes env, vars and images); if it is an app, add it to kiln.yaml with them under jsonnet.tlas"}},
		},
		{
			// argoproj/argocd-example-apps' plugins/kustomized-helm.
			name: "a chart whose file:// dependency is not in charts/ is no app",
			files: map[string]string{
				"helm-guestbook/Chart.yaml": chart,
				"wrapper/Chart.yaml":        chart + "dependencies:\n- name: helm-guestbook\n  version: 0.1.0\n  repository: file://../helm-guestbook\n",
			},
			wantEnvs:  []string{"dev"},
			wantApps:  []App{{Name: "helm-guestbook", Namespace: "helm-guestbook", Engine: Helm, Path: "helm-guestbook"}},
			wantNotes: []Note{{Path: "wrapper", Message: `its dependency "helm-guestbook" is not in wrapper/charts; run helm dependency build wrapper, then kiln init again`}},
		},
		{
			// kostis-codefresh/gitops-environment-promotion: sorted by
			// name, prod-* came before staging-*, the promotion order
			// backwards.
			name: "environments of a region or variant are ordered by their stage",
			files: map[string]string{
				"promo/base/kustomization.yaml":                 kust("resources: [cm.yaml]\n"),
				"promo/base/cm.yaml":                            cm,
				"promo/envs/qa/kustomization.yaml":              kust("resources: [../../base]\n"),
				"promo/envs/integration-gpu/kustomization.yaml": kust("resources: [../../base]\n"),
				"promo/envs/staging-us/kustomization.yaml":      kust("resources: [../../base]\n"),
				"promo/envs/prod-eu/kustomization.yaml":         kust("resources: [../../base]\n"),
				"promo/envs/prod-asia/kustomization.yaml":       kust("resources: [../../base]\n"),
				"promo/envs/load-gpu/kustomization.yaml":        kust("resources: [../../base]\n"),
				"apps/shop/overlays/blue/kustomization.yaml":    kust("resources: [../../../../promo/base]\n"),
			},
			wantEnvs: []string{"integration-gpu", "qa", "staging-us", "prod-asia", "prod-eu", "load-gpu"},
			wantApps: []App{
				{Name: "promo", Namespace: "promo", Engine: Kustomize, Path: "promo/envs/{env}"},
				{Name: "shop-blue", Namespace: "shop", Engine: Kustomize, Path: "apps/shop/overlays/blue"},
			},
			wantNotes: []Note{{Path: "apps/shop/overlays", Message: "overlays blue are variants rather than environments (at most half of them named as environments usually are: dev, staging, prod-eu…), so each is an app of its own in every environment; " +
				"if they are environments, list them under environments: and name them all as apps/shop/overlays/{env}"}},
		},
		{
			// christianh814/gitops-examples: blue, green, aks, kind, mac,
			// cluster1… overlays all became environments, 13 of them, and
			// every app rendered in each.
			name: "overlays mostly not named as environments are no environments",
			files: map[string]string{
				"base/kustomization.yaml":                  kust("resources: [cm.yaml]\n"),
				"base/cm.yaml":                             cm,
				"bgd/overlays/blue/kustomization.yaml":     kust("resources: [../../../base]\nnamePrefix: blue-\n"),
				"bgd/overlays/green/kustomization.yaml":    kust("resources: [../../../base]\nnamePrefix: green-\n"),
				"rollouts/overlays/aks/kustomization.yaml": kust("resources: [../../../base]\nnamePrefix: aks-\n"),
				// redhat-cop/gitops-catalog: OLM channels, and a last word
				// that is an environment's.
				"olm/overlays/development/kustomization.yaml":                   kust("resources: [../../../base]\nnamePrefix: d-\n"),
				"olm/overlays/stable/kustomization.yaml":                        kust("resources: [../../../base]\nnamePrefix: s-\n"),
				"acs/overlays/internal-registry-integration/kustomization.yaml": kust("resources: [../../../base]\nnamePrefix: i-\n"),
				"web/overlays/dev/kustomization.yaml":                           kust("resources: [../../../base]\nnamePrefix: dev-\n"),
				"web/overlays/staging/kustomization.yaml":                       kust("resources: [../../../base]\nnamePrefix: stg-\n"),
				"web/overlays/kind/kustomization.yaml":                          kust("resources: [../../../base]\nnamePrefix: kind-\n"),
			},
			wantEnvs: []string{"dev", "staging", "kind"},
			wantApps: []App{
				{Name: "acs-internal-registry-integration", Namespace: "acs", Engine: Kustomize, Path: "acs/overlays/internal-registry-integration"},
				{Name: "bgd-blue", Namespace: "bgd", Engine: Kustomize, Path: "bgd/overlays/blue"},
				{Name: "bgd-green", Namespace: "bgd", Engine: Kustomize, Path: "bgd/overlays/green"},
				{Name: "olm-development", Namespace: "olm", Engine: Kustomize, Path: "olm/overlays/development"},
				{Name: "olm-stable", Namespace: "olm", Engine: Kustomize, Path: "olm/overlays/stable"},
				{Name: "rollouts-aks", Namespace: "rollouts", Engine: Kustomize, Path: "rollouts/overlays/aks"},
				{Name: "web", Namespace: "web", Engine: Kustomize, Path: "web/overlays/{env}"},
			},
			wantNotes: []Note{
				{Path: "acs/overlays", Message: "overlays internal-registry-integration are variants rather than environments (at most half of them named as environments usually are: dev, staging, prod-eu…), so each is an app of its own in every environment; " +
					"if they are environments, list them under environments: and name them all as acs/overlays/{env}"},
				{Path: "bgd/overlays", Message: "overlays blue, green are variants rather than environments (at most half of them named as environments usually are: dev, staging, prod-eu…), so each is an app of its own in every environment; " +
					"if they are environments, list them under environments: and name them all as bgd/overlays/{env}"},
				{Path: "olm/overlays", Message: "overlays development, stable are variants rather than environments (at most half of them named as environments usually are: dev, staging, prod-eu…), so each is an app of its own in every environment; " +
					"if they are environments, list them under environments: and name them all as olm/overlays/{env}"},
				{Path: "rollouts/overlays", Message: "overlays aks are variants rather than environments (at most half of them named as environments usually are: dev, staging, prod-eu…), so each is an app of its own in every environment; " +
					"if they are environments, list them under environments: and name them all as rollouts/overlays/{env}"},
			},
		},
		{
			// argoproj-labs/argocd-autopilot (manifests/) and
			// christianh814/gitops-examples (kustomize-and-helm/): init
			// wrote apps whose first kiln validate failed.
			name: "a kustomization with a remote resource or helmCharts, itself or in a base, is no app",
			files: map[string]string{
				"manifests/base/kustomization.yaml":          kust("resources:\n- https://raw.githubusercontent.com/argoproj/argo-cd/stable/manifests/install.yaml\n"),
				"manifests/ha/kustomization.yaml":            kust("resources:\n- github.com/argoproj/argo-cd//manifests/ha?ref=stable\n"),
				"manifests/insecure/kustomization.yaml":      kust("resources: [../base]\n"),
				"kh/app/base/kustomization.yaml":             kust("helmCharts:\n- name: quarkus\n  repo: https://redhat-developer.github.io/redhat-helm-charts\n"),
				"kh/app/overlays/default/kustomization.yaml": kust("resources: [../../base]\n"),
				"examples/demo-app/kustomization.yaml":       kust("resources: [cm.yaml]\n"),
				// redhat-cop/gitops-catalog's monitoring-dashboard.
				"gpu/dashboard/kustomization.yaml": kust("configMapGenerator:\n- name: d\n  files:\n  - dcgm.json=https://github.com/NVIDIA/dcgm-exporter/raw/main/grafana/dcgm-exporter-dashboard.json\n"),
				"examples/demo-app/cm.yaml":        cm,
			},
			wantEnvs: []string{"dev"},
			wantApps: []App{{Name: "demo-app", Namespace: "demo-app", Engine: Kustomize, Path: "examples/demo-app"}},
			wantNotes: []Note{
				{Path: "gpu/dashboard", Message: `not added: gpu/dashboard/kustomization.yaml names the remote "dcgm.json=https://github.com/NVIDIA/dcgm-exporter/raw/main/grafana/dcgm-exporter-dashboard.json", which kiln does not fetch; ` +
					"vendor it into the repository and name it by a relative path, then run kiln init again"},
				{Path: "kh/app/overlays/default", Message: "not added: kh/app/base/kustomization.yaml inflates Helm charts (helmCharts), which would run the helm program; " +
					"make each chart an app of its own with helm: in kiln.yaml, then run kiln init again"},
				{Path: "manifests/ha", Message: `not added: manifests/ha/kustomization.yaml names the remote "github.com/argoproj/argo-cd//manifests/ha?ref=stable", which kiln does not fetch; ` +
					"vendor it into the repository and name it by a relative path, then run kiln init again"},
				{Path: "manifests/insecure", Message: `not added: manifests/base/kustomization.yaml names the remote "https://raw.githubusercontent.com/argoproj/argo-cd/stable/manifests/install.yaml", which kiln does not fetch; ` +
					"vendor it into the repository and name it by a relative path, then run kiln init again"},
			},
		},
		{
			// fluxcd/flux-get-started's charts/ghost: an apiVersion v1
			// chart lists its dependencies in requirements.yaml.
			name: "a chart whose requirements.yaml dependency is not in charts/ is no app",
			files: map[string]string{
				"charts/ghost/Chart.yaml":             "apiVersion: v1\nname: ghost\nversion: 9.0.4\n",
				"charts/ghost/requirements.yaml":      "dependencies:\n- name: mariadb\n  version: 7.x.x\n  repository: https://charts.helm.sh/stable\n",
				"charts/ready/Chart.yaml":             "apiVersion: v1\nname: ready\nversion: 1.0.0\n",
				"charts/ready/requirements.yaml":      "dependencies:\n- name: redis\n  version: 1.x.x\n",
				"charts/ready/charts/redis-1.2.3.tgz": "",
			},
			wantEnvs:  []string{"dev"},
			wantApps:  []App{{Name: "ready", Namespace: "ready", Engine: Helm, Path: "charts/ready"}},
			wantNotes: []Note{{Path: "charts/ghost", Message: `its dependency "mariadb" is not in charts/ghost/charts; run helm dependency build charts/ghost, then kiln init again`}},
		},
		{
			// helm/helm's cmd/helm/testdata/testcharts/subchart, the chart
			// of helm template's golden outputs: subcharta lives in
			// charts/subchartA. init left it out, telling to run helm
			// dependency build, which would vendor a second copy.
			name: "a dependency is found by its Chart.yaml's name, and an archive by name-version",
			files: map[string]string{
				"charts/subchart/Chart.yaml":                  "apiVersion: v1\nname: subchart\nversion: 0.1.0\ndependencies:\n  - name: subcharta\n    repository: http://localhost:10191\n    version: 0.1.0\n  - name: subchartb\n    repository: http://localhost:10191\n    version: 0.1.0\n",
				"charts/subchart/charts/subchartA/Chart.yaml": "apiVersion: v1\ndescription: A Helm chart for Kubernetes\nname: subcharta\nversion: 0.1.0\n",
				"charts/subchart/charts/subchartB/Chart.yaml": "apiVersion: v1\ndescription: A Helm chart for Kubernetes\nname: subchartb\nversion: 0.1.0\n",
				"charts/other/Chart.yaml":                     "apiVersion: v2\nname: other\nversion: 0.1.0\ndependencies:\n- name: redis\n  version: 1.x.x\n",
				"charts/other/charts/redis-cluster-1.2.3.tgz": "",
				"charts/other/charts/redis-stack/Chart.yaml":  "apiVersion: v2\nname: redis-stack\nversion: 1.0.0\n",
				"charts/archived/Chart.yaml":                  "apiVersion: v2\nname: archived\nversion: 0.1.0\ndependencies:\n- name: redis\n  version: 1.x.x\n",
				"charts/archived/charts/redis-1.2.3.tgz":      "",
			},
			wantEnvs: []string{"dev"},
			wantApps: []App{
				{Name: "archived", Namespace: "archived", Engine: Helm, Path: "charts/archived"},
				{Name: "subchart", Namespace: "subchart", Engine: Helm, Path: "charts/subchart"},
			},
			wantNotes: []Note{{Path: "charts/other", Message: `its dependency "redis" is not in charts/other/charts; run helm dependency build charts/other, then kiln init again`}},
		},
		{
			// fluxcd/flux2-hub-spoke-example: each was an app of its own
			// (production-apps, staging-apps…) in one environment dev,
			// and kiln validate refused every object as owned by two.
			name: "a cluster's folder per environment, its apps inside: one app each, {env} in the middle",
			files: map[string]string{
				"deploy/apps/kustomization.yaml":                 kust("namespace: apps\nresources: [cm.yaml]\n"),
				"deploy/apps/cm.yaml":                            cm,
				"deploy/tenants/kustomization.yaml":              kust("resources: [cm.yaml]\n"),
				"deploy/tenants/cm.yaml":                         cm,
				"clusters/staging/apps/kustomization.yaml":       kust("resources: [../../../deploy/apps]\n"),
				"clusters/production/apps/kustomization.yaml":    kust("resources: [../../../deploy/apps]\n"),
				"clusters/staging/tenants/kustomization.yaml":    kust("resources: [../../../deploy/tenants]\n"),
				"clusters/production/tenants/kustomization.yaml": kust("resources: [../../../deploy/tenants]\n"),
				"clusters/staging/monitoring/kustomization.yaml": kust("resources: [../../../deploy/tenants]\nnameSuffix: -m\n"),
				"clusters/production/flux-system/gotk-sync.yaml": "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {name: flux-system}\n",
				// The hub's Kustomizations, which apply the apps' folders,
				// give their order.
				"hub/staging.yaml": "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: tenants, namespace: staging}\n" +
					"spec: {path: ./clusters/staging/tenants, postBuild: {substitute: {CLUSTER_NAME: staging}}}\n---\n" +
					"apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: apps, namespace: staging}\n" +
					"spec: {path: ./clusters/staging/apps, dependsOn: [{name: tenants}], targetNamespace: staging}\n",
				"hub/production.yaml": "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: apps, namespace: production}\n" +
					"spec: {path: ./clusters/production/apps, dependsOn: [{name: tenants, namespace: production}]}\n",
			},
			wantEnvs: []string{"staging", "production"},
			wantApps: []App{
				{Name: "apps", Namespace: "apps", Engine: Kustomize, Path: "clusters/{env}/apps", DependsOn: []string{"tenants"}},
				{Name: "hub", Namespace: "hub", Engine: YAML, Path: "hub"},
				{Name: "monitoring", Namespace: "monitoring", Engine: Kustomize, Path: "clusters/staging/monitoring"},
				{Name: "tenants", Namespace: "tenants", Engine: Kustomize, Path: "clusters/{env}/tenants"},
			},
			wantNotes: []Note{
				{Path: "clusters/production/flux-system", Message: "not added: flux bootstrap's own folder (it holds gotk-sync.yaml or gotk-components.yaml), which Flux applies itself"},
				{Path: "clusters/{env}/apps", Message: "its Flux Kustomization (hub/staging.yaml) sets targetNamespace, which kiln does not apply (the app's namespace fills only objects without one): set namespace: in the app's kustomization"},
				{Path: "clusters/{env}/tenants", Message: "its Flux Kustomization (hub/staging.yaml) sets postBuild, which kiln does not apply to kustomize apps: give the values it substitutes by a patch or replacement (docs/templates.md)"},
				{Path: "hub", Message: "its objects are Flux's own configuration (Kustomizations and their sources), which kiln's flux/ replaces with a Kustomization per app: check that this app is still needed"},
			},
		},
		{
			// onedr0p/home-ops: each app's folder is <namespace>/<name>/app,
			// its Flux Kustomization (ks.yaml beside it) sets the
			// namespace as targetNamespace; every app got namespace "app".
			name: "a Flux Kustomization's targetNamespace is the app's namespace where its kustomization names none",
			files: map[string]string{
				"kubernetes/apps/o11y/snmp-exporter/app/kustomization.yaml": kust("resources: [cm.yaml]\n"),
				"kubernetes/apps/o11y/snmp-exporter/app/cm.yaml":            cm,
				"kubernetes/apps/o11y/snmp-exporter/ks.yaml": "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: snmp-exporter, namespace: flux-system}\n" +
					"spec: {path: ./kubernetes/apps/o11y/snmp-exporter/app, targetNamespace: o11y, interval: 1h, wait: false}\n",
				// Its own namespace wins: kiln gives it.
				"kubernetes/apps/tools/echo/app/kustomization.yaml": kust("namespace: echo\nresources: [cm.yaml]\n"),
				"kubernetes/apps/tools/echo/app/cm.yaml":            cm,
				"kubernetes/apps/tools/echo/ks.yaml": "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: echo, namespace: flux-system}\n" +
					"spec: {path: ./kubernetes/apps/tools/echo/app, targetNamespace: tools, interval: 10m, timeout: 2m, wait: true}\n",
			},
			wantEnvs: []string{"dev"},
			wantApps: []App{
				// Their interval, timeout and wait, where kiln's defaults differ:
				// a timeout left out is the interval less 30s, as
				// kustomize-controller defaults it (GetTimeout).
				{Name: "echo-app", Namespace: "echo", Engine: Kustomize, Path: "kubernetes/apps/tools/echo/app", Flux: &Flux{Timeout: "2m", Wait: new(true)}},
				{Name: "snmp-exporter-app", Namespace: "o11y", Engine: Kustomize, Path: "kubernetes/apps/o11y/snmp-exporter/app", Flux: &Flux{Interval: "1h", Timeout: "59m30s"}},
			},
			wantNotes: []Note{
				{Path: "kubernetes/apps/o11y/snmp-exporter", Message: "not added: a kustomization (kubernetes/apps/o11y/snmp-exporter/app) lies below it, and the yaml engine reads every YAML file below its folder"},
				{Path: "kubernetes/apps/o11y/snmp-exporter/app", Message: "its Flux Kustomization (kubernetes/apps/o11y/snmp-exporter/ks.yaml) sets targetNamespace o11y, which init made the app's namespace; kiln gives it to objects without a namespace only, where Flux's targetNamespace replaces any: set namespace: o11y in the app's kustomization if some object names another"},
				{Path: "kubernetes/apps/tools/echo", Message: "not added: a kustomization (kubernetes/apps/tools/echo/app) lies below it, and the yaml engine reads every YAML file below its folder"},
				{Path: "kubernetes/apps/tools/echo/app", Message: "its Flux Kustomization (kubernetes/apps/tools/echo/ks.yaml) sets targetNamespace, which kiln does not apply (the app's namespace fills only objects without one): set namespace: in the app's kustomization"},
			},
		},
		{
			// xunholy/k8s-gitops pushes its kubernetes/ folder as the OCI
			// artifact Flux syncs, so its ks.yaml paths start at apps/:
			// init matched none of them, and 79 apps got namespace "app"
			// and no dependsOn.
			name: "Flux Kustomizations whose paths start below the repository's root",
			files: map[string]string{
				"kubernetes/apps/base/home-system/autobrr/app/kustomization.yaml": kust("resources: [cm.yaml]\n"),
				"kubernetes/apps/base/home-system/autobrr/app/cm.yaml":            cm,
				"kubernetes/apps/base/home-system/autobrr/ks.yaml": "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: autobrr, namespace: home-system}\n" +
					"spec: {path: ./apps/base/home-system/autobrr/app, targetNamespace: home-system, dependsOn: [{name: volsync, namespace: volsync-system}]}\n",
				"kubernetes/apps/base/volsync-system/volsync/app/kustomization.yaml": kust("resources: [cm.yaml]\n"),
				"kubernetes/apps/base/volsync-system/volsync/app/cm.yaml":            cm,
				"kubernetes/apps/base/volsync-system/volsync/ks.yaml": "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: volsync, namespace: volsync-system}\n" +
					"spec: {path: \"./apps/base/volsync-system/volsync/app\", targetNamespace: volsync-system}\n",
			},
			wantEnvs: []string{"dev"},
			wantApps: []App{
				{Name: "autobrr-app", Namespace: "home-system", Engine: Kustomize, Path: "kubernetes/apps/base/home-system/autobrr/app", DependsOn: []string{"volsync-app"}},
				{Name: "volsync-app", Namespace: "volsync-system", Engine: Kustomize, Path: "kubernetes/apps/base/volsync-system/volsync/app"},
			},
			wantNotes: []Note{
				{Path: "kubernetes/apps/base/home-system/autobrr", Message: "not added: a kustomization (kubernetes/apps/base/home-system/autobrr/app) lies below it, and the yaml engine reads every YAML file below its folder"},
				{Path: "kubernetes/apps/base/home-system/autobrr/app", Message: "its Flux Kustomization (kubernetes/apps/base/home-system/autobrr/ks.yaml) sets targetNamespace home-system, which init made the app's namespace; kiln gives it to objects without a namespace only, where Flux's targetNamespace replaces any: set namespace: home-system in the app's kustomization if some object names another"},
				{Path: "kubernetes/apps/base/volsync-system/volsync", Message: "not added: a kustomization (kubernetes/apps/base/volsync-system/volsync/app) lies below it, and the yaml engine reads every YAML file below its folder"},
				{Path: "kubernetes/apps/base/volsync-system/volsync/app", Message: "its Flux Kustomization (kubernetes/apps/base/volsync-system/volsync/ks.yaml) sets targetNamespace volsync-system, which init made the app's namespace; kiln gives it to objects without a namespace only, where Flux's targetNamespace replaces any: set namespace: volsync-system in the app's kustomization if some object names another"},
			},
		},
		{
			// buroa/k8s-gitops: flux-repositories applies
			// kubernetes/flux/repositories, which has no kustomization
			// file, so kustomize-controller takes in its oci/ kustomization,
			// with targetNamespace flux-system; cluster-apps applies
			// kubernetes/apps, and so each namespace's folder, after it.
			// init matched exact paths only: oci got namespace "oci", where
			// the HelmReleases look for flux-system/app-template, and no
			// app depended on it.
			name: "a Flux Kustomization applies the kustomizations below its folder when that has none",
			files: map[string]string{
				"kubernetes/flux/cluster/ks.yaml": "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: flux-repositories, namespace: flux-system}\n" +
					"spec: {interval: 1h, path: ./kubernetes/flux/repositories, targetNamespace: flux-system, wait: true}\n---\n" +
					"apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: cluster-apps, namespace: flux-system}\n" +
					"spec: {interval: 1h, path: ./kubernetes/apps, dependsOn: [{name: flux-repositories}]}\n",
				"kubernetes/flux/repositories/oci/kustomization.yaml": kust("resources: [app-template.yaml]\n"),
				"kubernetes/flux/repositories/oci/app-template.yaml":  "apiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\nmetadata: {name: app-template}\n",
				"kubernetes/apps/media/kustomization.yaml":            kust("namespace: media\nresources: [cm.yaml]\n"),
				"kubernetes/apps/media/cm.yaml":                       cm,
				// A kustomization between: cluster-apps builds media/,
				// which does not name extra/.
				"kubernetes/apps/media/extra/app/kustomization.yaml": kust("resources: [cm.yaml]\n"),
				"kubernetes/apps/media/extra/app/cm.yaml":            cm,
			},
			wantEnvs: []string{"dev"},
			wantApps: []App{
				{Name: "app", Namespace: "app", Engine: Kustomize, Path: "kubernetes/apps/media/extra/app"},
				{Name: "cluster", Namespace: "flux-system", Engine: YAML, Path: "kubernetes/flux/cluster"},
				{Name: "media", Namespace: "media", Engine: Kustomize, Path: "kubernetes/apps/media", DependsOn: []string{"oci"}, Flux: &Flux{Interval: "1h", Timeout: "59m30s"}},
				{Name: "oci", Namespace: "flux-system", Engine: Kustomize, Path: "kubernetes/flux/repositories/oci", Flux: &Flux{Interval: "1h", Timeout: "59m30s", Wait: new(true)}},
			},
			wantNotes: []Note{
				{Path: "kubernetes/flux/cluster", Message: "its objects are Flux's own configuration (Kustomizations and their sources), which kiln's flux/ replaces with a Kustomization per app: check that this app is still needed"},
				{Path: "kubernetes/flux/repositories/oci", Message: "its Flux Kustomization (kubernetes/flux/cluster/ks.yaml) sets targetNamespace flux-system, which init made the app's namespace; kiln gives it to objects without a namespace only, where Flux's targetNamespace replaces any: set namespace: flux-system in the app's kustomization if some object names another"},
			},
		},
		{
			// haraldkoch/kochhaus-home: each namespace's folder names a
			// shared replacements file of kubernetes/components; kustomize
			// build (and kiln render) refuses a file outside the folder,
			// Flux does not. init made 43 such apps, each refused.
			name: "a kustomization naming a file outside its folder is no app",
			files: map[string]string{
				"kubernetes/components/replacements/ks.yaml":  "- source: {kind: Namespace, fieldPath: metadata.name}\n  targets: [{select: {kind: Kustomization}, fieldPaths: [spec.targetNamespace]}]\n",
				"kubernetes/main/apps/vpn/kustomization.yaml": kust("namespace: vpn\nreplacements:\n  - path: ../../../components/replacements/ks.yaml\nresources: [./namespace.yaml]\n"),
				"kubernetes/main/apps/vpn/namespace.yaml":     "apiVersion: v1\nkind: Namespace\nmetadata: {name: vpn}\n",
				// A folder above is no file: a base.
				"kubernetes/main/apps/web/kustomization.yaml": kust("resources: [../../base/web]\nconfigMapGenerator:\n  - {name: c, files: [conf/a.json]}\n"),
				"kubernetes/main/apps/web/conf/a.json":        "{}\n",
				"kubernetes/main/base/web/kustomization.yaml": kust("resources: [cm.yaml]\n"),
				"kubernetes/main/base/web/cm.yaml":            cm,
				// buroa/k8s-gitops: a folder its parent no longer lists,
				// naming a file long gone, which kiln render refuses.
				"runners/home-operations/kustomization.yaml": kust("resources:\n  - ./helmrelease.yaml\n  - ./rbac.yaml\n"),
				"runners/home-operations/helmrelease.yaml":   cm,
			},
			wantEnvs: []string{"dev"},
			wantApps: []App{{Name: "web", Namespace: "web", Engine: Kustomize, Path: "kubernetes/main/apps/web"}},
			wantNotes: []Note{
				{Path: "kubernetes/main/apps/vpn", Message: "not added: kubernetes/main/apps/vpn/kustomization.yaml names the file \"../../../components/replacements/ks.yaml\", outside its folder, which kustomize build (as kiln render) refuses to read, where Flux's kustomize-controller does not; " +
					"name that file's folder instead, with a kustomization there that lists it, or move the file in, then run kiln init again"},
				{Path: "runners/home-operations", Message: "not added: runners/home-operations/kustomization.yaml names \"./rbac.yaml\", which does not exist (kiln render refuses it); add the file or remove the entry, then run kiln init again"},
			},
		},
		{
			// xunholy/k8s-gitops: overlays/cluster-00 lists each
			// namespace's folder (its Namespace) and the ks.yaml of each
			// app. Refused, it left the namespaces' folders in no app: 70
			// warnings of namespaces no app creates.
			name: "the kustomizations a refused overlay lists are apps",
			files: map[string]string{
				"apps/overlays/c0/kustomization.yaml": kust("resources:\n  - ../../base/home\n  - ../../base/home/autobrr/ks.yaml\n"),
				"apps/base/home/kustomization.yaml":   kust("namespace: home\nresources: [namespace.yaml]\n"),
				"apps/base/home/namespace.yaml":       "apiVersion: v1\nkind: Namespace\nmetadata: {name: home}\n",
				"apps/base/home/autobrr/ks.yaml": "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: autobrr, namespace: home}\n" +
					"spec: {path: ./apps/base/home/autobrr/app, targetNamespace: home}\n",
				"apps/base/home/autobrr/app/kustomization.yaml": kust("resources: [cm.yaml]\n"),
				"apps/base/home/autobrr/app/cm.yaml":            cm,
				// One that patches is no gatherer: its folders are its parts.
				"apps/overlays/c1/kustomization.yaml": kust("resources:\n  - ../../base/shop\n  - ../../base/home/autobrr/ks.yaml\nnamePrefix: c1-\n"),
				"apps/base/shop/kustomization.yaml":   kust("resources: [cm.yaml]\n"),
				"apps/base/shop/cm.yaml":              cm,
			},
			wantEnvs: []string{"dev"},
			wantApps: []App{
				{Name: "app", Namespace: "home", Engine: Kustomize, Path: "apps/base/home/autobrr/app", DependsOn: []string{"home"}},
				{Name: "home", Namespace: "home", Engine: Kustomize, Path: "apps/base/home"},
			},
			wantNotes: []Note{
				{Path: "apps/base/home/autobrr/app", Message: "its Flux Kustomization (apps/base/home/autobrr/ks.yaml) sets targetNamespace home, which init made the app's namespace; kiln gives it to objects without a namespace only, where Flux's targetNamespace replaces any: set namespace: home in the app's kustomization if some object names another"},
				{Path: "apps/overlays/c0", Message: "not added: apps/overlays/c0/kustomization.yaml names the file \"../../base/home/autobrr/ks.yaml\", outside its folder, which kustomize build (as kiln render) refuses to read, where Flux's kustomize-controller does not; " +
					"name that file's folder instead, with a kustomization there that lists it, or move the file in, then run kiln init again (until then, the kustomizations it lists are apps of their own)"},
				{Path: "apps/overlays/c1", Message: "not added: apps/overlays/c1/kustomization.yaml names the file \"../../base/home/autobrr/ks.yaml\", outside its folder, which kustomize build (as kiln render) refuses to read, where Flux's kustomize-controller does not; " +
					"name that file's folder instead, with a kustomization there that lists it, or move the file in, then run kiln init again"},
			},
		},
		{
			// controlplaneio-fluxcd/d1-fleet: flux-apps-tenant applies
			// tenants/apps after flux-infra-tenant, which applies both
			// kustomizations of tenants/infra: each app of the one depends
			// on both apps of the other, not on whichever came last.
			name: "a dependsOn on a Flux Kustomization that applies two apps names both",
			files: map[string]string{
				"clusters/staging/infra-tenant.yaml": "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: flux-infra-tenant, namespace: flux-system}\n" +
					"spec: {path: ./tenants/infra}\n",
				"clusters/staging/apps-tenant.yaml": "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: flux-apps-tenant, namespace: flux-system}\n" +
					"spec: {path: ./tenants/apps, dependsOn: [{name: flux-infra-tenant}]}\n",
				"tenants/infra/components/kustomization.yaml": kust("resources: [cm.yaml]\n"),
				"tenants/infra/components/cm.yaml":            cm,
				"tenants/infra/update/kustomization.yaml":     kust("resources: [cm.yaml]\n"),
				"tenants/infra/update/cm.yaml":                cm,
				"tenants/apps/frontend/kustomization.yaml":    kust("resources: [cm.yaml]\n"),
				"tenants/apps/frontend/cm.yaml":               cm,
			},
			wantEnvs: []string{"dev"},
			wantApps: []App{
				{Name: "components", Namespace: "components", Engine: Kustomize, Path: "tenants/infra/components"},
				{Name: "frontend", Namespace: "frontend", Engine: Kustomize, Path: "tenants/apps/frontend", DependsOn: []string{"components", "update"}},
				{Name: "staging", Namespace: "flux-system", Engine: YAML, Path: "clusters/staging"},
				{Name: "update", Namespace: "update", Engine: Kustomize, Path: "tenants/infra/update"},
			},
			wantNotes: []Note{
				{Path: "clusters/staging", Message: "its objects are Flux's own configuration (Kustomizations and their sources), which kiln's flux/ replaces with a Kustomization per app: check that this app is still needed"},
			},
		},
		{
			// d1-fleet's tenants each sync another repository (d1-apps)
			// with a GitRepository the fleet defines: their paths are that
			// repository's, and a folder above this one's apps is none of
			// theirs; nor does a Kustomization of "./" apply every app.
			name: "Flux Kustomizations of another repository or the root apply no app below",
			files: map[string]string{
				"tenants/sync.yaml": "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {name: flux-apps}\nspec: {url: 'https://github.com/controlplaneio-fluxcd/d1-apps.git'}\n---\n" +
					"apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: flux-frontend}\n" +
					"spec: {path: ./components, targetNamespace: frontend, sourceRef: {kind: GitRepository, name: flux-apps}}\n---\n" +
					"apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: everything}\n" +
					"spec: {path: ./, targetNamespace: everything, sourceRef: {kind: GitRepository, name: flux-system}}\n",
				"components/web/kustomization.yaml": kust("resources: [cm.yaml]\n"),
				"components/web/cm.yaml":            cm,
			},
			wantEnvs: []string{"dev"},
			wantApps: []App{
				{Name: "tenants", Namespace: "tenants", Engine: YAML, Path: "tenants"},
				{Name: "web", Namespace: "web", Engine: Kustomize, Path: "components/web"},
			},
			wantNotes: []Note{
				{Path: "tenants", Message: "its objects are Flux's own configuration (Kustomizations and their sources), which kiln's flux/ replaces with a Kustomization per app: check that this app is still needed"},
			},
		},
		{
			// One path that names a folder only below another folder may
			// be chance: no root is taken from it.
			name: "one Flux Kustomization's path below a folder sets no root",
			files: map[string]string{
				"kubernetes/apps/web/app/kustomization.yaml": kust("resources: [cm.yaml]\n"),
				"kubernetes/apps/web/app/cm.yaml":            cm,
				"kubernetes/apps/web/ks.yaml": "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: web, namespace: flux-system}\n" +
					"spec: {path: ./web/app, targetNamespace: shop}\n",
			},
			wantEnvs: []string{"dev"},
			wantApps: []App{{Name: "app", Namespace: "app", Engine: Kustomize, Path: "kubernetes/apps/web/app"}},
			wantNotes: []Note{
				{Path: "kubernetes/apps/web", Message: "not added: a kustomization (kubernetes/apps/web/app) lies below it, and the yaml engine reads every YAML file below its folder"},
			},
		},
		{
			// A yaml folder (no kustomization: Flux generates one) applied
			// by a Flux Kustomization that sets its namespace and
			// substitutes a variable: the notes say what a yaml app does
			// instead, not what a kustomization would.
			name: "a Flux Kustomization of a yaml folder: its targetNamespace is the app's, its notes a yaml app's",
			files: map[string]string{
				"apps/web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  greeting: ${GREETING:=hi}\n",
				// One whose objects name their namespace keeps it.
				"apps/api/cm.yaml":      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api\n  namespace: backend\n",
				"clusters/dev/api.yaml": "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: api, namespace: flux-system}\nspec: {path: ./apps/api, targetNamespace: shop}\n",
				"clusters/dev/web.yaml": "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: web, namespace: flux-system}\n" +
					"spec: {path: ./apps/web, targetNamespace: shop, postBuild: {substitute: {GREETING: hello}}, patches: [{patch: x}]}\n",
			},
			wantEnvs: []string{"dev"},
			wantApps: []App{
				{Name: "api", Namespace: "backend", Engine: YAML, Path: "apps/api"},
				{Name: "dev", Namespace: "flux-system", Engine: YAML, Path: "clusters/dev"},
				{Name: "web", Namespace: "shop", Engine: YAML, Path: "apps/web"},
			},
			wantNotes: []Note{
				{Path: "apps/api", Message: "its Flux Kustomization (clusters/dev/api.yaml) sets targetNamespace, which kiln does not apply (the app's namespace fills only objects without one): set the app's namespace: to it, and change the namespace of each object that names another"},
				{Path: "apps/web", Message: "its Flux Kustomization (clusters/dev/web.yaml) sets patches, which kiln's build of the folder leaves out: write it in a kustomization.yaml of the folder (which lists the folder's files as resources; the app then renders with kustomize: instead of yaml:); " +
					"and postBuild, whose ${VAR} substitution kiln's yaml engine makes from vars: give the values it substitutes under vars: (or secretVars:) in envs/<env>.yaml; " +
					"and targetNamespace shop, which init made the app's namespace; kiln gives it to objects without a namespace only, where Flux's targetNamespace replaces any: change the namespace of each object that names another"},
				{Path: "clusters/dev", Message: "its objects are Flux's own configuration (Kustomizations and their sources), which kiln's flux/ replaces with a Kustomization per app: check that this app is still needed"},
			},
		},
		{
			// onedr0p/home-ops' kubernetes/apps/default/atuin/ks.yaml (at
			// d9078e4d): Flux adds a component to the folder's build, whose
			// claim holds the app's data, and health-checks by expression.
			// kiln's build of the folder has neither: init says so.
			name: "what a Flux Kustomization adds to the folder's build is noted",
			files: map[string]string{
				"kubernetes/components/kopiur/backup/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: [pvc.yaml]\n",
				"kubernetes/components/kopiur/backup/pvc.yaml":           "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: ${APP}\n",
				"kubernetes/apps/default/atuin/app/kustomization.yaml":   kust("resources: [cm.yaml]\n"),
				"kubernetes/apps/default/atuin/app/cm.yaml":              cm,
				"kubernetes/apps/default/atuin/ks.yaml": "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: atuin\nspec:\n" +
					"  components:\n    - ../../../../components/kopiur/backup\n  interval: 1h\n  path: ./kubernetes/apps/default/atuin/app\n" +
					"  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n    namespace: flux-system\n" +
					"  healthCheckExprs:\n    - {apiVersion: v1, kind: PersistentVolumeClaim, current: \"true\"}\n  wait: false\n",
			},
			wantEnvs: []string{"dev"},
			wantApps: []App{
				{Name: "app", Namespace: "app", Engine: Kustomize, Path: "kubernetes/apps/default/atuin/app", Flux: &Flux{Interval: "1h", Timeout: "59m30s"}},
			},
			wantNotes: []Note{
				{Path: "kubernetes/apps/default/atuin", Message: "not added: a kustomization (kubernetes/apps/default/atuin/app) lies below it, and the yaml engine reads every YAML file below its folder"},
				{Path: "kubernetes/apps/default/atuin/app", Message: "its Flux Kustomization (kubernetes/apps/default/atuin/ks.yaml) sets components (../../../../components/kopiur/backup), which kiln's build of the folder leaves out, with the objects and patches they add: " +
					"list them under components: in the app's kustomization, where their paths, relative to the folder, stay as they are; and healthCheckExprs, which kiln's Kustomization of the app does not have: give it as the app's flux.healthCheckExprs"},
			},
		},
		{
			// onedr0p/home-ops: each namespace's folder creates it with a
			// shared component's Namespace "_", which the folder's
			// namespace: renames, and lists the ks.yaml of its apps. init
			// read the Namespace as "_": no app in o11y depended on the
			// folder's app, and kiln validate warned of each.
			name: "a Namespace a kustomization's namespace: renames is that namespace",
			files: map[string]string{
				"kubernetes/components/namespace/kustomization.yaml":        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: [namespace.yaml]\n",
				"kubernetes/components/namespace/namespace.yaml":            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: _\n",
				"kubernetes/apps/o11y/kustomization.yaml":                   kust("namespace: o11y\ncomponents: [../../components/namespace]\nresources: [snmp-exporter/ks.yaml]\n"),
				"kubernetes/apps/o11y/snmp-exporter/app/kustomization.yaml": kust("resources: [cm.yaml]\n"),
				"kubernetes/apps/o11y/snmp-exporter/app/cm.yaml":            cm,
				"kubernetes/apps/o11y/snmp-exporter/ks.yaml": "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: snmp-exporter, namespace: flux-system}\n" +
					"spec: {path: ./kubernetes/apps/o11y/snmp-exporter/app, targetNamespace: o11y}\n",
			},
			wantEnvs: []string{"dev"},
			wantApps: []App{
				{Name: "app", Namespace: "o11y", Engine: Kustomize, Path: "kubernetes/apps/o11y/snmp-exporter/app", DependsOn: []string{"o11y"}},
				{Name: "o11y", Namespace: "o11y", Engine: Kustomize, Path: "kubernetes/apps/o11y"},
			},
			wantNotes: []Note{
				{Path: "kubernetes/apps/o11y/snmp-exporter/app", Message: "its Flux Kustomization (kubernetes/apps/o11y/snmp-exporter/ks.yaml) sets targetNamespace o11y, which init made the app's namespace; kiln gives it to objects without a namespace only, where Flux's targetNamespace replaces any: set namespace: o11y in the app's kustomization if some object names another"},
			},
		},
		{
			// redhat-cop/gitops-catalog: operator/overlays/stable in many
			// folders got operator-overlays-operator-stable and longer,
			// cut at 63 characters to operator-overlays-operator-l and
			// then numbered.
			name: "overlays of one name told apart by the folder above, not by overlays/ again",
			files: map[string]string{
				"kiali/operator/base/kustomization.yaml":             kust("resources: [cm.yaml]\n"),
				"kiali/operator/base/cm.yaml":                        cm,
				"kiali/operator/overlays/stable/kustomization.yaml":  kust("resources: [../../base]\n"),
				"jaeger/operator/overlays/stable/kustomization.yaml": kust("resources: [../../../../kiali/operator/base]\n"),
				"jaeger/operator/overlays/alpha/kustomization.yaml":  kust("resources: [../../../../kiali/operator/base]\n"),
			},
			wantEnvs: []string{"dev"},
			wantApps: []App{
				{Name: "jaeger-operator-stable", Namespace: "operator", Engine: Kustomize, Path: "jaeger/operator/overlays/stable"},
				{Name: "kiali-operator-stable", Namespace: "operator", Engine: Kustomize, Path: "kiali/operator/overlays/stable"},
				{Name: "operator-alpha", Namespace: "operator", Engine: Kustomize, Path: "jaeger/operator/overlays/alpha"},
			},
			wantNotes: []Note{
				{Path: "jaeger/operator/overlays", Message: "overlays alpha, stable are variants rather than environments (at most half of them named as environments usually are: dev, staging, prod-eu…), so each is an app of its own in every environment; " +
					"if they are environments, list them under environments: and name them all as jaeger/operator/overlays/{env}"},
				{Path: "kiali/operator/overlays", Message: "overlays stable are variants rather than environments (at most half of them named as environments usually are: dev, staging, prod-eu…), so each is an app of its own in every environment; " +
					"if they are environments, list them under environments: and name them all as kiali/operator/overlays/{env}"},
			},
		},
		{
			// akuity/kargo-simple: Kargo's ${{ … }} were noted as
			// variables to set under vars:, which no name can be.
			name: "another program's ${…} in a YAML folder is noted as such",
			files: map[string]string{
				"kargo/task.yaml": "apiVersion: kargo.akuity.io/v1alpha1\nkind: PromotionTask\nmetadata: {name: t, namespace: demo}\n" +
					"spec:\n  steps:\n  - config: {repoURL: '${{ vars.repoURL }}', branch: '${{ ctx.stage }}', tag: '${TAG}'}\n",
			},
			wantEnvs: []string{"dev"},
			wantApps: []App{{Name: "kargo", Namespace: "demo", Engine: YAML, Path: "kargo"}},
			wantNotes: []Note{
				{Path: "kargo", Message: "${{ ctx.stage }, ${{ vars.repoURL } are not Flux's ${NAME} (another program's expressions: Kargo's ${{ … }}, a shell's ${!name}), " +
					"which kiln's yaml engine refuses as malformed: annotate the objects that hold them kustomize.toolkit.fluxcd.io/substitute: disabled, or write each $${ for a literal ${"},
				{Path: "kargo", Message: "${TAG} is used without a default: set it under vars: in envs/<env>.yaml, give a default (${NAME:=value}), escape a literal one as $${NAME}, " +
					"or annotate an object whose text is another program's (a Grafana dashboard) kustomize.toolkit.fluxcd.io/substitute: disabled"},
			},
		},
		{
			// grafana/tanka's examples/prom-grafana: Tanka keeps an
			// environment's main.jsonnet in a folder of its own; init
			// made apps named dev and prod, each in one environment dev.
			name: "Jsonnet entry points in folders named as environments: one app",
			files: map[string]string{
				"tk/environments/prom-grafana/dev/main.jsonnet":     "(import 'prom-grafana/prom-grafana.libsonnet') + {env: 'dev'}\n",
				"tk/environments/prom-grafana/prod/main.jsonnet":    "(import 'prom-grafana/prom-grafana.libsonnet') + {env: 'prod'}\n",
				"tk/environments/prom-grafana/patched/main.jsonnet": "(import 'prom-grafana/prom-grafana.libsonnet') + {env: 'x'}\n",
				"tk/lib/prom-grafana/prom-grafana.libsonnet":        "{}\n",
				"ops/environments/dev/main.jsonnet":                 "{}\n",
				"t/test-export-envs/static-env/main.jsonnet":        "{}\n",
				"t/test-export-envs-broken/static-env/main.jsonnet": "{}\n",
				"ops/environments/prod/main.jsonnet":                "{}\n",
			},
			wantEnvs: []string{"dev", "prod"},
			wantApps: []App{
				{Name: "ops", Namespace: "ops", Engine: Jsonnet, Path: "ops/environments/{env}/main.jsonnet"},
				{Name: "patched", Namespace: "patched", Engine: Jsonnet, Path: "tk/environments/prom-grafana/patched/main.jsonnet", JPath: []string{"tk/lib"}},
				{Name: "prom-grafana", Namespace: "prom-grafana", Engine: Jsonnet, Path: "tk/environments/prom-grafana/{env}/main.jsonnet", JPath: []string{"tk/lib"}},
				{Name: "test-export-envs-broken-static-env", Namespace: "static-env", Engine: Jsonnet, Path: "t/test-export-envs-broken/static-env/main.jsonnet"},
				{Name: "test-export-envs-static-env", Namespace: "static-env", Engine: Jsonnet, Path: "t/test-export-envs/static-env/main.jsonnet"},
			},
		},
		{
			// Tanka puts an environment's folder first on its import
			// path: lib/app.libsonnet imports the settings each
			// environment provides. init left that import unresolved, and
			// kiln render failed where tk show renders.
			name: "Jsonnet: a library's import of what the environment provides: the environment's folder in jpath",
			files: map[string]string{
				"web/environments/dev/main.jsonnet":        "import 'app.libsonnet'\n",
				"web/environments/dev/settings.libsonnet":  "{ replicas: 1 }\n",
				"web/environments/prod/main.jsonnet":       "import 'app.libsonnet'\n",
				"web/environments/prod/settings.libsonnet": "{ replicas: 3 }\n",
				"web/lib/app.libsonnet":                    "local s = import 'settings.libsonnet'; {}\n",
				"web/single/main.jsonnet":                  "import 'app.libsonnet'\n",
				"web/single/settings.libsonnet":            "{}\n",
			},
			wantEnvs: []string{"dev", "prod"},
			wantApps: []App{
				{Name: "single", Namespace: "single", Engine: Jsonnet, Path: "web/single/main.jsonnet", JPath: []string{"web/single", "web/lib"}},
				{Name: "web", Namespace: "web", Engine: Jsonnet, Path: "web/environments/{env}/main.jsonnet", JPath: []string{"web/environments/{env}", "web/lib"}},
			},
		},
		{
			// Tanka adds spec.json's resourceDefaults and, with
			// injectLabels, its environment label to every object; the
			// app's objects lack them in kiln, which a note says.
			name: "a Tanka environment's resourceDefaults and injectLabels are noted",
			files: map[string]string{
				"tk/web/main.jsonnet": "{}\n",
				"tk/web/spec.json": `{"apiVersion": "tanka.dev/v1alpha1", "kind": "Environment", "metadata": {"name": "web"},
  "spec": {"namespace": "web", "injectLabels": true, "resourceDefaults": {"labels": {"team": "a"}}}}`,
				"tk/plain/main.jsonnet": "{}\n",
				"tk/plain/spec.json":    tankaSpec("plain"),
			},
			wantEnvs: []string{"dev"},
			wantApps: []App{
				{Name: "plain", Namespace: "plain", Engine: Jsonnet, Path: "tk/plain/main.jsonnet"},
				{Name: "web", Namespace: "web", Engine: Jsonnet, Path: "tk/web/main.jsonnet"},
			},
			wantNotes: []Note{{Path: "tk/web/spec.json", Message: "Tanka adds its resourceDefaults.labels and injectLabels (the tanka.dev/environment label) to every object, kiln does not: add them in the jsonnet (or with an env patch) where the cluster relies on them"}},
		},
		{
			// A monitoring mixin's alerts.jsonnet and rules.jsonnet (tempo's,
			// node_exporter's, thanos') write Prometheus rules files: added
			// as apps, kiln validate refused each ("the top level is a
			// string").
			name: "Jsonnet whose value is text or a mixin's rules is no app",
			files: map[string]string{
				"mixin/mixin.libsonnet": "{ prometheusAlerts: {}, prometheusRules: {} }\n",
				"mixin/alerts.jsonnet":  "local mixin = import 'mixin.libsonnet';\n\nstd.manifestYamlDoc(mixin.prometheusAlerts)\n",
				"mixin/rules.jsonnet":   "(\n  import 'mixin.libsonnet'\n).prometheusRules\n",
				"mixin/text.jsonnet":    "importstr 'mixin.libsonnet'\n",
				"app/main.jsonnet":      "local mixin = import '../mixin/mixin.libsonnet';\n{ cm: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { r: std.manifestYamlDoc(mixin.prometheusRules) } } }\n",
			},
			wantEnvs: []string{"dev"},
			wantApps: []App{{Name: "app", Namespace: "app", Engine: Jsonnet, Path: "app/main.jsonnet"}},
			wantNotes: []Note{
				{Path: "mixin/alerts.jsonnet", Message: "not added: its value is the text of std.manifestYamlDoc, not Kubernetes objects (a monitoring mixin's rules or dashboards, or a file's text); kiln renders Kubernetes objects"},
				{Path: "mixin/rules.jsonnet", Message: "not added: its value is a monitoring mixin's prometheusRules, not Kubernetes objects (a monitoring mixin's rules or dashboards, or a file's text); kiln renders Kubernetes objects"},
				{Path: "mixin/text.jsonnet", Message: "not added: its value is a string, not Kubernetes objects (a monitoring mixin's rules or dashboards, or a file's text); kiln renders Kubernetes objects"},
			},
		},
		{
			// grafana/tempo's example/tk: Tanka gives spec.json's
			// spec.namespace to every object without one; init named the
			// app's namespace after the app, tempo-single-binary, which
			// nothing creates, where tk apply deploys into default.
			name: "a Tanka environment's spec.namespace is its app's namespace",
			files: map[string]string{
				"tk/tempo-single-binary/main.jsonnet": "{}\n",
				"tk/tempo-single-binary/spec.json":    tankaSpec("default"),
				"tk/not-a-label/main.jsonnet":         "{}\n",
				"tk/not-a-label/spec.json":            tankaSpec("Not_A_Label"),
				"svc/environments/dev/main.jsonnet":   "{}\n",
				"svc/environments/dev/spec.json":      tankaSpec("svc"),
				"svc/environments/prod/main.jsonnet":  "{}\n",
				"svc/environments/prod/spec.json":     tankaSpec("svc"),
				"web/environments/dev/main.jsonnet":   "{}\n",
				"web/environments/dev/spec.json":      tankaSpec("web-dev"),
				"web/environments/prod/main.jsonnet":  "{}\n",
				"web/environments/prod/spec.json":     tankaSpec("web-prod"),
			},
			wantEnvs: []string{"dev", "prod"},
			wantApps: []App{
				{Name: "not-a-label", Namespace: "not-a-label", Engine: Jsonnet, Path: "tk/not-a-label/main.jsonnet"},
				{Name: "svc", Namespace: "svc", Engine: Jsonnet, Path: "svc/environments/{env}/main.jsonnet"},
				{Name: "tempo-single-binary", Namespace: "default", Engine: Jsonnet, Path: "tk/tempo-single-binary/main.jsonnet"},
				{Name: "web", Namespace: "web", Engine: Jsonnet, Path: "web/environments/{env}/main.jsonnet"},
			},
			wantNotes: []Note{{Path: "web/environments/{env}/main.jsonnet", Message: "the Tanka environments' spec.json files name different namespaces (or some none): kiln.yaml gives the app web; set apps.web.namespace in each env file to the one its spec.json names"}},
		},
		{
			// kubeflow/manifests' spark-operator 2.5.0 templates the release
			// namespace onto its ClusterRole: init made that folder's
			// namespace kubeflow and its app depend on the app creating
			// kubeflow, which uses its CRD, a cycle kiln validate refused.
			name: "a cluster-scoped object's namespace is no namespace of its app",
			files: map[string]string{
				"crds/crd.yaml": "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: sparkapplications.sparkoperator.k8s.io\n" +
					"spec:\n  group: sparkoperator.k8s.io\n  names: {kind: SparkApplication}\n",
				"crds/rbac.yaml":      "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: spark-operator-controller\n  namespace: kubeflow\n",
				"kubeflow/ns.yaml":    "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: kubeflow\n",
				"kubeflow/spark.yaml": "apiVersion: sparkoperator.k8s.io/v1beta2\nkind: SparkApplication\nmetadata:\n  name: spark-pi\n  namespace: kubeflow\n",
			},
			wantEnvs: []string{"dev"},
			wantApps: []App{
				{Name: "crds", Namespace: "crds", Engine: YAML, Path: "crds"},
				{Name: "kubeflow", Namespace: "kubeflow", Engine: YAML, Path: "kubeflow", DependsOn: []string{"crds"}},
			},
		},
		{
			// christianh814/gitops-examples: four examples create the
			// Namespace bgd; init made one depend on another, and kiln
			// validate reported a cycle besides the double owner.
			name: "a namespace two apps create gives no dependsOn",
			files: map[string]string{
				"bgd/ns.yaml":     "apiVersion: v1\nkind: Namespace\nmetadata: {name: bgd}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: bgd}\n",
				"bgd-k8s/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: bgd}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b, namespace: bgd}\n",
				"web/cm.yaml":     "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: bgd}\n",
			},
			wantEnvs: []string{"dev"},
			wantApps: []App{
				{Name: "bgd", Namespace: "bgd", Engine: YAML, Path: "bgd"},
				{Name: "bgd-k8s", Namespace: "bgd", Engine: YAML, Path: "bgd-k8s"},
				{Name: "web", Namespace: "bgd", Engine: YAML, Path: "web"},
			},
		},
		{
			// Flux's own example repository (fluxcd/flux2-kustomize-helm-example).
			name: "overlays named as environments side by side, without overlays/: one app",
			files: map[string]string{
				"apps/base/podinfo/kustomization.yaml": kust("resources: [cm.yaml]\n"),
				"apps/base/podinfo/cm.yaml":            cm,
				"apps/staging/kustomization.yaml":      kust("resources: [../base/podinfo]\n"),
				"apps/production/kustomization.yaml":   kust("resources: [../base/podinfo]\n"),
			},
			wantEnvs: []string{"staging", "production"},
			wantApps: []App{{Name: "apps", Namespace: "apps", Engine: Kustomize, Path: "apps/{env}"}},
		},
		{
			name: "kustomizations side by side, not all named as environments: each an app",
			files: map[string]string{
				"apps/staging/kustomization.yaml":    kust("resources: []\n"),
				"apps/production/kustomization.yaml": kust("resources: []\n"),
				"apps/tools/kustomization.yaml":      kust("resources: []\n"),
			},
			wantEnvs: []string{"dev"},
			wantApps: []App{
				{Name: "production", Namespace: "production", Engine: Kustomize, Path: "apps/production"},
				{Name: "staging", Namespace: "staging", Engine: Kustomize, Path: "apps/staging"},
				{Name: "tools", Namespace: "tools", Engine: Kustomize, Path: "apps/tools"},
			},
		},
		{
			name: "YAML folders named as the environments: one app",
			files: map[string]string{
				"envs/staging.yaml":         "apps: {}\n",
				"envs/production.yaml":      "apps: {}\n",
				"deploy/staging/cm.yaml":    cm,
				"deploy/production/cm.yaml": cm,
			},
			wantEnvs: []string{"staging", "production"},
			wantApps: []App{{Name: "deploy", Namespace: "staging", Engine: YAML, Path: "deploy/{env}"}},
		},
		{
			name: "a YAML folder holding flux bootstrap's folder is no app",
			files: map[string]string{
				"clusters/dev/apps.yaml":                  "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: apps, namespace: flux-system}\n",
				"clusters/dev/flux-system/gotk-sync.yaml": "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {name: flux-system}\n",
			},
			wantEnvs: []string{"dev"},
			wantApps: []App{},
			wantNotes: []Note{
				{Path: "clusters/dev", Message: "not added: flux bootstrap's folder (clusters/dev/flux-system) lies below it, and the yaml engine reads every YAML file below its folder"},
				{Path: "clusters/dev/flux-system", Message: "not added: flux bootstrap's own folder (it holds gotk-sync.yaml or gotk-components.yaml), which Flux applies itself"},
			},
		},
		{
			// controlplaneio-fluxcd/d2-fleet: each cluster's flux-system/
			// holds the FluxInstance flux-system/flux that flux-operator
			// installs and syncs the cluster's folder with. init made each
			// an app, and kiln validate refused every object in it as
			// produced by two apps.
			name: "flux-operator's bootstrap folder is no app",
			files: map[string]string{
				"clusters/staging/flux-system/kustomization.yaml": kust("resources: [flux-instance.yaml]\n"),
				"clusters/staging/flux-system/flux-instance.yaml": "apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nmetadata: {name: flux, namespace: flux-system}\n" +
					"spec: {sync: {kind: OCIRepository, url: 'oci://ghcr.io/controlplaneio-fluxcd/d2-fleet', ref: latest, path: clusters/staging}}\n",
				"clusters/update/flux-system/flux-instance.yaml": "apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nmetadata: {name: flux, namespace: flux-system}\n",
				"clusters/update/flux-system/runtime-info.yaml":  "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: flux-runtime-info, namespace: flux-system}\n",
				"clusters/update/automation.yaml":                cm,
				"tenants/cm.yaml":                                cm,
			},
			wantEnvs: []string{"dev"},
			wantApps: []App{{Name: "tenants", Namespace: "tenants", Engine: YAML, Path: "tenants"}},
			wantNotes: []Note{
				{Path: "clusters/staging/flux-system", Message: "not added: flux-operator's bootstrap folder (clusters/staging/flux-system/flux-instance.yaml holds a FluxInstance, which installs Flux and syncs the cluster from this repository itself); once kiln's manifests repository is what Flux applies, point its spec.sync at it"},
				{Path: "clusters/update", Message: "not added: flux bootstrap's folder (clusters/update/flux-system) lies below it, and the yaml engine reads every YAML file below its folder"},
				{Path: "clusters/update/flux-system", Message: "not added: flux-operator's bootstrap folder (clusters/update/flux-system/flux-instance.yaml holds a FluxInstance, which installs Flux and syncs the cluster from this repository itself); once kiln's manifests repository is what Flux applies, point its spec.sync at it"},
			},
		},
		{
			// controlplaneio-fluxcd/d2-fleet: each cluster's tenants.yaml
			// applies the YAML folder tenants/ with postBuild. The note told
			// to replace the substitution by a patch, as for a kustomize
			// app, where kiln's yaml engine substitutes from vars: itself;
			// and to set a targetNamespace in a kustomization it has not.
			name: "a Flux Kustomization's postBuild and targetNamespace on a YAML app",
			files: map[string]string{
				"tenants/apps.yaml":                           "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: apps}\ndata: {tag: '${ARTIFACT_TAG:=latest}'}\n",
				"clusters/staging/flux-system/gotk-sync.yaml": "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {name: flux-system}\n",
				"clusters/staging/tenants.yaml": "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: tenants, namespace: flux-system}\n" +
					"spec: {path: ./tenants, targetNamespace: shop, postBuild: {substituteFrom: [{kind: ConfigMap, name: flux-runtime-info}]}}\n",
			},
			wantEnvs: []string{"dev"},
			wantApps: []App{{Name: "tenants", Namespace: "shop", Engine: YAML, Path: "tenants"}},
			wantNotes: []Note{
				{Path: "clusters/staging", Message: "not added: flux bootstrap's folder (clusters/staging/flux-system) lies below it, and the yaml engine reads every YAML file below its folder"},
				{Path: "clusters/staging/flux-system", Message: "not added: flux bootstrap's own folder (it holds gotk-sync.yaml or gotk-components.yaml), which Flux applies itself"},
				{Path: "tenants", Message: "its Flux Kustomization (clusters/staging/tenants.yaml) sets postBuild, whose ${VAR} substitution kiln's yaml engine makes from vars: give the values it substitutes under vars: (or secretVars:) in envs/<env>.yaml; " +
					"and targetNamespace shop, which init made the app's namespace; kiln gives it to objects without a namespace only, where Flux's targetNamespace replaces any: change the namespace of each object that names another"},
			},
		},
		{
			name: "a YAML folder of Flux's own configuration: an app, noted",
			files: map[string]string{
				"sync/apps.yaml": "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: apps, namespace: flux-system}\n---\n" +
					"apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {name: apps, namespace: flux-system}\n",
			},
			wantEnvs:  []string{"dev"},
			wantApps:  []App{{Name: "sync", Namespace: "flux-system", Engine: YAML, Path: "sync"}},
			wantNotes: []Note{{Path: "sync", Message: "its objects are Flux's own configuration (Kustomizations and their sources), which kiln's flux/ replaces with a Kustomization per app: check that this app is still needed"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			write(t, root, tc.files)
			res, err := Scan(context.Background(), root)
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantNotes == nil {
				tc.wantNotes = []Note{}
			}
			if d := cmp.Diff(&Result{Envs: tc.wantEnvs, Apps: tc.wantApps, Notes: tc.wantNotes}, res, cmp.AllowUnexported(Result{})); d != "" {
				t.Errorf("Scan (-want +got):\n%s", d)
			}
		})
	}
}

// TestScanJsonnetThroughBundlerSymlink: jsonnet-bundler's legacy imports
// are symlinks (vendor/ksonnet-util leads to
// vendor/github.com/grafana/jsonnet-libs/ksonnet-util). A library imported
// through one has the imports of the file it leads to: init read only
// that file, and left out lib/, where ksonnet-util's import of k.libsonnet
// is found; loki's Tanka environment failed kiln validate as written.
func TestScanJsonnetThroughBundlerSymlink(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write(t, root, map[string]string{
		"environments/loki/main.jsonnet":                                         "local k = import 'ksonnet-util/kausal.libsonnet';\n{}\n",
		"environments/loki/spec.json":                                            tankaSpec("loki"),
		"vendor/github.com/grafana/jsonnet-libs/ksonnet-util/kausal.libsonnet":   "import 'k-compat.libsonnet'\n",
		"vendor/github.com/grafana/jsonnet-libs/ksonnet-util/k-compat.libsonnet": "import 'k.libsonnet'\n",
		"lib/k.libsonnet": "{}\n",
	})
	if err := os.Symlink("github.com/grafana/jsonnet-libs/ksonnet-util", filepath.Join(root, "vendor", "ksonnet-util")); err != nil {
		t.Fatal(err)
	}
	res, err := Scan(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	want := []App{{Name: "loki", Namespace: "loki", Engine: Jsonnet, Path: "environments/loki/main.jsonnet", JPath: []string{"lib", "vendor"}}}
	if d := cmp.Diff(want, res.Apps); d != "" {
		t.Errorf("apps (-want +got):\n%s", d)
	}
}

func TestLabel(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"podinfo": "podinfo", "My_App": "my-app", "--x--": "x", "": "app", "ünïcode": "n-code",
		"a.b.c": "a-b-c", string(make([]byte, 0)) + "x234567890123456789012345678901234567890123456789012345678901234567890": "x23456789012345678901234567890123456789012345678901234567890123",
	} {
		if got := label(in); got != want || !dnsLabel.MatchString(got) {
			t.Errorf("label(%q) = %q, want %q (a DNS label)", in, got, want)
		}
	}
}

// TestScanNotesOnce: a note about a kustomization is made once, also when
// the environments come from the overlays.
func TestScanNotesOnce(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write(t, root, map[string]string{
		"kustomization.yaml":                  kust("resources: [web/overlays/dev]\n"),
		"web/base/kustomization.yaml":         kust("resources: [cm.yaml]\n"),
		"web/base/cm.yaml":                    cm,
		"web/overlays/dev/kustomization.yaml": kust("resources: [../../base]\n"),
	})
	res, err := Scan(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	want := []Note{{Path: ".", Message: "not added: a kustomization at the root of the repository, which usually gathers the others; the folders it builds are apps of their own"}}
	if d := cmp.Diff(want, res.Notes); d != "" {
		t.Errorf("notes (-want +got):\n%s", d)
	}
}

// TestSchemaURLAsTheExamples: the kiln.yaml init writes names the schema
// the way the examples do.
func TestSchemaURLAsTheExamples(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../examples/instavote/kiln.yaml")
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(data), "\n")
	if want := "# yaml-language-server: $schema=" + SchemaURL; first != want {
		t.Errorf("examples/instavote/kiln.yaml starts with %q, init writes %q", first, want)
	}
}

// TestScanUnreadableFolder: a folder init may not read (a database's data
// folder owned by another user) is named in a note and left out; the rest
// of the repository still gives its apps.
func TestScanUnreadableFolder(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write(t, root, map[string]string{
		"apps/web/cm.yaml":   cm,
		"data/pg/x.yaml":     cm,
		"data/pg/sub/y.yaml": cm,
	})
	locked := filepath.Join(root, "data", "pg")
	if err := os.Chmod(locked, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(locked, 0o755) })
	if _, err := os.ReadDir(locked); err == nil {
		t.Skip("permissions are not enforced for this user (root)")
	}
	res, err := Scan(context.Background(), root)
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	if d := cmp.Diff([]App{{Name: "web", Namespace: "web", Engine: YAML, Path: "apps/web"}}, res.Apps); d != "" {
		t.Errorf("apps (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]Note{{Path: "data/pg", Message: "not looked through: permission denied"}}, res.Notes); d != "" {
		t.Errorf("notes (-want +got):\n%s", d)
	}
}

// TestScanDeepJsonnet: a Jsonnet file nested deeper than kiln renders is
// left out with a note, and its parse never overflows the Go stack, which
// would end kiln init (init parses in its own process, and no recover
// catches a stack overflow). Brackets in strings, text blocks and comments
// do not count.
func TestScanDeepJsonnet(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	deep := strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + "\n"
	quoted := "// " + strings.Repeat("[", 5000) + "\n" +
		"local s = \"" + strings.Repeat("(", 5000) + "\", v = @'" + strings.Repeat("{", 5000) + "''';\n" +
		"local t = |||\n  " + strings.Repeat("[", 5000) + "\n|||;\n" +
		"/* " + strings.Repeat("{", 5000) + " */ { s: s, v: v, t: t, n: -1 - -2 }\n"
	write(t, root, map[string]string{
		"deep/main.jsonnet":    deep,
		"lib/deep.libsonnet":   deep,
		"quoted/main.jsonnet":  quoted,
		"unary/main.jsonnet":   strings.Repeat("-", 100_000) + "1\n",
		"locals/main.jsonnet":  strings.Repeat("local a = 1;\n", 100_000) + "a\n",
		"imports/main.jsonnet": "(import '../lib/deep.libsonnet')\n",
		// Exactly kiln's limit: rendered, so added (init once left it out).
		"edge/main.jsonnet": strings.Repeat("[", 1000) + strings.Repeat("]", 1000) + "\n",
		// 600 locals, each with an if and a function: 600 levels deep,
		// as kiln renders them.
		"long/main.jsonnet": strings.Repeat("local a = if true then function(x) -x else error 'no';\n", 600) + "{}\n",
	})
	res, err := Scan(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	wantApps := []App{
		{Name: "edge", Namespace: "edge", Engine: Jsonnet, Path: "edge/main.jsonnet"},
		{Name: "imports", Namespace: "imports", Engine: Jsonnet, Path: "imports/main.jsonnet"},
		{Name: "long", Namespace: "long", Engine: Jsonnet, Path: "long/main.jsonnet"},
		{Name: "quoted", Namespace: "quoted", Engine: Jsonnet, Path: "quoted/main.jsonnet"},
	}
	if d := cmp.Diff(wantApps, res.Apps); d != "" {
		t.Errorf("apps (-want +got):\n%s", d)
	}
	wantNotes := []Note{
		{Path: "deep/main.jsonnet", Message: "not added: its expressions nest deeper than kiln's limit of 1000 (by line 1); flatten them with locals"},
		{Path: "locals/main.jsonnet", Message: "not added: its expressions nest deeper than kiln's limit of 1000 (by line 1001); flatten them with locals"},
		{Path: "unary/main.jsonnet", Message: "not added: its expressions nest deeper than kiln's limit of 1000 (by line 1); flatten them with locals"},
	}
	if d := cmp.Diff(wantNotes, res.Notes); d != "" {
		t.Errorf("notes (-want +got):\n%s", d)
	}
}

// TestScanSymlinkOutside: a Chart.yaml or kustomization.yaml that is a
// symlink leading out of the repository is not read (kiln render refuses
// it, and a type error quoted the start of the file in the note: a link
// to /etc/passwd printed "root:x:"); its folder is no app, not even a
// YAML one. A link inside the repository is followed, as kiln render
// follows it.
func TestScanSymlinkOutside(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	root := filepath.Join(dir, "repo")
	write(t, dir, map[string]string{
		"secret.txt":                      "s3cr3t-value\n",
		"repo/out/chart/templates/x.yaml": cm,
		"repo/out/kust/cm.yaml":           cm,
		"repo/in/real/Chart.yaml":         chart,
		"repo/in/linked/templates/x.yaml": cm,
		"repo/in/away/cm.yaml":            cm,
		"repo/in/kusts/k.yaml":            kust("resources: [cm.yaml]\n"),
		"repo/in/here/cm.yaml":            cm,
		"repo/in/here/k.yaml":             kust("resources: [cm.yaml]\n"),
	})
	for link, target := range map[string]string{
		"repo/out/chart/Chart.yaml":        "../../../secret.txt",
		"repo/out/kust/kustomization.yaml": filepath.Join(dir, "secret.txt"),
		"repo/in/linked/Chart.yaml":        "../real/Chart.yaml",
		// kustomize build reads a kustomization in or below its folder
		// only: a link to another folder's file finds none.
		"repo/in/away/kustomization.yaml": "../kusts/k.yaml",
		"repo/in/here/kustomization.yaml": "k.yaml",
	} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	res, err := Scan(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	wantApps := []App{
		{Name: "here", Namespace: "here", Engine: Kustomize, Path: "in/here"},
		{Name: "linked", Namespace: "linked", Engine: Helm, Path: "in/linked"},
		{Name: "real", Namespace: "real", Engine: Helm, Path: "in/real"},
	}
	if d := cmp.Diff(wantApps, res.Apps); d != "" {
		t.Errorf("apps (-want +got):\n%s", d)
	}
	const msg = "not added: it is a symlink leading outside the repository, and kiln reads only files inside it; copy the file in instead of linking to it"
	wantNotes := []Note{
		{Path: "in/away/kustomization.yaml", Message: "not added: it is a symlink to ../kusts/k.yaml, outside its folder, where kustomize build (as kiln render) does not read a kustomization; copy the file in, or link the folder instead"},
		{Path: "out/chart/Chart.yaml", Message: msg}, {Path: "out/kust/kustomization.yaml", Message: msg}}
	if d := cmp.Diff(wantNotes, res.Notes); d != "" {
		t.Errorf("notes (-want +got):\n%s", d)
	}
}

// TestScanLongNamesUnique: apps whose names are cut at 63 characters, in
// folders whose parents share a name too, get numbers that survive the
// cut. The number went after the 63rd character, label cut it off again,
// and kiln init never ended.
func TestScanLongNamesUnique(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	long := strings.Repeat("l", 70)
	write(t, root, map[string]string{
		"a/x/" + long + "/cm.yaml": cm,
		"b/x/" + long + "/cm.yaml": cm,
		"c/x/" + long + "/cm.yaml": cm,
		"d/x/" + long + "/cm.yaml": cm,
	})
	done := make(chan *Result, 1)
	go func() {
		res, err := Scan(context.Background(), root)
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	var res *Result
	select {
	case res = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Scan did not return within 30s")
	}
	if res == nil {
		return
	}
	seen := map[string]bool{}
	for _, a := range res.Apps {
		if !dnsLabel.MatchString(a.Name) || len(a.Name) > 63 || seen[a.Name] {
			t.Errorf("app %s: name %q is not a unique DNS label", a.Path, a.Name)
		}
		seen[a.Name] = true
	}
	if len(res.Apps) != 4 {
		t.Errorf("got %d apps, want 4: %+v", len(res.Apps), res.Apps)
	}
}

// TestRootKustomizationLeavesAppsIn: a kustomization at the repository
// root is no app, and its note said to name the folders it builds as
// apps; yet what it named counted as parts of it, and every folder below
// it as its own, so init left out the overlays it built and every YAML
// folder of the repository, without a note.
func TestRootKustomizationLeavesAppsIn(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write(t, root, map[string]string{
		"kustomization.yaml":                  kust("resources: [ns.yaml, apps/staging, apps/production]\n"),
		"ns.yaml":                             "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: web\n",
		"apps/base/kustomization.yaml":        kust("resources: [cm.yaml]\n"),
		"apps/base/cm.yaml":                   cm,
		"apps/staging/kustomization.yaml":     kust("resources: [../base]\n"),
		"apps/production/kustomization.yaml":  kust("resources: [../base]\n"),
		"infrastructure/redis/configmap.yaml": cm,
	})
	res, err := Scan(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range res.Apps {
		got = append(got, a.Name+" "+a.Path)
	}
	if want := []string{"apps apps/{env}", "redis infrastructure/redis"}; !slices.Equal(got, want) {
		t.Errorf("apps %q, want %q", got, want)
	}
	if want := []string{"staging", "production"}; !slices.Equal(res.Envs, want) {
		t.Errorf("environments %q, want %q", res.Envs, want)
	}
	// The root's own files are the root kustomization's, said once.
	want := []Note{{Path: ".", Message: "not added: a kustomization at the root of the repository, which usually gathers the others; the folders it builds are apps of their own"}}
	if d := cmp.Diff(want, res.Notes); d != "" {
		t.Errorf("notes (-want +got):\n%s", d)
	}
}

// TestEnvFoldersNotOnePerEnv: YAML folders named as environments but not
// one for each of them (deploy/dev, deploy/prod, environments staging and
// production) are apps of their own in every environment, the same
// objects from two apps, which the first kiln validate refuses; a note
// says why, as for such overlays.
func TestEnvFoldersNotOnePerEnv(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write(t, root, map[string]string{
		"envs/staging.yaml":    "{}\n",
		"envs/production.yaml": "{}\n",
		"deploy/dev/cm.yaml":   cm,
		"deploy/prod/cm.yaml":  cm,
	})
	res, err := Scan(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	want := []Note{{Path: "deploy", Message: "folders dev, prod do not match the environments staging, production one for one, so each is an app of its own in every environment; with one folder per environment, kiln.yaml can name them all as deploy/{env}"}}
	if d := cmp.Diff(want, res.Notes); d != "" {
		t.Errorf("notes (-want +got):\n%s", d)
	}
}
