package render_test

import (
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/envconfig"
)

// TestUnboundClaims renders a claim of a WaitForFirstConsumer class next to
// what decides whether Flux's wait for it ends: a warning only when Flux
// waits for the claim and no pod applied with it or beside it mounts it.
// testdata/errors/claim-never-bound has the messages, with real objects.
func TestUnboundClaims(t *testing.T) {
	t.Parallel()
	const (
		wffc  = "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: lazy}\nprovisioner: example.com/disk\nvolumeBindingMode: WaitForFirstConsumer\n"
		now   = "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: eager}\nprovisioner: example.com/disk\n"
		def   = "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: lazy\n  annotations: {storageclass.kubernetes.io/is-default-class: \"true\"}\nprovisioner: example.com/disk\nvolumeBindingMode: WaitForFirstConsumer\n"
		claim = "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data}\nspec:\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 1Gi}}\n"
		pod   = "apiVersion: v1\nkind: Pod\nmetadata: {name: user}\nspec:\n  containers: [{name: c, image: busybox}]\n  volumes: [{name: d, persistentVolumeClaim: {claimName: data}}]\n"
		job   = "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: backup}\nspec:\n  schedule: \"@daily\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: Never\n          containers: [{name: c, image: busybox}]\n          volumes: [{name: d, persistentVolumeClaim: {claimName: data}}]\n"
		idle  = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: idle}\nspec:\n  replicas: 0\n  selector: {matchLabels: {app: idle}}\n  template:\n    metadata: {labels: {app: idle}}\n    spec:\n      containers: [{name: c, image: busybox}]\n      volumes: [{name: d, persistentVolumeClaim: {claimName: data}}]\n"
		named = "  storageClassName: lazy\n"
		// A StatefulSet's pod 0 mounts claim data-db-0 of its template
		// data: the controller creates it unless it exists, as one
		// restored from a snapshot does.
		set = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db}\nspec:\n  serviceName: db\n  selector: {matchLabels: {app: db}}\n  template:\n    metadata: {labels: {app: db}}\n" +
			"    spec:\n      containers: [{name: c, image: busybox, volumeMounts: [{name: data, mountPath: /data}]}]\n" +
			"  volumeClaimTemplates:\n  - metadata: {name: data}\n    spec:\n      accessModes: [ReadWriteOnce]\n      storageClassName: lazy\n      resources: {requests: {storage: 1Gi}}\n"
	)
	for _, tc := range []struct {
		name  string
		flux  string // the app's flux: settings
		files map[string]string
		want  string // "" for no warning
	}{
		{name: "wait, class by name, no pod", flux: "{wait: true}", files: map[string]string{"app/sc.yaml": wffc, "app/pvc.yaml": claim + named},
			want: "app/pvc.yaml:1: app web: PersistentVolumeClaim/shop/data: its StorageClass lazy (its storageClassName, app web, app/sc.yaml:5) has volumeBindingMode: WaitForFirstConsumer"},
		{name: "wait, the default class", flux: "{wait: true}", files: map[string]string{"app/sc.yaml": def, "app/pvc.yaml": claim},
			want: "its StorageClass lazy (the env's default class, as the claim names none, app web, app/sc.yaml:7)"},
		{name: "wait, the legacy annotation", flux: "{wait: true}", files: map[string]string{"app/sc.yaml": wffc, "app/pvc.yaml": strings.Replace(claim, "{name: data}", "{name: data, annotations: {volume.beta.kubernetes.io/storage-class: lazy}}", 1)},
			want: "its StorageClass lazy (its volume.beta.kubernetes.io/storage-class annotation"},
		{name: "wait, only a CronJob mounts it", flux: "{wait: true}", files: map[string]string{"app/sc.yaml": wffc, "app/pvc.yaml": claim + named, "app/job.yaml": job},
			want: "no pod of app web mounts it"},
		{name: "wait, only a Deployment of no replicas mounts it", flux: "{wait: true}", files: map[string]string{"app/sc.yaml": wffc, "app/pvc.yaml": claim + named, "app/idle.yaml": idle},
			want: "no pod of app web mounts it"},
		{name: "wait, a pod mounts it", flux: "{wait: true}", files: map[string]string{"app/sc.yaml": wffc, "app/pvc.yaml": claim + named, "app/pod.yaml": pod}},
		{name: "wait, a custom resource names it", flux: "{wait: true}", files: map[string]string{"app/sc.yaml": wffc, "app/pvc.yaml": claim + named,
			"app/vm.yaml":  "apiVersion: example.com/v1\nkind: Backup\nmetadata: {name: nightly}\nspec: {source: {claimName: data}}\n",
			"app/crd.yaml": "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: backups.example.com}\nspec:\n  group: example.com\n  names: {kind: Backup, plural: backups}\n  scope: Namespaced\n  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}]\n"}},
		{name: "wait, a StatefulSet's pod mounts it by its template", flux: "{wait: true}", files: map[string]string{"app/sc.yaml": wffc, "app/set.yaml": set,
			"app/pvc.yaml": strings.Replace(claim, "{name: data}", "{name: data-db-0}", 1) + named}},
		{name: "wait, a StatefulSet's template of another name", flux: "{wait: true}", files: map[string]string{"app/sc.yaml": wffc, "app/set.yaml": set,
			"app/pvc.yaml": strings.Replace(claim, "{name: data}", "{name: data-db-backup}", 1) + named},
			want: "no pod of app web mounts it"},
		{name: "wait, the scheduler's node already selected", flux: "{wait: true}", files: map[string]string{"app/sc.yaml": wffc,
			"app/pvc.yaml": strings.Replace(claim, "{name: data}", "{name: data, annotations: {volume.kubernetes.io/selected-node: node-1}}", 1) + named}},
		{name: "wait, a PersistentVolume reserved for it", flux: "{wait: true}", files: map[string]string{"app/sc.yaml": wffc, "app/pvc.yaml": claim + named,
			// The local volume of the Kubernetes documentation's
			// StorageClass local-storage (WaitForFirstConsumer),
			// reserved for the claim.
			"app/pv.yaml": "apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: example-pv}\nspec:\n  capacity: {storage: 1Gi}\n  accessModes: [ReadWriteOnce]\n" +
				"  persistentVolumeReclaimPolicy: Retain\n  storageClassName: lazy\n  local: {path: /mnt/disks/ssd1}\n  claimRef: {namespace: shop, name: data}\n" +
				"  nodeAffinity:\n    required:\n      nodeSelectorTerms:\n      - matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [example-node]}]\n"}},
		{name: "wait, a PersistentVolume reserved for another claim", flux: "{wait: true}", files: map[string]string{"app/sc.yaml": wffc, "app/pvc.yaml": claim + named,
			"app/pv.yaml": "apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: example-pv}\nspec:\n  capacity: {storage: 1Gi}\n  accessModes: [ReadWriteOnce]\n" +
				"  storageClassName: lazy\n  hostPath: {path: /mnt/data}\n  claimRef: {namespace: shop, name: other}\n"},
			want: "no pod of app web mounts it"},
		{name: "no wait, no health check of it", flux: "{wait: false}", files: map[string]string{"app/sc.yaml": wffc, "app/pvc.yaml": claim + named}},
		{name: "wait, an Immediate class", flux: "{wait: true}", files: map[string]string{"app/sc.yaml": now, "app/pvc.yaml": claim + "  storageClassName: eager\n"}},
		{name: "wait, a class the env does not render", flux: "{wait: true}", files: map[string]string{"app/pvc.yaml": claim + "  storageClassName: gp3\n"}},
		{name: "wait, no class and no default rendered", flux: "{wait: true}", files: map[string]string{"app/sc.yaml": wffc, "app/pvc.yaml": claim}},
		{name: "wait, storageClassName empty", flux: "{wait: true}", files: map[string]string{"app/sc.yaml": def, "app/pvc.yaml": claim + "  storageClassName: \"\"\n"}},
		{name: "wait, volumeName binds it at once", flux: "{wait: true}", files: map[string]string{"app/sc.yaml": wffc, "app/pvc.yaml": claim + named + "  volumeName: pv-data\n"}},
		{name: "wait, Flux does not apply it", flux: "{wait: true}", files: map[string]string{"app/sc.yaml": wffc,
			"app/pvc.yaml": strings.Replace(claim, "{name: data}", "{name: data, annotations: {kustomize.toolkit.fluxcd.io/reconcile: disabled}}", 1) + named}},
		{name: "an expression judges claims", flux: "{wait: true, healthCheckExprs: [{apiVersion: v1, kind: PersistentVolumeClaim, current: \"true\"}]}",
			files: map[string]string{"app/sc.yaml": wffc, "app/pvc.yaml": claim + named}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			files := map[string]string{
				"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments: [{name: dev}]\n" +
					"apps:\n  - {name: web, namespace: shop, yaml: app, flux: " + tc.flux + "}\n",
				"envs/dev.yaml": "vars: {}\n",
			}
			for k, v := range tc.files {
				files[k] = v
			}
			p := loadProject(t, t.TempDir(), files)
			wantUnboundWarning(t, p, tc.want)
		})
	}
}

// TestUnboundClaimsOfFluxPods: a claim whose only possible consumer is a
// HelmRelease of another app, whose pods kiln does not render, is not
// warned of when Flux applies that app beside the claim's (in the claim's
// namespace, its own or its targetNamespace); it is when that app waits
// for the claim's, or installs elsewhere.
func TestUnboundClaimsOfFluxPods(t *testing.T) {
	t.Parallel()
	const (
		wffc  = "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: lazy}\nprovisioner: example.com/disk\nvolumeBindingMode: WaitForFirstConsumer\n"
		claim = "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: config}\nspec:\n  accessModes: [ReadWriteOnce]\n  storageClassName: lazy\n  resources: {requests: {storage: 1Gi}}\n"
		// An app-template release mounting the claim by its values
		// (persistence.config.existingClaim), as home-ops' do.
		release = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: web}\nspec:\n  interval: 1h\n  chartRef: {kind: OCIRepository, name: app-template}\n" +
			"  values: {persistence: {config: {existingClaim: config}}}\n"
	)
	for _, tc := range []struct {
		name             string
		webNS, webDeps   string
		release, warning string
	}{
		{name: "applied beside, in the claim's namespace", webNS: "shop", release: release},
		{name: "applied beside, its targetNamespace the claim's", webNS: "flux-system", release: release + "  targetNamespace: shop\n"},
		{name: "applied beside, in another namespace", webNS: "other", release: release, warning: "no pod of app data mounts it"},
		{name: "applied after the claim's app", webNS: "shop", webDeps: "[data]", release: release, warning: "no pod of app data mounts it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			deps := ""
			if tc.webDeps != "" {
				deps = ", dependsOn: " + tc.webDeps
			}
			p := loadProject(t, t.TempDir(), map[string]string{
				"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments: [{name: dev}]\n" +
					"apps:\n  - {name: data, namespace: shop, yaml: data, flux: {wait: true}}\n" +
					"  - {name: web, namespace: " + tc.webNS + ", yaml: web" + deps + "}\n",
				"envs/dev.yaml":    "vars: {}\n",
				"data/sc.yaml":     wffc,
				"data/pvc.yaml":    claim,
				"web/release.yaml": tc.release,
			})
			wantUnboundWarning(t, p, tc.warning)
		})
	}
}

// wantUnboundWarning renders p and requires one unbound-claim warning
// holding want, or none when want is "".
func wantUnboundWarning(t *testing.T, p *envconfig.Pipeline, want string) {
	t.Helper()
	var got []string
	for _, res := range renderAll(t, p, checkOptions(false)) {
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		for _, w := range res.Warnings {
			if strings.Contains(w.Msg, "WaitForFirstConsumer") {
				got = append(got, w.String())
			}
		}
	}
	switch {
	case want == "" && len(got) > 0:
		t.Errorf("unexpected warnings %q", got)
	case want != "" && (len(got) != 1 || !strings.Contains(got[0], want)):
		t.Errorf("warnings %q, want one with %q", got, want)
	}
}
