package render_test

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestListedCRDsReachHelm: a chart that renders its ServiceMonitor only
// where the cluster serves monitoring.coreos.com/v1 (the guard many charts
// put around their monitoring objects) renders it when kiln.yaml lists the
// real ServiceMonitor CRD under validation.crds (installed by other
// means, as helm-controller would see it in the cluster's discovery), and
// the object is checked against that CRD; without the list it is left out,
// as helm template leaves it out. With the render cache, a CRD file that
// stops serving v1 makes the chart render again without the object: the
// API versions are part of the app's cache key.
func TestListedCRDsReachHelm(t *testing.T) {
	t.Parallel()
	crd, err := os.ReadFile("../testdata/manifests/kube-prometheus/0servicemonitorCustomResourceDefinition.yaml")
	if err != nil {
		t.Fatal(err)
	}
	pipeline := "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\nmanifests:\n  github: acme/manifests\n" +
		"apps:\n  - name: web\n    namespace: apps\n    helm: {chart: charts/web}\n"
	files := map[string]string{
		"charts/web/Chart.yaml":            "apiVersion: v2\nname: web\nversion: 1.0.0\n",
		"charts/web/templates/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {a: '1'}\n",
		"charts/web/templates/monitor.yaml": `{{- if .Capabilities.APIVersions.Has "monitoring.coreos.com/v1/ServiceMonitor" }}
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: web
spec:
  selector: {matchLabels: {app: web}}
  endpoints: [{port: http, interval: 30s}]
{{- end }}
`,
		"crds/servicemonitor.yaml": string(crd),
		"envs/dev.yaml":            "{}\n",
	}
	monitor := "apps/web/servicemonitor_web.yaml"

	files["kiln.yaml"] = pipeline
	trees, _, _ := renderEnvs(t, writeProject(t, files), "", []string{"dev"})
	if _, ok := trees["dev"][monitor]; ok {
		t.Errorf("the ServiceMonitor was rendered with no CRD listed")
	}

	files["kiln.yaml"] = pipeline + "validation:\n  crds: [crds/servicemonitor.yaml]\n"
	root, cache := writeProject(t, files), t.TempDir()
	trees, _, _ = renderEnvs(t, root, cache, []string{"dev"})
	if got := string(trees["dev"][monitor]); !strings.Contains(got, "kind: ServiceMonitor") {
		t.Fatalf("the ServiceMonitor was left out with its CRD listed; files: %v", slices.Sorted(maps.Keys(trees["dev"])))
	}

	unserved := strings.Replace(string(crd), "    served: true\n", "    served: false\n", 1)
	if unserved == string(crd) {
		t.Fatal("the CRD's served: true not found")
	}
	if err := os.WriteFile(filepath.Join(root, "crds", "servicemonitor.yaml"), []byte(unserved), 0o644); err != nil {
		t.Fatal(err)
	}
	trees, cached, _ := renderEnvs(t, root, cache, []string{"dev"})
	if _, ok := trees["dev"][monitor]; ok || cached["web@dev"] {
		t.Errorf("the chart came from the cache (%v) or still renders the ServiceMonitor once its CRD serves no v1", cached["web@dev"])
	}
}
