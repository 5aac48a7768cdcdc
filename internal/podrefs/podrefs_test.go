package podrefs

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
	got := Refs(parse(t, realFile(t, "kube-thanos/thanos-store-statefulSet.yaml")))
	want := []Ref{
		{"ServiceAccount", "thanos-store", "spec.template.spec.serviceAccountName"},
		{"Secret", "thanos-objectstorage", "spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef.name"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("thanos-store:\n%q\nwant:\n%q", got, want)
	}
	grafana := Refs(parse(t, realFile(t, "kube-prometheus/grafana-deployment.yaml")))
	for _, r := range []Ref{
		{"ServiceAccount", "grafana", "spec.template.spec.serviceAccountName"},
		{"Secret", "grafana-datasources", "spec.template.spec.volumes[1].secret.secretName"},
		{"ConfigMap", "grafana-dashboards", "spec.template.spec.volumes[2].configMap.name"},
		{"Secret", "grafana-config", "spec.template.spec.volumes[37].secret.secretName"},
	} {
		if !slices.Contains(grafana, r) {
			t.Errorf("grafana: %q missing from\n%q", r, grafana)
		}
	}
}

// TestRefs: every place a pod template names what it cannot start
// without, for each workload kind; what it can start without (optional
// sources, the default ServiceAccount) and what is not a workload are
// left out.
func TestRefs(t *testing.T) {
	t.Parallel()
	pod := `serviceAccountName: runner
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
	want := func(at string) []Ref {
		return []Ref{
			{"ServiceAccount", "runner", at + ".serviceAccountName"},
			{"Secret", "regcred", at + ".imagePullSecrets[0].name"},
			{"ConfigMap", "settings", at + ".volumes[0].configMap.name"},
			{"Secret", "tls", at + ".volumes[1].secret.secretName"},
			{"ConfigMap", "ca", at + ".volumes[3].projected.sources[0].configMap.name"},
			{"Secret", "token", at + ".volumes[3].projected.sources[1].secret.name"},
			{"ConfigMap", "init-env", at + ".initContainers[0].envFrom[0].configMapRef.name"},
			{"Secret", "app-env", at + ".containers[0].envFrom[0].secretRef.name"},
			{"Secret", "db", at + ".containers[0].env[1].valueFrom.secretKeyRef.name"},
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
		depth := 0
		for _, c := range tc.at {
			if c == '.' {
				depth++
			}
		}
		body := "apiVersion: " + tc.apiVersion + "\nkind: " + tc.kind + "\nmetadata: {name: w}\n" +
			fmt.Sprintf(tc.wrap, indent(pod, 2*(depth+1)))
		if got := Refs(parse(t, body)); !slices.Equal(got, want(tc.at)) {
			t.Errorf("%s:\n%q\nwant:\n%q", tc.kind, got, want(tc.at))
		}
	}
	for _, body := range []string{
		"apiVersion: example.com/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      serviceAccountName: x\n",
		"apiVersion: v1\nkind: ConfigMap\ndata: {serviceAccountName: x}\n",
		"apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      serviceAccountName: default\n      serviceAccount: old\n",
		"apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec: [1]\n",
		"apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      volumes: {a: b}\n      containers: [null, {env: [null, {valueFrom: null}]}]\n      imagePullSecrets: [{name: null}]\n",
	} {
		if got := Refs(parse(t, body)); len(got) != 0 {
			t.Errorf("%s: %q, want none", body, got)
		}
	}
	// The deprecated field counts when serviceAccountName is not set.
	if got := Refs(parse(t, "apiVersion: v1\nkind: Pod\nspec:\n  serviceAccount: old\n")); !slices.Equal(got, []Ref{{"ServiceAccount", "old", "spec.serviceAccount"}}) {
		t.Errorf("deprecated serviceAccount: %q", got)
	}
}
