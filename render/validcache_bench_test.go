package render_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/testenv"
	"github.com/kiln-gitops/kiln/render"
)

// benchRenders runs one kiln render per iteration (a new Renderer) with
// the render cache in cacheDir, before calling each, with the kept
// validation results on or off.
func benchRenders(b *testing.B, p func() *envconfig.Pipeline, opts render.Options, before func()) {
	for _, keep := range []bool{false, true} {
		name := "validation-not-kept"
		if keep {
			name = "validation-kept"
		}
		b.Run(name, func(b *testing.B) {
			defer render.KeepValidation(render.KeepValidation(keep))
			opts := opts
			opts.RenderCache = b.TempDir()
			once := func() {
				r, err := render.New(p(), opts)
				if err != nil {
					b.Fatal(err)
				}
				defer r.Close()
				results, err := r.Render(context.Background(), nil)
				if err != nil {
					b.Fatal(err)
				}
				for _, er := range results {
					if er.Err != nil {
						b.Fatalf("env %s: %v", er.Env, er.Err)
					}
				}
			}
			once() // the cache folder warm
			b.ReportAllocs()
			defer testenv.ReportCPU(b, testenv.ProcessCPU())
			for b.Loop() {
				b.StopTimer()
				if before != nil {
					before()
				}
				b.StartTimer()
				once()
			}
		})
	}
}

// BenchmarkKubePrometheusStackWarm is a second `kiln render` of
// kube-prometheus-stack with the cache folder warm. The chart's output
// holds a Secret, so its engine result is never kept: it renders and is
// validated every run, its objects found clean before now skipped.
func BenchmarkKubePrometheusStackWarm(b *testing.B) {
	p := load(b, writeKPS(b, "10d"))
	benchRenders(b, func() *envconfig.Pipeline { return p }, checkOptions(true), nil)
}

// BenchmarkRenderFleetOneAppChanged is issue 13's "one app changed" on the
// fleet (100 apps × 3 envs): a comment added to one app's file, then a
// render with the cache folder warm; every env holding that app is
// finished afresh.
func BenchmarkRenderFleetOneAppChanged(b *testing.B) {
	dir := b.TempDir()
	writeFleet(b, dir, 100)
	changed, flip := filepath.Join(dir, "apps", "app003", "deployment.yaml"), 0
	if _, err := os.Stat(changed); err != nil {
		b.Fatal(err)
	}
	opts := render.DefaultOptions()
	opts.CacheDir = ""
	opts.Images = render.Images{Refs: []string{"ghcr.io/acme/web:2.0.0"}}
	benchRenders(b, func() *envconfig.Pipeline {
		p, err := envconfig.Load(filepath.Join(dir, "kiln.yaml"))
		if err != nil {
			b.Fatal(err)
		}
		return p
	}, opts, func() {
		flip++
		changeFleetApp(b, changed, flip)
	})
}
