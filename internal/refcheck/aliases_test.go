//go:build refcheck

package refcheck

import "testing"

// TestAliasedSubchartCRDsAgainstProgram: a subchart held under two aliases
// (Kong's ingress chart holds kong as controller and as gateway) shares its
// crds/ files, which helm template prints once per alias and kiln writes
// once, as helm install creates them (docs/templates.md). The comparison
// counted each such CRD as missing from kiln's output; the subchart's
// templates, rendered once per alias, are still compared each.
func TestAliasedSubchartCRDsAgainstProgram(t *testing.T) {
	crd := openCRD("example.com", "Widget", "widgets") + "---\n" + openCRD("example.com", "Gadget", "gadgets")
	files := map[string]string{
		"kiln.yaml": `apiVersion: kiln/v1alpha1
kind: Pipeline
environments:
  - name: dev
apps:
  - name: ingress
    namespace: kong
    helm: {chart: ingress}
`,
		"ingress/Chart.yaml": `apiVersion: v2
name: ingress
version: 0.1.0
dependencies:
  - {name: kong, version: 1.0.0, alias: controller}
  - {name: kong, version: 1.0.0, alias: gateway}
`,
		"ingress/charts/kong/Chart.yaml":        "apiVersion: v2\nname: kong\nversion: 1.0.0\n",
		"ingress/charts/kong/crds/widgets.yaml": crd,
		"ingress/charts/kong/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-{{ .Chart.Name }}\n",
	}
	compareProject(t, writeFiles(t, t.TempDir(), files))
}
