package helm

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"

	et "github.com/kiln-gitops/kiln/templates/internal/enginetest"

	"github.com/kiln-gitops/kiln/templates"
)

func newEngine() templates.Engine { return New(Options{}) }

// TestDepsPodinfo: what the engine records is all its output depends on
// (see enginetest.CheckDeps), on the real podinfo chart with its prod
// values and .helmignore.
func TestDepsPodinfo(t *testing.T) {
	t.Parallel()
	et.CheckDeps(t, et.DepsCase{
		New:  newEngine,
		Repo: filepath.Join("..", "..", "testdata", "charts"),
		Setup: func(t testing.TB, root string) {
			// An ignored file: its content is never read.
			et.Write(t, root, "podinfo/templates/old.yaml.bak", "kind: ConfigMap\n")
			// The .helmignore ignores itself: it is read for its rules only.
			et.Write(t, root, "podinfo/.helmignore", et.Read(t, root, "podinfo/.helmignore")+".helmignore\n")
			// A link to a folder that .helmignore ignores as a folder
			// (.idea/): were it a file, it would be part of the chart.
			et.Write(t, root, "shared/ide/x.yaml", "not read\n")
			et.Symlink(t, root, "podinfo/.idea", "../shared/ide")
		},
		Request: templates.Request{App: "podinfo", Namespace: "web", KubeVersion: "1.31.0", Path: "podinfo",
			ValuesFiles: []string{"podinfo/values-prod.yaml"}, Values: map[string]any{"replicaCount": 3}},
		Mutations: []et.Mutation{
			{Name: "template", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Replace(t, root, "podinfo/templates/service.yaml", "kind: Service", "kind: Service\n# changed")
			}},
			{Name: "helper", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Replace(t, root, "podinfo/templates/_helpers.tpl", "{{- define", "{{- define \"x\" }}x{{ end }}\n{{- define")
			}},
			{Name: "template added", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Write(t, root, "podinfo/templates/extra.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n")
			}},
			{Name: "template removed", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Remove(t, root, "podinfo/templates/service.yaml")
			}},
			{Name: "chart defaults", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Replace(t, root, "podinfo/values.yaml", "logLevel: info", "logLevel: warn")
			}},
			{Name: "values file", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Write(t, root, "podinfo/values-prod.yaml", et.Read(t, root, "podinfo/values-prod.yaml")+"\nlogLevel: error\n")
			}},
			{Name: "values file removed", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Remove(t, root, "podinfo/values-prod.yaml")
			}},
			{Name: "values file is a link", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Write(t, root, "values/prod.yaml", "logLevel: error\n")
				et.Symlink(t, root, "podinfo/values-prod.yaml", "../values/prod.yaml")
			}},
			{Name: "values file leads outside", Want: et.Changes, Apply: func(t testing.TB, root string) {
				out := et.Outside(t, root)
				et.Write(t, out, "prod.yaml", et.Read(t, root, "podinfo/values-prod.yaml"))
				et.Symlink(t, root, "podinfo/values-prod.yaml", filepath.Join(out, "prod.yaml"))
			}},
			{Name: ".helmignore ignores a template", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Write(t, root, "podinfo/.helmignore", et.Read(t, root, "podinfo/.helmignore")+"templates/service.yaml\n")
			}},
			{Name: "ignored folder link leads to a file", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Remove(t, root, "shared/ide")
				et.Write(t, root, "shared/ide", "now a chart file\n")
			}},
			{Name: ".helmignore removed", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Remove(t, root, "podinfo/.helmignore")
			}},
			{Name: "ignored file changed", Want: et.Hit, Apply: func(t testing.TB, root string) {
				et.Write(t, root, "podinfo/templates/old.yaml.bak", "kind: Secret\n")
			}},
			{Name: "file next to the chart", Want: et.Hit, Apply: func(t testing.TB, root string) {
				et.Write(t, root, "README.md", "notes\n")
			}},
		},
	})
}

// TestDepsSubchart: the same on the test chart, which has a subchart, CRDs
// and no .helmignore; symlinks lead into a shared folder.
func TestDepsSubchart(t *testing.T) {
	t.Parallel()
	cm := func(name string) string { return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n" }
	et.CheckDeps(t, et.DepsCase{
		New:  newEngine,
		Repo: filepath.Join("testdata", "repo"),
		Setup: func(t testing.TB, root string) {
			et.Write(t, root, "shared/cm.yaml", cm("shared"))
			et.Write(t, root, "shared/cm2.yaml", cm("shared2"))
			et.Write(t, root, "shared/notes", "not a template")
			et.Symlink(t, root, "charts/app/templates/linked.yaml", "../../../shared/cm.yaml")
			et.Symlink(t, root, "charts/app/files", "../../shared/notes")
		},
		Request: templates.Request{App: "web", Namespace: "shop", KubeVersion: "1.31.0", Path: "charts/app",
			ValuesFiles: []string{"values/base.yaml"}},
		Mutations: []et.Mutation{
			{Name: "subchart template", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Replace(t, root, "charts/app/charts/sub/templates/configmap.yaml", "greeting:", "hello:")
			}},
			{Name: "values file", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Replace(t, root, "values/base.yaml", "MODE: base", "MODE: other")
			}},
			{Name: "subchart removed", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Remove(t, root, "charts/app/charts/sub")
			}},
			{Name: "CRD", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Replace(t, root, "charts/app/crds/crontab.yaml", "CronTab", "CronTabs")
			}},
			{Name: ".helmignore added", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Write(t, root, "charts/app/.helmignore", "templates/service.yaml\n")
			}},
			{Name: ".helmignore is a folder", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Write(t, root, "charts/app/.helmignore/x", "")
			}},
			{Name: "link retargeted", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Symlink(t, root, "charts/app/templates/linked.yaml", "../../../shared/cm2.yaml")
			}},
			{Name: "linked file changed", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Write(t, root, "shared/cm.yaml", cm("changed"))
			}},
			{Name: "link leads outside", Want: et.Changes, Apply: func(t testing.TB, root string) {
				out := et.Outside(t, root)
				et.Write(t, out, "cm.yaml", cm("shared"))
				et.Symlink(t, root, "charts/app/templates/linked.yaml", filepath.Join(out, "cm.yaml"))
			}},
			{Name: "linked file became a folder", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Remove(t, root, "shared/notes")
				et.Write(t, root, "shared/notes/x.yaml", cm("x"))
			}},
			{Name: "chart folder is a link", Want: et.Either, Apply: func(t testing.TB, root string) {
				et.CopyTree(t, filepath.Join(root, "charts/app"), filepath.Join(root, "charts/app-real"))
				et.Symlink(t, root, "charts/app", "app-real")
			}},
			{Name: "chart folder removed", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Remove(t, root, "charts/app")
			}},
			{Name: "other chart changed", Want: et.Hit, Apply: func(t testing.TB, root string) {
				et.Write(t, root, "charts/failing/templates/x.yaml", cm("x"))
				et.Write(t, root, "values/prod.yaml", "replicas: 9\n")
			}},
		},
	})
}

// TestDepsArchive: a packaged chart is one file.
func TestDepsArchive(t *testing.T) {
	t.Parallel()
	pack := func(t testing.TB, root string, change func(t testing.TB, dir string)) {
		dir := filepath.Join(et.TempDir(t), "app")
		et.CopyTree(t, filepath.Join("testdata", "repo", "charts", "app"), dir)
		if change != nil {
			change(t, dir)
		}
		ch, err := loader.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		tmp := et.TempDir(t)
		saved, err := chartutil.Save(ch, tmp)
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(saved)
		if err != nil {
			t.Fatal(err)
		}
		et.Write(t, root, "charts/app.tgz", string(data))
	}
	et.CheckDeps(t, et.DepsCase{
		New:     newEngine,
		Repo:    filepath.Join("testdata", "repo", "values"),
		Setup:   func(t testing.TB, root string) { pack(t, root, nil) },
		Request: templates.Request{App: "web", Namespace: "shop", KubeVersion: "1.31.0", Path: "charts/app.tgz", ValuesFiles: []string{"base.yaml"}},
		Mutations: []et.Mutation{
			{Name: "archive repacked with a change", Want: et.Changes, Apply: func(t testing.TB, root string) {
				pack(t, root, func(t testing.TB, dir string) {
					et.Replace(t, dir, "templates/service.yaml", "kind: Service", "kind: Service\n# changed")
				})
			}},
			{Name: "archive is a link", Want: et.Either, Apply: func(t testing.TB, root string) {
				et.Write(t, root, "other/app.tgz", et.Read(t, root, "charts/app.tgz"))
				et.Symlink(t, root, "charts/app.tgz", "../other/app.tgz")
			}},
			{Name: "archive removed", Want: et.Changes, Apply: func(t testing.TB, root string) {
				et.Remove(t, root, "charts/app.tgz")
			}},
		},
	})
}

// TestCacheable: a remote chart's render is never cached (its content is
// not on the disk); a local chart's is.
func TestCacheable(t *testing.T) {
	t.Parallel()
	root := testRoot(t)
	res, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "web", Namespace: "shop", Path: "charts/app", KubeVersion: "1.31.0"})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Cacheable {
		t.Error("a local chart's render is not Cacheable")
	}
}
