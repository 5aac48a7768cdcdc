package render_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAppKeptObjectOfAKindNowNamespaced: use's Widget has no namespace in
// the earlier tree, because crd's CRD made Widget cluster-scoped then.
// crd's CRD now makes it namespaced, and a full render gives the Widget
// namespace ns. kiln render --app crd keeps use as the earlier tree has
// it: the tree would hold a namespaced object without a namespace, which
// no render writes (SPEC: the app's namespace on every namespaced object
// that has none) and which a promotion of that tree would accept. It must
// be an error naming the kept app, as the shard merge refuses a scope the
// shards did not know.
func TestAppKeptObjectOfAKindNowNamespaced(t *testing.T) {
	t.Parallel()
	crd := func(scope string) string {
		return "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\n" +
			"spec:\n  group: example.com\n  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}\n" +
			"  scope: " + scope + "\n  versions:\n    - name: v1\n      served: true\n      storage: true\n" +
			"      schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}\n"
	}
	dir := writeProject(t, map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\nmanifests:\n  github: acme/manifests\napps:\n" +
			"  - name: crd\n    namespace: ns\n    yaml: apps/crd\n" +
			"  - name: use\n    namespace: ns\n    yaml: apps/use\n    dependsOn: [crd]\n",
		"envs/dev.yaml":        "",
		"apps/crd/crd.yaml":    crd("Cluster"),
		"apps/use/widget.yaml": "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n",
	})
	before := renderAll(t, load(t, dir), testOptions())[0]
	if before.Err != nil {
		t.Fatal(before.Err)
	}
	const widget = "apps/use/widget_w.yaml"
	if got := string(before.Files[widget]); strings.Contains(got, "namespace") {
		t.Fatalf("cluster-scoped Widget got a namespace:\n%s", got)
	}
	if err := os.WriteFile(filepath.Join(dir, "apps/crd/crd.yaml"), []byte(crd("Namespaced")), 0o644); err != nil {
		t.Fatal(err)
	}
	full := renderAll(t, load(t, dir), testOptions())[0]
	if full.Err != nil {
		t.Fatal(full.Err)
	}
	if got := string(full.Files[widget]); !strings.Contains(got, "namespace: ns") {
		t.Fatalf("a full render does not give the namespaced Widget namespace ns:\n%s", got)
	}
	opts := testOptions()
	opts.Apps = []string{"crd"}
	opts.Earlier = func(string) (map[string][]byte, error) { return before.Files, nil }
	er := renderAll(t, load(t, dir), opts)[0]
	if er.Err == nil {
		t.Fatalf("--app crd kept use's Widget without a namespace, though Widget is namespaced now:\n%s", er.Files[widget])
	}
	if msg := er.Err.Error(); !strings.Contains(msg, "app use") || !strings.Contains(msg, "Widget") {
		t.Errorf("error = %v, want one naming app use and its Widget", er.Err)
	}
}
