package render_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/krusty"
	kustypes "sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/render"
)

// sourceIgnored reports whether source-controller leaves the repository
// file p out of the artifact it serves, under its default rules (no
// .sourceignore, no spec.ignore on the source): the patterns of
// github.com/fluxcd/pkg/sourceignore (ExcludeVCS, ExcludeExt, ExcludeCI,
// ExcludeExtra), as artifact/storage.SourceIgnoreFilter applies them. Each
// is a name with no inner slash (or **/name), which gitignore matches at
// any depth; a trailing slash matches folders only.
func sourceIgnored(p string) bool {
	parts := strings.Split(p, "/")
	for _, dir := range parts[:len(parts)-1] {
		switch dir {
		case ".git", ".github", ".circleci":
			return true
		}
	}
	base := parts[len(parts)-1]
	switch base {
	case ".gitignore", ".gitmodules", ".gitattributes",
		".travis.yml", ".gitlab-ci.yml", "appveyor.yml", ".drone.yml", "cloudbuild.yaml", "codeship-services.yml", "codeship-steps.yml",
		".goreleaser.yml", ".sops.yaml", ".flux.yaml":
		return true
	}
	for _, ext := range []string{".jpg", ".jpeg", ".gif", ".png", ".wmv", ".flv", ".tar.gz", ".zip"} {
		if strings.HasSuffix(base, ext) {
			return true
		}
	}
	return false
}

// artifact lays the env's tree out at root in a repository, with flux
// bootstrap's flux-system/ in its flux/ folder (testdata/fluxbootstrap),
// and returns what source-controller serves of it: an in-memory file
// system without the files its default rules ignore.
func artifact(t testing.TB, er *render.EnvResult, root string) filesys.FileSystem {
	t.Helper()
	files := map[string][]byte{}
	for name, data := range er.Files {
		files[path.Join(root, name)] = data
	}
	boot := filepath.Join("testdata", "fluxbootstrap", "flux-system")
	entries, err := os.ReadDir(boot)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(boot, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[path.Join(root, render.BootstrapDir, e.Name())] = bytes.ReplaceAll(data, []byte("{path}"), []byte(path.Join(root, "flux")))
	}
	fs := filesys.MakeFsInMemory()
	for name, data := range files {
		if sourceIgnored(name) {
			continue
		}
		if err := fs.MkdirAll(path.Dir("/" + name)); err != nil {
			t.Fatal(err)
		}
		if err := fs.WriteFile("/"+name, data); err != nil {
			t.Fatal(err)
		}
	}
	return fs
}

// kustomizationIn returns the kustomization file of dir, or "".
func kustomizationIn(fs filesys.FileSystem, dir string) string {
	for _, name := range konfig.RecognizedKustomizationFileNames() {
		if p := path.Join(dir, name); fs.Exists(p) && !fs.IsDir(p) {
			return p
		}
	}
	return ""
}

// fluxGenerate writes, into a folder without a kustomization file, the one
// kustomize-controller generates for it (fluxcd/pkg kustomize
// Generator.findOrGenerateKustomization, v1.35 as kustomize-controller
// v1.9 pins it): every .yaml and .yml file below it, and every subfolder
// holding a kustomization file, as a resource and not descended into.
func fluxGenerate(t testing.TB, fs filesys.FileSystem, dir string) {
	t.Helper()
	if kustomizationIn(fs, dir) != "" {
		return
	}
	var resources []string
	err := fs.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || p == dir {
			return err
		}
		if info.IsDir() {
			if kustomizationIn(fs, p) != "" {
				resources = append(resources, "."+strings.TrimPrefix(p, dir))
				return filepath.SkipDir
			}
			return nil
		}
		if ext := path.Ext(p); ext == ".yaml" || ext == ".yml" {
			resources = append(resources, "."+strings.TrimPrefix(p, dir))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	k := kustypes.Kustomization{TypeMeta: kustypes.TypeMeta{APIVersion: kustypes.KustomizationVersion, Kind: kustypes.KustomizationKind}, Resources: resources}
	if len(resources) == 0 {
		k.Namespace = "_placeholder"
	}
	data, err := yaml.Marshal(k)
	if err != nil {
		t.Fatal(err)
	}
	if err := fs.WriteFile(path.Join(dir, konfig.DefaultKustomizationFileName()), data); err != nil {
		t.Fatal(err)
	}
}

// bootstrapBuild builds the folder dir of the artifact as
// kustomize-controller builds a Kustomization's path (fluxcd/pkg kustomize
// Build: no load restrictions, builtin plugins only) and returns the ids
// of the objects it applies and the Kustomizations among them.
func bootstrapBuild(t testing.TB, fs filesys.FileSystem, dir string) (ids []string, ks []*unstructured.Unstructured, err error) {
	t.Helper()
	fluxGenerate(t, fs, dir)
	opts := krusty.MakeDefaultOptions()
	opts.LoadRestrictions = kustypes.LoadRestrictionsNone
	m, err := krusty.MakeKustomizer(opts).Run(fs, dir)
	if err != nil {
		return nil, nil, err
	}
	for _, res := range m.Resources() {
		u := &unstructured.Unstructured{}
		y, err := res.AsYAML()
		if err != nil {
			return nil, nil, err
		}
		if err := yaml.Unmarshal(y, &u.Object); err != nil {
			return nil, nil, err
		}
		ids = append(ids, idOf(u.Object))
		if u.GetKind() == "Kustomization" && u.GroupVersionKind().Group == "kustomize.toolkit.fluxcd.io" {
			ks = append(ks, u)
		}
	}
	sort.Strings(ids)
	return ids, ks, nil
}

// assertBootstrapApplies holds the env's tree, committed at root of the
// manifests repository next to flux bootstrap's flux-system/, against what
// Flux does with it: the bootstrap Kustomization builds flux/ and applies
// every object of every flux/*.yaml kiln wrote, and Flux's own, and
// nothing else; each of kiln's Kustomizations points at a folder of the
// artifact that holds its app's kustomization.yaml.
func assertBootstrapApplies(t testing.TB, er *render.EnvResult, root string) {
	t.Helper()
	fs := artifact(t, er, root)
	got, ks, err := bootstrapBuild(t, fs, "/"+path.Join(root, "flux"))
	if err != nil {
		t.Errorf("env %s: the bootstrap Kustomization's build of %s/flux fails: %v", er.Env, root, err)
		return
	}
	want := []string{
		"kustomize.toolkit.fluxcd.io/v1 Kustomization flux-system/flux-system",
		"source.toolkit.fluxcd.io/v1 GitRepository flux-system/flux-system",
	}
	for name, data := range er.Files {
		if dir, file := path.Split(name); dir != "flux/" || path.Ext(file) != ".yaml" {
			continue
		}
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
		for {
			var o map[string]any
			if err := dec.Decode(&o); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if o != nil {
				want = append(want, idOf(o))
			}
		}
	}
	sort.Strings(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("env %s: the bootstrap Kustomization applies other objects than kiln's flux/ files and Flux's own (-want +applied):\n%s", er.Env, diff)
	}
	for _, k := range ks {
		p, _, _ := unstructured.NestedString(k.Object, "spec", "path")
		dir := "/" + path.Clean(strings.TrimPrefix(p, "./"))
		if k.GetName() == "flux-system" {
			if dir != "/"+path.Join(root, "flux") {
				t.Errorf("env %s: the bootstrap's path %s", er.Env, p)
			}
			continue
		}
		if kustomizationIn(fs, dir) == "" {
			t.Errorf("env %s: Kustomization %s: spec.path %s is no folder with a kustomization.yaml in the artifact", er.Env, k.GetName(), p)
		}
	}
}

// TestFluxBootstrapApplies commits the example's envs where
// manifests.path puts them and builds each env's flux/ folder as the
// bootstrap Kustomization does.
func TestFluxBootstrapApplies(t *testing.T) {
	t.Parallel()
	results := renderAll(t, load(t, example), testOptions())
	for _, er := range results {
		if er.Err != nil {
			t.Fatalf("env %s: %v", er.Env, er.Err)
		}
		assertBootstrapApplies(t, er, "clusters/"+er.Env)
	}
}

// TestFluxBootstrapAppNames: an app name whose flux/<app>.yaml or
// Kustomization Flux would not apply as kiln wrote it is refused, naming
// the app; the other app of the env shows the tree is fine without it.
func TestFluxBootstrapAppNames(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, flux, app, want string
	}{
		// source-controller leaves every cloudbuild.yaml out of the
		// artifact: the app's Kustomization would never be applied.
		{name: "cloudbuild", app: "cloudbuild", want: `kiln.yaml:9: app cloudbuild: its Flux Kustomization would be flux/cloudbuild.yaml`},
		// flux bootstrap's own Kustomization is flux-system/flux-system:
		// the bootstrap's build of flux/ would hold it twice and fail,
		// and no app of the env would be applied again.
		{name: "flux-system", app: "flux-system", want: `kiln.yaml:9: app flux-system: its Flux Kustomization flux-system/flux-system is the one flux bootstrap writes`},
		{name: "flux-system from flux.name", flux: "{app}-system", app: "flux", want: `kiln.yaml:9: app flux: its Flux Kustomization flux-system/flux-system is the one flux bootstrap writes`},
		// flux/kustomization.yaml would be the kustomization file of
		// the bootstrap's folder: kustomize-controller builds from it
		// instead of generating one over every file of flux/, and it is
		// a Flux Kustomization, not a kustomize one.
		{name: "kustomization", app: "kustomization", want: `kiln.yaml:9: app kustomization: its Flux Kustomization would be flux/kustomization.yaml`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fluxName := "{app}"
			if tc.flux != "" {
				fluxName = tc.flux
			}
			dir := writeProject(t, map[string]string{
				"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\nmanifests:\n  github: acme/manifests\n" +
					"flux: {name: \"" + fluxName + "\"}\napps:\n" +
					"  - name: " + tc.app + "\n    namespace: ns\n    yaml: apps/a\n" +
					"  - name: web\n    namespace: ns\n    yaml: apps/b\n",
				"envs/dev.yaml":  "",
				"apps/a/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
				"apps/b/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n",
			})
			er := renderAll(t, load(t, dir), testOptions())[0]
			if er.Err == nil {
				assertBootstrapApplies(t, er, "clusters/dev")
				t.Fatalf("render succeeded, want an error with %q", tc.want)
			}
			if !strings.Contains(er.Err.Error(), tc.want) {
				t.Fatalf("error %v, want one with %q", er.Err, tc.want)
			}
			if n := len(diag.Flatten(er.Err)); n != 1 {
				t.Errorf("%d errors, want 1: %v", n, er.Err)
			}
		})
	}
}
