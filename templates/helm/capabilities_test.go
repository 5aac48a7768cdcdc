package helm

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chartutil"

	"github.com/kiln-gitops/kiln/templates"
)

// TestCapabilitiesAPIVersions renders the apiVersion choices of two real
// charts: traefik's PodDisruptionBudget (traefik-helm-chart 41.3.0,
// traefik/templates/poddisruptionbudget.yaml, Apache-2.0; velero's chart
// and others test the same) and prometheus-adapter's APIService
// (prometheus-community/helm-charts, prometheus-adapter 5.3.0,
// templates/resource-metrics-apiservice.yaml, Apache-2.0). With helm's
// default set (`helm template` without --api-versions) both tests are
// false: traefik rendered policy/v1beta1, which no cluster serves from
// 1.25 and kiln's validation rightly refused, so traefik with
// podDisruptionBudget.enabled could not be shipped; prometheus-adapter
// rendered apiregistration.k8s.io/v1beta1, not served since 1.22. Flux's
// helm-controller, reading a real cluster's discovery, renders the v1
// kinds; so does kiln now.
func TestCapabilitiesAPIVersions(t *testing.T) {
	t.Parallel()
	root := tempRoot(t)
	writeFile(t, filepath.Join(root, "c", "Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\n")
	writeFile(t, filepath.Join(root, "c", "templates", "pdb.yaml"), `{{- if .Capabilities.APIVersions.Has "policy/v1/PodDisruptionBudget" }}
apiVersion: policy/v1
{{- else }}
apiVersion: policy/v1beta1
{{- end }}
kind: PodDisruptionBudget
metadata: {name: traefik}
spec: {maxUnavailable: 1, selector: {matchLabels: {app: traefik}}}
`)
	writeFile(t, filepath.Join(root, "c", "templates", "apiservice.yaml"), `{{- if .Capabilities.APIVersions.Has "apiregistration.k8s.io/v1" }}
apiVersion: apiregistration.k8s.io/v1
{{- else }}
apiVersion: apiregistration.k8s.io/v1beta1
{{- end }}
kind: APIService
metadata: {name: v1beta1.metrics.k8s.io}
spec: {service: {name: prometheus-adapter, namespace: monitoring}, group: metrics.k8s.io, version: v1beta1, groupPriorityMinimum: 100, versionPriority: 100}
`)
	for _, tc := range []struct {
		kube string
		pdb  string
	}{
		{kube: "1.37.0", pdb: "policy/v1"},
		{kube: "1.33.2", pdb: "policy/v1"},
		{kube: "1.21.0", pdb: "policy/v1"},
		// policy/v1 PodDisruptionBudget is served from 1.21.
		{kube: "1.20.15", pdb: "policy/v1beta1"},
	} {
		t.Run(tc.kube, func(t *testing.T) {
			t.Parallel()
			res, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, Path: "c", App: "traefik", Namespace: "ingress", KubeVersion: tc.kube})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, o := range res.Objects {
				var kind, apiVersion string
				for _, line := range strings.Split(o.Node.MustString(), "\n") {
					if k, ok := strings.CutPrefix(line, "kind: "); ok {
						kind = k
					}
					if v, ok := strings.CutPrefix(line, "apiVersion: "); ok {
						apiVersion = v
					}
				}
				got[kind] = apiVersion
			}
			if got["PodDisruptionBudget"] != tc.pdb || got["APIService"] != "apiregistration.k8s.io/v1" {
				t.Errorf("Kubernetes %s: PodDisruptionBudget %s, APIService %s; want %s and apiregistration.k8s.io/v1", tc.kube, got["PodDisruptionBudget"], got["APIService"], tc.pdb)
			}
		})
	}
}

// TestAPIVersionsFor checks the set itself: what a cluster of the version
// lists, what it does not, and that helm's default set is all there.
func TestAPIVersionsFor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		kube      string
		has, lack []string
	}{
		{kube: "1.37.0",
			has: []string{"v1/Pod", "v1/Service", "apps/v1/Deployment", "policy/v1/PodDisruptionBudget",
				"autoscaling/v2/HorizontalPodAutoscaler", "batch/v1/CronJob", "networking.k8s.io/v1/Ingress",
				"apiextensions.k8s.io/v1/CustomResourceDefinition", "resource.k8s.io/v1/ResourceClaim",
				"apiregistration.k8s.io/v1", "apiregistration.k8s.io/v1/APIService"},
			lack: []string{"policy/v1beta1/PodDisruptionBudget", "batch/v1beta1/CronJob", "extensions/v1beta1/Ingress",
				"autoscaling/v2beta2/HorizontalPodAutoscaler",
				// beta and alpha versions a cluster serves only when turned on
				"resource.k8s.io/v1beta1/ResourceClaim", "admissionregistration.k8s.io/v1alpha1/ValidatingAdmissionPolicy",
				// no custom resource, no list, no options
				"monitoring.coreos.com/v1", "v1/PodList", "policy/v1/DeleteOptions"}},
		// MutatingAdmissionPolicy went stable in 1.36 (k8s.io/api's
		// lifecycle data, which kube-apiserver 1.36 agrees with).
		{kube: "1.36.0",
			has:  []string{"admissionregistration.k8s.io/v1/MutatingAdmissionPolicy", "storage.k8s.io/v1/VolumeAttributesClass"},
			lack: []string{"certificates.k8s.io/v1/ClusterTrustBundle", "admissionregistration.k8s.io/v1beta1/MutatingAdmissionPolicy"}},
		{kube: "1.35.4",
			lack: []string{"admissionregistration.k8s.io/v1/MutatingAdmissionPolicy"}},
		// flowcontrol's v1beta3, new in 1.26, is the one new beta
		// kube-apiserver served without being asked to, until 1.32.
		{kube: "1.28.0",
			has:  []string{"flowcontrol.apiserver.k8s.io/v1beta3/FlowSchema", "flowcontrol.apiserver.k8s.io/v1beta2/FlowSchema"},
			lack: []string{"admissionregistration.k8s.io/v1beta1/ValidatingAdmissionPolicy", "flowcontrol.apiserver.k8s.io/v1/FlowSchema"}},
		{kube: "1.32.0",
			lack: []string{"flowcontrol.apiserver.k8s.io/v1beta3/FlowSchema"}},
		{kube: "1.29.0",
			has:  []string{"flowcontrol.apiserver.k8s.io/v1/FlowSchema", "autoscaling/v2/HorizontalPodAutoscaler"},
			lack: []string{"resource.k8s.io/v1/ResourceClaim", "admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy", "policy/v1beta1/PodDisruptionBudget"}},
		{kube: "1.22.0",
			has:  []string{"policy/v1beta1/PodDisruptionBudget", "policy/v1/PodDisruptionBudget", "batch/v1beta1/CronJob"},
			lack: []string{"extensions/v1beta1/Ingress", "networking.k8s.io/v1beta1/Ingress", "autoscaling/v2/HorizontalPodAutoscaler"}},
	} {
		kv, err := chartutil.ParseKubeVersion(tc.kube)
		if err != nil {
			t.Fatal(err)
		}
		vs := apiVersionsFor(kv)
		for _, v := range append(tc.has, chartutil.DefaultVersionSet...) {
			if !vs.Has(v) {
				t.Errorf("Kubernetes %s: APIVersions lacks %s", tc.kube, v)
			}
		}
		for _, v := range tc.lack {
			if vs.Has(v) {
				t.Errorf("Kubernetes %s: APIVersions has %s", tc.kube, v)
			}
		}
	}
}
