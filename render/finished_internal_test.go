package render

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/deps"
	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/render/internal/images"
	"github.com/kiln-gitops/kiln/templates"
)

// editFile replaces old with new in the file rel of root.
func editFile(t *testing.T, root, rel, old, new string) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(rel))
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s has no %q", rel, old)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// finishCases are changes after which some apps' layouts must not be
// reused. omit are the finish key inputs (comma-separated) that alone tell
// the changed apps' layouts apart from those the cache holds: without
// them, the case fails.
var finishCases = []struct {
	name   string
	setup  func(t *testing.T, root string)
	change func(t *testing.T, root string)
	images []string
	// stale are apps whose layout must not be reused after the change;
	// reused are apps whose layout must be.
	stale, reused []string
	// notifications says flux/notifications.yaml must be taken from the
	// previous entry: the finish context is unchanged.
	notifications bool
	omit          string
}{
	{name: "kiln.yaml: flux interval",
		change: func(t *testing.T, root string) { editFile(t, root, "kiln.yaml", "interval: 10m", "interval: 7m") },
		stale:  []string{"platform", "redis", "db", "vote", "result"},
		omit:   "pipeline"},
	{name: "env file: an app's flux settings",
		change: func(t *testing.T, root string) {
			editFile(t, root, "envs/dev.yaml", "  redis:\n    values: {replicas: 1}", "  redis:\n    values: {replicas: 1}\n    flux: {interval: 3m}")
		},
		stale: []string{"redis"},
		omit:  "envFile"},
	{name: "kiln.yaml: notifications",
		change: func(t *testing.T, root string) {
			editFile(t, root, "kiln.yaml", "dispatch: acme/instavote", "dispatch: acme/other")
		},
		stale: []string{"platform", "redis", "db", "vote", "result"},
		omit:  "pipeline"},
	{name: "env file: an app disabled",
		change: func(t *testing.T, root string) {
			editFile(t, root, "envs/dev.yaml", "  worker:\n    enabled: false", "  worker:\n    enabled: false\n  result:\n    enabled: false")
		},
		stale: []string{"platform", "redis", "db", "vote"},
		omit:  "envFile"},
	{name: "a CRD's scope decides another app's namespaces",
		setup: func(t *testing.T, root string) {
			editFile(t, root, "apps/db/backupschedule.yaml", "  namespace: instavote\n", "")
		},
		change: func(t *testing.T, root string) {
			editFile(t, root, "platform/crd-backupschedules.yaml", "scope: Namespaced", "scope: Cluster")
		},
		stale:         []string{"platform", "db"},
		reused:        []string{"redis", "vote", "result"},
		notifications: true,
		omit:          "namespaces"},
	{name: "CI's images",
		change:        func(t *testing.T, root string) {},
		images:        []string{"ghcr.io/acme/vote:9.9.9"},
		stale:         []string{"vote"},
		reused:        []string{"platform", "redis", "db"},
		notifications: true,
		omit:          "objects"},
	{name: "CI's image of a plain YAML app",
		change: func(t *testing.T, root string) {},
		images: []string{"postgres:16.5"},
		// result is jsonnet, which is given CI's images: its engine
		// renders again.
		stale:         []string{"db", "result"},
		reused:        []string{"platform", "redis", "vote"},
		notifications: true,
		omit:          "images"},
	{name: "a patch file",
		setup: func(t *testing.T, root string) {
			if err := os.WriteFile(filepath.Join(root, "patch.yaml"), []byte("- {op: replace, path: /spec/replicas, value: 2}\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			editFile(t, root, "envs/dev.yaml", "        patch: |-\n          - {op: replace, path: /spec/replicas, value: 2}", "        path: patch.yaml")
		},
		change: func(t *testing.T, root string) {
			editFile(t, root, "patch.yaml", "value: 2", "value: 5")
		},
		stale:         []string{"vote"},
		reused:        []string{"platform", "redis", "db", "result"},
		notifications: true,
		// The patched objects, hashed node by node, and the patch file's
		// content, which the app's patches hold (for its inputDigest),
		// each tell the change.
		omit: "objects,patches"},
	{name: "jsonnet: a library change that keeps the objects",
		change: func(t *testing.T, root string) {
			p := filepath.Join(root, "apps/result/lib/kube.libsonnet")
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, append(data, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
		},
		stale:         []string{"result"},
		reused:        []string{"platform", "redis", "db", "vote"},
		notifications: true,
		omit:          "result"},
	// The CRDs kiln.yaml lists under validation.crds are files of their
	// own: a change of one changes no byte of kiln.yaml, the env file or
	// any engine's result, yet decides which objects get a namespace.
	{name: "validation.crds: a listed CRD's scope",
		setup: func(t *testing.T, root string) {
			writeRootFile(t, root, "crds/widget.yaml", widgetCRD)
			writeRootFile(t, root, "apps/db/widget.yaml", "apiVersion: acme.example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec: {size: 1}\n")
			appendFile(t, root, "kiln.yaml", "\nvalidation:\n  crds: [crds/widget.yaml]\n")
		},
		change: func(t *testing.T, root string) {
			editFile(t, root, "crds/widget.yaml", "scope: Namespaced", "scope: Cluster")
		},
		stale:         []string{"db"},
		reused:        []string{"platform", "redis", "vote", "result"},
		notifications: true,
		omit:          "namespaces"},
	// The engine result's name must stand for every field of its nodes the
	// writer keeps: a scalar's style, a comment, the objects' order.
	{name: "plain YAML: a scalar's quoting only",
		change: func(t *testing.T, root string) {
			editFile(t, root, "apps/db/configmap.yaml", "POSTGRES_DB: votes", "POSTGRES_DB: 'votes'")
		},
		stale:         []string{"db"},
		reused:        []string{"platform", "redis", "vote", "result"},
		notifications: true,
		omit:          "result"},
	{name: "plain YAML: a comment only",
		change: func(t *testing.T, root string) {
			editFile(t, root, "apps/db/configmap.yaml", "  POSTGRES_DB: votes", "  # the database kiln's example votes into\n  POSTGRES_DB: votes")
		},
		stale:         []string{"db"},
		reused:        []string{"platform", "redis", "vote", "result"},
		notifications: true,
		omit:          "result"},
	{name: "plain YAML: the objects' order only",
		change: func(t *testing.T, root string) {
			if err := os.Rename(filepath.Join(root, "apps/db/configmap.yaml"), filepath.Join(root, "apps/db/zz-configmap.yaml")); err != nil {
				t.Fatal(err)
			}
		},
		stale:         []string{"db"},
		reused:        []string{"platform", "redis", "vote", "result"},
		notifications: true,
		omit:          "result"},
}

// widgetCRD defines a namespaced kind no app of the example defines.
const widgetCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.acme.example.com
spec:
  group: acme.example.com
  scope: Namespaced
  names: {kind: Widget, listKind: WidgetList, plural: widgets, singular: widget}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size: {type: integer}
`

// writeRootFile writes data to the file rel of root, making its folder.
func writeRootFile(t *testing.T, root, rel, data string) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// appendFile appends data to the file rel of root.
func appendFile(t *testing.T, root, rel, data string) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(rel))
	old, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, append(old, data...), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestFinishedAppsReusedOnlyWhenUnchanged: after each change, a render
// with the cache warm from before it equals, byte for byte, a render
// without the cache; apps whose layout the change affects are laid out
// again, the others are taken from the env's previous entry. Each case is
// also run with its input left out of the finish key, and must then fail:
// the case proves that input is needed.
// filesAsText compares trees of rendered files as text: go-cmp compares a
// []byte element by element through reflection, which on whole trees was
// a quarter of this file's tests' time under -race. As with
// cmpopts.EquateEmpty, a nil tree or file equals an empty one.
var filesAsText = cmp.Transformer("text", func(files map[string][]byte) map[string]string {
	out := make(map[string]string, len(files))
	for name, data := range files {
		out[name] = string(data)
	}
	return out
})

func TestFinishedAppsReusedOnlyWhenUnchanged(t *testing.T) {
	for _, tc := range finishCases {
		t.Run(tc.name, func(t *testing.T) {
			if d := runFinishCase(t, tc.setup, tc.change, tc.images, tc.stale, tc.reused, &tc.notifications, ""); d != "" {
				t.Fatal(d)
			}
			if d := runFinishCase(t, tc.setup, tc.change, tc.images, nil, nil, nil, tc.omit); d == "" {
				t.Fatalf("with %s left out of the finish key the case still passes: it does not test that input", tc.omit)
			}
		})
	}
}

// runFinishCase warms a cache on a fresh copy of the example, changes it,
// and returns how a render with the cache differs from one without it,
// "" when it does not; reuse expectations not met fail t. omit is left
// out of the finish keys of every render.
func runFinishCase(t *testing.T, setup, change func(*testing.T, string), images, stale, reused []string, notifications *bool, omit string) string {
	t.Helper()
	finishOmit = omit
	defer func() { finishOmit = "" }()
	root := copyInstavote(t)
	if setup != nil {
		setup(t, root)
	}
	opts := cachedOptions(t)
	// In kiln's process: a sandboxed result reaches the cache as the same
	// bytes (MarshalResult), and six Renderers per case each starting
	// their own workers made this test most of make test's time.
	opts.InProcess = true
	// dev alone: every change is to dev or to what all envs share, and
	// the envs share the code paths.
	dev := []string{"dev"}
	for _, er := range renderRootEnvs(t, root, opts, dev) {
		if er.Err != nil {
			t.Fatalf("env %s: %v", er.Env, er.Err)
		}
	}
	change(t, root)
	opts.Images = Images{Refs: images}
	got := renderRootEnvs(t, root, opts, dev)
	noCache := opts
	noCache.RenderCache = ""
	want := renderRootEnvs(t, root, noCache, dev)
	var diffs []string
	for env, w := range want {
		g := got[env]
		if w.Err != nil || g.Err != nil {
			t.Fatalf("env %s: %v / %v", env, w.Err, g.Err)
		}
		if d := cmp.Diff(w.Files, g.Files, filesAsText); d != "" {
			diffs = append(diffs, env+" files (-no cache +cache):\n"+d)
		}
		if d := cmp.Diff(w.Objects, g.Objects); d != "" {
			diffs = append(diffs, env+" objects (-no cache +cache):\n"+d)
		}
		if d := cmp.Diff(w.Apps, g.Apps, cmpopts.IgnoreFields(AppSummary{}, "Cached")); d != "" {
			diffs = append(diffs, env+" apps (-no cache +cache):\n"+d)
		}
	}
	devResult := got["dev"]
	if omit == "" && devResult.Cached {
		t.Fatal("dev was reused whole: the case changes nothing")
	}
	for _, app := range stale {
		if devResult.reused[app] {
			t.Errorf("%s's layout was reused after the change", app)
		}
	}
	for _, app := range reused {
		if !devResult.reused[app] {
			t.Errorf("%s's layout was not reused (reused: %v)", app, devResult.reused)
		}
	}
	if notifications != nil && devResult.notificationsReused != *notifications {
		t.Errorf("flux/notifications.yaml taken from the previous entry: %v, want %v", devResult.notificationsReused, *notifications)
	}
	slices.Sort(diffs)
	return strings.Join(diffs, "\n")
}

// finishKeyState is what finishKey reads: the Renderer, the env and four
// apps' runs, a helm app (values files), a kustomize app (inputs), a plain
// YAML app, and named, a plain YAML app without patches whose engine result
// the cache names (keyed by that name, not by its objects).
type finishKeyState struct {
	r                        *Renderer
	er                       *EnvResult
	res                      *envconfig.Resolved
	helm, kust, plain, named *appRun
}

func newFinishKeyState(t *testing.T, root string) *finishKeyState {
	t.Helper()
	p, err := envconfig.Load(filepath.Join(root, "kiln.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	opts := cachedOptions(t)
	opts.InProcess = true
	opts.Images = Images{Refs: []string{"ghcr.io/acme/vote:1"}}
	r, err := New(p, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	er, res := r.resolveEnv("dev")
	if er.Err != nil {
		t.Fatal(er.Err)
	}
	app := func(name string) envconfig.ResolvedApp {
		for _, a := range res.Apps {
			if a.Name == name {
				return a
			}
		}
		t.Fatalf("no app %s", name)
		return envconfig.ResolvedApp{}
	}
	objs := func() []templates.Object {
		out, err := objects.Parse([]byte("# head\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: instavote\ndata: {k: \"v\", n: '1'}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: b}\n"), "x.yaml", 0)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	run := func(name string, inputs []string) *appRun {
		return &appRun{app: app(name), reads: deps.New(p.Root), patches: []byte(`[{"patch":"x"}]`), objs: objs(),
			res: &templates.Result{InputDigest: "sha256:1", Params: map[string]any{"a": 1.0}, Inputs: inputs}}
	}
	named := run("platform", []string{"platform/namespace.yaml"})
	if len(named.app.Patches) != 0 {
		t.Fatal("platform has patches in dev: its result would not be keyed by its name")
	}
	r.cache.remember(named.res, resultID{id: "key:digest"}, true)
	named.namespaced = []int{1}
	named.used = map[string]bool{"ghcr.io/acme/vote": true}
	return &finishKeyState{r: r, er: er, res: res,
		helm:  run("redis", []string{"charts/redis/Chart.yaml"}),
		kust:  run("vote", []string{"apps/vote/base/service.yaml", "apps/vote/base/kustomization.yaml"}),
		plain: run("db", []string{"apps/db/service.yaml"}),
		named: named}
}

// keys are the finish keys of the state's runs.
func (s *finishKeyState) keys() [4]string {
	ctx := s.r.finishContext(s.er, s.res)
	return [4]string{s.r.finishKey(ctx, s.helm), s.r.finishKey(ctx, s.kust), s.r.finishKey(ctx, s.plain), s.r.finishKey(ctx, s.named)}
}

// TestFinishKeyCoversEachInput changes each input of the finish key alone
// and checks that the key changes; then, with that input left out of the
// key (finishOmit), that it does not: each change touches its input and
// nothing else the key covers. Every input finished.go names is one of
// the cases.
func TestFinishKeyCoversEachInput(t *testing.T) {
	root := copyInstavote(t)
	write := func(rel, content string) func() {
		return func() {
			if err := os.WriteFile(filepath.Join(root, rel), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	appendTo := func(rel, more string) func(*finishKeyState) {
		return func(*finishKeyState) {
			data, err := os.ReadFile(filepath.Join(root, rel))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(write(rel, string(data)))
			write(rel, string(data)+more)()
		}
	}
	node := func(run func(*finishKeyState) *appRun, f func(n *kyaml.RNode)) func(*finishKeyState) {
		return func(s *finishKeyState) { f(run(s).objs[0].Node) }
	}
	giveImages := func(list string) func(*finishKeyState) {
		return func(s *finishKeyState) {
			set, err := images.ParseList(list, "--image")
			if err != nil {
				t.Fatal(err)
			}
			s.r.images = set
		}
	}
	helm := func(s *finishKeyState) *appRun { return s.helm }
	kust := func(s *finishKeyState) *appRun { return s.kust }
	field := func(n *kyaml.RNode, path ...string) *kyaml.Node {
		f, err := n.Pipe(kyaml.Lookup(path...))
		if err != nil || f == nil {
			t.Fatalf("no %v", path)
		}
		return f.YNode()
	}
	// all are the runs keyed by their objects, every also the one keyed
	// by its engine result's name.
	all, every := []int{0, 1, 2}, []int{0, 1, 2, 3}
	cases := []struct {
		input, name string
		// runs are the runs the change touches (0 helm, 1 kustomize, 2
		// plain YAML, 3 named); the others' keys must stay.
		runs   []int
		change func(*finishKeyState)
	}{
		{"build", "kiln's build", every, func(s *finishKeyState) { s.r.cache.build += "x" }},
		{"env", "the env's name", every, func(s *finishKeyState) { s.res.Env.Name = "other" }},
		{"pipeline", "kiln.yaml", every, func(s *finishKeyState) { s.r.p.Digest += "x" }},
		{"envFile", "the env file", every, func(s *finishKeyState) { s.er.envFile += "x" }},
		{"app", "the app's name", every, func(s *finishKeyState) {
			s.helm.app.Name += "x"
			s.kust.app.Name += "x"
			s.plain.app.Name += "x"
			s.named.app.Name += "x"
		}},
		{"app", "the app's engine", []int{2, 3}, func(s *finishKeyState) { s.plain.app.Engine = "jsonnet"; s.named.app.Engine = "jsonnet" }},
		{"result", "the engine result's key and content", []int{3}, func(s *finishKeyState) {
			s.r.cache.remember(s.named.res, resultID{id: "key:other"}, true)
		}},
		// newFinishKeyState's Renderer is given ghcr.io/acme/vote:1, which
		// the named run used.
		{"images", "CI's image of a repository the app uses", []int{3}, giveImages("ghcr.io/acme/vote:2")},
		{"images", "CI's image of a repository the app uses, with a digest", []int{3}, giveImages("ghcr.io/acme/vote:1@sha256:" + strings.Repeat("a", 64))},
		{"images", "a repository the app used, now given no image", []int{3}, giveImages("ghcr.io/acme/x:1")},
		{"images", "the repositories the app used", []int{3}, func(s *finishKeyState) { s.named.used["docker.io/library/redis"] = true }},
		{"images", "an image only other apps use", nil, giveImages("ghcr.io/acme/vote:1,ghcr.io/acme/x:1")},
		{"namespaces", "which objects got the app's namespace", []int{3}, func(s *finishKeyState) { s.named.namespaced = []int{0, 1} }},
		{"namespaces", "that no object got it", []int{3}, func(s *finishKeyState) { s.named.namespaced = nil }},
		{"namespaces", "the app's namespace", []int{3}, func(s *finishKeyState) { s.named.app.Namespace = "other" }},
		{"inputDigest", "the result's input digest", all, func(s *finishKeyState) {
			s.helm.res.InputDigest += "x"
			s.kust.res.InputDigest = ""
			s.plain.res.InputDigest += "x"
		}},
		{"params", "the result's parameters", all, func(s *finishKeyState) {
			s.helm.res.Params["a"] = 2.0
			s.kust.res.Params["b"] = nil
			s.plain.res.Params = nil
		}},
		{"inputs", "the result's inputs", []int{0, 2}, func(s *finishKeyState) {
			s.helm.res.Inputs = append(s.helm.res.Inputs, "x")
			s.plain.res.Inputs = nil
		}},
		{"inputFiles", "a kustomize input's content", []int{1}, appendTo("apps/vote/base/service.yaml", "# more\n")},
		{"valuesFiles", "a helm values file's content", []int{0}, appendTo("charts/redis/values.yaml", "# more\n")},
		{"patches", "the app's patches", every, func(s *finishKeyState) {
			s.helm.patches = nil
			s.kust.patches = []byte("[]")
			s.plain.patches[0]++
			s.named.patches = nil
		}},
		{"objectSource", "an object's file", []int{0, 1}, func(s *finishKeyState) { s.helm.objs[1].File = "y.yaml"; s.kust.objs[0].File = "" }},
		{"objectSource", "an object's line", []int{0, 1}, func(s *finishKeyState) { s.helm.objs[1].Line++; s.kust.objs[0].Line = 0 }},
		{"raw", "a SOPS document's bytes", []int{0, 1}, func(s *finishKeyState) { s.helm.objs[0].Raw = []byte{}; s.kust.objs[1].Raw = []byte("sops: {}\n") }},
		{"objects", "a value", []int{0}, node(helm, func(n *kyaml.RNode) { field(n, "data", "k").Value = "w" })},
		{"objects", "a value's style", []int{1}, node(kust, func(n *kyaml.RNode) { field(n, "data", "n").Style = kyaml.DoubleQuotedStyle })},
		{"objects", "a value's tag", []int{0}, node(helm, func(n *kyaml.RNode) { field(n, "data", "n").Tag = "!!int" })},
		{"objects", "a head comment", []int{1}, node(kust, func(n *kyaml.RNode) { n.Document().HeadComment = "# other" })},
		{"objects", "a line comment", []int{0}, node(helm, func(n *kyaml.RNode) { field(n, "data", "k").LineComment = "# c" })},
		{"objects", "a foot comment", []int{1}, node(kust, func(n *kyaml.RNode) { field(n, "metadata").FootComment = "# f" })},
		{"objects", "an anchor", []int{0}, node(helm, func(n *kyaml.RNode) { field(n, "data").Anchor = "a" })},
		{"objects", "a node's line", []int{1}, node(kust, func(n *kyaml.RNode) { field(n, "data", "k").Line++ })},
		{"objects", "a node's column", []int{0}, node(helm, func(n *kyaml.RNode) { field(n, "data", "k").Column++ })},
		{"objects", "a key moved into the next value", []int{1}, node(kust, func(n *kyaml.RNode) {
			// metadata: {name: a, namespace: instavote} and data: {k, n}
			// become metadata: {name: a} and data: {namespace, instavote, k, n}.
			md, data := field(n, "metadata"), field(n, "data")
			data.Content = append(slices.Clone(md.Content[2:4]), data.Content...)
			md.Content = md.Content[:2]
		})},
		{"objects", "an empty collection, nil or not", []int{0}, node(helm, func(n *kyaml.RNode) {
			field(n, "data").Content = field(n, "data").Content[:0]
		})},
	}
	used := map[string]bool{}
	for _, tc := range cases {
		used[tc.input] = true
		t.Run(tc.name, func(t *testing.T) {
			for _, omit := range []string{"", tc.input} {
				finishOmit = omit
				before := newFinishKeyState(t, root).keys()
				s := newFinishKeyState(t, root)
				tc.change(s)
				after := s.keys()
				finishOmit = ""
				for i := range before {
					switch {
					case before[i] == "" || after[i] == "":
						t.Fatalf("no key: %q, %q", before[i], after[i])
					case !slices.Contains(tc.runs, i) && before[i] != after[i]:
						t.Errorf("run %d: the key changed, but the change is not to this run", i)
					case !slices.Contains(tc.runs, i):
					case omit == "" && before[i] == after[i]:
						t.Errorf("run %d: the key did not change", i)
					case omit != "" && before[i] != after[i]:
						t.Errorf("run %d: with %s left out, the key still changed: the change touches another input", i, omit)
					}
				}
			}
		})
	}

	src, err := os.ReadFile("finished.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`\.use\("(\w+)"\)`).FindAllStringSubmatch(string(src), -1) {
		if !used[m[1]] {
			t.Errorf("the finish key's input %s has no case", m[1])
		}
	}
}

// TestFinishKeyRefusesAliases: an object with an alias is not keyed (its
// target could be hashed over and over), so its app is always laid out.
// objects.Parse resolves aliases, but a SOPS document keeps its bytes and
// with them its aliases.
func TestFinishKeyRefusesAliases(t *testing.T) {
	s := newFinishKeyState(t, copyInstavote(t))
	rn, err := kyaml.Parse("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {a: &x v, b: *x}\n")
	if err != nil {
		t.Fatal(err)
	}
	s.helm.objs = []templates.Object{{Node: rn, File: "x.yaml", Line: 1}}
	if k := s.keys(); k[0] != "" || k[1] == "" || k[2] == "" {
		t.Errorf("keys %q", k)
	}
}

// TestLayoutReadsOncePerEnv: an env's layout reads each file once however
// many apps ask (the bases kustomize apps share), keeps no error, and
// hands out bytes no append can write past.
func TestLayoutReadsOncePerEnv(t *testing.T) {
	var l layoutReads
	n := 0
	read := func() ([]byte, error) {
		n++
		if n == 1 {
			return nil, os.ErrNotExist
		}
		return append(make([]byte, 0, 16), "abc"...), nil
	}
	if _, err := l.read("input:a", read); err == nil {
		t.Fatal("the error was lost")
	}
	for range 3 {
		data, err := l.read("input:a", read)
		if err != nil || string(data) != "abc" || cap(data) != len(data) {
			t.Fatalf("%q (cap %d), %v", data, cap(data), err)
		}
	}
	if n != 2 {
		t.Errorf("read %d times, want 2: once failing, once for every later ask", n)
	}
	if _, err := l.read("values:a", read); err != nil || n != 3 {
		t.Errorf("another kind of file under the same path was not read: %v, %d reads", err, n)
	}
}
