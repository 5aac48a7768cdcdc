//go:build refcheck

package refcheck

import (
	"testing"

	"github.com/kiln-gitops/kiln/internal/testenv"
)

// TestRealSourcesAgainstPrograms does what TestAgainstPrograms does on
// real public sources (testdata/README.md): the podinfo chart with its
// production values and, per env, values that switch on more of its
// templates (HPA, ingress, Redis, ServiceMonitor); podinfo's own Kustomize
// folder; the ingress-nginx chart (admission webhook hook Jobs, a
// DaemonSet or a Deployment with its HPA and PDB, the default backend);
// the external-dns chart (CRDs in crds/, a strict values schema, a
// ServiceMonitor, a credentials Secret, a webhook provider's sidecar);
// the Kibana chart's hook ConfigMap of scripts, whose last line break
// helm template prints; kustomize's own springboot example (a base and
// two overlays: generated ConfigMaps merged and hashed, patches, name
// prefixes); and kube-prometheus-stack with its 10 CRDs (4.4 MB), the
// values kiln's benchmarks use. The example's apps are ours; these are what users
// deploy, and where Helm's and kustomize's corners are.
func TestRealSourcesAgainstPrograms(t *testing.T) {
	root := t.TempDir()
	testenv.CopyTrees(t, root, map[string]string{
		"charts/podinfo":       "../../testdata/charts/podinfo",
		"kustomize/podinfo":    "../../testdata/manifests/podinfo",
		"charts/kps":           "../../testdata/charts/kube-prometheus-stack",
		"kustomize/springboot": "../../testdata/kustomize/springboot",
		"charts/ingress-nginx": "../../testdata/charts/ingress-nginx",
		"charts/external-dns":  "../../testdata/charts/external-dns",
		"charts/kibana":        "../../testdata/charts/kibana-hooks",
		"charts/consul":        "../../testdata/charts/prometheus-consul-exporter",
	})
	files := map[string]string{
		"kiln.yaml": `apiVersion: kiln/v1alpha1
kind: Pipeline
environments:
  - name: dev
  - name: prod
apps:
  - name: podinfo
    namespace: apps
    helm:
      chart: charts/podinfo
      values: [charts/podinfo/values-prod.yaml]
    dependsOn: [kps] # prod's ServiceMonitor needs kube-prometheus-stack's CRD
  - name: podinfo-kustomize
    namespace: kustomized
    kustomize: kustomize/podinfo
  - name: ingress-nginx
    namespace: ingress
    helm:
      chart: charts/ingress-nginx
  - name: external-dns
    namespace: external-dns
    helm:
      chart: charts/external-dns
    dependsOn: [kps] # its ServiceMonitor needs kube-prometheus-stack's CRD
  - name: kibana
    namespace: kibana
    helm:
      chart: charts/kibana
  - name: consul-exporter # its ServiceMonitor only where the cluster serves monitoring.coreos.com/v1: left out, as helm template does
    namespace: monitoring
    helm:
      chart: charts/consul
    dependsOn: [kps]
  - name: springboot-staging
    namespace: staging
    kustomize: kustomize/springboot/overlays/staging
  - name: springboot-production
    namespace: production
    kustomize: kustomize/springboot/overlays/production
  - name: kps
    namespace: monitoring
    helm:
      chart: charts/kps/kube-prometheus-stack-88.5.3.tgz
`,
		"envs/dev.yaml": `apps:
  consul-exporter:
    values:
      rbac: {pspEnabled: false}
      serviceMonitor: {enabled: true}
  external-dns:
    values:
      policy: sync
      provider: {name: aws}
      sources: [service, ingress, crd]
      txtOwnerId: dev
      serviceMonitor: {enabled: true, interval: 30s}
      secretConfiguration: {enabled: true, mountPath: /.aws, data: {credentials: "[default]\nregion = eu-west-1\n"}}
  ingress-nginx:
    values:
      controller:
        replicaCount: 2
        autoscaling: {enabled: true, maxReplicas: 5}
        podDisruptionBudget: {enabled: true}
        metrics: {enabled: true}
        config: {use-forwarded-headers: "true"}
      tcp: {"5432": "db/postgres:5432"}
  podinfo:
    values:
      replicaCount: 2
      hpa: {enabled: true, maxReplicas: 4, cpu: 80}
      ingress:
        enabled: true
        className: nginx
        hosts: [{host: podinfo.dev.example.com, paths: [{path: /, pathType: ImplementationSpecific}]}]
  kps:
    values:
` + kpsValues + `      prometheus: {prometheusSpec: {retention: 10d}}
`,
		"envs/prod.yaml": `apps:
  external-dns:
    values:
      policy: upsert-only
      provider:
        name: webhook
        webhook: {image: {repository: ghcr.io/example/external-dns-webhook, tag: v1.0.0}, env: [{name: API_URL, value: "https://dns.example.com"}]}
      registry: txt
      extraArgs: [--txt-prefix=edns-]
  ingress-nginx:
    values:
      controller:
        kind: DaemonSet
        admissionWebhooks: {enabled: false}
      defaultBackend: {enabled: true}
  podinfo:
    values:
      redis: {enabled: true}
      serviceMonitor: {enabled: true, interval: 30s}
      podDisruptionBudget: {maxUnavailable: 1}
  kps:
    values:
` + kpsValues + `      alertmanager: {enabled: false}
      prometheus: {prometheusSpec: {retention: 30d, replicas: 2}}
`,
	}
	compareProject(t, writeFiles(t, root, files))
}

// kpsValues are kube-prometheus-stack's values in every env: its remote
// subcharts are not vendored (testdata/charts/kube-prometheus-stack), and
// its webhook Jobs' ttlSecondsAfterFinished would draw kiln's rerun warning.
const kpsValues = `      kubeStateMetrics: {enabled: false}
      nodeExporter: {enabled: false}
      grafana: {enabled: false}
      windowsMonitoring: {enabled: false}
      prometheusOperator: {admissionWebhooks: {patch: {ttlSecondsAfterFinished: null}}}
`
