package render_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/testenv"
	"github.com/kiln-gitops/kiln/render"
)

// writeFleet writes a repository of n apps across 3 envs, cycling through
// the four engines. Helm apps share one chart and jsonnet apps one library,
// as in a real fleet, so the benchmark also measures the engines' caches.
func writeFleet(tb testing.TB, dir string, n int) {
	tb.Helper()
	files := map[string]string{
		"charts/web/Chart.yaml":  "apiVersion: v2\nname: web\nversion: 1.0.0\n",
		"charts/web/values.yaml": "replicas: 1\nimage: ghcr.io/acme/web:1.0.0\nport: 8080\n",
		"charts/web/templates/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
  labels: {app: {{ .Release.Name }}}
spec:
  replicas: {{ .Values.replicas }}
  selector: {matchLabels: {app: {{ .Release.Name }}}}
  template:
    metadata: {labels: {app: {{ .Release.Name }}}}
    spec:
      containers:
      - name: web
        image: {{ .Values.image }}
        ports: [{containerPort: {{ .Values.port }}}]
`,
		"charts/web/templates/service.yaml": `apiVersion: v1
kind: Service
metadata: {name: {{ .Release.Name }}}
spec:
  selector: {app: {{ .Release.Name }}}
  ports: [{port: 80, targetPort: {{ .Values.port }}}]
`,
		"lib/k.libsonnet": `{
  deployment(name, image, replicas):: {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: {name: name, labels: {app: name}},
    spec: {replicas: replicas, selector: {matchLabels: {app: name}},
      template: {metadata: {labels: {app: name}}, spec: {containers: [{name: name, image: image}]}}},
  },
  service(name):: {apiVersion: 'v1', kind: 'Service', metadata: {name: name}, spec: {selector: {app: name}, ports: [{port: 80}]}},
}
`,
		"bases/web/kustomization.yaml": "resources: [deployment.yaml, service.yaml]\n",
		"bases/web/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: ghcr.io/acme/web:1.0.0}]
`,
		"bases/web/service.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {selector: {app: web}, ports: [{port: 80}]}\n",
	}
	var apps strings.Builder
	for i := range n {
		name := fmt.Sprintf("app%03d", i)
		fmt.Fprintf(&apps, "  - name: %s\n    namespace: ns%d\n", name, i%10)
		switch i % 4 {
		case 0:
			fmt.Fprintf(&apps, "    helm: {chart: charts/web}\n")
		case 1:
			fmt.Fprintf(&apps, "    kustomize: apps/%s/{env}\n", name)
			for _, env := range []string{"dev", "staging", "prod"} {
				files[fmt.Sprintf("apps/%s/%s/kustomization.yaml", name, env)] = fmt.Sprintf(
					"resources: [../../../bases/web]\nnamePrefix: %s-\nlabels: [{pairs: {env: %s}}]\n", name, env)
			}
		case 2:
			fmt.Fprintf(&apps, "    jsonnet: {file: apps/%s/main.jsonnet, jpath: [lib]}\n", name)
			files[fmt.Sprintf("apps/%s/main.jsonnet", name)] = fmt.Sprintf(`local k = import 'k.libsonnet';
function(env, vars, images) {
  deployment: k.deployment('%[1]s', 'ghcr.io/acme/web:1.0.0', if env == 'prod' then 3 else 1),
  service: k.service('%[1]s'),
}
`, name)
		case 3:
			fmt.Fprintf(&apps, "    yaml: apps/%s\n", name)
			files[fmt.Sprintf("apps/%s/deployment.yaml", name)] = fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: %[1]s, labels: {app: %[1]s}}
spec:
  replicas: ${REPLICAS:=1}
  selector: {matchLabels: {app: %[1]s}}
  template:
    metadata: {labels: {app: %[1]s}}
    spec:
      containers: [{name: web, image: ghcr.io/acme/web:1.0.0, env: [{name: LOG_LEVEL, value: "${LOG_LEVEL}"}]}]
`, name)
		}
		if i >= 4 {
			fmt.Fprintf(&apps, "    dependsOn: [app%03d]\n", i-4)
		}
	}
	files["kiln.yaml"] = `apiVersion: kiln/v1alpha1
kind: Pipeline
environments:
  - name: dev
  - name: staging
    promoteFrom: dev
  - name: prod
    promoteFrom: staging
manifests:
  repo: https://github.com/acme/manifests.git
notifications: {secretRef: github-token, commitStatus: true}
apps:
` + apps.String()
	for _, env := range []string{"dev", "staging", "prod"} {
		files["envs/"+env+".yaml"] = "vars:\n  LOG_LEVEL: info\n"
	}
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

// BenchmarkRenderFleet renders 100 apps × 3 envs, the four engines mixed.
func BenchmarkRenderFleet(b *testing.B) {
	_, p := loadFleet(b, 100)
	// sandbox is what kiln does; in-process is the cost without the
	// sandbox workers (Helm and Jsonnet evaluated in this process).
	for _, mode := range []struct {
		name      string
		inProcess bool
	}{{"sandbox", false}, {"in-process", true}} {
		b.Run(mode.name, func(b *testing.B) {
			opts := render.DefaultOptions()
			opts.CacheDir = ""
			opts.RenderCache = "" // a cold render: each iteration renders every app
			opts.Images = render.Images{Refs: []string{"ghcr.io/acme/web:2.0.0"}}
			opts.InProcess = mode.inProcess
			b.ReportAllocs()
			defer testenv.ReportCPU(b, testenv.ProcessCPU())
			for b.Loop() {
				// A new Renderer each time: the cost of a kiln run, caches
				// and worker start-up included.
				r, _ := mustRender(b, p, opts, nil)
				r.Close()
			}
		})
	}
}

// BenchmarkRenderFleetNothingChanged re-renders 100 apps × 3 envs with the
// render cache warm and nothing changed: what each iteration costs is the
// whole-env check (docs/cache.md) and reading each env's entry.
func BenchmarkRenderFleetNothingChanged(b *testing.B) {
	_, p := loadFleet(b, 100)
	opts := fleetOptions(b)
	r, _ := mustRender(b, p, opts, nil)
	r.Close()
	b.ReportAllocs()
	defer testenv.ReportCPU(b, testenv.ProcessCPU())
	for b.Loop() {
		// A new Renderer each time, as each kiln run has.
		r, results := mustRender(b, p, opts, nil)
		r.Close()
		for _, er := range results {
			if !er.Cached {
				b.Fatalf("env %s was not reused whole", er.Env)
			}
		}
	}
}

// BenchmarkRenderFleetMemory renders and writes 1000 apps × 3 envs as kiln
// render does (each env staged as soon as it is rendered, all committed at
// the end), render cache on, and reports the peak of this process's live
// heap (after a collection) and of its heap, garbage included, which with
// the default GOGC is what peak RSS follows. The sandbox workers are other
// processes and not counted.
func BenchmarkRenderFleetMemory(b *testing.B) {
	apps := 1000
	if raceDetector {
		apps = 100 // make test: that it runs, not what it measures
	}
	_, p := loadFleet(b, apps)
	var peakLive, peakHeap uint64
	for b.Loop() {
		out := filepath.Join(b.TempDir(), "rendered")
		opts := fleetOptions(b) // a cold render cache
		var w *render.Output
		var r *render.Renderer
		opts.EnvDone = func(er *render.EnvResult) {
			if er.Err != nil {
				b.Fatalf("env %s: %v", er.Env, er.Err)
			}
			if w == nil {
				var err error
				if w, err = r.OpenOutput(out, render.WriteOptions{}); err != nil {
					b.Fatal(err)
				}
			}
			if err := w.Stage(context.Background(), er); err != nil {
				b.Fatal(err)
			}
			er.Written()
		}
		var err error
		if r, err = render.New(p, opts); err != nil {
			b.Fatal(err)
		}
		live, heap := watchHeap()
		if _, err := r.Render(context.Background(), nil); err != nil {
			b.Fatal(err)
		}
		if err := w.Commit(context.Background()); err != nil {
			b.Fatal(err)
		}
		l, h := live(), heap()
		peakLive, peakHeap = max(peakLive, l), max(peakHeap, h)
		w.Close()
		r.Close()
	}
	b.ReportMetric(float64(peakLive)/(1<<20), "peak-live-MiB")
	b.ReportMetric(float64(peakHeap)/(1<<20), "peak-heap-MiB")
}

// watchHeap samples runtime/metrics every millisecond until stopped: the
// live heap after each collection and the heap's objects, garbage
// included. Each returned function stops the sampling and reports its
// peak.
func watchHeap() (live, heap func() uint64) {
	samples := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/heap/objects:bytes"}}
	stop := make(chan struct{})
	done := make(chan [2]uint64)
	go func() {
		var peak [2]uint64
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(samples)
			peak[0] = max(peak[0], samples[0].Value.Uint64())
			peak[1] = max(peak[1], samples[1].Value.Uint64())
			select {
			case <-stop:
				done <- peak
				return
			case <-t.C:
			}
		}
	}()
	var once sync.Once
	var peak [2]uint64
	get := func() { once.Do(func() { close(stop); peak = <-done }) }
	return func() uint64 { get(); return peak[0] }, func() uint64 { get(); return peak[1] }
}

// loadFleet writes a fleet of n apps (writeFleet) into a temporary folder
// and loads its pipeline.
func loadFleet(b *testing.B, n int) (string, *envconfig.Pipeline) {
	b.Helper()
	dir := b.TempDir()
	writeFleet(b, dir, n)
	p, err := envconfig.Load(filepath.Join(dir, "kiln.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	return dir, p
}

// fleetOptions are the options the fleet benchmarks render with: CI's new
// image, an empty render cache of their own, no chart cache.
func fleetOptions(b *testing.B) render.Options {
	opts := render.DefaultOptions()
	opts.CacheDir = ""
	opts.RenderCache = filepath.Join(b.TempDir(), "renders")
	opts.Images = render.Images{Refs: []string{"ghcr.io/acme/web:2.0.0"}}
	return opts
}

// changeFleetApp rewrites path, a file of one of the fleet's apps, with a
// comment numbered n in place of the one an earlier call added: a change to
// that app and nothing else, different each time.
func changeFleetApp(tb testing.TB, path string, n int) {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	data = append(bytes.SplitN(data, []byte("\n# change"), 2)[0], fmt.Sprintf("\n# change %d\n", n)...)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		tb.Fatal(err)
	}
}
