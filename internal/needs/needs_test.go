package needs

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

func parse(t *testing.T, text string) *kyaml.Node {
	t.Helper()
	rn, err := kyaml.Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	return rn.YNode()
}

// of is Of on the object in text, which must be of a kind Reads reports
// whenever Of finds something: promote parses no other.
func of(t *testing.T, text string) []Ref {
	t.Helper()
	n := parse(t, text)
	refs := Of(n)
	if len(refs) > 0 && !Reads(groupOf(scalar(n, "apiVersion")), scalar(n, "kind")) {
		t.Errorf("Of reads %s/%s, Reads says it does not", scalar(n, "apiVersion"), scalar(n, "kind"))
	}
	return refs
}

func realFile(t *testing.T, rel string) string {
	t.Helper()
	data, err := os.ReadFile("../../testdata/manifests/" + rel)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestRefsOfRealWorkloads: kube-thanos' store reads its object storage
// configuration from a Secret (env valueFrom) and runs as its own
// ServiceAccount; kube-prometheus' Grafana mounts a Secret, a ConfigMap
// per dashboard and its configuration Secret. testdata/manifests/README.md
// says where from.
func TestRefsOfRealWorkloads(t *testing.T) {
	t.Parallel()
	got := short(of(t, (realFile(t, "kube-thanos/thanos-store-statefulSet.yaml"))))
	want := []string{
		"ServiceAccount thanos/thanos-store at spec.template.spec.serviceAccountName",
		"Secret thanos/thanos-objectstorage at spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef.name",
		"Service thanos/thanos-store at spec.serviceName",
	}
	if !slices.Equal(got, want) {
		t.Errorf("thanos-store:\n%q\nwant:\n%q", got, want)
	}
	grafana := short(of(t, (realFile(t, "kube-prometheus/grafana-deployment.yaml"))))
	for _, r := range []string{
		"ServiceAccount monitoring/grafana at spec.template.spec.serviceAccountName",
		"Secret monitoring/grafana-datasources at spec.template.spec.volumes[1].secret.secretName",
		"ConfigMap monitoring/grafana-dashboards at spec.template.spec.volumes[2].configMap.name",
		"Secret monitoring/grafana-config at spec.template.spec.volumes[37].secret.secretName",
	} {
		if !slices.Contains(grafana, r) {
			t.Errorf("grafana: %q missing from\n%q", r, grafana)
		}
	}
}

// short is refs as "Kind namespace/name at field", the group before the
// kind when there is one.
func short(refs []Ref) []string {
	var out []string
	for _, r := range refs {
		kind := r.Kind
		if r.Group != "" {
			kind = r.Group + "/" + r.Kind
		}
		name := r.Name
		if r.Namespace != "" {
			name = r.Namespace + "/" + name
		}
		out = append(out, kind+" "+name+" at "+r.Field)
	}
	return out
}

// TestPodRefs: every place a pod template names what it cannot start
// without, for each workload kind; what it can start without (optional
// sources, the default ServiceAccount) and what is not a workload are
// left out.
func TestPodRefs(t *testing.T) {
	t.Parallel()
	pod := `serviceAccountName: runner
priorityClassName: high
runtimeClassName: gvisor
imagePullSecrets: [{name: regcred}]
volumes:
- {name: a, configMap: {name: settings}}
- {name: b, secret: {secretName: tls}}
- {name: c, configMap: {name: maybe, optional: true}}
- name: d
  projected:
    sources:
    - configMap: {name: ca}
    - secret: {name: token}
    - serviceAccountToken: {path: t}
initContainers:
- name: init
  envFrom: [{configMapRef: {name: init-env}}, {secretRef: {name: opt, optional: True}}] # YAML's True, as the API server reads it
containers:
- name: app
  env:
  - {name: X, value: x}
  - {name: P, valueFrom: {secretKeyRef: {name: db, key: password}}}
  - {name: Q, valueFrom: {configMapKeyRef: {name: flags, key: q, optional: TRUE}}}
  - {name: R, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
  envFrom: [{secretRef: {name: app-env}}]
`
	indent := func(s string, n int) string {
		out := ""
		for _, l := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
			out += strings.Repeat(" ", n) + l + "\n"
		}
		return out
	}
	want := func(at string) []string {
		return []string{
			"ServiceAccount shop/runner at " + at + ".serviceAccountName",
			"scheduling.k8s.io/PriorityClass high at " + at + ".priorityClassName",
			"node.k8s.io/RuntimeClass gvisor at " + at + ".runtimeClassName",
			"Secret shop/regcred at " + at + ".imagePullSecrets[0].name",
			"ConfigMap shop/settings at " + at + ".volumes[0].configMap.name",
			"Secret shop/tls at " + at + ".volumes[1].secret.secretName",
			"ConfigMap shop/ca at " + at + ".volumes[3].projected.sources[0].configMap.name",
			"Secret shop/token at " + at + ".volumes[3].projected.sources[1].secret.name",
			"ConfigMap shop/init-env at " + at + ".initContainers[0].envFrom[0].configMapRef.name",
			"Secret shop/app-env at " + at + ".containers[0].envFrom[0].secretRef.name",
			"Secret shop/db at " + at + ".containers[0].env[1].valueFrom.secretKeyRef.name",
		}
	}
	for _, tc := range []struct {
		apiVersion, kind, wrap string
		at                     string
	}{
		{"v1", "Pod", "spec:\n%s", "spec"},
		{"v1", "PodTemplate", "template:\n  spec:\n%s", "template.spec"},
		{"v1", "ReplicationController", "spec:\n  template:\n    spec:\n%s", "spec.template.spec"},
		{"apps/v1", "Deployment", "spec:\n  template:\n    spec:\n%s", "spec.template.spec"},
		{"apps/v1", "StatefulSet", "spec:\n  template:\n    spec:\n%s", "spec.template.spec"},
		{"apps/v1", "DaemonSet", "spec:\n  template:\n    spec:\n%s", "spec.template.spec"},
		{"apps/v1", "ReplicaSet", "spec:\n  template:\n    spec:\n%s", "spec.template.spec"},
		{"batch/v1", "Job", "spec:\n  template:\n    spec:\n%s", "spec.template.spec"},
		{"batch/v1", "CronJob", "spec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n%s", "spec.jobTemplate.spec.template.spec"},
	} {
		depth := strings.Count(tc.at, ".")
		body := "apiVersion: " + tc.apiVersion + "\nkind: " + tc.kind + "\nmetadata: {name: w, namespace: shop}\n" +
			fmt.Sprintf(tc.wrap, indent(pod, 2*(depth+1)))
		if got := short(of(t, (body))); !slices.Equal(got, want(tc.at)) {
			t.Errorf("%s:\n%q\nwant:\n%q", tc.kind, got, want(tc.at))
		}
	}
	for _, body := range []string{
		"apiVersion: example.com/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      serviceAccountName: x\n",
		"apiVersion: v1\nkind: ConfigMap\ndata: {serviceAccountName: x}\n",
		"apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      serviceAccountName: default\n      serviceAccount: old\n",
		"apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec: [1]\n",
		"apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      volumes: {a: b}\n      containers: [null, {env: [null, {valueFrom: null}]}]\n      imagePullSecrets: [{name: null}]\n",
		"- a list\n",
	} {
		if got := of(t, (body)); len(got) != 0 {
			t.Errorf("%s: %q, want none", body, got)
		}
	}
	// The deprecated field counts when serviceAccountName is not set.
	if got := short(of(t, ("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  serviceAccount: old\n"))); !slices.Equal(got, []string{"ServiceAccount shop/old at spec.serviceAccount"}) {
		t.Errorf("deprecated serviceAccount: %q", got)
	}
}

// TestRefsOutsidePods: kube-prometheus-stack's admission webhooks (both
// kinds, failurePolicy Ignore) and kube-prometheus' metrics APIService
// call Services of another namespace; a RoleBinding grants its Role; and
// an Ingress, a Fail webhook and a CRD's conversion webhook need theirs.
func TestRefsOutsidePods(t *testing.T) {
	t.Parallel()
	var got []string
	for _, f := range []string{"kube-prometheus-stack/admission-webhooks.yaml", "kube-prometheus/prometheusAdapter-apiService.yaml", "kube-prometheus/prometheus-roleBindingConfig.yaml"} {
		for _, doc := range strings.Split(realFile(t, f), "\n---\n") {
			for _, r := range of(t, (doc)) {
				got = append(got, short([]Ref{r})[0]+": "+r.Effect)
			}
		}
	}
	svc := "Service monitoring/kps-kube-prometheus-stack-operator at webhooks[%d].clientConfig.service.name: the API server cannot call the webhook and skips it (failurePolicy Ignore)"
	want := []string{
		fmt.Sprintf(svc, 0), fmt.Sprintf(svc, 0), fmt.Sprintf(svc, 1),
		"Service monitoring/prometheus-adapter at spec.service.name: the API it serves becomes unavailable, which also stalls the deletion of namespaces",
		"rbac.authorization.k8s.io/Role monitoring/prometheus-k8s-config at roleRef.name: the binding grants nothing, so its subjects lose what the role allowed them",
	}
	if !slices.Equal(got, want) {
		t.Errorf("real objects:\n%q\nwant:\n%q", got, want)
	}

	// Gateway API's own example (testdata/manifests/gateway-api): a
	// header-matched canary Service and the default one, the route given
	// a namespace here, as kiln writes every namespaced object.
	route := strings.Replace(realFile(t, "gateway-api/http-routing_bar-httproute.yaml"), "metadata:\n", "metadata:\n  namespace: shop\n", 1)
	got = nil
	for _, r := range of(t, route) {
		got = append(got, short([]Ref{r})[0]+": "+r.Effect)
	}
	if want := []string{
		"gateway.networking.k8s.io/Gateway shop/example-gateway at spec.parentRefs[0].name: the route is attached to no Gateway, so none of its requests reach its backends",
		"Service shop/bar-svc-canary at spec.rules[0].backendRefs[0].name: requests the route sends to it fail (its share of them, when the rule splits traffic)",
		"Service shop/bar-svc at spec.rules[1].backendRefs[0].name: requests the route sends to it fail (its share of them, when the rule splits traffic)",
	}; !slices.Equal(got, want) {
		t.Errorf("HTTPRoute:\n%q\nwant:\n%q", got, want)
	}

	for _, tc := range []struct{ body, want string }{
		{"apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nwebhooks:\n- name: webhook.cert-manager.io\n  clientConfig:\n    service: {name: cert-manager-webhook, namespace: cert-manager}\n",
			"Service cert-manager/cert-manager-webhook at webhooks[0].clientConfig.service.name: the API server cannot call the webhook, and under failurePolicy Fail (the default) refuses every request the webhook matches"},
		{"apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nspec:\n  conversion:\n    strategy: Webhook\n    webhook:\n      clientConfig:\n        service: {name: conv, namespace: sys}\n",
			"Service sys/conv at spec.conversion.webhook.clientConfig.service.name: the API server cannot convert the custom resources between versions, so reading or writing them in another version fails"},
		{"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\n",
			"rbac.authorization.k8s.io/ClusterRole view at roleRef.name: the binding grants nothing, so its subjects lose what the role allowed them"},
		{"apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b, namespace: shop}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}\n",
			"rbac.authorization.k8s.io/ClusterRole edit at roleRef.name: the binding grants nothing, so its subjects lose what the role allowed them"},
		{"apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i, namespace: shop}\nspec:\n  defaultBackend: {service: {name: fallback}}\n  rules:\n  - http:\n      paths:\n      - {path: /, backend: {resource: {kind: Bucket, name: b}}}\n      - {path: /web, backend: {service: {name: web, port: {number: 80}}}}\n",
			"Service shop/fallback at spec.defaultBackend.service.name: requests the Ingress routes to it fail\nService shop/web at spec.rules[0].http.paths[1].backend.service.name: requests the Ingress routes to it fail"},
		// A ClusterRoleBinding cannot grant a Role; a roleRef of another
		// group names nothing RBAC knows.
		{"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}\n", ""},
		{"apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {namespace: shop}\nroleRef: {apiGroup: example.com, kind: Role, name: r}\n", ""},
		{"apiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\nwebhooks:\n- name: w\n  clientConfig: {url: https://example.com/hook}\n", ""},
		// A route's backend in another namespace (a ReferenceGrant allows
		// it) is that namespace's; one of another kind is no Service.
		{"apiVersion: gateway.networking.k8s.io/v1\nkind: GRPCRoute\nmetadata: {name: g, namespace: shop}\nspec:\n  rules:\n  - backendRefs:\n    - {name: api, namespace: backend, port: 9000}\n    - {group: example.com, kind: Bucket, name: b}\n",
			"Service backend/api at spec.rules[0].backendRefs[0].name: requests the route sends to it fail (its share of them, when the rule splits traffic)"},
	} {
		var lines []string
		for _, r := range of(t, (tc.body)) {
			lines = append(lines, short([]Ref{r})[0]+": "+r.Effect)
		}
		if got := strings.Join(lines, "\n"); got != tc.want {
			t.Errorf("%s:\n%s\nwant:\n%s", tc.body, got, tc.want)
		}
	}
}

// TestNeeded: the kinds Of can name are the ones Needed reports, so that
// promote's prefilter never skips one.
func TestNeeded(t *testing.T) {
	t.Parallel()
	for _, k := range []struct{ group, kind string }{{"", "ConfigMap"}, {"", "Secret"}, {"", "ServiceAccount"}, {"", "Service"}, {"scheduling.k8s.io", "PriorityClass"}, {"node.k8s.io", "RuntimeClass"}, {"rbac.authorization.k8s.io", "Role"}, {"rbac.authorization.k8s.io", "ClusterRole"},
		{"networking.k8s.io", "IngressClass"}, {"storage.k8s.io", "StorageClass"}, {"apps", "Deployment"}, {"apps", "StatefulSet"}, {"apps", "ReplicaSet"}, {"", "ReplicationController"},
		{"gateway.networking.k8s.io", "Gateway"}, {"cert-manager.io", "Issuer"}, {"cert-manager.io", "ClusterIssuer"},
		{sourceGroup, "GitRepository"}, {sourceGroup, "OCIRepository"}, {sourceGroup, "Bucket"}, {sourceGroup, "HelmRepository"}, {sourceGroup, "HelmChart"}, {sourceGroup, "ExternalArtifact"},
		{kustomizeGroup, "Kustomization"}, {helmGroup, "HelmRelease"}, {notificationGroup, "Provider"},
		{"argoproj.io", "AnalysisTemplate"}, {"argoproj.io", "ClusterAnalysisTemplate"}, {"external-secrets.io", "SecretStore"}, {"external-secrets.io", "ClusterSecretStore"},
		{"gateway.networking.k8s.io", "GatewayClass"}, {"apps", "DaemonSet"}, {"autoscaling", "HorizontalPodAutoscaler"}, {"networking.k8s.io", "Ingress"}, {"flagger.app", "MetricTemplate"}, {"flagger.app", "AlertProvider"},
		{"keda.sh", "ScaledObject"}, {"keda.sh", "TriggerAuthentication"}, {"keda.sh", "ClusterTriggerAuthentication"}, {imageGroup, "ImageRepository"}} {
		if !Needed(k.group, k.kind) {
			t.Errorf("%s/%s not needed", k.group, k.kind)
		}
	}
	for _, k := range []struct{ group, kind string }{{"serving.knative.dev", "Service"}, {"", "PersistentVolumeClaim"}, {"batch", "Job"}, {"flagger.app", "Canary"}} {
		if Needed(k.group, k.kind) {
			t.Errorf("%s/%s needed", k.group, k.kind)
		}
	}
}

// realObjectFiles are the real objects of testdata (testdata/README.md
// says where from) and of the repository's testdata/manifests ("../"),
// in the namespace kiln gives each object that names none.
var realObjectFiles = []struct{ file, ns string }{
	{"flux2-kustomize-helm-example/apps_base_podinfo_release.yaml", ""},
	{"flux2-kustomize-helm-example/infrastructure_controllers_cert-manager.yaml", ""},
	{"flux2-multi-tenancy/tenants_base_dev-team_sync.yaml", ""},
	{"flux2-multi-tenancy/infrastructure_kyverno_sync.yaml", ""},
	{"flux2-multi-tenancy/clusters_production_tenants.yaml", ""},
	{"flux2-monitoring-example/monitoring_controllers_kube-prometheus-stack_release.yaml", "monitoring"},
	{"gitops-istio/clusters_my-cluster_istio.yaml", ""},
	{"notification-controller/alert.yaml", "flux-system"},
	{"notification-controller/provider.yaml", "flux-system"},
	{"notification-controller/receiver.yaml", "flux-system"},
	{"ingress-nginx/tls-termination_ingress.yaml", "default"},
	{"kubernetes-examples/vsphere_simple-statefulset.yaml", "default"},
	{"kubernetes-examples/storageos_storageos-sc-pvc.yaml", "default"},
	{"gateway-api/http-redirect-rewrite_gateway-redirect-http-https.yaml", "default"},
	{"argo-rollouts/rollout-bluegreen.yaml", "demo"},
	{"argo-rollouts/rollout-analysis-step.yaml", "demo"},
	{"argo-rollouts/ambassador_rollout.yaml", "demo"},
	{"external-secrets/basic-external-secret.yaml", "shop"},
	{"../../../testdata/manifests/gateway-api/http-request-mirroring_httproute-mirroring.yaml", "default"},
	{"../../../testdata/manifests/gateway-api/grpc-routing_foo-grpcroute.yaml", "default"},
	{"../../../testdata/manifests/podinfo/hpa.yaml", "podinfo"},
	{"../../../testdata/manifests/cert-manager/cert-manager-resources.yaml", ""},
}

// realRefs is what Of finds in each object of file, as "Kind
// namespace/name at field".
func realRefs(t *testing.T, f struct{ file, ns string }) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", f.file)) // "../" reaches the repository's testdata
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, doc := range strings.Split(string(data), "\n---\n") {
		if f.ns != "" && !strings.Contains(doc, "\n  namespace: ") {
			doc = strings.Replace(doc, "metadata:\n", "metadata:\n  namespace: "+f.ns+"\n", 1)
		}
		got = append(got, short(of(t, doc))...)
	}
	return got
}

// TestRefsOfRealObjects: Flux's own example repositories' HelmReleases,
// Kustomizations and notification objects, an ingress-nginx example's
// Ingress, a StatefulSet and a claim of Kubernetes' examples, Argo
// Rollouts' examples (the Services and analysis templates the controller
// looks up before it reconciles a Rollout), External Secrets' basic
// ExternalSecret, Gateway API's
// own Gateway and routes, podinfo's HPA and cert-manager's Certificates,
// each naming what it needs. Flux bootstraps GitRepository flux-system and
// ServiceAccount kustomize-controller: they are named here, and only a
// promotion that deletes them from the env's tree is warned of.
func TestRefsOfRealObjects(t *testing.T) {
	t.Parallel()
	want := []string{
		"source.toolkit.fluxcd.io/HelmRepository podinfo/podinfo at spec.chart.spec.sourceRef.name",
		"source.toolkit.fluxcd.io/OCIRepository cert-manager/cert-manager at spec.chartRef.name",
		"source.toolkit.fluxcd.io/GitRepository apps/dev-team at spec.sourceRef.name",
		"ServiceAccount apps/dev-team at spec.serviceAccountName",
		"source.toolkit.fluxcd.io/OCIRepository flux-system/kyverno-controller at spec.sourceRef.name",
		"ServiceAccount flux-system/kustomize-controller at spec.serviceAccountName",
		"source.toolkit.fluxcd.io/GitRepository flux-system/flux-system at spec.sourceRef.name",
		"ServiceAccount flux-system/kustomize-controller at spec.serviceAccountName",
		"kustomize.toolkit.fluxcd.io/Kustomization flux-system/kyverno-policies at spec.dependsOn[0].name",
		"source.toolkit.fluxcd.io/OCIRepository monitoring/kube-prometheus-stack at spec.chartRef.name",
		"ConfigMap monitoring/flux-kube-state-metrics-config at spec.valuesFrom[0].name",
		"source.toolkit.fluxcd.io/GitRepository flux-system/flux-system at spec.sourceRef.name",
		"ConfigMap flux-system/istio-version at spec.postBuild.substituteFrom[0].name",
		"source.toolkit.fluxcd.io/GitRepository flux-system/flux-system at spec.sourceRef.name",
		"kustomize.toolkit.fluxcd.io/Kustomization flux-system/istio-system at spec.dependsOn[0].name",
		"notification.toolkit.fluxcd.io/Provider flux-system/slack-provider-sample at spec.providerRef.name",
		"Secret flux-system/slack-url at spec.secretRef.name",
		"Secret flux-system/generic-secret at spec.secretRef.name",
		"Secret flux-system/github-token at spec.secretRef.name",
		"networking.k8s.io/IngressClass nginx at spec.ingressClassName",
		"Service default/http-svc at spec.rules[0].http.paths[0].backend.service.name",
		"Secret default/tls-secret at spec.tls[0].secretName",
		"Service default/nginx at spec.serviceName",
		"storage.k8s.io/StorageClass thin-disk at spec.volumeClaimTemplates[0].spec.storageClassName",
		"storage.k8s.io/StorageClass fast at spec.storageClassName",
		"gateway.networking.k8s.io/GatewayClass foo-lb at spec.gatewayClassName",
		"Secret default/redirect-example at spec.listeners[1].tls.certificateRefs[0].name",
		"Service demo/rollout-bluegreen-active at spec.strategy.blueGreen.activeService",
		"Service demo/rollout-bluegreen-preview at spec.strategy.blueGreen.previewService",
		"argoproj.io/AnalysisTemplate demo/random-fail at spec.strategy.canary.steps[1].analysis.templates[0].templateName",
		"argoproj.io/ClusterAnalysisTemplate always-pass at spec.strategy.canary.steps[1].analysis.templates[1].templateName",
		"Service demo/echo-stable at spec.strategy.canary.stableService",
		"Service demo/echo-canary at spec.strategy.canary.canaryService",
		"external-secrets.io/SecretStore shop/secretstore-sample at spec.secretStoreRef.name",
		"gateway.networking.k8s.io/Gateway default/mirror-gateway at spec.parentRefs[0].name",
		"Service default/foo-v1 at spec.rules[0].backendRefs[0].name",
		"Service default/foo-v2 at spec.rules[0].filters[0].requestMirror.backendRef.name",
		"gateway.networking.k8s.io/Gateway default/example-gateway at spec.parentRefs[0].name",
		"Service default/foo-svc at spec.rules[0].backendRefs[0].name",
		"apps/Deployment podinfo/podinfo at spec.scaleTargetRef.name",
		"cert-manager.io/Issuer default/selfsigned-issuer at spec.issuerRef.name",
		"cert-manager.io/Issuer default/selfsigned-issuer at spec.issuerRef.name",
	}
	var got []string
	for _, f := range realObjectFiles {
		got = append(got, realRefs(t, f)...)
	}
	if !slices.Equal(got, want) {
		t.Errorf("real objects:\n%q\nwant:\n%q", got, want)
	}
}

// TestRefsOfFluxAndOthers: each reference the CRDs of Flux (as
// render/internal/validate/fluxcrds holds them), cert-manager and Gateway
// API define, with what breaks; and the ones that need nothing: optional
// values, a reference to another API group's kind, a ServiceAccount
// impersonated in a remote cluster, the TLS Secrets cert-manager makes for
// an annotated Ingress or Gateway, a claim that names no class.
func TestRefsOfFluxAndOthers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ body, want string }{
		{"apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: app, namespace: shop}\nspec:\n  chart:\n    spec:\n      sourceRef: {kind: GitRepository, name: charts, namespace: flux-system}\n  valuesFrom:\n  - {kind: Secret, name: db-values}\n  - {kind: ConfigMap, name: extra, optional: true}\n  kubeConfig:\n    secretRef: {name: edge-kubeconfig}\n  serviceAccountName: remote-sa\n  dependsOn:\n  - name: infra\n  - {name: crds, namespace: kube-system}\n",
			"source.toolkit.fluxcd.io/GitRepository flux-system/charts at spec.chart.spec.sourceRef.name: the HelmRelease finds no chart and stops reconciling: no upgrade, rollback or drift correction\n" +
				"Secret shop/db-values at spec.valuesFrom[0].name: the HelmRelease cannot compose its values and stops reconciling: no upgrade or drift correction\n" +
				"Secret shop/edge-kubeconfig at spec.kubeConfig.secretRef.name: the controller cannot reach the remote cluster the object deploys to, so nothing is applied there\n" +
				"helm.toolkit.fluxcd.io/HelmRelease shop/infra at spec.dependsOn[0].name: the object waits for a dependency that no longer exists and stops reconciling\n" +
				"helm.toolkit.fluxcd.io/HelmRelease kube-system/crds at spec.dependsOn[1].name: the object waits for a dependency that no longer exists and stops reconciling"},
		{"apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: app, namespace: shop}\nspec:\n  chartRef: {kind: HelmChart, name: app}\n  serviceAccountName: deployer\n",
			"source.toolkit.fluxcd.io/HelmChart shop/app at spec.chartRef.name: the HelmRelease finds no chart and stops reconciling: no upgrade, rollback or drift correction\n" +
				"ServiceAccount shop/deployer at spec.serviceAccountName: the controller cannot act as the ServiceAccount, so the object stops reconciling"},
		{"apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: apps, namespace: flux-system}\nspec:\n  sourceRef: {kind: Bucket, name: artifacts}\n  decryption: {provider: sops, secretRef: {name: sops-age}}\n  postBuild:\n    substituteFrom:\n    - {kind: Secret, name: cluster-secrets}\n    - {kind: ConfigMap, name: maybe, optional: true}\n  kubeConfig:\n    configMapRef: {name: eks}\n",
			"source.toolkit.fluxcd.io/Bucket flux-system/artifacts at spec.sourceRef.name: the Kustomization finds no source and stops reconciling: nothing it holds is applied, corrected or pruned\n" +
				"Secret flux-system/sops-age at spec.decryption.secretRef.name: the Kustomization cannot decrypt its SOPS-encrypted files, so it stops applying\n" +
				"Secret flux-system/cluster-secrets at spec.postBuild.substituteFrom[0].name: the Kustomization's post-build substitution fails, so it stops applying\n" +
				"ConfigMap flux-system/eks at spec.kubeConfig.configMapRef.name: the controller cannot reach the remote cluster the object deploys to, so nothing is applied there"},
		{"apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {name: app, namespace: flux-system}\nspec:\n  secretRef: {name: git-auth}\n  proxySecretRef: {name: proxy}\n  verify: {mode: HEAD, secretRef: {name: pgp-keys}}\n",
			"Secret flux-system/git-auth at spec.secretRef.name: " + sourceAuth + "\nSecret flux-system/proxy at spec.proxySecretRef.name: " + sourceAuth + "\nSecret flux-system/pgp-keys at spec.verify.secretRef.name: " + sourceAuth},
		{"apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata: {name: internal, namespace: flux-system}\nspec:\n  certSecretRef: {name: ca}\n",
			"Secret flux-system/ca at spec.certSecretRef.name: " + sourceAuth},
		{"apiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\nmetadata: {name: app, namespace: flux-system}\nspec:\n  serviceAccountName: puller\n",
			"ServiceAccount flux-system/puller at spec.serviceAccountName: " + sourceAuth},
		{"apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmChart\nmetadata: {name: app, namespace: flux-system}\nspec:\n  sourceRef: {kind: HelmRepository, name: internal}\n",
			"source.toolkit.fluxcd.io/HelmRepository flux-system/internal at spec.sourceRef.name: the HelmChart finds no source, so the HelmReleases built from it get no new chart"},
		{"apiVersion: notification.toolkit.fluxcd.io/v1beta3\nkind: Provider\nmetadata: {name: p, namespace: flux-system}\nspec:\n  certSecretRef: {name: ca}\n  proxySecretRef: {name: proxy}\n",
			"Secret flux-system/ca at spec.certSecretRef.name: " + provSecret + "\nSecret flux-system/proxy at spec.proxySecretRef.name: " + provSecret},
		{"apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: c, namespace: shop}\nspec:\n  secretName: c-tls\n  issuerRef: {kind: ClusterIssuer, name: letsencrypt}\n",
			"cert-manager.io/ClusterIssuer letsencrypt at spec.issuerRef.name: cert-manager can neither issue nor renew the certificate, so it expires at the end of its term"},
		{"apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: c, namespace: shop}\nspec:\n  issuerRef: {name: local-ca}\n",
			"cert-manager.io/Issuer shop/local-ca at spec.issuerRef.name: cert-manager can neither issue nor renew the certificate, so it expires at the end of its term"},
		{"apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: i\n  namespace: shop\n  annotations: {cert-manager.io/cluster-issuer: letsencrypt}\nspec:\n  tls: [{hosts: [shop.example], secretName: shop-tls}]\n",
			"cert-manager.io/ClusterIssuer letsencrypt at metadata.annotations.cert-manager.io/cluster-issuer: cert-manager can neither issue nor renew the certificate it makes for the Ingress's TLS, so it expires at the end of its term"},
		{"apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: i\n  namespace: shop\n  annotations: {cert-manager.io/issuer: shop-ca}\nspec:\n  tls: [{secretName: shop-tls}]\n",
			"cert-manager.io/Issuer shop/shop-ca at metadata.annotations.cert-manager.io/issuer: cert-manager can neither issue nor renew the certificate it makes for the Ingress's TLS, so it expires at the end of its term"},
		{"apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r, namespace: shop}\nspec:\n  parentRefs:\n  - {name: envoy, namespace: envoy-gateway-system, sectionName: http}\n  - {group: \"\", kind: Service, name: mesh-svc}\n  rules:\n  - backendRefs:\n    - name: web\n      filters:\n      - type: RequestMirror\n        requestMirror: {backendRef: {name: shadow, namespace: test}}\n",
			"gateway.networking.k8s.io/Gateway envoy-gateway-system/envoy at spec.parentRefs[0].name: the route is attached to no Gateway, so none of its requests reach its backends\n" +
				"Service shop/web at spec.rules[0].backendRefs[0].name: requests the route sends to it fail (its share of them, when the rule splits traffic)\n" +
				"Service test/shadow at spec.rules[0].backendRefs[0].filters[0].requestMirror.backendRef.name: the route no longer mirrors requests to it"},
		{"apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h, namespace: shop}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: StatefulSet, name: db}\n",
			"apps/StatefulSet shop/db at spec.scaleTargetRef.name: the HorizontalPodAutoscaler finds nothing to scale and stops working"},
		{"apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: r, namespace: shop}\nspec:\n  workloadRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  template:\n    spec:\n      serviceAccountName: web\n  strategy:\n    canary:\n      pingPong: {pingService: ping, pongService: pong}\n      analysis:\n        templates: [{templateName: success-rate}]\n",
			"ServiceAccount shop/web at spec.template.spec.serviceAccountName: " + podRefused + "\n" +
				"apps/Deployment shop/web at spec.workloadRef.name: " + rollout + "\n" +
				"Service shop/ping at spec.strategy.canary.pingPong.pingService: " + rollout + "\n" +
				"Service shop/pong at spec.strategy.canary.pingPong.pongService: " + rollout + "\n" +
				"argoproj.io/AnalysisTemplate shop/success-rate at spec.strategy.canary.analysis.templates[0].templateName: " + rollout},
		{"apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata: {name: e, namespace: shop}\nspec:\n  secretStoreRef: {kind: ClusterSecretStore, name: vault-backend-global}\n  data:\n  - secretKey: k\n    remoteRef: {key: a}\n    sourceRef: {storeRef: {name: local}}\n  dataFrom:\n  - sourceRef: {generatorRef: {apiVersion: generators.external-secrets.io/v1alpha1, kind: Password, name: p}}\n",
			"external-secrets.io/ClusterSecretStore vault-backend-global at spec.secretStoreRef.name: " + secretStore + "\n" +
				"external-secrets.io/SecretStore shop/local at spec.data[0].sourceRef.storeRef.name: " + secretStore},
		{"apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: g\n  namespace: shop\n  annotations: {cert-manager.io/cluster-issuer: letsencrypt}\nspec:\n  listeners:\n  - tls: {certificateRefs: [{name: made-by-cert-manager}]}\n",
			"cert-manager.io/ClusterIssuer letsencrypt at metadata.annotations.cert-manager.io/cluster-issuer: cert-manager can neither issue nor renew the certificate it makes for the Gateway's TLS, so it expires at the end of its term"},
		// Nothing needed.
		{"apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: app, namespace: shop}\nspec:\n  chartRef: {apiVersion: example.com/v1, kind: OCIRepository, name: other}\n  kubeConfig: {secretRef: {name: ''}}\n  serviceAccountName: in-the-remote-cluster\n", ""},
		{"apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: k, namespace: flux-system}\nspec:\n  sourceRef: {kind: HelmRepository, name: not-a-kustomization-source}\n  serviceAccountName: default\n", ""},
		{"apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: c, namespace: shop}\nspec:\n  issuerRef: {group: awspca.cert-manager.io, kind: AWSPCAClusterIssuer, name: pca}\n", ""},
		{"apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: i\n  namespace: shop\n  annotations: {kubernetes.io/tls-acme: \"true\"}\nspec:\n  tls: [{secretName: acme-tls}]\n", ""},
		{"apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: g\n  namespace: shop\n  annotations: {cert-manager.io/issuer-group: example.com, cert-manager.io/issuer: x}\nspec:\n  listeners:\n  - tls: {certificateRefs: [{name: made-by-cert-manager}]}\n", ""},
		{"apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: c, namespace: shop}\nspec:\n  storageClassName: \"\"\n", ""},
		{"apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h, namespace: shop}\nspec:\n  scaleTargetRef: {apiVersion: argoproj.io/v1alpha1, kind: Rollout, name: r}\n", ""},
	} {
		var lines []string
		for _, r := range of(t, tc.body) {
			lines = append(lines, short([]Ref{r})[0]+": "+r.Effect)
		}
		if got := strings.Join(lines, "\n"); got != tc.want {
			t.Errorf("%s:\n%s\nwant:\n%s", tc.body, got, tc.want)
		}
	}
}

// TestKeyOfClusterScopedKinds: kiln's tree may hold a ClusterIssuer with
// the namespace kustomize gave it; it is still the one a Certificate's
// issuerRef names.
func TestKeyOfClusterScopedKinds(t *testing.T) {
	t.Parallel()
	refs := of(t, "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: c, namespace: shop}\nspec:\n  issuerRef: {kind: ClusterIssuer, name: letsencrypt}\n")
	if len(refs) != 1 || refs[0].Key() != Key("cert-manager.io", "ClusterIssuer", "configs", "letsencrypt") {
		t.Errorf("%q: not the ClusterIssuer of namespace configs", refs)
	}
	if Key("cert-manager.io", "Issuer", "configs", "ca") == Key("cert-manager.io", "Issuer", "", "ca") {
		t.Error("an Issuer's namespace is left out")
	}
}

// TestFluxFieldsAreTheCRDs': every field Of reads in a Flux object is one
// the CRDs kiln validates Flux objects against define (their storage
// versions, render/internal/validate/fluxcrds), with its name beside it,
// so that a reference is never looked for where Flux does not keep it.
func TestFluxFieldsAreTheCRDs(t *testing.T) {
	t.Parallel()
	crd := func(file string) *kyaml.Node {
		t.Helper()
		data, err := os.ReadFile("../../render/internal/validate/fluxcrds/" + file)
		if err != nil {
			t.Fatal(err)
		}
		n := parse(t, string(data))
		for _, v := range items(lookup(n, "spec"), "versions") {
			if scalar(v, "storage") == "true" {
				return lookup(v, "schema", "openAPIV3Schema")
			}
		}
		t.Fatalf("%s: no storage version", file)
		return nil
	}
	// has reports whether the schema defines the field path (indices
	// dropped: items of a list).
	has := func(schema *kyaml.Node, field string) bool {
		for _, part := range strings.Split(field, ".") {
			name, list := strings.CutSuffix(part, "]")
			if list {
				name = name[:strings.Index(name, "[")]
			}
			schema = lookup(schema, "properties", name)
			if schema == nil {
				return false
			}
			if list {
				schema = lookup(schema, "items")
			}
		}
		return schema != nil
	}
	for _, tc := range []struct{ file, body string }{
		{"kustomize.toolkit.fluxcd.io_kustomizations.yaml", "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: k, namespace: ns}\nspec:\n  sourceRef: {kind: GitRepository, name: s}\n  decryption: {secretRef: {name: d}}\n  postBuild:\n    substituteFrom: [{kind: Secret, name: v}]\n  dependsOn: [{name: other}]\n  kubeConfig: {secretRef: {name: kc}, configMapRef: {name: kcm}}\n"},
		{"kustomize.toolkit.fluxcd.io_kustomizations.yaml", "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: k, namespace: ns}\nspec:\n  serviceAccountName: sa\n"},
		{"helm.toolkit.fluxcd.io_helmreleases.yaml", "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: h, namespace: ns}\nspec:\n  chart: {spec: {sourceRef: {kind: HelmRepository, name: r}}}\n  chartRef: {kind: OCIRepository, name: o}\n  valuesFrom: [{kind: ConfigMap, name: v}]\n  dependsOn: [{name: other}]\n  kubeConfig: {secretRef: {name: kc}, configMapRef: {name: kcm}}\n"},
		{"helm.toolkit.fluxcd.io_helmreleases.yaml", "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: h, namespace: ns}\nspec:\n  serviceAccountName: sa\n"},
		{"source.toolkit.fluxcd.io_gitrepositories.yaml", "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {name: g, namespace: ns}\nspec:\n  secretRef: {name: a}\n  proxySecretRef: {name: b}\n  verify: {secretRef: {name: c}}\n"},
		{"source.toolkit.fluxcd.io_ocirepositories.yaml", "apiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\nmetadata: {name: o, namespace: ns}\nspec:\n  secretRef: {name: a}\n  certSecretRef: {name: b}\n  proxySecretRef: {name: c}\n  verify: {secretRef: {name: d}}\n  serviceAccountName: sa\n"},
		{"source.toolkit.fluxcd.io_buckets.yaml", "apiVersion: source.toolkit.fluxcd.io/v1\nkind: Bucket\nmetadata: {name: b, namespace: ns}\nspec:\n  secretRef: {name: a}\n  certSecretRef: {name: b}\n  proxySecretRef: {name: c}\n  sts: {secretRef: {name: d}, certSecretRef: {name: e}}\n"},
		{"source.toolkit.fluxcd.io_helmrepositories.yaml", "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata: {name: r, namespace: ns}\nspec:\n  secretRef: {name: a}\n  certSecretRef: {name: b}\n"},
		{"source.toolkit.fluxcd.io_helmcharts.yaml", "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmChart\nmetadata: {name: c, namespace: ns}\nspec:\n  sourceRef: {kind: HelmRepository, name: r}\n  verify: {secretRef: {name: d}}\n"},
		{"notification.toolkit.fluxcd.io_alerts.yaml", "apiVersion: notification.toolkit.fluxcd.io/v1beta3\nkind: Alert\nmetadata: {name: a, namespace: ns}\nspec:\n  providerRef: {name: p}\n"},
		{"notification.toolkit.fluxcd.io_providers.yaml", "apiVersion: notification.toolkit.fluxcd.io/v1beta3\nkind: Provider\nmetadata: {name: p, namespace: ns}\nspec:\n  secretRef: {name: a}\n  certSecretRef: {name: b}\n  proxySecretRef: {name: c}\n"},
		{"notification.toolkit.fluxcd.io_receivers.yaml", "apiVersion: notification.toolkit.fluxcd.io/v1\nkind: Receiver\nmetadata: {name: r, namespace: ns}\nspec:\n  secretRef: {name: a}\n"},
	} {
		schema := crd(tc.file)
		refs := of(t, tc.body)
		// Every name the body gives is one Of finds: none of its fields
		// is left out.
		if want := strings.Count(strings.ToLower(tc.body), "name: ") - 1; len(refs) != want {
			t.Errorf("%s: %d references, want %d: %q", tc.file, len(refs), want, short(refs))
		}
		for _, r := range refs {
			if !has(schema, r.Field) {
				t.Errorf("%s: %s is not in the CRD", tc.file, r.Field)
			}
		}
	}
}

// TestRefsOfRealControllerObjects: the examples of Flagger's, KEDA's,
// Flux image automation's, cert-manager's and External Secrets' own
// documentation and samples (testdata/README.md says where from), and
// kube-prometheus' Prometheus and Alertmanager, each naming what its
// controller looks up. A ClusterIssuer's Secrets are in
// cert-manager's namespace and a ClusterTriggerAuthentication's in KEDA's
// whatever namespace kustomize gave the object; an ACME account's key
// (privateKeySecretRef) is cert-manager's to make, so not needed.
func TestRefsOfRealControllerObjects(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file, ns string
		want     []string
	}{
		{"flagger/nginx-progressive-delivery_canary.yaml", "", []string{
			"apps/Deployment test/podinfo at spec.targetRef.name",
			"autoscaling/HorizontalPodAutoscaler test/podinfo at spec.autoscalerRef.name",
			"networking.k8s.io/Ingress test/podinfo at spec.ingressRef.name",
			"flagger.app/MetricTemplate test/latency at spec.analysis.metrics[1].templateRef.name",
			"flagger.app/AlertProvider flagger/on-call at spec.analysis.alerts[0].providerRef.name",
			"flagger.app/AlertProvider test/qa-discord at spec.analysis.alerts[1].providerRef.name",
			"flagger.app/AlertProvider test/dev-msteams at spec.analysis.alerts[2].providerRef.name",
		}},
		{"flagger/keda-scaledobject.yaml", "", []string{
			"apps/Deployment test/podinfo at spec.scaleTargetRef.name",
			"apps/Deployment test/podinfo at spec.targetRef.name",
			"keda.sh/ScaledObject test/podinfo-so at spec.autoscalerRef.name",
		}},
		{"keda/keda_v1alpha1_scaledobject.yaml", "default", []string{"apps/Deployment default/example-deployment at spec.scaleTargetRef.name"}},
		{"keda/keda_v1alpha1_scaledjob.yaml", "default", nil},
		{"keda/keda_v1alpha1_triggerauthentication.yaml", "default", []string{"Secret default/example-secret-name at spec.secretTargetRef[0].name"}},
		{"keda/keda_v1alpha1_clustertriggerauthentication.yaml", "configs", []string{"Secret keda/example-secret-name at spec.secretTargetRef[0].name"}},
		{"image-reflector-controller/image_v1_imagepolicy.yaml", "", []string{"image.toolkit.fluxcd.io/ImageRepository flux-system/podinfo at spec.imageRepositoryRef.name"}},
		{"image-reflector-controller/image_v1_imagerepository.yaml", "", nil},
		{"image-automation-controller/image_v1_imageupdateautomation.yaml", "flux-system", []string{
			"source.toolkit.fluxcd.io/GitRepository flux-system/sample-repo at spec.sourceRef.name",
			"Secret flux-system/git-pgp at spec.git.commit.signingKey.secretRef.name",
		}},
		{"cert-manager/configuration_ca.yaml", "", []string{"Secret sandbox/ca-key-pair at spec.ca.secretName"}},
		{"cert-manager/configuration_acme_dns01_cloudflare.yaml", "default", []string{"Secret default/cloudflare-api-token-secret at spec.acme.solvers[0].dns01.cloudflare.apiTokenSecretRef.name"}},
		{"cert-manager/configuration_acme_dns01_route53.yaml", "configs", []string{
			"Secret cert-manager/prod-route53-credentials-secret at spec.acme.solvers[0].dns01.route53.accessKeyIDSecretRef.name",
			"Secret cert-manager/prod-route53-credentials-secret at spec.acme.solvers[0].dns01.route53.secretAccessKeySecretRef.name",
		}},
		{"cert-manager/configuration_vault.yaml", "", []string{"Secret sandbox/cert-manager-vault-approle at spec.vault.auth.appRole.secretRef.name"}},
		{"cert-manager/tutorials_acme_example_production-issuer.yaml", "default", nil},
		{"external-secrets/aws-sm-store.yaml", "shop", []string{
			"Secret shop/awssm-secret at spec.provider.aws.auth.secretRef.accessKeyIDSecretRef.name",
			"Secret shop/awssm-secret at spec.provider.aws.auth.secretRef.secretAccessKeySecretRef.name",
		}},
		{"external-secrets/vault-approle-store.yaml", "", []string{"Secret example/my-secret at spec.provider.vault.auth.appRole.secretRef.name"}},
		{"external-secrets/gcpsm-sa-secret-store.yaml", "", []string{"Secret demo/gcp-sa-secret at spec.provider.gcpsm.auth.secretRef.secretAccessKeySecretRef.name"}},
		{"external-secrets/azkv-secret-store-spn-secret.yaml", "shop", []string{
			"Secret shop/azure-secret-sp at spec.provider.azurekv.authSecretRef.clientId.name",
			"Secret shop/azure-secret-sp at spec.provider.azurekv.authSecretRef.clientSecret.name",
		}},
		{"external-secrets/gitops_crs_clusterSecretStore.yaml", "configs", []string{"Secret external-secrets/vault-token-global at spec.provider.vault.auth.tokenSecretRef.name"}},
		{"../../../testdata/manifests/kube-prometheus/prometheus-prometheus.yaml", "", []string{
			"ServiceAccount monitoring/prometheus-k8s at spec.serviceAccountName",
			"Service monitoring/alertmanager-main at spec.alerting.alertmanagers[0].name",
		}},
		{"../../../testdata/manifests/kube-prometheus/alertmanager-alertmanager.yaml", "", []string{"ServiceAccount monitoring/alertmanager-main at spec.serviceAccountName"}},
	} {
		if got := realRefs(t, struct{ file, ns string }{tc.file, tc.ns}); !slices.Equal(got, tc.want) {
			t.Errorf("%s:\n%q\nwant:\n%q", tc.file, got, tc.want)
		}
	}
}

// TestRefsOfControllerObjects: the other fields and kinds of
// TestRefsOfRealControllerObjects' controllers, what breaks without each,
// and the references that name nothing to look for.
func TestRefsOfControllerObjects(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ body, want string }{
		{"apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: s, namespace: shop}\nspec:\n  scaleTargetRef: {kind: StatefulSet, name: db}\n  triggers:\n  - {type: rabbitmq, authenticationRef: {name: rabbit}}\n  - {type: aws-sqs-queue, authenticationRef: {kind: ClusterTriggerAuthentication, name: aws}}\n  - {type: cpu}\n",
			"apps/StatefulSet shop/db at spec.scaleTargetRef.name: " + kedaTarget + "\n" +
				"keda.sh/TriggerAuthentication shop/rabbit at spec.triggers[0].authenticationRef.name: " + kedaAuth + "\n" +
				"keda.sh/ClusterTriggerAuthentication aws at spec.triggers[1].authenticationRef.name: " + kedaAuth},
		{"apiVersion: keda.sh/v1alpha1\nkind: ScaledJob\nmetadata: {name: j, namespace: shop}\nspec:\n  jobTargetRef:\n    template:\n      spec:\n        containers: [{name: c, envFrom: [{secretRef: {name: queue}}]}]\n  triggers:\n  - {type: rabbitmq, authenticationRef: {name: rabbit}}\n",
			"Secret shop/queue at spec.jobTargetRef.template.spec.containers[0].envFrom[0].secretRef.name: " + podStart + "\n" +
				"keda.sh/TriggerAuthentication shop/rabbit at spec.triggers[0].authenticationRef.name: " + kedaAuth},
		{"apiVersion: keda.sh/v1alpha1\nkind: TriggerAuthentication\nmetadata: {name: t, namespace: shop}\nspec:\n  configMapTargetRef: [{parameter: host, name: settings, key: host}]\n",
			"ConfigMap shop/settings at spec.configMapTargetRef[0].name: " + kedaSecret},
		{"apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata: {name: r, namespace: flux-system}\nspec:\n  secretRef: {name: regcred}\n  certSecretRef: {name: ca}\n  proxySecretRef: {name: proxy}\n  serviceAccountName: scanner\n",
			"Secret flux-system/regcred at spec.secretRef.name: " + imageRepo + "\nSecret flux-system/ca at spec.certSecretRef.name: " + imageRepo + "\nSecret flux-system/proxy at spec.proxySecretRef.name: " + imageRepo + "\nServiceAccount flux-system/scanner at spec.serviceAccountName: " + imageRepo},
		{"apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata: {name: p, namespace: apps}\nspec:\n  imageRepositoryRef: {name: podinfo, namespace: flux-system}\n",
			"image.toolkit.fluxcd.io/ImageRepository flux-system/podinfo at spec.imageRepositoryRef.name: " + imagePolicy},
		{"apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageUpdateAutomation\nmetadata: {name: a, namespace: apps}\nspec:\n  sourceRef: {name: fleet, namespace: flux-system}\n",
			"source.toolkit.fluxcd.io/GitRepository flux-system/fleet at spec.sourceRef.name: " + imageSource},
		{"apiVersion: flagger.app/v1beta1\nkind: MetricTemplate\nmetadata: {name: m, namespace: shop}\nspec:\n  provider: {type: datadog, secretRef: {name: datadog}}\n",
			"Secret shop/datadog at spec.provider.secretRef.name: " + flaggerCreds},
		{"apiVersion: flagger.app/v1beta1\nkind: AlertProvider\nmetadata: {name: a, namespace: shop}\nspec:\n  type: slack\n  secretRef: {name: slack-url}\n",
			"Secret shop/slack-url at spec.secretRef.name: " + flaggerCreds},
		{"apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata: {name: c, namespace: shop}\nspec:\n  targetRef: {apiVersion: apps/v1, kind: DaemonSet, name: agent}\n",
			"apps/DaemonSet shop/agent at spec.targetRef.name: " + canaryTarget},
		{"apiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata: {name: i, namespace: shop}\nspec:\n  acme:\n    privateKeySecretRef: {name: account}\n    externalAccountBinding: {keyID: k, keySecretRef: {name: eab, key: secret}}\n    solvers:\n    - http01: {ingress: {}}\n    - dns01:\n        webhook: {groupName: acme.example.com, solverName: x, config: {apiKeySecretRef: {name: webhook-own}}}\n",
			"Secret shop/eab at spec.acme.externalAccountBinding.keySecretRef.name: " + issuerAuth},
		{"apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {name: vault}\nspec:\n  vault:\n    caBundleSecretRef: {name: vault-ca, key: ca.crt}\n    auth:\n      kubernetes: {role: r, serviceAccountRef: {name: vault-issuer}}\n",
			"Secret cert-manager/vault-ca at spec.vault.caBundleSecretRef.name: " + issuerAuth + "\nServiceAccount cert-manager/vault-issuer at spec.vault.auth.kubernetes.serviceAccountRef.name: " + issuerAuth},
		{"apiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata: {name: v, namespace: shop}\nspec:\n  venafi:\n    tpp: {url: https://tpp, credentialsRef: {name: tpp-login}}\n",
			"Secret shop/tpp-login at spec.venafi.tpp.credentialsRef.name: " + issuerAuth},
		{"apiVersion: external-secrets.io/v1\nkind: ClusterSecretStore\nmetadata: {name: aws}\nspec:\n  provider:\n    aws:\n      auth:\n        jwt: {serviceAccountRef: {name: eso, namespace: external-secrets}}\n        secretRef:\n          accessKeyIDSecretRef: {name: referent, key: id}\n",
			"ServiceAccount external-secrets/eso at spec.provider.aws.auth.jwt.serviceAccountRef.name: " + storeAuth},
		{"apiVersion: external-secrets.io/v1\nkind: SecretStore\nmetadata: {name: v, namespace: shop}\nspec:\n  provider:\n    vault:\n      caProvider: {type: ConfigMap, name: vault-ca, key: ca.crt}\n      auth: {kubernetes: {role: r, mountPath: kubernetes}}\n",
			"ConfigMap shop/vault-ca at spec.provider.vault.caProvider.name: " + storeAuth},
		{"apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: builder, namespace: ci}\nimagePullSecrets: [{name: regcred}]\n",
			"Secret ci/regcred at imagePullSecrets[0].name: " + saPull},
		{"apiVersion: monitoring.coreos.com/v1\nkind: Prometheus\nmetadata: {name: p, namespace: mon}\nspec:\n  serviceAccountName: default\n  priorityClassName: critical\n  imagePullSecrets: [{name: regcred}]\n  secrets: [etcd-certs, null]\n  configMaps: [ca]\n  additionalScrapeConfigs: {name: extra, key: scrape.yaml}\n  additionalAlertRelabelConfigs: {name: maybe, key: r.yaml, optional: True}\n  alerting:\n    alertmanagers: [{name: am}]\n",
			"scheduling.k8s.io/PriorityClass critical at spec.priorityClassName: " + podRefused + "\n" +
				"Secret mon/regcred at spec.imagePullSecrets[0].name: " + podPull + "\n" +
				"Secret mon/etcd-certs at spec.secrets[0]: " + podStart + "\n" +
				"ConfigMap mon/ca at spec.configMaps[0]: " + podStart + "\n" +
				"Secret mon/extra at spec.additionalScrapeConfigs.name: " + promConfig + "\n" +
				"Service mon/am at spec.alerting.alertmanagers[0].name: " + promAlerts},
		{"apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: g, namespace: shop}\nspec:\n  gatewayClassName: cilium\n",
			"gateway.networking.k8s.io/GatewayClass cilium at spec.gatewayClassName: " + gwClass},
		// Nothing needed: a Knative Service Flagger targets, a custom
		// resource KEDA scales, an ExternalSecret's provider of another
		// kind.
		{"apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata: {name: c, namespace: shop}\nspec:\n  targetRef: {apiVersion: serving.knative.dev/v1, kind: Service, name: web}\n  analysis:\n    metrics: [{name: request-success-rate}]\n", ""},
		{"apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: s, namespace: shop}\nspec:\n  scaleTargetRef: {apiVersion: argoproj.io/v1alpha1, kind: Rollout, name: r}\n", ""},
		{"apiVersion: external-secrets.io/v1\nkind: SecretStore\nmetadata: {name: k, namespace: shop}\nspec:\n  provider:\n    kubernetes: {auth: {token: {bearerToken: {name: t, key: token}}}}\n", ""},
	} {
		var lines []string
		for _, r := range of(t, tc.body) {
			lines = append(lines, short([]Ref{r})[0]+": "+r.Effect)
		}
		if got := strings.Join(lines, "\n"); got != tc.want {
			t.Errorf("%s:\n%s\nwant:\n%s", tc.body, got, tc.want)
		}
	}
}
