package render_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/kiln-gitops/kiln/render"
)

// BenchmarkRerenderFleet is a re-render of the fleet (100 apps × 3 envs)
// over the tree an earlier render left, against the same render into an
// empty folder, and with one app changed (its file in every env, so every
// env's tree changes). write is the writing alone (Stage and Commit of
// results rendered once); run is New, Render with a warm render cache and
// the writing, what `kiln render` does after its start-up.
func BenchmarkRerenderFleet(b *testing.B) {
	dir, p := loadFleet(b, 100)
	opts := fleetOptions(b)
	changed := filepath.Join(dir, "apps", "app003", "deployment.yaml")
	original, err := os.ReadFile(changed)
	if err != nil {
		b.Fatal(err)
	}
	// variant writes app003's file: 0 as writeFleet wrote it, else with a
	// comment that changes its input digest and so the lock.
	variant := func(n int) {
		data := original
		if n > 0 {
			data = fmt.Appendf(append([]byte(nil), original...), "# change %d\n", n)
		}
		if err := os.WriteFile(changed, data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	renderFleet := func() (*render.Renderer, []*render.EnvResult) { return mustRender(b, p, opts, nil) }
	write := func(r *render.Renderer, out string, results []*render.EnvResult) {
		w, err := r.OpenOutput(out, render.WriteOptions{})
		if err != nil {
			b.Fatal(err)
		}
		for _, er := range results {
			if err := w.Stage(context.Background(), er); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Commit(context.Background()); err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
	// Two renders, app003 as written and changed, which also warm the
	// render cache for both.
	variant(1)
	r1, changedResults := renderFleet()
	r1.Close()
	variant(0)
	r, results := renderFleet()
	defer r.Close()

	cases := []struct {
		name string
		// before runs untimed before each iteration i.
		before func(out string, i int)
	}{
		{"empty", func(out string, _ int) { os.RemoveAll(out) }},
		{"unchanged", nil},
		{"one-app-changed", nil},
	}
	b.Run("write", func(b *testing.B) {
		for _, tc := range cases {
			b.Run(tc.name, func(b *testing.B) {
				out := filepath.Join(b.TempDir(), "rendered")
				write(r, out, results)
				i := 0
				for b.Loop() {
					i++
					if tc.before != nil {
						b.StopTimer()
						tc.before(out, i)
						b.StartTimer()
					}
					rs := results
					if tc.name == "one-app-changed" && i%2 == 1 {
						rs = changedResults
					}
					write(r, out, rs)
				}
			})
		}
	})
	b.Run("run", func(b *testing.B) {
		for _, tc := range cases {
			b.Run(tc.name, func(b *testing.B) {
				out := filepath.Join(b.TempDir(), "rendered")
				write(r, out, results)
				defer variant(0)
				i := 0
				for b.Loop() {
					i++
					b.StopTimer()
					if tc.before != nil {
						tc.before(out, i)
					}
					if tc.name == "one-app-changed" {
						variant(i % 2)
					}
					b.StartTimer()
					r, results := renderFleet()
					write(r, out, results)
					r.Close()
				}
			})
		}
	})
}
