package kustomize

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/templates"
)

const (
	deployWeb = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {template: {spec: {containers: [{name: web, image: web:1}]}}}\n"
	svcWeb    = "# the service\napiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n"
	cm        = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s}\ndata: {k: v}\n"
)

// TestPlainSources: for every tree, the objects and the sources they name
// are the same whether kiln found the sources without origin annotations
// (plainBuild) or read them from the annotations (annotatedBuild), and the
// annotations are skipped exactly for the trees where that is certain.
func TestPlainSources(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		files map[string]string
		app   string // the kustomization folder built
		plain bool   // sources found without origin annotations
		want  []string
	}{{
		name: "overlay of a base",
		files: map[string]string{
			"bases/web/kustomization.yaml": "resources: [deployment.yaml, service.yaml]\n",
			"bases/web/deployment.yaml":    deployWeb,
			"bases/web/service.yaml":       svcWeb,
			"apps/a/dev/kustomization.yaml": "resources: [../../../bases/web, ./cm.yaml]\nnamePrefix: a-\nnameSuffix: -x\nnamespace: ns\n" +
				"labels: [{pairs: {env: dev}}]\ncommonAnnotations: {team: t}\nimages: [{name: web, newTag: '2'}]\nreplicas: [{name: web, count: 2}]\n",
			"apps/a/dev/cm.yaml": "---\n" + fmt.Sprintf(cm, "one") + "---\n# two\n" + fmt.Sprintf(cm, "two"),
		},
		app:   "apps/a/dev",
		plain: true,
		want:  []string{"ConfigMap a-one-x apps/a/dev/cm.yaml:2", "ConfigMap a-two-x apps/a/dev/cm.yaml:8", "Service a-web-x bases/web/service.yaml:2", "Deployment a-web-x bases/web/deployment.yaml:1"},
	}, {
		name: "one base twice with two prefixes",
		files: map[string]string{
			"base/kustomization.yaml": "resources: [cm.yaml]\n",
			"base/cm.yaml":            fmt.Sprintf(cm, "c"),
			"one/kustomization.yaml":  "resources: [../base]\nnamePrefix: one-\n",
			"two/kustomization.yaml":  "resources: [../base]\nnamePrefix: two-\n",
			"app/kustomization.yaml":  "resources: [../one, ../two]\n",
		},
		app:   "app",
		plain: true,
		want:  []string{"ConfigMap one-c base/cm.yaml:1", "ConfigMap two-c base/cm.yaml:1"},
	}, {
		name: "a name inside another file's name",
		files: map[string]string{
			"app/kustomization.yaml": "resources: [a.yaml, b.yaml]\n",
			"app/a.yaml":             fmt.Sprintf(cm, "web"),
			"app/b.yaml":             fmt.Sprintf(cm, "web-api"),
		},
		app:  "app",
		want: []string{"ConfigMap web app/a.yaml:1", "ConfigMap web-api app/b.yaml:1"},
	}, {
		name: "one name in two namespaces",
		files: map[string]string{
			"app/kustomization.yaml": "resources: [a.yaml, b.yaml]\n",
			"app/a.yaml":             "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: a}\n",
			"app/b.yaml":             "\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: b}\n",
		},
		app:  "app",
		want: []string{"ConfigMap c app/a.yaml:1", "ConfigMap c app/b.yaml:2"},
	}, {
		name: "a List",
		files: map[string]string{
			"app/kustomization.yaml": "resources: [list.yaml, b.yaml]\n",
			"app/list.yaml":          "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: web-api}\n",
			"app/b.yaml":             fmt.Sprintf(cm, "web"),
		},
		app:  "app",
		want: []string{"ConfigMap web app/b.yaml:1", "ConfigMap web-api app/list.yaml:0"},
	}, {
		name: "a generator",
		files: map[string]string{
			"app/kustomization.yaml": "resources: [a.yaml]\nconfigMapGenerator: [{name: gen, literals: [k=v]}]\n",
			"app/a.yaml":             fmt.Sprintf(cm, "a"),
		},
		app:  "app",
		want: []string{"ConfigMap a app/a.yaml:1", "ConfigMap gen-bdg947hgcc app/kustomization.yaml:0"},
	}, {
		name: "a renaming patch",
		files: map[string]string{
			"app/kustomization.yaml": "resources: [a.yaml, b.yaml]\n" +
				"patches: [{target: {kind: ConfigMap, name: a}, patch: '[{\"op\": \"replace\", \"path\": \"/metadata/name\", \"value\": \"xb\"}]'}]\n",
			"app/a.yaml": fmt.Sprintf(cm, "a"),
			"app/b.yaml": fmt.Sprintf(cm, "b"),
		},
		app:  "app",
		want: []string{"ConfigMap b app/b.yaml:1", "ConfigMap xb app/a.yaml:1"},
	}, {
		name: "a symlinked base",
		files: map[string]string{
			"base/kustomization.yaml": "resources: [cm.yaml]\n",
			"base/cm.yaml":            fmt.Sprintf(cm, "c"),
			"app/link":                "-> ../base",
			"app/kustomization.yaml":  "resources: [link]\n",
		},
		app:  "app",
		want: []string{"ConfigMap c app/link/cm.yaml:1"},
	}, {
		name: "origin annotations asked for",
		files: map[string]string{
			"app/kustomization.yaml": "resources: [a.yaml]\nbuildMetadata: [originAnnotations]\n",
			"app/a.yaml":             fmt.Sprintf(cm, "a"),
		},
		app:  "app",
		want: []string{"ConfigMap a app/a.yaml:1"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root, err := filepath.EvalSymlinks(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			for name, data := range tc.files {
				p := filepath.Join(root, filepath.FromSlash(name))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if target, ok := strings.CutPrefix(data, "-> "); ok {
					err = os.Symlink(target, p)
				} else {
					err = os.WriteFile(p, []byte(data), 0o644)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			dir := filepath.Join(root, filepath.FromSlash(tc.app))
			kfile := path.Join(tc.app, "kustomization.yaml")
			fsys := newFS(t, root)
			f := precheck(fsys, dir)
			errs, tree := f.errs, f.tree
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			var plain, annotated []templates.Object
			var ok bool
			err = Shared(context.Background(), func() error {
				if tree != nil {
					plain, ok = plainBuild(fsys, root, dir, kfile, tree)
				}
				var err error
				annotated, _, err = annotatedBuild(fsys, root, dir, kfile, "demo", false)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if ok != tc.plain {
				t.Errorf("sources found without origin annotations: %v, want %v", ok, tc.plain)
			}
			if diff := cmp.Diff(tc.want, describe(annotated)); diff != "" {
				t.Errorf("annotated build (-want +got):\n%s", diff)
			}
			if ok {
				if diff := cmp.Diff(format(&templates.Result{Objects: annotated}), format(&templates.Result{Objects: plain})); diff != "" {
					t.Errorf("plain build differs from the annotated one (-annotated +plain):\n%s", diff)
				}
			}
		})
	}
}

// describe lists objects as "Kind name file:line".
func describe(objs []templates.Object) []string {
	var out []string
	for _, o := range objs {
		out = append(out, fmt.Sprintf("%s %s %s:%d", o.Node.GetKind(), o.Node.GetName(), o.File, o.Line))
	}
	return out
}

// TestRenderPlainSources: the engine names a plain tree's objects' own
// resource files and lines (not the kustomization's), and writes no
// origin annotation.
func TestRenderPlainSources(t *testing.T) {
	t.Parallel()
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{
		"bases/web/kustomization.yaml":  "resources: [deployment.yaml, service.yaml]\n",
		"bases/web/deployment.yaml":     deployWeb,
		"bases/web/service.yaml":        svcWeb,
		"apps/a/dev/kustomization.yaml": "resources: [../../../bases/web]\nnamePrefix: a-\nlabels: [{pairs: {env: dev}}]\n",
	} {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "a", Path: "apps/a/dev"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Service a-web bases/web/service.yaml:2", "Deployment a-web bases/web/deployment.yaml:1"}
	if diff := cmp.Diff(want, describe(res.Objects)); diff != "" {
		t.Errorf("sources (-want +got):\n%s", diff)
	}
	for _, o := range res.Objects {
		if s := o.Node.MustString(); strings.Contains(s, "config.kubernetes.io") {
			t.Errorf("annotation left in the output:\n%s", s)
		}
	}
}
