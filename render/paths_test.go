package render_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/internal/diag"
)

// TestNamedPathOutside: a path of kiln.yaml that a symlink leads out of
// the repository is refused at its entry, saying where it leads, for
// every kind of path an app or validation.crds names (testdata/errors/
// named-paths has the folders and missing files).
func TestNamedPathOutside(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	root := writeProjectIn(t, filepath.Join(base, "repo"), map[string]string{
		"kiln.yaml": `apiVersion: kiln/v1alpha1
kind: Pipeline
environments: [{name: dev}]
manifests: {path: "clusters/{env}"}
validation:
  crds: [out/crd.yaml]
apps:
  - name: web
    namespace: shop
    helm:
      chart: out/chart
      values: [out/values.yaml]
  - name: kust
    namespace: shop
    kustomize: out/k
  - name: net
    namespace: shop
    jsonnet: {file: out/main.jsonnet}
`})
	writeProjectIn(t, filepath.Join(base, "ext"), map[string]string{
		"crd.yaml": "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n", "values.yaml": "a: 1\n",
		"chart/Chart.yaml": "apiVersion: v2\nname: c\nversion: 0.1.0\n", "k/kustomization.yaml": "resources: []\n", "main.jsonnet": "{}\n",
	})
	if err := os.Symlink("../ext", filepath.Join(root, "out")); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range diag.Flatten(renderOne(t, root).Err) {
		got = append(got, strings.SplitN(e.Error(), "\n", 2)[0])
	}
	slices.Sort(got)
	want := []string{
		`kiln.yaml:11: app web: helm.chart "out/chart" leads outside the repository (to ../ext/chart)`,
		`kiln.yaml:12: app web: helm.values "out/values.yaml" leads outside the repository (to ../ext/values.yaml)`,
		`kiln.yaml:15: app kust: kustomize "out/k" leads outside the repository (to ../ext/k)`,
		`kiln.yaml:18: app net: jsonnet.file "out/main.jsonnet" leads outside the repository (to ../ext/main.jsonnet)`,
		`kiln.yaml:6: validation.crds "out/crd.yaml" leads outside the repository (to ../ext/crd.yaml)`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}
