package helm

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"

	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/templates"
)

func TestCRDFile(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"crds/a.yaml":                     true,
		"crds/a.YML":                      true,
		"crds/a.json":                     true,
		"crds/sub/a.yaml":                 true,
		"charts/sub/crds/a.yaml":          true,
		"charts/sub/charts/x/crds/a.yaml": true,
		"crds/README.md":                  false,
		"crds/":                           false,
		"templates/crds/a.yaml":           false,
		"charts/crds/a.yaml":              false, // a subchart named crds has its own crds/ folder
		"charts/sub/templates/a.yaml":     false,
		"charts/sub-1.0.0.tgz":            false,
		"Chart.yaml":                      false,
	} {
		if got := crdFile(name); got != want {
			t.Errorf("crdFile(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestCRDFilesAreRendered: every CRD Render returns from a chart's crds/
// folders, the subcharts' included, is an object of a file CRDFiles
// returns, node for node, from a chart folder and from its .tgz: what
// warming compiles ahead is what validation then meets.
func TestCRDFilesAreRendered(t *testing.T) {
	t.Parallel()
	root := tempRoot(t)
	dir := filepath.Join(root, "charts", "app")
	crd := func(kind string) string {
		return "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: " + kind + "s.example.com}\n" +
			"spec:\n  group: example.com\n  names: {kind: " + kind + ", plural: " + kind + "s}\n  scope: Namespaced\n" +
			"  versions:\n    - name: v1\n      served: true\n      storage: true\n      schema: {openAPIV3Schema: {type: object}}\n"
	}
	for name, data := range map[string]string{
		"Chart.yaml":                 "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - name: sub\n    version: 0.1.0\n",
		"crds/a.yaml":                crd("A") + "---\n" + crd("B"),
		"crds/README.md":             "not a manifest\n",
		"templates/cm.yaml":          "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n",
		"charts/sub/Chart.yaml":      "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
		"charts/sub/crds/c.yaml":     crd("C"),
		"charts/sub/templates/.keep": "",
	} {
		writeFile(t, filepath.Join(dir, name), data)
	}
	ch, err := loader.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	tgz, err := chartutil.Save(ch, filepath.Join(root, "charts"))
	if err != nil {
		t.Fatal(err)
	}
	e := New(Options{})
	for _, path := range []string{"charts/app", "charts/" + filepath.Base(tgz)} {
		req := &templates.Request{Root: root, App: "web", Namespace: "shop", Path: path, KubeVersion: "1.31.0"}
		res, err := e.Render(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		var rendered, read []string
		for _, o := range res.Objects {
			if o.Node.GetKind() == "CustomResourceDefinition" {
				rendered = append(rendered, o.Node.MustString())
			}
		}
		files := e.CRDFiles(context.Background(), req)
		for _, f := range files {
			objs, err := objects.Parse(f.Data, f.Name, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range objs {
				read = append(read, o.Node.MustString())
			}
		}
		slices.Sort(rendered)
		slices.Sort(read)
		if len(rendered) != 3 {
			t.Errorf("%s: %d CRDs rendered, want 3", path, len(rendered))
		}
		if diff := cmp.Diff(rendered, read); diff != "" {
			t.Errorf("%s: CRDFiles (-rendered +read):\n%s", path, diff)
		}
	}
	if got := e.CRDFiles(context.Background(), &templates.Request{Root: root, Path: "charts/none"}); got != nil {
		t.Errorf("a missing chart has CRD files %v", got)
	}
}
