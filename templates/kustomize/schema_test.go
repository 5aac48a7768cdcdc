package kustomize

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/openapi"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/templates"
	"github.com/kiln-gitops/kiln/templates/internal/enginetest"
	"github.com/kiln-gitops/kiln/templates/internal/securefs"
)

// TestSharedBuildsRunTogether proves that two Shared sections overlap:
// each waits inside for the other to have entered. With one build at a
// time (the old one-slot lock) it would deadlock.
//
// Not parallel: both readers wait for each other inside Shared, and the
// guard, like sync.RWMutex, holds back new readers while a writer waits,
// so an exclusive section of a parallel test queued between them would
// deadlock the test (kiln itself never waits on one reader from another).
func TestSharedBuildsRunTogether(t *testing.T) {
	var entered sync.WaitGroup
	entered.Add(2)
	var done sync.WaitGroup
	for range 2 {
		done.Add(1)
		go func() {
			defer done.Done()
			_ = Shared(context.Background(), func() error {
				entered.Done()
				entered.Wait()
				return nil
			})
		}()
	}
	done.Wait()
}

// TestExclusiveRunsAlone checks that an exclusive section leaves no room
// for a reader, and that the built-in schema is back afterwards.
func TestExclusiveRunsAlone(t *testing.T) {
	t.Parallel()
	err := exclusive(context.Background(), func() error {
		if schemaGuard.TryAcquire(1) {
			schemaGuard.Release(1)
			return fmt.Errorf("a reader could enter during an exclusive section")
		}
		return openapi.SetSchema(nil, []byte(`{"definitions": {}}`), true)
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = Shared(context.Background(), func() error {
		if v := openapi.GetSchemaVersion(); v != openapi.DefaultOpenAPI {
			t.Errorf("schema after an exclusive section = %q, want the built-in %q", v, openapi.DefaultOpenAPI)
		}
		return nil
	})
}

// TestSetsSchema checks the precheck's classification: a build runs
// alone when any kustomization of its tree sets openapi: (in a base or a
// component too) or cannot be read.
func TestSetsSchema(t *testing.T) {
	t.Parallel()
	tmp := enginetest.TempDir(t)
	schema := `{"definitions": {}}`
	write(t, tmp, map[string]string{
		"plain/kustomization.yaml":          "resources: [cm.yaml]\n",
		"plain/cm.yaml":                     "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
		"top/kustomization.yaml":            "openapi: {path: schema.json}\nresources: [../plain]\n",
		"top/schema.json":                   schema,
		"version/kustomization.yaml":        "openapi: {version: v1.21.2}\nresources: [../plain]\n",
		"base/kustomization.yaml":           "resources: [../top]\n",
		"comp/c/kustomization.yaml":         "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nopenapi: {path: schema.json}\n",
		"comp/c/schema.json":                schema,
		"comp/app/kustomization.yaml":       "resources: [../../plain]\ncomponents: [../c]\n",
		"broken/kustomization.yaml":         "resources: [../plain\n",
		"brokenbase/kustomization.yaml":     "resources: [../plain, ../broken]\n",
		"twofiles/kustomization.yaml":       "resources: [../plain]\n",
		"twofiles/kustomization.yml":        "resources: [../plain]\n",
		"usestwo/kustomization.yaml":        "resources: [../twofiles]\n",
		"instavote-like/kustomization.yaml": "resources: [../plain]\nnamePrefix: x-\n",
	})
	for _, tc := range []struct {
		dir  string
		want bool
	}{
		{dir: "plain", want: false},
		{dir: "instavote-like", want: false},
		{dir: "top", want: true},
		{dir: "version", want: true},
		{dir: "base", want: true},
		{dir: "comp/app", want: true},
		{dir: "broken", want: true},
		{dir: "brokenbase", want: true},
		{dir: "usestwo", want: true},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			fsys := newFS(t, tmp)
			got := precheck(fsys, filepath.Join(tmp, tc.dir)).setsSchema
			if got != tc.want {
				t.Errorf("precheck(%s) setsSchema = %v, want %v", tc.dir, got, tc.want)
			}
		})
	}
}

// TestConcurrentBuildsRace renders real overlays (the instavote example's
// vote overlays and worker, this package's guestbook and widgets) many
// times at once, interleaved with builds that set a custom openapi:
// schema and with namespace-scope and strategic-merge readers of the
// schema, and compares every result with a sequential render. Run it with
// -race: it is the proof that shared builds do not race on kyaml's
// globals (kubernetes-sigs/kustomize#4824, #5805).
func TestConcurrentBuildsRace(t *testing.T) {
	t.Parallel()
	example := enginetest.Root(t, filepath.Join("..", "..", "examples", "instavote"))
	tmp := enginetest.TempDir(t)
	write(t, tmp, map[string]string{
		"custom/kustomization.yaml": "openapi:\n  path: schema.json\nresources: [cm.yaml]\npatches:\n  - patch: |-\n      apiVersion: v1\n      kind: ConfigMap\n      metadata: {name: a}\n      data: {k: v}\n",
		"custom/schema.json":        bigSchema(500),
		"custom/cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
	})
	type build struct{ root, path string }
	builds := []build{
		{example, "apps/vote/overlays/dev"},
		{example, "apps/vote/overlays/staging"},
		{example, "apps/vote/overlays/prod"},
		{example, "apps/worker"},
		{repoRoot(t), "apps/guestbook/overlays/dev"},
		{repoRoot(t), "apps/guestbook/overlays/prod"},
		{repoRoot(t), "apps/widgets"},
		{tmp, "custom"},
	}
	e := New(Options{})
	want := map[build]string{}
	for _, b := range builds {
		res, err := e.Render(context.Background(), &templates.Request{Root: b.root, App: "a", Path: b.path})
		if err != nil {
			t.Fatalf("%s: %v", b.path, err)
		}
		want[b] = format(res)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64*len(builds))
	for range 12 {
		for _, b := range builds {
			wg.Go(func() {
				res, err := e.Render(context.Background(), &templates.Request{Root: b.root, App: "a", Path: b.path})
				if err != nil {
					errs <- fmt.Errorf("%s: %w", b.path, err)
					return
				}
				if diff := cmp.Diff(want[b], format(res)); diff != "" {
					errs <- fmt.Errorf("%s differs when built concurrently (-want +got):\n%s", b.path, diff)
				}
			})
		}
		// Readers of the schema outside krusty, as render's scopes do.
		wg.Go(func() {
			_ = Shared(context.Background(), func() error {
				for _, tm := range []kyaml.TypeMeta{
					{APIVersion: "apps/v1", Kind: "Deployment"},
					{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"},
					{APIVersion: "example.com/v1", Kind: "Unknown"},
				} {
					openapi.IsNamespaceScoped(tm)
					openapi.SchemaForResourceType(tm)
				}
				return nil
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func newFS(t *testing.T, root string) *securefs.FS {
	t.Helper()
	fsys, err := securefs.New(root)
	if err != nil {
		t.Fatal(err)
	}
	return fsys
}

// bigSchema is a custom OpenAPI schema that knows ConfigMap and n made-up
// kinds: parsing it takes long enough for unguarded readers to overlap.
func bigSchema(n int) string {
	var b strings.Builder
	b.WriteString(`{"definitions": {"io.k8s.api.core.v1.ConfigMap": {"type": "object", "x-kubernetes-group-version-kind": [{"group": "", "kind": "ConfigMap", "version": "v1"}]}`)
	for i := range n {
		fmt.Fprintf(&b, `, "com.example.v1.Kind%[1]d": {"type": "object", "properties": {"spec": {"type": "object"}}, "x-kubernetes-group-version-kind": [{"group": "example.com", "kind": "Kind%[1]d", "version": "v1"}]}`, i)
	}
	b.WriteString("}}")
	return b.String()
}

// TestPlainBuildsLeaveSchemaUnparsed: a plain tree builds under Unparsed,
// beside other builds and without waiting for kyaml's schema to be parsed,
// so nothing its build calls may parse that schema: the parse writes
// kyaml's maps, which other builds read without a lock. Whether a process
// has parsed it shows only in a fresh one, so the test runs itself again.
// The child builds plain trees that use every field a plain tree may set,
// with built-in, cluster-scoped and custom kinds, each many times at once
// beside scope lookups (under -race when the test runs with it), and says
// whether kiln parsed the schema and what a first openapi.Schema call then
// allocates: kyaml keeps no public mark of its parse, and a first parse
// allocates megabytes where a parsed schema allocates nothing. A tree with
// a patch is the control: there the schema is parsed, and the call
// allocates nothing.
func TestPlainBuildsLeaveSchemaUnparsed(t *testing.T) {
	if mode := os.Getenv("KILN_TEST_PLAIN_SCHEMA_CHILD"); mode != "" {
		plainBuildsChild(t, mode)
		return
	}
	t.Parallel()
	for _, mode := range []string{"plain", "patched"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestPlainBuildsLeaveSchemaUnparsed$", "-test.count=1", "-test.shuffle=off", "-test.v")
		cmd.Env = append(os.Environ(), "KILN_TEST_PLAIN_SCHEMA_CHILD="+mode)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", mode, err, out)
		}
		var kiln bool
		var allocs uint64
		found := false
		for _, l := range strings.Split(string(out), "\n") {
			if _, err := fmt.Sscanf(l, "schema parsed by kiln %t, then a parse allocates %d", &kiln, &allocs); err == nil {
				found = true
			}
		}
		switch {
		case !found:
			t.Errorf("%s: the child did not report:\n%s", mode, out)
		case mode == "plain" && (kiln || allocs < 1<<20):
			t.Errorf("plain builds parsed kyaml's schema (kiln: %t; a parse afterwards allocated %d bytes, want megabytes):\n%s", kiln, allocs, out)
		case mode == "patched" && (!kiln || allocs >= 1<<20):
			t.Errorf("a patched build left kyaml's schema unparsed (kiln: %t; a parse afterwards allocated %d bytes, want none): the test cannot tell\n%s", kiln, allocs, out)
		}
	}
}

// plainTrees use every field plainKustomization allows: resources (files
// and a folder), namePrefix, nameSuffix, namespace, labels (with
// selectors), commonLabels, commonAnnotations, images, replicas,
// sortOptions and crds (a custom kind whose reference to a ConfigMap the
// prefix renames).
var plainTrees = map[string]string{
	"base/kustomization.yaml": "resources: [deployment.yaml, service.yaml, cm.yaml]\n",
	"base/deployment.yaml":    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: nginx}]}\n",
	"base/service.yaml":       "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n  ports: [{port: 80}]\n",
	"base/cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {k: v}\n",
	"overlay/kustomization.yaml": "resources: [../base, widget.yaml, rbac.yaml]\nnamePrefix: p-\nnameSuffix: -s\nnamespace: team\n" +
		"labels: [{pairs: {env: dev}, includeSelectors: true}]\ncommonLabels: {tier: web}\ncommonAnnotations: {owner: t}\n" +
		"images: [{name: nginx, newTag: '1.27'}]\nreplicas: [{name: web, count: 3}]\nsortOptions: {order: legacy}\ncrds: [widget-crd.json]\n",
	"overlay/widget.yaml": "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: gadget}\nspec: {configRef: {name: settings}}\n",
	"overlay/rbac.yaml": "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: reader}\nrules: []\n---\n" +
		"apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: read}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}\n" +
		"subjects: [{kind: ServiceAccount, name: default, namespace: default}]\n",
	"overlay/widget-crd.json": `{"example.com.v1.Widget": {"Schema": {"properties": {"apiVersion": {}, "kind": {}, "metadata": {}, "spec": {"$ref": "example.com.v1.WidgetSpec"}}}}, ` +
		`"example.com.v1.WidgetSpec": {"Schema": {"properties": {"configRef": {"x-kubernetes-object-ref-api-version": "v1", "x-kubernetes-object-ref-kind": "ConfigMap"}}}}}`,
	"fifo/kustomization.yaml":    "resources: [../overlay]\nnamespace: other\nsortOptions: {order: fifo}\n",
	"patched/kustomization.yaml": "resources: [../base]\npatches:\n  - patch: |-\n      apiVersion: v1\n      kind: ConfigMap\n      metadata: {name: settings}\n      data: {k: w}\n",
}

func plainBuildsChild(t *testing.T, mode string) {
	tmp := enginetest.TempDir(t)
	write(t, tmp, plainTrees)
	dirs := []string{"base", "overlay", "fifo"}
	if mode == "patched" {
		dirs = []string{"patched"}
	}
	e := New(Options{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	outs := map[string]map[string]bool{}
	for range 16 {
		for _, dir := range dirs {
			wg.Go(func() {
				res, err := e.Render(context.Background(), &templates.Request{Root: tmp, App: "a", Path: dir})
				if err != nil {
					t.Errorf("%s: %v", dir, err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				if outs[dir] == nil {
					outs[dir] = map[string]bool{}
				}
				outs[dir][format(res)] = true
			})
		}
		// Scope lookups, as render's do (scope.go), of a built-in, a
		// cluster-scoped and an unknown kind.
		wg.Go(func() {
			_ = Unparsed(context.Background(), func() error {
				for _, tm := range []kyaml.TypeMeta{
					{APIVersion: "apps/v1", Kind: "Deployment"},
					{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"},
					{APIVersion: "example.com/v1", Kind: "Widget"},
				} {
					openapi.IsNamespaceScoped(tm)
				}
				return nil
			})
		})
	}
	wg.Wait()
	for dir, got := range outs {
		if len(got) != 1 {
			t.Errorf("%s: %d different results from the same tree built at once", dir, len(got))
		}
		if dir == "overlay" {
			for out := range got {
				// The kinds and fields that make the tree what it is
				// are in its output: the crds field renamed the reference.
				for _, want := range []string{"name: p-gadget-s", "configRef:\n    name: p-settings-s", "namespace: team", "image: nginx:1.27", "replicas: 3", "kind: ClusterRole"} {
					if !strings.Contains(out, want) {
						t.Errorf("overlay's output lacks %q:\n%s", want, out)
					}
				}
			}
		}
	}
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	before := s[0].Value.Uint64()
	_ = openapi.Schema() // nothing runs beside it now
	metrics.Read(s)
	fmt.Printf("\nschema parsed by kiln %t, then a parse allocates %d\n", SchemaParsed(), s[0].Value.Uint64()-before)
}
