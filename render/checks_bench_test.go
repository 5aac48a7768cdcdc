package render

import (
	"fmt"
	"testing"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/redact"
	"github.com/kiln-gitops/kiln/render/internal/scope"
	"github.com/kiln-gitops/kiln/templates"
)

// BenchmarkChecks runs the cross-app checks (checkEnv: graph, one owner per
// object, CRD and namespace dependencies, plain secrets) on generated envs
// of n apps. Every app has a Deployment, a ConfigMap and two custom
// resources, in a namespace and of a CRD that one of ten platform apps
// defines, and depends on its platform app through a chain, so every check
// has work to do. ns/op should grow linearly with n.
func BenchmarkChecks(b *testing.B) {
	for _, n := range []int{250, 1000, 4000} {
		b.Run(fmt.Sprintf("apps=%d", n), func(b *testing.B) {
			r, res, runs := checksFleet(b, n)
			rd := redact.New(res.Secrets)
			scopes := scope.New()
			for _, run := range runs {
				if err := scopes.AddCRDs(run.objs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				var warns []diag.Warning
				if errs := r.checkEnv(res, rd, scopes, runs, &warns); len(errs) > 0 {
					b.Fatal(errs[0])
				}
				if len(warns) > 0 {
					b.Fatal(warns[0])
				}
			}
		})
	}
}

func checksFleet(tb testing.TB, n int) (*Renderer, *envconfig.Resolved, []*appRun) {
	tb.Helper()
	obj := func(s string) templates.Object {
		node, err := kyaml.Parse(s)
		if err != nil {
			tb.Fatal(err)
		}
		return templates.Object{Node: node, File: "x.yaml", Line: 1}
	}
	p := &envconfig.Pipeline{File: "kiln.yaml", Flux: envconfig.Flux{Name: "{app}", Namespace: "flux-system"}}
	res := &envconfig.Resolved{Env: envconfig.Environment{Name: "dev"}}
	var runs []*appRun
	for i := range n {
		name := fmt.Sprintf("app%04d", i)
		ns := fmt.Sprintf("ns%d", i%10)
		app := envconfig.ResolvedApp{App: envconfig.App{Name: name, Namespace: ns, Engine: "yaml", Line: i + 1}}
		run := &appRun{app: app}
		if i < 10 {
			// A platform app: the namespace and a CRD.
			run.objs = append(run.objs,
				obj(fmt.Sprintf("apiVersion: v1\nkind: Namespace\nmetadata: {name: %s}\n", ns)),
				obj(fmt.Sprintf("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets%d.example.com}\nspec: {group: example.com, scope: Namespaced, names: {kind: Widget%d, plural: widgets%d}}\n", i, i, i)))
		} else {
			dep := fmt.Sprintf("app%04d", i-10)
			app.DependsOn = []envconfig.Dependency{{Name: dep}}
			run.app = app
			run.objs = append(run.objs,
				obj(fmt.Sprintf("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: %s, namespace: %s}\nspec: {replicas: 1}\n", name, ns)),
				obj(fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s, namespace: %s}\ndata: {k: v}\n", name, ns)),
				obj(fmt.Sprintf("apiVersion: example.com/v1\nkind: Widget%d\nmetadata: {name: %s-a, namespace: %s}\n", i%10, name, ns)),
				obj(fmt.Sprintf("apiVersion: example.com/v1\nkind: Widget%d\nmetadata: {name: %s-b, namespace: %s}\n", i%10, name, ns)))
		}
		res.Apps = append(res.Apps, app)
		runs = append(runs, run)
	}
	return &Renderer{p: p}, res, runs
}
