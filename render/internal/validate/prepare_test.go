package validate

import (
	"sync/atomic"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kiln-gitops/kiln/internal/objects"
)

// TestPrepareFlux: PrepareFlux compiles the Flux CRD and the checkers of
// the version named (each a sync.OnceValue the checks then share), and
// ignores a kind that is no Flux kind; the checks' verdicts stay.
func TestPrepareFlux(t *testing.T) {
	t.Parallel()
	gvk := schema.GroupVersionKind{Group: "kustomize.toolkit.fluxcd.io", Version: "v1", Kind: "Kustomization"}
	s := NewSchemas()
	gk := groupKind{gvk.Group, gvk.Kind}
	compiled := s.flux[gk]
	// Counted atomically: the checks of env.Objects below may call these
	// from two goroutines (compiling ahead, then checking).
	var crds, calls atomic.Int32
	s.flux[gk] = func() *crd { crds.Add(1); return compiled() }
	v := compiled().versions[gvk.Version]
	built := v.checkers
	v.checkers = func() checkers { calls.Add(1); return built() }

	s.PrepareFlux(gvk, schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"})
	if crds.Load() != 1 || calls.Load() != 1 {
		t.Fatalf("PrepareFlux asked for the CRD %d times and its checkers %d times, want 1 and 1", crds.Load(), calls.Load())
	}

	env, err := s.Env("", nil)
	if err != nil {
		t.Fatal(err)
	}
	for doc, want := range map[string]bool{
		"apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: a, namespace: flux-system}\nspec: {interval: 10m, path: ./a, prune: true, sourceRef: {kind: GitRepository, name: r}}\n": true,
		"apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: b, namespace: flux-system}\nspec: {interval: 10m, path: ./b, prune: true}\n":                                            false,
	} {
		objs, err := objects.Parse([]byte(doc), "flux/a.yaml", 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := env.Objects("a", objs); (err == nil) != want {
			t.Errorf("%s: got %v", doc, err)
		}
	}
}
