package jsonnet

import (
	"context"
	"path/filepath"
	"testing"

	et "github.com/kiln-gitops/kiln/templates/internal/enginetest"

	"github.com/kiln-gitops/kiln/templates"
)

// TestDeps: what the engine records is all its output depends on (see
// enginetest.CheckDeps): apps/result imports along the jpath (lib, then
// vendor), relative to itself, through a symlink, and with importstr.
func TestDeps(t *testing.T) {
	t.Parallel()
	util := func(label string) string {
		return "{ labels(name):: { '" + label + "': name } }\n"
	}
	et.CheckDeps(t, et.DepsCase{
		New:  func() templates.Engine { return New(Options{}) },
		Repo: filepath.Join("testdata", "repo"),
		Setup: func(t testing.TB, root string) {
			// vendor/util.libsonnet is a link into shared/.
			et.Write(t, root, "shared/util.libsonnet", et.Read(t, root, "vendor/util.libsonnet"))
			et.Write(t, root, "shared/util2.libsonnet", util("other"))
			et.Symlink(t, root, "vendor/util.libsonnet", "../shared/util.libsonnet")
		},
		Request: templates.Request{App: "result", Namespace: "instavote", Env: "dev", Path: "apps/result/main.jsonnet",
			JPath: []string{"lib", "vendor"}, Vars: testVars, Images: testImages},
		Mutations: []et.Mutation{
			{Name: "main file", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Replace(t, root, "apps/result/main.jsonnet", "ratio: '0.5'", "ratio: '0.6'")
			}},
			{Name: "relative import", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Replace(t, root, "apps/result/config.libsonnet", "8080", "8081")
			}},
			{Name: "importstr", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Write(t, root, "apps/result/nginx.conf", "other\n")
			}},
			{Name: "jpath import", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Replace(t, root, "lib/k.libsonnet", "targetPort: port", "targetPort: port + 1")
			}},
			{Name: "shadowed next to the importer", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Write(t, root, "apps/result/k.libsonnet", et.Read(t, root, "lib/k.libsonnet")+"+ { service(name, port):: {} }\n")
			}},
			{Name: "shadowed earlier in the jpath", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Write(t, root, "lib/util.libsonnet", util("shadow"))
			}},
			{Name: "candidate became a folder", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Write(t, root, "lib/util.libsonnet/x", "")
			}},
			{Name: "link retargeted", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Symlink(t, root, "vendor/util.libsonnet", "../shared/util2.libsonnet")
			}},
			{Name: "linked file changed", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Write(t, root, "shared/util.libsonnet", util("changed"))
			}},
			{Name: "link leads outside", Want: et.Changes, Apply: func(t testing.TB, root string) {
				out := et.Outside(t, root)
				et.Write(t, out, "util.libsonnet", et.Read(t, root, "shared/util.libsonnet"))
				et.Symlink(t, root, "vendor/util.libsonnet", filepath.Join(out, "util.libsonnet"))
			}},
			{Name: "jpath folder is a link", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.CopyTree(t, filepath.Join(root, "lib"), filepath.Join(root, "lib2"))
				et.Replace(t, root, "lib2/k.libsonnet", "targetPort: port", "targetPort: port + 1")
				et.Symlink(t, root, "lib", "lib2")
			}},
			{Name: "import removed", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Remove(t, root, "shared/util.libsonnet")
			}},
			{Name: "main file removed", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Remove(t, root, "apps/result/main.jsonnet")
			}},
			{Name: "shadowed file changed", Want: et.Hit, Apply: func(t testing.TB, root string) {
				et.Write(t, root, "vendor/k.libsonnet", "{}\n")
			}},
			{Name: "file added next to main", Want: et.Hit, Apply: func(t testing.TB, root string) {
				et.Write(t, root, "apps/result/README.md", "notes\n")
			}},
		},
	})
}

// TestCacheable: jsonnet sees the whole vars object, so a render with any
// secret var must not be kept by the cache.
func TestCacheable(t *testing.T) {
	t.Parallel()
	root := copyRepo(t)
	for _, tc := range []struct {
		name   string
		secret map[string]bool
		want   bool
	}{
		{name: "no secret vars", want: true},
		{name: "a secret var", secret: map[string]bool{"DB_HOST": true}, want: false},
	} {
		res, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "result", Env: "dev", Path: "apps/result/main.jsonnet",
			JPath: testJPath, Vars: testVars, Images: testImages, SecretVars: tc.secret})
		if err != nil {
			t.Fatal(err)
		}
		if res.Cacheable != tc.want {
			t.Errorf("%s: Cacheable = %v, want %v", tc.name, res.Cacheable, tc.want)
		}
	}
}

// TestDepsInstavote: the same on the example's result app, a function of
// its top-level arguments whose library comes through the jpath.
func TestDepsInstavote(t *testing.T) {
	t.Parallel()
	et.CheckDeps(t, et.DepsCase{
		New:  func() templates.Engine { return New(Options{}) },
		Repo: filepath.Join("..", "..", "examples", "instavote"),
		Request: templates.Request{App: "result", Namespace: "instavote", Env: "prod", Path: "apps/result/main.jsonnet",
			JPath: []string{"apps/result/lib"}, Vars: map[string]string{"LOG_LEVEL": "warn"}},
		Mutations: []et.Mutation{
			{Name: "library", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Write(t, root, "apps/result/lib/kube.libsonnet", et.Read(t, root, "apps/result/lib/kube.libsonnet")+"+ { deployment(name, image, replicas, env, resources):: {} }\n")
			}},
			{Name: "library shadowed next to main", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Write(t, root, "apps/result/kube.libsonnet", et.Read(t, root, "apps/result/lib/kube.libsonnet")+"+ { deployment(name, image, replicas, env, resources):: {} }\n")
			}},
			{Name: "jpath folder removed", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Remove(t, root, "apps/result/lib")
			}},
			{Name: "other app changed", Want: et.Hit, Apply: func(t testing.TB, root string) {
				et.Write(t, root, "apps/db/configmap.yaml", "kind: ConfigMap\n")
			}},
		},
	})
}
