package sandbox

import (
	"context"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/templates"
)

// benchRequest renders 20 small objects through the echo engine: about
// what one app of a typical chart produces.
var benchRequest = &templates.Request{App: "app", Vars: map[string]string{
	"yaml": strings.Repeat("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: n\n  labels: {app: web, tier: front}\ndata:\n  a: b\n  c: d\n---\n", 19) + "a: b",
}}

// BenchmarkRender is the sandbox's cost per render on a warm worker
// (in-process: the engine itself), and for a worker started anew.
func BenchmarkRender(b *testing.B) {
	b.Run("in-process", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := (echoEngine{}).Render(context.Background(), benchRequest); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("warm-worker", func(b *testing.B) {
		p := New(Options{Workers: 1})
		defer p.Close()
		e := p.Engine("echo", nil)
		if _, err := e.Render(context.Background(), benchRequest); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := e.Render(context.Background(), benchRequest); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("new-worker", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			p := New(Options{Workers: 1})
			if _, err := p.Engine("echo", nil).Render(context.Background(), benchRequest); err != nil {
				b.Fatal(err)
			}
			p.Close()
		}
	})
}

// BenchmarkRenderEncoded is a render whose result is also kept encoded
// (the render cache): encoded again after the pool decoded it, or the
// worker's own bytes handed over (RenderWire).
func BenchmarkRenderEncoded(b *testing.B) {
	p := New(Options{Workers: 1})
	defer p.Close()
	e := p.Engine("echo", nil).(WireEngine)
	if _, err := e.Render(context.Background(), benchRequest); err != nil {
		b.Fatal(err)
	}
	b.Run("marshal-again", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			res, err := e.Render(context.Background(), benchRequest)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := MarshalResult(res); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("wire", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := e.RenderWire(context.Background(), benchRequest); err != nil {
				b.Fatal(err)
			}
		}
	})
}
