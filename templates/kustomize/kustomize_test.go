package kustomize

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/templates/internal/enginetest"

	gold "github.com/kiln-gitops/kiln/internal/golden"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/limits"
	"github.com/kiln-gitops/kiln/internal/rootfs"
	"github.com/kiln-gitops/kiln/templates"
	"github.com/kiln-gitops/kiln/templates/internal/securefs"
)

var update = flag.Bool("update", false, "rewrite golden files")

// repoRoot returns the absolute, symlink-free path of testdata/repo.
func repoRoot(t *testing.T) string {
	t.Helper()
	return enginetest.Root(t, filepath.Join("testdata", "repo"))
}

// format prints a result the way a reviewer reads it: the inputs, then
// the objects as one YAML stream, each headed by where it came from.
func format(res *templates.Result) string {
	var b strings.Builder
	b.WriteString("# inputs:\n")
	for _, in := range res.Inputs {
		fmt.Fprintf(&b, "#   %s\n", in)
	}
	for _, o := range res.Objects {
		fmt.Fprintf(&b, "---\n# file: %s line: %d\n%s", o.File, o.Line, o.Node.MustString())
	}
	return b.String()
}

// formatErr prints an error with machine-specific paths replaced.
func formatErr(err error, replacements ...string) string {
	s := err.Error()
	for i := 0; i+1 < len(replacements); i += 2 {
		s = strings.ReplaceAll(s, replacements[i], replacements[i+1])
	}
	return s + "\n"
}

// golden compares got with testdata/golden/<dir>/<name>, rewriting it
// under -update.
func golden(t *testing.T, dir, name, got string) {
	t.Helper()
	gold.File(t, filepath.Join("testdata", "golden", dir, name), []byte(got), *update)
}

// removeStale deletes golden files of dir that no case produced, under -update.
func removeStale(t *testing.T, dir string, produced map[string]bool) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join("testdata", "golden", dir))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if produced[e.Name()] {
			continue
		}
		if !*update {
			t.Errorf("stale golden file testdata/golden/%s/%s (run go test -update to remove it)", dir, e.Name())
			continue
		}
		if err := os.Remove(filepath.Join("testdata", "golden", dir, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
}

var renderCases = []struct {
	name    string
	app     string
	path    string
	wantErr bool
}{
	{name: "base", app: "guestbook", path: "apps/guestbook/base"},
	{name: "dev", app: "guestbook", path: "apps/guestbook/overlays/dev"},
	{name: "prod", app: "guestbook", path: "apps/guestbook/overlays/prod"},
	{name: "widgets", app: "widgets", path: "apps/widgets"},
	{name: "helm-charts", app: "redis", path: "apps/helm", wantErr: true},
	{name: "remote", app: "platform", path: "apps/remote", wantErr: true},
	{name: "no-kustomization", app: "nokust", path: "apps/no-kustomization", wantErr: true},
	{name: "missing-folder", app: "guestbook", path: "apps/guestbok/base", wantErr: true},
	{name: "path-is-file", app: "guestbook", path: "apps/guestbook/base/kustomization.yaml", wantErr: true},
	{name: "typo", app: "typo", path: "apps/typo", wantErr: true},
	{name: "bad-resource", app: "bad", path: "apps/bad-resource", wantErr: true},
	{name: "bad-escape", app: "bad", path: "apps/bad-escape", wantErr: true},
	{name: "exec-plugin", app: "exec", path: "apps/exec-plugin", wantErr: true},
	{name: "missing-files", app: "missing", path: "apps/missing-files", wantErr: true},
	{name: "unknown-field", app: "unknown", path: "apps/unknown-field", wantErr: true},
	{name: "unknown-entry-field", app: "unknown", path: "apps/unknown-entry-field", wantErr: true},
	{name: "patch-no-match", app: "patch", path: "apps/patch-no-match", wantErr: true},
}

func TestRender(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	produced := map[string]bool{}
	t.Run("cases", func(t *testing.T) {
		for _, tc := range renderCases {
			file := tc.name + ".yaml"
			if tc.wantErr {
				file = tc.name + ".err"
			}
			produced[file] = true
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				req := &templates.Request{Root: root, App: tc.app, Namespace: "ignored", Env: "dev", Path: tc.path}
				res, err := New(Options{}).Render(context.Background(), req)
				if tc.wantErr {
					if err == nil {
						t.Fatalf("Render succeeded, want an error")
					}
					checkDiag(t, err, tc.app)
					golden(t, "render", file, formatErr(err, root, "$ROOT"))
					return
				}
				if err != nil {
					t.Fatalf("Render: %v", err)
				}
				golden(t, "render", file, format(res))
			})
		}
	})
	removeStale(t, "render", produced)
}

// checkDiag checks that every error inside err is a *diag.Error naming app.
func checkDiag(t *testing.T, err error, app string) {
	t.Helper()
	for _, e := range diag.Flatten(err) {
		var de *diag.Error
		if !errors.As(e, &de) {
			t.Errorf("error %q is not a *diag.Error", e)
			continue
		}
		if de.App != app {
			t.Errorf("error %q names app %q, want %q", e, de.App, app)
		}
		if de.File == "" || de.Hint == "" {
			t.Errorf("error %q has no file or no hint", e)
		}
	}
}

func TestRenderResult(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	req := &templates.Request{Root: root, App: "guestbook", Path: "apps/guestbook/overlays/dev"}
	res, err := New(Options{}).Render(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	wantInputs := []string{
		"apps/guestbook/base/config/app.properties",
		"apps/guestbook/base/deployment.yaml",
		"apps/guestbook/base/kustomization.yaml",
		"apps/guestbook/base/service.yaml",
		"apps/guestbook/overlays/dev/kustomization.yaml",
		"apps/guestbook/overlays/dev/replicas.yaml",
	}
	if diff := cmp.Diff(wantInputs, res.Inputs); diff != "" {
		t.Errorf("Inputs (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(res.InputDigest, "sha256:") || len(res.InputDigest) != len("sha256:")+64 {
		t.Errorf("InputDigest = %q, want sha256:<64 hex>", res.InputDigest)
	}
	if res.Params != nil {
		t.Errorf("Params = %v, want nil", res.Params)
	}
	// Each object names its source: the resource file and the line of its
	// document, or the entry of the generator that made it; no origin
	// annotation is left in the output.
	wantSrc := map[string]string{
		"ConfigMap":  "apps/guestbook/base/kustomization.yaml:11",
		"Service":    "apps/guestbook/base/service.yaml:1",
		"Deployment": "apps/guestbook/base/deployment.yaml:1",
	}
	for _, o := range res.Objects {
		if got := fmt.Sprintf("%s:%d", o.File, o.Line); got != wantSrc[o.Node.GetKind()] {
			t.Errorf("object %s/%s: source %s, want %s", o.Node.GetKind(), o.Node.GetName(), got, wantSrc[o.Node.GetKind()])
		}
		if _, ok := o.Node.GetAnnotations()["config.kubernetes.io/origin"]; ok {
			t.Errorf("object %s/%s keeps kustomize's origin annotation", o.Node.GetKind(), o.Node.GetName())
		}
	}

	// Rendering again gives the same bytes and digest: the ConfigMap's
	// hash suffix is a function of its content.
	again, err := New(Options{}).Render(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(format(res), format(again)); diff != "" {
		t.Errorf("second render differs (-first +second):\n%s", diff)
	}
	if res.InputDigest != again.InputDigest {
		t.Errorf("InputDigest changed between renders: %s, %s", res.InputDigest, again.InputDigest)
	}
}

func TestInputDigestFollowsContent(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	root, err := filepath.EvalSymlinks(root)
	if err != nil {
		t.Fatal(err)
	}
	write(t, root, map[string]string{
		"app/kustomization.yaml": "resources: [cm.yaml]\n",
		"app/cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: v1}\n",
		"app/unused.yaml":        "not read\n",
	})
	req := &templates.Request{Root: root, App: "a", Path: "app"}
	first, err := New(Options{}).Render(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"app/cm.yaml", "app/kustomization.yaml"}, first.Inputs); diff != "" {
		t.Errorf("Inputs (-want +got):\n%s", diff)
	}
	write(t, root, map[string]string{"app/unused.yaml": "still not read\n"})
	same, err := New(Options{}).Render(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if same.InputDigest != first.InputDigest {
		t.Errorf("a file that is not an input changed the digest")
	}
	write(t, root, map[string]string{"app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: v2}\n"})
	changed, err := New(Options{}).Render(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if changed.InputDigest == first.InputDigest {
		t.Errorf("changing an input kept the digest %s", first.InputDigest)
	}
}

func write(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func symlink(t *testing.T, root string, links map[string]string) {
	t.Helper()
	for name, target := range links {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.FromSlash(target), p); err != nil {
			t.Fatal(err)
		}
	}
}

// escapeTree builds tmp/repo, the repository, next to tmp/outside, which
// holds a kustomization and a "secret" that no render may read.
func escapeTree(t *testing.T) (tmp, root string) {
	t.Helper()
	tmp = enginetest.TempDir(t)
	root = filepath.Join(tmp, "repo")
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n"
	write(t, tmp, map[string]string{
		"outside/kustomization.yaml": "resources: [secret.yaml]\n",
		"outside/secret.yaml":        fmt.Sprintf(cm, "stolen") + "data:\n  password: hunter2\n",

		"repo/apps/escapes/dotdot/kustomization.yaml": "resources:\n  - ../../../../outside\n",

		"repo/apps/escapes/filelink/kustomization.yaml": "resources:\n  - secret.yaml\n",

		"repo/apps/escapes/dirlink/kustomization.yaml": "resources:\n  - base\n",

		"repo/apps/escapes/patchlink/kustomization.yaml": "resources:\n  - cm.yaml\npatches:\n  - path: patch.yaml\n",
		"repo/apps/escapes/patchlink/cm.yaml":            fmt.Sprintf(cm, "stolen"),

		"repo/apps/escapes/generator/kustomization.yaml": "configMapGenerator:\n  - name: creds\n    files:\n      - password=../../../../outside/secret.yaml\n",

		"repo/apps/escapes/nested/kustomization.yaml": "resources:\n  - ../filelink\n",

		"repo/apps/escapes/component/kustomization.yaml": "resources:\n  - cm.yaml\ncomponents:\n  - ../../../../outside\n",
		"repo/apps/escapes/component/cm.yaml":            fmt.Sprintf(cm, "fine"),
	})
	symlink(t, tmp, map[string]string{
		"repo/apps/escapes/filelink/secret.yaml": "../../../../outside/secret.yaml",
		"repo/apps/escapes/dirlink/base":         "../../../../outside",
		"repo/apps/escapes/patchlink/patch.yaml": "../../../../outside/secret.yaml",
		"repo/apps/linked":                       "../../outside",
	})
	return tmp, root
}

func TestRenderEscapes(t *testing.T) {
	t.Parallel()
	tmp, root := escapeTree(t)
	tests := []struct {
		name string
		path string
	}{
		{name: "dotdot-base", path: "apps/escapes/dotdot"},
		{name: "symlinked-file", path: "apps/escapes/filelink"},
		{name: "symlinked-dir", path: "apps/escapes/dirlink"},
		{name: "symlinked-patch", path: "apps/escapes/patchlink"},
		{name: "generator-file", path: "apps/escapes/generator"},
		{name: "nested-base", path: "apps/escapes/nested"},
		{name: "component", path: "apps/escapes/component"},
		{name: "kustomize-path", path: "../outside"},
		{name: "symlinked-kustomize-path", path: "apps/linked"},
	}
	produced := map[string]bool{}
	t.Run("cases", func(t *testing.T) {
		for _, tc := range tests {
			produced[tc.name+".err"] = true
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				req := &templates.Request{Root: root, App: "escape", Path: tc.path}
				res, err := New(Options{}).Render(context.Background(), req)
				if err == nil {
					t.Fatalf("Render succeeded with %d objects, want an error", len(res.Objects))
				}
				checkDiag(t, err, "escape")
				if !errors.Is(err, rootfs.ErrOutside) {
					t.Errorf("error does not wrap rootfs.ErrOutside: %v", err)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Errorf("error shows the outside file's content: %v", err)
				}
				golden(t, "escape", tc.name+".err", formatErr(err, root, "$ROOT", tmp, "$TMP"))
			})
		}
	})
	removeStale(t, "escape", produced)
}

// TestSecureFSStopsKrusty runs krusty on the escapes without the precheck:
// the file system alone must refuse them.
func TestSecureFSStopsKrusty(t *testing.T) {
	t.Parallel()
	_, root := escapeTree(t)
	for _, dir := range []string{"apps/escapes/dotdot", "apps/escapes/filelink", "apps/escapes/dirlink", "apps/escapes/patchlink", "apps/escapes/generator", "apps/escapes/component"} {
		t.Run(dir, func(t *testing.T) {
			t.Parallel()
			fsys, err := securefs.New(root)
			if err != nil {
				t.Fatal(err)
			}
			err = exclusive(context.Background(), func() error {
				_, err := krusty.MakeKustomizer(krustyOptions()).Run(fsys, filepath.Join(root, dir))
				return err
			})
			if err == nil {
				t.Fatal("krusty built an escaping kustomization")
			}
			if len(fsys.Denied()) == 0 {
				t.Errorf("the file system refused nothing; krusty failed with: %v", err)
			}
			for _, in := range fsys.Read() {
				if strings.HasPrefix(in, "..") {
					t.Errorf("read %s, outside the root", in)
				}
			}
			// What Render makes of it names the escape.
			de := buildError(&templates.Request{Root: root, App: "escape"}, fsys, dir+"/kustomization.yaml", err)
			if !errors.Is(de, rootfs.ErrOutside) || !strings.Contains(de.Error(), "leads outside the repository") {
				t.Errorf("buildError = %v, want an escape error", de)
			}
		})
	}
}

// TestRemoteRefusedWithoutGitOrHTTP puts a fake git first on PATH and
// serves the remote URLs from a local server: neither may be used.
// Not parallel: it sets PATH.
func TestRemoteRefusedWithoutGitOrHTTP(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		fmt.Fprint(w, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fetched\n")
	}))
	defer srv.Close()

	bin := t.TempDir()
	marker := filepath.Join(bin, "git-ran")
	script := "#!/bin/sh\necho \"$@\" >> '" + marker + "'\nexit 1\n"
	if err := os.WriteFile(filepath.Join(bin, "git"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))

	root := enginetest.TempDir(t)
	u := srv.URL // http://127.0.0.1:port
	write(t, root, map[string]string{
		"app/kustomization.yaml": strings.Join([]string{
			"resources:",
			"  - " + u + "/deploy.yaml",
			"  - git::" + u + "/acme/base.git//deploy?ref=v1",
			"  - github.com/acme/base//deploy?ref=v1",
			"  - git@github.com:acme/base.git",
			"  - ssh://git@127.0.0.1/acme/base.git",
			"components:",
			"  - " + u + "/acme/component.git",
			"transformers:",
			"  - transformer.yaml",
			"crds:",
			"  - " + u + "/crd.json",
			"configMapGenerator:",
			"  - name: fetched",
			"    files:",
			"      - conf=" + u + "/conf.txt",
			"",
		}, "\n"),
		"app/transformer.yaml": "apiVersion: builtin\nkind: PatchTransformer\nmetadata:\n  name: p\npath: " + u + "/patch.yaml\n",
	})
	_, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "remote", Path: "app"})
	if err == nil {
		t.Fatal("Render succeeded, want remote bases refused")
	}
	checkDiag(t, err, "remote")
	got := formatErr(err, u, "$SERVER")
	golden(t, "remote", "refused.err", got)
	if n := hits.Load(); n != 0 {
		t.Errorf("the render made %d HTTP requests", n)
	}
	if data, err := os.ReadFile(marker); err == nil {
		t.Errorf("the render ran git: %s", data)
	}
}

func TestRenderCanceled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := New(Options{}).Render(ctx, &templates.Request{Root: repoRoot(t), App: "guestbook", Path: "apps/guestbook/base"})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Render error = %v, want context.Canceled", err)
	}
}

// TestConcurrentRenders renders several apps at once from one Engine; run
// it with -race.
func TestConcurrentRenders(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	e := New(Options{})
	paths := []string{"apps/guestbook/base", "apps/guestbook/overlays/dev", "apps/guestbook/overlays/prod", "apps/widgets"}
	want := map[string]string{}
	for _, p := range paths {
		res, err := e.Render(context.Background(), &templates.Request{Root: root, App: "a", Path: p})
		if err != nil {
			t.Fatal(err)
		}
		want[p] = format(res)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4*len(paths))
	for range 4 {
		for _, p := range paths {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := e.Render(context.Background(), &templates.Request{Root: root, App: "a", Path: p})
				if err != nil {
					errs <- err
					return
				}
				if diff := cmp.Diff(want[p], format(res)); diff != "" {
					errs <- fmt.Errorf("%s differs when rendered concurrently (-want +got):\n%s", p, diff)
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestCustomOpenAPIDoesNotLeak renders a kustomization whose `openapi:`
// schema knows only ConfigMap, then the dev overlay: kustomize keeps the
// schema in globals, and without the reset after an exclusive build the
// overlay's strategic merge patch would replace the container instead of merging it
// (https://github.com/fluxcd/pkg/issues/1237).
func TestCustomOpenAPIDoesNotLeak(t *testing.T) {
	t.Parallel()
	tmp := enginetest.TempDir(t)
	write(t, tmp, map[string]string{
		"app/kustomization.yaml": "openapi:\n  path: schema.json\nresources: [cm.yaml]\n",
		"app/schema.json":        `{"definitions": {"io.k8s.api.core.v1.ConfigMap": {"type": "object", "x-kubernetes-group-version-kind": [{"group": "", "kind": "ConfigMap", "version": "v1"}]}}}`,
		"app/cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
	})
	e := New(Options{})
	if _, err := e.Render(context.Background(), &templates.Request{Root: tmp, App: "custom", Path: "app"}); err != nil {
		t.Fatal(err)
	}
	res, err := e.Render(context.Background(), &templates.Request{Root: repoRoot(t), App: "guestbook", Path: "apps/guestbook/overlays/dev"})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "render", "dev.yaml", format(res))
}

// TestPanicRecovered feeds kustomize an OpenAPI schema it panics on
// (kyaml's initSchema panics on an invalid custom schema): Render returns
// an error naming the app, and later renders are unaffected.
func TestPanicRecovered(t *testing.T) {
	t.Parallel()
	tmp := enginetest.TempDir(t)
	write(t, tmp, map[string]string{
		"app/kustomization.yaml": "openapi:\n  path: schema.json\nresources: [cm.yaml]\npatches:\n  - patch: |-\n      apiVersion: v1\n      kind: ConfigMap\n      metadata: {name: a}\n      data: {k: v}\n",
		"app/schema.json":        `{"definitions": [not json`,
		"app/cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
	})
	e := New(Options{})
	_, err := e.Render(context.Background(), &templates.Request{Root: tmp, App: "broken", Path: "app"})
	if err == nil {
		t.Fatal("Render succeeded, want an error")
	}
	checkDiag(t, err, "broken")
	// Not golden: the JSON decoder's wording of the cause varies.
	var de *diag.Error
	if !errors.As(err, &de) || de.File != "app/schema.json" || de.Line != 1 || !strings.Contains(de.Msg, "openapi.path names at app/kustomization.yaml:2 is no schema kustomize can read") {
		t.Errorf("error = %v, want the panic's schema named at app/schema.json:1", err)
	}
	res, err := e.Render(context.Background(), &templates.Request{Root: repoRoot(t), App: "guestbook", Path: "apps/guestbook/overlays/dev"})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "render", "dev.yaml", format(res))
}

// TestSourceLocations: a document kustomize accepts but Kubernetes does not
// (kustomize's "breakfast" example has no apiVersion) is reported at its
// resource file and line, not at a line of the build output; origin
// annotations a kustomization asks for stay in the output.
func TestSourceLocations(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write := func(name, data string) {
		t.Helper()
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("app/kustomization.yaml", "resources: [ok.yaml, breakfast.yaml]\nnamePrefix: x-\n")
	write("app/ok.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n")
	write("app/breakfast.yaml", "# a comment\nkind: Breakfast\nmetadata: {name: alice}\neggs: 2\n---\nkind: Breakfast\nmetadata: {name: bob}\neggs: 1\n")
	_, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "demo", Path: "app"})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"app/breakfast.yaml:2: app demo: object has no apiVersion", "app/breakfast.yaml:6: app demo: object has no apiVersion"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}

	write("kept/kustomization.yaml", "resources: [ok.yaml]\nbuildMetadata: [originAnnotations]\n")
	write("kept/ok.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n")
	res, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "demo", Path: "kept"})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Objects[0].Node.GetAnnotations()["config.kubernetes.io/origin"]; !strings.Contains(got, "ok.yaml") {
		t.Errorf("origin annotation %q, want the one the kustomization asked for", got)
	}
	if o := res.Objects[0]; o.File != "kept/ok.yaml" || o.Line != 1 {
		t.Errorf("source %s:%d, want kept/ok.yaml:1", o.File, o.Line)
	}
}

// TestBuildErrorsShowNoValue makes kustomize fail in each way whose message
// quotes generator data or a replacement's source value: a malformed
// literal (kustomize lists every literal of the generator, good ones
// included), an .env line with bytes that are not UTF-8 (kustomize prints
// the line), a replacement's index out of bounds (kustomize prints the
// value). The error must name the kustomization, or the .env file's
// line, and show no value.
func TestBuildErrorsShowNoValue(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		files map[string]string
		file  string // default app/kustomization.yaml
		line  int    // 0: not checked
		msg   string
	}{
		{name: "literal", files: map[string]string{
			"app/kustomization.yaml": "secretGenerator:\n- name: s\n  literals: [password=Sup3rS3cretGood, Sup3rS3cretBad]\n",
		}, line: 3, msg: "secretGenerator s: a literal is not key=value"},
		{name: "literal on its line", files: map[string]string{
			"app/kustomization.yaml": "configMapGenerator:\n- name: c\n  literals:\n  - a=b\nsecretGenerator:\n- name: s\n  literals:\n  - password=Sup3rS3cretGood\n  - Sup3rS3cretBad\n",
		}, line: 9, msg: "secretGenerator s: a literal is not key=value"},
		{name: "literal with leading =", files: map[string]string{
			"app/kustomization.yaml": "secretGenerator:\n- name: s\n  literals: [\"=Sup3rS3cret\", \"token=Sup3rS3cret2\"]\n",
		}, line: 3, msg: "secretGenerator s: a literal is not key=value"},
		{name: "env line", files: map[string]string{
			"app/kustomization.yaml": "secretGenerator:\n- name: s\n  envs: [a.env]\n",
			"app/a.env":              "USER=admin\nPASSWORD=Sup3r\xffS3cret\n",
		}, file: "app/a.env", line: 2, msg: "env source files: [a.env]: a line is not UTF-8"},
		// kustomize makes a line without '=' one key with an empty value:
		// a password written alone on its line would become a key, which
		// no redactor masks, SOPS does not encrypt and diffs show.
		{name: "env line without =", files: map[string]string{
			"app/kustomization.yaml": "secretGenerator:\n- name: s\n  envs: [a.env]\n",
			"app/a.env":              "# creds\nUSER=admin\n\n  Sup3rS3cretValue!\n",
		}, file: "app/a.env", line: 4, msg: "secretGenerator s: a line is not KEY=value"},
		{name: "env line without = and valid as a key", files: map[string]string{
			"app/kustomization.yaml": "secretGenerator:\n- name: s\n  envs: [sub/a.env]\n",
			"app/sub/a.env":          "\ufeffSup3rS3cretValue\nUSER=admin\n",
		}, file: "app/sub/a.env", line: 1, msg: "secretGenerator s: a line is not KEY=value"},
		{name: "env line without = in a generator's configuration", files: map[string]string{
			"app/kustomization.yaml": "generators: [gen.yaml]\n",
			"app/gen.yaml":           "apiVersion: builtin\nkind: SecretGenerator\nmetadata: {name: s}\nenvs: [a.env]\n",
			"app/a.env":              "USER=admin\nSup3rS3cretValue\n",
		}, file: "app/a.env", line: 2, msg: "secretGenerator s: a line is not KEY=value"},
		{name: "replacement index", files: map[string]string{
			"app/kustomization.yaml": "resources: [s.yaml, cm.yaml]\nreplacements:\n- source: {kind: Secret, name: s, fieldPath: stringData.pw, options: {delimiter: '-', index: 5}}\n" +
				"  targets: [{select: {kind: ConfigMap}, fieldPaths: [data.x]}]\n",
			"app/s.yaml":  "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {pw: Sup3rS3cret-tail}\n",
			"app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {x: y}\n",
		}, msg: "options.index 5 is out of bounds for the source value"},
		{name: "patch of the wrong kind", files: map[string]string{
			"app/kustomization.yaml": "resources: [s.yaml]\npatches:\n- target: {kind: Secret}\n  patch: |-\n    apiVersion: v1\n    kind: Secret\n" +
				"    metadata: {name: s}\n    stringData: [Sup3rS3cretPatch]\n",
			"app/s.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {pw: x}\n",
		}, msg: "wrong node kind: expected MappingNode but got SequenceNode (kiln does not show the node"},
		{name: "tagged value", files: map[string]string{
			"app/kustomization.yaml": "resources: [s.yaml]\n",
			"app/s.yaml":             "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  pw: !!int Sup3rS3cret\n",
		}, file: "app/s.yaml", msg: "kustomize cannot serialise the object"},
		// kyaml prints a --- line that holds more than a comment: a
		// document in flow style on it, a Secret's data and all.
		{name: "document on the separator's line", files: map[string]string{
			"app/kustomization.yaml": "resources: [s.yaml]\n",
			"app/s.yaml":             "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n--- {apiVersion: v1, kind: Secret, metadata: {name: s}, stringData: {pw: 'Sup3rS3cret'}}\n",
		}, file: "app/s.yaml", line: 4, msg: "invalid document separator: --- (kiln does not show the rest of the line: it may hold a secret)': must build"},
		{name: "document on the separator's line, in a base", files: map[string]string{
			"app/kustomization.yaml":  "resources: [../base]\n",
			"base/kustomization.yaml": "resources: [s.yaml]\n",
			"base/s.yaml":             "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---   {apiVersion: v1, kind: Secret, metadata: {name: s}, stringData: {pw: \"Sup3rS3cret': must\"}}\n",
		}, file: "base/s.yaml", line: 4, msg: "invalid document separator: --- (kiln does not show the rest of the line: it may hold a secret)': must build"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root, err := filepath.EvalSymlinks(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			write(t, root, tc.files)
			_, err = New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "a", Path: "app"})
			var de *diag.Error
			if !errors.As(err, &de) {
				t.Fatalf("Render() = %v, want a *diag.Error", err)
			}
			msg := err.Error()
			for _, part := range []string{"Sup3r", "S3cret", "83 51 99"} {
				if strings.Contains(msg, part) {
					t.Errorf("error shows %q of a value:\n%s", part, msg)
				}
			}
			file := tc.file
			if file == "" {
				file = "app/kustomization.yaml"
			}
			if de.File != file || !strings.Contains(de.Msg, tc.msg) || (tc.line > 0 && de.Line != tc.line) {
				t.Errorf("error in %s:%d: %q, want %s:%d and %q", de.File, de.Line, de.Msg, file, tc.line, tc.msg)
			}
		})
	}
}

// TestFieldLines: a field of an object is reported at its line in the
// resource file, whatever kustomize did to the object: it writes objects
// through JSON, keys sorted and the file's blank lines gone, so the lines
// of its text are no lines of the file. A field the file does not hold (a
// label the kustomization adds, a field or container a patch adds) is at
// the object's own line, not at a line of the wrong file. Both ways kiln
// learns an object's source are covered: a plain tree (labels) and a tree
// with patches (origin annotations).
func TestFieldLines(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write(t, root, map[string]string{
		"base/kustomization.yaml": "resources: [deploy.yaml]\nlabels: [{pairs: {tier: web}, includeSelectors: true}]\n",
		"base/deploy.yaml": `# settings first
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {a: "1"}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web

spec:
  # how many

  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: web:1
        ports:
        - containerPort: 80
          name: http
`,
		"overlay/kustomization.yaml": "resources: [../base]\npatches: [{path: patch.yaml}]\n",
		"overlay/patch.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  minReadySeconds: 5
  template:
    spec:
      containers:
      - name: sidecar
        image: sidecar:1
`,
	})
	type at struct {
		path []string
		line int
	}
	common := []at{
		{[]string{"spec", "replicas"}, 15},
		{[]string{"spec", "template", "spec", "containers", "web", "image"}, 24},
		{[]string{"spec", "template", "spec", "containers", "web", "ports", "0", "name"}, 27},
		{[]string{"metadata", "labels", "tier"}, 7},
		{[]string{"spec", "selector", "matchLabels", "tier"}, 7},
	}
	for _, tc := range []struct {
		dir  string
		want []at
	}{
		{"base", common},
		{"overlay", append(common,
			at{[]string{"spec", "minReadySeconds"}, 7},
			at{[]string{"spec", "template", "spec", "containers", "sidecar", "image"}, 7})},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			t.Parallel()
			res, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "demo", Path: tc.dir})
			if err != nil {
				t.Fatal(err)
			}
			var dep *templates.Object
			for i := range res.Objects {
				if res.Objects[i].Node.GetKind() == "Deployment" {
					dep = &res.Objects[i]
				}
			}
			if dep == nil || dep.File != "base/deploy.yaml" || dep.Line != 7 {
				t.Fatalf("Deployment not from base/deploy.yaml:7: %+v", dep)
			}
			for _, w := range tc.want {
				n := fieldKey(dep.Node.YNode(), w.path)
				if n == nil {
					t.Errorf("%s: no such field", strings.Join(w.path, "."))
					continue
				}
				if got := dep.LineOf(n); got != w.line {
					t.Errorf("%s at line %d, want %d", strings.Join(w.path, "."), got, w.line)
				}
			}
		})
	}
}

// fieldKey returns the key node of the field at path in n: mapping keys,
// list indexes, or the name of a named list item.
func fieldKey(n *kyaml.Node, path []string) *kyaml.Node {
	var key *kyaml.Node
	for _, p := range path {
		switch n.Kind {
		case kyaml.MappingNode:
			var next *kyaml.Node
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == p {
					key, next = n.Content[i], n.Content[i+1]
				}
			}
			if next == nil {
				return nil
			}
			n = next
		case kyaml.SequenceNode:
			var next *kyaml.Node
			for i, item := range n.Content {
				if strconv.Itoa(i) == p || objects.ItemName(item) == p {
					next = item
				}
			}
			if next == nil {
				return nil
			}
			n, key = next, next
		default:
			return nil
		}
	}
	return key
}

// TestManagedByLabel: buildMetadata: [managedByLabel] labels every object
// as `kustomize build` v5.8.2 does, whatever version kiln's own binary
// carries (krusty would write kustomize-(devel), an invalid label value,
// or kiln's version). A base's buildMetadata does not count, as in krusty.
func TestManagedByLabel(t *testing.T) {
	t.Parallel()
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	write(t, root, map[string]string{
		"base/kustomization.yaml": "resources: [cm.yaml]\nbuildMetadata: [managedByLabel]\n",
		"base/cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, labels: {app.kubernetes.io/managed-by: helm}}\n",
		"top/kustomization.yaml":  "resources: [../base]\nbuildMetadata: [managedByLabel]\nconfigMapGenerator:\n- name: gen\n  literals: [k=v]\n",
	})
	for _, tc := range []struct {
		path, want string
	}{
		{"top", "kustomize-v5.8.2"},
		{"base", "kustomize-v5.8.2"},
	} {
		res, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "a", Path: tc.path})
		if err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		if len(res.Objects) == 0 {
			t.Fatalf("%s: no objects", tc.path)
		}
		for _, o := range res.Objects {
			if got := o.Node.GetLabels()["app.kubernetes.io/managed-by"]; got != tc.want {
				t.Errorf("%s: %s/%s: managed-by label %q, want %q", tc.path, o.Node.GetKind(), o.Node.GetName(), got, tc.want)
			}
		}
	}
	write(t, root, map[string]string{"top/kustomization.yaml": "resources: [../base]\nconfigMapGenerator:\n- name: gen\n  literals: [k=v]\n"})
	res, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "a", Path: "top"})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range res.Objects {
		want := "" // the generated ConfigMap has no labels
		if o.Node.GetName() == "a" {
			want = "helm" // as written in cm.yaml
		}
		if got := o.Node.GetLabels()["app.kubernetes.io/managed-by"]; got != want {
			t.Errorf("only the base asks: %s/%s: managed-by label %q, want %q", o.Node.GetKind(), o.Node.GetName(), got, want)
		}
	}
}

// TestKustomizeVersionMatchesModule: kustomizeVersion is the kustomize
// release of the api module kiln links (kustomize v5.M.P links api
// v0.(M+13).P: v5.8.0 api v0.21.0, v5.7.1 api v0.20.1), and the one
// `make refbin` installs to compare with.
func TestKustomizeVersionMatchesModule(t *testing.T) {
	// A test binary carries no module versions (debug.ReadBuildInfo lists
	// no dependencies), so read go.mod.
	mod, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*sigs\.k8s\.io/kustomize/api (v\S+)`).FindSubmatch(mod)
	if m == nil {
		t.Fatal("go.mod requires no sigs.k8s.io/kustomize/api")
	}
	api := string(m[1])
	var minor, patch int
	if _, err := fmt.Sscanf(api, "v0.%d.%d", &minor, &patch); err != nil {
		t.Fatalf("kustomize api version %q: %v", api, err)
	}
	if want := fmt.Sprintf("v5.%d.%d", minor-13, patch); kustomizeVersion != want {
		t.Errorf("kustomizeVersion = %s, but kiln links kustomize api %s, which kustomize %s links: update kustomizeVersion and the Makefile's refbin", kustomizeVersion, api, want)
	}
	mk, err := os.ReadFile(filepath.Join("..", "..", "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(mk), "sigs.k8s.io/kustomize/kustomize/v5@"+kustomizeVersion+"\n") {
		t.Errorf("the Makefile's refbin does not install kustomize %s", kustomizeVersion)
	}
}

// TestSortOptions: a kustomization's sortOptions order the objects as
// kustomize build orders them, and kiln logs nothing about it (krusty
// logged a warning about a --reorder flag when kiln set the order
// explicitly; kustomize build prints none). Without sortOptions the order
// is the legacy one. Not parallel: it reads the process's standard logger.
func TestSortOptions(t *testing.T) {
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	objs := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: n}\n"
	write(t, root, map[string]string{
		"fifo/kustomization.yaml":   "resources: [r.yaml]\nsortOptions:\n  order: fifo\n",
		"fifo/r.yaml":               objs,
		"legacy/kustomization.yaml": "resources: [r.yaml]\n",
		"legacy/r.yaml":             objs,
	})
	var logged strings.Builder
	w, flags := log.Writer(), log.Flags()
	log.SetOutput(&logged)
	log.SetFlags(0)
	defer func() { log.SetOutput(w); log.SetFlags(flags) }()
	for path, want := range map[string]string{"fifo": "ConfigMap Namespace", "legacy": "Namespace ConfigMap"} {
		res, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "a", Path: path})
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		var kinds []string
		for _, o := range res.Objects {
			kinds = append(kinds, o.Node.GetKind())
		}
		if got := strings.Join(kinds, " "); got != want {
			t.Errorf("%s: order %s, want %s", path, got, want)
		}
	}
	if logged.Len() > 0 {
		t.Errorf("the builds logged:\n%s", logged.String())
	}
}

// TestVarsLogNoValue: krusty logs about vars, once quoting a var's value
// whole (a Secret's data); kiln logs nothing and warns without the value.
// Not parallel: it reads the process's standard logger.
func TestVarsLogNoValue(t *testing.T) {
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	write(t, root, map[string]string{
		"base/kustomization.yaml": `resources: [pod.yaml]
secretGenerator:
- name: db
  literals: [PASSWORD=hunter2SECRET]
vars:
- name: DBDATA
  objref: {kind: Secret, name: db, apiVersion: v1}
  fieldref: {fieldpath: data}
`,
		"base/pod.yaml":          "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: c, image: busybox, args: [\"$(DBDATA)\"]}\n",
		"top/kustomization.yaml": "resources: [../base]\nnamePrefix: x-\n",
	})
	var logged strings.Builder
	w, flags := log.Writer(), log.Flags()
	log.SetOutput(&logged)
	log.SetFlags(0)
	defer func() { log.SetOutput(w); log.SetFlags(flags) }()
	res, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "a", Path: "top"})
	if err != nil {
		t.Fatal(err)
	}
	if logged.Len() > 0 {
		t.Errorf("the build logged:\n%s", logged.String())
	}
	var got []string
	for _, w := range res.Warnings {
		got = append(got, w.File+": "+w.Msg)
		for _, v := range []string{"hunter2SECRET", "aHVudGVyMlNFQ1JFVA"} {
			if strings.Contains(w.Msg+w.Hint, v) {
				t.Errorf("warning %q shows the secret's value", w.Msg)
			}
		}
	}
	want := []string{
		"top/kustomization.yaml: a var's value is a map or a list, not a string, number or bool, so kustomize leaves its $(NAME) as written (kiln does not show the value: it may hold a secret)",
		"top/kustomization.yaml: vars never replaced: DBDATA (kustomize build warns the same)",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

// TestUnusedVarsWarningSorted: krusty logs the vars it never replaced in
// Go's map order, a different order each build; kiln's warning names them
// sorted, so that the same kustomization warns the same text every run
// (and the render cache, --output json and the job summary agree).
func TestUnusedVarsWarningSorted(t *testing.T) {
	t.Parallel()
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"ALPHA", "BRAVO", "CHARLIE", "DELTA", "ECHO", "FOXTROT", "GOLF", "HOTEL"}
	var k strings.Builder
	k.WriteString("resources: [cm.yaml]\nvars:\n")
	for _, n := range names {
		fmt.Fprintf(&k, "- name: %s\n  objref: {kind: ConfigMap, name: cm, apiVersion: v1}\n  fieldref: {fieldpath: metadata.name}\n", n)
	}
	write(t, root, map[string]string{
		"app/kustomization.yaml": k.String(),
		"app/cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {a: b}\n",
	})
	want := "vars never replaced: " + strings.Join(names, ", ") + " (kustomize build warns the same)"
	for i := range 10 {
		res, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "a", Path: "app"})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, w := range res.Warnings {
			got = append(got, w.Msg)
		}
		if len(got) != 1 || got[0] != want {
			t.Fatalf("build %d: warnings %q, want [%q]", i+1, got, want)
		}
	}
}

// TestMalformedResourceNamed: a resource file kustomize cannot parse is
// named by its repository path and the line of the error in the file,
// not the top kustomization (kustomize names it relative to the base
// that lists it, with a line counted from the start of its document). Its
// name may hold a space.
func TestMalformedResourceNamed(t *testing.T) {
	t.Parallel()
	err := buildErr(t, map[string]string{
		"base/kustomization.yaml":    "resources: [ok.yaml, sub/my r.yaml]\n",
		"base/ok.yaml":               "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n",
		"base/sub/my r.yaml":         "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\ndata:\n  k: v\n   x: hunter2\n",
		"overlay/kustomization.yaml": "resources: [../base]\nnamePrefix: p-\n",
	}, "overlay")
	var de *diag.Error
	if !errors.As(err, &de) {
		t.Fatalf("error %v is not a *diag.Error", err)
	}
	if got := fmt.Sprintf("%s:%d", de.File, de.Line); got != "base/sub/my r.yaml:10" {
		t.Errorf("error at %s, want base/sub/my r.yaml:10: %v", got, err)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error shows a value: %v", err)
	}
}

// TestFileOutsideFolderNamed: kustomize build refuses a file outside the
// kustomization's folder, and krusty says so for the first only, at the
// file, without the kustomization or its line. A repository Flux applies
// can list many (xunholy/k8s-gitops' overlay lists 60 ks.yaml files of its
// apps' folders): each is named at its line, a base's from the base, and
// a file in a folder below is no error.
func TestFileOutsideFolderNamed(t *testing.T) {
	t.Parallel()
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"
	err := buildErr(t, map[string]string{
		"apps/base/n8n/ks.yaml":        cm,
		"apps/base/ollama/ks.yaml":     strings.ReplaceAll(cm, "x", "y"),
		"apps/base/values.json":        "{}\n",
		"apps/overlays/c0/sub/cm.yaml": strings.ReplaceAll(cm, "x", "z"),
		"apps/overlays/c0/kustomization.yaml": "resources:\n  - sub/cm.yaml\n  - ../../base/n8n/ks.yaml\n  - ../../base/ollama/ks.yaml\n" +
			"configMapGenerator:\n  - name: v\n    files: [../../base/values.json]\n",
	}, "apps/overlays/c0")
	var got []string
	for _, e := range diag.Flatten(err) {
		var de *diag.Error
		if !errors.As(e, &de) {
			t.Fatalf("error %v is not a *diag.Error", e)
		}
		got = append(got, fmt.Sprintf("%s:%d: %s | %s", de.File, de.Line, de.Msg, de.Hint))
	}
	want := []string{
		`apps/overlays/c0/kustomization.yaml:3: resources: "../../base/n8n/ks.yaml" is a file outside the kustomization's folder, which kustomize build refuses: it loads files only from a kustomization's folder and below (Flux's kustomize-controller does not restrict this) | ` +
			"name a folder instead, whose kustomization lists the file (resources: [ks.yaml] in a kustomization.yaml of apps/base/n8n), or move the file into apps/overlays/c0 or a folder below it",
		`apps/overlays/c0/kustomization.yaml:4: resources: "../../base/ollama/ks.yaml" is a file outside the kustomization's folder, which kustomize build refuses: it loads files only from a kustomization's folder and below (Flux's kustomize-controller does not restrict this) | ` +
			"name a folder instead, whose kustomization lists the file (resources: [ks.yaml] in a kustomization.yaml of apps/base/ollama), or move the file into apps/overlays/c0 or a folder below it",
		`apps/overlays/c0/kustomization.yaml:7: configMapGenerator: "../../base/values.json" is a file outside the kustomization's folder, which kustomize build refuses: it loads files only from a kustomization's folder and below (Flux's kustomize-controller does not restrict this) | ` +
			"move the file into apps/overlays/c0 or a folder below it",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("errors (-want +got):\n%s", d)
	}
}

// TestBaseErrorNamesBase: an error krusty meets while building a base or
// a component names that base's or component's kustomization, where the
// fix goes, not the overlay's; an error of the overlay itself names the
// overlay.
func TestBaseErrorNamesBase(t *testing.T) {
	t.Parallel()
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"
	badPatch := "patches:\n- target: {kind: ConfigMap}\n  patch: |-\n    - {op: replace, path: /data/nope, value: v}\n"
	write(t, root, map[string]string{
		"base/kustomization.yaml":     "resources: [cm.yaml]\n" + badPatch,
		"base/cm.yaml":                cm,
		"mid/kustomization.yml":       "resources: [../base]\n",
		"overlay/kustomization.yaml":  "resources: [../mid]\nnamePrefix: p-\n",
		"comp/kustomization.yaml":     "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n" + badPatch,
		"ok/kustomization.yaml":       "resources: [cm.yaml]\n",
		"ok/cm.yaml":                  cm,
		"withcomp/kustomization.yaml": "resources: [../ok]\ncomponents: [../comp]\n",
		"toplevel/kustomization.yaml": "resources: [../ok]\n" + badPatch,
	})
	for path, want := range map[string]string{
		"overlay":  "base/kustomization.yaml",
		"withcomp": "comp/kustomization.yaml",
		"toplevel": "toplevel/kustomization.yaml",
	} {
		_, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "a", Path: path})
		if err == nil {
			t.Fatalf("%s: Render succeeded, want an error", path)
		}
		checkDiag(t, err, "a")
		var de *diag.Error
		if !errors.As(err, &de) {
			t.Fatalf("%s: error %v is not a *diag.Error", path, err)
		}
		if de.File != want {
			t.Errorf("%s: error names %s, want %s: %v", path, de.File, want, err)
		}
	}
}

// TestUnloadableResourceNamed: a resource file krusty cannot load (an
// object without a name) is named with the line of the offending
// document, one that adds an object again by the entry that lists it
// (TestDuplicateResourceError), and the labels and annotations kyaml prints
// with a nameless object stay out of the message.
func TestUnloadableResourceNamed(t *testing.T) {
	t.Parallel()
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"
	write(t, root, map[string]string{
		"base/kustomization.yaml":   "resources: [ok.yaml, noname.yaml]\n",
		"base/ok.yaml":              cm,
		"base/noname.yaml":          cm + "---\napiVersion: v1\nkind: Secret\nmetadata:\n  annotations: {kubectl.kubernetes.io/last-applied-configuration: '{\"data\":{\"pw\":\"aHVudGVyMlNFQ1JFVA==\"}}'}\n",
		"noname/kustomization.yaml": "resources: [../base]\n",
		"twice/kustomization.yaml":  "resources: [a.yaml, b.yaml]\n",
		"twice/a.yaml":              cm,
		"twice/b.yaml":              cm,
	})
	for path, want := range map[string]string{
		"noname": "base/noname.yaml:5",
		"twice":  "twice/kustomization.yaml:1",
	} {
		_, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "a", Path: path})
		if err == nil {
			t.Fatalf("%s: Render succeeded, want an error", path)
		}
		checkDiag(t, err, "a")
		var de *diag.Error
		if !errors.As(err, &de) {
			t.Fatalf("%s: error %v is not a *diag.Error", path, err)
		}
		if got := fmt.Sprintf("%s:%d", de.File, de.Line); got != want {
			t.Errorf("%s: error at %s, want %s: %v", path, got, want, err)
		}
		if strings.Contains(de.Msg, "aHVudGVy") || strings.Contains(de.Msg, "last-applied") {
			t.Errorf("%s: error shows the annotations: %v", path, err)
		}
	}
}

// TestPatchTextNotShown: krusty prints a patch that it cannot use (and
// the builtin plugin's whole configuration around it) in its message; a
// patch often sets a Secret's password. kiln names the patches field of
// the kustomization that holds it and leaves the text out.
func TestPatchTextNotShown(t *testing.T) {
	t.Parallel()
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	secret := "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {pw: x}\n"
	write(t, root, map[string]string{
		"malformed/kustomization.yaml": "resources: [s.yaml]\npatches:\n- patch: |-\n    apiVersion: v1\n    kind: Secret\n    metadata: {name: s}\n    stringData:\n      pw: hunter2SECRET\n       bad: indent\n",
		"malformed/s.yaml":             secret,
		"notarget/kustomization.yaml":  "resources: [s.yaml]\n\npatches:\n- patch: |-\n    - {op: replace, path: /stringData/pw, value: hunter2SECRET}\n",
		"notarget/s.yaml":              secret,
		"both/kustomization.yaml":      "resources: [s.yaml]\npatches:\n- path: p.yaml\n  patch: |-\n    - {op: replace, path: /stringData/pw, value: hunter2SECRET}\n  target: {kind: Secret}\n",
		"both/s.yaml":                  secret,
		"both/p.yaml":                  "[]\n",
		"json6902/kustomization.yaml":  "resources: [s.yaml]\npatchesJson6902:\n- target: {version: v1, kind: Secret, name: s}\n  path: op.yaml\n",
		"json6902/s.yaml":              secret,
		"json6902/op.yaml":             "op: replace\npath: /stringData/pw\nvalue: hunter2SECRET\n",
		"overlay/kustomization.yaml":   "resources: [../malformed]\n",
	})
	for path, want := range map[string]string{
		"malformed": "malformed/kustomization.yaml:2",
		"notarget":  "notarget/kustomization.yaml:3",
		"both":      "both/kustomization.yaml:2",
		"json6902":  "json6902/kustomization.yaml:2",
		"overlay":   "malformed/kustomization.yaml:2",
	} {
		_, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "a", Path: path})
		if err == nil {
			t.Fatalf("%s: Render succeeded, want an error", path)
		}
		checkDiag(t, err, "a")
		var de *diag.Error
		if !errors.As(err, &de) {
			t.Fatalf("%s: error %v is not a *diag.Error", path, err)
		}
		if got := fmt.Sprintf("%s:%d", de.File, de.Line); got != want {
			t.Errorf("%s: error at %s, want %s: %v", path, got, want, err)
		}
		if strings.Contains(de.Msg, "hunter2SECRET") {
			t.Errorf("%s: error shows the patch: %v", path, err)
		}
	}
}

// TestOriginNotCopied: kiln asks krusty for origin annotations to name
// sources; a replacement that copies an object's annotations into a pod
// template must not carry kiln's annotation into the output, which is
// kustomize build's (no origin anywhere). An origin annotation the input
// writes itself stays, and object sources stay named.
func TestOriginNotCopied(t *testing.T) {
	t.Parallel()
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	objs := func(tmpl string) string {
		return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: src\n  annotations: {team: a}\n---\n" +
			"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  selector: {matchLabels: {app: d}}\n  template:\n    metadata:\n      labels: {app: d}\n" + tmpl +
			"    spec:\n      containers: [{name: c, image: busybox}]\n"
	}
	repl := "replacements:\n- source: {kind: ConfigMap, name: src, fieldPath: metadata.annotations}\n  targets:\n  - select: {kind: Deployment}\n    fieldPaths: [spec.template.metadata.annotations]\n    options: {create: true}\n"
	write(t, root, map[string]string{
		"copy/kustomization.yaml": "resources: [r.yaml]\n" + repl,
		"copy/r.yaml":             objs(""),
		"mine/kustomization.yaml": "resources: [r.yaml]\nnamePrefix: p-\npatches:\n- target: {kind: ConfigMap}\n  patch: |-\n    - {op: add, path: /data, value: {k: v}}\n",
		"mine/r.yaml":             objs("      annotations: {config.kubernetes.io/origin: mine}\n"),
	})
	for path, want := range map[string]map[string]string{
		"copy": {"team": "a"},
		"mine": {"config.kubernetes.io/origin": "mine"},
	} {
		res, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "a", Path: path})
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for _, o := range res.Objects {
			if strings.Contains(o.Node.MustString(), "path: r.yaml") {
				t.Errorf("%s: %s/%s holds kiln's origin annotation:\n%s", path, o.Node.GetKind(), o.Node.GetName(), o.Node.MustString())
			}
			if src := fmt.Sprintf("%s:%d", o.File, o.Line); o.Node.GetKind() == "Deployment" && src != path+"/r.yaml:7" {
				t.Errorf("%s: Deployment from %s, want %s/r.yaml:7", path, src, path)
			}
			if o.Node.GetKind() != "Deployment" {
				continue
			}
			got, err := o.Node.Pipe(kyaml.Lookup("spec", "template", "metadata", "annotations"))
			if err != nil || got == nil {
				t.Fatalf("%s: no pod template annotations: %v", path, err)
			}
			var m map[string]string
			if err := got.YNode().Decode(&m); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, m); diff != "" {
				t.Errorf("%s: pod template annotations (-want +got):\n%s", path, diff)
			}
		}
	}
}

// TestAnnotationsWholeAsKustomizeBuild: kiln builds with origin
// annotations, so every object has annotations while krusty runs. A
// replacement from or into metadata.annotations of an object without any
// fails under kustomize build ("is missing for replacement source",
// "unable to find field"), and must fail under kiln too, not render with
// the copied origin annotation quietly removed; one whose objects have
// annotations renders as kustomize build does. The replacement may be
// inline or in a file.
func TestAnnotationsWholeAsKustomizeBuild(t *testing.T) {
	t.Parallel()
	objs := func(srcAnn, dstAnn string) string {
		return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: src\n" + srcAnn + "data: {x: \"1\"}\n---\n" +
			"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dst\n" + dstAnn + "data: {y: \"2\"}\n"
	}
	const team = "  annotations: {team: a}\n"
	const repl = "- source: {kind: ConfigMap, name: src, fieldPath: metadata.annotations}\n  targets:\n  - select: {name: dst}\n    fieldPaths: [metadata.annotations]\n"
	inline := "resources: [r.yaml]\nreplacements:\n" + repl
	file := "resources: [r.yaml]\nreplacements:\n- path: repl.yaml\n"
	for name, tc := range map[string]struct {
		kustomization, objs string
		wantErr             string
	}{
		"source without annotations":         {inline, objs("", team), "is missing for replacement source"},
		"target without annotations":         {inline, objs(team, ""), `unable to find field "metadata.annotations"`},
		"target without annotations in file": {file, objs(team, ""), `unable to find field "metadata.annotations"`},
		"both with annotations":              {inline, objs(team, "  annotations: {old: o}\n"), ""},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			root, err := filepath.EvalSymlinks(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			write(t, root, map[string]string{
				"app/kustomization.yaml": tc.kustomization,
				"app/r.yaml":             tc.objs,
				"app/repl.yaml":          repl,
			})
			// What kustomize build gives: krusty without origin annotations.
			m, kerr := krusty.MakeKustomizer(krustyOptions()).Run(filesys.MakeFsOnDisk(), filepath.Join(root, "app"))
			if (kerr == nil) != (tc.wantErr == "") || kerr != nil && !strings.Contains(kerr.Error(), tc.wantErr) {
				t.Fatalf("kustomize build: %v, want error %q", kerr, tc.wantErr)
			}
			res, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "a", Path: "app"})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Render: %v, want an error with %q, as kustomize build gives", err, tc.wantErr)
				}
				checkDiag(t, err, "a")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want, err := m.AsYaml()
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, o := range res.Objects {
				got = append(got, o.Node.MustString())
				if o.File != "app/r.yaml" || o.Line == 0 {
					t.Errorf("%s: from %s:%d, want app/r.yaml and a line", o.Node.GetName(), o.File, o.Line)
				}
			}
			if diff := cmp.Diff(string(want), strings.Join(got, "---\n")); diff != "" {
				t.Errorf("kiln differs from kustomize build (-build +kiln):\n%s", diff)
			}
		})
	}
}

// TestGeneratorBehaviorError: a generator whose object a resource, base
// or component already has, without behavior: merge or replace, or one
// that would merge into an object nobody has, is named by its entry's
// line in the kustomization that holds it, with the object and the fix.
// krusty prints the object as Go structs and the generator as pointers,
// which differ on every run.
func TestGeneratorBehaviorError(t *testing.T) {
	t.Parallel()
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {x: \"1\"}\n"
	for name, tc := range map[string]struct {
		files      map[string]string
		at, object string
		msg, hint  string
	}{
		"top, no behavior": {
			files: map[string]string{
				"app/kustomization.yaml": "resources: [cm.yaml]\nnamePrefix: p-\nconfigMapGenerator:\n- name: other\n  literals: [k=v]\n- name: a\n  literals: [k=v]\n",
				"app/cm.yaml":            cm,
			},
			at: "app/kustomization.yaml:6", object: "ConfigMap/a",
			msg:  "configMapGenerator a makes a ConfigMap that the kustomization's resources, bases or components already have, and has no behavior: merge or replace",
			hint: "behavior: merge",
		},
		"base, merge into nothing": {
			files: map[string]string{
				"app/kustomization.yaml":  "resources: [../mid]\n",
				"mid/kustomization.yaml":  "resources: [../base]\nconfigMapGenerator:\n- name: nothere\n  behavior: merge\n  literals: [k=v]\n",
				"base/kustomization.yaml": "resources: [cm.yaml]\n",
				"base/cm.yaml":            cm,
			},
			at: "mid/kustomization.yaml:3", object: "ConfigMap/nothere",
			msg:  "configMapGenerator nothere has behavior: merge, but the kustomization's resources, bases and components have no ConfigMap nothere to merge",
			hint: "remove behavior:",
		},
		"component, replace into nothing": {
			files: map[string]string{
				"app/kustomization.yaml":  "resources: [cm.yaml]\ncomponents: [../comp]\n",
				"app/cm.yaml":             cm,
				"comp/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nsecretGenerator:\n- name: s\n  namespace: team\n  behavior: replace\n  literals: [k=v]\n",
			},
			at: "comp/kustomization.yaml:4", object: "Secret/team/s",
			msg: "secretGenerator s has behavior: replace, but the kustomization's resources, bases and components have no Secret s to replace",
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := buildErr(t, tc.files, "app")
			checkErrorAt(t, err, tc.at, tc.object, tc.msg, tc.hint)
			if s := err.Error(); strings.Contains(s, "0x") || strings.Contains(s, "resid.") {
				t.Errorf("error shows Go values: %v", err)
			}
		})
	}
}

// TestBlankSubjectNamespaceError: a RoleBinding's ServiceAccount subject
// whose namespace: is null (nothing after it) or no string fails every
// kustomize build with the binding's id, as the transformers left it;
// kiln names the subject's namespace line in the file that holds it, a
// base's too, under a namePrefix and the kustomization's namespace:
// (which gives a subject named default its namespace first).
func TestBlankSubjectNamespaceError(t *testing.T) {
	t.Parallel()
	rb := "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a}\n---\n" +
		"apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: rb\n" +
		"roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: view}\nsubjects:\n" +
		"  - kind: ServiceAccount\n    name: default\n    namespace:\n  - kind: User\n    name: u\n    namespace:\n" +
		"  - kind: ServiceAccount\n    name: b\n    namespace: %s\n"
	for name, tc := range map[string]struct {
		files      map[string]string
		at, object string
	}{
		"null": {
			files: map[string]string{
				"app/kustomization.yaml": "namespace: demo\nresources: [rb.yaml]\n",
				"app/rb.yaml":            fmt.Sprintf(rb, ""),
			},
			at: "app/rb.yaml:19", object: "RoleBinding/demo/rb",
		},
		"number, in a base under a prefix": {
			files: map[string]string{
				"app/kustomization.yaml":  "namePrefix: p-\nresources: [../base]\n",
				"base/kustomization.yaml": "resources: [rb.yaml]\n",
				"base/rb.yaml":            fmt.Sprintf(rb, "42"),
			},
			at: "base/rb.yaml:19", object: "RoleBinding/p-rb",
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := buildErr(t, tc.files, "app")
			checkErrorAt(t, err, tc.at, tc.object, `field "subjects[2].namespace" of a ServiceAccount subject is empty or no string`, "RoleBinding's own namespace")
		})
	}
}

// checkErrorAt checks that err is a *diag.Error at file:line at, of the
// object, whose message and hint hold msg and hint.
func checkErrorAt(t *testing.T, err error, at, object, msg, hint string) {
	t.Helper()
	var de *diag.Error
	if !errors.As(err, &de) {
		t.Fatalf("not a diag.Error: %v", err)
	}
	if got := fmt.Sprintf("%s:%d", de.File, de.Line); got != at {
		t.Errorf("error at %s, want %s: %v", got, at, err)
	}
	if got := de.Object.String(); got != object {
		t.Errorf("object %s, want %s", got, object)
	}
	if !strings.Contains(de.Msg, msg) || !strings.Contains(de.Hint, hint) {
		t.Errorf("message %q, hint %q; want %q, %q", de.Msg, de.Hint, msg, hint)
	}
}

// TestDuplicateResourceError: an object added twice fails kustomize with
// its id and its try of the entry as a folder ("'b2' must resolve to a
// file", "file is not directory"), naming neither the kustomization nor
// the entry; kiln named the resource file, which is not at fault. The
// error is the entry's, in the kustomization that lists it: a file or a
// base that brings the object again, an entry listed twice, a base's own
// listing, a component's; or the file that holds the object twice.
func TestDuplicateResourceError(t *testing.T) {
	t.Parallel()
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"
	base := map[string]string{"b1/kustomization.yaml": "resources: [cm.yaml]\n", "b1/cm.yaml": cm, "b2/kustomization.yaml": "resources: [cm.yaml]\n", "b2/cm.yaml": cm}
	with := func(files map[string]string) map[string]string {
		maps.Copy(files, base)
		return files
	}
	for name, tc := range map[string]struct {
		files      map[string]string
		at, object string
		msg, hint  string
	}{
		"two bases": {
			files: with(map[string]string{"app/kustomization.yaml": "resources:\n- ../b1\n- ../b2\n"}),
			at:    "app/kustomization.yaml:3", object: "ConfigMap/a",
			msg: "resources entry ../b2 adds the object a second time", hint: "namePrefix",
		},
		"a file, then a base": {
			files: with(map[string]string{"app/kustomization.yaml": "resources:\n- cm.yaml\n- ../b1\n", "app/cm.yaml": cm}),
			at:    "app/kustomization.yaml:3", object: "ConfigMap/a",
			msg: "resources entry ../b1 adds the object a second time", hint: "keep one copy",
		},
		"two files, namespaced": {
			files: map[string]string{"app/kustomization.yaml": "resources: [x.yaml, y.yaml]\n",
				"app/x.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: n}\n", "app/y.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: n}\n"},
			at: "app/kustomization.yaml:1", object: "ConfigMap/n/a",
			msg: "resources entry y.yaml adds the object a second time",
		},
		"an entry listed twice": {
			files: map[string]string{"app/kustomization.yaml": "resources:\n- cm.yaml\n- cm.yaml\n", "app/cm.yaml": cm},
			at:    "app/kustomization.yaml:3", object: "ConfigMap/a",
			msg: "resources lists cm.yaml more than once", hint: "list cm.yaml once",
		},
		"a file holding it twice": {
			files: map[string]string{"app/kustomization.yaml": "resources: [cm.yaml]\n", "app/cm.yaml": cm + "---\n" + cm},
			at:    "app/cm.yaml:5", object: "ConfigMap/a",
			msg: "this file holds the object twice", hint: "keep one of the two documents",
		},
		"in a base of the overlay": {
			files: with(map[string]string{"app/kustomization.yaml": "resources: [../mid]\n", "mid/kustomization.yaml": "resources:\n- ../b1\n- ../b2\n"}),
			at:    "mid/kustomization.yaml:3", object: "ConfigMap/a",
			msg: "resources entry ../b2 adds the object a second time",
		},
		"a component's": {
			files: map[string]string{"app/kustomization.yaml": "resources: [cm.yaml]\ncomponents: [../comp]\n", "app/cm.yaml": cm,
				"comp/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n- cm.yaml\n", "comp/cm.yaml": cm},
			at: "comp/kustomization.yaml:4", object: "ConfigMap/a",
			msg: "resources entry cm.yaml adds the object a second time",
		},
		// kustomize's TestComponentErrors "components cannot add bases
		// containing the same resource": the id ends the component's
		// Go-quoted message, closing quote and all.
		"a component's base": {
			files: with(map[string]string{"app/kustomization.yaml": "resources: [../b1]\ncomponents: [../comp]\n",
				"comp/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n- ../b2\n"}),
			at: "comp/kustomization.yaml:4", object: "ConfigMap/a",
			msg: "resources entry ../b2 adds the object a second time",
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := buildErr(t, tc.files, "app")
			checkErrorAt(t, err, tc.at, tc.object, tc.msg, tc.hint)
			if s := err.Error(); strings.Contains(s, "must resolve to a file") || strings.Contains(s, "is not directory") {
				t.Errorf("error keeps kustomize's try of the entry as a folder: %v", err)
			}
		})
	}
}

// TestControlCharacterErrors: kustomize's own output round trip fails on
// U+007F and the C1 controls (Flux's kustomize build too). Each object
// that holds one is an error at the value's line with what to do, not
// the first alone, and not the hint of a tagged value.
func TestControlCharacterErrors(t *testing.T) {
	t.Parallel()
	err := buildErr(t, map[string]string{
		"app/kustomization.yaml": "resources: [a.yaml, b.yaml]\n",
		"app/a.yaml":             "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  ok: fine\n  k: \"v\\x7f\"\n",
		"app/b.yaml":             "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\ndata:\n  k: \"\\u0093quoted\\u0094\"\n",
	}, "app")
	var got []string
	for _, e := range diag.Flatten(err) {
		var de *diag.Error
		if !errors.As(e, &de) {
			t.Fatalf("not a diag.Error: %v", e)
		}
		if !strings.Contains(de.Msg, "which kustomize build, and so Flux's, fails on") || !strings.Contains(de.Hint, "remove the character") || de.App != "a" {
			t.Errorf("message %q, hint %q, app %q", de.Msg, de.Hint, de.App)
		}
		got = append(got, fmt.Sprintf("%s:%d %s", de.File, de.Line, de.Object))
	}
	if want := []string{"app/a.yaml:6 ConfigMap/a", "app/b.yaml:5 ConfigMap/b"}; !slices.Equal(got, want) {
		t.Errorf("errors at %q, want %q", got, want)
	}
}

// TestReplacementError: a replacement whose source selects no object,
// several objects, or a missing field, or whose target's field path an
// object lacks, fails kustomize with its own rendering of the selector
// (or the path) and neither the kustomization nor the entry. The error
// is at the replacement's source (its fieldPath for a missing field) or
// the target's field path, inline, in a replacements file, or in a base.
func TestReplacementError(t *testing.T) {
	t.Parallel()
	cms := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: v}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\ndata: {k: w}\n"
	repl := func(source string) string {
		return "- source:\n    kind: ConfigMap\n" + source + "  targets:\n  - select: {kind: ConfigMap, name: b}\n    fieldPaths: [data.k]\n"
	}
	ok := "- source: {kind: ConfigMap, name: a, fieldPath: data.k}\n  targets:\n  - select: {kind: ConfigMap, name: b}\n    fieldPaths: [data.k]\n"
	for name, tc := range map[string]struct {
		files      map[string]string
		at, object string
		msg, hint  string
	}{
		"nothing selected": {
			files: map[string]string{"app/kustomization.yaml": "resources: [cm.yaml]\nreplacements:\n" + ok + repl("    name: nope\n    fieldPath: data.k\n"), "app/cm.yaml": cms},
			at:    "app/kustomization.yaml:7", object: "ConfigMap/nope",
			msg: "no object of the kustomization matches the replacement's source", hint: "namePrefix",
		},
		"several selected": {
			files: map[string]string{"app/kustomization.yaml": "resources: [cm.yaml]\nreplacements:\n" + repl("    fieldPath: data.k\n"), "app/cm.yaml": cms},
			at:    "app/kustomization.yaml:3",
			msg:   "more than one object of the kustomization matches the replacement's source", hint: "give its name and namespace",
		},
		"a missing field": {
			files: map[string]string{"app/kustomization.yaml": "resources: [cm.yaml]\nreplacements:\n" + repl("    name: a\n    fieldPath: data.zz\n"), "app/cm.yaml": cms},
			at:    "app/kustomization.yaml:6", object: "ConfigMap/a",
			msg: "has no value at fieldPath data.zz", hint: "fix the source's fieldPath",
		},
		"in a replacements file": {
			files: map[string]string{"app/kustomization.yaml": "resources: [cm.yaml]\nreplacements:\n- path: ok.yaml\n- path: r.yaml\n", "app/cm.yaml": cms,
				"app/ok.yaml": ok, "app/r.yaml": "# the second\n" + repl("    name: nope\n")},
			at: "app/r.yaml:2", object: "ConfigMap/nope",
			msg: "nothing selected by ConfigMap.[noVer].[noGrp]/nope.[noNs]",
		},
		"a target's missing field": {
			files: map[string]string{"app/kustomization.yaml": "resources: [cm.yaml]\nreplacements:\n" + ok +
				"- source: {kind: ConfigMap, name: a, fieldPath: data.k}\n  targets:\n  - select: {kind: ConfigMap}\n    fieldPaths:\n    - data.k\n    - data.nope\n", "app/cm.yaml": cms},
			at:  "app/kustomization.yaml:12",
			msg: `an object a replacement's target selects has no field data.nope (kustomize: unable to find field "data.nope" in replacement target)`, hint: "options.create",
		},
		"in a base": {
			files: map[string]string{"app/kustomization.yaml": "resources: [../base]\n", "base/cm.yaml": cms,
				"base/kustomization.yaml": "resources: [cm.yaml]\nreplacements:\n" + repl("    name: a\n    fieldPath: data.zz\n")},
			at: "base/kustomization.yaml:6", object: "ConfigMap/a",
			msg: "has no value at fieldPath data.zz",
		},
		// A component's error comes Go-quoted, a nested component's
		// quoted twice: the selector ends in \" and the target's path
		// is in \"...\".
		"a source with options, in a component in a component": {
			files: map[string]string{"app/kustomization.yaml": "resources: [cm.yaml]\ncomponents: [../outer]\n", "app/cm.yaml": cms,
				"outer/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ncomponents: [../comp]\n",
				"comp/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nreplacements:\n" +
					repl("    name: nope\n    fieldPath: data.k\n    options: {delimiter: '-', index: 1}\n")},
			at: "comp/kustomization.yaml:4", object: "ConfigMap/nope",
			msg: "(kustomize: nothing selected by ConfigMap.[noVer].[noGrp]/nope.[noNs]:data.k:-(1), create=false)",
		},
		"a target's missing field, in a component": {
			files: map[string]string{"app/kustomization.yaml": "resources: [cm.yaml]\ncomponents: [../comp]\n", "app/cm.yaml": cms,
				"comp/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nreplacements:\n" +
					"- source: {kind: ConfigMap, name: a, fieldPath: data.k}\n  targets:\n  - select: {kind: ConfigMap, name: b}\n    fieldPaths:\n    - data.nope\n"},
			at:  "comp/kustomization.yaml:8",
			msg: `has no field data.nope (kustomize: unable to find field "data.nope" in replacement target)`, hint: "options.create",
		},
		"a name with a ':'": {
			files: map[string]string{"app/kustomization.yaml": "resources: [cm.yaml]\nreplacements:\n- source: {kind: ClusterRole, name: 'system:view'}\n" +
				"  targets:\n  - select: {kind: ConfigMap, name: b}\n    fieldPaths: [data.k]\n", "app/cm.yaml": cms},
			at: "app/kustomization.yaml:3", object: "ClusterRole/system:view",
			msg: "nothing selected by ClusterRole.[noVer].[noGrp]/system:view.[noNs])",
		},
		// The first replacement's target creates spec.x, so it is not
		// the one kustomize says failed to find it.
		"a target's missing field, where another creates it": {
			files: map[string]string{"app/kustomization.yaml": "resources: [cm.yaml]\nreplacements:\n" +
				"- source: {kind: ConfigMap, name: a, fieldPath: data.k}\n  targets:\n  - select: {kind: ConfigMap, name: b}\n    fieldPaths: [spec.x]\n    options: {create: true}\n" +
				"- source: {kind: ConfigMap, name: a, fieldPath: data.k}\n  targets:\n  - select: {kind: ConfigMap, name: a}\n    fieldPaths: [spec.x]\n", "app/cm.yaml": cms},
			at:  "app/kustomization.yaml:11",
			msg: "has no field spec.x", hint: "options.create",
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			checkErrorAt(t, buildErr(t, tc.files, "app"), tc.at, tc.object, tc.msg, tc.hint)
		})
	}
}

// TestObjectListsNotShown: krusty prints whole objects, as JSON, when a
// namespace: makes two objects one and when a generator's merge could go
// to two objects, and as YAML when a name reference could mean two; a
// Secret's values would reach the log. kiln names the
// objects instead, and hides a list it cannot read (a component's message
// comes Go-quoted).
func TestObjectListsNotShown(t *testing.T) {
	t.Parallel()
	const envFromDeployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: default}\nspec:\n  template:\n    spec:\n" +
		"      containers:\n      - {name: web, image: nginx, envFrom: [{secretRef: {name: db}}]}\n"
	secret := func(name, ns, pw string) string {
		return fmt.Sprintf("apiVersion: v1\nkind: Secret\nmetadata: {name: %s, namespace: %s}\nstringData: {password: %s}\n", name, ns, pw)
	}
	for name, tc := range map[string]struct {
		files map[string]string
		want  string
	}{
		"namespace conflict": {
			files: map[string]string{
				"app/kustomization.yaml": "resources: [s.yaml]\nnamespace: z\n",
				"app/s.yaml":             secret("a", "x", "hunter2-TOPSECRET-x") + "---\n" + secret("a", "y", "hunter2-TOPSECRET-y"),
			},
			want: "namespace transformation produces ID conflict: [Secret/z/a (from namespace x), Secret/z/a (from namespace y)]",
		},
		"namespace conflict in a component": {
			files: map[string]string{
				"app/kustomization.yaml":  "resources: [s.yaml]\ncomponents: [../comp]\n",
				"app/s.yaml":              secret("a", "x", "hunter2-TOPSECRET-x") + "---\n" + secret("a", "y", "hunter2-TOPSECRET-y"),
				"comp/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nnamespace: z\n",
			},
			want: "namespace transformation produces ID conflict",
		},
		"merge into two": {
			files: map[string]string{
				"app/kustomization.yaml": "resources: [../b1, ../b2]\nsecretGenerator:\n- name: cfg\n  behavior: merge\n  literals: [k=v]\n",
				"b1/kustomization.yaml":  "resources: [s.yaml]\nnamePrefix: b1-\n",
				"b1/s.yaml":              secret("cfg", "default", "hunter2-TOPSECRET-1"),
				"b2/kustomization.yaml":  "resources: [s.yaml]\nnamePrefix: b2-\n",
				"b2/s.yaml":              secret("cfg", "default", "hunter2-TOPSECRET-2"),
			},
			want: "found multiple objects [Secret/default/b1-cfg, Secret/default/b2-cfg] that could accept merge",
		},
		// api/filters/nameref prints the referrer and every candidate
		// as YAML after the ids: a reference that two Secrets, one
		// prefixed by a base, could answer.
		"name reference to two": {
			files: map[string]string{
				"app/kustomization.yaml": "resources: [s.yaml, ../b]\nnamePrefix: a-\n",
				"app/s.yaml":             secret("db", "default", "hunter2-TOPSECRET-1"),
				"b/kustomization.yaml":   "resources: [s.yaml, d.yaml]\nnamePrefix: pfx-\n",
				"b/s.yaml":               secret("db", "default", "hunter2-TOPSECRET-2"),
				"b/d.yaml":               envFromDeployment,
			},
			want: "found multiple possible referrals: Secret.v1.[noGrp]/a-db.default, Secret.v1.[noGrp]/a-pfx-db.default",
		},
		"name reference to two through a component": {
			files: map[string]string{
				"app/kustomization.yaml":  "resources: [../b]\ncomponents: [../comp]\n",
				"comp/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: [s.yaml]\nnamePrefix: a-\n",
				"comp/s.yaml":             secret("db", "default", "hunter2-TOPSECRET-1"),
				"b/kustomization.yaml":    "resources: [s.yaml, d.yaml]\nnamePrefix: pfx-\n",
				"b/s.yaml":                secret("db", "default", "hunter2-TOPSECRET-2"),
				"b/d.yaml":                envFromDeployment,
			},
			want: "found multiple possible referrals: Secret.v1.[noGrp]/a-pfx-db.default, Secret.v1.[noGrp]/a-db.default",
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := buildErr(t, tc.files, "app")
			if strings.Contains(err.Error(), "TOPSECRET") || strings.Contains(err.Error(), "stringData") {
				t.Errorf("error shows a Secret's data: %v", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to say %q", err, tc.want)
			}
			if strings.Contains(tc.want, "referrals") {
				if !strings.Contains(err.Error(), "give them different names") {
					t.Errorf("error %q, want the hint to say how to tell the objects apart", err)
				}
				if de := errAt(t, err, "app/kustomization.yaml:0"); de.Object.String() != "Deployment/default/a-pfx-web" {
					t.Errorf("error names object %s, want the referrer, Deployment/default/a-pfx-web", de.Object)
				}
			}
		})
	}
}

// TestComponentPatchNotShown: krusty puts a component's error into its
// own message Go-quoted (accumulateDirectory: %q), newlines and quotes
// escaped; the patch or builtin configuration it quotes must go there
// too, in a component inside a component as well.
func TestComponentPatchNotShown(t *testing.T) {
	t.Parallel()
	const component = "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
	smp := func(pw string) string {
		return "    apiVersion: v1\n    kind: Secret\n    metadata: {name: s}\n    stringData: {pw: " + pw + "}\n"
	}
	for name, tc := range map[string]struct{ comp, want string }{
		"patch that does not parse": {
			comp: "patches:\n- patch: |-\n" + smp("\"hunter2-TOPSECRET\", }"),
			want: "unable to parse SM or JSON patch from [patch: (kiln does not show it: it may hold a secret)]",
		},
		"JSON patch without target": {
			comp: "patches:\n- patch: |-\n    - {op: replace, path: /stringData/pw, value: hunter2-TOPSECRET}\n",
			want: "must specify a target for JSON patch [patch: (kiln does not show it: it may hold a secret)]",
		},
		"patch and path": {
			comp: "patches:\n- path: p.yaml\n  patch: |-\n    - {op: replace, path: /stringData/pw, value: hunter2-TOPSECRET}\n",
			want: "with config: (kiln does not show it: it may hold a secret): patch and path can't be set at the same time",
		},
		"two patches with a target": {
			comp: "patches:\n- target: {kind: Secret}\n  patch: |-\n" + smp("hunter2-TOPSECRET") + "    ---\n" + smp("hunter2-TOPSECRET-2"),
			want: "not allowed to set `patches.target` field: [patch: (kiln does not show it: it may hold a secret)]",
		},
		"inline patchesStrategicMerge": {
			comp: "patchesStrategicMerge:\n- |-\n  apiVersion: v1\n  kind: Secret\n  metadata: {name: s}\n  stringData: {pw: hunter2-TOPSECRET, }}\n",
			want: "with config: (kiln does not show it: it may hold a secret): lstat",
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, nested := range []bool{false, true} {
				files := map[string]string{
					"app/kustomization.yaml":  "resources: [s.yaml]\ncomponents: [../comp]\n",
					"app/s.yaml":              "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {pw: x}\n",
					"comp/kustomization.yaml": component + tc.comp,
					"comp/p.yaml":             "[]\n",
				}
				if nested {
					files["app/kustomization.yaml"] = "resources: [s.yaml]\ncomponents: [../outer]\n"
					files["outer/kustomization.yaml"] = component + "components: [../comp]\n"
				}
				err := buildErr(t, files, "app")
				if strings.Contains(err.Error(), "TOPSECRET") {
					t.Errorf("nested %v: error shows the patch: %v", nested, err)
				}
				if !strings.Contains(err.Error(), tc.want) {
					t.Errorf("nested %v: error %q, want it to say %q", nested, err, tc.want)
				}
				errAt(t, err, "comp/kustomization.yaml:3")
			}
		})
	}
}

// TestInlinePatchNotShown: an inline patchesStrategicMerge entry that
// does not parse is tried as a file path, and the error for that "file"
// quotes the patch; kiln leaves it out.
func TestInlinePatchNotShown(t *testing.T) {
	t.Parallel()
	err := buildErr(t, map[string]string{
		"app/kustomization.yaml": "resources: [s.yaml]\npatchesStrategicMerge:\n- |-\n  apiVersion: v1\n  kind: Secret\n  metadata:\n    name: s\n    annotations: {url: https://example.com//x}\n  stringData:\n    pw: hunter2SECRET\n     bad: indent\n",
		"app/s.yaml":             "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {pw: x}\n",
	}, "app")
	if strings.Contains(err.Error(), "hunter2SECRET") {
		t.Errorf("error shows the patch: %v", err)
	}
	var de *diag.Error
	if errors.As(err, &de) && fmt.Sprintf("%s:%d", de.File, de.Line) != "app/kustomization.yaml:2" {
		t.Errorf("error at %s:%d, want app/kustomization.yaml:2", de.File, de.Line)
	}
}

// TestBuildReadsBounded: a generator that names one big file many times
// is refused once the build has read limits.BuildReads, naming the file,
// before krusty holds every copy (each read alone is within FileSize).
func TestBuildReadsBounded(t *testing.T) {
	t.Parallel()
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	files := "configMapGenerator:\n- name: big\n  files:\n"
	for i := range 4 {
		files += fmt.Sprintf("  - k%d=big.txt\n", i)
	}
	write(t, root, map[string]string{
		"app/kustomization.yaml": files,
		"app/big.txt":            strings.Repeat("a", limits.BuildReads/3),
	})
	_, err = New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "a", Path: "app"})
	if err == nil {
		t.Fatal("Render succeeded, want an error")
	}
	checkDiag(t, err, "a")
	var de *diag.Error
	if !errors.As(err, &de) || !errors.Is(err, limits.ErrLimit) {
		t.Fatalf("error %v is not a limit *diag.Error", err)
	}
	if de.File != "app/big.txt" || !strings.Contains(de.Msg, "the total read by one kustomize build exceeds kiln's limit of 64 MiB") {
		t.Errorf("error = %v, want app/big.txt and the total read by one build", err)
	}
}

// TestPrecheckReadsEachFileOnce: the check before the build reads a
// secretGenerator's .env files and the generators' configuration files
// outside the build's read bound; a kustomization naming one 30 MB .env
// file 200 times kept it reading for 10 s (10,000 times: past --timeout)
// before the build refused the second read. It reads each file once.
func TestPrecheckReadsEachFileOnce(t *testing.T) {
	t.Parallel()
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	const size = 64 << 10
	kust := "secretGenerator:\n- name: s\n  envs:\n"
	for range 4 {
		kust += "  - big.env\n"
	}
	kust += "generators:\n"
	for range 4 {
		kust += "- gen.yaml\n"
	}
	write(t, root, map[string]string{
		"app/kustomization.yaml": kust,
		"app/big.env":            strings.Repeat("K=v\n", size/4),
		"app/gen.yaml":           "apiVersion: builtin\nkind: ConfigMapGenerator\nmetadata: {name: g}\n#" + strings.Repeat("x", size) + "\n",
	})
	fsys, err := securefs.New(root)
	if err != nil {
		t.Fatal(err)
	}
	// Room for each file once, and the kustomization.
	fsys.SetReadBudget(3 * size)
	errs := precheck(fsys, filepath.Join(root, "app")).errs
	if len(errs) > 0 {
		t.Fatalf("precheck: %v", errs)
	}
	if refused := fsys.Refused(); len(refused) > 0 {
		t.Errorf("precheck read a file more than once: %s refused: %v", refused[0].File, refused[0].Err)
	}
}

// buildErr writes files into a fresh repository root and renders the
// kustomization at path there as app "a", wanting an error located as
// checkDiag checks; it returns the error.
func buildErr(t *testing.T, files map[string]string, path string) error {
	t.Helper()
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	write(t, root, files)
	_, err = New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "a", Path: path})
	if err == nil {
		t.Fatal("Render succeeded, want an error")
	}
	checkDiag(t, err, "a")
	return err
}

// errAt returns err's *diag.Error, failing t unless err is one, and
// reports it unless it stands at want ("file:line").
func errAt(t *testing.T, err error, want string) *diag.Error {
	t.Helper()
	var de *diag.Error
	if !errors.As(err, &de) {
		t.Fatalf("error %v is not a *diag.Error", err)
	}
	if got := fmt.Sprintf("%s:%d", de.File, de.Line); got != want {
		t.Errorf("error at %s, want %s: %v", got, want, err)
	}
	return de
}

// doublingTree writes app/l0, a kustomization whose objects double at
// each of levels levels: level i includes level i+1 twice, under two name
// prefixes. 3 files a level make 2^levels ConfigMaps, and krusty's build,
// quadratic in its objects, takes seconds at 10 levels and hours at 16.
func doublingTree(t *testing.T, root string, levels int) {
	t.Helper()
	files := map[string]string{}
	for i := 0; i < levels; i++ {
		l := fmt.Sprintf("app/l%d", i)
		files[l+"/kustomization.yaml"] = "resources: [xa, ya]\n"
		files[l+"/xa/kustomization.yaml"] = fmt.Sprintf("namePrefix: x-\nresources: [../../l%d]\n", i+1)
		files[l+"/ya/kustomization.yaml"] = fmt.Sprintf("namePrefix: y-\nresources: [../../l%d]\n", i+1)
	}
	l := fmt.Sprintf("app/l%d", levels)
	files[l+"/kustomization.yaml"] = "resources: [cm.yaml]\n"
	files[l+"/cm.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"
	write(t, root, files)
}

// TestBuildStopsAtDeadline: a build that outlasts its context (--timeout,
// a signal) ends the render when the context ends, not when krusty, which
// nothing interrupts, is done with it.
func TestBuildStopsAtDeadline(t *testing.T) {
	t.Parallel()
	root := enginetest.TempDir(t)
	doublingTree(t, root, 10)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := New(Options{}).Render(ctx, &templates.Request{Root: root, App: "doubling", Path: "app/l0"})
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Render returned %v after its deadline", took-100*time.Millisecond)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Render error = %v, want context.DeadlineExceeded", err)
	}
}

// TestCopiedValueOutputBound: a replacement that copies one value into
// many fields makes an output far larger than the input, which the output
// bound refuses before it is serialised, naming the kustomization.
func TestCopiedValueOutputBound(t *testing.T) {
	t.Parallel()
	root := enginetest.TempDir(t)
	var small, fields strings.Builder
	for i := range 8 {
		fmt.Fprintf(&small, "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: s%d}\n", i)
	}
	for i := range 9 {
		fmt.Fprintf(&fields, "data.k%d, ", i)
	}
	// 1 MiB, copied into 8 x 9 fields: 72 MiB of output from 1 MiB of input.
	write(t, root, map[string]string{
		"app/big.yaml":   "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  v: " + strings.Repeat("x", 1<<20) + "\n",
		"app/small.yaml": small.String(),
		"app/kustomization.yaml": "resources: [big.yaml, small.yaml]\nreplacements:\n- source: {kind: ConfigMap, name: big, fieldPath: data.v}\n" +
			"  targets:\n  - select: {kind: ConfigMap}\n    reject: [{name: big}]\n    options: {create: true}\n    fieldPaths: [" + strings.TrimSuffix(fields.String(), ", ") + "]\n",
	})
	_, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "copies", Path: "app"})
	if err == nil {
		t.Fatal("Render succeeded, want the output bound")
	}
	checkDiag(t, err, "copies")
	var de *diag.Error
	if !errors.As(err, &de) || de.File != "app/kustomization.yaml" || de.Msg != "the size of the kustomize build's output exceeds kiln's limit of 64 MiB" || !errors.Is(err, limits.ErrLimit) {
		t.Errorf("error = %v, want the output bound at app/kustomization.yaml", err)
	}
}

// TestCopiesBounded: a kustomization's JSON6902 copy operations add at
// most limits.OutputSize to an object, as env patches do.
func TestCopiesBounded(t *testing.T) {
	t.Parallel()
	root := enginetest.TempDir(t)
	var ops strings.Builder
	for i := range 65 { // 65 MiB of copies
		fmt.Fprintf(&ops, "      - {op: copy, from: /data/v, path: /data/k%d}\n", i)
	}
	write(t, root, map[string]string{
		"app/cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  v: " + strings.Repeat("x", 1<<20) + "\n",
		"app/kustomization.yaml": "resources: [cm.yaml]\npatches:\n  - target: {kind: ConfigMap, name: big}\n    patch: |-\n" + ops.String(),
	})
	_, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "copies", Path: "app"})
	checkDiag(t, err, "copies")
	var de *diag.Error
	if !errors.As(err, &de) || de.File != "app/kustomization.yaml" || de.Msg != "what a JSON6902 patch's copy operations add to an object exceeds kiln's limit of 64 MiB" || !errors.Is(err, limits.ErrLimit) {
		t.Errorf("error = %v, want the copy bound at app/kustomization.yaml", err)
	}
}

// TestDuplicateKeyError: a key given twice in one mapping of a resource
// file (kustomize's api/krusty TestDuplicateKeys) fails kustomize build,
// and so Flux's, with the lines of the key in the document kustomize
// wrote, not in the file. The error is at the second key's line in the
// file, and its hint is about the key, not a tag.
func TestDuplicateKeyError(t *testing.T) {
	t.Parallel()
	err := buildErr(t, map[string]string{
		"app/kustomization.yaml": "resources:\n- resources.yaml\n",
		"app/resources.yaml": "\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: podinfo\nspec:\n  selector:\n    matchLabels:\n      app: podinfo\n" +
			"  template:\n    spec:\n      containers:\n      - name: podinfod\n        image: ghcr.io/stefanprodan/podinfo:5.0.3\n" +
			"        env:\n        - name: PODINFO_UI_COLOR\n          value: \"#34577c\"\n        env:\n          - name: PODINFO_UI_COLOR\n            value: \"#34577c\"\n",
	}, "app")
	de := errAt(t, err, "app/resources.yaml:18")
	if !strings.Contains(de.Msg, `key "env" twice`) || !strings.Contains(de.Msg, "line 15") || strings.Contains(de.Hint, "tag") {
		t.Errorf("message %q, hint %q: want the key, its first line in the file, and a hint about the key", de.Msg, de.Hint)
	}
}

// TestExecPluginNamedAtEntry: an exec plugin (kustomize's api/krusty
// TestFnExecTransformerInBaseWithOverlay, TestFnExecGeneratorInBase) is
// refused at the generators or transformers entry that configures it, in
// the base that lists it, not at the overlay's kustomization without a
// line.
func TestExecPluginNamedAtEntry(t *testing.T) {
	t.Parallel()
	exec := func(kind string) string {
		return "apiVersion: examples.config.kubernetes.io/v1beta1\nkind: " + kind + "\nmetadata:\n  name: notImportantHere\n" +
			"  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: ./fn.sh\n"
	}
	for name, tc := range map[string]struct {
		files map[string]string
		path  string
		at    string
	}{
		"transformer in a base": {files: map[string]string{
			"base/kustomization.yaml":   "resources:\n- cm.yaml\ntransformers:\n- ok.yaml\n- krm-transformer.yaml\n",
			"base/cm.yaml":              "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
			"base/ok.yaml":              "apiVersion: builtin\nkind: PrefixTransformer\nmetadata: {name: p}\nprefix: p-\nfieldSpecs: [{path: metadata/name}]\n",
			"base/krm-transformer.yaml": exec("MyPlugin"),
			"prod/kustomization.yaml":   "resources:\n- ../base\n",
		}, path: "prod", at: "base/kustomization.yaml:5"},
		"generator": {files: map[string]string{
			"app/kustomization.yaml": "generators:\n- gen.yaml\n",
			"app/gen.yaml":           exec("executable"),
		}, path: "app", at: "app/kustomization.yaml:2"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			de := errAt(t, buildErr(t, tc.files, tc.path), tc.at)
			if !strings.Contains(de.Hint, "plugins are off") {
				t.Errorf("hint %q, want it to say plugins are off", de.Hint)
			}
		})
	}
}

// TestUnknownBuiltinNamedAtEntry: a transformers entry of apiVersion
// builtin whose kind kustomize cannot load (a misspelt kind, or
// SortOrderTransformer, which kustomize's api/krusty
// TestSortOrderGivenAsTransformer keeps to sortOptions) is named at the
// entry, with the kind it likely meant, where kustomize names the kind
// only.
func TestUnknownBuiltinNamedAtEntry(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		kind, at, hint string
	}{
		"misspelt":   {kind: "PrefixTransformr", at: "app/kustomization.yaml:4", hint: `did you mean "PrefixTransformer"?`},
		"sort order": {kind: "SortOrderTransformer", at: "app/kustomization.yaml:4", hint: "sortOptions"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := buildErr(t, map[string]string{
				"app/kustomization.yaml": "resources: [cm.yaml]\ntransformers:\n- ok.yaml\n- t.yaml\n",
				"app/cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
				"app/ok.yaml":            "apiVersion: builtin\nkind: PrefixTransformer\nmetadata: {name: p}\nprefix: p-\nfieldSpecs: [{path: metadata/name}]\n",
				"app/t.yaml":             "apiVersion: builtin\nkind: " + tc.kind + "\nmetadata: {name: t}\n",
			}, "app")
			if de := errAt(t, err, tc.at); !strings.Contains(de.Hint, tc.hint) {
				t.Errorf("hint %q, want it to say %q", de.Hint, tc.hint)
			}
		})
	}
}

// TestBuiltinKindsLoad: every kind builtinKinds offers as "did you mean"
// is one krusty loads from an entry (whatever it then says of the empty
// configuration), so the list follows the kustomize kiln links.
func TestBuiltinKindsLoad(t *testing.T) {
	t.Parallel()
	for _, kind := range builtinKinds {
		if kind == "HelmChartInflationGenerator" {
			continue // kiln refuses it before the build
		}
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			field := "transformers"
			if strings.HasSuffix(kind, "Generator") {
				field = "generators"
			}
			root, err := filepath.EvalSymlinks(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			write(t, root, map[string]string{
				"app/kustomization.yaml": "resources: [cm.yaml]\n" + field + ": [t.yaml]\n",
				"app/cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
				"app/t.yaml":             "apiVersion: builtin\nkind: " + kind + "\nmetadata: {name: t}\n",
			})
			_, err = New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "a", Path: "app"})
			if err != nil && strings.Contains(err.Error(), "unable to load builtin") {
				t.Errorf("krusty has no builtin %s: %v", kind, err)
			}
		})
	}
}

// TestRepeatedKustomizationKeyWarned: a key given twice in a
// kustomization (kustomize's api/krusty TestGeneratorRepeatsInKustomization:
// a generator's literals and files, each twice) builds, the last of the
// two winning and the first dropped without a word; kiln warns at the
// second, once per kustomization, and the objects stay kustomize's.
func TestRepeatedKustomizationKeyWarned(t *testing.T) {
	t.Parallel()
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	write(t, root, map[string]string{
		// apiVersion given twice the same, as kustomize's harness writes
		// it, drops nothing.
		"app/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\napiVersion: kustomize.config.k8s.io/v1beta1\n" +
			"namePrefix: blah-\nconfigMapGenerator:\n- name: bob\n  behavior: create\n  literals:\n  - bean=pinto\n  - star=wolf-rayet\n" +
			"  literals:\n  - fruit=apple\n  - vegetable=broccoli\n  files:\n  - forces.txt\n  files:\n  - nobles=nobility.txt\n",
		"app/forces.txt":   "gravitational\n",
		"app/nobility.txt": "helium\n",
	})
	res, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "a", Path: "app"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range res.Warnings {
		got = append(got, fmt.Sprintf("%s:%d: %s", w.File, w.Line, w.Msg))
	}
	want := []string{"app/kustomization.yaml:10: literals is given twice in one mapping (first at line 7): kustomize reads only this one and drops what the first one says without a word; kustomize build, which Flux runs, says nothing"}
	if !slices.Equal(got, want) {
		t.Errorf("warnings %q, want %q", got, want)
	}
	if len(res.Objects) != 1 || res.Objects[0].Node.MustString() == "" || strings.Contains(res.Objects[0].Node.MustString(), "pinto") {
		t.Errorf("objects %v, want the one ConfigMap kustomize builds, without the first literals", res.Objects)
	}
}
