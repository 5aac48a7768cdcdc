package render_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/diag"
)

// TestEmittedFluxObjectsValidated: a Flux object kiln writes that the
// pinned Flux CRDs refuse is an error of the render, naming the app and
// the file, and the env's tree is not produced. An OCIRepository source
// named with a dot is a valid Kubernetes name (and a valid Kustomization
// sourceRef), but source-watcher's ArtifactGenerator, which a chart folder
// in an OCIRepository becomes, takes only DNS labels.
func TestEmittedFluxObjectsValidated(t *testing.T) {
	t.Parallel()
	dir := copyExample(t)
	cfg := filepath.Join(dir, "kiln.yaml")
	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	old := "sourceRef: {kind: GitRepository, name: flux-system}"
	if !strings.Contains(string(data), old) {
		t.Fatal("the example's flux.sourceRef moved")
	}
	writeFile(t, cfg, strings.Replace(string(data), old, "sourceRef: {kind: OCIRepository, name: manifests.v2, originRevision: true}", 1))
	for _, er := range renderAll(t, load(t, dir), testOptions()) {
		if testing.Verbose() {
			t.Log(er.Err)
		}
		if er.Err == nil {
			t.Fatalf("env %s: rendered an ArtifactGenerator its CRD refuses", er.Env)
		}
		if er.Files != nil {
			t.Errorf("env %s: the tree was produced despite the error", er.Env)
		}
		var found bool
		for _, e := range diag.Flatten(er.Err) {
			msg := e.Error()
			if strings.HasPrefix(msg, "high-level/redis/source.yaml:") && strings.Contains(msg, "app redis: ArtifactGenerator/instavote/redis: ") &&
				strings.Contains(msg, `spec.sources[0].name`) && strings.Contains(msg, "hint: kiln wrote this object") {
				found = true
				continue
			}
			t.Errorf("env %s: unexpected error %v", er.Env, e)
		}
		if !found {
			t.Errorf("env %s: no error names high-level/redis/source.yaml:\n%v", er.Env, er.Err)
		}
	}
}
