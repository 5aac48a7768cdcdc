package flux

import (
	"testing"

	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/render/internal/validate"
)

// fluxCRDs are the pinned Flux CRDs (render/internal/validate/fluxcrds),
// compiled once for every test.
var fluxCRDs = validate.NewSchemas()

// crdValid checks every object of a stream kiln writes against the pinned
// Flux CRDs as the API server's create path does: schema, enums,
// patterns, bounds and CEL rules.
func crdValid(t *testing.T, name string, stream []byte) {
	t.Helper()
	objs, err := objects.Parse(stream, name, 0)
	if err != nil {
		t.Fatal(err)
	}
	env, err := fluxCRDs.Env("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Objects("test", objs); err != nil {
		t.Errorf("%s is not valid against the pinned Flux CRDs:\n%v", name, err)
	}
}

// TestCRDValidCatchesFluxMistakes proves crdValid checks enums, patterns
// and CEL, source-watcher's ArtifactGenerator included: the HelmRelease
// kiln once wrote for a chart folder in an OCIRepository
// (chart.spec.sourceRef.kind: OCIRepository) fails it, and so does an
// ArtifactGenerator copying outside its artifact.
func TestCRDValidCatchesFluxMistakes(t *testing.T) {
	t.Parallel()
	for name, bad := range map[string]string{
		"HelmRelease": `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: redis, namespace: instavote}
spec:
  interval: 10m
  chart:
    spec:
      chart: ./charts/redis
      sourceRef: {kind: OCIRepository, name: flux-system, namespace: flux-system}
`,
		"ArtifactGenerator": `apiVersion: source.extensions.fluxcd.io/v1beta1
kind: ArtifactGenerator
metadata: {name: redis, namespace: instavote}
spec:
  sources: [{alias: source, kind: OCIRepository, name: manifests}]
  artifacts:
  - name: redis
    copy: [{from: '@source/charts/redis/**', to: '@artifact/../redis'}]
`,
	} {
		objs, err := objects.Parse([]byte(bad), name+".yaml", 0)
		if err != nil {
			t.Fatal(err)
		}
		env, _ := fluxCRDs.Env("", nil)
		if err := env.Objects("test", objs); err == nil {
			t.Errorf("the invalid %s passed the pinned Flux CRDs", name)
		}
	}
}
