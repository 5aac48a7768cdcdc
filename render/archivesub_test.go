package render_test

import (
	"strings"
	"testing"
)

// TestArchiveSubchartCheckNamed: a check of an object from a subchart
// vendored as a .tgz (helm dependency build) names the archive and the
// template's entry in it, a file the user can open, not the folder helm
// names the template by, which only the archive has.
func TestArchiveSubchartCheckNamed(t *testing.T) {
	t.Parallel()
	root := writeProject(t, map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nkubeVersion: \"1.33.0\"\nenvironments:\n  - name: dev\nmanifests:\n  github: acme/manifests\n" +
			"apps:\n  - name: web\n    namespace: web\n    helm: {chart: charts/web}\n",
		"charts/web/Chart.yaml":      "apiVersion: v2\nname: web\nversion: 0.1.0\ndependencies:\n  - name: sub\n    version: 0.1.0\n",
		"src/sub/Chart.yaml":         "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
		"src/sub/templates/cm.yaml":  "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: sub\ndata:\n  k: v\n",
		"src/sub/templates/svc.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: sub\nspec:\n  ports:\n    - port: \"http\"\n",
	})
	packChart(t, root, "src/sub", "charts/web/charts/sub-0.1.0.tgz")
	er, _ := checkedRun(t, load(t, root), checkOptions(true))
	if er.Err == nil {
		t.Fatal("render succeeded, want the Service's port refused")
	}
	want := `charts/web/charts/sub-0.1.0.tgz: sub/templates/svc.yaml: app web: Service/web/sub: `
	if got := er.Err.Error(); !strings.Contains(got, want) || strings.Contains(got, "charts/web/charts/sub/") {
		t.Errorf("error %q\nwant it at %q", got, want)
	}
}
