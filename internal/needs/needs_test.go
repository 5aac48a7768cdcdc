package needs

import (
	"fmt"
	"os"
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
  envFrom: [{configMapRef: {name: init-env}}, {secretRef: {name: opt, optional: true}}]
containers:
- name: app
  env:
  - {name: X, value: x}
  - {name: P, valueFrom: {secretKeyRef: {name: db, key: password}}}
  - {name: Q, valueFrom: {configMapKeyRef: {name: flags, key: q, optional: true}}}
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
	for _, k := range []struct{ group, kind string }{{"", "ConfigMap"}, {"", "Secret"}, {"", "ServiceAccount"}, {"", "Service"}, {"scheduling.k8s.io", "PriorityClass"}, {"node.k8s.io", "RuntimeClass"}, {"rbac.authorization.k8s.io", "Role"}, {"rbac.authorization.k8s.io", "ClusterRole"}} {
		if !Needed(k.group, k.kind) {
			t.Errorf("%s/%s not needed", k.group, k.kind)
		}
	}
	for _, k := range []struct{ group, kind string }{{"serving.knative.dev", "Service"}, {"", "PersistentVolumeClaim"}, {"apps", "Deployment"}} {
		if Needed(k.group, k.kind) {
			t.Errorf("%s/%s needed", k.group, k.kind)
		}
	}
}
