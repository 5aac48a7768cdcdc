package render_test

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeConsulExporter writes a repository rendering the real
// prometheus-consul-exporter chart (testdata/charts: its ServiceMonitor
// only where the cluster serves monitoring.coreos.com/v1) with values,
// beside app prometheus-crds applying kube-prometheus's ServiceMonitor
// CRD when withCRDApp; extra is added to kiln.yaml.
func writeConsulExporter(t *testing.T, values string, withCRDApp bool, extra string) string {
	t.Helper()
	root := t.TempDir()
	if err := os.CopyFS(filepath.Join(root, "charts", "consul-exporter"), os.DirFS("../testdata/charts/prometheus-consul-exporter")); err != nil {
		t.Fatal(err)
	}
	crd, err := os.ReadFile("../testdata/manifests/kube-prometheus/0servicemonitorCustomResourceDefinition.yaml")
	if err != nil {
		t.Fatal(err)
	}
	apps := "apps:\n  - name: consul-exporter\n    namespace: monitoring\n    helm: {chart: charts/consul-exporter}\n"
	if withCRDApp {
		apps += "    dependsOn: [prometheus-crds]\n  - name: prometheus-crds\n    namespace: monitoring\n    yaml: crds\n"
	}
	return writeProjectIn(t, root, map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nkubeVersion: \"1.34.0\"\nenvironments:\n  - name: dev\nmanifests:\n  github: acme/manifests\n" +
			extra + apps,
		"envs/dev.yaml":            "apps:\n  consul-exporter:\n    values:\n" + values,
		"crds/servicemonitor.yaml": string(crd),
	})
}

// TestCapabilityGapWarned: a chart that renders its ServiceMonitor only
// where the cluster serves monitoring.coreos.com/v1, beside an app whose
// CRD serves it, loses the ServiceMonitor in kiln's render (a cluster
// without other apps' CRDs, as helm template renders), where the
// HelmRelease it replaces had it: a warning at the template names the
// object, the app serving the API and validation.crds. Listed there, the
// ServiceMonitor is rendered and nothing is said; with the value off, or
// without an app serving the API, the chart's test changes nothing and
// nothing is said either.
func TestCapabilityGapWarned(t *testing.T) {
	t.Parallel()
	on := "      rbac: {pspEnabled: false}\n      serviceMonitor: {enabled: true}\n"
	for _, tc := range []struct {
		name    string
		values  string
		crdApp  bool
		extra   string
		warned  bool
		monitor bool
	}{
		{name: "the CRD another app renders", values: on, crdApp: true, warned: true},
		{name: "the CRD listed under validation.crds", values: on, crdApp: true, extra: "validation:\n  crds: [crds/servicemonitor.yaml]\n", monitor: true},
		{name: "the value off", values: "      rbac: {pspEnabled: false}\n", crdApp: true},
		{name: "no app serves the API", values: on},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			er, _ := checkedRun(t, load(t, writeConsulExporter(t, tc.values, tc.crdApp, tc.extra)), checkOptions(false))
			if er.Err != nil {
				t.Fatalf("refused:\n%v", er.Err)
			}
			var gaps []string
			for _, w := range er.Warnings {
				if strings.Contains(w.Msg, "Capabilities") {
					gaps = append(gaps, w.String())
				}
			}
			if tc.warned {
				want := "charts/consul-exporter/templates/servicemonitor.yaml:3: app consul-exporter: ServiceMonitor/consul-exporter-prometheus-consul-exporter: " +
					`its chart tests .Capabilities.APIVersions.Has "monitoring.coreos.com/v1", which the CRDs of app prometheus-crds serve in this env; ` +
					"kiln renders the chart for a cluster without them, as helm template does: it leaves out ServiceMonitor/consul-exporter-prometheus-consul-exporter, " +
					"which helm-controller installs on a cluster that has them\n" +
					"  hint: if the cluster has the CRDs when this app is applied (prometheus-crds in its dependsOn), list their files under validation.crds in kiln.yaml, " +
					"and kiln renders the chart for a cluster with them; if not, turn off the chart's value that asks for it"
				if len(gaps) != 1 || gaps[0] != want {
					t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(gaps, "\n"), want)
				}
			} else if len(gaps) > 0 {
				t.Errorf("warned:\n%s", strings.Join(gaps, "\n"))
			}
			got := slices.ContainsFunc(slices.Collect(maps.Values(er.Objects)), func(id string) bool { return strings.HasPrefix(id, "ServiceMonitor/") })
			if got != tc.monitor {
				t.Errorf("a ServiceMonitor rendered: %t, want %t: %v", got, tc.monitor, er.Objects)
			}
		})
	}
}

// TestCapabilityGapWarnedFromCache: a run whose env and engine results
// come from the render cache warns as the first run did (the env entry
// keeps its warnings, the second render of the chart is kept too).
func TestCapabilityGapWarnedFromCache(t *testing.T) {
	t.Parallel()
	p := load(t, writeConsulExporter(t, "      rbac: {pspEnabled: false}\n      serviceMonitor: {enabled: true}\n", true, ""))
	opts := checkOptions(false)
	opts.CacheDir = t.TempDir()
	for run := range 2 {
		r, results := mustRender(t, p, opts, nil)
		r.Close()
		n := 0
		for _, w := range results[0].Warnings {
			if strings.Contains(w.Msg, "Capabilities.APIVersions.Has") {
				n++
			}
		}
		if n != 1 {
			t.Errorf("run %d: %d warnings of the chart's API test, want 1: %v", run+1, n, results[0].Warnings)
		}
	}
}

// TestCapabilityGapRandomValuesSilent: a chart that generates a value
// (a password) renders it otherwise each time; the second render with
// the API served differs in it alone, which says nothing about the API.
func TestCapabilityGapRandomValuesSilent(t *testing.T) {
	t.Parallel()
	root := writeConsulExporter(t, "      rbac: {pspEnabled: false}\n", true, "")
	secret := "apiVersion: v1\nkind: Secret\nmetadata:\n  name: generated\nstringData:\n  password: {{ randAlphaNum 24 | quote }}\n"
	if err := os.WriteFile(filepath.Join(root, "charts", "consul-exporter", "templates", "generated.yaml"), []byte(secret), 0o644); err != nil {
		t.Fatal(err)
	}
	er, _ := checkedRun(t, load(t, root), checkOptions(false))
	if er.Err != nil {
		t.Fatalf("refused:\n%v", er.Err)
	}
	for _, w := range er.Warnings {
		if strings.Contains(w.Msg, "Capabilities") {
			t.Errorf("warned: %s", w)
		}
	}
}
