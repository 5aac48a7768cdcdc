package helm

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/kiln-gitops/kiln/templates/internal/enginetest"
	"github.com/kiln-gitops/kiln/templates/internal/warnlist"

	gold "github.com/kiln-gitops/kiln/internal/golden"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/rootfs"
	"github.com/kiln-gitops/kiln/templates"
)

var update = flag.Bool("update", false, "rewrite golden files")

// testRoot is the absolute, symlink-free path of testdata/repo.
func testRoot(t *testing.T) string {
	t.Helper()
	return enginetest.Root(t, filepath.Join("testdata", "repo"))
}

// tempRoot returns an empty, symlink-free repository root.
func tempRoot(t *testing.T) string {
	t.Helper()
	d := enginetest.TempDir(t)
	root := filepath.Join(d, "repo")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	return root
}

// format prints a result the way a reviewer reads it: every object with
// the file (and line) it came from, then the inputs and effective values.
func format(t *testing.T, res *templates.Result) string {
	t.Helper()
	var b strings.Builder
	for _, o := range res.Objects {
		loc := o.File
		if o.Line > 0 {
			loc = fmt.Sprintf("%s:%d", o.File, o.Line)
		}
		fmt.Fprintf(&b, "--- # %s\n%s", loc, o.Node.MustString())
	}
	fmt.Fprintf(&b, "--- # inputs\n%s", mustYAML(t, res.Inputs))
	fmt.Fprintf(&b, "--- # params\n%s", mustYAML(t, res.Params))
	return b.String()
}

func mustYAML(t *testing.T, v any) string {
	t.Helper()
	n, err := kyaml.FromMap(map[string]any{"v": v})
	if err != nil {
		t.Fatal(err)
	}
	s, err := n.Pipe(kyaml.Lookup("v"))
	if err != nil {
		t.Fatal(err)
	}
	return s.MustString()
}

// golden compares got with testdata/golden/<name>, rewriting it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	gold.File(t, filepath.Join("testdata", "golden", name), []byte(got), *update)
}

// errText prints err with machine-specific paths replaced.
func errText(err error, root string) string {
	s := err.Error()
	s = strings.ReplaceAll(s, root, "$ROOT")
	s = strings.ReplaceAll(s, filepath.Dir(root), "$PARENT")
	return s + "\n"
}

func TestRender(t *testing.T) {
	t.Parallel()
	root := testRoot(t)
	e := New(Options{})
	tests := []struct {
		name    string
		req     templates.Request
		wantErr bool
	}{
		{name: "app", req: templates.Request{Path: "charts/app", KubeVersion: "1.31.0"}},
		{name: "app-kube-1.29", req: templates.Request{Path: "charts/app/", KubeVersion: "1.29.4"}},
		{name: "app-values", req: templates.Request{
			Path:        "charts/app",
			KubeVersion: "1.31.0",
			ValuesFiles: []string{"values/base.yaml", "values/prod.yaml"},
			Values:      map[string]any{"replicas": 5, "env": map[string]any{"EXTRA": "from env values"}, "service": map[string]any{"annotations": nil}},
		}},
		// Subcharts by condition, tag and alias, a library chart, hooks and
		// test hooks, NOTES, CRDs of a subchart, capabilities and lookup:
		// what helm's install action does client-only (clientOnlyInstall).
		{name: "features", req: templates.Request{Path: "charts/features", KubeVersion: "1.31.0"}},
		// skipCRDs: the chart's and the subcharts' crds/ files are left
		// out, the rest is features.yaml's.
		{name: "features-skip-crds", req: templates.Request{Path: "charts/features", KubeVersion: "1.31.0", SkipCRDs: true}},
		{name: "fail", req: templates.Request{Path: "charts/failing"}, wantErr: true},
		{name: "syntax", req: templates.Request{Path: "charts/syntax"}, wantErr: true},
		{name: "nilptr", req: templates.Request{Path: "charts/nilptr"}, wantErr: true},
		{name: "missingdep", req: templates.Request{Path: "charts/missingdep"}, wantErr: true},
		{name: "chart-missing", req: templates.Request{Path: "charts/nope"}, wantErr: true},
		{name: "chart-outside", req: templates.Request{Path: "../outside"}, wantErr: true},
		{name: "values-outside", req: templates.Request{Path: "charts/app", ValuesFiles: []string{"../x.yaml"}}, wantErr: true},
		// helm-secrets' secrets.yaml: kiln decrypts no values file.
		{name: "values-sops", req: templates.Request{Path: "charts/app", ValuesFiles: []string{"values/base.yaml", "values/secrets.yaml"}}, wantErr: true},
		// helmfile's values templates: kiln renders none.
		{name: "values-gotmpl", req: templates.Request{Path: "charts/app", ValuesFiles: []string{"values/prod.yaml.gotmpl"}}, wantErr: true},
		{name: "values-problems", req: templates.Request{Path: "charts/app", ValuesFiles: []string{"values/missing.yaml", "values/broken.yaml"}}, wantErr: true},
		{name: "kube-too-old", req: templates.Request{Path: "charts/app", KubeVersion: "1.24.0"}, wantErr: true},
		{name: "kube-invalid", req: templates.Request{Path: "charts/app", KubeVersion: "banana"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := tt.req
			req.Root, req.App, req.Namespace, req.Env = root, "web", "shop", "dev"
			res, err := e.Render(context.Background(), &req)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("Render() succeeded, want an error")
				}
				var de *diag.Error
				if !errors.As(err, &de) {
					t.Errorf("Render() error %T is not a *diag.Error", err)
				} else if de.App != "web" {
					t.Errorf("error names app %q, want web", de.App)
				}
				golden(t, tt.name+".err", errText(err, root))
				return
			}
			if err != nil {
				t.Fatalf("Render(): %v", err)
			}
			golden(t, tt.name+".yaml", format(t, res))
		})
	}
}

// TestHooks checks helm template's hook rules: non-test hooks are printed
// after the manifest, test hooks (--skip-tests) and NOTES.txt are not.
func TestHooks(t *testing.T) {
	t.Parallel()
	res, err := New(Options{}).Render(context.Background(), &templates.Request{Root: testRoot(t), App: "web", Namespace: "shop", Path: "charts/app", KubeVersion: "1.31.0"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range res.Objects {
		got = append(got, o.Node.GetKind()+"/"+o.Node.GetName()+" "+o.File)
	}
	want := []string{
		"CustomResourceDefinition/crontabs.stable.example.com charts/app/crds/crontab.yaml",
		"ConfigMap/web-sub charts/app/charts/sub/templates/configmap.yaml",
		"ConfigMap/web-app-lookup charts/app/templates/lookup.yaml",
		"Service/web-app charts/app/templates/service.yaml",
		"Deployment/web-app charts/app/templates/deployment.yaml",
		"Job/web-app-migrate charts/app/templates/hooks/pre-install.yaml",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}
}

// TestValuesPrecedence: chart defaults < values files in order < env values,
// merged key by key; null removes a default.
func TestValuesPrecedence(t *testing.T) {
	t.Parallel()
	res, err := New(Options{}).Render(context.Background(), &templates.Request{
		Root: testRoot(t), App: "web", Namespace: "shop", Path: "charts/app", KubeVersion: "1.31.0",
		ValuesFiles: []string{"values/base.yaml", "values/prod.yaml"},
		Values:      map[string]any{"replicas": 5, "env": map[string]any{"EXTRA": "x"}, "image": map[string]any{"repository": nil}},
	})
	if err != nil {
		t.Fatal(err)
	}
	type view struct {
		Replicas   any
		Image      any
		Env        any
		SubGreet   any
		GlobalTeam any
	}
	p := res.Params
	got := view{
		Replicas:   p["replicas"],
		Image:      p["image"],
		Env:        p["env"],
		SubGreet:   p["sub"].(map[string]any)["greeting"],
		GlobalTeam: p["global"].(map[string]any)["team"],
	}
	want := view{
		Replicas:   float64(5), // values pass through JSON, as helm's own values files do
		Image:      map[string]any{"tag": "2.5.0"},
		Env:        map[string]any{"LOG_LEVEL": "debug", "MODE": "prod", "EXTRA": "x"},
		SubGreet:   "hello from prod.yaml",
		GlobalTeam: "platform",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("effective values (-want +got):\n%s", diff)
	}
	for _, o := range res.Objects {
		if o.Node.GetKind() == "ConfigMap" && o.Node.GetName() == "web-sub" {
			g, _ := o.Node.GetString("data.greeting")
			if g != "hello from prod.yaml" {
				t.Errorf("subchart greeting = %q, want the parent's values to reach it", g)
			}
		}
	}
}

func TestDigest(t *testing.T) {
	t.Parallel()
	root := testRoot(t)
	e := New(Options{})
	base := templates.Request{Root: root, App: "web", Namespace: "shop", Path: "charts/app", KubeVersion: "1.31.0", ValuesFiles: []string{"values/base.yaml"}, Values: map[string]any{"a": 1, "b": map[string]any{"c": true}}}
	render := func(mod func(r *templates.Request)) *templates.Result {
		t.Helper()
		r := base
		if mod != nil {
			mod(&r)
		}
		res, err := e.Render(context.Background(), &r)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	ref := render(nil)
	if diff := cmp.Diff([]string{"charts/app", "values/base.yaml"}, ref.Inputs); diff != "" {
		t.Errorf("Inputs (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(ref.InputDigest, "sha256:") || len(ref.InputDigest) != len("sha256:")+64 {
		t.Errorf("InputDigest = %q, want sha256:<64 hex>", ref.InputDigest)
	}
	same := render(func(r *templates.Request) { r.Values = map[string]any{"b": map[string]any{"c": true}, "a": 1} })
	if same.InputDigest != ref.InputDigest {
		t.Errorf("equal inputs gave different digests")
	}
	changes := map[string]func(r *templates.Request){
		"app":         func(r *templates.Request) { r.App = "api" },
		"namespace":   func(r *templates.Request) { r.Namespace = "other" },
		"kubeVersion": func(r *templates.Request) { r.KubeVersion = "1.30.0" },
		"values":      func(r *templates.Request) { r.Values = map[string]any{"a": 2} },
		"valuesFiles": func(r *templates.Request) { r.ValuesFiles = []string{"values/prod.yaml"} },
		"apiVersions": func(r *templates.Request) { r.APIVersions = []string{"example.com/v1", "example.com/v1/Widget"} },
		"skipCRDs":    func(r *templates.Request) { r.SkipCRDs = true },
	}
	for name, mod := range changes {
		if render(mod).InputDigest == ref.InputDigest {
			t.Errorf("changing %s did not change the digest", name)
		}
	}
}

// TestContainment: a chart may not reach outside the repository, neither by
// its path nor through a symlink inside it.
func TestContainment(t *testing.T) {
	t.Parallel()
	root := tempRoot(t)
	outside := filepath.Dir(root)
	writeFile(t, filepath.Join(outside, "secret.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stolen\n")
	if err := os.MkdirAll(filepath.Join(outside, "elsewhere"), 0o755); err != nil {
		t.Fatal(err)
	}
	chart := func(dir string) {
		writeFile(t, filepath.Join(root, dir, "Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\n")
		writeFile(t, filepath.Join(root, dir, "templates", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n")
	}
	chart("fileLink")
	symlink(t, filepath.Join(outside, "secret.yaml"), filepath.Join(root, "fileLink", "templates", "stolen.yaml"))
	chart("dirLink")
	symlink(t, filepath.Join(outside, "elsewhere"), filepath.Join(root, "dirLink", "templates", "more"))
	symlink(t, outside, filepath.Join(root, "chartLink"))
	chart("inside")
	symlink(t, filepath.Join(root, "inside", "templates", "cm.yaml"), filepath.Join(root, "inside", "templates", "again.yaml"))
	symlink(t, filepath.Join(outside, "secret.yaml"), filepath.Join(root, "values.yaml"))

	tests := []struct {
		name    string
		path    string
		values  []string
		wantErr string
	}{
		{name: "file symlink", path: "fileLink", wantErr: `fileLink/templates/stolen.yaml: app web: chart file "fileLink/templates/stolen.yaml" leads outside the repository (to ../secret.yaml)`},
		{name: "folder symlink", path: "dirLink", wantErr: `dirLink/templates/more: app web: chart file "dirLink/templates/more" leads outside the repository (to ../elsewhere)`},
		{name: "chart symlink", path: "chartLink", wantErr: `chartLink: app web: chart "chartLink" leads outside the repository (to ..)`},
		{name: "values symlink", path: "inside", values: []string{"values.yaml"}, wantErr: `values.yaml: app web: values file "values.yaml" leads outside the repository (to ../secret.yaml)`},
		{name: "values dotdot", path: "inside", values: []string{"../secret.yaml"}, wantErr: `../secret.yaml: app web: values file "../secret.yaml" leads outside the repository`},
		{name: "symlink inside is fine", path: "inside"},
	}
	e := New(Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := e.Render(context.Background(), &templates.Request{Root: root, App: "web", Namespace: "ns", Path: tt.path, ValuesFiles: tt.values})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Render(): %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Render() succeeded, want a containment error")
			}
			if !errors.Is(err, rootfs.ErrOutside) {
				t.Errorf("error does not wrap rootfs.ErrOutside: %v", err)
			}
			got := strings.SplitN(errText(err, root), "\n", 2)[0]
			if diff := cmp.Diff(tt.wantErr, got); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLocalArchive renders a packaged chart inside the repository: the same
// objects as its folder, with files named by the archive and its entry
// (charts/app-1.0.0.tgz: app/templates/x.yaml), which `tar tzf` lists.
func TestLocalArchive(t *testing.T) {
	t.Parallel()
	root := tempRoot(t)
	ch, err := loader.Load(filepath.Join("testdata", "repo", "charts", "app"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(root, "charts"), 0o755); err != nil {
		t.Fatal(err)
	}
	tgz, err := chartutil.Save(ch, filepath.Join(root, "charts"))
	if err != nil {
		t.Fatal(err)
	}
	e := New(Options{})
	fromDir, err := e.Render(context.Background(), &templates.Request{Root: testRoot(t), App: "web", Namespace: "shop", Path: "charts/app", KubeVersion: "1.31.0"})
	if err != nil {
		t.Fatal(err)
	}
	fromTgz, err := e.Render(context.Background(), &templates.Request{Root: root, App: "web", Namespace: "shop", Path: "charts/" + filepath.Base(tgz), KubeVersion: "1.31.0"})
	if err != nil {
		t.Fatal(err)
	}
	summary := func(res *templates.Result, prefix string) []string {
		var out []string
		for _, o := range res.Objects {
			out = append(out, strings.TrimPrefix(o.File, prefix)+"\n"+o.Node.MustString())
		}
		return out
	}
	if diff := cmp.Diff(summary(fromDir, "charts/app/"), summary(fromTgz, "charts/app-1.0.0.tgz: app/")); diff != "" {
		t.Errorf("archive renders differently from folder (-dir +tgz):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"charts/app-1.0.0.tgz"}, fromTgz.Inputs); diff != "" {
		t.Errorf("Inputs (-want +got):\n%s", diff)
	}
}

// TestConcurrent renders one chart from many goroutines (run with -race):
// the shared chart files must not be mutated, and each render must see only
// its own values.
func TestConcurrent(t *testing.T) {
	t.Parallel()
	root := testRoot(t)
	e := New(Options{})
	req := func(i int) *templates.Request {
		return &templates.Request{Root: root, App: fmt.Sprintf("app%d", i%4), Namespace: "shop", Path: "charts/app", KubeVersion: "1.31.0",
			ValuesFiles: []string{"values/base.yaml"}, Values: map[string]any{"replicas": i % 4}}
	}
	want := map[int]string{}
	for i := 0; i < 4; i++ {
		res, err := New(Options{}).Render(context.Background(), req(i))
		if err != nil {
			t.Fatal(err)
		}
		want[i] = format(t, res)
	}
	const n = 32
	results := make([]*templates.Result, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = e.Render(context.Background(), req(i))
		}()
	}
	wg.Wait()
	for i := 0; i < n; i++ {
		if errs[i] != nil {
			t.Errorf("render %d: %v", i, errs[i])
			continue
		}
		if diff := cmp.Diff(want[i%4], format(t, results[i])); diff != "" {
			t.Errorf("render %d differs from a lone render (-want +got):\n%s", i, diff)
		}
	}
}

func TestCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := New(Options{}).Render(ctx, &templates.Request{Root: testRoot(t), App: "web", Namespace: "shop", Path: "charts/app"})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Render() = %v, want context.Canceled", err)
	}
}

func writeFile(t *testing.T, p, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// TestSchemaErrorsShowNoValue: a values file's value is often what a
// template puts into a Secret, and helm's schema error quotes it when it
// misses a pattern ("'hunter2' does not match pattern") or a bound
// ("maximum: got 9.87654321×10⁰⁸"). kiln's error names the value's path
// and the schema's pattern or bound, never the value.
func TestSchemaErrorsShowNoValue(t *testing.T) {
	t.Parallel()
	root := tempRoot(t)
	writeFile(t, filepath.Join(root, "c", "Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\n")
	writeFile(t, filepath.Join(root, "c", "values.yaml"), "password: s3cret-Passw0rd\ntoken: 'it''s-s3cret'\npin: 987654321\n")
	writeFile(t, filepath.Join(root, "c", "values.schema.json"),
		`{"type": "object", "properties": {"password": {"type": "string", "pattern": "^[a-z]+$"}, "token": {"type": "string", "pattern": "^[a-z]+$"}, "pin": {"maximum": 3}}}`)
	writeFile(t, filepath.Join(root, "c", "templates", "s.yaml"), "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {password: {{ .Values.password | quote }}}\n")
	_, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, Path: "c", App: "web", Namespace: "shop"})
	if err == nil {
		t.Fatal("Render() succeeded, want the schema's error")
	}
	msg := err.Error()
	for _, want := range []string{"at '/password': the value does not match pattern '^[a-z]+$'", "at '/token': the value does not match pattern '^[a-z]+$'", "at '/pin': maximum: the value is above 3"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "s3cret") || strings.Contains(msg, "87654321") {
		t.Errorf("error shows a value:\n%s", msg)
	}
}

// TestEngineErrorsShowNoValue makes Helm fail on a value from a values file
// in each way whose error text quotes the value or part of it: tpl given
// a value that does not parse or execute (Helm quotes the whole string),
// a function refusing its argument, and rendered YAML the decoder cannot
// read. The error must say where, and show no part of the value.
func TestEngineErrorsShowNoValue(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, value, template, file, msg string
		line                             int
	}{
		{name: "tpl parse", value: "Sup3r{{S3cretTail", template: "pw: {{ tpl .Values.pw . | quote }}",
			file: "c/templates/s.yaml", line: 5, msg: "tpl: the string it was given does not parse as a template"},
		{name: "tpl parse in include", value: "Sup3r{{S3cretTail", template: `pw: {{ include "c.pw" . }}`,
			file: "c/templates/_h.tpl", line: 1, msg: "tpl: the string it was given does not parse as a template"},
		{name: "tpl execution", value: "Sup3r{{ .S3cretTail.x.y }}", template: "pw: {{ tpl .Values.pw . | quote }}",
			file: "c/templates/s.yaml", line: 5, msg: "tpl: the string it was given failed as a template"},
		{name: "function argument", value: "Sup3rS3cret(", template: `pw: {{ mustRegexMatch .Values.pw "x" }}`,
			file: "c/templates/s.yaml", line: 5, msg: "error calling mustRegexMatch"},
		{name: "date", value: "Sup3rS3cret", template: `pw: {{ mustToDate "2006-01-02" .Values.pw }}`,
			file: "c/templates/s.yaml", line: 5, msg: "error calling mustToDate"},
		{name: "rendered yaml", value: "Sup3rS3cret", template: "? [{{ .Values.pw }}]\n  : x",
			file: "c/templates/s.yaml", msg: "template rendered invalid YAML"},
		{name: "rendered alias", value: "Sup3rS3cret", template: "pw: *{{ .Values.pw }}",
			file: "c/templates/s.yaml", msg: "unknown anchor '**redacted**' referenced"},
		{name: "rendered null key", value: "Sup3rS3cret", template: "~: {{ .Values.pw }}",
			file: "c/templates/s.yaml", msg: "unsupported map key of type: %!s(<nil>), key: **redacted**"},
		{name: "include a name from the values", value: "Sup3rS3cret", template: `pw: {{ include (printf "c.%s" .Values.pw) . }}`,
			file: "c/templates/s.yaml", line: 5, msg: `no template "**redacted**" associated with template "gotpl"`},
		{name: "include a value", value: "Sup3rS3cret", template: `pw: {{ include .Values.pw . }}`,
			file: "c/templates/s.yaml", line: 5, msg: `no template "**redacted**" associated with template "gotpl"`},
		{name: "constraint from the values", value: "Sup3rS3cret", template: `pw: {{ semverCompare .Values.pw "1.0.0" }}`,
			file: "c/templates/s.yaml", line: 5, msg: `improper constraint: "**redacted**"`},
		// encoding/json quotes one character of the value, its first here.
		{name: "json from the values", value: "Sup3rS3cret", template: `pw: {{ mustFromJson .Values.pw }}`,
			file: "c/templates/s.yaml", line: 5, msg: "error calling mustFromJson: invalid character **redacted** looking for beginning of value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := tempRoot(t)
			writeFile(t, filepath.Join(root, "c", "Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\n")
			writeFile(t, filepath.Join(root, "c", "values.yaml"), "pw: "+strconv.Quote(tc.value)+"\n")
			writeFile(t, filepath.Join(root, "c", "templates", "_h.tpl"), `{{ define "c.pw" }}{{ tpl .Values.pw . }}{{ end }}`)
			writeFile(t, filepath.Join(root, "c", "templates", "s.yaml"), "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  "+tc.template+"\n")
			_, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, Path: "c", App: "web", Namespace: "shop"})
			var de *diag.Error
			if !errors.As(err, &de) {
				t.Fatalf("Render() = %v, want a *diag.Error", err)
			}
			msg := err.Error()
			for _, part := range []string{"Sup3r", "S3cret"} {
				if strings.Contains(msg, part) {
					t.Errorf("error shows %q of the value:\n%s", part, msg)
				}
			}
			if de.File != tc.file || de.Line != tc.line || !strings.Contains(de.Msg, tc.msg) {
				t.Errorf("error at %s:%d %q, want %s:%d and %q", de.File, de.Line, de.Msg, tc.file, tc.line, tc.msg)
			}
		})
	}
}

// TestSubchartValuesNotAMapping: helm's error for a subchart's values
// that are no mapping quotes them; kiln's names the subchart only.
func TestSubchartValuesNotAMapping(t *testing.T) {
	t.Parallel()
	_, err := New(Options{}).Render(context.Background(), &templates.Request{
		Root: testRoot(t), App: "web", Namespace: "shop", Path: "charts/app", KubeVersion: "1.31.0",
		Values: map[string]any{"sub": "Sup3rS3cret"},
	})
	var de *diag.Error
	if !errors.As(err, &de) || strings.Contains(err.Error(), "Sup3rS3cret") ||
		de.Msg != "values: sub holds the values of subchart sub, and is not a mapping (helm: type mismatch on sub)" || de.File != "charts/app" {
		t.Errorf("Render() = %v, want the subchart named at charts/app and no value", err)
	}
}

// TestEngineErrorsShowCode: what a template function's error quotes from
// the chart's own code (the name of a template include does not find, a
// string literal of the action that failed) says what to fix, and is
// shown; TestEngineErrorsShowNoValue masks the same messages when the
// operand comes from the values.
func TestEngineErrorsShowCode(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, template, msg string }{
		{name: "include", template: `{{ include "c.labels" . }}`,
			msg: `template error: executing "c/templates/s.yaml" at <include "c.labels" .>: error calling include: template: no template "c.labels" associated with template "gotpl"`},
		{name: "include piped", template: `{{ . | include "c.labels" | nindent 4 }}`,
			msg: `error calling include: template: no template "c.labels" associated with template "gotpl"`},
		{name: "include in include", template: `{{ include "c.outer" . }}`,
			msg: `template error: executing "c.outer" at <include "c.inner" .>: error calling include: template: no template "c.inner" associated with template "gotpl"`},
		{name: "template action", template: `{{ template "c.nope" . }}`,
			msg: `template error: executing "c/templates/s.yaml" at <{{template "c.nope" .}}>: template "c.nope" not defined`},
		{name: "regexp literal", template: `{{ mustRegexMatch "(" .Values.pw }}`,
			msg: "error calling mustRegexMatch: error parsing regexp: missing closing ): `(`"},
		{name: "constraint literal", template: `{{ semverCompare ">= 1.x.y.z" .Capabilities.KubeVersion.Version }}`,
			msg: `error calling semverCompare: improper constraint: ">= 1.x.y.z"`},
		{name: "date layout literal", template: `{{ mustToDate "2006-01-02" .Values.pw }}`,
			msg: `error calling mustToDate: parsing time "**redacted**" as "2006-01-02"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := tempRoot(t)
			writeFile(t, filepath.Join(root, "c", "Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\n")
			writeFile(t, filepath.Join(root, "c", "values.yaml"), "pw: Sup3rS3cret\n")
			writeFile(t, filepath.Join(root, "c", "templates", "_h.tpl"), `{{ define "c.outer" }}{{ include "c.inner" . }}{{ end }}`)
			writeFile(t, filepath.Join(root, "c", "templates", "s.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: s}\ndata:\n  x: "+tc.template+"\n")
			_, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, Path: "c", App: "web", Namespace: "shop"})
			if err == nil {
				t.Fatal("Render() succeeded")
			}
			if msg := err.Error(); !strings.Contains(msg, tc.msg) || strings.Contains(msg, "S3cret") {
				t.Errorf("Render() error:\n%s\nwant one with %q, and no value", msg, tc.msg)
			}
			if (strings.Contains(tc.msg, "no template \"c.") || strings.Contains(tc.msg, "not defined")) && !strings.Contains(err.Error(), "define it with {{ define") {
				t.Errorf("Render() error:\n%s\nwant a hint to define the template", err)
			}
		})
	}
}

// TestValuesFileErrorsShowNoValue: a values file, the app's or the chart's
// own, whose value YAML cannot decode under its tag or whose key is a
// list; the YAML decoders quote both.
func TestValuesFileErrorsShowNoValue(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, chartValues, appValues string }{
		{name: "app tag", chartValues: "pw: x\n", appValues: "pw: !!int Sup3rS3cret\n"},
		{name: "app key", chartValues: "pw: x\n", appValues: "? [Sup3rS3cret]\n: x\n"},
		{name: "chart tag", chartValues: "pw: !!float Sup3rS3cret\n", appValues: "pw: x\n"},
		{name: "chart key", chartValues: "? [Sup3rS3cret]\n: x\n", appValues: "pw: x\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := tempRoot(t)
			writeFile(t, filepath.Join(root, "c", "Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\n")
			writeFile(t, filepath.Join(root, "c", "values.yaml"), tc.chartValues)
			writeFile(t, filepath.Join(root, "values.yaml"), tc.appValues)
			writeFile(t, filepath.Join(root, "c", "templates", "s.yaml"), "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {pw: {{ .Values.pw | quote }}}\n")
			_, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, Path: "c", App: "web", Namespace: "shop", ValuesFiles: []string{"values.yaml"}})
			if err == nil || strings.Contains(err.Error(), "S3cret") {
				t.Errorf("Render() error = %v, want one without the value", err)
			}
		})
	}
}

// TestLoadErrorsNameTheFile: a chart's or a subchart's values.yaml or
// Chart.yaml that helm's loader cannot read is named with its line (also
// where helm's error gives none), not as the chart folder; a value it
// quotes stays masked.
func TestLoadErrorsNameTheFile(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, file, content, wantFile, wantMsg string
		wantLine                               int
	}{
		{name: "chart values", file: "c/values.yaml", content: "a: 1\nb: [\n",
			wantFile: "c/values.yaml", wantLine: 2, wantMsg: "cannot load values.yaml: error converting YAML to JSON: yaml: line 2: did not find expected node content"},
		{name: "subchart values", file: "c/charts/s/values.yaml", content: "a: [\n",
			wantFile: "c/charts/s/values.yaml", wantLine: 1, wantMsg: "subchart s: cannot load values.yaml"},
		{name: "nested subchart values", file: "c/charts/s/charts/t/values.yaml", content: "pw: !!int Sup3rS3cret\n",
			wantFile: "c/charts/s/charts/t/values.yaml", wantLine: 1, wantMsg: "subchart s, its subchart t: cannot load values.yaml: error converting YAML to JSON: yaml: cannot decode !!str `**redacted**` as a !!int"},
		// YAML that parses but has no JSON form: helm's error names no
		// line, kiln finds it.
		{name: "NaN value", file: "c/values.yaml", content: "a: 1\nb: 2\nc: .nan\n",
			wantFile: "c/values.yaml", wantLine: 3, wantMsg: "cannot load values.yaml: error converting YAML to JSON: json: unsupported value: NaN"},
		{name: "list as a key", file: "c/charts/s/values.yaml", content: "a: 1\nb: {x: -.inf}\n? [x]\n: 2\n",
			wantFile: "c/charts/s/values.yaml", wantLine: 3, wantMsg: "subchart s: cannot load values.yaml: error converting YAML to JSON: yaml: invalid map key"},
		{name: "NaN after a NaN key", file: "c/values.yaml", content: ".inf: 1\nb: .nan\n",
			wantFile: "c/values.yaml", wantLine: 2, wantMsg: "cannot load values.yaml"},
		{name: "map as a key", file: "c/values.yaml", content: "a: &x 1\nb: *x\n? {k: v}\n: 2\n",
			wantFile: "c/values.yaml", wantLine: 3, wantMsg: "cannot load values.yaml"},
		{name: "subchart Chart.yaml", file: "c/charts/s/Chart.yaml", content: "apiVersion: v2\nname: s\nversion: [0.1.0\n",
			wantFile: "c/charts/s/Chart.yaml", wantLine: 3, wantMsg: "subchart s: cannot load Chart.yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := tempRoot(t)
			writeFile(t, filepath.Join(root, "c", "Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\n")
			writeFile(t, filepath.Join(root, "c", "charts", "s", "Chart.yaml"), "apiVersion: v2\nname: s\nversion: 0.1.0\n")
			writeFile(t, filepath.Join(root, "c", "charts", "s", "charts", "t", "Chart.yaml"), "apiVersion: v2\nname: t\nversion: 0.1.0\n")
			writeFile(t, filepath.Join(root, "c", "templates", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
			writeFile(t, filepath.Join(root, filepath.FromSlash(tc.file)), tc.content)
			_, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, Path: "c", App: "web", Namespace: "shop"})
			var de *diag.Error
			if !errors.As(err, &de) {
				t.Fatalf("Render() = %v, want a *diag.Error", err)
			}
			if de.File != tc.wantFile || de.Line != tc.wantLine || !strings.Contains(de.Msg, tc.wantMsg) || strings.Contains(err.Error(), "S3cret") {
				t.Errorf("error at %s:%d %q, want %s:%d and %q, and no value", de.File, de.Line, de.Msg, tc.wantFile, tc.wantLine, tc.wantMsg)
			}
		})
	}
}

// TestChartYAMLFieldsNamed: a Chart.yaml that parses but that helm's
// loader refuses (chart.Metadata.Validate) used to be named by the
// chart's folder, with "check that it is a valid Helm chart". The error
// names the Chart.yaml (a subchart's too) and the line of the key at
// fault, and the hint says what to write there. The Chart.yaml files are
// those of Helm's own test charts (helm/helm, Apache-2.0):
// cmd/helm/testdata/testcharts/chart-bad-type and lib-chart,
// chart-with-bad-subcharts/charts/bad-subchart, and
// pkg/lint/rules/testdata/anotherbadchartfile and badchartname.
func TestChartYAMLFieldsNamed(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, file, content, wantFile, wantHint string
		wantLine                                int
	}{
		{name: "bad type", file: "c/Chart.yaml",
			content:  "apiVersion: v1\ndescription: Deploy a basic Alpine Linux pod\nhome: https://helm.sh/helm\nname: chart-bad-type\nsources:\n  - https://github.com/helm/helm\nversion: 0.1.0\ntype: foobar\n",
			wantFile: "c/Chart.yaml", wantLine: 8, wantHint: "set type in Chart.yaml to application or library"},
		{name: "type in capitals", file: "c/Chart.yaml",
			content:  "apiVersion: v1\ndescription: Common chartbuilding components and helpers\nname: lib-chart\nversion: 0.0.5\nappVersion: 0.0.5\nhome: https://helm.sh\ntype: Library\n",
			wantFile: "c/Chart.yaml", wantLine: 7, wantHint: "in lower case"},
		{name: "version YAML reads as a number", file: "c/Chart.yaml",
			content:  "name: \"some-chart\"\napiVersion: v2\ndescription: A Helm chart for Kubernetes\nversion: 72445e2\nhome: \"\"\ntype: application\nappVersion: 72225e2\n",
			wantFile: "c/Chart.yaml", wantLine: 4, wantHint: "set version in Chart.yaml to a SemVer 2 version, quoted"},
		{name: "name with a path", file: "c/Chart.yaml",
			content:  "apiVersion: v2\ndescription: A Helm chart for Kubernetes\nversion: 0.1.0\nname: \"../badchartname\"\ntype: application\n",
			wantFile: "c/Chart.yaml", wantLine: 4, wantHint: "set name in Chart.yaml"},
		// The key is missing: the file, without a line.
		{name: "subchart without a name", file: "c/charts/s/Chart.yaml",
			content:  "description: Bad subchart\n",
			wantFile: "c/charts/s/Chart.yaml", wantHint: "set name in Chart.yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := tempRoot(t)
			writeFile(t, filepath.Join(root, "c", "Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\n")
			writeFile(t, filepath.Join(root, "c", "charts", "s", "Chart.yaml"), "apiVersion: v2\nname: s\nversion: 0.1.0\n")
			writeFile(t, filepath.Join(root, "c", "templates", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
			writeFile(t, filepath.Join(root, filepath.FromSlash(tc.file)), tc.content)
			_, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, Path: "c", App: "web", Namespace: "shop"})
			var de *diag.Error
			if !errors.As(err, &de) {
				t.Fatalf("Render() = %v, want a *diag.Error", err)
			}
			if de.File != tc.wantFile || de.Line != tc.wantLine || !strings.Contains(de.Hint, tc.wantHint) || !strings.Contains(de.Msg, "validation: chart.metadata.") {
				t.Errorf("error at %s:%d %q (hint %q), want %s:%d and a hint with %q", de.File, de.Line, de.Msg, de.Hint, tc.wantFile, tc.wantLine, tc.wantHint)
			}
		})
	}
}

// TestKubeVersionConstraintLine: a chart whose Chart.yaml kubeVersion
// excludes the cluster's, or whose type is library, is named at that
// key's line, as the other problems of Chart.yaml are.
func TestKubeVersionConstraintLine(t *testing.T) {
	t.Parallel()
	root := tempRoot(t)
	writeFile(t, filepath.Join(root, "c", "Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\nkubeVersion: \">=1.99.0-0\"\n")
	writeFile(t, filepath.Join(root, "c", "templates", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
	_, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, Path: "c", App: "web", Namespace: "shop", KubeVersion: "1.33.0"})
	var de *diag.Error
	if !errors.As(err, &de) || de.File != "c/Chart.yaml" || de.Line != 4 || !strings.Contains(de.Msg, "chart requires kubeVersion") {
		t.Fatalf("Render() = %v, want an error at c/Chart.yaml:4", err)
	}

	// A library chart is named at its type, as helm lint's rules name it.
	writeFile(t, filepath.Join(root, "c", "Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\ntype: library\n")
	_, err = New(Options{}).Render(context.Background(), &templates.Request{Root: root, Path: "c", App: "web", Namespace: "shop", KubeVersion: "1.33.0"})
	if !errors.As(err, &de) || de.File != "c/Chart.yaml" || de.Line != 4 || !strings.Contains(de.Msg, "library charts are not installable") {
		t.Fatalf("Render() = %v, want an error at c/Chart.yaml:4", err)
	}
}

// TestCRDFileWithActions: helm prints a crds/ file as written, so a CRD
// written as a template fails to parse, and the YAML parser's error had
// no line and no word of why. It is put at the first action's line and
// says that crds/ is not templated; "{{" inside a quoted string is no
// action, and a file with only that keeps the parser's error.
func TestCRDFileWithActions(t *testing.T) {
	t.Parallel()
	const crd = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\n"
	for _, tc := range []struct {
		name, file, wantMsg string
		wantLine            int
	}{
		{name: "wrapped in if", file: "# Widgets\n{{- if .Values.crds.enabled }}\n" + crd + "{{- end }}\n",
			wantLine: 2, wantMsg: "a crds/ file is no template"},
		{name: "value", file: crd + "  labels:\n    app: {{ .Release.Name }}-x\n",
			wantLine: 6, wantMsg: "a crds/ file is no template"},
		{name: "quoted", file: crd + "  annotations:\n    doc: \"{{ .Values.x }}\"\n  labels: [\n",
			wantMsg: "invalid YAML"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := tempRoot(t)
			writeFile(t, filepath.Join(root, "c", "Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\n")
			writeFile(t, filepath.Join(root, "c", "crds", "a.yaml"), tc.file)
			_, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, Path: "c", App: "web", Namespace: "shop"})
			var de *diag.Error
			if !errors.As(err, &de) {
				t.Fatalf("Render() = %v, want a *diag.Error", err)
			}
			if de.File != "c/crds/a.yaml" || (tc.wantLine != 0 && de.Line != tc.wantLine) || !strings.HasPrefix(de.Msg, tc.wantMsg) {
				t.Errorf("error at %s:%d %q, want c/crds/a.yaml:%d and %q", de.File, de.Line, de.Msg, tc.wantLine, tc.wantMsg)
			}
		})
	}
}

// TestArchiveNotFetched: a vendored chart archive that a checkout left as
// a Git LFS pointer (actions/checkout fetches no LFS files unless told),
// or as an empty file, failed with "gzip: invalid header" or "EOF" and
// the hint to check the chart with helm lint. The error says what the
// file is and how to get the archive.
func TestArchiveNotFetched(t *testing.T) {
	t.Parallel()
	const pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n"
	for _, tc := range []struct {
		name, chart, file, content, wantFile, wantMsg, wantHint string
	}{
		{name: "chart archive", chart: "app-1.0.0.tgz", file: "app-1.0.0.tgz", content: pointer,
			wantFile: "app-1.0.0.tgz", wantMsg: "a Git LFS pointer, not the archive", wantHint: "git lfs pull"},
		{name: "subchart archive", chart: "c", file: "c/charts/redis-1.2.3.tgz", content: pointer,
			wantFile: "c/charts/redis-1.2.3.tgz", wantMsg: "subchart redis-1.2.3.tgz: a Git LFS pointer, not the archive", wantHint: "git lfs pull"},
		{name: "empty subchart archive", chart: "c", file: "c/charts/redis-1.2.3.tgz",
			wantFile: "c/charts/redis-1.2.3.tgz", wantMsg: "subchart redis-1.2.3.tgz: an empty file", wantHint: "helm dependency build"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := tempRoot(t)
			writeFile(t, filepath.Join(root, "c", "Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\ndependencies:\n- {name: redis, version: 1.x.x}\n")
			writeFile(t, filepath.Join(root, filepath.FromSlash(tc.file)), tc.content)
			_, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, Path: tc.chart, App: "web", Namespace: "shop"})
			var de *diag.Error
			if !errors.As(err, &de) {
				t.Fatalf("Render() = %v, want a *diag.Error", err)
			}
			if de.File != tc.wantFile || !strings.Contains(de.Msg, tc.wantMsg) || !strings.Contains(de.Hint, tc.wantHint) {
				t.Errorf("error at %s %q (hint %q), want %s, %q and a hint with %q", de.File, de.Msg, de.Hint, tc.wantFile, tc.wantMsg, tc.wantHint)
			}
		})
	}
}

// TestValuesFileSecondDocument: helm reads a values file's first YAML
// document and drops the rest without a word (files joined with ---);
// kiln renders the same and warns at the second document's marker. An
// empty document (a trailing ---) and a comment before the first marker
// are no second document.
func TestValuesFileSecondDocument(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, values, want string
		line               int
	}{
		{name: "two documents", values: "a: first\n---\nb: second\n", want: "first", line: 2},
		{name: "second does not parse", values: "a: first\n\n---\nb: [\n", want: "first", line: 3},
		{name: "trailing marker", values: "---\na: first\n---\n", want: "first"},
		{name: "comment first", values: "# values\n---\na: first\n", want: "first"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := tempRoot(t)
			writeFile(t, filepath.Join(root, "c", "Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\n")
			writeFile(t, filepath.Join(root, "c", "templates", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  a: {{ .Values.a | quote }}\n  b: {{ .Values.b | default \"\" | quote }}\n")
			writeFile(t, filepath.Join(root, "v.yaml"), tc.values)
			res, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, Path: "c", App: "web", Namespace: "shop", ValuesFiles: []string{"v.yaml"}})
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Objects[0].Node.MustString(); !strings.Contains(got, "a: \""+tc.want+"\"") || strings.Contains(got, "second") {
				t.Errorf("rendered %s, want a: %q and no b, as helm renders", got, tc.want)
			}
			var lines []int
			for _, w := range res.Warnings {
				if w.File == "v.yaml" && strings.Contains(w.Msg, "second YAML document") {
					lines = append(lines, w.Line)
				}
			}
			if want := []int{tc.line}; tc.line == 0 && len(lines) != 0 || tc.line != 0 && !slices.Equal(lines, want) {
				t.Errorf("warnings at lines %v of v.yaml, want %d (0: none)", lines, tc.line)
			}
		})
	}
}

// TestChartValuesSecondDocument: helm's loader reads a chart's
// values.yaml, and each subchart's, as a -f file: its first document
// only. kiln warns there too; a file of files/ named values.yaml is no
// defaults and is not looked at.
func TestChartValuesSecondDocument(t *testing.T) {
	t.Parallel()
	root := tempRoot(t)
	const twice = "a: first\n---\na: lost\n"
	writeFile(t, filepath.Join(root, "c", "Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\n")
	writeFile(t, filepath.Join(root, "c", "values.yaml"), twice)
	writeFile(t, filepath.Join(root, "c", "files", "values.yaml"), twice)
	writeFile(t, filepath.Join(root, "c", "charts", "s", "Chart.yaml"), "apiVersion: v2\nname: s\nversion: 0.1.0\n")
	writeFile(t, filepath.Join(root, "c", "charts", "s", "values.yaml"), "# s\n"+twice)
	writeFile(t, filepath.Join(root, "c", "templates", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  a: {{ .Values.a | quote }}\n")
	res, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, Path: "c", App: "web", Namespace: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range res.Warnings {
		if strings.Contains(w.Msg, "second YAML document") {
			got = append(got, fmt.Sprintf("%s:%d", w.File, w.Line))
		}
	}
	sort.Strings(got)
	if want := []string{"c/charts/s/values.yaml:3", "c/values.yaml:2"}; !slices.Equal(got, want) {
		t.Errorf("warnings at %v, want %v", got, want)
	}
}

// TestTemplateNotAnObject: helm renders every file of templates/ but
// NOTES.txt and _-prefixed ones as manifests, and a document that is no
// mapping failed with helm's "cannot unmarshal string into Go value of
// type releaseutil.SimpleHead" and a hint about a line it did not give.
// The error says what the document is and how to fix the chart; so for
// an object whose metadata or annotations have the wrong shape. The first
// template is templates/template.tpl of Helm's own frobnitz test chart
// (helm/helm, pkg/chart/loader/testdata, Apache-2.0).
func TestTemplateNotAnObject(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, file, template, want, hint string
	}{
		{name: "text", file: "template.tpl", template: "Hello {{.Name | default \"world\"}}\n", want: "template rendered a document that is a string, not a Kubernetes object"},
		{name: "list", file: "list.yaml", template: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n- apiVersion: v1\n  kind: ConfigMap\n", want: "is a list, not a Kubernetes object"},
		{name: "number", file: "n.yaml", template: "{{ 42 }}\n", want: "is a number, not"},
		// The head helm reads of each object, of the wrong shape.
		{name: "metadata", file: "m.yaml", template: "apiVersion: v1\nkind: ConfigMap\nmetadata: x\n",
			want: "template rendered an object whose metadata is a string, where Kubernetes wants a mapping", hint: "make the template write metadata as a mapping"},
		{name: "annotations", file: "a.yaml", template: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations: [a, b]\n",
			want: "whose metadata.annotations is a list, where Kubernetes wants a mapping", hint: "make the template write metadata.annotations as a mapping"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := tempRoot(t)
			writeFile(t, filepath.Join(root, "c", "Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\n")
			writeFile(t, filepath.Join(root, "c", "templates", tc.file), tc.template)
			_, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, Path: "c", App: "web", Namespace: "shop"})
			var de *diag.Error
			if !errors.As(err, &de) {
				t.Fatalf("Render() = %v, want a *diag.Error", err)
			}
			hint := tc.hint
			if hint == "" {
				hint = "templates/_helpers.tpl"
			}
			if de.File != "c/templates/"+tc.file || !strings.Contains(de.Msg, tc.want) || !strings.Contains(de.Hint, hint) {
				t.Errorf("error at %s %q (hint %q), want c/templates/%s, %q and a hint with %q", de.File, de.Msg, de.Hint, tc.file, tc.want, hint)
			}
		})
	}
}

// TestAliasedSubchartsOwnSubchartNamed: helm's alias is a copy of the
// subchart; a subchart whose Chart.yaml lists no dependencies keeps its
// own subcharts parented to the original, so helm names their templates
// under the subchart's name, not the alias
// (c/charts/child/charts/grandchild/… beside c/charts/foo/…). kiln read
// them by the aliases only and named a file that does not exist once
// the subchart is a .tgz (as helm dependency build leaves it) or its
// folder is named otherwise. The chart is Helm's own
// chart-with-dependency-aliased-twice (testdata/charts/helm-aliased-twice).
func TestAliasedSubchartsOwnSubchartNamed(t *testing.T) {
	t.Parallel()
	src := filepath.Join("..", "..", "testdata", "charts", "helm-aliased-twice")
	read := func(rel string) []byte {
		data, err := os.ReadFile(filepath.Join(src, filepath.FromSlash(rel)))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	child := []string{"Chart.yaml", "templates/dummy.yaml", "charts/grandchild/Chart.yaml", "charts/grandchild/templates/dummy.yaml"}
	for _, tc := range []struct {
		name  string
		write func(t *testing.T, charts string)
		want  string
	}{
		{name: "archive", write: func(t *testing.T, charts string) {
			var entries []entry
			for _, f := range child {
				entries = append(entries, entry{f, read("charts/child/" + f)})
			}
			writeFile(t, filepath.Join(charts, "child-1.0.0.tgz"), string(tgz(t, "child", entries...)))
		}, want: "c/charts/child-1.0.0.tgz: child/charts/grandchild/templates/dummy.yaml"},
		{name: "folder", write: func(t *testing.T, charts string) {
			for _, f := range child {
				writeFile(t, filepath.Join(charts, "child-folder", filepath.FromSlash(f)), string(read("charts/child/"+f)))
			}
		}, want: "c/charts/child-folder/charts/grandchild/templates/dummy.yaml"},
		// Listing dependencies, even none, makes helm reparent them to
		// the alias's copy (the last alias's, for one both share).
		{name: "listing none", write: func(t *testing.T, charts string) {
			for _, f := range child {
				data := string(read("charts/child/" + f))
				if f == "Chart.yaml" {
					data += "dependencies: []\n"
				}
				writeFile(t, filepath.Join(charts, "child-folder", filepath.FromSlash(f)), data)
			}
		}, want: "c/charts/child-folder/charts/grandchild/templates/dummy.yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := tempRoot(t)
			writeFile(t, filepath.Join(root, "c", "Chart.yaml"), string(read("Chart.yaml")))
			writeFile(t, filepath.Join(root, "c", "values.yaml"), string(read("values.yaml")))
			tc.write(t, filepath.Join(root, "c", "charts"))
			res, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, Path: "c", App: "web", Namespace: "shop"})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, o := range res.Objects {
				if strings.HasPrefix(o.Node.GetName(), "grandchild") {
					got = append(got, o.File)
				}
			}
			if want := []string{tc.want}; !slices.Equal(got, want) {
				t.Errorf("grandchild's objects at %q, want %q", got, want)
			}
		})
	}
}

// TestSubchartFolderNamed: helm names a subchart's templates by the
// subchart's name; its folder under charts/ may be named otherwise, and
// errors and object locations must name the file that exists.
func TestSubchartFolderNamed(t *testing.T) {
	t.Parallel()
	root := tempRoot(t)
	writeFile(t, filepath.Join(root, "c", "Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\n")
	writeFile(t, filepath.Join(root, "c", "charts", "s-folder", "Chart.yaml"), "apiVersion: v2\nname: s\nversion: 0.1.0\n")
	writeFile(t, filepath.Join(root, "c", "charts", "s-folder", "templates", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: s}\n")
	writeFile(t, filepath.Join(root, "c", "charts", "s-folder", "charts", "t-folder", "Chart.yaml"), "apiVersion: v2\nname: t\nversion: 0.1.0\n")
	writeFile(t, filepath.Join(root, "c", "charts", "s-folder", "charts", "t-folder", "templates", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: t}\ndata:\n  a: {{ .Values.nope.x }}\n")
	_, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, Path: "c", App: "web", Namespace: "shop"})
	var de *diag.Error
	if !errors.As(err, &de) || de.File != "c/charts/s-folder/charts/t-folder/templates/cm.yaml" || de.Line != 5 ||
		!strings.Contains(de.Msg, `executing "c/charts/s-folder/charts/t-folder/templates/cm.yaml"`) {
		t.Fatalf("Render() = %v, want an error at c/charts/s-folder/charts/t-folder/templates/cm.yaml:5 naming it", err)
	}
	writeFile(t, filepath.Join(root, "c", "charts", "s-folder", "charts", "t-folder", "templates", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: t}\n")
	res, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, Path: "c", App: "web", Namespace: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, o := range res.Objects {
		files = append(files, o.File)
	}
	want := []string{"c/charts/s-folder/charts/t-folder/templates/cm.yaml", "c/charts/s-folder/templates/cm.yaml"}
	sort.Strings(files)
	if diff := cmp.Diff(want, files); diff != "" {
		t.Errorf("object files (-want +got):\n%s", diff)
	}
}

// TestSubchartAliasFolder: helm names an aliased subchart's templates and
// CRDs by the alias (charts/replica/…), which is no folder; errors and
// object locations must name the folder the aliased chart is in, for each
// alias and for the chart's own name, at any depth, and for an apiVersion
// v1 chart's requirements.yaml too.
func TestSubchartAliasFolder(t *testing.T) {
	t.Parallel()
	root := tempRoot(t)
	writeFile(t, filepath.Join(root, "c", "Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\ndependencies:\n- {name: db, version: 0.1.0}\n- {name: db, version: 0.1.0, alias: replica}\n- {name: s, version: 0.1.0, alias: other}\n")
	writeFile(t, filepath.Join(root, "c", "charts", "db", "Chart.yaml"), "apiVersion: v2\nname: db\nversion: 0.1.0\n")
	writeFile(t, filepath.Join(root, "c", "charts", "db", "crds", "crd.yaml"), "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: dbs.example.com}\n")
	writeFile(t, filepath.Join(root, "c", "charts", "db", "templates", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Chart.Name }}}\n")
	writeFile(t, filepath.Join(root, "c", "charts", "s-folder", "Chart.yaml"), "apiVersion: v1\nname: s\nversion: 0.1.0\n")
	writeFile(t, filepath.Join(root, "c", "charts", "s-folder", "requirements.yaml"), "dependencies:\n- {name: t, version: 0.1.0, alias: u}\n")
	writeFile(t, filepath.Join(root, "c", "charts", "s-folder", "charts", "t-folder", "Chart.yaml"), "apiVersion: v2\nname: t\nversion: 0.1.0\n")
	writeFile(t, filepath.Join(root, "c", "charts", "s-folder", "charts", "t-folder", "templates", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: t}\n")
	res, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, Path: "c", App: "web", Namespace: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, o := range res.Objects {
		files = append(files, fmt.Sprintf("%s:%d", o.File, o.Line))
	}
	sort.Strings(files)
	want := []string{
		"c/charts/db/crds/crd.yaml:1", // once, not once per alias (TestAliasedCRDOnce)
		"c/charts/db/templates/cm.yaml:1", "c/charts/db/templates/cm.yaml:1",
		"c/charts/s-folder/charts/t-folder/templates/cm.yaml:1",
	}
	if diff := cmp.Diff(want, files); diff != "" {
		t.Errorf("object files (-want +got):\n%s", diff)
	}

	writeFile(t, filepath.Join(root, "c", "charts", "s-folder", "charts", "t-folder", "templates", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: t}\ndata:\n  a: {{ .Values.nope.x }}\n")
	_, err = New(Options{}).Render(context.Background(), &templates.Request{Root: root, Path: "c", App: "web", Namespace: "shop"})
	var de *diag.Error
	if !errors.As(err, &de) || de.File != "c/charts/s-folder/charts/t-folder/templates/cm.yaml" || de.Line != 5 {
		t.Fatalf("Render() = %v, want an error at c/charts/s-folder/charts/t-folder/templates/cm.yaml:5", err)
	}
}

// TestMissingDepsInRequirements: an apiVersion v1 chart lists its
// dependencies in requirements.yaml; one missing from charts/ is an error
// naming that file, where the list is, not Chart.yaml.
func TestMissingDepsInRequirements(t *testing.T) {
	t.Parallel()
	root := tempRoot(t)
	writeFile(t, filepath.Join(root, "c", "Chart.yaml"), "apiVersion: v1\nname: c\nversion: 0.1.0\n")
	writeFile(t, filepath.Join(root, "c", "requirements.yaml"), "dependencies:\n- {name: redis, version: 1.0.0, repository: https://charts.example.com}\n")
	writeFile(t, filepath.Join(root, "c", "templates", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
	_, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, Path: "c", App: "web", Namespace: "shop"})
	var de *diag.Error
	if !errors.As(err, &de) || de.File != "c/requirements.yaml" || !strings.Contains(de.Msg, "redis") {
		t.Fatalf("Render() = %v, want an error in c/requirements.yaml naming redis", err)
	}
}

// TestValuesFileErrorHints: a values file that does not parse is a syntax
// error at its line; one that parses to a list is not a mapping; a
// !!binary that is not base64 (yaml.v2 names no line) is found.
func TestValuesFileErrorHints(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, values, hint string
		line               int
	}{
		{name: "syntax", values: "replicas: 1\nimage: [a\n", hint: "fix the YAML syntax", line: 2},
		{name: "list", values: "- replicas\n", hint: "values files must be YAML mappings"},
		{name: "escape", values: "match: \"^v\\d+$\"\n", hint: "in double quotes a backslash starts an escape"},
		{name: "binary", values: "tls:\n  ca: !!binary aGVsbG8=\n  key: !!binary not-base64!\n", hint: "a !!binary value must be base64", line: 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := tempRoot(t)
			writeFile(t, filepath.Join(root, "c", "Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\n")
			writeFile(t, filepath.Join(root, "c", "templates", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
			writeFile(t, filepath.Join(root, "values.yaml"), tc.values)
			_, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, Path: "c", App: "web", Namespace: "shop", ValuesFiles: []string{"values.yaml"}})
			var de *diag.Error
			if !errors.As(err, &de) || de.File != "values.yaml" || !strings.HasPrefix(de.Hint, tc.hint) || de.Line != tc.line {
				t.Errorf("Render() = %v (line %d), want an error in values.yaml at line %d with the hint %q", err, de.Line, tc.line, tc.hint)
			}
		})
	}
}

// TestValuesWarnings: what helm template warns about while merging values
// (a table given a scalar, a scalar given a table) comes back as the
// render's warnings, once each, naming the key and neither value. (That
// the standard logger is put back is stdlog's test: this one runs beside
// other renders, which borrow it.)
func TestValuesWarnings(t *testing.T) {
	t.Parallel()
	root := tempRoot(t)
	for name, data := range map[string]string{
		"chart/Chart.yaml":        "apiVersion: v2\nname: c\nversion: 1.0.0\n",
		"chart/values.yaml":       "labels:\n  inner: {team: default-secret-team}\n  flat: 1\nsize: 1\n",
		"chart/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  labels: {{ toJson .Values.labels | quote }}\n  size: {{ toJson .Values.size | quote }}\n",
	} {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	render := func(values map[string]any) *templates.Result {
		t.Helper()
		res, err := New(Options{}).Render(context.Background(), &templates.Request{
			Root: root, App: "web", Namespace: "shop", Path: "chart", KubeVersion: "1.31.0", Values: values})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	// As helm template warns with these values: three warnings, each
	// naming the key (with the chart's name, as helm does).
	res := render(map[string]any{"size": map[string]any{"m": "ten-secret-size"},
		"labels": map[string]any{"inner": "s3cret-labels", "flat": map[string]any{"x": "s3cret-flat"}}})
	want := []templates.Warning{
		{Msg: "helm: skipped value for c.size: Not a table.", Hint: "helm template prints the same warning for these values"},
		{Msg: "values: c.labels.flat is a table in the values given but not in the chart's defaults, so the chart's value is ignored (helm template warns: destination for c.labels.flat is a table)",
			Hint: "check that the chart reads c.labels.flat as a mapping"},
		{Msg: "values: c.labels.inner is a table in the chart's defaults but not in the values given, so the chart's table is dropped (helm template warns: cannot overwrite table with non table for c.labels.inner)",
			Hint: "give c.labels.inner as a mapping; to drop the chart's default on purpose, set it to null"},
	}
	if diff := cmp.Diff(want, res.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	// Values that merge cleanly warn about nothing.
	if res := render(map[string]any{"size": 3, "labels": map[string]any{"inner": map[string]any{"a": "b"}}}); len(res.Warnings) != 0 {
		t.Errorf("clean values: warnings %v", res.Warnings)
	}
}

// TestLoadWarnings: what helm template warns about a chart itself — a
// deprecated chart (Chart.yaml deprecated: true), dependencies in an
// apiVersion v2 chart's requirements.yaml — is a warning of the render
// too, naming Chart.yaml, and is not written to the process's log.
func TestLoadWarnings(t *testing.T) {
	t.Parallel()
	root := tempRoot(t)
	writeFile(t, filepath.Join(root, "c", "Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\ndeprecated: true\n")
	writeFile(t, filepath.Join(root, "c", "requirements.yaml"), "dependencies: []\n")
	writeFile(t, filepath.Join(root, "c", "templates", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
	res, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, Path: "c", App: "web", Namespace: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	want := []templates.Warning{
		{File: "c", Msg: "helm: Dependencies are handled in Chart.yaml since apiVersion \"v2\". We recommend migrating dependencies to Chart.yaml.", Hint: "helm template prints the same warning for this chart"},
		{File: "c/Chart.yaml", Msg: "chart c is deprecated (Chart.yaml says deprecated: true; helm template warns: This chart is deprecated)", Hint: "look for the chart's successor or a maintained fork"},
	}
	if diff := cmp.Diff(want, res.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

func TestHelmWarningLines(t *testing.T) {
	t.Parallel()
	for line, want := range map[string]string{
		"warning: cannot overwrite table with non table for a.b (map[pw:hunter2])":    "values: a.b is a table in the chart's defaults",
		"warning: destination for x is a table. Ignoring non-table value (hunter2)":   "values: x is a table in the values given",
		"Warning: Condition path 'sub.enabled' for chart sub returned non-bool value": "helm: Condition path 'sub.enabled' for chart sub returned non-bool value",
		"warning: skipping globals because destination global is not a table.":        "helm: skipping globals because destination global is not a table.",
		`Conflict: cannot merge map onto non-map for "k". Skipping.`:                  `helm: Conflict: cannot merge map onto non-map for "k". Skipping.`,
		"key team is table. Skipping":                                                 "helm: key team is table. Skipping",
		"unrelated log line":                                                          "",
	} {
		w, ok := helmWarning(line)
		if ok != (want != "") || !strings.HasPrefix(w.Msg, want) {
			t.Errorf("helmWarning(%q) = %q, %v; want it to begin %q", line, w.Msg, ok, want)
		}
		if strings.Contains(w.Msg, "hunter2") {
			t.Errorf("helmWarning(%q) shows the value: %q", line, w.Msg)
		}
	}
}

// TestTemplateNameWithSpace: helm names a template by its path, spaces
// included. kiln read locations up to the first space, so such a
// template's error was not recognised: no file and line, and the message
// as helm gave it, with a function's operands (a value) unmasked.
func TestTemplateNameWithSpace(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, template, msg string }{
		{name: "function operand", template: `{{ mustToDate "2006-01-02" .Values.pw }}`, msg: `error calling mustToDate: parsing time "**redacted**"`},
		{name: "fail", template: `{{ fail "set pw" }}`, msg: "chart refused to render: set pw"},
		{name: "parse", template: `{{ end }}`, msg: "template syntax error: "},
		{name: "tpl", template: `{{ tpl "{{ .x" . }}`, msg: "tpl: the string it was given does not parse as a template"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := tempRoot(t)
			writeFile(t, filepath.Join(root, "c", "Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\n")
			writeFile(t, filepath.Join(root, "c", "values.yaml"), "pw: Sup3rS3cret\n")
			writeFile(t, filepath.Join(root, "c", "templates", "my secret.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: s}\ndata:\n  x: "+tc.template+"\n")
			_, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, Path: "c", App: "web", Namespace: "shop"})
			var de *diag.Error
			if !errors.As(err, &de) {
				t.Fatalf("Render() = %v, want a *diag.Error", err)
			}
			if de.File != "c/templates/my secret.yaml" || de.Line != 5 || !strings.Contains(de.Msg, tc.msg) || strings.Contains(err.Error(), "S3cret") {
				t.Errorf("error at %s:%d %q, want c/templates/my secret.yaml:5 and %q, no value", de.File, de.Line, de.Msg, tc.msg)
			}
		})
	}
	// Invalid YAML from such a template is named too.
	root := tempRoot(t)
	writeFile(t, filepath.Join(root, "c", "Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\n")
	writeFile(t, filepath.Join(root, "c", "templates", "my map.yaml"), "a: [\n")
	_, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, Path: "c", App: "web", Namespace: "shop"})
	var de *diag.Error
	if !errors.As(err, &de) || de.File != "c/templates/my map.yaml" {
		t.Errorf("Render() = %v, want an error at c/templates/my map.yaml", err)
	}
}

// TestDanglingSymlinkInChart: a chart file that is a symlink to nothing
// (as karpenter's crds/ once held) is an error at the link that says so,
// with what to do; os.Stat's own text named the link's absolute path as
// missing.
func TestDanglingSymlinkInChart(t *testing.T) {
	t.Parallel()
	root := tempRoot(t)
	writeFile(t, filepath.Join(root, "c", "Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\n")
	writeFile(t, filepath.Join(root, "c", "templates", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
	if err := os.MkdirAll(filepath.Join(root, "c", "crds"), 0o755); err != nil {
		t.Fatal(err)
	}
	symlink(t, "gone.yaml", filepath.Join(root, "c", "crds", "crd.yaml"))
	_, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, Path: "c", App: "web", Namespace: "shop"})
	want := "c/crds/crd.yaml: app web: chart file is a symlink to a file that does not exist\n  hint: remove the link"
	if err == nil || !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), root) {
		t.Fatalf("got %v, want it to start with %q and not name %s", err, want, root)
	}
}

// TestManyValuesWarnings: values that give a scalar for each of 300 of
// the chart's tables make Helm warn 300 times (once per merge pass); kiln
// keeps the first warnings.Max by message and says how many more, the
// same in every run although Helm walks the maps in random order.
func TestManyValuesWarnings(t *testing.T) {
	t.Parallel()
	root := tempRoot(t)
	defaults := strings.Builder{}
	defaults.WriteString("t:\n")
	given := map[string]any{}
	for i := range 300 {
		fmt.Fprintf(&defaults, "  k%03d: {a: 1}\n", i)
		given[fmt.Sprintf("k%03d", i)] = "scalar"
	}
	values := map[string]any{"t": given}
	writeFile(t, filepath.Join(root, "c", "Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\n")
	writeFile(t, filepath.Join(root, "c", "values.yaml"), defaults.String())
	writeFile(t, filepath.Join(root, "c", "templates", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
	var first []templates.Warning
	for range 2 {
		res, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, Path: "c", App: "web", Namespace: "shop", Values: values})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Warnings) != warnlist.Max+1 {
			t.Fatalf("%d warnings, want %d", len(res.Warnings), warnlist.Max+1)
		}
		if got, want := res.Warnings[0].Msg, "values: c.t.k000 is a table"; !strings.HasPrefix(got, want) {
			t.Errorf("first warning %q, want it to start %q", got, want)
		}
		if got, want := res.Warnings[warnlist.Max].Msg, "… and 200 more warnings (kiln shows the first 100, sorted)"; got != want {
			t.Errorf("last warning %q, want %q", got, want)
		}
		if first != nil {
			if d := cmp.Diff(first, res.Warnings); d != "" {
				t.Errorf("a second render warns otherwise (-first +second):\n%s", d)
			}
		}
		first = res.Warnings
	}
}

// TestUnknownHookWarns: an object whose helm.sh/hook names an event Helm 3
// does not know (Helm 2's crd-install, a typo) is left out, as helm
// template leaves it out, but not without a word: helm logs "skipping
// unknown hook", and kiln warns naming the template and the object.
func TestUnknownHookWarns(t *testing.T) {
	t.Parallel()
	root := tempRoot(t)
	writeFile(t, filepath.Join(root, "c", "Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\n")
	writeFile(t, filepath.Join(root, "c", "templates", "crd.yaml"), `apiVersion: v1
kind: ConfigMap
metadata:
  name: kept
  annotations: {helm.sh/hook: "post-install, pre-upgrade"}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: foos.example.com
  annotations:
    helm.sh/hook: crd-install
`)
	writeFile(t, filepath.Join(root, "c", "templates", "job.yaml"), "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n    helm.sh/hook: pre-install,pre-instal\n")
	res, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, Path: "c", App: "web", Namespace: "shop", KubeVersion: "1.31.0"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range res.Objects {
		names = append(names, o.Node.GetKind()+"/"+o.Node.GetName())
	}
	if want := []string{"ConfigMap/kept"}; !slices.Equal(names, want) {
		t.Errorf("objects %v; want %v, as helm template prints", names, want)
	}
	var got []string
	for _, w := range res.Warnings {
		got = append(got, w.File+": "+w.Msg)
	}
	want := []string{
		`c/templates/crd.yaml: CustomResourceDefinition/foos.example.com is left out: its annotation helm.sh/hook: "crd-install" names a hook event Helm 3 does not know, so helm template leaves the object out (it logs only "skipping unknown hook"), and so does kiln`,
		`c/templates/job.yaml: Job/migrate is left out: its annotation helm.sh/hook: "pre-install,pre-instal" names a hook event Helm 3 does not know, so helm template leaves the object out (it logs only "skipping unknown hook"), and so does kiln`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

// TestAliasedCRDOnce: a subchart that two dependencies use under aliases
// shares its crds/ files between them. helm template prints such a file
// once per alias, helm install creates it once (the second create finds
// it present); kiln keeps its objects once, where it kept them twice and
// the app's output then held one CRD twice, an error no values could fix.
// A crds/ file of other text stays, and a template's object twice is
// still the app's two objects.
func TestAliasedCRDOnce(t *testing.T) {
	t.Parallel()
	root := tempRoot(t)
	writeFile(t, filepath.Join(root, "c", "Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\ndependencies:\n- {name: op, version: 0.1.0, alias: one}\n- {name: op, version: 0.1.0, alias: two}\n")
	writeFile(t, filepath.Join(root, "c", "crds", "own.yaml"), "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: owns.example.com}\n")
	writeFile(t, filepath.Join(root, "c", "charts", "op", "Chart.yaml"), "apiVersion: v2\nname: op\nversion: 0.1.0\n")
	writeFile(t, filepath.Join(root, "c", "charts", "op", "crds", "a.yaml"), "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: as.example.com}\n")
	writeFile(t, filepath.Join(root, "c", "charts", "op", "crds", "b.yaml"), "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: bs.example.com}\n")
	writeFile(t, filepath.Join(root, "c", "charts", "op", "templates", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: op}\n")
	res, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, Path: "c", App: "web", Namespace: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range res.Objects {
		got = append(got, fmt.Sprintf("%s/%s %s:%d", o.Node.GetKind(), o.Node.GetName(), o.File, o.Line))
	}
	want := []string{
		"CustomResourceDefinition/owns.example.com c/crds/own.yaml:1",
		"CustomResourceDefinition/as.example.com c/charts/op/crds/a.yaml:1",
		"CustomResourceDefinition/bs.example.com c/charts/op/crds/b.yaml:1",
		"ConfigMap/op c/charts/op/templates/cm.yaml:1",
		"ConfigMap/op c/charts/op/templates/cm.yaml:1",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}
}

// TestDeleteAndRollbackHooksLeftOut: podinfo's chart renders a hook Job
// for each event its values turn on. Flux applies the tree as an install
// or upgrade, so the install and upgrade hooks become objects, as helm
// template prints them; one that runs only when Helm deletes or rolls back
// the release is left out, where it became an object that Flux applied,
// and so ran, at every install (a chart's uninstall clean-up, such as
// kyverno's Job scaling it to zero). A hook that runs on an install too
// stays.
func TestDeleteAndRollbackHooksLeftOut(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..", "testdata", "charts")
	on := map[string]any{"job": map[string]any{"enabled": true}}
	hooks := map[string]any{}
	for _, h := range []string{"preInstall", "postInstall", "preUpgrade", "postUpgrade", "preDelete", "postDelete", "preRollback", "postRollback"} {
		hooks[h] = on
	}
	res, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "podinfo", Namespace: "web", KubeVersion: "1.31.0", Path: "podinfo",
		Values: map[string]any{"hooks": hooks}})
	if err != nil {
		t.Fatal(err)
	}
	var jobs []string
	for _, o := range res.Objects {
		if o.Node.GetKind() == "Job" {
			jobs = append(jobs, o.Node.GetName())
		}
	}
	sort.Strings(jobs)
	want := []string{"podinfo-post-install", "podinfo-post-upgrade", "podinfo-pre-install", "podinfo-pre-upgrade"}
	if diff := cmp.Diff(want, jobs); diff != "" {
		t.Errorf("hook Jobs (-want +got):\n%s", diff)
	}

	mixed := tempRoot(t)
	writeFile(t, filepath.Join(mixed, "c", "Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\n")
	writeFile(t, filepath.Join(mixed, "c", "templates", "hooks.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: both\n  annotations: {helm.sh/hook: \"pre-delete,post-install\"}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: rollback\n  annotations: {helm.sh/hook: \"pre-rollback, post-rollback\"}\n")
	res, err = New(Options{}).Render(context.Background(), &templates.Request{Root: mixed, App: "web", Namespace: "shop", Path: "c"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Objects) != 1 || res.Objects[0].Node.GetName() != "both" {
		t.Errorf("objects %d, want ConfigMap/both alone", len(res.Objects))
	}
}

// TestHookKeepsItsLastLineBreak: helm's manifest splitter trims every
// document, and `helm template` gives each document, hooks included, its
// final line break back when it prints it. A hook whose template ends in a
// `|` block scalar (the Kibana chart's ConfigMap of scripts, a
// pre-install hook) carried a value one line break short of helm
// template's, while the same ConfigMap as an ordinary template did not.
func TestHookKeepsItsLastLineBreak(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..", "testdata", "charts")
	res, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "kibana", Namespace: "kibana", KubeVersion: "1.31.0", Path: "kibana-hooks"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Objects) != 1 {
		t.Fatalf("%d objects, want the ConfigMap of scripts", len(res.Objects))
	}
	data := res.Objects[0].Node.GetDataMap()
	if got := data["manage-es-token.js"]; !strings.HasSuffix(got, "    process.exit(1);\n}\n") {
		t.Errorf("the script ends in %q, want the line break helm template prints", got[max(0, len(got)-30):])
	}
}

// TestResourcePolicyKeepIsNotPruned: Helm never deletes an object its
// chart marks helm.sh/resource-policy: keep (cert-manager's and argo-cd's
// CRDs, a database's claim), but Flux's Kustomization pruned it when the
// app or the object left the tree, and deleting a CRD deletes every
// resource of it. Such an object gets Flux's prune: disabled, unless it
// says otherwise itself.
func TestResourcePolicyKeepIsNotPruned(t *testing.T) {
	t.Parallel()
	root := tempRoot(t)
	writeFile(t, filepath.Join(root, "c", "Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\n")
	cm := func(name, annotations string) string {
		return "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n  annotations: {" + annotations + "}\n"
	}
	writeFile(t, filepath.Join(root, "c", "templates", "cms.yaml"),
		cm("keep", `helm.sh/resource-policy: keep`)+
			cm("spaced", `helm.sh/resource-policy: " Keep "`)+
			cm("own", `helm.sh/resource-policy: keep, kustomize.toolkit.fluxcd.io/prune: enabled`)+
			cm("other", `helm.sh/resource-policy: delete`)+
			cm("none", `a: b`))
	res, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "web", Namespace: "shop", Path: "c"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, o := range res.Objects {
		got[o.Node.GetName()] = o.Node.GetAnnotations()["kustomize.toolkit.fluxcd.io/prune"]
	}
	want := map[string]string{"keep": "disabled", "spaced": "disabled", "own": "enabled", "other": "", "none": ""}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("prune annotations (-want +got):\n%s", diff)
	}
}

// TestYAML11BoolsAsHelmReadsThem: helm install reads a chart's output as
// YAML 1.1, so an unquoted `yes` or `off` is a boolean to it, and a key
// `on` the string "true". Flux reads kiln's files as YAML 1.2, which would
// send the strings, so kiln writes what Helm sends. Quoted scalars and
// other engines' output keep their text.
func TestYAML11BoolsAsHelmReadsThem(t *testing.T) {
	t.Parallel()
	root := tempRoot(t)
	writeFile(t, filepath.Join(root, "c", "Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\n")
	writeFile(t, filepath.Join(root, "c", "values.yaml"), "host: \"yes\"\n")
	writeFile(t, filepath.Join(root, "c", "templates", "w.yaml"), `apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
spec:
  hostNetwork: {{ .Values.host }}
  off: Off
  quoted: {{ .Values.host | quote }}
  list: [n, "y"]
`)
	res, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "web", Namespace: "shop", Path: "c"})
	if err != nil {
		t.Fatal(err)
	}
	want := `apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
spec:
  hostNetwork: true
  "false": false
  quoted: "yes"
  list: [false, "y"]
`
	if got := res.Objects[0].Node.MustString(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestMergeKeysAsHelmReadsThem: helm install reads a merge key as
// yaml.v2 does, at its place, so it overrides the keys written before it;
// kustomize (so Flux reading kiln's files) would keep them. A merge key
// without an alias is expanded too, not refused.
func TestMergeKeysAsHelmReadsThem(t *testing.T) {
	t.Parallel()
	root := tempRoot(t)
	writeFile(t, filepath.Join(root, "c", "Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\n")
	writeFile(t, filepath.Join(root, "c", "templates", "w.yaml"), `apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
spec:
  base: &b {x: 1, z: 1}
  before: {x: 2, <<: *b}
  inline: {a: 1, <<: {a: 2}}
`)
	res, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "web", Namespace: "shop", Path: "c"})
	if err != nil {
		t.Fatal(err)
	}
	want := `apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
spec:
  base: {x: 1, z: 1}
  before: {x: 1, z: 1}
  inline: {a: 2}
`
	if got := res.Objects[0].Node.MustString(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestAliasOutOfRangeWarns: helm gives a dependency's alias only to a
// vendored subchart its version range takes, and otherwise renders the
// subchart under its own name whatever the alias's condition says,
// without a word: tempo-distributed's rollout_operator with a newer
// rollout-operator vendored by hand ignored rollout_operator.enabled:
// false. A dependency without alias is matched by name, so its version
// changes nothing; an alias in range is helm's normal case.
func TestAliasOutOfRangeWarns(t *testing.T) {
	t.Parallel()
	root := tempRoot(t)
	writeFile(t, filepath.Join(root, "c", "Chart.yaml"), `apiVersion: v2
name: c
version: 0.1.0
dependencies:
  - {name: op, version: 1.0.0, alias: op_alias, condition: op_alias.enabled}
  - {name: plain, version: 1.0.0, condition: plain.enabled}
  - {name: fine, version: ^2.0.0, alias: fine2}
`)
	writeFile(t, filepath.Join(root, "c", "values.yaml"), "op_alias: {enabled: false}\n")
	for sub, version := range map[string]string{"op": "1.1.0", "plain": "1.1.0", "fine": "2.3.0"} {
		writeFile(t, filepath.Join(root, "c", "charts", sub, "Chart.yaml"), "apiVersion: v2\nname: "+sub+"\nversion: "+version+"\n")
		writeFile(t, filepath.Join(root, "c", "charts", sub, "templates", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Chart.Name }}}\n")
	}
	res, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, Path: "c", App: "web", Namespace: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	want := []templates.Warning{{File: "c/Chart.yaml",
		Msg: `dependency op (alias op_alias) asks for version "1.0.0", but charts/ holds op 1.1.0: helm gives an alias only to a subchart in range, ` +
			"so it renders this one as op, ignoring the values under op_alias and its condition (helm template says nothing)",
		Hint: "vendor the version the dependency asks for (helm dependency build), or change its version range to take the one vendored"}}
	if diff := cmp.Diff(want, res.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	// What the warning says is what helm does: op rendered although its
	// condition is false, fine as fine2.
	var names []string
	for _, o := range res.Objects {
		names = append(names, o.Node.GetName())
	}
	slices.Sort(names)
	if diff := cmp.Diff([]string{"fine2", "op", "plain"}, names); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}
}

// TestAliasOutOfRangeWarnsInSubchart: a subchart's own dependency with an
// alias out of range is warned of too, at the subchart's Chart.yaml (its
// folder, which need not bear its name), as helm drops that alias the
// same way; one of two vendored versions in range is helm's normal case.
func TestAliasOutOfRangeWarnsInSubchart(t *testing.T) {
	t.Parallel()
	root := tempRoot(t)
	writeFile(t, filepath.Join(root, "app", "Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\ndependencies:\n  - {name: mid, version: 1.0.0}\n")
	writeFile(t, filepath.Join(root, "app", "charts", "mid-folder", "Chart.yaml"), `apiVersion: v2
name: mid
version: 1.0.0
dependencies:
  - {name: op, version: 1.0.0, alias: op_alias}
  - {name: two, version: 1.0.0, alias: two_alias}
`)
	for folder, v := range map[string][2]string{"op": {"op", "1.1.0"}, "two-a": {"two", "1.0.0"}, "two-b": {"two", "1.1.0"}} {
		writeFile(t, filepath.Join(root, "app", "charts", "mid-folder", "charts", folder, "Chart.yaml"), "apiVersion: v2\nname: "+v[0]+"\nversion: "+v[1]+"\n")
	}
	res, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, Path: "app", App: "web", Namespace: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range res.Warnings {
		got = append(got, w.File+": "+w.Msg[:strings.Index(w.Msg, ":")])
	}
	want := []string{`app/charts/mid-folder/Chart.yaml: dependency op (alias op_alias) asks for version "1.0.0", but charts/ holds op 1.1.0`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
