package render_test

import (
	"bytes"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	kustomizev1 "github.com/fluxcd/kustomize-controller/api/v1"
	"github.com/fluxcd/pkg/apis/meta"
	"sigs.k8s.io/yaml"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/golden"
	"github.com/kiln-gitops/kiln/render"
)

// TestBootstrapDependency renders testdata/bootstrap, whose kiln.yaml sets
// flux.bootstrap, and compares each env's tree with
// testdata/golden/bootstrap/<env>: every app's Kustomization depends on
// the env's bootstrap Kustomization, once also where the app lists it
// itself, while the HelmReleases of high-level/ and the notification
// Alerts do not name it. Rendered again without flux.bootstrap, each
// Kustomization's dependsOn is the same but for that one entry.
func TestBootstrapDependency(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("testdata", "bootstrap")
	opts := testOptions()
	opts.Images = render.Images{}
	on := renderAll(t, load(t, dir), opts)
	for _, er := range on {
		if er.Err != nil {
			t.Fatalf("env %s: %v", er.Env, er.Err)
		}
		for _, w := range er.Warnings {
			t.Errorf("env %s: warning %s, want none", er.Env, w.String())
		}
		golden.Tree(t, filepath.Join("testdata", "golden", "bootstrap", er.Env), er.Files, *update)
	}

	file := filepath.Join(dir, "kiln.yaml")
	p := load(t, dir)
	data := golden.ReadTree(t, dir)["kiln.yaml"]
	offData := bytes.Replace(data, []byte("  bootstrap: {name: \"apps-{env}\"}\n"), nil, 1)
	if bytes.Equal(offData, data) {
		t.Fatal("testdata/bootstrap/kiln.yaml has no flux.bootstrap line to take out")
	}
	offP, err := envconfig.Parse(offData, file, p.Root)
	if err != nil {
		t.Fatal(err)
	}
	off := renderAll(t, offP, opts)
	for i, er := range off {
		if er.Err != nil {
			t.Fatalf("env %s without flux.bootstrap: %v", er.Env, er.Err)
		}
		bootstrap := meta.DependencyReference{Name: "apps-" + er.Env}
		for name, offFile := range er.Files {
			if !strings.HasPrefix(name, "flux/") || name == "flux/notifications.yaml" {
				continue
			}
			want := dependsOn(t, offFile)
			if !slices.Contains(want, bootstrap) {
				want = append(want, bootstrap)
			}
			got := dependsOn(t, on[i].Files[name])
			slices.SortFunc(want, func(a, b meta.DependencyReference) int { return strings.Compare(a.Name, b.Name) })
			if !slices.Equal(got, want) {
				t.Errorf("env %s: %s: dependsOn %v with flux.bootstrap, want %v: the one without it and %s", er.Env, name, got, want, bootstrap.Name)
			}
		}
	}
}

// dependsOn returns the spec.dependsOn of the Kustomization in data.
func dependsOn(t *testing.T, data []byte) []meta.DependencyReference {
	t.Helper()
	var k kustomizev1.Kustomization
	if err := yaml.UnmarshalStrict(data, &k); err != nil {
		t.Fatal(err)
	}
	return k.Spec.DependsOn
}
