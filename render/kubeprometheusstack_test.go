package render_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/testenv"
	"github.com/kiln-gitops/kiln/render"
)

// kpsChart is kube-prometheus-stack 88.5.3 as its repository holds it
// (testdata/charts/kube-prometheus-stack/README.md at the repository root says what was left out):
// a real CRD-heavy chart, 83 objects of which 10 CRDs (4.4 MB) and 47
// custom resources checked against them.
const kpsChart = "../testdata/charts/kube-prometheus-stack/kube-prometheus-stack-88.5.3.tgz"

// writeKPS writes a repository whose one app renders kube-prometheus-stack
// with retention as the dev env's value.
func writeKPS(tb testing.TB, retention string) string {
	tb.Helper()
	chart, err := os.ReadFile(kpsChart)
	if err != nil {
		tb.Fatal(err)
	}
	return writeProject(tb, map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\nmanifests:\n  github: acme/manifests\n" +
			"apps:\n  - name: kps\n    namespace: monitoring\n    helm:\n      chart: charts/kube-prometheus-stack.tgz\n",
		// The chart's remote subcharts are not vendored (README.md), so
		// the values turn them off. The admission webhook Jobs'
		// ttlSecondsAfterFinished would have Flux run them again at
		// every reconcile (kiln warns: testdata/errors/job-ttl-rerun), so
		// the values leave it out, as kiln's hint says.
		"envs/dev.yaml": "apps:\n  kps:\n    values:\n" +
			"      kubeStateMetrics: {enabled: false}\n      nodeExporter: {enabled: false}\n      grafana: {enabled: false}\n      windowsMonitoring: {enabled: false}\n" +
			"      prometheusOperator: {admissionWebhooks: {patch: {ttlSecondsAfterFinished: null}}}\n" +
			"      prometheus:\n        prometheusSpec:\n          retention: " + retention + "\n",
		"charts/kube-prometheus-stack.tgz": string(chart),
	})
}

// TestKubePrometheusStack renders and validates a real CRD-heavy chart:
// no false positive on its 83 objects, and a value its Prometheus CRD
// refuses (a pattern) is an error at the chart template and field.
//
// The same renders show the validation results kept across runs: the
// chart's output holds a plaintext Secret, so the render cache never keeps
// its engine result and every run validates the env again. With the
// objects found clean kept in the cache folder, the next run checks only
// its Secrets (never kept) and what changed; its output is that of the
// cold run, its errors those of a run without the cache. (One test,
// because each render of the chart costs seconds under the race detector;
// cache_test.go compares renders with and without the cache on small
// projects.)
func TestKubePrometheusStack(t *testing.T) {
	t.Parallel()
	p := load(t, writeKPS(t, "10d"))
	// The first run finds the cache empty: it renders and checks all, as
	// a run without the cache does (one run less: each render of the
	// chart costs seconds under the race detector).
	cacheDir := t.TempDir()
	want, coldChecks := kpsRun(t, p, cacheDir)
	if coldChecks < int64(len(want.Objects)) {
		t.Errorf("an empty cache: %d objects checked of the %d rendered", coldChecks, len(want.Objects))
	}
	if want.Err != nil {
		t.Fatalf("kube-prometheus-stack refused:\n%v", want.Err)
	}
	// Flux's kustomize build of the folder applies what kiln checked.
	assertFluxBuildSame(t, want)
	if len(want.Warnings) != 0 {
		t.Errorf("warnings: %v", want.Warnings)
	}
	kinds := map[string]int{}
	for _, id := range want.Objects {
		kinds[strings.SplitN(id, "/", 2)[0]]++
	}
	if kinds["CustomResourceDefinition"] != 10 || kinds["PrometheusRule"] < 30 || kinds["Prometheus"] != 1 {
		t.Errorf("objects by kind: %v", kinds)
	}
	secrets := kinds["Secret"]
	if secrets == 0 {
		t.Fatal("the chart renders no Secret: the test would not show the env is validated again")
	}

	second, checked := kpsRun(t, p, cacheDir)
	if second.Cached {
		t.Fatal("the env was reused whole: its validation was not tried")
	}
	if checked != int64(secrets) {
		t.Errorf("a warm run checked %d objects, want its %d Secrets only (cold: %d)", checked, secrets, coldChecks)
	}
	if second.Err != nil {
		t.Fatal(second.Err)
	}
	if d := diffTrees(map[string]map[string][]byte{"dev": want.Files}, map[string]map[string][]byte{"dev": second.Files}); len(d) > 0 {
		t.Errorf("a warm run differs from the cold one: %v", d)
	}

	// One value changed, to one the CRD refuses: the error names the
	// template and the field; with the cache warm, its object is checked
	// again, and its error is the one a render without the cache gives.
	bad := load(t, writeKPS(t, "forever"))
	badCold, _ := kpsRun(t, bad, "")
	if badCold.Err == nil {
		t.Fatal("a retention the Prometheus CRD refuses was accepted")
	}
	got := badCold.Err.Error()
	t.Log(got)
	for _, want := range []string{"templates/prometheus/prometheus.yaml", "Prometheus", `spec.retention`, `"forever"`} {
		if !strings.Contains(got, want) {
			t.Errorf("error does not say %q:\n%s", want, got)
		}
	}
	badWarm, checked := kpsRun(t, bad, cacheDir)
	if badWarm.Err == nil || badWarm.Err.Error() != got {
		t.Errorf("a refused value with the cache warm:\n%v\nwithout the cache:\n%v", badWarm.Err, got)
	}
	if checked <= int64(secrets) || checked >= coldChecks {
		t.Errorf("one object changed: %d checked, want more than the %d Secrets and fewer than %d", checked, secrets, coldChecks)
	}
}

// BenchmarkKubePrometheusStack renders and validates kube-prometheus-stack
// as one env: Helm in a sandbox worker, then the 10 CRDs compiled and the
// 83 objects checked. The Renderer is made once, as for a run's envs.
func BenchmarkKubePrometheusStack(b *testing.B) {
	opts := checkOptions(true)
	opts.RenderCache = "" // the chart rendered and checked each time; its CRDs compiled once
	r, err := render.New(load(b, writeKPS(b, "10d")), opts)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	b.ReportAllocs()
	for b.Loop() {
		results, err := r.Render(context.Background(), nil)
		if err != nil {
			b.Fatal(err)
		}
		if results[0].Err != nil {
			b.Fatal(results[0].Err)
		}
	}
}

// BenchmarkKubePrometheusStackCold is one `kiln render` of the chart: a
// new Renderer each time, so the CRDs are compiled every time.
func BenchmarkKubePrometheusStackCold(b *testing.B) {
	p := load(b, writeKPS(b, "10d"))
	opts := checkOptions(true)
	opts.RenderCache = "" // cold: render and check the chart every time
	b.ReportAllocs()
	defer testenv.ReportCPU(b, testenv.ProcessCPU())
	for b.Loop() {
		r, _ := mustRender(b, p, opts, nil)
		r.Close()
	}
}

// BenchmarkKubePrometheusStackInProcess is the cold render with Helm in
// this process, so that a CPU profile shows the engine's share too.
func BenchmarkKubePrometheusStackInProcess(b *testing.B) {
	p := load(b, writeKPS(b, "10d"))
	opts := checkOptions(true)
	opts.RenderCache = ""
	opts.InProcess = true
	b.ReportAllocs()
	defer testenv.ReportCPU(b, testenv.ProcessCPU())
	for b.Loop() {
		r, _ := mustRender(b, p, opts, nil)
		r.Close()
	}
}
