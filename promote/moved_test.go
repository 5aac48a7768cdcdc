package promote

import (
	"bytes"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/promote/internal/treediff"
)

// TestMovedWarningsByGroup: Flux tells objects apart by API group, kind,
// namespace and name. A core Service that leaves one app while a Knative
// Service of the same name joins another (a move to Knative) moves
// nothing, and was warned about as a move; worse, keyed without the group,
// one of two removed objects stood for the other, so a real move was
// judged by the wrong app's prune setting. The version does not count.
func TestMovedWarningsByGroup(t *testing.T) {
	t.Parallel()
	core := []byte("apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: shop\n")
	knative := []byte("apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata:\n  name: web\n  namespace: shop\n")
	hpaOld := []byte("apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\n  namespace: shop\n")
	hpaNew := []byte("apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\n  namespace: shop\n")
	old := map[string][]byte{
		"apps/web/service_web.yaml":                 core,
		"apps/web/horizontalpodautoscaler_web.yaml": hpaOld,
		// app legacy keeps what it prunes: it would hide a move from web.
		"flux/legacy.yaml":             []byte("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: legacy\nspec:\n  prune: false\n"),
		"apps/legacy/service_web.yaml": knative,
	}
	new := map[string][]byte{
		"apps/serving/service_web.yaml":               knative,
		"apps/scale/horizontalpodautoscaler_web.yaml": hpaNew,
		"apps/svc/service_web.yaml":                   core,
	}
	var got []string
	for _, w := range movedWarnings(old, treediff.Trees(old, new)) {
		what, _, _ := strings.Cut(w.Msg, ":")
		got = append(got, w.File+": "+w.Object.String()+": "+what)
	}
	want := []string{
		"apps/scale/horizontalpodautoscaler_web.yaml: HorizontalPodAutoscaler/shop/web: moves from app web to app scale",
		"apps/svc/service_web.yaml: Service/shop/web: moves from app web to app svc",
	}
	if !slices.Equal(got, want) {
		t.Errorf("warnings:\n%q\nwant:\n%q", got, want)
	}
}

// TestPrunedWarnings: an object leaving the env is deleted by Flux's
// prune; the ones that take more with them are warned about, unless
// another app takes them over (movedWarnings' case), Flux leaves them (the
// annotation, or an app that does not prune), or they only move within
// their app's folder.
func TestPrunedWarnings(t *testing.T) {
	t.Parallel()
	pvc := []byte("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\n  namespace: shop\nspec: {accessModes: [ReadWriteOnce]}\n")
	ns := []byte("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n")
	crd := []byte("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\n")
	kept := []byte("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: kept\n  namespace: shop\n  annotations: {kustomize.toolkit.fluxcd.io/prune: disabled}\n")
	cm := []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: shop\n")
	legacyPVC := []byte("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: legacy\n  namespace: shop\n")
	old := map[string][]byte{
		"apps/db/persistentvolumeclaim_shop_data.yaml":                pvc,
		"apps/db/namespace_shop.yaml":                                 ns,
		"apps/crds/customresourcedefinition_widgets.example.com.yaml": crd,
		"apps/db/persistentvolumeclaim_shop_kept.yaml":                kept,
		// kustomize-controller matches its prune exclusion in labels and
		// annotations alike, in any case (fluxcd/pkg ssa AnyInMetadata).
		"apps/db/persistentvolumeclaim_shop_labelled.yaml":              []byte("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: labelled\n  namespace: shop\n  labels: {kustomize.toolkit.fluxcd.io/prune: disabled}\n"),
		"apps/db/namespace_kept.yaml":                                   []byte("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: kept\n  annotations: {kustomize.toolkit.fluxcd.io/prune: Disabled}\n"),
		"apps/db/configmap_shop_settings.yaml":                          cm,
		"flux/legacy.yaml":                                              []byte("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: legacy\nspec:\n  prune: false\n"),
		"apps/legacy/persistentvolumeclaim_shop_legacy.yaml":            legacyPVC,
		"apps/moving/customresourcedefinition_gadgets.example.com.yaml": []byte("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: gadgets.example.com\n"),
		"apps/renamed/persistentvolumeclaim_shop_cache.yaml":            []byte("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: cache\n  namespace: shop\n"),
	}
	new := map[string][]byte{
		// Taken over by another app: movedWarnings says it.
		"apps/crds2/customresourcedefinition_gadgets.example.com.yaml": old["apps/moving/customresourcedefinition_gadgets.example.com.yaml"],
		// The same object under another file name.
		"apps/renamed/persistentvolumeclaim_cache.yaml": old["apps/renamed/persistentvolumeclaim_shop_cache.yaml"],
	}
	var got []string
	for _, w := range prunedWarnings(old, treediff.Trees(old, new)) {
		got = append(got, w.File+": "+w.Object.String()+": "+w.Msg)
	}
	want := []string{
		"apps/crds/customresourcedefinition_widgets.example.com.yaml: CustomResourceDefinition/widgets.example.com: leaves app crds, whose Kustomization prunes what it no longer holds: Flux deletes it from the cluster, and deleting a CustomResourceDefinition deletes every custom resource of its kind in the cluster",
		"apps/db/namespace_shop.yaml: Namespace/shop: leaves app db, whose Kustomization prunes what it no longer holds: Flux deletes it from the cluster, and deleting a Namespace deletes every object in it, 1 object the env keeps among them (1 of app renamed), which stays in the env: its Kustomization cannot apply them again while the Namespace is gone",
		"apps/db/persistentvolumeclaim_shop_data.yaml: PersistentVolumeClaim/shop/data: leaves app db, whose Kustomization prunes what it no longer holds: Flux deletes it from the cluster, and deleting a PersistentVolumeClaim releases its volume, which a Delete reclaim policy (dynamic provisioning's default) then deletes with its data",
	}
	if !slices.Equal(got, want) {
		t.Errorf("warnings:\n%q\nwant:\n%q", got, want)
	}
}

// TestPrunedWarningsNamespaceOfStayingApps: removing kubeflow/manifests'
// istio-install-ambient app (Apache-2.0; names and kinds of its rendered
// objects and of app cluster-local-gateway-m2m-auth's, from
// common/istio) deletes Namespace istio-system, and with it the objects
// the gateway app keeps there, which Flux then cannot apply again. The
// warning said "every object in it" as if they were the leaving app's
// alone; a reviewer could not tell that the merge breaks an app it keeps.
func TestPrunedWarningsNamespaceOfStayingApps(t *testing.T) {
	t.Parallel()
	obj := func(kind, ns, name string) []byte {
		api := "v1"
		if kind == "Role" {
			api = "rbac.authorization.k8s.io/v1"
		}
		meta := "  name: " + name + "\n"
		if ns != "" {
			meta += "  namespace: " + ns + "\n"
		}
		return []byte("apiVersion: " + api + "\nkind: " + kind + "\nmetadata:\n" + meta)
	}
	old := map[string][]byte{
		"apps/istio-install-ambient/namespace_istio-system.yaml":                                     obj("Namespace", "", "istio-system"),
		"apps/istio-install-ambient/serviceaccount_istio-system_istiod.yaml":                         obj("ServiceAccount", "istio-system", "istiod"),
		"apps/cluster-local-gateway-m2m-auth/serviceaccount_istio-system_cluster-local-gateway.yaml": obj("ServiceAccount", "istio-system", "cluster-local-gateway-service-account"),
		"apps/cluster-local-gateway-m2m-auth/role_istio-system_cluster-local-gateway-sds.yaml":       obj("Role", "istio-system", "cluster-local-gateway-sds"),
		"apps/cluster-local-gateway-m2m-auth/configmap_kubeflow_settings.yaml":                       obj("ConfigMap", "kubeflow", "settings"),
	}
	gone := func(files map[string][]byte, apps ...string) map[string][]byte {
		out := map[string][]byte{}
		for p, data := range files {
			if !slices.Contains(apps, treediff.AppOf(p)) {
				out[p] = data
			}
		}
		return out
	}
	warning := func(old, new map[string][]byte) string {
		for _, w := range prunedWarnings(old, treediff.Trees(old, new)) {
			if w.Object.Kind == "Namespace" {
				return w.Msg + "\n  hint: " + w.Hint
			}
		}
		return ""
	}
	got := warning(old, gone(old, "istio-install-ambient"))
	want := "leaves app istio-install-ambient, whose Kustomization prunes what it no longer holds: Flux deletes it from the cluster, and deleting a Namespace deletes every object in it, 2 objects the env keeps among them (2 of app cluster-local-gateway-m2m-auth), which stays in the env: its Kustomization cannot apply them again while the Namespace is gone\n" +
		"  hint: to keep it in the cluster, first promote it with the annotation kustomize.toolkit.fluxcd.io/prune: disabled, then remove it; or move the Namespace to an app that stays"
	if got != want {
		t.Errorf("warning:\n%s\nwant:\n%s", got, want)
	}

	// Apps named by how much they lose, at most three, then how many more.
	many := maps.Clone(old)
	for i, app := range []string{"a", "b", "c", "d", "e"} {
		for j := 0; j <= i%3; j++ {
			many["apps/"+app+"/configmap_istio-system_c"+strconv.Itoa(j)+".yaml"] = obj("ConfigMap", "istio-system", "c"+strconv.Itoa(j))
		}
	}
	got = warning(many, gone(many, "istio-install-ambient"))
	if want := ", 11 objects the env keeps among them (3 of app c, 2 of app b, 2 of app cluster-local-gateway-m2m-auth and 4 of 3 more apps), which stay in the env: their Kustomizations cannot apply them again"; !strings.Contains(got, want) {
		t.Errorf("warning:\n%s\nwant it to hold:\n%s", got, want)
	}

	// Nothing kept in the namespace: the warning stays as it was.
	got = warning(old, gone(old, "istio-install-ambient", "cluster-local-gateway-m2m-auth"))
	if strings.Contains(got, "keeps") || !strings.Contains(got, "deletes every object in it\n") {
		t.Errorf("warning with nothing kept in the namespace:\n%s", got)
	}
}

// TestPrunedWarningsCRDOfStayingApps: removing the prometheus-operator-crds
// app of prometheus-community/helm-charts (Apache-2.0; names and kinds from
// its charts) deletes CRD servicemonitors.monitoring.coreos.com, and with it
// the ServiceMonitors the env keeps in other apps. The warning said "every
// custom resource of its kind in the cluster" and left a reviewer to guess
// that apps the merge keeps lose theirs. A ServiceMonitor of the leaving app
// itself, and an object of another group of the same kind, do not count.
func TestPrunedWarningsCRDOfStayingApps(t *testing.T) {
	t.Parallel()
	crd := []byte("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: servicemonitors.monitoring.coreos.com\nspec:\n  group: monitoring.coreos.com\n  names:\n    kind: ServiceMonitor\n    plural: servicemonitors\n  scope: Namespaced\n")
	sm := func(api, ns, name string) []byte {
		return []byte("apiVersion: " + api + "\nkind: ServiceMonitor\nmetadata:\n  name: " + name + "\n  namespace: " + ns + "\n")
	}
	old := map[string][]byte{
		"apps/prometheus-operator-crds/customresourcedefinition_servicemonitors.monitoring.coreos.com.yaml": crd,
		"apps/prometheus-operator-crds/servicemonitor_monitoring_self.yaml":                                 sm("monitoring.coreos.com/v1", "monitoring", "self"),
		"apps/kube-state-metrics/servicemonitor_kube-state-metrics_kube-state-metrics.yaml":                 sm("monitoring.coreos.com/v1", "kube-state-metrics", "kube-state-metrics"),
		"apps/prometheus-node-exporter/servicemonitor_node-exporter_prometheus-node-exporter.yaml":          sm("monitoring.coreos.com/v1", "node-exporter", "prometheus-node-exporter"),
		"apps/other/servicemonitor_other_web.yaml":                                                          sm("example.com/v1", "other", "web"),
	}
	new := map[string][]byte{}
	for p, data := range old {
		if treediff.AppOf(p) != "prometheus-operator-crds" {
			new[p] = data
		}
	}
	var got []string
	for _, w := range prunedWarnings(old, treediff.Trees(old, new)) {
		got = append(got, w.Object.String()+": "+w.Msg+"\n  hint: "+w.Hint)
	}
	want := []string{"CustomResourceDefinition/servicemonitors.monitoring.coreos.com: leaves app prometheus-operator-crds, whose Kustomization prunes what it no longer holds: Flux deletes it from the cluster, and deleting a CustomResourceDefinition deletes every custom resource of its kind in the cluster, 2 custom resources the env keeps among them (1 of app kube-state-metrics and 1 of app prometheus-node-exporter), which stay in the env: their Kustomizations cannot apply them again while the CustomResourceDefinition is gone\n" +
		"  hint: to keep it in the cluster, first promote it with the annotation kustomize.toolkit.fluxcd.io/prune: disabled, then remove it; or move the CustomResourceDefinition to an app that stays"}
	if !slices.Equal(got, want) {
		t.Errorf("warnings:\n%q\nwant:\n%q", got, want)
	}
}

// TestImmutableWarningsOfMovedObjects: an object that moves to another app
// (or another file name) is updated in place by Flux once the new app's
// Kustomization takes it over, so a change of its immutable fields in the
// same promotion is warned about, at its new file.
func TestImmutableWarningsOfMovedObjects(t *testing.T) {
	t.Parallel()
	job := func(image string) []byte {
		return []byte("apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  namespace: shop\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: m, image: " + image + "}]\n")
	}
	old := map[string][]byte{"apps/web/job_shop_migrate.yaml": job("web:1"), "apps/web/job_shop_seed.yaml": []byte("apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: seed\n  namespace: shop\n")}
	new := map[string][]byte{"apps/db/job_shop_migrate.yaml": job("web:2"), "apps/web/job_seed.yaml": old["apps/web/job_shop_seed.yaml"]}
	var got []string
	for _, w := range immutableWarnings(treediff.Trees(old, new)) {
		what, _, _ := strings.Cut(w.Msg, " (")
		got = append(got, w.File+": "+w.App+": "+w.Object.String()+": "+what)
	}
	want := []string{"apps/db/job_shop_migrate.yaml: db: Job/shop/migrate: spec.template changes, which the API server refuses on an existing object"}
	if !slices.Equal(got, want) {
		t.Errorf("warnings:\n%q\nwant:\n%q", got, want)
	}
}

// TestPrunedWarningsOfObjectsThatBecomeOthers: an object whose file stays
// while its namespace (or name) changes is another object to Flux, which
// applies the new one and prunes the old: a PersistentVolumeClaim of an
// app moved to another namespace loses its data. The change showed as a
// changed file only, without the warning a removed file gets. Through a
// promotion: the app's namespace changes in kiln.yaml.
func TestPrunedWarningsOfObjectsThatBecomeOthers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	pvc := "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\nspec:\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 1Gi}}\n"
	f.commitCode(t, map[string]string{"apps/web/pvc.yaml": pvc}, "a claim")
	if _, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{})); err != nil {
		t.Fatal(err)
	}
	f.commitCode(t, map[string]string{"kiln.yaml": strings.Replace(project(f.remote)["kiln.yaml"], "  - name: web\n    namespace: shop\n", "  - name: web\n    namespace: shop2\n", 1)}, "web moves to shop2")
	var log bytes.Buffer
	o := f.opts(t, "dev", &log)
	o.DryRun = true
	res, err := promote(t, f, o)
	if err != nil {
		t.Fatal(err)
	}
	const want = "warning: apps/web/persistentvolumeclaim_data.yaml: app web: PersistentVolumeClaim/shop/data: becomes PersistentVolumeClaim/shop2/data, another object, so app web's Kustomization no longer holds it and prunes it: Flux deletes it from the cluster, and deleting a PersistentVolumeClaim"
	if !strings.Contains(log.String(), want) || strings.Count(log.String(), "warning:") != 1 {
		t.Errorf("log:\n%s\nwant one warning: %s", log.String(), want)
	}
	if !strings.Contains(res.Body, "[!CAUTION]") || !strings.Contains(res.Body, "`PersistentVolumeClaim/shop/data`: becomes PersistentVolumeClaim/shop2/data, another object") {
		t.Errorf("no caution in the body:\n%s", res.Body)
	}

	// An object that only changes, and one whose identity another file
	// takes over, are not warned about.
	data := func(ns string) []byte {
		return []byte("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\n  namespace: " + ns + "\n")
	}
	old := map[string][]byte{"apps/db/persistentvolumeclaim_data.yaml": data("a"), "apps/db/persistentvolumeclaim_b_data.yaml": data("b")}
	new := map[string][]byte{"apps/db/persistentvolumeclaim_data.yaml": data("b"), "apps/db/persistentvolumeclaim_b_data.yaml": data("a")}
	if ws := prunedWarnings(old, treediff.Trees(old, new)); len(ws) != 0 {
		t.Errorf("two files swapping their objects: %v", ws)
	}
}

// TestPrunedWarningsOfWhatKeptObjectsNeed: kube-thanos' store reads its object
// storage configuration from a Secret that its development-minio example
// provides (testdata/manifests/kube-thanos; an env with both as apps, as
// kiln init makes them). A promotion that removes the example app deleted
// the Secret without a word, and the store's next pod could not start.
// Pruning a ConfigMap, Secret or ServiceAccount that an object the env
// keeps names in its pod template is warned about, naming the object and
// field, and so is a Service that kube-prometheus-stack's admission
// webhooks (testdata/manifests/kube-prometheus-stack) call; when the
// object goes too, moves with it, or names it optionally, there is
// nothing to warn of.
func TestPrunedWarningsOfWhatKeptObjectsNeed(t *testing.T) {
	t.Parallel()
	read := func(name string) []byte { return mustRead(t, "../testdata/manifests/kube-thanos/"+name) }
	store, secret := read("thanos-store-statefulSet.yaml"), read("minio-secret-thanos.yaml")
	sa := []byte("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: thanos-store\n  namespace: thanos\n")
	old := map[string][]byte{
		"apps/development-minio/secret_thanos-objectstorage.yaml": secret,
		"apps/manifests/statefulset_thanos-store.yaml":            store,
		"apps/manifests/serviceaccount_thanos-store.yaml":         sa,
	}
	warnings := func(new map[string][]byte) []string { return prunedLines(old, new, true) }
	without := func(paths ...string) map[string][]byte { return withoutFiles(old, paths...) }
	got := warnings(without("apps/development-minio/secret_thanos-objectstorage.yaml"))
	want := []string{"apps/development-minio/secret_thanos-objectstorage.yaml: Secret/thanos/thanos-objectstorage: leaves app development-minio, whose Kustomization prunes what it no longer holds: Flux deletes it from the cluster, while the env keeps 1 object needing it (StatefulSet/thanos/thanos-store of app manifests at spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef.name): pods created after the promotion (a rollout, a restart, a rescheduled pod) cannot start, as a container whose volume or environment needs it does not\n" +
		"  hint: keep the Secret in the env (in an app that stays), or first promote the objects that need it without it; if something outside the env now makes it (an operator, External Secrets), nothing breaks"}
	if !slices.Equal(got, want) {
		t.Errorf("warnings:\n%q\nwant:\n%q", got, want)
	}

	// Its own app's ServiceAccount, removed while the StatefulSet stays.
	got = warnings(without("apps/manifests/serviceaccount_thanos-store.yaml"))
	if len(got) != 1 || !strings.Contains(got[0], "ServiceAccount/thanos/thanos-store: leaves app manifests") || !strings.Contains(got[0], "at spec.template.spec.serviceAccountName): the API server refuses to create pods that name it") {
		t.Errorf("ServiceAccount removed:\n%q", got)
	}

	// Nothing to warn of: the store goes too; the Secret moves to the
	// store's app; the store names it optionally; the Secret is kept by
	// Flux's annotation.
	optional := bytes.Replace(store, []byte("name: thanos-objectstorage"), []byte("name: thanos-objectstorage\n              optional: true"), 1)
	if bytes.Equal(optional, store) {
		t.Fatal("the store names the Secret no more")
	}
	moved := without("apps/development-minio/secret_thanos-objectstorage.yaml")
	moved["apps/manifests/secret_thanos-objectstorage.yaml"] = secret
	for name, new := range map[string]map[string][]byte{
		"both gone": without("apps/development-minio/secret_thanos-objectstorage.yaml", "apps/manifests/statefulset_thanos-store.yaml", "apps/manifests/serviceaccount_thanos-store.yaml"),
		"moved":     moved,
		"optional": func() map[string][]byte {
			m := without("apps/development-minio/secret_thanos-objectstorage.yaml")
			m["apps/manifests/statefulset_thanos-store.yaml"] = optional
			return m
		}(),
	} {
		if got := warnings(new); len(got) != 0 {
			t.Errorf("%s: %q, want none", name, got)
		}
	}

	// A webhook's Service, in another app.
	hooks, err := os.ReadFile("../testdata/manifests/kube-prometheus-stack/admission-webhooks.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, validating, _ := bytes.Cut(hooks, []byte("\n---\n"))
	operator := map[string][]byte{
		"apps/operator/service_monitoring_kps-kube-prometheus-stack-operator.yaml": []byte("apiVersion: v1\nkind: Service\nmetadata:\n  name: kps-kube-prometheus-stack-operator\n  namespace: monitoring\n"),
		"apps/webhooks/validatingwebhookconfiguration_kps.yaml":                    validating,
	}
	var hookWarnings []string
	for _, w := range prunedWarnings(operator, treediff.Trees(operator, map[string][]byte{"apps/webhooks/validatingwebhookconfiguration_kps.yaml": validating})) {
		hookWarnings = append(hookWarnings, w.Object.String()+": "+w.Msg)
	}
	if want := []string{"Service/monitoring/kps-kube-prometheus-stack-operator: leaves app operator, whose Kustomization prunes what it no longer holds: Flux deletes it from the cluster, while the env keeps 1 object needing it (ValidatingWebhookConfiguration/kps-kube-prometheus-stack-admission of app webhooks at webhooks[0].clientConfig.service.name): the API server cannot call the webhook and skips it (failurePolicy Ignore)"}; !slices.Equal(hookWarnings, want) {
		t.Errorf("webhook's Service:\n%q\nwant:\n%q", hookWarnings, want)
	}

	kept := maps.Clone(old)
	kept["apps/development-minio/secret_thanos-objectstorage.yaml"] = bytes.Replace(secret, []byte("metadata:\n"), []byte("metadata:\n  annotations:\n    kustomize.toolkit.fluxcd.io/prune: disabled\n"), 1)
	if got := prunedWarnings(kept, treediff.Trees(kept, without("apps/development-minio/secret_thanos-objectstorage.yaml"))); len(got) != 0 {
		t.Errorf("prune disabled: %q, want none", got)
	}
}

// TestPrunedWarningsOfWhatKeptFluxObjectsNeed: Flux's example repository
// keeps podinfo's HelmRelease and the HelmRepository it installs from
// (internal/needs/testdata says where from). A promotion that deletes the
// HelmRepository while the HelmRelease stays left the release without a
// chart, so it no longer reconciled, without a word; and so did deleting
// the ClusterIssuer a kept Certificate renews with, which kiln's tree
// holds with the namespace kustomize gave it. The GitRepository
// flux-system that a kept Kustomization names is Flux's bootstrap's, not
// the env's: it leaves nothing and is never warned of.
func TestPrunedWarningsOfWhatKeptFluxObjectsNeed(t *testing.T) {
	t.Parallel()
	read := func(name string) []byte { return mustRead(t, "../internal/needs/testdata/"+name) }
	issuer := []byte("apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata:\n  name: letsencrypt\n  namespace: configs\nspec:\n  acme:\n    server: https://acme-staging-v02.api.letsencrypt.org/directory\n    privateKeySecretRef:\n      name: letsencrypt\n")
	cert := []byte("apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: podinfo\n  namespace: podinfo\nspec:\n  secretName: podinfo-tls\n  dnsNames: [podinfo.example.com]\n  issuerRef:\n    name: letsencrypt\n    kind: ClusterIssuer\n")
	old := map[string][]byte{
		"apps/podinfo/helmrelease_podinfo.yaml":       read("flux2-kustomize-helm-example/apps_base_podinfo_release.yaml"),
		"apps/podinfo/helmrepository_podinfo.yaml":    read("flux2-kustomize-helm-example/apps_base_podinfo_repository.yaml"),
		"apps/podinfo/certificate_podinfo.yaml":       cert,
		"apps/configs/clusterissuer_letsencrypt.yaml": issuer,
		"apps/tenants/kustomization_tenants.yaml":     read("flux2-multi-tenancy/clusters_production_tenants.yaml"),
		"apps/extra/configmap_extra.yaml":             []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n  namespace: podinfo\n"),
	}
	warnings := func(paths ...string) []string { return prunedLines(old, withoutFiles(old, paths...), true) }
	got := warnings("apps/podinfo/helmrepository_podinfo.yaml", "apps/configs/clusterissuer_letsencrypt.yaml")
	want := []string{
		"apps/configs/clusterissuer_letsencrypt.yaml: ClusterIssuer/configs/letsencrypt: leaves app configs, whose Kustomization prunes what it no longer holds: Flux deletes it from the cluster, while the env keeps 1 object needing it (Certificate/podinfo/podinfo of app podinfo at spec.issuerRef.name): cert-manager can neither issue nor renew the certificate, so it expires at the end of its term\n" +
			"  hint: keep the ClusterIssuer in the env (in an app that stays), or first promote the objects that need it without it; if something outside the env now makes it (another Kustomization, an operator), nothing breaks",
		"apps/podinfo/helmrepository_podinfo.yaml: HelmRepository/podinfo/podinfo: leaves app podinfo, whose Kustomization prunes what it no longer holds: Flux deletes it from the cluster, while the env keeps 1 object needing it (HelmRelease/podinfo/podinfo of app podinfo at spec.chart.spec.sourceRef.name): the HelmRelease finds no chart and stops reconciling: no upgrade, rollback or drift correction\n" +
			"  hint: keep the HelmRepository in the env (in an app that stays), or first promote the objects that need it without it; if something outside the env now makes it (another Kustomization, an operator), nothing breaks",
	}
	if !slices.Equal(got, want) {
		t.Errorf("warnings:\n%q\nwant:\n%q", got, want)
	}
	// The whole app goes, the release with its repository; an app that
	// holds nothing another needs goes; the kept Kustomization's
	// GitRepository flux-system is not the env's.
	for _, paths := range [][]string{
		{"apps/podinfo/helmrelease_podinfo.yaml", "apps/podinfo/helmrepository_podinfo.yaml", "apps/podinfo/certificate_podinfo.yaml"},
		{"apps/extra/configmap_extra.yaml"},
	} {
		if got := warnings(paths...); len(got) != 0 {
			t.Errorf("%q removed: %q, want none", paths, got)
		}
	}
	// redhat-cop's gitops-catalog holds ClusterIssuer letsencrypt-prod in
	// two apps, each giving it its namespace: one app going leaves the
	// other's, the same object to the API server, in the cluster.
	old["apps/configs-copy/clusterissuer_letsencrypt.yaml"] = bytes.Replace(issuer, []byte("namespace: configs"), []byte("namespace: configs-copy"), 1)
	if got := warnings("apps/configs/clusterissuer_letsencrypt.yaml"); len(got) != 0 {
		t.Errorf("ClusterIssuer kept by another app: %q, want none", got)
	}
}

// TestPrunedWarningsOfWhatKeptControllerObjectsNeed: Flagger's KEDA
// tutorial (internal/needs/testdata/flagger says where from) keeps a
// ScaledObject and a Canary that both name Deployment podinfo, and
// cert-manager's Route53 ClusterIssuer authenticates with a Secret of
// cert-manager's namespace, which another app of the env holds. Pruning
// the Deployment or the Secret left the kept objects broken without a
// word: KEDA and Flagger found nothing to scale or promote, and the
// issuer could no longer answer DNS-01 challenges, so its certificates
// expired. A Secret of that name in another namespace is not the
// ClusterIssuer's.
func TestPrunedWarningsOfWhatKeptControllerObjectsNeed(t *testing.T) {
	t.Parallel()
	read := func(name string) []byte { return mustRead(t, "../internal/needs/testdata/"+name) }
	flagger := bytes.SplitN(read("flagger/keda-scaledobject.yaml"), []byte("---\n"), 2)
	secret := func(ns string) []byte {
		return []byte("apiVersion: v1\nkind: Secret\nmetadata:\n  name: prod-route53-credentials-secret\n  namespace: " + ns + "\ntype: Opaque\n")
	}
	old := map[string][]byte{
		"apps/podinfo/scaledobject_podinfo-so.yaml":                     flagger[0],
		"apps/podinfo/canary_podinfo.yaml":                              flagger[1],
		"apps/workload/deployment_podinfo.yaml":                         []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: podinfo\n  namespace: test\n"),
		"apps/dns/clusterissuer_letsencrypt-prod.yaml":                  bytes.Replace(read("cert-manager/configuration_acme_dns01_route53.yaml"), []byte("metadata:\n"), []byte("metadata:\n  namespace: dns\n"), 1),
		"apps/cert-manager/secret_prod-route53-credentials-secret.yaml": secret("cert-manager"),
		"apps/other/secret_prod-route53-credentials-secret.yaml":        secret("other"),
	}
	warnings := func(paths ...string) []string { return prunedLines(old, withoutFiles(old, paths...), false) }
	got := warnings("apps/workload/deployment_podinfo.yaml", "apps/cert-manager/secret_prod-route53-credentials-secret.yaml", "apps/other/secret_prod-route53-credentials-secret.yaml")
	want := []string{
		"apps/cert-manager/secret_prod-route53-credentials-secret.yaml: Secret/cert-manager/prod-route53-credentials-secret: leaves app cert-manager, whose Kustomization prunes what it no longer holds: Flux deletes it from the cluster, while the env keeps 1 object needing it (ClusterIssuer/dns/letsencrypt-prod of app dns at spec.acme.solvers[0].dns01.route53.accessKeyIDSecretRef.name): cert-manager can neither issue nor renew the issuer's certificates (it held the CA's key pair, or the credentials for the DNS provider, the ACME account binding or Vault), so they expire at the end of their term",
		"apps/workload/deployment_podinfo.yaml: Deployment/test/podinfo: leaves app workload, whose Kustomization prunes what it no longer holds: Flux deletes it from the cluster, while the env keeps 2 objects needing it (Canary/test/podinfo of app podinfo at spec.targetRef.name and ScaledObject/test/podinfo-so of app podinfo at spec.scaleTargetRef.name): Flagger stops advancing the Canary: no new version is analysed and promoted, and the primary keeps running the last one",
	}
	if !slices.Equal(got, want) {
		t.Errorf("warnings:\n%q\nwant:\n%q", got, want)
	}
	// The issuer goes with its Secret; the Canary and ScaledObject with
	// their Deployment.
	for _, paths := range [][]string{
		{"apps/dns/clusterissuer_letsencrypt-prod.yaml", "apps/cert-manager/secret_prod-route53-credentials-secret.yaml"},
		{"apps/workload/deployment_podinfo.yaml", "apps/podinfo/scaledobject_podinfo-so.yaml", "apps/podinfo/canary_podinfo.yaml"},
	} {
		if got := warnings(paths...); len(got) != 0 {
			t.Errorf("%q removed: %q, want none", paths, got)
		}
	}
}

// withoutFiles is tree without paths.
func withoutFiles(tree map[string][]byte, paths ...string) map[string][]byte {
	out := maps.Clone(tree)
	for _, p := range paths {
		delete(out, p)
	}
	return out
}

// prunedLines are prunedWarnings of promoting new over old, each as
// "file: object: message", with its hint when hints.
func prunedLines(old, new map[string][]byte, hints bool) []string {
	var got []string
	for _, w := range prunedWarnings(old, treediff.Trees(old, new)) {
		line := w.File + ": " + w.Object.String() + ": " + w.Msg
		if hints {
			line += "\n  hint: " + w.Hint
		}
		got = append(got, line)
	}
	return got
}

// TestMovedWarningsSayWhatGoesWithTheObject: a CustomResourceDefinition,
// Namespace or PersistentVolumeClaim that Flux deletes before it recreates
// it takes its custom resources, objects or data with it. Renaming an app
// moves all of it, and the one line per pair of apps named the first
// object in file order (a ConfigMap) and counted the CRD among "1 more
// object of the app": a reviewer read a recreated object, not every
// Backup of the cluster lost. Each such object now has a line of its own
// saying what goes with it; the objects that take nothing share one.
func TestMovedWarningsSayWhatGoesWithTheObject(t *testing.T) {
	t.Parallel()
	cm := []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a-settings\n  namespace: velero\n")
	sa := []byte("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: velero\n  namespace: velero\n")
	crd := []byte("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: backups.velero.io\nspec:\n  group: velero.io\n  names: {kind: Backup}\n")
	crd2 := []byte("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: restores.velero.io\nspec:\n  group: velero.io\n  names: {kind: Restore}\n")
	pvc := []byte("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\n  namespace: velero\n")
	old := map[string][]byte{
		"apps/velero/configmap_velero_a-settings.yaml":                 cm,
		"apps/velero/serviceaccount_velero_velero.yaml":                sa,
		"apps/velero/customresourcedefinition_backups.velero.io.yaml":  crd,
		"apps/velero/customresourcedefinition_restores.velero.io.yaml": crd2,
		"apps/velero/persistentvolumeclaim_velero_data.yaml":           pvc,
	}
	new := map[string][]byte{}
	for p, data := range old {
		new["apps/backup/"+strings.TrimPrefix(p, "apps/velero/")] = data
	}
	var got []string
	for _, w := range movedWarnings(old, treediff.Trees(old, new)) {
		_, what, _ := strings.Cut(w.Msg, "only when it applies")
		got = append(got, w.Object.String()+what)
	}
	want := []string{
		"ConfigMap/velero/a-settings (and 1 more object of the app)",
		"CustomResourceDefinition/backups.velero.io, and deleting a CustomResourceDefinition deletes every custom resource of its kind in the cluster (and 1 more object of the app)",
		"PersistentVolumeClaim/velero/data, and deleting a PersistentVolumeClaim releases its volume, which a Delete reclaim policy (dynamic provisioning's default) then deletes with its data",
	}
	if !slices.Equal(got, want) {
		t.Errorf("warnings:\n%q\nwant:\n%q", got, want)
	}
}
