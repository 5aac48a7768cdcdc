package envconfig

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func lookupMap(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// overridesPipeline exercises every kind of override.
const overridesPipeline = `apiVersion: kiln/v1alpha1
kind: Pipeline
environments:
  - name: dev
manifests:
  path: ./gitops//{env}/apps/
apps:
  - name: remote
    namespace: remote
    helm:
      repo: https://charts.example.com
      chart: redis
      version: 1.0.0
      values: ["values/{env}.yaml"]
      skipCRDs: true
    flux: {interval: 1m, healthChecks: [{kind: Deployment, name: remote}]}
  - name: local
    namespace: local
    helm: {repo: https://charts.example.com, chart: redis, version: 1.0.0}
  - name: switched
    namespace: switched
    kustomize: apps/switched
    dependsOn: [remote, flux-system/infra]
  - name: lib
    namespace: lib
    jsonnet: {file: "lib/{env}.jsonnet", jpath: [vendor]}
  - name: gone
    namespace: gone
    yaml: gone
`

const overridesEnv = `vars: {A: "1"}
secretVars: {TOKEN: DEV_TOKEN}
allowPlainSecrets: true
sops: {age: [age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p]}
apps:
  remote:
    helm: {version: 2.0.0, skipCRDs: false}
    values:
      image: {tag: v2}
      list: [1, two]
      1: numeric key
    flux: {timeout: 9m, wait: true}
  local:
    helm: {chart: "charts/local-{env}", values: [], skipCRDs: true}
  switched:
    yaml: "plain/{env}"
    dependsOn: []
    patches:
      - path: "patches/{env}/switched.yaml"
  lib:
    jsonnet: {jpath: ["vendor/{env}", lib]}
    namespace: lib-dev
  gone:
    enabled: false
`

func TestResolve(t *testing.T) {
	t.Parallel()
	spec, err := Load("testdata/spec/kiln.yaml")
	if err != nil {
		t.Fatal(err)
	}
	specEnvData, err := os.ReadFile("testdata/spec/envs/dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	specEnv, err := ParseEnvFile(specEnvData, "envs/dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ov, err := Parse([]byte(overridesPipeline), "kiln.yaml", "/repo")
	if err != nil {
		t.Fatal(err)
	}
	ovEnv, err := ParseEnvFile([]byte(overridesEnv), "envs/dev.yaml")
	if err != nil {
		t.Fatal(err)
	}

	specApps := spec.Apps
	for _, tc := range []struct {
		name   string
		p      *Pipeline
		env    string
		ef     *EnvFile
		lookup map[string]string
		want   *Resolved
	}{
		{
			name:   "spec example dev",
			p:      spec,
			env:    "dev",
			ef:     specEnv,
			lookup: map[string]string{"DEV_DB_PASSWORD": "hunter2"},
			want: &Resolved{
				Env:           spec.Environments[0],
				Vars:          map[string]string{"REDIS_HOST": "redis-master.instavote.svc", "LOG_LEVEL": "debug", "DB_PASSWORD": "hunter2"},
				Secrets:       map[string]string{"DB_PASSWORD": "hunter2"},
				ManifestsPath: "clusters/dev",
				Apps: []ResolvedApp{
					{App: specApps[0], Values: map[string]any{"replicas": 1}},
					{App: App{Name: "vote", Namespace: "instavote-dev", Engine: "kustomize", Kustomize: "apps/vote/overlays/dev",
						DependsOn: []Dependency{{Name: "redis", File: "kiln.yaml", Line: 47}}, Line: 44},
						Patches: []Patch{{Target: &Selector{Kind: "Deployment", Name: "vote"},
							Patch: "- {op: replace, path: /spec/replicas, value: 3}", File: "envs/dev.yaml", Line: 12, TextLine: 14}}},
					{App: specApps[3]},
					{App: specApps[4]},
				},
				Disabled: []string{"result"},
			},
		},
		{
			name: "spec example staging without env file",
			p:    spec,
			env:  "staging",
			want: &Resolved{
				Env:           spec.Environments[1],
				Vars:          map[string]string{},
				Secrets:       map[string]string{},
				ManifestsPath: "clusters/staging",
				Apps: []ResolvedApp{
					{App: specApps[0]},
					{App: App{Name: "vote", Namespace: "instavote", Engine: "kustomize", Kustomize: "apps/vote/overlays/staging",
						DependsOn: []Dependency{{Name: "redis", File: "kiln.yaml", Line: 47}}, Line: 44}},
					{App: specApps[2]},
					{App: specApps[3]},
					{App: specApps[4]},
				},
			},
		},
		{
			name:   "every override",
			p:      ov,
			env:    "dev",
			ef:     ovEnv,
			lookup: map[string]string{"DEV_TOKEN": "t0ken"},
			want: &Resolved{
				Env:               ov.Environments[0],
				Vars:              map[string]string{"A": "1", "TOKEN": "t0ken"},
				Secrets:           map[string]string{"TOKEN": "t0ken"},
				AllowPlainSecrets: true,
				SOPS:              &SOPS{Age: []string{"age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"}, EncryptedRegex: DefaultEncryptedRegex, Line: 4},
				ManifestsPath:     "gitops/dev/apps",
				Apps: []ResolvedApp{
					{
						App: App{Name: "remote", Namespace: "remote", Engine: "helm",
							Helm: &Helm{Repo: "https://charts.example.com", Chart: "redis", Version: "2.0.0", Values: []string{"values/dev.yaml"}},
							Flux: AppFlux{Interval: "1m", Timeout: "9m", Wait: ptr(true), HealthChecks: []HealthCheck{{Kind: "Deployment", Name: "remote", File: "kiln.yaml", Line: 16}}},
							Line: 8},
						Values: map[string]any{"image": map[string]any{"tag": "v2"}, "list": []any{1, "two"}, "1": "numeric key"},
					},
					{App: App{Name: "local", Namespace: "local", Engine: "helm",
						Helm: &Helm{Chart: "charts/local-dev", Values: []string{}, SkipCRDs: true}, Line: 17}},
					{
						App:     App{Name: "switched", Namespace: "switched", Engine: "yaml", YAML: "plain/dev", DependsOn: []Dependency{}, Line: 20},
						Patches: []Patch{{Path: "patches/dev/switched.yaml", File: "envs/dev.yaml", Line: 19}},
					},
					{App: App{Name: "lib", Namespace: "lib-dev", Engine: "jsonnet",
						Jsonnet: &Jsonnet{File: "lib/dev.jsonnet", JPath: []string{"vendor/dev", "lib"}}, Line: 24}},
				},
				Disabled: []string{"gone"},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.p.Resolve(tc.env, tc.ef, lookupMap(tc.lookup))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, ignoreAt); diff != "" {
				t.Errorf("Resolve (-want +got):\n%s", diff)
			}
		})
	}
}

// TestResolveLeavesInputs checks that Resolve changes neither the Pipeline
// nor the EnvFile, and that changing its result changes neither: kiln
// resolves several environments from one Pipeline, concurrently.
func TestResolveLeavesInputs(t *testing.T) {
	t.Parallel()
	parse := func() (*Pipeline, *EnvFile) {
		p, err := Parse([]byte(overridesPipeline), "kiln.yaml", "/repo")
		if err != nil {
			t.Fatal(err)
		}
		ef, err := ParseEnvFile([]byte(overridesEnv), "envs/dev.yaml")
		if err != nil {
			t.Fatal(err)
		}
		return p, ef
	}
	p, ef := parse()
	r, err := p.Resolve("dev", ef, lookupMap(map[string]string{"DEV_TOKEN": "x"}))
	if err != nil {
		t.Fatal(err)
	}
	for i := range r.Apps {
		a := &r.Apps[i]
		if a.Helm != nil {
			a.Helm.Values = append(a.Helm.Values[:0], "changed")
			a.Helm.Chart = "changed"
		}
		if a.Jsonnet != nil {
			a.Jsonnet.JPath[0] = "changed"
		}
		if len(a.Flux.HealthChecks) > 0 {
			a.Flux.HealthChecks[0].Name = "changed"
		}
		if a.Values != nil {
			a.Values["image"].(map[string]any)["tag"] = "changed"
		}
	}
	r.SOPS.Age[0] = "changed"
	wantP, wantEF := parse()
	if diff := cmp.Diff(wantP, p, ignoreDigest); diff != "" {
		t.Errorf("Pipeline changed (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantEF, ef, ignoreAt); diff != "" {
		t.Errorf("EnvFile changed (-want +got):\n%s", diff)
	}
}

// TestResolveJsonnetArgs: an env file's jsonnet.extVars and jsonnet.tlas
// are merged key by key over the app's, values of any type kept.
func TestResolveJsonnetArgs(t *testing.T) {
	t.Parallel()
	p, err := Parse([]byte(`apiVersion: kiln/v1alpha1
kind: Pipeline
environments: [{name: dev}]
manifests: {path: "clusters/{env}"}
apps:
  - name: result
    namespace: instavote
    jsonnet:
      file: apps/result/main.jsonnet
      extVars: {region: eu, replicas: 2}
      tlas: {conf: {tier: gold}}
`), "kiln.yaml", "/repo")
	if err != nil {
		t.Fatal(err)
	}
	ef, err := ParseEnvFile([]byte("apps:\n  result:\n    jsonnet:\n      extVars: {replicas: 3, debug: true}\n"), "envs/dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r, err := p.Resolve("dev", ef, lookupMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := &Jsonnet{File: "apps/result/main.jsonnet",
		ExtVars: map[string]any{"region": "eu", "replicas": 3, "debug": true},
		TLAs:    map[string]any{"conf": map[string]any{"tier": "gold"}}}
	if diff := cmp.Diff(want, r.Apps[0].Jsonnet, ignoreAt); diff != "" {
		t.Errorf("resolved jsonnet (-want +got):\n%s", diff)
	}
	if got := p.Apps[0].Jsonnet.ExtVars["replicas"]; got != 2 {
		t.Errorf("resolving changed the pipeline's extVars: replicas = %v", got)
	}
}

// TestJsonnetArgsDatesAsWritten: a date in jsonnet.extVars or tlas reaches
// the jsonnet as written. yaml.v3 read it as a time.Time, whose JSON is
// RFC 3339, so `release: 2024-01-01` gave "2024-01-01T00:00:00Z".
func TestJsonnetArgsDatesAsWritten(t *testing.T) {
	t.Parallel()
	ef, err := ParseEnvFile([]byte("apps:\n  result:\n    jsonnet:\n      extVars: {release: 2024-01-01, at: 2001-12-14 21:59:43.10, list: [2024-02-01], tagged: !!timestamp 2024-03-01}\n"+
		"      tlas: {conf: {since: 2024-01-01, other: &d 2024-04-01, again: *d}}\n"), "envs/dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	j := ef.Apps["result"].Jsonnet
	ext, tla := j.ExtVars, j.TLAs
	if diff := cmp.Diff(map[string]any{"release": "2024-01-01", "at": "2001-12-14 21:59:43.10", "list": []any{"2024-02-01"}, "tagged": time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)}, ext); diff != "" {
		t.Errorf("extVars (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"conf": map[string]any{"since": "2024-01-01", "other": "2024-04-01", "again": "2024-04-01"}}, tla); diff != "" {
		t.Errorf("tlas (-want +got):\n%s", diff)
	}
}

// TestJsonnetArgsNonSpecificTag: YAML's non-specific tag makes a scalar a
// string (`! 12`), which yaml.v3 drops; the jsonnet got the number 12.
func TestJsonnetArgsNonSpecificTag(t *testing.T) {
	t.Parallel()
	ef, err := ParseEnvFile([]byte("apps:\n  result:\n    jsonnet:\n      extVars: {port: ! 8080, on: ! true, plain: 8080}\n      tlas: {conf: {n: ! 1.5}}\n"), "envs/dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	j := ef.Apps["result"].Jsonnet
	if diff := cmp.Diff(map[string]any{"port": "8080", "on": "true", "plain": 8080}, j.ExtVars); diff != "" {
		t.Errorf("extVars (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"conf": map[string]any{"n": "1.5"}}, j.TLAs); diff != "" {
		t.Errorf("tlas (-want +got):\n%s", diff)
	}
}

// TestQuotableEnvName: the names an unset secret var's error may quote
// are the conventional ones; anything a pasted secret looks like is not.
func TestQuotableEnvName(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"DEV_DB_PASSWORD":                 true,
		"AWS_SECRET_ACCESS_KEY":           true,
		"OAUTH2_CLIENT_SECRET":            true,
		"K8S_TOKEN":                       true,
		"DB_PASSWORD_2024":                true,
		"SHA256_KEY":                      true,
		"E2E":                             true,
		"":                                false,
		"Xk9pLm2Qz7":                      false, // mixed case: a password
		"dev_db_password":                 false, // lower case
		"XK9PLM2QZ7":                      false, // a digit inside a long word
		"AKIAIOSFODNN7EXAMPLE":            false, // an access key ID
		"ABCDEFGHIJKLMNOPQ":               false, // a word of 17 letters
		"_DEV_TOKEN":                      false,
		"1TOKEN":                          false,
		"DEV_" + strings.Repeat("A_", 31): false, // over 64 characters
	} {
		if got := quotableEnvName(name); got != want {
			t.Errorf("quotableEnvName(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestPatchTextLine: an inline patch written as a literal block has its
// text's first line recorded, so that each of its documents can be located
// at its own line of the env file; a quoted or folded patch has none.
func TestPatchTextLine(t *testing.T) {
	t.Parallel()
	ef, err := ParseEnvFile([]byte("apps:\n  web:\n    patches:\n      - patch: |\n          apiVersion: v1\n          kind: ConfigMap\n          metadata: {name: a}\n          ---\n          apiVersion: v1\n          kind: ConfigMap\n          metadata: {name: b}\n"+
		"      - patch: \"apiVersion: v1\\nkind: ConfigMap\\nmetadata: {name: c}\\n\"\n"), "envs/dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ps := ef.Apps["web"].Patches
	if len(ps) != 2 || ps[0].TextLine != 5 || ps[1].TextLine != 0 {
		t.Fatalf("patches = %+v, want the first's text at line 5 and none for the quoted one", ps)
	}
}

// TestPathsAt: each path an app names says where it is written, in
// kiln.yaml or in the env file whose override sets it, so that render
// can report a path that leads outside the repository or is missing at
// its entry.
func TestPathsAt(t *testing.T) {
	t.Parallel()
	p, err := Parse([]byte(`apiVersion: kiln/v1alpha1
kind: Pipeline
environments: [{name: dev}]
manifests: {path: "clusters/{env}"}
apps:
  - name: chart
    namespace: web
    helm:
      chart: charts/web
      values: [a.yaml, b.yaml]
  - name: kust
    namespace: web
    kustomize: k
  - name: net
    namespace: web
    jsonnet: {file: j/main.jsonnet}
  - name: plain
    namespace: web
    yaml: y
`), "kiln.yaml", "/repo")
	if err != nil {
		t.Fatal(err)
	}
	ef, err := ParseEnvFile([]byte("apps:\n  chart:\n    helm:\n      values: [dev.yaml]\n  plain:\n    kustomize: k2\n"), "envs/dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r, err := p.Resolve("dev", ef, lookupMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]At{
		"chart":  r.Apps[0].Helm.ChartAt,
		"values": r.Apps[0].Helm.ValuesAt[0],
		"kust":   r.Apps[1].PathAt,
		"net":    r.Apps[2].Jsonnet.FileAt,
		"plain":  r.Apps[3].PathAt,
	}
	want := map[string]At{
		"chart":  {File: "kiln.yaml", Line: 9, Field: "apps[0].helm.chart"},
		"values": {File: "envs/dev.yaml", Line: 4, Field: "apps.chart.helm.values[0]"},
		"kust":   {File: "kiln.yaml", Line: 13, Field: "apps[1].kustomize"},
		"net":    {File: "kiln.yaml", Line: 16, Field: "apps[2].jsonnet.file"},
		"plain":  {File: "envs/dev.yaml", Line: 6, Field: "apps.plain.kustomize"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("where paths are written (-want +got):\n%s", diff)
	}
	if n := len(p.Apps[0].Helm.ValuesAt); n != 2 {
		t.Errorf("kiln.yaml's helm.values has %d places, want 2", n)
	}
}
