package render

import (
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kiln-gitops/kiln/render/internal/validate"
)

// TestPrepareChecks: a cold render prepares the Flux CRDs its emitted
// files are checked against (the Kustomization, and the HelmRelease of
// its helm app) while its engines run; a render whose cache remembers
// those files clean prepares none.
func TestPrepareChecks(t *testing.T) {
	var mu sync.Mutex
	var got [][]string
	prepareFlux = func(s *validate.Schemas, gvks ...schema.GroupVersionKind) {
		var kinds []string
		for _, gvk := range gvks {
			kinds = append(kinds, gvk.GroupVersion().String()+" "+gvk.Kind)
		}
		mu.Lock()
		got = append(got, kinds)
		mu.Unlock()
		s.PrepareFlux(gvks...)
	}
	t.Cleanup(func() { prepareFlux = (*validate.Schemas).PrepareFlux })

	root := copyInstavote(t)
	opts := cachedOptions(t)
	renderRoot(t, root, opts)
	mu.Lock()
	cold := got
	got = nil
	mu.Unlock()
	want := []string{"kustomize.toolkit.fluxcd.io/v1 Kustomization", "helm.toolkit.fluxcd.io/v2 HelmRelease"}
	if len(cold) == 0 {
		t.Fatal("the cold render prepared nothing")
	}
	for _, kinds := range cold {
		if !slices.Equal(kinds, want) {
			t.Errorf("the cold render prepared %q, want %q", kinds, want)
		}
	}

	// An app changed: its env is rendered, not reused whole, but the
	// cache remembers the emitted files clean.
	if err := os.WriteFile(filepath.Join(root, "apps/db/extra.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	renderRoot(t, root, opts)
	if len(got) != 0 {
		t.Errorf("a render with a warm cache prepared %q", got)
	}
}
