package render_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/golden"
	"github.com/kiln-gitops/kiln/render"
)

var update = flag.Bool("update", false, "rewrite golden files")

const example = "../examples/instavote"

// testOptions are fixed options, so golden trees do not depend on the
// machine or the checkout.
func testOptions() render.Options {
	opts := render.DefaultOptions()
	opts.CacheDir = ""
	opts.Version = "test"
	opts.Source = render.Source{Repo: "https://github.com/acme/instavote.git", Commit: "0123456789abcdef0123456789abcdef01234567"}
	opts.Images = render.Images{Refs: []string{
		"ghcr.io/acme/vote:1.4.2",
		"ghcr.io/acme/worker@sha256:4f0d7e1d5c6c8e1c3b0f8c1f0b3e6d8a2c5e9f7a1b3c5d7e9f1a3b5c7d9e1f3a",
		"docker.io/library/redis:7.2.5",
	}}
	return opts
}

func load(t testing.TB, dir string) *envconfig.Pipeline {
	t.Helper()
	p, err := envconfig.Load(filepath.Join(dir, "kiln.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// writeProject writes files (path relative to a new folder: content) and
// returns the folder.
func writeProject(tb testing.TB, files map[string]string) string {
	tb.Helper()
	return writeProjectIn(tb, tb.TempDir(), files)
}

// writeProjectIn writes files below dir and returns dir.
func writeProjectIn(tb testing.TB, dir string, files map[string]string) string {
	tb.Helper()
	for rel, content := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, rel)), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, rel), []byte(content), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

func renderAll(t testing.TB, p *envconfig.Pipeline, opts render.Options) []*render.EnvResult {
	t.Helper()
	r, err := render.New(p, opts)
	if err != nil {
		t.Fatal(err)
	}
	results, err := r.Render(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return results
}

// TestExampleGolden renders the bundled example and compares every env's
// tree with render/testdata/golden/instavote/<env>.
func TestExampleGolden(t *testing.T) {
	t.Parallel()
	results := renderAll(t, load(t, example), testOptions())
	if len(results) != 3 {
		t.Fatalf("rendered %d envs, want 3", len(results))
	}
	for _, er := range results {
		if er.Err != nil {
			t.Fatalf("env %s: %v", er.Env, er.Err)
		}
		var warns []string
		for _, w := range er.Warnings {
			warns = append(warns, w.Msg)
		}
		// worker is disabled in dev, but staging and prod run its CI image:
		// rendered together, no env warns of it (TestUnusedImageAcrossEnvs).
		if len(warns) > 0 {
			t.Errorf("env %s: warnings %q, want none", er.Env, warns)
		}
		golden.Tree(t, filepath.Join("testdata", "golden", "instavote", er.Env), er.Files, *update)
	}
}

// TestDeterministic renders twice with separate Renderers and once with the
// apps in reverse order: the bytes must be the same every time.
func TestDeterministic(t *testing.T) {
	t.Parallel()
	p := load(t, example)
	first := renderAll(t, p, testOptions())
	second := renderAll(t, p, testOptions())

	shuffled := load(t, example)
	slices.Reverse(shuffled.Apps)
	slices.Reverse(shuffled.Environments) // envs are rendered independently
	third := renderAll(t, shuffled, testOptions())
	byEnv := map[string]*render.EnvResult{}
	for _, er := range third {
		byEnv[er.Env] = er
	}
	for i, a := range first {
		for name, b := range map[string]*render.EnvResult{"second render": second[i], "reversed apps": byEnv[a.Env]} {
			if a.Err != nil || b.Err != nil {
				t.Fatalf("env %s: %v / %v", a.Env, a.Err, b.Err)
			}
			if diff := cmp.Diff(a.Files, b.Files); diff != "" {
				t.Errorf("env %s, %s differs (-first +other):\n%s", a.Env, name, diff)
			}
		}
	}
}

// copyExample copies the example project to a temporary folder tests may
// change.
func copyExample(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "repo")
	if err := os.CopyFS(dir, os.DirFS(example)); err != nil {
		t.Fatal(err)
	}
	return dir
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// loadProject writes files (relative path → content) into dir and loads
// its kiln.yaml.
func loadProject(t *testing.T, dir string, files map[string]string) *envconfig.Pipeline {
	t.Helper()
	for rel, content := range files {
		writeFile(t, filepath.Join(dir, rel), content)
	}
	p, err := envconfig.Load(filepath.Join(dir, "kiln.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files, err := render.ReadTree(dir)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestFailedRenderKeepsEarlierTree breaks a template after a good render:
// the env must fail and its earlier tree stay byte-identical.
func TestFailedRenderKeepsEarlierTree(t *testing.T) {
	t.Parallel()
	repo := copyExample(t)
	out := filepath.Join(t.TempDir(), "rendered")
	for _, er := range renderAll(t, load(t, repo), testOptions()) {
		if err := render.WriteEnv(out, er); err != nil {
			t.Fatal(err)
		}
	}
	before := readTree(t, out)

	writeFile(t, filepath.Join(repo, "apps/db/configmap.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: db-config\ndata:\n  LOG_LEVEL: ${NO_SUCH_VAR}\n")
	results := renderAll(t, load(t, repo), testOptions())
	for _, er := range results {
		if er.Err == nil {
			t.Fatalf("env %s rendered despite an undefined variable", er.Env)
		}
		if !strings.Contains(er.Err.Error(), "apps/db/configmap.yaml:6") {
			t.Errorf("env %s: error does not name file and line:\n%v", er.Env, er.Err)
		}
		if err := render.WriteEnv(out, er); err == nil {
			t.Errorf("WriteEnv wrote env %s although it failed", er.Env)
		}
	}
	if diff := cmp.Diff(before, readTree(t, out)); diff != "" {
		t.Errorf("the earlier tree changed (-before +after):\n%s", diff)
	}
}

// TestRemovedAppsVanish disables an app: its files must be gone from the
// new tree, and nothing else may be left behind.
func TestRemovedAppsVanish(t *testing.T) {
	t.Parallel()
	repo := copyExample(t)
	out := filepath.Join(t.TempDir(), "rendered")
	write := func() {
		for _, er := range renderAll(t, load(t, repo), testOptions()) {
			if er.Err != nil {
				t.Fatalf("env %s: %v", er.Env, er.Err)
			}
			if err := render.WriteEnv(out, er); err != nil {
				t.Fatal(err)
			}
		}
	}
	write()
	if _, err := os.Stat(filepath.Join(out, "prod/apps/worker")); err != nil {
		t.Fatal(err)
	}
	env, err := os.ReadFile(filepath.Join(repo, "envs/prod.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(env), "\napps:\n", "\napps:\n  worker:\n    enabled: false\n", 1)
	if text == string(env) {
		t.Fatal("envs/prod.yaml has no apps: section to extend")
	}
	writeFile(t, filepath.Join(repo, "envs/prod.yaml"), text)
	write()
	for p := range readTree(t, filepath.Join(out, "prod")) {
		if strings.Contains(p, "worker") {
			t.Errorf("file of the disabled app left behind: %s", p)
		}
	}
	lock, err := os.ReadFile(filepath.Join(out, "prod/kiln.lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(lock, []byte(`"worker"`)) {
		t.Error("kiln.lock.json still names the disabled app")
	}
}

// TestSecretVars checks that a secret value in the output is an error that
// names the object and the var but never the value, unless the env allows
// plain secrets.
func TestSecretVars(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-Pa55word"
	for _, allow := range []bool{false, true} {
		repo := copyExample(t)
		writeFile(t, filepath.Join(repo, "apps/db/secret.yaml"), "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db-credentials\nstringData:\n  password: ${DB_PASSWORD}\n")
		env, err := os.ReadFile(filepath.Join(repo, "envs/dev.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		extra := "secretVars:\n  DB_PASSWORD: DEV_DB_PASSWORD\n"
		if allow {
			extra += "allowPlainSecrets: true\n"
		}
		writeFile(t, filepath.Join(repo, "envs/dev.yaml"), extra+string(env))
		opts := testOptions()
		opts.LookupEnv = func(k string) (string, bool) {
			if k == "DEV_DB_PASSWORD" {
				return secret, true
			}
			return "", false
		}
		r, err := render.New(load(t, repo), opts)
		if err != nil {
			t.Fatal(err)
		}
		results, err := r.Render(context.Background(), []string{"dev"})
		if err != nil {
			t.Fatal(err)
		}
		er := results[0]
		if allow {
			if er.Err != nil {
				t.Fatalf("allowPlainSecrets: %v", er.Err)
			}
			if !bytes.Contains(er.Files["apps/db/secret_db-credentials.yaml"], []byte(secret)) {
				t.Error("allowPlainSecrets: the Secret does not hold the value")
			}
			for p, data := range er.Files {
				if strings.HasPrefix(p, "high-level/") && bytes.Contains(data, []byte(secret)) {
					t.Errorf("%s shows the secret value", p)
				}
			}
			continue
		}
		if er.Err == nil {
			t.Fatal("a secret value in plain text was accepted")
		}
		msg := er.Err.Error()
		for _, want := range []string{"Secret/instavote/db-credentials", "DB_PASSWORD", "allowPlainSecrets"} {
			if !strings.Contains(msg, want) {
				t.Errorf("error does not mention %q:\n%s", want, msg)
			}
		}
		if strings.Contains(msg, secret) {
			t.Errorf("error shows the secret value:\n%s", msg)
		}
	}
}

// TestValidateNamesNondeterministicObjects adds a chart template that uses
// random values and the clock: Validate must name those objects only.
func TestValidateNamesNondeterministicObjects(t *testing.T) {
	t.Parallel()
	repo := copyExample(t)
	writeFile(t, filepath.Join(repo, "charts/redis/templates/random.yaml"), `apiVersion: v1
kind: Secret
metadata:
  name: {{ .Release.Name }}-random
stringData:
  password: {{ randAlphaNum 16 | quote }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-stamp
data:
  at: {{ now | date "2006-01-02T15:04:05.000000000" | quote }}
`)
	results := validateDev(t, repo, testOptions())
	if results[0].Err == nil {
		t.Fatal("Validate accepted random output")
	}
	got := results[0].Err.Error()
	for _, want := range []string{
		"charts/redis/templates/random.yaml:1: app redis: Secret/instavote/redis-random: differs between two renders of the same inputs",
		"charts/redis/templates/random.yaml:8: app redis: ConfigMap/instavote/redis-stamp: differs between two renders of the same inputs",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("Validate error lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "StatefulSet") || strings.Contains(got, "app vote") {
		t.Errorf("Validate blamed a deterministic object:\n%s", got)
	}
}

// TestValidateNamesNondeterministicObjectsWithTheCache: with the render
// cache on (kiln validate's default), the second render must not be served
// what the first one stored, or no template would ever differ between the
// two: a random value in a ConfigMap (which the cache keeps, unlike a
// Secret) is named as without the cache, on a cold cache and a warm one.
func TestValidateNamesNondeterministicObjectsWithTheCache(t *testing.T) {
	t.Parallel()
	repo := copyExample(t)
	writeFile(t, filepath.Join(repo, "charts/redis/templates/random.yaml"), `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-random
data:
  token: {{ randAlphaNum 16 | quote }}
`)
	opts := testOptions()
	opts.RenderCache = filepath.Join(t.TempDir(), "renders")
	validateColdAndWarm(t, repo, opts, "charts/redis/templates/random.yaml:1: app redis: ConfigMap/instavote/redis-random: differs between two renders of the same inputs")
}

// validateColdAndWarm validates env dev of repo twice with opts (a render
// cache folder: cold, then warm) and requires an error holding want each
// time.
func validateColdAndWarm(t *testing.T, repo string, opts render.Options, want string) {
	t.Helper()
	for _, run := range []string{"cold", "warm"} {
		r, err := render.New(load(t, repo), opts)
		if err != nil {
			t.Fatal(err)
		}
		results, err := r.Validate(context.Background(), []string{"dev"})
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := results[0].Err; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s cache: Validate error = %v, want %q", run, err, want)
		}
	}
}

// TestValidateEvaluatesJsonnetOnce: go-jsonnet's output cannot differ
// between two evaluations of the same inputs, so Validate's second render
// takes a jsonnet app's result from the cache the first one filled (it
// evaluated tempo's example/tk/tempo-microservices twice: half of
// validate's time). The
// other engines render again, and a random value in a chart is still
// named (TestValidateNamesNondeterministicObjectsWithTheCache).
func TestValidateEvaluatesJsonnetOnce(t *testing.T) {
	t.Parallel()
	opts := testOptions()
	opts.RenderCache = filepath.Join(t.TempDir(), "renders")
	r, err := render.New(load(t, copyExample(t)), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	results, err := r.Validate(context.Background(), []string{"dev"})
	if err != nil {
		t.Fatal(err)
	}
	if results[0].Err != nil {
		t.Fatal(results[0].Err)
	}
	// The example has one jsonnet app, result; the cache was cold.
	if got := r.CacheHits(); got != 1 {
		t.Errorf("CacheHits() = %d after Validate, want 1: the jsonnet app's second render", got)
	}
}

// TestValidateCachedJsonnetStillChecksSecretVars: the check for values
// computed from secret vars renders the app again with other values, under
// the same cache key (secret vars enter it by name), so it must never be
// served from the cache as Validate's second render of a jsonnet app is
// (renderAfresh resets validateAgain): Validate refuses an upper-cased
// password on a cold cache and on a warm one.
func TestValidateCachedJsonnetStillChecksSecretVars(t *testing.T) {
	t.Parallel()
	opts := testOptions()
	opts.RenderCache = filepath.Join(t.TempDir(), "renders")
	opts.LookupEnv = func(k string) (string, bool) { return "Winter2024!xyz", k == "TEST_PW" }
	repo := computedRepo(t, "function(vars) [{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'cm'}, data: {upper: std.asciiUpper(vars.PW)}}]\n", "")
	validateColdAndWarm(t, repo, opts, "ConfigMap/cm: holds a value computed from secret var PW in data.upper")
}

// TestSecretNeverInErrors makes a template fail with a secret value in its
// own message: the error must keep its location and mask the value.
func TestSecretNeverInErrors(t *testing.T) {
	t.Parallel()
	const secret = "hunter2-very-secret"
	repo := copyExample(t)
	writeFile(t, filepath.Join(repo, "apps/result/main.jsonnet"), "function(env, vars, images) error 'cannot connect with ' + vars.DB_PASSWORD\n")
	env, err := os.ReadFile(filepath.Join(repo, "envs/dev.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(repo, "envs/dev.yaml"), "secretVars:\n  DB_PASSWORD: DEV_DB_PASSWORD\n"+string(env))
	opts := testOptions()
	opts.LookupEnv = func(k string) (string, bool) { return secret, k == "DEV_DB_PASSWORD" }
	r, err := render.New(load(t, repo), opts)
	if err != nil {
		t.Fatal(err)
	}
	results, err := r.Render(context.Background(), []string{"dev"})
	if err != nil {
		t.Fatal(err)
	}
	if results[0].Err == nil {
		t.Fatal("the failing template rendered")
	}
	msg := results[0].Err.Error()
	if strings.Contains(msg, secret) {
		t.Errorf("error shows the secret value:\n%s", msg)
	}
	if !strings.Contains(msg, "apps/result/main.jsonnet:1") {
		t.Errorf("error lost its location:\n%s", msg)
	}
}

// TestTimestampsQuoted: a plain scalar YAML reads as a timestamp is
// written quoted, from Helm and plain YAML alike, so that kustomize in
// Flux applies the string as written (helm install and kubectl apply
// send it so) instead of "2024-01-01T00:00:00Z", which is no valid label
// value.
func TestTimestampsQuoted(t *testing.T) {
	t.Parallel()
	repo := writeProject(t, map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\n    mode: push\napps:\n" +
			"  - name: plain\n    namespace: web\n    yaml: apps/plain\n" +
			"  - name: chart\n    namespace: web\n    helm:\n      chart: charts/dated\n",
		"apps/plain/cm.yaml":       "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\n  labels:\n    released: 2024-01-01\ndata:\n  day: 2024-01-01\n  quoted: '2024-01-02'\n",
		"charts/dated/Chart.yaml":  "apiVersion: v2\nname: dated\nversion: 1.0.0\n",
		"charts/dated/values.yaml": "released: 2024-03-01\n",
		"charts/dated/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: chart\n  labels:\n    released: {{ .Values.released }}\n" +
			"data:\n  at: 2001-12-14 21:59:43.10\n",
	})
	results := renderAll(t, load(t, repo), testOptions())
	er := results[0]
	if er.Err != nil {
		t.Fatal(er.Err)
	}
	want := map[string][]string{
		"apps/plain/configmap_plain.yaml": {`released: "2024-01-01"`, `day: "2024-01-01"`, `quoted: '2024-01-02'`},
		"apps/chart/configmap_chart.yaml": {`released: "2024-03-01"`, `at: "2001-12-14 21:59:43.10"`},
	}
	for file, lines := range want {
		got, ok := er.Files[file]
		if !ok {
			t.Fatalf("no %s among the env's files", file)
		}
		for _, l := range lines {
			if !strings.Contains(string(got), l) {
				t.Errorf("%s lacks %s:\n%s", file, l, got)
			}
		}
	}
}

// TestEngineWarnings: helm template's warnings about the values reach the
// env's warnings with the app named, from a render and from the cache
// alike, and never with a value.
func TestEngineWarnings(t *testing.T) {
	t.Parallel()
	repo := writeProject(t, map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\n    mode: push\napps:\n" +
			"  - name: chart\n    namespace: web\n    helm:\n      chart: charts/c\n",
		"envs/dev.yaml":              "apps:\n  chart:\n    values:\n      labels:\n        inner: s3cret-inner\n",
		"charts/c/Chart.yaml":        "apiVersion: v2\nname: c\nversion: 1.0.0\n",
		"charts/c/values.yaml":       "labels:\n  inner: {team: default-s3cret}\n",
		"charts/c/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  labels: {{ toJson .Values.labels | quote }}\n",
	})
	opts := testOptions()
	opts.CacheDir = t.TempDir()
	const want = "values: c.labels.inner is a table in the chart's defaults but not in the values given"
	for _, run := range []string{"render", "cached"} {
		er := renderAll(t, load(t, repo), opts)[0]
		if er.Err != nil {
			t.Fatal(er.Err)
		}
		var found bool
		for _, w := range er.Warnings {
			found = found || (w.App == "chart" && strings.HasPrefix(w.Msg, want))
			if strings.Contains(w.String(), "s3cret") {
				t.Errorf("%s: a warning shows a value: %s", run, w)
			}
		}
		if !found {
			t.Errorf("%s: warnings %v lack %q for app chart", run, er.Warnings, want)
		}
	}
}

// TestDroppedFieldWarnings: a field the API server of the env's
// kubeVersion drops is a warning at its line from a render and from the
// env the render cache kept; raising
// kubeVersion to the release that keeps it ends the warning.
func TestDroppedFieldWarnings(t *testing.T) {
	t.Parallel()
	files := map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nkubeVersion: \"1.32.4\"\nenvironments:\n  - name: dev\n    mode: push\napps:\n" +
			"  - name: pods\n    namespace: web\n    yaml: apps/pods\n",
		"envs/dev.yaml":      "apps: {}\n",
		"apps/pods/pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: userns\nspec:\n  hostUsers: false\n  containers:\n  - {name: shell, image: debian}\n",
	}
	repo := writeProject(t, files)
	opts := testOptions()
	opts.Images = render.Images{}
	opts.CacheDir = t.TempDir()
	const want = `apps/pods/pod.yaml:6: app pods: Pod/web/userns: field "spec.hostUsers" is dropped by the API server of Kubernetes 1.32`
	for _, run := range []string{"render", "env from the cache", "again"} {
		er := renderAll(t, load(t, repo), opts)[0]
		if er.Err != nil {
			t.Fatal(er.Err)
		}
		var found bool
		for _, w := range er.Warnings {
			found = found || strings.HasPrefix(w.String(), want)
		}
		if !found {
			t.Errorf("%s: warnings %v lack %q", run, er.Warnings, want)
		}
	}
	files["kiln.yaml"] = strings.Replace(files["kiln.yaml"], "1.32.4", "1.33.0", 1)
	writeProjectIn(t, repo, files)
	er := renderAll(t, load(t, repo), opts)[0]
	if er.Err != nil || len(er.Warnings) != 0 {
		t.Errorf("at 1.33: %v, warnings %v", er.Err, er.Warnings)
	}
}
