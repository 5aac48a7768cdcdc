package scaffold

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeKarpenter copies the real karpenter excerpt (testdata/charts/
// karpenter) into root with the symlink of its crds/ as the repository
// has it.
func writeKarpenter(t *testing.T, root string) {
	t.Helper()
	if err := os.CopyFS(root, os.DirFS("../../testdata/charts/karpenter")); err != nil {
		t.Fatal(err)
	}
	crds := filepath.Join(root, "charts", "karpenter", "crds")
	if err := os.MkdirAll(crds, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../../pkg/apis/crds/karpenter.sh_nodeoverlays.yaml", filepath.Join(crds, "karpenter.sh_nodeoverlays.yaml")); err != nil {
		t.Fatal(err)
	}
}

// TestScanSkipCRDs: a chart whose crds/ hold only CRDs another app
// renders (karpenter beside karpenter-crd, the documented install) gets
// helm.skipCRDs and depends on that app, as a user would write it; a
// chart with a CRD no other app renders, two charts whose crds/ alone
// hold a CRD, and CRD templates an unindented if may leave out keep
// their crds/.
func TestScanSkipCRDs(t *testing.T) {
	t.Parallel()
	const crd = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.acme.io\n" +
		"spec:\n  group: acme.io\n  names: {kind: Widget, plural: widgets}\n"
	const other = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: gadgets.acme.io\n" +
		"spec:\n  group: acme.io\n  names: {kind: Gadget, plural: gadgets}\n"
	for _, tc := range []struct {
		name  string
		files map[string]string
		real  bool
		skip  map[string][]string // chart app → its dependsOn
	}{
		{name: "karpenter and karpenter-crd, real", real: true, skip: map[string][]string{"karpenter": {"karpenter-crd"}}},
		{
			name: "another CRD only the chart has: kept",
			real: true,
			files: map[string]string{
				"charts/karpenter/crds/gadgets.yaml": other,
			},
		},
		{
			name: "a YAML folder of the CRDs",
			files: map[string]string{
				"charts/web/Chart.yaml":     chart,
				"charts/web/crds/crd.yaml":  crd,
				"crds/widgets.yaml":         crd,
				"crds/gadgets.yaml":         other,
				"charts/web/values.yaml":    "a: 1\n",
				"charts/web/templates/x.md": "not yaml",
			},
			skip: map[string][]string{"web": {"crds"}},
		},
		{
			// strimzi's chart beside its YAML install: alternatives,
			// which own the same Deployment too.
			name: "another install of the same software: kept",
			files: map[string]string{
				"charts/web/Chart.yaml":    chart,
				"charts/web/crds/crd.yaml": crd,
				"install/crds.yaml":        crd,
				"install/deploy.yaml":      "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: web\n",
			},
		},
		{
			name: "a CRD chart with another template: kept",
			files: map[string]string{
				"charts/web/Chart.yaml":                  chart,
				"charts/web/crds/crd.yaml":               crd,
				"charts/web-crds/Chart.yaml":             chart,
				"charts/web-crds/templates/crd.yaml":     crd,
				"charts/web-crds/templates/service.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\n",
			},
		},
		{
			name: "two charts' crds/: both kept",
			files: map[string]string{
				"charts/web/Chart.yaml":    chart,
				"charts/web/crds/crd.yaml": crd,
				"charts/api/Chart.yaml":    chart,
				"charts/api/crds/crd.yaml": crd,
			},
		},
		{
			name: "CRD templates under an unindented if: not counted",
			files: map[string]string{
				"charts/web/Chart.yaml":              chart,
				"charts/web/crds/crd.yaml":           crd,
				"charts/web-crds/Chart.yaml":         chart,
				"charts/web-crds/templates/crd.yaml": "{{- if .Values.crds.enabled }}\n" + crd + "{{- end }}\n",
			},
		},
		{
			name: "CRD templates with actions in values and lines: counted",
			files: map[string]string{
				"charts/web/Chart.yaml":                  chart,
				"charts/web/crds/crd.yaml":               crd,
				"charts/web-crds/Chart.yaml":             chart,
				"charts/web-crds/templates/_helpers.tpl": "{{- define \"x\" }}{{ end }}\n",
				"charts/web-crds/templates/crd.yaml":     strings.Replace(crd, "metadata:\n", "metadata:\n  labels:\n    release: {{ .Release.Name }}\n    {{- with .Values.labels }}\n    {{- toYaml . | nindent 4 }}\n    {{- end }}\n", 1),
			},
			skip: map[string][]string{"web": {"web-crds"}},
		},
		{
			name: "a templated group: not counted",
			files: map[string]string{
				"charts/web/Chart.yaml":              chart,
				"charts/web/crds/crd.yaml":           crd,
				"charts/web-crds/Chart.yaml":         chart,
				"charts/web-crds/templates/crd.yaml": strings.Replace(crd, "group: acme.io", "group: {{ .Values.group }}", 1),
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			if tc.real {
				writeKarpenter(t, root)
			}
			write(t, root, tc.files)
			res, err := Scan(context.Background(), root)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range res.Apps {
				deps, want := tc.skip[a.Name]
				if a.SkipCRDs != want {
					t.Errorf("app %s: SkipCRDs %t, want %t", a.Name, a.SkipCRDs, want)
				}
				if want && !slices.Equal(a.DependsOn, deps) {
					t.Errorf("app %s: dependsOn %v, want %v", a.Name, a.DependsOn, deps)
				}
			}
			noted := slices.ContainsFunc(res.Notes, func(n Note) bool { return strings.Contains(n.Message, "helm.skipCRDs") })
			if noted != (len(tc.skip) > 0) {
				t.Errorf("a note of helm.skipCRDs: %t, want %t: %v", noted, len(tc.skip) > 0, res.Notes)
			}
			if y := string(res.YAML()); strings.Contains(y, "skipCRDs: true") != (len(tc.skip) > 0) {
				t.Errorf("kiln.yaml:\n%s", y)
			}
		})
	}
}
