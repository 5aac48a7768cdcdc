package envconfig

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"sigs.k8s.io/yaml"
)

func ptr[T any](v T) *T { return &v }

// absRoot returns the absolute, symlink-free form of dir.
func absRoot(t *testing.T, dir string) string {
	t.Helper()
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		t.Fatal(err)
	}
	return real
}

// writeFiles writes files (slash paths to contents) below a new temporary
// folder and returns it, symlinks resolved.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := absRoot(t, t.TempDir())
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// specPipeline is what the example kiln.yaml of SPEC §1 parses into.
func specPipeline(root string) *Pipeline {
	return &Pipeline{
		File: "testdata/spec/kiln.yaml",
		Root: root,
		Environments: []Environment{
			{Name: "dev", Mode: "push", Config: "envs/dev.yaml", Line: 5},
			{Name: "staging", Mode: "pr", PromoteFrom: "dev", Config: "envs/staging.yaml", Line: 7},
			{Name: "prod", Mode: "pr", PromoteFrom: "staging", Config: "envs/prod.yaml", Line: 9},
		},
		KubeVersion: "1.31.0", KubeVersionLine: 12,
		Manifests: Manifests{Repo: "https://github.com/acme/manifests.git", GitHub: "acme/manifests", Branch: "main", Path: "clusters/{env}"},
		Flux: Flux{Name: "{app}", Namespace: "flux-system", SourceRef: SourceRef{Kind: "GitRepository", Name: "flux-system"},
			Interval: "10m", Timeout: "5m", Prune: true, Wait: false, DecryptionSecret: "sops-age", NameLine: 22, NamespaceLine: 23, SourceRefLine: 24},
		Notifications: &Notifications{SecretRef: "github-token", CommitStatus: true, Dispatch: "acme/instavote", Line: 31},
		Apps: []App{
			{Name: "redis", Namespace: "instavote", Engine: "helm",
				Helm: &Helm{Chart: "charts/redis", Values: []string{"charts/redis/values.yaml"}}, Line: 36},
			{Name: "vote", Namespace: "instavote", Engine: "kustomize", Kustomize: "apps/vote/overlays/{env}",
				DependsOn: []Dependency{{Name: "redis", File: "kiln.yaml", Line: 47}}, Line: 44},
			{Name: "result", Namespace: "instavote", Engine: "jsonnet", Jsonnet: &Jsonnet{File: "apps/result/main.jsonnet"},
				DependsOn: []Dependency{{Name: "db", File: "kiln.yaml", Line: 51}}, Line: 48},
			{Name: "db", Namespace: "instavote", Engine: "yaml", YAML: "apps/db", Line: 52},
			{Name: "worker", Namespace: "instavote", Engine: "kustomize", Kustomize: "apps/worker",
				DependsOn: []Dependency{{Name: "redis", File: "kiln.yaml", Line: 58}, {Name: "db", File: "kiln.yaml", Line: 58},
					{Name: "infra-controllers", Namespace: "flux-system", External: true, File: "kiln.yaml", Line: 58}}, Line: 55},
		},
	}
}

func TestLoadSpecExample(t *testing.T) {
	t.Parallel()
	got, err := Load("testdata/spec/kiln.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := specPipeline(absRoot(t, "testdata/spec"))
	if diff := cmp.Diff(want, got, ignoreDigest); diff != "" {
		t.Errorf("Load (-want +got):\n%s", diff)
	}
}

func TestParseEnvFileSpecExample(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/spec/envs/dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseEnvFile(data, "envs/dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := &EnvFile{
		File:       "envs/dev.yaml",
		Vars:       map[string]string{"REDIS_HOST": "redis-master.instavote.svc", "LOG_LEVEL": "debug"},
		SecretVars: map[string]string{"DB_PASSWORD": "DEV_DB_PASSWORD"},
		Apps: map[string]Override{
			"redis": {Values: map[string]any{"replicas": 1}, Line: 7},
			"vote": {Namespace: ptr("instavote-dev"), Line: 9, Patches: []Patch{{
				Target: &Selector{Kind: "Deployment", Name: "vote"},
				Patch:  "- {op: replace, path: /spec/replicas, value: 3}",
				File:   "envs/dev.yaml", Line: 12, TextLine: 14,
			}}},
			"result": {Enabled: ptr(false), Line: 15},
		},
		Lines: map[string]int{"REDIS_HOST": 2, "LOG_LEVEL": 3, "DB_PASSWORD": 5},
	}
	if diff := cmp.Diff(want, got, ignoreDigest); diff != "" {
		t.Errorf("ParseEnvFile (-want +got):\n%s", diff)
	}
}

func TestParseDefaults(t *testing.T) {
	t.Parallel()
	const src = `apiVersion: kiln/v1alpha1
kind: Pipeline
environments:
  - name: dev
  - name: prod
    config: config/{env}.yaml
apps:
  - name: web
    namespace: web
    yaml: deploy
`
	got, err := Parse([]byte(src), "kiln.yaml", "/repo")
	if err != nil {
		t.Fatal(err)
	}
	want := &Pipeline{
		File: "kiln.yaml", Root: "/repo",
		Environments: []Environment{
			{Name: "dev", Mode: "pr", Config: "envs/dev.yaml", Line: 4},
			{Name: "prod", Mode: "pr", Config: "config/prod.yaml", Line: 5},
		},
		KubeVersion: DefaultKubeVersion,
		Manifests:   Manifests{Branch: "main", Path: "clusters/{env}"},
		Flux: Flux{Name: "{app}", Namespace: "flux-system", SourceRef: SourceRef{Kind: "GitRepository", Name: "flux-system"},
			Interval: "10m", Timeout: "5m", Prune: true, DecryptionSecret: "sops-age"},
		Apps: []App{{Name: "web", Namespace: "web", Engine: "yaml", YAML: "deploy", Line: 8}},
	}
	if diff := cmp.Diff(want, got, ignoreDigest); diff != "" {
		t.Errorf("Parse (-want +got):\n%s", diff)
	}
	// Off unless set: a dependsOn on a Kustomization that does not exist
	// would hold every app back.
	if ns, name, ok := got.BootstrapKustomization("dev"); ok {
		t.Errorf("BootstrapKustomization = %q, %q, true, want false when flux.bootstrap is not set", ns, name)
	}
}

// TestParseEveryKey sets every key of kiln.yaml to a non-default value.
func TestParseEveryKey(t *testing.T) {
	t.Parallel()
	const src = `apiVersion: kiln/v1alpha1
kind: Pipeline
environments:
  - {name: dev, mode: push, config: environments/development.yaml}
kubeVersion: v1.30.2
manifests:
  repo: git@github.com:acme/fleet.git
  branch: release
  path: fleet/{env}/apps
flux:
  name: "{app}-{env}"
  namespace: flux
  sourceRef: {kind: OCIRepository, name: fleet, namespace: flux-sources, originRevision: true}
  interval: 1h30m
  timeout: 90s
  prune: false
  wait: true
  decryption: {secretRef: {name: fleet-keys}}
  bootstrap: {name: "fleet-{env}"}
notifications: {secretRef: gh, dispatch: acme/app}
apps:
  - name: cache
    namespace: cache
    helm:
      repo: oci://ghcr.io/acme/charts
      chart: redis
      version: "17.3"
      values: [values/common.yaml, "values/{env}.yaml"]
      skipCRDs: true
    flux:
      interval: 2m
      timeout: 1m
      wait: false
      decryption: {secretRef: {name: cache-keys}}
      healthChecks:
        - {apiVersion: apps/v1, kind: StatefulSet, name: cache, namespace: cache}
      healthCheckExprs:
        - apiVersion: example.com/v1
          kind: Widget
          current: status.ready
          inProgress: status.progressing
          failed: status.failed
  - name: report
    namespace: report
    jsonnet: {file: report/main.jsonnet, jpath: [lib, vendor]}
    dependsOn: []
validation: {namespaces: [made-by-terraform, monitoring]}
`
	got, err := Parse([]byte(src), "kiln.yaml", "/repo")
	if err != nil {
		t.Fatal(err)
	}
	want := &Pipeline{
		File: "kiln.yaml", Root: "/repo",
		Environments: []Environment{{Name: "dev", Mode: "push", Config: "environments/development.yaml", Line: 4}},
		KubeVersion:  "v1.30.2", KubeVersionLine: 5,
		Manifests: Manifests{Repo: "git@github.com:acme/fleet.git", GitHub: "acme/fleet", Branch: "release", Path: "fleet/{env}/apps"},
		Flux: Flux{Name: "{app}-{env}", Namespace: "flux", SourceRef: SourceRef{Kind: "OCIRepository", Name: "fleet", Namespace: "flux-sources", OriginRevision: true},
			Interval: "1h30m", Timeout: "90s", Prune: false, Wait: true, DecryptionSecret: "fleet-keys", NameLine: 11, NamespaceLine: 12, SourceRefLine: 13,
			Bootstrap: &Bootstrap{Name: "fleet-{env}", Namespace: "flux", Line: 19}},
		Notifications: &Notifications{SecretRef: "gh", Dispatch: "acme/app", Line: 20},
		Validation:    Validation{Namespaces: []string{"made-by-terraform", "monitoring"}},
		Apps: []App{
			{Name: "cache", Namespace: "cache", Engine: "helm",
				Helm: &Helm{Chart: "redis", Repo: "oci://ghcr.io/acme/charts", Version: "17.3", Values: []string{"values/common.yaml", "values/{env}.yaml"}, SkipCRDs: true},
				Flux: AppFlux{Interval: "2m", Timeout: "1m", Wait: ptr(false), DecryptionSecret: "cache-keys",
					HealthChecks:     []HealthCheck{{APIVersion: "apps/v1", Kind: "StatefulSet", Name: "cache", Namespace: "cache", File: "kiln.yaml", Line: 36}},
					HealthCheckExprs: []HealthCheckExpr{{APIVersion: "example.com/v1", Kind: "Widget", Current: "status.ready", InProgress: "status.progressing", Failed: "status.failed", File: "kiln.yaml", Line: 38}},
				},
				Line: 22},
			{Name: "report", Namespace: "report", Engine: "jsonnet", Jsonnet: &Jsonnet{File: "report/main.jsonnet", JPath: []string{"lib", "vendor"}},
				DependsOn: []Dependency{}, Line: 43},
		},
	}
	if diff := cmp.Diff(want, got, ignoreDigest); diff != "" {
		t.Errorf("Parse (-want +got):\n%s", diff)
	}
	if got, want := got.FluxName("cache", "dev"), "cache-dev"; got != want {
		t.Errorf("FluxName = %q, want %q", got, want)
	}
	if ns, name, ok := got.BootstrapKustomization("dev"); ns != "flux" || name != "fleet-dev" || !ok {
		t.Errorf("BootstrapKustomization = %q, %q, %v, want flux, fleet-dev, true", ns, name, ok)
	}
}

// TestParseAnchors checks that YAML anchors and merge keys work, and that
// explicit keys win over merged ones.
func TestParseAnchors(t *testing.T) {
	t.Parallel()
	const src = `apiVersion: kiln/v1alpha1
kind: Pipeline
environments: [{name: dev}]
apps:
  - &base
    name: a
    namespace: shared
    kustomize: apps/a
  - <<: *base
    name: b
    kustomize: apps/b
`
	got, err := Parse([]byte(src), "kiln.yaml", "/repo")
	if err != nil {
		t.Fatal(err)
	}
	want := []App{
		{Name: "a", Namespace: "shared", Engine: "kustomize", Kustomize: "apps/a", Line: 5},
		{Name: "b", Namespace: "shared", Engine: "kustomize", Kustomize: "apps/b", Line: 9},
	}
	if diff := cmp.Diff(want, got.Apps, ignoreAt); diff != "" {
		t.Errorf("Apps (-want +got):\n%s", diff)
	}
}

func TestInferGitHub(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		repo, want string
	}{
		{repo: "https://github.com/acme/manifests.git", want: "acme/manifests"},
		{repo: "https://github.com/acme/manifests", want: "acme/manifests"},
		{repo: "https://github.com/acme/manifests/", want: "acme/manifests"},
		{repo: "git@github.com:acme/manifests.git", want: "acme/manifests"},
		{repo: "ssh://git@github.com/acme/manifests.git", want: "acme/manifests"},
		{repo: "https://GitHub.com/acme/my.repo.git", want: "acme/my.repo"},
		{repo: "https://github.example.com/acme/manifests.git", want: ""},
		{repo: "https://gitlab.com/acme/manifests.git", want: ""},
		{repo: "https://github.com/acme", want: ""},
		{repo: "https://github.com/acme/manifests/tree/main", want: ""},
		{repo: "/srv/git/manifests.git", want: ""},
		{repo: "", want: ""},
	} {
		t.Run(tc.repo, func(t *testing.T) {
			t.Parallel()
			if got := inferGitHub(tc.repo); got != tc.want {
				t.Errorf("inferGitHub(%q) = %q, want %q", tc.repo, got, tc.want)
			}
		})
	}
}

func TestEnvUnknown(t *testing.T) {
	t.Parallel()
	p := specPipeline("/repo")
	for _, tc := range []struct {
		name, want string
	}{
		{name: "stagign", want: "kiln.yaml: environment \"stagign\": no such environment (did you mean \"staging\"?)\n  hint: the environments in kiln.yaml are dev, staging, prod"},
		{name: "qa", want: "kiln.yaml: environment \"qa\": no such environment\n  hint: the environments in kiln.yaml are dev, staging, prod"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := p.Env(tc.name)
			if err == nil {
				t.Fatal("no error")
			}
			if diff := cmp.Diff(tc.want, err.Error()); diff != "" {
				t.Errorf("Env error (-want +got):\n%s", diff)
			}
		})
	}
	e, err := p.Env("staging")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&p.Environments[1], e); diff != "" {
		t.Errorf("Env (-want +got):\n%s", diff)
	}
}

func TestLoadEnvFile(t *testing.T) {
	t.Parallel()
	const pipeline = `apiVersion: kiln/v1alpha1
kind: Pipeline
environments:
  - name: dev
  - name: prod
    config: config/production.yaml
  - name: qa
    config: ../outside/qa.yaml
apps:
  - {name: web, namespace: web, yaml: deploy}
`
	base := writeFiles(t, map[string]string{
		"outside/qa.yaml":             "vars: {A: b}\n",
		"repo/kiln.yaml":              pipeline,
		"repo/config/production.yaml": "vars: {LEVEL: info}\n",
	})
	root, outside := filepath.Join(base, "repo"), filepath.Join(base, "outside")
	if err := os.MkdirAll(filepath.Join(root, "envs"), 0o755); err != nil {
		t.Fatal(err)
	}
	p, err := Load(filepath.Join(root, "kiln.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		env     string
		symlink bool // envs/dev.yaml -> a file outside the repository
		want    *EnvFile
		wantErr string
	}{
		{
			name: "missing default file is empty",
			env:  "dev",
			want: &EnvFile{File: "envs/dev.yaml", Vars: map[string]string{}, SecretVars: map[string]string{},
				Apps: map[string]Override{}, Lines: map[string]int{}},
		},
		{
			name: "config key",
			env:  "prod",
			want: &EnvFile{File: "config/production.yaml", Vars: map[string]string{"LEVEL": "info"}, SecretVars: map[string]string{},
				Apps: map[string]Override{}, Lines: map[string]int{"LEVEL": 1}},
		},
		{
			name:    "config outside the repository",
			env:     "qa",
			wantErr: "kiln.yaml:7: environment qa: config \"../outside/qa.yaml\" is outside the repository",
		},
		{
			name:    "unknown env",
			env:     "prd",
			wantErr: "kiln.yaml: environment \"prd\": no such environment (did you mean \"prod\"?)",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := p.LoadEnvFile(tc.env)
			if tc.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want prefix %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, ignoreDigest); diff != "" {
				t.Errorf("LoadEnvFile (-want +got):\n%s", diff)
			}
		})
	}

	// Runs after the cases above, which need envs/dev.yaml missing.
	t.Run("symlink out of the repository", func(t *testing.T) {
		if err := os.Symlink(filepath.Join(outside, "qa.yaml"), filepath.Join(root, "envs", "dev.yaml")); err != nil {
			t.Skip("no symlinks:", err)
		}
		_, err := p.LoadEnvFile("dev")
		const want = "kiln.yaml:4: environment dev: config \"envs/dev.yaml\" is outside the repository\n  hint: keep environment files inside the folder of kiln.yaml"
		if err == nil || err.Error() != want {
			t.Errorf("error = %v, want %q", err, want)
		}
	})
}

// TestPatchJSONIgnoresPosition: render digests an app's patches as JSON
// for the lock's inputDigest, so a comment line added above them (such as
// the `# yaml-language-server: $schema=` line) must not change that JSON.
func TestPatchJSONIgnoresPosition(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/spec/envs/dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	digestOf := func(data []byte) string {
		ef, err := ParseEnvFile(data, "envs/dev.yaml")
		if err != nil {
			t.Fatal(err)
		}
		out, err := json.Marshal(ef.Apps["vote"].Patches)
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	want := digestOf(data)
	if got := digestOf(append([]byte("# yaml-language-server: $schema=env.schema.json\n\n"), data...)); got != want {
		t.Errorf("patches JSON moved with the patch:\n got %s\nwant %s", got, want)
	}
}

// ignoreDigest leaves the files' digests out of comparisons of what they
// say (TestDigestIsOfTheBytes checks them), and where paths are written.
var ignoreDigest = cmp.Options{cmpopts.IgnoreFields(Pipeline{}, "Digest"), cmpopts.IgnoreFields(EnvFile{}, "Digest"), ignoreAt}

// ignoreAt leaves out where each path is written, which TestPathsAt
// checks.
var ignoreAt = cmpopts.IgnoreTypes(At{}, []At{})

// TestDigestIsOfTheBytes: the render cache keys an env's output on these
// digests, so any byte of the files, a comment included, changes them.
func TestDigestIsOfTheBytes(t *testing.T) {
	a := "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments: [{name: dev}]\nmanifests: {github: acme/m}\napps: [{name: a, namespace: a, yaml: a}]\n"
	p1, err := Parse([]byte(a), "kiln.yaml", "/repo")
	if err != nil {
		t.Fatal(err)
	}
	p2, err := Parse([]byte(a+"# a comment\n"), "kiln.yaml", "/repo")
	if err != nil {
		t.Fatal(err)
	}
	if p1.Digest == "" || p1.Digest == p2.Digest {
		t.Errorf("digests %q and %q", p1.Digest, p2.Digest)
	}
	e1, _ := ParseEnvFile([]byte("vars: {A: b}\n"), "envs/dev.yaml")
	e2, _ := ParseEnvFile([]byte("vars: {A: b} # c\n"), "envs/dev.yaml")
	if e1.Digest == "" || e1.Digest == e2.Digest {
		t.Errorf("env file digests %q and %q", e1.Digest, e2.Digest)
	}
}

// TestValuesErrorsShowNoValue: Helm values in an env file are where a
// chart's passwords often live, and yaml.v3 quotes a value it cannot
// decode under its tag. The error names the file and line, not the value.
func TestValuesErrorsShowNoValue(t *testing.T) {
	t.Parallel()
	root := filepath.Join(writeFiles(t, map[string]string{
		"repo/kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\n" +
			"apps:\n  - name: web\n    namespace: web\n    helm: {chart: c}\n",
		"repo/envs/dev.yaml": "apps:\n  web:\n    values: {pw: !!float Sup3rS3cret}\n",
	}), "repo")
	p, err := Load(filepath.Join(root, "kiln.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.LoadEnvFile("dev")
	if err == nil || !strings.HasPrefix(err.Error(), "envs/dev.yaml:3: ") || strings.Contains(err.Error(), "S3cret") {
		t.Errorf("LoadEnvFile() error = %v, want one at envs/dev.yaml:3 without the value", err)
	}
}

// TestValuesReadLikeAValuesFile: Helm reads a values file as YAML 1.1
// (sigs.k8s.io/yaml), so unquoted yes/on/off/y/n are bools and a timestamp
// stays the string written. The env's values must reach the chart as if
// they were one more -f file, after the JSON round trip the helm engine
// gives them.
func TestValuesReadLikeAValuesFile(t *testing.T) {
	t.Parallel()
	values := "b1: yes\nb2: On\nb3: off\nb4: y\nb5: N\nb6: !!bool yes\ns1: 'yes'\ns2: \"on\"\ns3: !!str off\n" +
		"t1: 2024-01-01\nt2: 2001-12-14 21:59:43.10 -5\nt3: !!timestamp 2024-01-02\nt4: '2024-01-03'\n" +
		"list: [yes, 2024-01-01, no]\nyes: key\n2024-01-04: key\nn1: 1.10\nn2: 010\nn3: 1_000\nz: ~\n1.23456789: float key\n1.5: short float key\n" +
		"anchored: &a {on: 2024-01-05}\nmerged: {<<: *a, x: off}\n"
	env, err := ParseEnvFile([]byte("vars: {X: &out y}\napps:\n  web:\n    values:\n      "+strings.ReplaceAll(values, "\n", "\n      ")+"alias: *out\n"), "envs/dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if env.Vars["X"] != "y" {
		t.Errorf("vars X = %q, want the string y: reading values must not change the nodes they alias", env.Vars["X"])
	}
	if diff := diffFromValuesFile(t, values+"alias: y\n", env.Apps["web"].Values); diff != "" {
		t.Errorf("env values (-as helm reads a values file +got):\n%s", diff)
	}
}

// TestValuesNonSpecificTag: YAML's non-specific tag ("! 12") makes a
// scalar a string, and Helm's reader follows it ("! yes" too is the string
// yes); yaml.v3 drops the tag and read the number 12, so the chart got
// another value than `helm template -f` gives it. Anchored, aliased, in
// flow collections, after multi-byte characters on the same line.
func TestValuesNonSpecificTag(t *testing.T) {
	t.Parallel()
	values := "a: ! 12\nb: ! yes\nc: &c ! 7\nd: *c\ne: ! null\nf: ! ~\ng: ! 1.5\nh: ! 2024-01-01\n" +
		"i: {j: ! 9, k: [! 1, 2, ! true]}\nl: [日本, ! 5, é, ! 6]\nm: '! 3'\nn: !!str 4\no: ! |\n  x\n" +
		"p: 1\nq: yes\n"
	env, err := ParseEnvFile([]byte("apps:\n  web:\n    values:\n      "+strings.ReplaceAll(strings.TrimSuffix(values, "\n"), "\n", "\n      ")+"\n"), "envs/dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if diff := diffFromValuesFile(t, values, env.Apps["web"].Values); diff != "" {
		t.Errorf("env values (-as helm reads a values file +got):\n%s", diff)
	}
	if v := env.Apps["web"].Values["a"]; v != "12" {
		t.Errorf("a = %#v, want the string 12", v)
	}
}

// diffFromValuesFile compares an env's values, after the JSON round trip
// the helm engine gives them, with what Helm's reader (sigs.k8s.io/yaml)
// makes of text as a values file.
func diffFromValuesFile(t *testing.T, text string, values map[string]any) string {
	t.Helper()
	js, err := json.Marshal(values)
	if err != nil {
		t.Fatal(err)
	}
	var got, want map[string]any
	if err := yaml.Unmarshal(js, &got); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal([]byte(text), &want); err != nil {
		t.Fatal(err)
	}
	return cmp.Diff(want, got)
}

// TestValuesNullKey: Helm refuses a values file with a null key; kiln
// made it the key "<nil>", which no chart reads, so the value was lost
// silently. It is an error at the key's line.
func TestValuesNullKey(t *testing.T) {
	t.Parallel()
	for _, key := range []string{"~", "null", "Null"} {
		_, err := ParseEnvFile([]byte("apps:\n  web:\n    values:\n      a:\n        "+key+": s3cret\n"), "envs/dev.yaml")
		if err == nil || !strings.Contains(err.Error(), "envs/dev.yaml:5") || !strings.Contains(err.Error(), "a key is null") {
			t.Errorf("key %s: error = %v, want one at envs/dev.yaml:5 naming the null key", key, err)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("key %s: error shows the value: %v", key, err)
		}
	}
	if _, err := ParseEnvFile([]byte("apps:\n  web:\n    values:\n      a:\n        '~': x\n        \"null\": y\n"), "envs/dev.yaml"); err != nil {
		t.Errorf("quoted keys: %v", err)
	}
}

// TestValuesMergeKeysLikeAValuesFile: sigs.k8s.io/yaml, which reads Helm's
// values files, applies a merge key where it is written, so it overrides
// the keys before it and a later merge key overrides an earlier one;
// yaml.v3 follows the YAML spec (written keys always win, one merge key).
// The same values in an env file gave the chart other values, silently.
func TestValuesMergeKeysLikeAValuesFile(t *testing.T) {
	t.Parallel()
	for _, values := range []string{
		"a: 1\n<<: {a: 2}\n",
		"<<: {a: 2}\na: 1\n",
		"<<: [{a: 1}, {a: 2}]\n",
		"<<: {a: 1}\n<<: {a: 2}\n",
		"a: 0\n<<: {a: 1, c: 5}\nb: 2\n<<: [{b: 3}, {b: 4, c: 6}]\n",
		"b: {x: 1}\n<<: {b: {y: 2}}\n",
		"x: &x {a: 1, b: 2}\nz:\n  b: 3\n  <<: *x\n",
		"x: &x {a: 1, <<: {b: 2}}\nz: {b: 3, <<: *x, a: 4}\n",
		"<<: {<<: {a: 1}, b: 2}\na: 3\n",
		"on: 1\n<<: {yes: 2, 'on': 3}\n",
		"a: <<\nb: {c: <<}\n",
	} {
		env, err := ParseEnvFile([]byte("apps:\n  web:\n    values:\n      "+strings.ReplaceAll(strings.TrimSuffix(values, "\n"), "\n", "\n      ")+"\n"), "envs/dev.yaml")
		if err != nil {
			t.Errorf("%q: %v", values, err)
			continue
		}
		if diff := diffFromValuesFile(t, values, env.Apps["web"].Values); diff != "" {
			t.Errorf("%q: env values (-as helm reads a values file +got):\n%s", values, diff)
		}
	}
}

// TestValuesMergeKeyErrors: what Helm refuses in merge keys, kiln refuses
// at the value's line, and an alias bomb through merge keys is still
// bounded by yaml.v3's alias limit.
func TestValuesMergeKeyErrors(t *testing.T) {
	t.Parallel()
	bomb := "a: &a {k: [x, x, x, x, x, x, x, x, x, x]}\n"
	prev := "a"
	for i := range 12 {
		name := fmt.Sprintf("b%d", i)
		bomb += name + ": &" + name + " {<<: [*" + prev + ", {m: *" + prev + "}]"
		for j := range 9 {
			bomb += fmt.Sprintf(", k%d: *%s", j, prev)
		}
		bomb += "}\n"
		prev = name
	}
	for _, tc := range []struct{ values, want string }{
		{"<<: 1\n", "map merge requires map or sequence of maps"},
		{"<<: [{a: 1}, 2]\n", "map merge requires map or sequence of maps"},
		{"l: &l [{a: 1}]\nz: {<<: *l}\n", "map merge requires map or sequence of maps"},
		{bomb, "excessive aliasing"},
	} {
		_, err := ParseEnvFile([]byte("apps:\n  web:\n    values:\n      "+strings.ReplaceAll(strings.TrimSuffix(tc.values, "\n"), "\n", "\n      ")+"\n"), "envs/dev.yaml")
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "envs/dev.yaml:") {
			t.Errorf("%q: error = %v, want one at envs/dev.yaml saying %q", tc.values, err, tc.want)
		}
	}
}
