//go:build refcheck

package refcheck

import "testing"

// TestListedCRDsAgainstProgram: kiln lists the CRDs of validation.crds in
// .Capabilities.APIVersions (docs/templates.md), so a chart that renders
// its ServiceMonitor only where the cluster serves it renders it. The
// program is given the same --api-versions: without them loki's chart,
// with monitoring.serviceMonitor.enabled and the prometheus-operator CRDs
// listed, differed by its ServiceMonitor and PrometheusRules alone.
func TestListedCRDsAgainstProgram(t *testing.T) {
	crd := openCRD("monitoring.coreos.com", "ServiceMonitor", "servicemonitors")
	files := map[string]string{
		"kiln.yaml": `apiVersion: kiln/v1alpha1
kind: Pipeline
environments:
  - name: dev
validation: {crds: [crds/servicemonitor.yaml]}
apps:
  - name: loki
    namespace: monitoring
    helm: {chart: loki}
`,
		"crds/servicemonitor.yaml": crd,
		"loki/Chart.yaml":          "apiVersion: v2\nname: loki\nversion: 0.1.0\n",
		// As loki's templates/monitoring/servicemonitor.yaml guards it.
		"loki/templates/servicemonitor.yaml": `{{- if $.Capabilities.APIVersions.Has "monitoring.coreos.com/v1/ServiceMonitor" }}
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ .Release.Name }}
spec:
  endpoints: [{port: http-metrics}]
{{- end }}
`,
	}
	compareProject(t, writeFiles(t, t.TempDir(), files))
}
