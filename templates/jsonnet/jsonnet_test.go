package jsonnet

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kiln-gitops/kiln/templates/internal/enginetest"

	gold "github.com/kiln-gitops/kiln/internal/golden"

	"github.com/google/go-cmp/cmp"
	gojsonnet "github.com/google/go-jsonnet"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/redact"
	"github.com/kiln-gitops/kiln/internal/rootfs"
	"github.com/kiln-gitops/kiln/templates"
)

var update = flag.Bool("update", false, "rewrite golden files")

const secret = "s3cr3t-P4ssw0rd"

var (
	testVars = map[string]string{
		"LOG_LEVEL":   "debug",
		"DB_HOST":     "db.instavote.svc",
		"DB_PASSWORD": secret,
		"REPLICAS":    "0",
	}
	testImages = map[string]string{
		"ghcr.io/acme/result": "ghcr.io/acme/result:1.4.2",
		"ghcr.io/acme/vote":   "ghcr.io/acme/vote@sha256:0000000000000000000000000000000000000000000000000000000000000001",
	}
	testJPath = []string{"lib", "vendor"}
)

type renderCase struct {
	name  string
	path  string
	env   string   // "dev" when empty
	jpath []string // testJPath when nil
	setup func(t *testing.T, root string)
	// golden is the file under testdata/golden holding the result or the
	// error text.
	golden string
	// wantOutside: the error must unwrap to rootfs.ErrOutside.
	wantOutside bool
	// secretVars are the names of testVars that are secret.
	secretVars map[string]bool
}

var renderCases = []renderCase{
	{name: "object of objects with ext vars", path: "apps/result/main.jsonnet", golden: "result-dev.golden"},
	{name: "object of objects in prod", path: "apps/result/main.jsonnet", env: "prod", golden: "result-prod.golden"},
	{name: "function takes the arguments it declares", path: "apps/func/main.jsonnet", golden: "func.golden"},
	{name: "function bound to a local", path: "apps/funclocal/main.jsonnet", golden: "funclocal.golden"},
	{name: "function behind an import gets all three", path: "apps/unknown/main.jsonnet", golden: "unknown.golden"},
	{name: "array", path: "apps/list/main.jsonnet", golden: "list.golden"},
	{name: "kind List", path: "apps/listkind/main.jsonnet", golden: "listkind.golden"},
	{name: "syntax error", path: "apps/errors/syntax.jsonnet", golden: "err-syntax.golden"},
	{name: "unknown variable", path: "apps/errors/unknownvar.jsonnet", golden: "err-unknownvar.golden"},
	// go-jsonnet writes the location of a bad escape twice; kiln wrote
	// it once more in the message, after its own file:line.
	{name: "bad escape in a string", path: "apps/errors/escape.jsonnet", golden: "err-escape.golden"},
	{name: "runtime error in a library", path: "apps/errors/runtime.jsonnet", golden: "err-runtime.golden"},
	{name: "error expression", path: "apps/errors/error.jsonnet", golden: "err-error.golden"},
	{name: "undefined ext var", path: "apps/errors/extvar.jsonnet", golden: "err-extvar.golden"},
	// The hint listed the recursive line five times, then "…": the
	// call that started the recursion was cut off, and nothing said that
	// the jsonnet program fails the same way unless given --max-stack.
	{name: "recursion past jsonnet's stack", path: "apps/errors/recursion.jsonnet", golden: "err-recursion.golden"},
	// An object holding itself fails as the output is written, 500
	// levels down: the message was its path, .loop 500 times, cut at 4
	// KiB, and the hint said to fix "the jsonnet here".
	{name: "output that holds itself", path: "apps/errors/selfloop.jsonnet", golden: "err-selfloop.golden"},
	{name: "native function of Tanka", path: "apps/errors/native.jsonnet", golden: "err-native.golden"},
	{name: "secret value in an error", path: "apps/errors/secret.jsonnet", golden: "err-secret.golden", secretVars: map[string]bool{"DB_PASSWORD": true}},
	{name: "top-level function with another parameter", path: "apps/errors/tla.jsonnet", golden: "err-tla.golden"},
	{name: "function the syntax tree does not show", path: "apps/errors/unknownshape.jsonnet", golden: "err-unknownshape.golden"},
	{name: "import outside the root", path: "apps/errors/outside.jsonnet", golden: "err-outside.golden", wantOutside: true},
	// grafana/tempo's example/tk imports ../../../../operations/tempo-mixin
	// from lib/: without that folder, kiln said only that the import leads
	// outside the repository (via ../operations/…, from a jpath folder),
	// which sent the user to the jpath, not to the missing folder.
	{name: "import missing, outside from the jpath", path: "apps/errors/outsidejpath.jsonnet", golden: "err-outside-jpath.golden", wantOutside: true},
	{name: "import not found", path: "apps/errors/notfound.jsonnet", golden: "err-notfound.golden"},
	{name: "import of a folder", path: "apps/errors/dir.jsonnet", golden: "err-dir.golden"},
	{name: "syntax error in an imported file", path: "apps/errors/libsyntax.jsonnet", golden: "err-libsyntax.golden"},
	{name: "non-object output", path: "apps/errors/notobject.jsonnet", golden: "err-notobject.golden"},
	{name: "dashboards in the output", path: "apps/errors/dashboards.jsonnet", golden: "err-dashboards.golden"},
	{name: "a string", path: "apps/errors/string.jsonnet", golden: "err-string.golden"},
	{name: "no objects", path: "apps/errors/empty.jsonnet", golden: "err-empty.golden"},
	{name: "Tanka inline environment", path: "apps/errors/tanka.jsonnet", golden: "err-tanka.golden"},
	{name: "number beyond 64 bits, named by path and line", path: "apps/errors/bignumber.jsonnet", golden: "err-bignumber.golden"},
	{name: "main file missing", path: "apps/nope/main.jsonnet", golden: "err-missing.golden"},
	{name: "main file outside the root", path: "../main.jsonnet", golden: "err-main-outside.golden", wantOutside: true},
	{
		name: "symlinked library outside the root",
		path: "apps/result/main.jsonnet",
		setup: func(t *testing.T, root string) {
			outside := t.TempDir()
			write(t, outside, "k.libsonnet", "{}")
			if err := os.Remove(filepath.Join(root, "lib", "k.libsonnet")); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(filepath.Join(outside, "k.libsonnet"), filepath.Join(root, "lib", "k.libsonnet")); err != nil {
				t.Fatal(err)
			}
		},
		golden:      "err-symlink-out.golden",
		wantOutside: true,
	},
	{
		name:   "jpath order: vendor first shadows lib",
		path:   "apps/list/main.jsonnet",
		jpath:  []string{"vendor", "lib"},
		golden: "err-jpath-order.golden",
	},
}

func (tc renderCase) request(root string) *templates.Request {
	env, jpath := tc.env, tc.jpath
	if env == "" {
		env = "dev"
	}
	if jpath == nil {
		jpath = testJPath
	}
	return &templates.Request{
		Root: root, App: "result", Namespace: "instavote", Env: env,
		Path: tc.path, JPath: jpath, Vars: testVars, SecretVars: tc.secretVars, Images: testImages,
	}
}

func TestRender(t *testing.T) {
	t.Parallel()
	for _, tc := range renderCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := copyRepo(t)
			if tc.setup != nil {
				tc.setup(t, root)
			}
			res, err := New(Options{}).Render(context.Background(), tc.request(root))
			var got string
			if err != nil {
				got = "error:\n" + err.Error() + "\n"
				checkErr(t, err)
				if is := errors.Is(err, rootfs.ErrOutside); is != tc.wantOutside {
					t.Errorf("errors.Is(err, rootfs.ErrOutside) = %v, want %v", is, tc.wantOutside)
				}
			} else {
				got = dump(t, res)
			}
			golden(t, filepath.Join("testdata", "golden", tc.golden), got)
		})
	}
}

// checkErr asserts what every error of the engine must satisfy.
func checkErr(t *testing.T, err error) {
	t.Helper()
	for _, e := range diag.Flatten(err) {
		var de *diag.Error
		if !errors.As(e, &de) {
			t.Errorf("error %q is not a *diag.Error", e)
			continue
		}
		if de.App != "result" || de.File == "" || filepath.IsAbs(de.File) {
			t.Errorf("error %q does not name the app and a repo-relative file", e)
		}
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("error shows a secret value: %v", err)
	}
}

// TestRenderErrorTypes checks that go-jsonnet's own error values stay
// reachable through the *diag.Error.
func TestRenderErrorTypes(t *testing.T) {
	t.Parallel()
	root := copyRepo(t)
	e := New(Options{})
	_, err := e.Render(context.Background(), renderCase{path: "apps/errors/runtime.jsonnet"}.request(root))
	var rt gojsonnet.RuntimeError
	if !errors.As(err, &rt) {
		t.Errorf("runtime error %v does not unwrap to a gojsonnet.RuntimeError", err)
	}
	_, err = e.Render(context.Background(), renderCase{path: "apps/errors/syntax.jsonnet"}.request(root))
	var se staticError
	if !errors.As(err, &se) {
		t.Errorf("syntax error %v does not unwrap to a static error", err)
	}
}

// TestRenderShared renders every good case on one Engine, concurrently
// and repeatedly: each Render has its own VM, the file cache is shared.
// Run under -race.
func TestRenderShared(t *testing.T) {
	t.Parallel()
	root := copyRepo(t)
	var cases []renderCase
	for _, tc := range renderCases {
		if tc.setup == nil && !strings.HasPrefix(tc.golden, "err-") {
			cases = append(cases, tc)
		}
	}
	want := map[string]string{}
	for _, tc := range cases {
		res, err := New(Options{}).Render(context.Background(), tc.request(root))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		want[tc.name] = dump(t, res)
	}
	e := New(Options{})
	var wg sync.WaitGroup
	for i := range 4 {
		for _, tc := range cases {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := e.Render(context.Background(), tc.request(root))
				if err != nil {
					t.Errorf("%s #%d: %v", tc.name, i, err)
					return
				}
				if diff := cmp.Diff(want[tc.name], dump(t, res)); diff != "" {
					t.Errorf("%s #%d differs from a render on a fresh engine (-want +got):\n%s", tc.name, i, diff)
				}
			}()
		}
	}
	wg.Wait()
}

func TestRenderDigest(t *testing.T) {
	t.Parallel()
	root := copyRepo(t)
	e := New(Options{})
	digest := func(t *testing.T, change func(r *templates.Request)) string {
		t.Helper()
		req := renderCase{path: "apps/result/main.jsonnet"}.request(root)
		req.Vars = map[string]string{"LOG_LEVEL": "debug", "DB_HOST": "db"}
		if change != nil {
			change(req)
		}
		res, err := e.Render(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		return res.InputDigest
	}
	base := digest(t, nil)
	tests := []struct {
		name     string
		change   func(r *templates.Request)
		wantSame bool
	}{
		{name: "nothing", change: nil, wantSame: true},
		{name: "var value", change: func(r *templates.Request) { r.Vars["LOG_LEVEL"] = "info" }},
		{name: "new var", change: func(r *templates.Request) { r.Vars["X"] = "1" }},
		{name: "env", change: func(r *templates.Request) { r.Env = "staging" }},
		{name: "image", change: func(r *templates.Request) {
			r.Images = map[string]string{"ghcr.io/acme/result": "ghcr.io/acme/result:2"}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := digest(t, tc.change); (got == base) != tc.wantSame {
				t.Errorf("digest %s vs %s: same = %v, want %v", got, base, got == base, tc.wantSame)
			}
		})
	}
}

func TestTopLevel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		src       string
		wantShape shape
		wantNames []string
	}{
		{name: "object", src: "{a: 1}", wantShape: shapeValue},
		{name: "array", src: "[{}]", wantShape: shapeValue},
		{name: "object sum", src: "{a: 1} + {b: 2}", wantShape: shapeValue},
		{name: "function", src: "function(images, env) {}", wantShape: shapeFunction, wantNames: []string{"env", "images"}},
		{name: "function with other params", src: "function(cluster, vars={}) {}", wantShape: shapeFunction, wantNames: []string{"vars", "cluster"}},
		{name: "function without params", src: "function() {}", wantShape: shapeFunction},
		{name: "local then function", src: "local x = 1; function(env) {}", wantShape: shapeFunction, wantNames: []string{"env"}},
		{name: "local function by name", src: "local f(vars) = {}; f", wantShape: shapeFunction, wantNames: []string{"vars"}},
		{name: "local alias", src: "local f = function(env) {}; local g = f; g", wantShape: shapeFunction, wantNames: []string{"env"}},
		{name: "shadowed alias", src: "local f = function(env) {}; local g = f; local f = {}; g", wantShape: shapeFunction, wantNames: []string{"env"}},
		{name: "local object by name", src: "local o = {}; o", wantShape: shapeValue},
		{name: "self-referencing locals", src: "local a = b, b = a; a", wantShape: shapeUnknown},
		{name: "import", src: "import 'x.libsonnet'", wantShape: shapeUnknown},
		{name: "conditional", src: "if true then function(env) {} else {}", wantShape: shapeUnknown},
		{name: "call", src: "(function(x) x)({})", wantShape: shapeUnknown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			node, err := gojsonnet.SnippetToAST("main.jsonnet", tc.src)
			if err != nil {
				t.Fatal(err)
			}
			gotShape, gotNames := topLevel(node, nil, 0)
			if gotShape != tc.wantShape {
				t.Errorf("shape = %d, want %d", gotShape, tc.wantShape)
			}
			if diff := cmp.Diff(tc.wantNames, gotNames); diff != "" {
				t.Errorf("names (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRenderCanceled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := New(Options{}).Render(ctx, renderCase{path: "apps/result/main.jsonnet"}.request(copyRepo(t)))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Render with a canceled context = %v, want context.Canceled", err)
	}
}

func ExampleEngine_Render() {
	// Root must be absolute and free of symlinks.
	root, _ := filepath.Abs(filepath.Join("testdata", "repo"))
	root, _ = filepath.EvalSymlinks(root)
	res, err := New(Options{}).Render(context.Background(), &templates.Request{
		Root:   root,
		App:    "worker",
		Env:    "dev",
		Path:   "apps/listkind/main.jsonnet",
		JPath:  []string{"lib", "vendor"},
		Vars:   map[string]string{},
		Images: map[string]string{},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, o := range res.Objects {
		fmt.Println(o.Node.GetKind(), o.Node.GetName(), o.File)
	}
	fmt.Println(res.Inputs)
	// Output:
	// ConfigMap one apps/listkind/main.jsonnet
	// Service two apps/listkind/main.jsonnet
	// [apps/listkind/main.jsonnet lib/k.libsonnet vendor/util.libsonnet]
}

func dump(t *testing.T, res *templates.Result) string { return enginetest.Dump(t, res) }

// golden compares got with the file, or rewrites it under -update.
func golden(t *testing.T, file, got string) {
	t.Helper()
	gold.File(t, file, []byte(got), *update)
}

// copyRepo copies testdata/repo into a fresh, symlink-free root.
func copyRepo(t *testing.T) string {
	t.Helper()
	root := enginetest.TempDir(t)
	if err := os.CopyFS(root, os.DirFS(filepath.Join("testdata", "repo"))); err != nil {
		t.Fatal(err)
	}
	return root
}

func write(t *testing.T, dir, rel, data string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, rel), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestRenderUserArgs: kiln.yaml's jsonnet.extVars and jsonnet.tlas reach
// the evaluation (strings as strings, other values as JSON), are recorded
// in Params and the digest, and TLAs the file cannot take are errors.
func TestRenderUserArgs(t *testing.T) {
	t.Parallel()
	root := copyRepo(t)
	files := map[string]string{
		"apps/args/ext.jsonnet": `{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'ext-' + std.extVar('env')},
  data: {region: std.extVar('region'), replicas: std.toString(std.extVar('replicas') + 1), tier: std.extVar('conf').tier}}`,
		"apps/args/fn.jsonnet": `function(env, region, conf={tier: 'none'}) {apiVersion: 'v1', kind: 'ConfigMap',
  metadata: {name: 'fn-' + env}, data: {region: region, tier: conf.tier, ext: std.extVar('region')}}`,
		"apps/args/all.libsonnet": `function(env, vars, images, region) {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'all-' + env}, data: {region: region}}`,
		// Values the syntax tree cannot tell: only evaluation knows
		// whether they are functions.
		"apps/args/imported-value.jsonnet": `import 'ext.jsonnet'`,
		"apps/args/imported-fn.jsonnet":    `local f = import 'all.libsonnet'; f`,
	}
	for p, content := range files {
		if err := os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, p), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ext := map[string]any{"region": "eu-west-1", "replicas": 2, "conf": map[string]any{"tier": "gold"}}
	render := func(path string, extVars, tlas map[string]any) (*templates.Result, error) {
		req := renderCase{path: path}.request(root)
		req.ExtVars, req.TLAs = extVars, tlas
		return New(Options{}).Render(context.Background(), req)
	}
	data := func(res *templates.Result) map[string]string {
		if len(res.Objects) != 1 {
			t.Fatalf("got %d objects, want 1", len(res.Objects))
		}
		return res.Objects[0].Node.GetDataMap()
	}

	res, err := render("apps/args/ext.jsonnet", ext, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"region": "eu-west-1", "replicas": "3", "tier": "gold"}, data(res)); diff != "" {
		t.Errorf("extVars (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(ext, res.Params["extVars"]); diff != "" {
		t.Errorf("Params extVars (-want +got):\n%s", diff)
	}
	other, err := render("apps/args/ext.jsonnet", map[string]any{"region": "eu-west-1", "replicas": 2, "conf": map[string]any{"tier": "silver"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if other.InputDigest == res.InputDigest {
		t.Error("changing an extVar left the input digest unchanged")
	}

	res, err = render("apps/args/fn.jsonnet", map[string]any{"region": "ext"}, map[string]any{"region": "us-east-1", "conf": map[string]any{"tier": "gold"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"region": "us-east-1", "tier": "gold", "ext": "ext"}, data(res)); diff != "" {
		t.Errorf("tlas (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"env": "dev", "region": "us-east-1", "conf": map[string]any{"tier": "gold"}}, res.Params["tla"]); diff != "" {
		t.Errorf("Params tla (-want +got):\n%s", diff)
	}

	res, err = render("apps/args/imported-fn.jsonnet", nil, map[string]any{"region": "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"region": "us-east-1"}, data(res)); diff != "" {
		t.Errorf("tlas to an imported function (-want +got):\n%s", diff)
	}
	if tla, _ := res.Params["tla"].(map[string]any); tla["region"] != "us-east-1" || tla["env"] != "dev" || tla["vars"] == nil || tla["images"] == nil {
		t.Errorf("Params = %v, want the arguments passed to the imported function under tla", res.Params)
	}

	for _, tc := range []struct {
		name, path string
		tlas       map[string]any
		want       string
	}{
		// The VM drops TLAs given to a value that is no function; kiln
		// used to pass them when the tree did not tell, lost.
		{"not a function, through an import", "apps/args/imported-value.jsonnet", map[string]any{"region": "x"}, "apps/args/imported-value.jsonnet: app result: jsonnet.tlas is given, but the file does not evaluate to a function"},
		{"undeclared parameter", "apps/args/fn.jsonnet", map[string]any{"region": "x", "zone": "a"}, "apps/args/fn.jsonnet: app result: jsonnet.tlas.zone: the file's function has no parameter zone"},
		{"not a function", "apps/args/ext.jsonnet", map[string]any{"region": "x"}, "apps/args/ext.jsonnet: app result: jsonnet.tlas is given, but the file does not evaluate to a function"},
	} {
		_, err := render(tc.path, ext, tc.tlas)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestParseErrorsShowNoValue: std.parseYaml and std.parseJson given a
// string that holds a secret (a secret var with a YAML blob, a file); the
// YAML decoder quotes the scalar it cannot decode under its tag, which a
// redactor of whole values cannot recognise. The error says where and
// shows no part of the value.
func TestParseErrorsShowNoValue(t *testing.T) {
	t.Parallel()
	root := copyRepo(t)
	if err := os.MkdirAll(filepath.Join(root, "apps", "parse"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, root, "apps/parse/main.jsonnet", "{apiVersion: 'v1', kind: 'Secret', metadata: {name: 's'},\n  stringData: std.parseYaml(std.extVar('blob'))}\n")
	req := renderCase{path: "apps/parse/main.jsonnet"}.request(root)
	req.ExtVars = map[string]any{"blob": "user: admin\npass: !!int Sup3rS3cretPart\n"}
	_, err := New(Options{}).Render(context.Background(), req)
	var de *diag.Error
	if !errors.As(err, &de) {
		t.Fatalf("Render() = %v, want a *diag.Error", err)
	}
	if strings.Contains(err.Error(), "S3cret") || de.File != "apps/parse/main.jsonnet" || de.Line != 2 {
		t.Errorf("Render() error = %v, want one at apps/parse/main.jsonnet:2 without the value", err)
	}
}

// TestParseBuiltinsShowNoValue: the builtins that parse a string
// (std.parseJson, std.parseInt, std.parseOctal, std.parseHex) quote what
// they could not parse: the whole string, or the character where JSON
// went wrong. The string may be a part of a secret var, or a file read
// with importstr, which no redactor of whole values recognises. The error
// keeps its words and its line and shows no part of the string.
func TestParseBuiltinsShowNoValue(t *testing.T) {
	t.Parallel()
	const value = "user:Sup3rS3cretPart"
	for _, tc := range []struct{ name, expr, want string }{
		{"parseJson", "std.parseJson(std.extVar('blob')[5:])", "failed to parse JSON: invalid character " + redact.Mask + " looking for beginning of value"},
		{"parseJson inside an object", "std.parseJson('{\"a\": ' + std.extVar('blob')[5:] + '}')", "failed to parse JSON: invalid character " + redact.Mask + " looking for beginning of value"},
		{"parseInt", "std.parseInt(std.extVar('blob')[5:])", redact.Mask + " is not a base 10 integer"},
		{"parseOctal", "std.parseOctal(std.extVar('blob')[5:])", redact.Mask + " is not a base 8 integer"},
		{"parseHex", "std.parseHex(std.extVar('blob')[5:])", redact.Mask + " is not a base 16 integer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := copyRepo(t)
			if err := os.MkdirAll(filepath.Join(root, "apps", "parse"), 0o755); err != nil {
				t.Fatal(err)
			}
			write(t, root, "apps/parse/main.jsonnet", "{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 's'},\n  data: {n: '' + "+tc.expr+"}}\n")
			req := renderCase{path: "apps/parse/main.jsonnet"}.request(root)
			req.ExtVars = map[string]any{"blob": value}
			_, err := New(Options{}).Render(context.Background(), req)
			var de *diag.Error
			if !errors.As(err, &de) {
				t.Fatalf("Render() = %v, want a *diag.Error", err)
			}
			if strings.Contains(err.Error(), "S3cret") || strings.Contains(err.Error(), "'S'") || !strings.Contains(de.Msg, tc.want) || de.File != "apps/parse/main.jsonnet" || de.Line != 2 {
				t.Errorf("Render() error = %v, want one at apps/parse/main.jsonnet:2 with %q and without the value", err, tc.want)
			}
		})
	}
}

// TestRuntimeErrorsShowNoOperand: go-jsonnet quotes values of the
// program in a few runtime errors: std.assertEqual prints both values, and
// an object indexed with a value, a computed field name given twice and
// std.extVar of a value print the name. A Secret's password in a jsonnet
// object is no secret var; kiln shows such a name only when the code at
// the error writes it.
func TestRuntimeErrorsShowNoOperand(t *testing.T) {
	t.Parallel()
	const (
		lib    = "local creds = {pw: 'Sup3rS3cretPart'};\n"
		hidden = "(a name the program computed; kiln does not show it: it may hold a secret)"
	)
	for _, tc := range []struct{ name, expr, want string }{
		{"assertEqual", "std.assertEqual(creds.pw, 'x')", "Assertion failed: the two values std.assertEqual was given differ"},
		{"index with a value", "{a: 1}[creds.pw]", "Field does not exist: " + hidden},
		{"super with a value", "({a: 1} + {b: super[creds.pw]}).b", "Field does not exist: " + hidden},
		{"computed field twice", "{[creds.pw]: 1, [creds.pw]: 2}.a", "Duplicate field name: " + hidden},
		{"extVar of a value", "std.extVar(creds.pw)", "Undefined external variable: " + hidden},
		// Names the code writes say what to fix, and stay.
		{"field written", "{a: 1}.nothere", "Field does not exist: nothere"},
		{"super written", "({a: 1} + {b: super.nothere}).b", "Field does not exist: nothere"},
		{"field written on the next line", "{a: {}}.a\n    .nothere", "Field does not exist: nothere"},
		{"extVar written", "std.extVar('nothere')", "Undefined external variable: nothere"},
		{"user's own assertion", "error 'Assertion failed. ' + 'mine'", "Assertion failed. mine"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := copyRepo(t)
			if err := os.MkdirAll(filepath.Join(root, "apps", "op"), 0o755); err != nil {
				t.Fatal(err)
			}
			write(t, root, "apps/op/main.jsonnet", lib+"{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 's'},\n  data: {n: '' + "+tc.expr+"}}\n")
			_, err := New(Options{}).Render(context.Background(), renderCase{path: "apps/op/main.jsonnet"}.request(root))
			var de *diag.Error
			if !errors.As(err, &de) {
				t.Fatalf("Render() = %v, want a *diag.Error", err)
			}
			if strings.Contains(de.Msg+de.Hint, "S3cret") || !strings.Contains(de.Msg, tc.want) || de.File != "apps/op/main.jsonnet" || de.Line != 3 {
				t.Errorf("Render() error = %v, want one at apps/op/main.jsonnet:3 with %q and without the value", err, tc.want)
			}
		})
	}
}

// TestErrorsMaskOnlySecretVars: a plain var is written in the env file,
// in the clear, so an error shows it where it occurs (here a var whose
// value is the app's folder, in the paths an import was looked for); a
// secret var's value is masked.
func TestErrorsMaskOnlySecretVars(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ path, want, not string }{
		{path: "apps/errors/notfound.jsonnet", want: "looked for apps/errors/nope.libsonnet, lib/nope.libsonnet"},
		{path: "apps/errors/secret.jsonnet", want: "cannot connect with password <redacted:DB_PASSWORD>", not: secret},
	} {
		t.Run(tc.path, func(t *testing.T) {
			t.Parallel()
			root := copyRepo(t)
			req := renderCase{path: tc.path}.request(root)
			req.Vars = map[string]string{"APP_DIR": "errors", "LIB": "nope.libsonnet", "DB_PASSWORD": secret}
			req.SecretVars = map[string]bool{"DB_PASSWORD": true}
			_, err := New(Options{}).Render(context.Background(), req)
			if err == nil || !strings.Contains(err.Error(), tc.want) || (tc.not != "" && strings.Contains(err.Error(), tc.not)) {
				t.Errorf("Render() error = %v, want one with %q", err, tc.want)
			}
		})
	}
}

// TestCutErrorShowsNoPieceOfASecretVar: an error longer than
// diag.MaxMessage is cut between words, which keeps an encoded value
// whole but not one with blanks or quotes: a secret var's JSON spelling
// in std.manifestJson's output, cut at a quote, left its first words in
// the message, where no redactor finds a whole form. Every form is masked
// before the cut.
func TestCutErrorShowsNoPieceOfASecretVar(t *testing.T) {
	t.Parallel()
	const value = `correct horse "battery" staple`
	root := copyRepo(t)
	for pad := diag.MaxMessage - 80; pad < diag.MaxMessage; pad += 3 {
		write(t, root, "apps/cut.jsonnet", fmt.Sprintf("error std.manifestJsonMinified({pad: std.repeat('x', %d), pw: std.extVar('vars').DB_PASSWORD})\n", pad))
		req := renderCase{path: "apps/cut.jsonnet"}.request(root)
		req.Vars = map[string]string{"DB_PASSWORD": value}
		req.SecretVars = map[string]bool{"DB_PASSWORD": true}
		_, err := New(Options{}).Render(context.Background(), req)
		if err == nil {
			t.Fatal("Render() = nil, want the error")
		}
		if msg := err.Error(); strings.Contains(msg, "horse") {
			t.Fatalf("padding %d: the error shows a piece of the value:\n…%s", pad, msg[len(msg)-200:])
		}
	}
}

// TestTraceWritesNothing: std.trace writes its message to go-jsonnet's
// trace writer, the process's standard error unless the engine says
// otherwise, where no redactor of kiln's sees it; a render in process
// (render.Options.InProcess) printed std.trace(vars.DB_PASSWORD, …) to the
// terminal. The render runs in a child process whose standard error the
// test reads.
func TestTraceWritesNothing(t *testing.T) {
	if root := os.Getenv("KILN_TEST_TRACE_ROOT"); root != "" {
		req := renderCase{path: "apps/trace.jsonnet"}.request(root)
		req.Vars = map[string]string{"DB_PASSWORD": secret}
		req.SecretVars = map[string]bool{"DB_PASSWORD": true}
		if _, err := New(Options{}).Render(context.Background(), req); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Parallel()
	root := copyRepo(t)
	write(t, root, "apps/trace.jsonnet", "std.trace('pw=' + std.extVar('vars').DB_PASSWORD, "+
		"[{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'traced'}, data: {a: 'b'}}])\n")
	cmd := exec.Command(os.Args[0], "-test.run=^TestTraceWritesNothing$", "-test.v")
	cmd.Env = append(os.Environ(), "KILN_TEST_TRACE_ROOT="+root)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the render failed: %v\n%s", err, out)
	}
	if strings.Contains(string(out), secret) || strings.Contains(string(out), "TRACE") {
		t.Errorf("std.trace reached the process's output:\n%s", out)
	}
}
