package render_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
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

// TestHighLevelKeepsASymlinkedInputsName: an overlay whose kustomization
// lists monitor.yaml, a symlink to a file beside it (kustomize refuses
// one that leaves the folder), was copied to high-level/ under the target's name
// alone, and the copied kustomization.yaml listed a file the copy did not
// hold. Found by a sweep of the render cache over real repositories. Both
// names are copied now, each with the content the build read.
func TestHighLevelKeepsASymlinkedInputsName(t *testing.T) {
	t.Parallel()
	dir := writeProject(t, map[string]string{
		"kiln.yaml":              "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\nmanifests:\n  github: acme/manifests\napps:\n  - name: web\n    namespace: shop\n    kustomize: web\n",
		"web/kustomization.yaml": "resources: [monitor.yaml]\n",
		"web/zz-target.yaml":     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
	})
	if err := os.Symlink("zz-target.yaml", filepath.Join(dir, "web", "monitor.yaml")); err != nil {
		t.Fatal(err)
	}
	er := renderOne(t, dir)
	if er.Err != nil {
		t.Fatal(er.Err)
	}
	files := er.Files
	for _, name := range []string{"high-level/web/web/kustomization.yaml", "high-level/web/web/monitor.yaml", "high-level/web/web/zz-target.yaml"} {
		if _, ok := files[name]; !ok {
			t.Errorf("%s missing; high-level/ holds %v", name, highLevelNames(files))
		}
	}
	if got := string(files["high-level/web/web/monitor.yaml"]); !strings.Contains(got, "name: a") {
		t.Errorf("high-level/web/web/monitor.yaml = %q, want the target's content", got)
	}
}

func highLevelNames(files map[string][]byte) []string {
	var out []string
	for name := range files {
		if strings.HasPrefix(name, "high-level/") {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}
