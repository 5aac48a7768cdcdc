package render

import (
	"context"
	"sync"

	"github.com/kiln-gitops/kiln/internal/limits"
	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/internal/sandbox"
	"github.com/kiln-gitops/kiln/render/internal/validate"
	"github.com/kiln-gitops/kiln/templates"
	"github.com/kiln-gitops/kiln/templates/helm"
)

// warmer compiles a Helm chart's CRDs (its crds/ folders, read here) on a
// goroutine of its own while the chart renders: the engine's render runs
// in a sandbox worker, on one core, and kiln waits for it; validation
// then finds the CRDs compiled instead of compiling them on the critical
// path (a chart like kube-prometheus-stack carries megabytes of CRD
// schemas). It changes no result (validate.Schemas.Warm): the CRDs an env
// has are still only those among its objects.
type warmer struct {
	helm    *helm.Engine
	schemas *validate.Schemas
	mu      sync.Mutex
	started map[[2]string]bool // root and chart path, each warmed once
}

// start warms req's chart's CRDs in the background, once per chart. Only
// an engine that renders calls it: a render taken from the render cache
// needs no warming (an env that is not cached whole may compile the CRDs
// it needs itself).
func (w *warmer) start(ctx context.Context, req *templates.Request) {
	if req.ChartRepo != "" {
		return
	}
	k := [2]string{req.Root, req.Path}
	w.mu.Lock()
	seen := w.started[k]
	w.started[k] = true
	w.mu.Unlock()
	if seen {
		return
	}
	go func() {
		// Speed only: a chart or CRD that fails here fails the render or
		// the validation, which report it.
		defer func() { _ = recover() }()
		var objs []templates.Object
		count := &limits.Counter{Input: req.Path}
		for _, f := range w.helm.CRDFiles(ctx, req) {
			o, err := objects.ParseCounted(f.Data, f.Name, 0, count)
			if err != nil {
				continue
			}
			objs = append(objs, o...)
		}
		w.schemas.Warm(objs)
	}()
}

// warming is the Helm engine with warmer started by each render.
type warming struct {
	templates.Engine
	w *warmer
}

func (e warming) Render(ctx context.Context, req *templates.Request) (*templates.Result, error) {
	e.w.start(ctx, req)
	return e.Engine.Render(ctx, req)
}

// warmingWire is warming for an engine whose results arrive encoded,
// which render's cache keeps as they are (sandbox.WireEngine).
type warmingWire struct {
	warming
	wire sandbox.WireEngine
}

func (e warmingWire) RenderWire(ctx context.Context, req *templates.Request) (*templates.Result, []byte, error) {
	e.w.start(ctx, req)
	return e.wire.RenderWire(ctx, req)
}

// warm wraps the Helm engine eng (h itself, or h run in a sandbox) so that
// its renders warm s.
func warm(eng templates.Engine, h *helm.Engine, s *validate.Schemas) templates.Engine {
	w := warming{Engine: eng, w: &warmer{helm: h, schemas: s, started: map[[2]string]bool{}}}
	if wire, ok := eng.(sandbox.WireEngine); ok {
		return warmingWire{warming: w, wire: wire}
	}
	return w
}
