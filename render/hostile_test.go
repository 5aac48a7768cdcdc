package render_test

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/limits"
	"github.com/kiln-gitops/kiln/render"
)

// aliasBomb is a 405-byte "billion laughs": nine levels of nine aliases,
// 9^9 (387 million) strings once expanded.
const aliasBomb = `apiVersion: v1
kind: ConfigMap
metadata:
  name: lol
data:
  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
  g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
  h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
  i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
`

// deepNesting is one object nested 5,000 levels deep in flow style.
var deepNesting = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\nx: " + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "\n"

// hostileRepo writes a one-env, one-app repository: engine is the
// kiln.yaml key (yaml, kustomize, jsonnet), at the app's path; files are
// written below dir; mk may add what files cannot (FIFOs, links).
type hostile struct {
	name   string
	engine string
	at     string
	files  map[string]string
	mk     func(t *testing.T, dir string)
	// memory is the sandbox's memory cap; 0 means hostileMemory.
	memory int64
	// want are substrings of the error.
	want []string
}

func fifo(rel string) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Mkfifo(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// sparse makes a file of size bytes that costs no disk.
func sparse(rel string, size int64) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteString("# big\n"); err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(size); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
}

const kustomization = "resources: [cm.yaml]\n"

var hostileCases = []hostile{
	{name: "alias bomb in a yaml app", engine: "yaml", at: "app", files: map[string]string{"app/cm.yaml": aliasBomb},
		want: []string{"app/cm.yaml:", "YAML nodes (aliases expanded) exceeds kiln's limit of 4000000"}},
	{name: "alias bomb in a kustomize resource", engine: "kustomize", at: "app", files: map[string]string{"app/kustomization.yaml": kustomization, "app/cm.yaml": aliasBomb},
		want: []string{"app/cm.yaml", "YAML nodes (aliases expanded) exceeds kiln's limit"}},
	{name: "deep nesting in a yaml app", engine: "yaml", at: "app", files: map[string]string{"app/cm.yaml": deepNesting},
		want: []string{"app/cm.yaml:", "YAML nesting depth (aliases expanded) exceeds kiln's limit of 1000"}},
	{name: "deep nesting in a kustomize resource", engine: "kustomize", at: "app", files: map[string]string{"app/kustomization.yaml": kustomization, "app/cm.yaml": deepNesting},
		want: []string{"app/cm.yaml", "YAML nesting depth (aliases expanded) exceeds kiln's limit"}},
	{name: "FIFO in a yaml app", engine: "yaml", at: "app", files: map[string]string{"app/a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"}, mk: fifo("app/b.yaml"),
		want: []string{"app/b.yaml", "is a named pipe (FIFO), not a regular file"}},
	{name: "FIFO as a kustomize resource", engine: "kustomize", at: "app", files: map[string]string{"app/kustomization.yaml": kustomization}, mk: fifo("app/cm.yaml"),
		want: []string{"cm.yaml", "is a named pipe (FIFO), not a regular file"}},
	{name: "FIFO as a jsonnet import", engine: "jsonnet", at: "app/main.jsonnet", files: map[string]string{"app/main.jsonnet": "import 'lib.libsonnet'\n"}, mk: fifo("app/lib.libsonnet"),
		want: []string{"app/lib.libsonnet is a named pipe (FIFO), not a regular file"}},
	{name: "huge file in a yaml app", engine: "yaml", at: "app", mk: sparse("app/big.yaml", limits.FileSize+1),
		want: []string{"app/big.yaml", "size exceeds kiln's limit of 32 MiB"}},
	{name: "huge kustomize resource", engine: "kustomize", at: "app", files: map[string]string{"app/kustomization.yaml": kustomization}, mk: sparse("app/cm.yaml", limits.FileSize+1),
		want: []string{"app/cm.yaml", "size exceeds kiln's limit of 32 MiB"}},
}

// TestHostileInputs renders each hostile repository in process: each must
// end in a clear error naming the input, never a crash, hang or OOM.
func TestHostileInputs(t *testing.T) {
	for _, tc := range hostileCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := renderHostile(t, tc)
			if err == nil {
				t.Fatal("rendered without an error")
			}
			t.Log(err)
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not say %q:\n%v", w, err)
				}
			}
		})
	}
}

func renderHostile(t *testing.T, tc hostile) error {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{"kiln.yaml": fmt.Sprintf("apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\nmanifests:\n  github: acme/manifests\napps:\n  - name: app\n    namespace: shop\n    %s: %s\n", tc.engine, tc.at)}
	for k, v := range tc.files {
		files[k] = v
	}
	for rel, content := range files {
		writeFile(t, filepath.Join(dir, rel), content)
	}
	if tc.mk != nil {
		tc.mk(t, dir)
	}
	p, err := envconfig.Load(filepath.Join(dir, "kiln.yaml"))
	if err != nil {
		return err
	}
	opts := checkOptions(false)
	opts.MemoryLimit = hostileMemory
	if tc.memory != 0 {
		opts.MemoryLimit = tc.memory
	}
	r, err := render.New(p, opts)
	if err != nil {
		return err
	}
	defer r.Close()
	results, err := r.Render(context.Background(), nil)
	if err != nil {
		return err
	}
	var errs []error
	for _, er := range results {
		errs = append(errs, er.Err)
	}
	err = errors.Join(errs...)
	if err != nil {
		var de *diag.Error
		if !errors.As(err, &de) {
			t.Errorf("error is not a *diag.Error: %T", err)
		}
	}
	return err
}

// TestHostileFlagFiles: files named on the command line (--config,
// --images) are refused when they are devices or FIFOs, instead of being
// read forever.
func TestHostileFlagFiles(t *testing.T) {
	dir := t.TempDir()
	pipe := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(pipe, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/dev/zero", pipe} {
		_, err := envconfig.Load(path)
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("--config %s: got %v, want a not-a-regular-file error", path, err)
		}
	}
	writeFile(t, filepath.Join(dir, "kiln.yaml"), "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\nmanifests:\n  github: acme/manifests\napps:\n  - name: app\n    namespace: shop\n    yaml: app\n")
	p, err := envconfig.Load(filepath.Join(dir, "kiln.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/dev/zero", pipe} {
		opts := checkOptions(false)
		opts.Images.Files = []string{path}
		_, err := render.New(p, opts)
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("--images %s: got %v, want a not-a-regular-file error naming it", path, err)
		}
	}
}

func init() {
	hostileCases = append(hostileCases,
		hostile{name: "tailstrict recursion in jsonnet", engine: "jsonnet", at: "app/main.jsonnet",
			files: map[string]string{"app/main.jsonnet": "local f(x) = f(x + 1) tailstrict;\nf(0)\n"},
			want:  []string{"app/main.jsonnet:1", "tailstrict is not supported"}},
		hostile{name: "tailstrict recursion in a jsonnet import", engine: "jsonnet", at: "app/main.jsonnet",
			files: map[string]string{"app/main.jsonnet": "import 'lib.libsonnet'\n", "app/lib.libsonnet": "local f(x) = f(x + 1) tailstrict;\nf(0)\n"},
			want:  []string{"app/lib.libsonnet:1", "tailstrict is not supported"}},
		hostile{name: "deep recursion in jsonnet", engine: "jsonnet", at: "app/main.jsonnet",
			files: map[string]string{"app/main.jsonnet": "local f(x) = 1 + f(x + 1);\nf(0)\n"},
			want:  []string{"app/main.jsonnet", "max stack frames exceeded"}},
		hostile{name: "deeply nested jsonnet", engine: "jsonnet", at: "app/main.jsonnet",
			files: map[string]string{"app/main.jsonnet": strings.Repeat("[", 2000) + strings.Repeat("]", 2000) + "\n"},
			// go-jsonnet's parser takes about 200 MB of stack for it.
			memory: 1 << 30,
			want:   []string{"app/main.jsonnet:1", "expressions nest deeper than kiln's limit of 1000"}},
		// Refused before go-jsonnet parses it: its parser overflowed the
		// worker's Go stack, and the crash blamed a template's recursion.
		hostile{name: "jsonnet nested beyond the parser's stack", engine: "jsonnet", at: "app/main.jsonnet",
			files: map[string]string{"app/main.jsonnet": "{\n" + strings.Repeat("-", 100_000) + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + "}\n"},
			want:  []string{"app/main.jsonnet:2", "expressions nest deeper than kiln's limit of 1000"}},
	)
}

func init() {
	hostileCases = append(hostileCases,
		hostile{name: "jsonnet number beyond 64 bits", engine: "jsonnet", at: "app/main.jsonnet",
			files: map[string]string{"app/main.jsonnet": "{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'n'}, spec: {replicas: 1e21}}\n"},
			want:  []string{"app/main.jsonnet", "the number 1000000000000000000000 does not fit a 64-bit integer"}})
}

// manyEntries writes a chart archive at rel: a valid chart and empty
// files, entries in all.
func manyEntries(rel string, entries int) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		zw := gzip.NewWriter(f)
		tw := tar.NewWriter(zw)
		chart := "apiVersion: v2\nname: many\nversion: 0.1.0\n"
		if err := tw.WriteHeader(&tar.Header{Name: "many/Chart.yaml", Mode: 0o644, Size: int64(len(chart))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(chart)); err != nil {
			t.Fatal(err)
		}
		for i := 1; i < entries; i++ {
			if err := tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("many/files/%d", i), Mode: 0o644}); err != nil {
				t.Fatal(err)
			}
		}
		if err := tw.Close(); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func init() {
	// Helm's loader would take a million empty entries (its bounds are on
	// bytes); one entry beyond kiln's bound is enough to show the refusal.
	hostileCases = append(hostileCases,
		hostile{name: "chart archive with too many entries", engine: "helm", at: "{chart: app/many.tgz}", mk: manyEntries("app/many.tgz", limits.ChartFiles+1),
			want: []string{"app/many.tgz: app app: the number of files in the chart (archive entries and subcharts included) exceeds kiln's limit of 20000"}})
}

// hostileMemory is the sandbox's memory cap in these tests: small, so
// that a template allocating without end fails fast and costs little.
const hostileMemory = 256 << 20

// parseYamlBomb passes go-jsonnet's YAML alias check (few aliases per
// node decoded) and expands to 1.3 GB of JSON.
var parseYamlBomb = "a: &a " + strings.Repeat("x", 64<<10) + "\nb: [" + strings.Repeat("*a,", 20000) + "*a]\n"

// chart is a one-template Helm chart in app/.
func chart(template string) map[string]string {
	return map[string]string{"app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\n", "app/templates/cm.yaml": template}
}

// Templates that allocate without end end in an error naming the app, its
// file and kiln's memory limit, not in Go's fatal "out of memory" (exit 2)
// for all of kiln: they are evaluated in a sandbox worker with a memory
// cap.
func init() {
	memory := []string{"app app: rendering exceeded kiln's memory limit of 256 MiB", "--memory-limit"}
	hostileCases = append(hostileCases,
		hostile{name: "std.makeArray(2e9) in jsonnet", engine: "jsonnet", at: "app/main.jsonnet",
			files: map[string]string{"app/main.jsonnet": "std.makeArray(2e9, function(i) i)\n"},
			want:  append([]string{"app/main.jsonnet: "}, memory...)},
		hostile{name: "array doubled in a jsonnet loop", engine: "jsonnet", at: "app/main.jsonnet",
			files: map[string]string{"app/main.jsonnet": "local f(a, n) = if n == 0 then a else f(a + a, n - 1);\nstd.length(f([1], 40))\n"},
			want:  append([]string{"app/main.jsonnet: "}, memory...)},
		hostile{name: "string doubled in a jsonnet loop", engine: "jsonnet", at: "app/main.jsonnet",
			files: map[string]string{"app/main.jsonnet": "local f(s, n) = if n == 0 then s else f(s + s, n - 1);\nstd.length(f('x', 40))\n"},
			want:  append([]string{"app/main.jsonnet: "}, memory...)},
		hostile{name: "alias bomb in std.parseYaml", engine: "jsonnet", at: "app/main.jsonnet",
			files: map[string]string{"app/main.jsonnet": "std.parseYaml(importstr 'bomb.yaml')\n", "app/bomb.yaml": parseYamlBomb},
			want:  append([]string{"app/main.jsonnet: "}, memory...)},
		hostile{name: "helm range until a billion", engine: "helm", at: "{chart: app}",
			files: chart("{{ range until 1000000000 }}xxxxxxxx{{ end }}\n"),
			want:  append([]string{"app: "}, memory...)},
		hostile{name: "helm ConfigMap of 3 million keys", engine: "helm", at: "{chart: app}",
			files: chart("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n{{- range until 3000000 }}\n  k{{ . }}: v\n{{- end }}\n"),
			want:  append([]string{"app: "}, memory...)},
		hostile{name: "helm string doubled in a loop", engine: "helm", at: "{chart: app}",
			files: chart("{{ $s := \"x\" }}{{ range until 64 }}{{ $s = print $s $s }}{{ end }}{{ $s }}\n"),
			want:  append([]string{"app: "}, memory...)},
	)
}

// endlessChart never finishes (10^10 iterations) in constant memory.
var endlessChart = chart("{{ range until 100000 }}{{ range until 100000 }}{{ end }}{{ end }}\n")

// workers lists this process's sandbox workers, leaving out those in old
// (idle workers of other tests' Renderers, not yet garbage collected).
func workers(t *testing.T, old []int) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid …; comm may hold spaces, never ") ".
		f := strings.Fields(string(stat[strings.LastIndex(string(stat), ")")+1:]))
		cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if len(f) > 1 && f[1] == strconv.Itoa(os.Getpid()) && strings.HasPrefix(string(cmdline), "kiln-sandbox-worker\x00") && !slices.Contains(old, pid) {
			out = append(out, pid)
		}
	}
	return out
}

// renderEndless renders endlessChart's app with ctx; stop, when set, runs
// once its worker exists. It returns the workers its Renderer left and
// the render's error.
func renderEndless(t *testing.T, ctx context.Context, stop func(pid int)) ([]int, error) {
	t.Helper()
	dir := t.TempDir()
	files := endlessChart
	files["kiln.yaml"] = "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\nmanifests:\n  github: acme/manifests\napps:\n  - name: endless\n    namespace: shop\n    helm: {chart: app}\n"
	p := loadProject(t, dir, files)
	opts := checkOptions(false)
	opts.MemoryLimit = hostileMemory
	opts.Parallelism = 1
	r, err := render.New(p, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	old := workers(t, nil)
	if stop != nil {
		go func() {
			for {
				if pids := workers(t, old); len(pids) == 1 {
					stop(pids[0])
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	results, err := r.Render(ctx, nil)
	left := workers(t, old)
	if err != nil {
		return left, err
	}
	return left, results[0].Err
}

// TestEndlessHelmTemplate: a context that ends (--timeout, a signal)
// stops an endless Helm template for real: the worker evaluating it is
// gone when Render returns. Not parallel: it counts this process's
// workers.
func TestEndlessHelmTemplate(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	left, err := renderEndless(t, ctx, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want the render stopped by its deadline", err)
	}
	if len(left) != 0 {
		t.Errorf("workers %v outlived the render", left)
	}
}

// TestWorkerKilled: a worker killed mid-render (the kernel's OOM killer, a
// container's memory limit) is an error naming the app, and the next
// render gets a new worker. Not parallel: it counts this process's workers.
func TestWorkerKilled(t *testing.T) {
	left, err := renderEndless(t, context.Background(), func(pid int) {
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Error(err)
		}
	})
	if !strings.Contains(err.Error(), "app: app endless: the template engine crashed (signal: killed)") {
		t.Fatalf("got %v, want a crashed worker", err)
	}
	var de *diag.Error
	if !errors.As(err, &de) {
		t.Errorf("error is not a *diag.Error: %T", err)
	}
	if len(left) != 0 {
		t.Errorf("workers %v outlived the render", left)
	}
}

func init() {
	// A chart's template is as hostile as a yaml app's file: the same
	// alias bomb, printed by helm, is refused by helm's own parse of its
	// output (yaml.v2's alias limit) before kiln's count sees it. The
	// node bound on legal-sized helm output is tested in templates/helm
	// (TestRenderedOutputBounds), lowered: at 4,000,000 nodes it costs
	// 20 s and 2 GB.
	hostileCases = append(hostileCases,
		hostile{name: "alias bomb in a helm template", engine: "helm", at: "{chart: app/chart}",
			files: map[string]string{"app/chart/Chart.yaml": "apiVersion: v2\nname: bomb\nversion: 0.1.0\n", "app/chart/templates/cm.yaml": aliasBomb},
			want:  []string{"app/chart/templates/cm.yaml: app app: template rendered invalid YAML", "excessive aliasing"}})
}

// A kustomize build is bounded like a template's evaluation: it runs in a
// sandbox worker, with the memory cap. A replacement copying a list of
// 100,000 numbers (200 KB) into 400 fields took gigabytes inside krusty,
// in kiln's own process, before any bound of kiln's saw its output.
func init() {
	var small, fields strings.Builder
	for i := range 40 {
		fmt.Fprintf(&small, "---\napiVersion: example.com/v1\nkind: Thing\nmetadata: {name: s%d}\n", i)
	}
	for i := range 10 {
		fmt.Fprintf(&fields, "spec.k%d, ", i)
	}
	hostileCases = append(hostileCases,
		hostile{name: "kustomize replacement copied 400 times", engine: "kustomize", at: "app",
			files: map[string]string{
				"app/big.yaml":   "apiVersion: example.com/v1\nkind: Thing\nmetadata: {name: big}\nspec:\n  v: [" + strings.Repeat("1,", 99999) + "1]\n",
				"app/small.yaml": small.String(),
				"app/kustomization.yaml": "resources: [big.yaml, small.yaml]\nreplacements:\n- source: {kind: Thing, name: big, fieldPath: spec.v}\n  targets:\n  - select: {kind: Thing}\n" +
					"    reject: [{name: big}]\n    options: {create: true}\n    fieldPaths: [" + strings.TrimSuffix(fields.String(), ", ") + "]\n",
			},
			want: []string{"app: app app: rendering exceeded kiln's memory limit of 256 MiB", "--memory-limit"}})
}

// TestEndlessKustomizeBuild: a kustomize build that outlasts the render's
// context (objects doubled at each of 16 levels of bases: hours) is
// killed with its worker when the context ends, and the error names the
// app. Not parallel: it counts this process's workers.
func TestEndlessKustomizeBuild(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\nmanifests:\n  github: acme/manifests\napps:\n  - name: doubling\n    namespace: shop\n    kustomize: app/l0\n"}
	const levels = 16
	for i := range levels {
		l := fmt.Sprintf("app/l%d", i)
		files[l+"/kustomization.yaml"] = "resources: [xa, ya]\n"
		files[l+"/xa/kustomization.yaml"] = fmt.Sprintf("namePrefix: x-\nresources: [../../l%d]\n", i+1)
		files[l+"/ya/kustomization.yaml"] = fmt.Sprintf("namePrefix: y-\nresources: [../../l%d]\n", i+1)
	}
	files[fmt.Sprintf("app/l%d/kustomization.yaml", levels)] = "resources: [cm.yaml]\n"
	files[fmt.Sprintf("app/l%d/cm.yaml", levels)] = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"
	p := loadProject(t, dir, files)
	opts := checkOptions(false)
	opts.MemoryLimit = hostileMemory
	opts.Parallelism = 1
	r, err := render.New(p, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	old := workers(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	results, err := r.Render(ctx, nil)
	if err == nil {
		err = results[0].Err
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("the render ended %v after its deadline", took-time.Second)
	}
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "env dev: stopped while rendering app doubling") {
		t.Fatalf("got %v, want the render stopped by its deadline, naming the app", err)
	}
	if left := workers(t, old); len(left) != 0 {
		t.Errorf("workers %v outlived the render", left)
	}
}

// TestStoppedWhileValidating: the render's context ending once the
// engines are done (here cancelled from BeforeFinish, as --timeout or a
// signal would) stops validation before it checks an object, and the
// error names the env and the app: a CRD whose CEL rule compares each
// item of a list with every other, within the API server's cost
// estimate, held a render of 40 such objects half a minute past
// --timeout 3s, and SIGTERM as long, with no word of where.
func TestStoppedWhileValidating(t *testing.T) {
	t.Parallel()
	items := make([]string, 100)
	for i := range items {
		items[i] = "s" + strconv.Itoa(i)
	}
	foo := "---\napiVersion: ex.com/v1\nkind: Foo\nmetadata: {name: f%d}\nspec: {l: [" + strings.Join(items, ", ") + "]}\n"
	var foos strings.Builder
	for i := range 10 {
		fmt.Fprintf(&foos, foo, i)
	}
	// The CRD of validate's own test of a stop.
	crd, err := os.ReadFile("internal/validate/testdata/costly-crd.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p := loadProject(t, t.TempDir(), map[string]string{
		"kiln.yaml":     "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\nmanifests:\n  github: acme/manifests\napps:\n  - name: foos\n    namespace: shop\n    yaml: app\n",
		"app/crd.yaml":  string(crd),
		"app/foos.yaml": foos.String(),
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opts := checkOptions(false)
	opts.BeforeFinish = cancel
	r, err := render.New(p, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	_, err = r.Render(ctx, nil)
	if !errors.Is(err, context.Canceled) || !strings.Contains(fmt.Sprint(err), "env dev: stopped while validating app foos") {
		t.Fatalf("got %v, want the render stopped, naming the env and the app", err)
	}
	if n := r.ValidationChecks(); n != 0 {
		t.Errorf("%d objects validated after the context ended", n)
	}
}

// TestEndlessEnvPatch: an env patch whose strategic merge outlasts the
// render's context (kyaml merges lists by key in quadratic time: two lists
// of 800 containers take a second, of 10,000 minutes) ends the render
// when the context ends, naming the app.
func TestEndlessEnvPatch(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var app, patch []string
	for i := range 800 {
		app = append(app, fmt.Sprintf("{name: c%d, image: x}", i))
		patch = append(patch, fmt.Sprintf("{name: p%d, image: y}", i))
	}
	for rel, content := range map[string]string{
		"kiln.yaml":     "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\nmanifests:\n  github: acme/manifests\napps:\n  - name: merged\n    namespace: shop\n    yaml: app\n",
		"app/d.yaml":    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  selector: {matchLabels: {a: b}}\n  template:\n    metadata: {labels: {a: b}}\n    spec:\n      containers: [" + strings.Join(app, ", ") + "]\n",
		"envs/dev.yaml": "apps:\n  merged:\n    patches:\n      - patch: |-\n          apiVersion: apps/v1\n          kind: Deployment\n          metadata: {name: d}\n          spec: {template: {spec: {containers: [" + strings.Join(patch, ", ") + "]}}}\n",
	} {
		writeFile(t, filepath.Join(dir, rel), content)
	}
	p, err := envconfig.Load(filepath.Join(dir, "kiln.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := render.New(p, checkOptions(false))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	const deadline = 100 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	start := time.Now()
	_, err = r.Render(ctx, nil)
	if took := time.Since(start); took > deadline+2*time.Second {
		t.Errorf("the render ended %v after its deadline", took-deadline)
	}
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "env dev: stopped while rendering app merged") {
		t.Fatalf("got %v, want the render stopped by its deadline, naming the app", err)
	}
}
