package render_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/golden"
	"github.com/kiln-gitops/kiln/render"
)

func exampleRenderer(t testing.TB) *render.Renderer {
	t.Helper()
	p, err := envconfig.Load(filepath.Join(example, "kiln.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := render.New(p, checkOptions(false))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestGraphGolden prints the example's graph in every format, prod (every
// app, an external dependency) with two apps marked changed, and dev (an
// app disabled) as text.
func TestGraphGolden(t *testing.T) {
	t.Parallel()
	r := exampleRenderer(t)
	tests := []struct {
		env, format, file string
		changed           map[string]bool
	}{
		{env: "prod", format: "text", file: "prod.txt", changed: map[string]bool{"redis": true, "vote": true}},
		{env: "prod", format: "mermaid", file: "prod.mermaid", changed: map[string]bool{"redis": true, "vote": true}},
		{env: "prod", format: "dot", file: "prod.dot", changed: map[string]bool{"redis": true, "vote": true}},
		{env: "prod", format: "json", file: "prod.json", changed: map[string]bool{"redis": true, "vote": true}},
		{env: "", format: "text", file: "dev.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			g, err := r.Graph(tt.env)
			if err != nil {
				t.Fatal(err)
			}
			got, err := g.Format(tt.format, tt.changed)
			if err != nil {
				t.Fatal(err)
			}
			golden.File(t, filepath.Join("testdata", "graph", tt.file), []byte(got), *update)
		})
	}
}

// TestGraphMatchesRender checks that Graph, which renders nothing, sees
// the env the way Render does: the same apps and the same Kustomization
// dependencies.
func TestGraphMatchesRender(t *testing.T) {
	t.Parallel()
	r := exampleRenderer(t)
	results, err := r.Render(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, er := range results {
		if er.Err != nil {
			t.Fatalf("env %s: %v", er.Env, er.Err)
		}
		g, err := r.Graph(er.Env)
		if err != nil {
			t.Fatal(err)
		}
		var want, got []string
		for _, a := range er.Apps {
			want = append(want, a.Name)
		}
		for _, a := range g.Apps {
			got = append(got, a.Name)
			k := string(er.Files["flux/"+a.Name+".yaml"])
			for _, d := range a.DependsOn {
				if !strings.Contains(k, "  - name: "+d+"\n") {
					t.Errorf("env %s: flux/%s.yaml lacks dependsOn %s", er.Env, a.Name, d)
				}
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("env %s: apps (-render +graph):\n%s", er.Env, diff)
		}
	}
}

func TestGraphErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, dir, env, format, want string
	}{
		{name: "cycle", dir: "testdata/errors/cycles", env: "dev", format: "text",
			want: "kiln.yaml:9: app redis: dependency cycle: redis -> worker -> redis"},
		{name: "unknown env", dir: example, env: "qa", format: "text", want: `"qa"`},
		{name: "unknown format", dir: example, env: "dev", format: "svg", want: `unknown graph format "svg" (want text, mermaid, dot or json)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := envconfig.Load(filepath.Join(tt.dir, "kiln.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			r, err := render.New(p, checkOptions(false))
			if err != nil {
				t.Fatal(err)
			}
			g, err := r.Graph(tt.env)
			if err == nil {
				_, err = g.Format(tt.format, nil)
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %s", err, tt.want)
			}
		})
	}
}

// TestGraphOwnKustomizationSpelledOut: a dependsOn written as the
// namespace/name of the Kustomization kiln writes for another app of the
// env is that app, in every format: an edge from it, not an external node
// beside it (the waves already count it as the app).
func TestGraphOwnKustomizationSpelledOut(t *testing.T) {
	t.Parallel()
	dir := writeProject(t, map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\nflux: {name: \"{app}-{env}\"}\napps:\n" +
			"  - name: db\n    namespace: ns\n    yaml: apps/a\n" +
			"  - name: web\n    namespace: ns\n    yaml: apps/b\n    dependsOn: [flux-system/db-dev, flux-system/infra]\n",
		"envs/dev.yaml":  "",
		"apps/a/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
		"apps/b/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n",
	})
	g := devGraph(t, dir)
	want := []render.GraphEdge{{From: "db", To: "web"}, {From: "flux-system/infra", To: "web", External: true}}
	if d := cmp.Diff(want, g.Edges); d != "" {
		t.Errorf("edges (-want +got):\n%s", d)
	}
	web := g.Apps[1]
	if d := cmp.Diff([]string{"db"}, web.DependsOn); d != "" {
		t.Errorf("web's dependsOn (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"flux-system/infra"}, web.External); d != "" {
		t.Errorf("web's external (-want +got):\n%s", d)
	}
	text, err := g.Format("text", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "after db, flux-system/infra (external)") {
		t.Errorf("text does not show web after db:\n%s", text)
	}
}

// TestHelmReleaseOwnKustomizationSpelledOut: the high-level HelmRelease of
// a helm app keeps a dependsOn written as another helm app's Kustomization
// (flux-system/db), as it keeps one written as db.
func TestHelmReleaseOwnKustomizationSpelledOut(t *testing.T) {
	t.Parallel()
	chart := func(name string) string { return "apiVersion: v2\nname: " + name + "\nversion: 0.1.0\n" }
	cm := func(name string) string { return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + name + "}\n" }
	dir := writeProject(t, map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\napps:\n" +
			"  - name: db\n    namespace: ns\n    helm: {chart: db}\n" +
			"  - name: web\n    namespace: ns\n    helm: {chart: web}\n    dependsOn: [flux-system/db]\n",
		"envs/dev.yaml":        "",
		"db/Chart.yaml":        chart("db"),
		"db/templates/cm.yaml": cm("db"),
		"web/Chart.yaml":       chart("web"),
		"web/templates/c.yaml": cm("web"),
	})
	er := renderAll(t, load(t, dir), testOptions())[0]
	if er.Err != nil {
		t.Fatal(er.Err)
	}
	hr := string(er.Files["high-level/web/helmrelease.yaml"])
	if !strings.Contains(hr, "dependsOn:\n  - name: db\n") {
		t.Errorf("high-level/web/helmrelease.yaml does not depend on db:\n%s", hr)
	}
}

// TestGraphTextColumns: in text, every "after" starts in one column, also
// when the namespaces differ in length.
func TestGraphTextColumns(t *testing.T) {
	t.Parallel()
	dir := writeProject(t, map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\napps:\n" +
			"  - name: a\n    namespace: ns\n    yaml: apps/a\n" +
			"  - name: bb\n    namespace: a-long-namespace\n    yaml: apps/a\n    dependsOn: [a]\n" +
			"  - name: c\n    namespace: ns\n    yaml: apps/a\n    dependsOn: [a]\n",
		"envs/dev.yaml":  "",
		"apps/a/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
	})
	g := devGraph(t, dir)
	got, err := g.Format("text", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := "env dev: 3 apps in 2 waves\nwave 1\n    a   yaml       ns\nwave 2\n" +
		"    bb  yaml       a-long-namespace  after a\n" +
		"    c   yaml       ns                after a\n"
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("text (-want +got):\n%s", d)
	}
}

// TestGraphEveryAppDisabled: an env that disables every app has a graph
// of no apps, which json prints as [] (docs/schemas/graph.json), not null.
func TestGraphEveryAppDisabled(t *testing.T) {
	t.Parallel()
	dir := writeProject(t, map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\napps:\n" +
			"  - name: b\n    namespace: ns\n    yaml: apps/a\n  - name: a\n    namespace: ns\n    yaml: apps/a\n",
		"envs/dev.yaml":  "apps:\n  a:\n    enabled: false\n  b:\n    enabled: false\n",
		"apps/a/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
	})
	g := devGraph(t, dir)
	// kiln graph --output json encodes the graphs themselves.
	data, err := json.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(data); !strings.Contains(got, `"apps":[],`) {
		t.Errorf("json has no empty apps list: %s", got)
	}
	// Lists are sorted, as docs/flux.md says, not in kiln.yaml order.
	if !strings.Contains(string(data), `"disabled":["a","b"]`) {
		t.Errorf("json has no sorted disabled list: %s", data)
	}
	text, err := g.Format("json", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, `"apps": [],`) {
		t.Errorf("--format json has no empty apps list:\n%s", text)
	}
}

// devGraph returns the graph of env dev of the project in dir.
func devGraph(t *testing.T, dir string) *render.AppGraph {
	t.Helper()
	r, err := render.New(load(t, dir), checkOptions(false))
	if err != nil {
		t.Fatal(err)
	}
	g, err := r.Graph("dev")
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestGraphOnlyNamesTheOtherApps: kiln graph --app keeps the edges into and
// out of the named apps, and mermaid draws the app at the other end of one
// under its name: undeclared, mermaid showed it under its node id,
// "app_a", which is no app of kiln.yaml.
func TestGraphOnlyNamesTheOtherApps(t *testing.T) {
	t.Parallel()
	dir := writeProject(t, map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\napps:\n" +
			"  - name: a-b\n    namespace: ns\n    yaml: apps/a\n" +
			"  - name: c\n    namespace: ns\n    yaml: apps/a\n    dependsOn: [a-b]\n" +
			"  - name: d\n    namespace: ns\n    yaml: apps/a\n    dependsOn: [c]\n",
		"envs/dev.yaml":  "",
		"apps/a/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
	})
	got, err := devGraph(t, dir).Only([]string{"c"}).Format("mermaid", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"    app_c[\"c<br/>yaml\"]\n", "  app_a_b[\"a-b\"]\n", "  app_d[\"d\"]\n", "  app_a_b --> app_c\n", "  app_c --> app_d\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q in:\n%s", want, got)
		}
	}
}
