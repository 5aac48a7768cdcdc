package render_test

import (
	"context"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/render"
)

// TestHighLevelCaseCollision: a kustomize app whose inputs are Deploy.yaml
// and deploy.yaml (a source repository on Linux may hold both) would have
// its high-level/ copies collide in a checkout on macOS or Windows; the
// env fails, naming both paths, instead of writing a tree such a checkout
// cannot hold.
func TestHighLevelCaseCollision(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := loadProject(t, dir, map[string]string{
		"kiln.yaml":              "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\nmanifests:\n  github: acme/manifests\napps:\n  - name: web\n    namespace: shop\n    kustomize: web\n",
		"web/kustomization.yaml": "resources: [Deploy.yaml, deploy.yaml]\n",
		"web/Deploy.yaml":        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
		"web/deploy.yaml":        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n",
	})
	r, err := render.New(p, checkOptions(false))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	results, err := r.Render(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := "output paths high-level/web/web/Deploy.yaml and high-level/web/web/deploy.yaml differ only in case"
	if err := results[0].Err; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v, want %q", err, want)
	}
}
