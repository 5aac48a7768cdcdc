package sandbox

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/objects"
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

// largeResult is a result like kube-prometheus-stack's CRDs: a few
// objects of tens of thousands of nodes each, nested schema-like mappings
// with long descriptions.
func largeResult(b *testing.B) *templates.Result {
	var sb strings.Builder
	sb.WriteString("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: things.example.com\nspec:\n  properties:\n")
	for i := range 750 {
		fmt.Fprintf(&sb, "    field%d:\n      description: |-\n        Field %d of the thing, described at length as the Prometheus operator's are.\n        A second line.\n      type: object\n      properties:\n", i, i)
		for j := range 5 {
			fmt.Fprintf(&sb, "        sub%d: {type: string, description: \"sub-field %d\", enum: [a, b, c]}\n", j, j)
		}
	}
	res := &templates.Result{}
	for range 4 {
		objs, err := objects.Parse([]byte(sb.String()), "crds/things.yaml", 0)
		if err != nil {
			b.Fatal(err)
		}
		res.Objects = append(res.Objects, objs...)
	}
	return res
}

// BenchmarkWireLarge is the pipe's cost for a large result: the worker's
// encoding and kiln's decoding of it.
func BenchmarkWireLarge(b *testing.B) {
	res := largeResult(b)
	data, err := MarshalResult(res)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("encode", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := MarshalResult(res); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := UnmarshalResult(data); err != nil {
				b.Fatal(err)
			}
		}
	})
}
