package render_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/kustomize/api/krusty"
	kustypes "sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/internal/testenv"
	"github.com/kiln-gitops/kiln/render"
	"github.com/kiln-gitops/kiln/render/internal/validate"
)

// fluxObject is one object as the cluster gets it: decoded from JSON into
// unstructured form, as kustomize-controller and the API server read it.
type fluxObject struct {
	id  string
	obj map[string]any
}

// fluxBuild runs kustomize build on every apps/<app>/ folder of the env's
// tree, as kustomize-controller does (krusty, in process, with fluxcd/pkg
// kustomize Build's options: no load restrictions, builtin plugins only;
// kiln's kustomization.yaml lists only files of its folder, so root-only
// loading would build the same), and reads its output as
// kustomize-controller reads it (ssa.ReadObjects: the YAML-or-JSON decoder
// into unstructured objects, expanding Lists and dropping what it drops).
// It returns the objects by folder, or the build's error.
func fluxBuild(t testing.TB, er *render.EnvResult) (map[string][]fluxObject, error) {
	t.Helper()
	fs := filesys.MakeFsInMemory()
	dirs := map[string]bool{}
	for name, data := range er.Files {
		if err := fs.MkdirAll(path.Dir("/" + name)); err != nil {
			t.Fatal(err)
		}
		if err := fs.WriteFile("/"+name, data); err != nil {
			t.Fatal(err)
		}
		if parts := strings.Split(name, "/"); len(parts) == 3 && parts[0] == "apps" && parts[2] == "kustomization.yaml" {
			dirs["/"+parts[0]+"/"+parts[1]] = true
		}
	}
	out := map[string][]fluxObject{}
	for dir := range dirs {
		opts := krusty.MakeDefaultOptions()
		opts.LoadRestrictions = kustypes.LoadRestrictionsNone
		m, err := krusty.MakeKustomizer(opts).Run(fs, dir)
		if err != nil {
			return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
		}
		y, err := m.AsYaml()
		if err != nil {
			return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
		}
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(y), 2048)
		for {
			u := &unstructured.Unstructured{}
			err := dec.Decode(u)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("reading kustomize build %s: %w", dir, err)
			}
			if u.Object == nil {
				continue
			}
			// ssa.ReadObjects expands Lists and drops what is no
			// Kubernetes object or is a kustomize Kustomization.
			if u.IsList() {
				if err := u.EachListItem(func(item k8sruntime.Object) error {
					o := item.(*unstructured.Unstructured).Object
					out[dir[1:]] = append(out[dir[1:]], fluxObject{id: idOf(o), obj: o})
					return nil
				}); err != nil {
					return nil, err
				}
				continue
			}
			if u.GetName() == "" || u.GetKind() == "" || u.GetAPIVersion() == "" ||
				u.GetKind() == "Kustomization" && u.GroupVersionKind().Group == "kustomize.config.k8s.io" {
				continue
			}
			out[dir[1:]] = append(out[dir[1:]], fluxObject{id: idOf(u.Object), obj: u.Object})
		}
	}
	return out, nil
}

// bookkeeping are kustomize's own annotations, which kustomize build
// leaves out of what it applies.
func bookkeeping(k string) bool {
	switch k {
	case "config.kubernetes.io/path", "config.kubernetes.io/index", "config.kubernetes.io/origin",
		"config.k8s.io/id", "alpha.config.kubernetes.io/transformations":
		return true
	}
	return strings.HasPrefix(k, "internal.config.kubernetes.io/")
}

// keptObjects reads the object files of the env's tree (every file of an
// apps/<app>/ folder but its kustomization.yaml) with kiln's reader, and
// returns each as the JSON kiln validated, decoded as the API server
// decodes it, by folder.
func keptObjects(t testing.TB, er *render.EnvResult) map[string][]fluxObject {
	t.Helper()
	out := map[string][]fluxObject{}
	for name, data := range er.Files {
		parts := strings.Split(name, "/")
		if len(parts) != 3 || parts[0] != "apps" || parts[2] == "kustomization.yaml" {
			continue
		}
		objs, err := objects.Parse(data, name, 0)
		if err != nil {
			t.Fatalf("kiln cannot read the file it wrote, %s: %v", name, err)
		}
		for _, o := range objs {
			j, err := validate.JSON(o)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			u := &unstructured.Unstructured{}
			if err := u.UnmarshalJSON(j); err != nil {
				t.Fatalf("%s: the JSON kiln validated: %v", name, err)
			}
			if md, ok := u.Object["metadata"].(map[string]any); ok {
				// kustomize build rewrites annotations, leaving out a
				// null map, which the API server reads as no map.
				if a, ok := md["annotations"]; ok && a == nil {
					delete(md, "annotations")
				}
				if a, ok := md["annotations"].(map[string]any); ok {
					for k := range a {
						if bookkeeping(k) {
							delete(a, k)
						}
					}
					if len(a) == 0 {
						delete(md, "annotations")
					}
				}
			}
			dir := parts[0] + "/" + parts[1]
			out[dir] = append(out[dir], fluxObject{id: idOf(u.Object), obj: u.Object})
		}
	}
	return out
}

func idOf(o map[string]any) string {
	md, _ := o["metadata"].(map[string]any)
	return fmt.Sprintf("%v %v %v/%v", o["apiVersion"], o["kind"], md["namespace"], md["name"])
}

// assertFluxBuildSame holds every app folder of the env's tree against
// what Flux applies from it: kustomize build must neither fail nor drop,
// add or change an object kiln wrote and validated.
func assertFluxBuildSame(t testing.TB, er *render.EnvResult) {
	t.Helper()
	if n := fluxBuildSame(t, er); n == 0 {
		t.Fatalf("env %s: no object to compare", er.Env)
	}
}

// fluxBuildSame is assertFluxBuildSame; it returns how many objects kiln
// wrote.
func fluxBuildSame(t testing.TB, er *render.EnvResult) int {
	t.Helper()
	built, err := fluxBuild(t, er)
	if err != nil {
		t.Fatalf("env %s: Flux's kustomize build fails on what kiln wrote: %v", er.Env, err)
	}
	kept := keptObjects(t, er)
	for _, m := range []map[string][]fluxObject{built, kept} {
		for _, objs := range m {
			slices.SortFunc(objs, func(a, b fluxObject) int { return strings.Compare(a.id, b.id) })
		}
	}
	for dir := range kept {
		if _, ok := built[dir]; !ok {
			built[dir] = nil
		}
	}
	for dir, objs := range built {
		if diff := cmp.Diff(kept[dir], objs, cmp.AllowUnexported(fluxObject{})); diff != "" {
			t.Errorf("env %s, %s: what kustomize build applies differs from what kiln wrote and validated (-kiln +kustomize):\n%s", er.Env, dir, diff)
		}
	}
	n := 0
	for _, objs := range kept {
		n += len(objs)
	}
	return n
}

// TestFluxBuildsWhatKilnChecked renders the bundled example and the real
// charts of testdata, and holds each app folder against kustomize build.
func TestFluxBuildsWhatKilnChecked(t *testing.T) {
	t.Parallel()
	for _, er := range renderAll(t, load(t, example), testOptions()) {
		if er.Err != nil {
			t.Fatalf("env %s: %v", er.Env, er.Err)
		}
		assertFluxBuildSame(t, er)
	}

	sops := renderAll(t, load(t, sopsRepo), checkOptions(false))
	if sops[0].Err != nil {
		t.Fatal(sops[0].Err)
	}
	assertFluxBuildSame(t, sops[0])

	// The real podinfo chart with its optional objects on, the guestbook
	// overlays (a strategic merge patch, a component, generators) and the
	// jsonnet fixtures (lists, nested arrays), in one project.
	dir := t.TempDir()
	testenv.CopyTrees(t, dir, map[string]string{
		"charts/podinfo": "../testdata/charts/podinfo",
		"kust":           "../templates/kustomize/testdata/repo",
		"js":             "../templates/jsonnet/testdata/repo",
	})
	writeProjectIn(t, dir, map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\n  - name: prod\nmanifests:\n  github: acme/manifests\n" +
			"apps:\n  - name: podinfo\n    namespace: apps\n    helm:\n      chart: charts/podinfo\n" +
			"  - name: guestbook\n    namespace: guestbook\n    kustomize: kust/apps/guestbook/overlays/{env}\n" +
			"  - name: list\n    namespace: apps\n    jsonnet:\n      file: js/apps/list/main.jsonnet\n      jpath: [js/lib, js/vendor]\n",
		"envs/dev.yaml": "",
		"envs/prod.yaml": "apps:\n  podinfo:\n    values:\n      replicaCount: 3\n      hpa: {enabled: true}\n      ingress: {enabled: true}\n" +
			"      serviceMonitor: {enabled: false}\n      redis: {enabled: true}\n      certificate: {create: false}\n",
	})
	for _, er := range renderAll(t, load(t, dir), testOptions()) {
		if er.Err != nil {
			t.Fatalf("env %s: %v", er.Env, er.Err)
		}
		if len(er.Apps) != 3 {
			t.Fatalf("env %s: %d apps", er.Env, len(er.Apps))
		}
		assertFluxBuildSame(t, er)
	}
}

// widgetCRD serves example.com/v1 Widget, which keeps any field: what
// kiln's validation lets through is then up to the YAML alone.
const widgetCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, listKind: WidgetList, plural: widgets, singular: widget}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
`

// renderWidgetApp renders one yaml app holding the Widget CRD and doc.
func renderWidgetApp(t *testing.T, doc string) *render.EnvResult {
	t.Helper()
	dir := writeProject(t, map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\nmanifests:\n  github: acme/manifests\n" +
			"apps:\n  - name: x\n    namespace: ns\n    yaml: apps/x\n",
		"envs/dev.yaml":       "",
		"apps/x/crd.yaml":     widgetCRD,
		"apps/x/objects.yaml": doc,
	})
	r, err := render.New(load(t, dir), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	results, err := r.Render(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return results[0]
}

// TestFluxBuildHostile renders objects that kustomize reads in its own
// way: each is refused by kiln with an error at its line, or kustomize
// build applies exactly what kiln wrote and validated.
func TestFluxBuildHostile(t *testing.T) {
	t.Parallel()
	widget := "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n"
	gadget := "apiVersion: example.org/v1\nkind: Gadget\nmetadata:\n  name: g\nspec:\n" // a kind kiln knows nothing of
	for name, tc := range map[string]struct {
		doc     string
		refused string // a part of the error, "" when kiln writes it
	}{
		"patch directives": {doc: widget + "  list:\n  - name: a\n    $patch: delete\n  m:\n    $patch: replace\n  $setElementOrder/list: [{name: a}]\n  $retainKeys: [m]\n"},
		"top-level patch":  {doc: "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n$patch: delete\n"},
		"numbers": {doc: widget + "  big: 12345678901234567890123\n  u64: 18446744073709551615\n  f: 1e3\n  hex: 0x1F\n  oct: 0o17\n  oct11: 017\n" +
			"  under: 1_000\n  plus: +12\n  bin: 0b101\n  minusz: -0\n  tiny: 0.1e-400\n"},
		"look-alike strings": {doc: widget + "  yes: yes\n  on: on\n  y: y\n  n: N\n  tilde: ~\n  null2: Null\n  ts: 2001-12-14t21:59:43.10-05:00\n" +
			"  date: 2002-12-14\n  sexa: 190:20:30\n  tagged: !!str 123\n  bool: True\n  q: '0x1F'\n"},
		"empty and null":    {doc: widget + "  em: {}\n  el: []\n  s: \"\"\n  n: null\n  m: {a: null}\n"},
		"infinity":          {doc: widget + "  x: .inf\n", refused: `objects.yaml:6: app x: Widget/ns/w: field "spec.x" is an infinite or not-a-number float`},
		"negative infinity": {doc: widget + "  x: -.Inf\n", refused: `objects.yaml:6: app x: Widget/ns/w: field "spec.x" is an infinite or not-a-number float`},
		"not a number":      {doc: widget + "  x: .NaN\n", refused: `objects.yaml:6: app x: Widget/ns/w: field "spec.x" is an infinite or not-a-number float`},
		"huge exponent":     {doc: widget + "  x: 1e400\n  y: -1e400\n"},
		"keys":              {doc: widget + "  a.b.c: 1\n  \"x~y\": 2\n  \"[0]\": 3\n  \"a/b\": 4\n  \"\": 5\n  \"$x\": 6\n"},
		"duplicate key":     {doc: widget + "  a: 1\n  a: 2\n", refused: "objects.yaml"},
		// kustomize build turns a mapping with a key that is not a string
		// into a map JSON cannot hold, and refuses a key twice, whatever
		// the kind: Flux would build none of the app.
		"int key":                             {doc: widget + "  m:\n    1: a\n", refused: `objects.yaml:7: app x: Widget/ns/w: field "spec.m.1" has a key YAML reads as !!int`},
		"bool key in a ConfigMap":             {doc: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  true: a\n", refused: `objects.yaml:5: app x: ConfigMap/ns/c: field "data.true" has a key YAML reads as !!bool`},
		"null key of an unknown kind":         {doc: gadget + "  m:\n    ~: a\n", refused: `objects.yaml:7: app x: Gadget/ns/g: field "spec.m.~" has a key YAML reads as !!null`},
		"tagged key of an unknown kind":       {doc: gadget + "  m:\n    !foo k: a\n", refused: `objects.yaml:7: app x: Gadget/ns/g: field "spec.m.k" has a key YAML reads as !foo`},
		"list key of an unknown kind":         {doc: gadget + "  m:\n    ? [a, b]\n    : c\n", refused: `objects.yaml:7: app x: Gadget/ns/g: field "spec.m" has a key that is not a string`},
		"string keys":                         {doc: gadget + "  m:\n    \"1\": a\n    !!str 2: b\n    on: c\n    'null': d\n    \"2001-12-14\": e\n"},
		"quoted merge key":                    {doc: widget + "  m:\n    \"<<\": {a: 1}\n", refused: `objects.yaml:7: app x: Widget/ns/w: field "spec.m.<<" has the key "<<"`},
		"tagged merge key of an unknown kind": {doc: gadget + "  l:\n  - !!str <<: x\n", refused: `objects.yaml:7: app x: Gadget/ns/g: field "spec.l[0].<<" has the key "<<"`},
		"duplicate key of an unknown kind":    {doc: gadget + "  m:\n    a: 1\n    b: 2\n    a: 3\n", refused: `objects.yaml:9: app x: Gadget/ns/g: duplicate field "spec.m.a"`},
		"crlf":                                {doc: strings.ReplaceAll(widget+"  a: |\n    x\n    y\n  b: c\n", "\n", "\r\n")},
		"bom":                                 {doc: "\ufeff" + widget + "  a: b\n"},
		"block separators": {doc: widget + "  a: |\n    ---\n    x: y\n    ...\n  b: >\n    ---\n  c: \"\\n---\\n\"\n# ---\n---\n# ---\n" +
			strings.Replace(widget, "name: w", "name: w2", 1) + "  a: b # ---\n"},
		// yaml.v3's emitter adds a line break before a more-indented
		// line of a folded scalar (yaml/go-yaml#337): written as parsed,
		// the value gains a "\n" (a kyverno CEL expression, a script).
		"folded more-indented": {doc: widget + "  a: >-\n    all(c,\n      c.x ||\n       c.y)\n    end\n  b: >\n    a\n     b\n\n    c\n" +
			"  c: >+\n    x\n     y\n\n  d: >2-\n     lead\n    next\n  e: \"\\tt\\nu\"\n"},
		"invisible": {doc: widget + "  a: \"\\u200b\\u00a0\\t\\x01\"\n  b: \"\\uFEFFx\"\n  c: \"\\U0001F600\"\n"},
		"long line": {doc: widget + "  a: " + strings.Repeat("x", 200000) + "\n  b: \"" + strings.Repeat("y ", 5000) + "\"\n"},
		"lists": {doc: "apiVersion: example.com/v1\nkind: WidgetList\nitems:\n- " + strings.ReplaceAll(strings.TrimSuffix(widget, "\n"), "\n", "\n  ") + "\n    a: 1\n" +
			"---\napiVersion: v1\nkind: ConfigMapList\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: c}, data: {a: b}}\n" +
			"---\napiVersion: v1\nkind: List\nitems: []\n"},
		"kustomize annotations": {doc: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  annotations:\n    kustomize.config.k8s.io/needs-hash: \"true\"\n    kustomize.config.k8s.io/behavior: merge\n    config.kubernetes.io/function: \"container: {image: x}\"\ndata: {a: b}\n"},
		"generate name":         {doc: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  generateName: c-\ndata: {a: b}\n", refused: "objects.yaml:1: app x: ConfigMap/: object has no metadata.name"},
		"empty namespace":       {doc: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: \"\"\ndata: {a: b}\n"},
		"bookkeeping set":       {doc: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  annotations:\n    config.kubernetes.io/index: \"7\"\n    internal.config.kubernetes.io/path: x.yaml\n    config.k8s.io/id: \"1\"\ndata: {a: b}\n"},
		"kustomize kinds": {doc: "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nmetadata: {name: k}\nresources: [x.yaml]\n" +
			"---\napiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nmetadata: {name: c}\n",
			refused: "objects.yaml:1: app x: Kustomization/ns/k: a kustomize Kustomization (kustomize.config.k8s.io/v1beta1) is kustomize's configuration"},
		"next line":                {doc: widget + "  a: \"x\\Ny\"\n", refused: `objects.yaml:6: app x: Widget/ns/w: field "spec.a" holds the character U+0085`},
		"next line key":            {doc: widget + "  m:\n    \"x\\Ny\": 1\n", refused: `objects.yaml:7: app x: Widget/ns/w: field "spec.m" has a key holding the character U+0085`},
		"next line in a ConfigMap": {doc: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  a: \"x\\Ny\"\n", refused: `objects.yaml:5: app x: ConfigMap/ns/c: field "data.a" holds the character U+0085`},
		// kustomize build makes its output through JSON, which leaves these
		// raw, and its YAML reader of that JSON refuses them: the build of
		// the whole app fails.
		"delete":                      {doc: widget + "  a: \"x\\x7Fy\"\n", refused: `objects.yaml:6: app x: Widget/ns/w: field "spec.a" holds the control character U+007F`},
		"C1 control in a ConfigMap":   {doc: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  a: \"\\x93quoted\\x94\"\n", refused: `objects.yaml:5: app x: ConfigMap/ns/c: field "data.a" holds the control character U+0093`},
		"noncharacter":                {doc: widget + "  a: \"\\uFFFF\"\n", refused: `objects.yaml:6: app x: Widget/ns/w: field "spec.a" holds the control character U+FFFF`},
		"C1 control key":              {doc: widget + "  m:\n    \"x\\x9Fy\": 1\n", refused: `objects.yaml:7: app x: Widget/ns/w: field "spec.m" has a key holding the control character U+009F`},
		"characters kustomize passes": {doc: widget + "  a: \"\\xA0\\uFFFD\\uFFFC\\U0001FFFE\\U0010FFFF\\x1F\"\n  m:\n    \"\\uFFFD\\xA0\": 1\n"},
		"rbac names": {doc: "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: \"a~b\"}\n---\n" +
			"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: \"system:a:b\"}\n---\n" +
			"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: \"a b ü\"}\n---\n" +
			"apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: \"x~G~v1~ConfigMap|ns|a\"}\n---\n" +
			"apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: \"*\"}\n"},
		"cluster-scoped namespaces": {doc: "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r, namespace: a}\n---\n" +
			"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r, namespace: b}\n", refused: "ClusterRole"},
		// kube-apiserver keeps core Events and events.k8s.io Events as one
		// resource: one name in both groups is one object.
		"one object in two groups": {doc: "apiVersion: v1\nkind: Event\nmetadata: {name: e}\ninvolvedObject: {kind: Pod, name: p, namespace: ns}\nreason: x\nmessage: m\n---\n" +
			"apiVersion: events.k8s.io/v1\nkind: Event\nmetadata: {name: e}\neventTime: \"2026-01-02T03:04:05.000000Z\"\nreportingController: example.com/c\nreportingInstance: i\naction: A\nreason: R\ntype: Normal\nregarding: {kind: Pod, name: p, namespace: ns}\n",
			refused: "objects.yaml:8: app x: Event/ns/e: produced twice by this app"},
		"numeric name":            {doc: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: 123\n", refused: "objects.yaml"},
		"numeric namespace":       {doc: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: 0x10\n", refused: "objects.yaml"},
		"tagged":                  {doc: widget + "  a: !!binary aGk=\n  b: !!int \"0x10\"\n  c: !!float 1\n  d: !!str true\n  e: !custom x\n  f: !!timestamp 2001-12-14\n  g: !!timestamp 2001-12-14t21:59:43.10-05:00\n  i: !!null \"\"\n  j: !!bool \"false\"\n"},
		"tagged yes":              {doc: widget + "  a: !!bool yes\n", refused: `objects.yaml:6: app x: Widget/ns/w: field "spec.a" is tagged !!bool but its value is not one`},
		"tagged infinity":         {doc: widget + "  a: !!float .inf\n", refused: `objects.yaml:6: app x: Widget/ns/w: field "spec.a" is an infinite`},
		"typed metadata values":   {doc: "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  annotations: {a: 1}\n", refused: `objects.yaml:5: app x: Widget/ns/w: wrong type for field "metadata.annotations": got number, want string`},
		"typed labels":            {doc: "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  labels: {b: true}\n", refused: `objects.yaml:5: app x: Widget/ns/w: wrong type for field "metadata.labels": got bool, want string`},
		"typed built-in metadata": {doc: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: w\n  annotations: {a: 1}\n", refused: `objects.yaml:5: app x: ConfigMap/ns/w: wrong type for field "metadata.annotations.a"`},
		"empty documents":         {doc: "---\n---\n# only a comment\n---\n" + widget + "  a: b\n---\n...\n"},
		"component":               {doc: "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nmetadata: {name: c}\n"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			er := renderWidgetApp(t, tc.doc)
			if tc.refused != "" {
				if er.Err == nil || !strings.Contains(er.Err.Error(), tc.refused) {
					t.Fatalf("error %v, want one with %q", er.Err, tc.refused)
				}
				return
			}
			if er.Err != nil {
				t.Fatal(er.Err)
			}
			assertFluxBuildSame(t, er)
		})
	}
}

// TestFluxBuildFlowNulls: yaml.v3's emitter cannot write an empty plain
// scalar in a flow collection and quotes it, so the null of {a: } was
// written as an empty quoted string, applied as "". kiln reads its own file as Flux does, so
// assertFluxBuildSame cannot see it: the values are held against the
// input's. The shapes are the YAML test suite's 8KB6, C2DT and HM87/01
// (testdata/yaml-test-suite).
func TestFluxBuildFlowNulls(t *testing.T) {
	t.Parallel()
	doc := "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n" +
		"  a: [{single line, a: b}, {multi\n    line, a: b}]\n  b: {\"empty\": }\n  c: [?x]\n  d: {e: , f: [{g: }], h: !!null , i: ~}\n  e: [!!null , x]\n"
	er := renderWidgetApp(t, doc)
	if er.Err != nil {
		t.Fatal(er.Err)
	}
	assertFluxBuildSame(t, er)
	built, err := fluxBuild(t, er)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"a": []any{map[string]any{"single line": nil, "a": "b"}, map[string]any{"multi line": nil, "a": "b"}},
		"b": map[string]any{"empty": nil},
		"c": []any{map[string]any{"x": nil}},
		"d": map[string]any{"e": nil, "f": []any{map[string]any{"g": nil}}, "h": nil, "i": nil},
		"e": []any{nil, "x"},
	}
	var got any
	for _, o := range built["apps/x"] {
		if o.obj["kind"] == "Widget" {
			got = o.obj["spec"]
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Flux applies another spec than the file's (-file +applied):\n%s", diff)
	}
}

// TestFluxBuildHostileEngines renders values that JSON-to-YAML and template
// output could let change type or shape, from jsonnet and Helm apps, and
// holds the folders kiln wrote against kustomize build.
func TestFluxBuildHostileEngines(t *testing.T) {
	t.Parallel()
	values := map[string]any{
		"strs": []string{"yes", "no", "on", "off", "y", "n", "Y", "true", "True", "null", "~", "", "1", "1.0", "0x1F", "0o17", "017", "1e3", "1_000",
			".inf", ".nan", "-.Inf", "2001-12-14", "12:30:00", "190:20:30", "0b101", "+12", "-0", "=", "<<", "!tag", "&a", "*a", "%x", "@x", "`x",
			"a: b", "- a", "[a]", "{a: b}", "#x", "x #y", "x: ", "\n---\n", "---", "...", "a\r\nb", "\ufeffx", "\u200b", "\u2028", "\t", " x ", "x\n",
			"\tx\ny", "\tall:\n\tgo build\n"},
		"nums": []any{0, -0.0, 0.1, 1.0 / 3, 1 << 53, 1.5e-300, 2.5e-5},
	}
	vj, err := json.Marshal(values)
	if err != nil {
		t.Fatal(err)
	}
	dir := writeProject(t, map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\nmanifests:\n  github: acme/manifests\n" +
			"apps:\n  - name: crd\n    namespace: ns\n    yaml: crd\n" +
			"  - name: js\n    namespace: ns\n    jsonnet: js/main.jsonnet\n    dependsOn: [crd]\n" +
			"  - name: chart\n    namespace: ns\n    helm: {chart: chart}\n    dependsOn: [crd]\n",
		"envs/dev.yaml":               "",
		"crd/crd.yaml":                widgetCRD,
		"js/main.jsonnet":             "local v = " + string(vj) + ";\n{apiVersion: 'example.com/v1', kind: 'Widget', metadata: {name: 'js'}, spec: v + {['k' + s]: s for s in v.strs if s != '' && std.length(std.findSubstr('\\n', s)) == 0} + {keys: {[s]: s for s in v.strs if s != '<<'}}}\n",
		"chart/Chart.yaml":            "apiVersion: v2\nname: chart\nversion: 0.1.0\n",
		"chart/values.yaml":           string(vj) + "\n",
		"chart/templates/crlf.yaml":   strings.ReplaceAll("apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: crlf\nspec:\n  a: |\n    x\n    ---\n    y\n  b: c # ---\n---\n# ---\n", "\n", "\r\n"),
		"chart/templates/folded.yaml": "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: folded\nspec:\n  cel: >-\n    all(c,\n      c.x ||\n       c.y)\n    end\n",
		"chart/templates/bom.yaml":    "\ufeffapiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: bom\nspec:\n  a: >-\n    ---\n\n    ...\n  b: \"\\t\"\n",
		"chart/templates/w.yaml": "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: helm\nspec:\n  quoted:\n{{- range .Values.strs }}\n  - {{ . | quote }}\n{{- end }}\n" +
			"  json: {{ toJson .Values }}\n  yaml:\n{{ toYaml .Values | indent 4 }}\n",
	})
	er := renderAll(t, load(t, dir), testOptions())[0]
	if er.Err != nil {
		t.Fatal(er.Err)
	}
	if len(er.Objects) != 6 {
		t.Fatalf("objects: %v", er.Objects)
	}
	assertFluxBuildSame(t, er)
	// What kiln wrote holds the chart's value, as helm template gives it.
	objs, err := objects.Parse(er.Files["apps/chart/widget_folded.yaml"], "widget_folded.yaml", 0)
	if err != nil || len(objs) != 1 {
		t.Fatalf("reading widget_folded.yaml: %v", err)
	}
	if got, want := objs[0].Node.Field("spec").Value.Field("cel").Value.YNode().Value, "all(c,\n  c.x ||\n   c.y)\nend"; got != want {
		t.Errorf("the folded scalar is written as %q, want %q", got, want)
	}
}

// TestFluxBuildRefusesControlCharactersFromJsonnet renders a jsonnet app
// whose strings hold characters kustomize build fails on (std.char(127),
// a Windows-1252 curly quote decoded as Latin-1): kiln used to write them,
// and Flux applied none of the app.
func TestFluxBuildRefusesControlCharactersFromJsonnet(t *testing.T) {
	t.Parallel()
	dir := writeProject(t, map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\nmanifests:\n  github: acme/manifests\n" +
			"apps:\n  - name: js\n    namespace: ns\n    jsonnet: js/main.jsonnet\n",
		"envs/dev.yaml": "",
		"js/main.jsonnet": "local cm(name, data) = {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: name}, data: data};\n" +
			"[\n  cm('del', {a: 'x' + std.char(127)}),\n  cm('quote', {b: std.char(147) + 'hi' + std.char(148)}),\n]\n",
	})
	er := renderAll(t, load(t, dir), testOptions())[0]
	if er.Err == nil {
		t.Fatal("rendered; want an error for each object")
	}
	for _, want := range []string{
		`js/main.jsonnet:3: app js: ConfigMap/ns/del: field "data.a" holds the control character U+007F`,
		`js/main.jsonnet:4: app js: ConfigMap/ns/quote: field "data.b" holds the control character U+0093`,
	} {
		if !strings.Contains(er.Err.Error(), want) {
			t.Errorf("error %v\nwant one with %q", er.Err, want)
		}
	}
}

// TestFluxBuildJsonnetMergeKey: a jsonnet field named "<<" is a merge key
// to kustomize build however kiln writes it (plain, kustomize merges its
// value into the object; quoted, it leaves it out), so kiln refuses it
// at the object rather than let Flux apply another object.
func TestFluxBuildJsonnetMergeKey(t *testing.T) {
	t.Parallel()
	dir := writeProject(t, map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\nmanifests:\n  github: acme/manifests\n" +
			"apps:\n  - name: js\n    namespace: ns\n    jsonnet: main.jsonnet\n",
		"envs/dev.yaml": "",
		"main.jsonnet":  "{apiVersion: 'example.org/v1', kind: 'Gadget', metadata: {name: 'g'}, spec: {'<<': {a: 'b'}}}\n",
	})
	er := renderAll(t, load(t, dir), testOptions())[0]
	want := `main.jsonnet:1: app js: Gadget/ns/g: field "spec.<<" has the key "<<"`
	if er.Err == nil || !strings.Contains(er.Err.Error(), want) {
		t.Fatalf("error %v, want one with %q", er.Err, want)
	}
}
