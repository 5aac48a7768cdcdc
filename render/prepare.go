package render

import (
	helmv2 "github.com/fluxcd/helm-controller/api/v2"
	kustomizev1 "github.com/fluxcd/kustomize-controller/api/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/render/internal/validate"
)

// prepareChecks starts compiling the Flux CRDs that the env's emitted
// files (flux/<app>.yaml, a helm app's high-level/<app>/helmrelease.yaml)
// are checked against, on a goroutine of its own, while the engines run.
// On a cold render kiln otherwise waits for its sandbox worker to start
// and render, then compiles them (the CEL rules above all) before it can
// write: this way the compiling overlaps the wait. It does nothing when
// the render cache holds files found clean before, since those are not
// checked again (emitted.go) and a compile could be wasted.
func (r *Renderer) prepareChecks(res *envconfig.Resolved) {
	if r.clean != nil && len(r.clean.loaded) > 0 && len(res.Secrets) == 0 {
		return
	}
	var gvks []schema.GroupVersionKind
	for _, app := range res.Apps {
		if !r.renders(app.Name) {
			continue
		}
		if gvks == nil {
			gvks = append(gvks, kustomizev1.GroupVersion.WithKind(kustomizev1.KustomizationKind))
		}
		if app.Engine == "helm" {
			gvks = append(gvks, helmv2.GroupVersion.WithKind(helmv2.HelmReleaseKind))
			break
		}
	}
	if gvks != nil {
		// Read now, not on the goroutine: it may outlive the render, and a
		// test that replaces prepareFlux afterwards raced with it.
		prepare := prepareFlux
		go func() {
			// Only a head start: what it compiles is compiled once, and a
			// panic in it (a kiln bug) panics again in the check that needs
			// it, where it is reported (package carry).
			defer func() { _ = recover() }()
			prepare(r.schemas, gvks...)
		}()
	}
}

// prepareFlux is validate's, replaced by tests that watch it.
var prepareFlux = (*validate.Schemas).PrepareFlux
