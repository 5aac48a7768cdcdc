package plain

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/kiln-gitops/kiln/internal/limits"
	et "github.com/kiln-gitops/kiln/templates/internal/enginetest"

	"github.com/kiln-gitops/kiln/templates"
)

func cm(name string) string {
	return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n"
}

// TestDeps: what the engine records is all its output depends on (see
// enginetest.CheckDeps), on the basic fixture plus symlinks to a file and
// to a folder.
func TestDeps(t *testing.T) {
	t.Parallel()
	et.CheckDeps(t, et.DepsCase{
		New:  func() templates.Engine { return New(Options{}) },
		Repo: filepath.Join("testdata", "basic"),
		Setup: func(t testing.TB, root string) {
			et.Write(t, root, "shared/cm.yaml", cm("shared"))
			et.Write(t, root, "shared2/cm.yaml", cm("shared2"))
			et.Write(t, root, "lib/one/x.yaml", cm("lib-one"))
			et.Write(t, root, "lib/two/x.yaml", cm("lib-two"))
			et.Symlink(t, root, "apps/db/linked.yaml", "../../shared/cm.yaml")
			et.Symlink(t, root, "apps/db/lib", "../../lib/one")
			// A link to a file that is not YAML: not read, but followed.
			et.Write(t, root, "shared/notes", "not read")
			et.Symlink(t, root, "apps/db/notes", "../../shared/notes")
			// The fixture's kustomization lists its files; with the links
			// it lists too few, which the mutations below test.
			et.Remove(t, root, "apps/db/kustomization.yaml")
			// JSON is not rendered, but one holding an object is warned of.
			et.Write(t, root, "apps/db/dashboard.json", `{"panels": []}`)
			// One over the file bound is not read (a sparse file: no disk).
			et.Write(t, root, "apps/db/big.json", "")
			if err := os.Truncate(filepath.Join(root, "apps/db/big.json"), limits.FileSize+1); err != nil {
				t.Fatal(err)
			}
		},
		Request: templates.Request{App: "db", Namespace: "instavote", Env: "dev", Path: "apps/db", Vars: baseVars},
		Mutations: []et.Mutation{
			{Name: "file content", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Replace(t, root, "apps/db/deployment.yaml", "postgres:16", "postgres:17")
			}},
			{Name: "file added", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Write(t, root, "apps/db/new.yaml", cm("new"))
			}},
			{Name: "file added deep", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Write(t, root, "apps/db/nested/deeper/new.yml", cm("new"))
			}},
			{Name: "file added in a linked folder", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Write(t, root, "lib/one/y.yaml", cm("lib-one-y"))
			}},
			{Name: "file removed", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Remove(t, root, "apps/db/a.yaml")
			}},
			{Name: "file renamed", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Write(t, root, "apps/db/z.yaml", et.Read(t, root, "apps/db/a.yaml"))
				et.Remove(t, root, "apps/db/a.yaml")
			}},
			{Name: "file became a folder", Want: et.Changes, Apply: func(t testing.TB, root string) {
				content := et.Read(t, root, "apps/db/a.yaml")
				et.Remove(t, root, "apps/db/a.yaml")
				et.Write(t, root, "apps/db/a.yaml/x.yaml", content)
			}},
			{Name: "link retargeted", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Symlink(t, root, "apps/db/linked.yaml", "../../shared2/cm.yaml")
			}},
			{Name: "linked file changed", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Write(t, root, "shared/cm.yaml", cm("changed"))
			}},
			{Name: "linked file became a folder", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Remove(t, root, "shared/cm.yaml")
				et.Write(t, root, "shared/cm.yaml/x.yaml", cm("shared"))
			}},
			{Name: "link target became a folder", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Remove(t, root, "shared/notes")
				et.Write(t, root, "shared/notes/x.yaml", cm("notes"))
			}},
			{Name: "folder link retargeted", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Symlink(t, root, "apps/db/lib", "../../lib/two")
			}},
			{Name: "link leads outside", Want: et.Changes, Apply: func(t testing.TB, root string) {
				out := et.Outside(t, root)
				et.Write(t, out, "cm.yaml", cm("shared"))
				et.Symlink(t, root, "apps/db/linked.yaml", filepath.Join(out, "cm.yaml"))
			}},
			{Name: "app folder is a link", Want: et.Either, Apply: func(t testing.TB, root string) {
				et.CopyTree(t, filepath.Join(root, "apps/db"), filepath.Join(root, "apps/db-real"))
				et.Symlink(t, root, "apps/db", "db-real")
			}},
			{Name: "app folder removed", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Remove(t, root, "apps/db")
			}},
			{Name: "non-YAML file added", Want: et.Either, Apply: func(t testing.TB, root string) {
				et.Write(t, root, "apps/db/notes.txt", "notes")
			}},
			{Name: "kustomization that leaves files out added", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Write(t, root, "apps/db/kustomization.yaml", "resources: [deployment.yaml]\n")
			}},
			{Name: "nested kustomization that leaves a file out added", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Write(t, root, "apps/db/nested/Kustomization", "resources: []\n")
			}},
			{Name: "JSON file made to hold an object", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Write(t, root, "apps/db/dashboard.json", `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "d"}}`)
			}},
			{Name: "JSON over the file bound made to hold an object", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Write(t, root, "apps/db/big.json", `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b"}}`)
			}},
			{Name: "JSON over the file bound grown", Want: et.Hit, Apply: func(t testing.TB, root string) {
				if err := os.Truncate(filepath.Join(root, "apps/db/big.json"), limits.FileSize+2); err != nil {
					t.Fatal(err)
				}
			}},
			{Name: "JSON object added", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Write(t, root, "apps/db/nested/cm.json", `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "j"}}`)
			}},
			{Name: "YAML in upper case added", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Write(t, root, "apps/db/cm.YML", cm("upper"))
			}},
			{Name: "README changed", Want: et.Hit, Apply: func(t testing.TB, root string) {
				et.Write(t, root, "apps/db/README.md", "other text\n")
			}},
			{Name: "other app changed", Want: et.Hit, Apply: func(t testing.TB, root string) {
				et.Write(t, root, "apps/other/x.yaml", cm("other"))
				et.Write(t, root, "shared2/cm.yaml", cm("changed"))
			}},
		},
	})
}

// TestCacheable: a render that used a secret var's value must not be
// kept by the cache; one that did not may be.
func TestCacheable(t *testing.T) {
	t.Parallel()
	root := copyRepo(t, "basic")
	for _, tc := range []struct {
		name   string
		secret map[string]bool
		want   bool
	}{
		{name: "no secret vars", want: true},
		{name: "a secret var used", secret: map[string]bool{"DB_PASSWORD": true}, want: false},
		{name: "a secret var not used", secret: map[string]bool{"UNUSED": true}, want: true},
	} {
		res, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "db", Path: "apps/db", Vars: baseVars, SecretVars: tc.secret})
		if err != nil {
			t.Fatal(err)
		}
		if res.Cacheable != tc.want {
			t.Errorf("%s: Cacheable = %v, want %v", tc.name, res.Cacheable, tc.want)
		}
	}
}
