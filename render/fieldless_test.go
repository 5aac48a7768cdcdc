package render_test

import (
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/render"
)

// TestFieldlessFieldWarnings: fields inside an object whose schema
// declares none (a hand-written CRD's bare `spec: {type: object}`) are
// taken, as server-side apply takes them, and each is warned about once
// per app, as the API server's pruning drops it.
func TestFieldlessFieldWarnings(t *testing.T) {
	t.Parallel()
	crd := "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: bares.example.com}\nspec:\n  group: example.com\n" +
		"  names: {kind: Bare, plural: bares, singular: bare, listKind: BareList}\n  scope: Namespaced\n  versions:\n  - name: v1\n    served: true\n    storage: true\n" +
		"    schema:\n      openAPIV3Schema:\n        type: object\n        properties:\n          spec: {type: object}\n"
	bare := func(name string) string {
		return "apiVersion: example.com/v1\nkind: Bare\nmetadata:\n  name: " + name + "\nspec:\n  image: nginx\n  replicas: 3\n"
	}
	files := map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\n    mode: push\napps:\n" +
			"  - name: bare\n    namespace: web\n    yaml: apps/bare\n",
		"envs/dev.yaml":      "apps: {}\n",
		"apps/bare/crd.yaml": crd,
		"apps/bare/ns.yaml":  "apiVersion: v1\nkind: Namespace\nmetadata: {name: web}\n",
		"apps/bare/a.yaml":   bare("a"),
		"apps/bare/b.yaml":   bare("b"),
	}
	repo := writeProject(t, files)
	opts := testOptions()
	opts.Images = render.Images{}
	opts.CacheDir = t.TempDir()
	want := []string{
		`apps/bare/a.yaml:6: app bare: Bare/web/a: field "spec.image" is dropped by the API server: example.com/v1 Bare (CRD bares.example.com) declares no fields under "spec", so pruning removes it and Flux applies the object without it (and 1 more field of the app)`,
		`apps/bare/a.yaml:7: app bare: Bare/web/a: field "spec.replicas" is dropped by the API server`,
	}
	// The second run finds the objects clean in the cache: the warnings
	// are the run's, all the same.
	for _, run := range []string{"render", "again"} {
		er := renderAll(t, load(t, repo), opts)[0]
		if er.Err != nil {
			t.Fatal(er.Err)
		}
		var got []string
		for _, w := range er.Warnings {
			if strings.Contains(w.String(), "is dropped by the API server") {
				got = append(got, w.String())
			}
		}
		if len(got) != len(want) {
			t.Fatalf("%s: warnings %q, want %q", run, got, want)
		}
		for i := range want {
			if !strings.HasPrefix(got[i], want[i]) {
				t.Errorf("%s: warning %q, want %q", run, got[i], want[i])
			}
		}
	}
}
