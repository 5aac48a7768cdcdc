package kustomize

import (
	"path/filepath"
	"testing"

	et "github.com/kiln-gitops/kiln/templates/internal/enginetest"

	"github.com/kiln-gitops/kiln/templates"
)

// TestDeps: what the engine records is all its output depends on (see
// enginetest.CheckDeps), on the guestbook prod overlay: a base with a
// generator file, a component, a JSON 6902 patch, and a symlinked
// resource (load restrictions keep it inside the base).
func TestDeps(t *testing.T) {
	t.Parallel()
	svc := func(port string) string {
		return "apiVersion: v1\nkind: Service\nmetadata:\n  name: guestbook\nspec:\n  ports:\n    - port: " + port + "\n"
	}
	et.CheckDeps(t, et.DepsCase{
		New:  func() templates.Engine { return New(Options{}) },
		Repo: filepath.Join("testdata", "repo"),
		Setup: func(t testing.TB, root string) {
			et.Write(t, root, "apps/guestbook/base/alt/service.yaml", svc("80"))
			et.Write(t, root, "apps/guestbook/base/alt/service2.yaml", svc("81"))
			et.Symlink(t, root, "apps/guestbook/base/service.yaml", "alt/service.yaml")
		},
		Request: templates.Request{App: "guestbook", Namespace: "guestbook", Env: "prod", Path: "apps/guestbook/overlays/prod"},
		Mutations: []et.Mutation{
			{Name: "overlay kustomization", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Replace(t, root, "apps/guestbook/overlays/prod/kustomization.yaml", "namePrefix: prod-", "namePrefix: p-")
			}},
			{Name: "base resource", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Replace(t, root, "apps/guestbook/base/deployment.yaml", "containerPort: 8080", "containerPort: 8081")
			}},
			{Name: "generator file", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Write(t, root, "apps/guestbook/base/config/app.properties", "greeting=bye\n")
			}},
			{Name: "component", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Replace(t, root, "components/monitoring/servicemonitor.yaml", "port: http", "port: metrics")
			}},
			{Name: "JSON 6902 patch", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Replace(t, root, "apps/guestbook/overlays/prod/scale.json6902.yaml", "value: 5", "value: 6")
			}},
			{Name: "second kustomization name in the overlay", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Write(t, root, "apps/guestbook/overlays/prod/Kustomization", et.Read(t, root, "apps/guestbook/overlays/prod/kustomization.yaml"))
			}},
			{Name: "second kustomization name in the base", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Write(t, root, "apps/guestbook/base/kustomization.yml", et.Read(t, root, "apps/guestbook/base/kustomization.yaml"))
			}},
			{Name: "second kustomization name in the component", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Write(t, root, "components/monitoring/Kustomization", et.Read(t, root, "components/monitoring/kustomization.yaml"))
			}},
			{Name: "kustomization renamed", Want: et.Either, Apply: func(t testing.TB, root string) {
				et.Write(t, root, "apps/guestbook/base/kustomization.yml", et.Read(t, root, "apps/guestbook/base/kustomization.yaml"))
				et.Remove(t, root, "apps/guestbook/base/kustomization.yaml")
			}},
			{Name: "resource became a kustomization folder", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Remove(t, root, "apps/guestbook/overlays/prod/namespace.yaml")
				et.Write(t, root, "apps/guestbook/overlays/prod/namespace.yaml/kustomization.yaml", "resources: [ns.yaml]\n")
				et.Write(t, root, "apps/guestbook/overlays/prod/namespace.yaml/ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: other\n")
			}},
			{Name: "resource removed", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Remove(t, root, "apps/guestbook/overlays/prod/namespace.yaml")
			}},
			{Name: "link retargeted", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Symlink(t, root, "apps/guestbook/base/service.yaml", "alt/service2.yaml")
			}},
			{Name: "linked file changed", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Write(t, root, "apps/guestbook/base/alt/service.yaml", svc("82"))
			}},
			{Name: "link leads outside", Want: et.Changes, Apply: func(t testing.TB, root string) {
				out := et.Outside(t, root)
				et.Write(t, out, "service.yaml", svc("80"))
				et.Symlink(t, root, "apps/guestbook/base/service.yaml", filepath.Join(out, "service.yaml"))
			}},
			{Name: "base folder is a link", Want: et.Either, Apply: func(t testing.TB, root string) {
				et.CopyTree(t, filepath.Join(root, "apps/guestbook/base"), filepath.Join(root, "apps/guestbook/base-real"))
				et.Symlink(t, root, "apps/guestbook/base", "base-real")
			}},
			{Name: "base folder leads outside", Want: et.Changes, Apply: func(t testing.TB, root string) {
				out := et.Outside(t, root)
				et.CopyTree(t, filepath.Join(root, "apps/guestbook/base"), filepath.Join(out, "base"))
				et.Symlink(t, root, "apps/guestbook/base", filepath.Join(out, "base"))
			}},
			{Name: "overlay folder removed", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Remove(t, root, "apps/guestbook/overlays/prod")
			}},
			{Name: "unreferenced file added", Want: et.Hit, Apply: func(t testing.TB, root string) {
				et.Write(t, root, "apps/guestbook/base/extra.yaml", svc("90"))
				et.Write(t, root, "apps/guestbook/overlays/prod/README.md", "notes\n")
			}},
			{Name: "other overlay changed", Want: et.Hit, Apply: func(t testing.TB, root string) {
				et.Replace(t, root, "apps/guestbook/overlays/dev/replicas.yaml", "replicas: 2", "replicas: 3")
			}},
		},
	})
}

// TestDepsInstavote: the same on the example's vote app, a prod overlay
// with two patches over a base.
func TestDepsInstavote(t *testing.T) {
	t.Parallel()
	et.CheckDeps(t, et.DepsCase{
		New:     func() templates.Engine { return New(Options{}) },
		Repo:    filepath.Join("..", "..", "examples", "instavote"),
		Request: templates.Request{App: "vote", Namespace: "instavote", Env: "prod", Path: "apps/vote/overlays/prod"},
		Mutations: []et.Mutation{
			{Name: "patch", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Replace(t, root, "apps/vote/overlays/prod/replicas.yaml", "replicas: 3", "replicas: 7")
			}},
			{Name: "base", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Replace(t, root, "apps/vote/base/service.yaml", "type: ClusterIP", "type: NodePort")
			}},
			{Name: "Kustomization next to kustomization.yaml", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Write(t, root, "apps/vote/base/Kustomization", "resources: []\n")
			}},
			{Name: "other overlay changed", Want: et.Hit, Apply: func(t testing.TB, root string) {
				et.Replace(t, root, "apps/vote/overlays/dev/replicas.yaml", "replicas: 1", "replicas: 2")
			}},
		},
	})
}
