package render_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/render"
)

// TestOpenOutputRefusesSources: an --out that is, is inside or contains a
// folder the pipeline reads is refused, also when only an env file names
// that folder, and --force does not change it.
func TestOpenOutputRefusesSources(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	files := map[string]string{
		"kiln.yaml": `apiVersion: kiln/v1alpha1
kind: Pipeline
environments:
  - name: dev
apps:
  - name: web
    namespace: shop
    yaml: apps/web
`,
		"envs/dev.yaml":              "apps:\n  web:\n    yaml: apps/web-dev\n",
		"apps/web/cm.yaml":           "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
		"apps/web-dev/cm.yaml":       "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
		"apps/web-dev/overlay/x.txt": "mine\n",
	}
	for p, data := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p, err := envconfig.Load(filepath.Join(root, "kiln.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := render.New(p, checkOptions(false))
	if err != nil {
		t.Fatal(err)
	}
	results, err := r.Render(context.Background(), nil)
	if err != nil || results[0].Err != nil {
		t.Fatalf("render: %v %v", err, results[0].Err)
	}
	wantOutRefused(t, r, map[string]string{
		filepath.Join(root, "apps/web-dev/overlay"): "--out is inside the source of app web apps/web-dev",
		filepath.Join(root, "apps/web-dev"):         "--out is the source of app web apps/web-dev",
		filepath.Join(root, "apps"):                 "--out contains the source of app web",
		root:                                        "--out contains the pipeline file kiln.yaml",
		filepath.Join(root, "apps/web", "x"):        "--out is inside the source of app web apps/web",
	})
	w, err := r.OpenOutput(filepath.Join(root, "rendered"), render.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Stage(context.Background(), results[0]); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "rendered", "dev", "kiln.lock.json")); err != nil {
		t.Error(err)
	}
	if data, _ := os.ReadFile(filepath.Join(root, "apps/web-dev/overlay/x.txt")); string(data) != "mine\n" {
		t.Error("a source file changed")
	}

	// Opened before any env resolved, as an --app render opens it (to
	// read the earlier trees under the lock): the folder the env file
	// gives the app is not known yet, and is checked when the env is
	// staged.
	early, err := render.New(p, checkOptions(false))
	if err != nil {
		t.Fatal(err)
	}
	w, err = early.OpenOutput(filepath.Join(root, "apps/web-dev/overlay"), render.WriteOptions{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	results, err = early.Render(context.Background(), nil)
	if err != nil || results[0].Err != nil {
		t.Fatalf("render: %v %v", err, results[0].Err)
	}
	if err := w.Stage(context.Background(), results[0]); err == nil || !strings.Contains(err.Error(), "--out is inside the source of app web apps/web-dev") {
		t.Errorf("Stage into an env file's app folder = %v, want it refused", err)
	}
	if data, _ := os.ReadFile(filepath.Join(root, "apps/web-dev/overlay/x.txt")); string(data) != "mine\n" {
		t.Error("a source file changed")
	}
}

// TestRerenderWritesOnlyChanges: rendering a fleet again over its output
// with nothing changed leaves every file and folder of every env as it
// was, modification times included; with one app changed, only that app's
// files and the lock are new files.
func TestRerenderWritesOnlyChanges(t *testing.T) {
	t.Parallel()
	dir, out := t.TempDir(), filepath.Join(t.TempDir(), "rendered")
	writeFleet(t, dir, 8)
	p, err := envconfig.Load(filepath.Join(dir, "kiln.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	opts := checkOptions(false)
	opts.RenderCache = filepath.Join(t.TempDir(), "renders")
	renderInto := func() {
		t.Helper()
		r, err := render.New(p, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		results, err := r.Render(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, er := range results {
			if er.Err != nil {
				t.Fatalf("env %s: %v", er.Env, er.Err)
			}
			if err := render.WriteEnv(out, er); err != nil {
				t.Fatal(err)
			}
		}
	}
	// state ages every entry below out and returns what each is.
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	state := func() map[string]os.FileInfo {
		t.Helper()
		infos := map[string]os.FileInfo{}
		err := filepath.WalkDir(out, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if err := os.Chtimes(path, old, old); err != nil {
				return err
			}
			fi, err := os.Lstat(path)
			rel, _ := filepath.Rel(out, path)
			infos[filepath.ToSlash(rel)] = fi
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return infos
	}
	// changed lists the entries that are new or not as they were.
	changed := func(before map[string]os.FileInfo) []string {
		t.Helper()
		var paths []string
		err := filepath.WalkDir(out, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			fi, err := os.Lstat(path)
			rel, _ := filepath.Rel(out, path)
			rel = filepath.ToSlash(rel)
			if b, ok := before[rel]; !ok || !os.SameFile(b, fi) || !fi.ModTime().Equal(old) {
				if !fi.IsDir() {
					paths = append(paths, rel)
				}
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return paths
	}

	renderInto()
	before := state()
	renderInto()
	if got := changed(before); len(got) > 0 {
		t.Errorf("nothing changed, yet these files are new: %v", got)
	}

	app := filepath.Join(dir, "apps", "app003", "deployment.yaml")
	data, err := os.ReadFile(app)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(app, bytes.Replace(data, []byte("replicas: ${REPLICAS:=1}"), []byte("replicas: ${REPLICAS:=2}"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	before = state()
	renderInto()
	var want []string
	for _, env := range []string{"dev", "prod", "staging"} {
		want = append(want, env+"/apps/app003/deployment_app003.yaml", env+"/kiln.lock.json")
	}
	if diff := cmp.Diff(want, changed(before)); diff != "" {
		t.Errorf("one app changed: new files (-want +got):\n%s", diff)
	}
}

// TestOpenOutputRefusesPatchAndCRDFiles: an env's patch files (path:) and
// validation.crds are sources too. With --out envs/patches and --force,
// kiln replaced envs/patches/dev, the env's patch files with it. A CRD
// path written with {env} is the env's file: --out crds/dev holds it.
func TestOpenOutputRefusesPatchAndCRDFiles(t *testing.T) {
	t.Parallel()
	root := writeProject(t, map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\n" +
			"validation:\n  crds: [\"crds/{env}/widgets.yaml\"]\n" +
			"apps:\n  - name: web\n    namespace: shop\n    yaml: apps/web\n",
		"envs/dev.yaml":            "apps:\n  web:\n    patches:\n    - target: {kind: ConfigMap, name: a}\n      path: envs/patches/dev/cm.yaml\n",
		"envs/patches/dev/cm.yaml": "data: {b: c}\n",
		"crds/dev/widgets.yaml":    widgetCRD,
		"apps/web/cm.yaml":         "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
	})
	r, err := render.New(load(t, root), checkOptions(false))
	if err != nil {
		t.Fatal(err)
	}
	results, err := r.Render(context.Background(), nil)
	if err != nil || results[0].Err != nil {
		t.Fatalf("render: %v %v", err, results[0].Err)
	}
	wantOutRefused(t, r, map[string]string{
		filepath.Join(root, "envs/patches"): "--out contains the patch file of app web envs/patches/dev/cm.yaml",
		filepath.Join(root, "crds"):         "--out contains the CRD file or folder of validation.crds crds/dev/widgets.yaml",
		filepath.Join(root, "crds/dev"):     "--out contains the CRD file or folder of validation.crds crds/dev/widgets.yaml",
	})
}

// wantOutRefused checks that OpenOutput refuses each --out of cases, with
// Force too, with an error holding its text.
func wantOutRefused(t *testing.T, r *render.Renderer, cases map[string]string) {
	t.Helper()
	for out, want := range cases {
		w, err := r.OpenOutput(out, render.WriteOptions{Force: true})
		if err == nil {
			w.Close()
			t.Errorf("OpenOutput(%s) succeeded", out)
			continue
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("OpenOutput(%s) = %v, want %q", out, err, want)
		}
	}
}

// TestStageRefusesOutHoldingWhatAnEngineRead: a kustomize overlay's base
// outside the app's folder (resources: [../../base]) is read, yet no path
// of kiln.yaml names it. With --out apps/web/base and --force, kiln
// replaced apps/web/base/dev, the base's resources with it. The folders
// the engines read files from are sources too, on a render and on an env
// served whole from the render cache; an --out inside one (the base's
// own rendered/) is not: nothing there is read.
func TestStageRefusesOutHoldingWhatAnEngineRead(t *testing.T) {
	t.Parallel()
	root := writeProject(t, map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\n" +
			"apps:\n  - name: web\n    namespace: shop\n    kustomize: apps/web/overlays/{env}\n",
		"envs/dev.yaml": "apps: {}\n",
		"apps/web/overlays/dev/kustomization.yaml": "resources: [../../base]\n",
		"apps/web/base/dev/kustomization.yaml":     "resources: [cm.yaml]\n",
		"apps/web/base/dev/cm.yaml":                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
		"apps/web/base/kustomization.yaml":         "resources: [dev]\n",
	})
	cacheDir := t.TempDir()
	// stage renders and writes into out with --force; cached is whether
	// the env must come from the render cache whole.
	stage := func(out string, cached bool) error {
		t.Helper()
		opts := checkOptions(false)
		opts.RenderCache = cacheDir
		r, err := render.New(load(t, root), opts)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		w, err := r.OpenOutput(filepath.Join(root, filepath.FromSlash(out)), render.WriteOptions{Force: true})
		if err != nil {
			t.Fatalf("OpenOutput(%s): %v", out, err)
		}
		defer w.Close()
		results, err := r.Render(context.Background(), nil)
		if err != nil || results[0].Err != nil {
			t.Fatalf("render: %v %v", err, results[0].Err)
		}
		if results[0].Cached != cached {
			t.Fatalf("--out %s: env cached = %v, want %v", out, results[0].Cached, cached)
		}
		if err := w.Stage(context.Background(), results[0]); err != nil {
			return err
		}
		return w.Commit(context.Background())
	}
	for _, cached := range []bool{false, true} {
		err := stage("apps/web/base", cached)
		if !errors.Is(err, render.ErrOutOverlapsSource) || !strings.Contains(err.Error(), "--out contains the folder ") ||
			!strings.Contains(err.Error(), " reads files from apps/web/base/dev;") {
			t.Errorf("--out apps/web/base (env cached %v) = %v, want it refused", cached, err)
		}
		if data, _ := os.ReadFile(filepath.Join(root, "apps/web/base/dev/cm.yaml")); !strings.Contains(string(data), "name: a") {
			t.Fatalf("env cached %v: the base's resource was replaced", cached)
		}
	}
	if err := stage("apps/web/base/rendered", true); err != nil {
		t.Errorf("--out inside a folder an engine read: %v", err)
	}
}

// TestStageRefusesOutInsideAFolderAnEngineReadsWhole: a yaml app reads
// every .yaml below its folder and Helm every file below its chart,
// following symlinks to folders no path of kiln.yaml names. An --out
// inside such a folder was accepted (only one that is or holds a folder
// of a file read was refused), and the next render read kiln's output as
// the app's source: high-level/web/vars.yaml as an object without
// apiVersion, the rendered tree as templates of the subchart. On a
// render and on an env served whole from the render cache alike.
func TestStageRefusesOutInsideAFolderAnEngineReadsWhole(t *testing.T) {
	t.Parallel()
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n"
	root := writeProject(t, map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\n" +
			"apps:\n  - name: web\n    namespace: shop\n    yaml: apps/web\n" +
			"  - name: chart\n    namespace: shop\n    helm: {chart: charts/web}\n",
		"envs/dev.yaml":                   "apps: {}\n",
		"apps/web/cm.yaml":                fmt.Sprintf(cm, "web"),
		"shared/conf/cm.yaml":             fmt.Sprintf(cm, "shared"),
		"charts/web/Chart.yaml":           "apiVersion: v2\nname: web\nversion: 0.1.0\n",
		"charts/web/templates/cm.yaml":    fmt.Sprintf(cm, "chart"),
		"libcharts/sub/Chart.yaml":        "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
		"libcharts/sub/templates/cm.yaml": fmt.Sprintf(cm, "sub"),
	})
	for link, target := range map[string]string{"apps/web/shared": "../../shared", "charts/web/charts/sub": "../../../libcharts/sub"} {
		full := filepath.Join(root, filepath.FromSlash(link))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, full); err != nil {
			t.Fatal(err)
		}
	}
	cacheDir := t.TempDir()
	for _, cached := range []bool{false, true} {
		opts := checkOptions(false)
		opts.RenderCache = cacheDir
		r, err := render.New(load(t, root), opts)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		results, err := r.Render(context.Background(), nil)
		if err != nil || results[0].Err != nil {
			t.Fatalf("render: %v %v", err, results[0].Err)
		}
		if results[0].Cached != cached {
			t.Fatalf("env cached = %v, want %v", results[0].Cached, cached)
		}
		who := map[bool][2]string{false: {"app web", "app chart"}, true: {"an app of env dev", "an app of env dev"}}[cached]
		wantOutRefused(t, r, map[string]string{
			// shared/ holds no file the app reads, only a folder.
			filepath.Join(root, "shared/rendered"):                "--out is inside the folder " + who[0] + " reads whole shared;",
			filepath.Join(root, "libcharts/sub/templates/newdir"): "--out is inside the folder " + who[1] + " reads whole libcharts/sub",
		})
	}
}

// TestOutInGitDirRefused: OpenOutput and WriteEnv refuse an out in git's
// metadata folder, named .git or laid out as a bare repository, with
// ErrOutInGitDir and nothing written: the folders kiln replaces there
// are git's refs, hooks and objects.
func TestOutInGitDirRefused(t *testing.T) {
	t.Parallel()
	dir := writeProject(t, map[string]string{
		"kiln.yaml":      "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments: [{name: refs}]\napps: [{name: a, namespace: shop, yaml: apps/a}]\n",
		"envs/refs.yaml": "",
		"apps/a/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
		".git/HEAD":      "ref: refs/heads/main\n",
		"m.git/HEAD":     "ref: refs/heads/main\n",
	})
	for _, d := range []string{"m.git/objects", "m.git/refs"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	r, err := render.New(load(t, dir), checkOptions(false))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	results, err := r.Render(context.Background(), nil)
	if err != nil || results[0].Err != nil {
		t.Fatalf("render: %v %v", err, results[0].Err)
	}
	for _, out := range []string{filepath.Join(dir, ".git"), filepath.Join(dir, ".git", "x"), filepath.Join(dir, "m.git")} {
		w, err := r.OpenOutput(out, render.WriteOptions{Force: true})
		if err == nil {
			w.Close()
		}
		if !errors.Is(err, render.ErrOutInGitDir) {
			t.Errorf("OpenOutput(%s) = %v, want ErrOutInGitDir", out, err)
		}
		if err := render.WriteEnv(out, results[0]); !errors.Is(err, render.ErrOutInGitDir) {
			t.Errorf("WriteEnv(%s) = %v, want ErrOutInGitDir", out, err)
		}
		if _, err := os.Stat(filepath.Join(out, "refs", "kiln.lock.json")); err == nil {
			t.Errorf("%s: env refs written", out)
		}
	}
}

// TestOpenOutputRefusesAnEnvTree: --out rendered/dev, meant as rendered,
// was taken: kiln wrote rendered/dev/dev and rendered/dev/.kiln.lock into
// the tree of env dev, under a lock of its own, so a render into rendered
// at the same time wrote the same files unhindered, and the next one
// refused the tree for the folders it did not write. An --out that is or
// lies in an env's tree is a usage error now; a kiln.lock.json that does
// not name its folder's env (an example kept in a repository) is no tree.
func TestOpenOutputRefusesAnEnvTree(t *testing.T) {
	t.Parallel()
	dir := writeProject(t, map[string]string{
		"kiln.yaml":      "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments: [{name: dev}]\napps: [{name: a, namespace: shop, yaml: apps/a}]\n",
		"envs/dev.yaml":  "",
		"apps/a/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
	})
	r, results := mustRender(t, load(t, dir), checkOptions(false), nil)
	defer r.Close()
	out := filepath.Join(t.TempDir(), "rendered")
	if err := render.WriteEnv(out, results[0]); err != nil {
		t.Fatal(err)
	}
	env := filepath.Join(out, "dev")
	for _, o := range []string{env, filepath.Join(env, "apps"), filepath.Join(env, "apps", "new")} {
		w, err := r.OpenOutput(o, render.WriteOptions{Force: true})
		if err == nil {
			w.Close()
		}
		if !errors.Is(err, render.ErrOutInKilnTree) || !strings.Contains(err.Error(), "give --out the folder holding the env folders, "+out) {
			t.Errorf("OpenOutput(%s) = %v, want ErrOutInKilnTree naming %s", o, err, out)
		}
	}
	// Through a symlink too: the link names no tree, the folder it leads
	// to is one.
	links := t.TempDir()
	if err := os.Symlink(env, filepath.Join(links, "to-env")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(out, filepath.Join(links, "to-out")); err != nil {
		t.Fatal(err)
	}
	for _, o := range []string{filepath.Join(links, "to-env"), filepath.Join(links, "to-out", "dev", "apps")} {
		w, err := r.OpenOutput(o, render.WriteOptions{Force: true})
		if err == nil {
			w.Close()
		}
		if !errors.Is(err, render.ErrOutInKilnTree) {
			t.Errorf("OpenOutput(%s) = %v, want ErrOutInKilnTree", o, err)
		}
	}
	for _, p := range []string{filepath.Join(env, "dev"), filepath.Join(env, ".kiln.lock"), filepath.Join(env, "apps", "new")} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s written", p)
		}
	}
	// The folder holding the env folders is the --out to give; a lock of
	// another env (copied, or an example) makes no tree of its folder.
	lock, err := os.ReadFile(filepath.Join(env, "kiln.lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	example := filepath.Join(t.TempDir(), "example")
	if err := os.MkdirAll(example, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(example, "kiln.lock.json"), lock, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, o := range []string{out, example} {
		w, err := r.OpenOutput(o, render.WriteOptions{})
		if err != nil {
			t.Errorf("OpenOutput(%s) = %v", o, err)
			continue
		}
		if err := w.Close(); err != nil {
			t.Error(err)
		}
	}
}
