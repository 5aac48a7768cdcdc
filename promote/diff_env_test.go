package promote

import (
	"context"
	"encoding/json"
	"errors"
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

// diffEnvsT runs Diff of env against the env against in the pipeline at
// root, with the test's secret lookup, and checks that the secret value
// shows nowhere.
func diffEnvsT(t *testing.T, p *envconfig.Pipeline, env, against string, apps ...string) *DiffResult {
	t.Helper()
	res, err := Diff(context.Background(), p, DiffOptions{Env: env, AgainstEnv: against,
		Render: render.Options{Version: "test", LookupEnv: lookup, Apps: apps}})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(res.Unified(false), secretValue) || strings.Contains(string(doc), secretValue) {
		t.Error("the env diff shows the secret value")
	}
	return res
}

func loadPipeline(t *testing.T, file string) *envconfig.Pipeline {
	t.Helper()
	p, err := envconfig.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func changeList(res *DiffResult) []string {
	var out []string
	for _, c := range res.Changes {
		out = append(out, c.Op+" "+c.App+" "+c.AgainstObject+" -> "+c.Object)
	}
	return out
}

// TestDiffEnvsInstavote compares the example's prod with its staging: the
// same apps in the same namespaces, so every difference shown is one of
// the env files (replicas, log level, redis persistence, a patch) and
// none is the env's name in kiln's Flux objects.
func TestDiffEnvsInstavote(t *testing.T) {
	t.Parallel()
	p := loadPipeline(t, "../examples/instavote/kiln.yaml")
	res := diffEnvsT(t, p, "prod", "staging")
	if !res.Changed || res.Env != "prod" || res.AgainstEnv != "staging" || res.Against != "env staging" {
		t.Errorf("result = %+v", res)
	}
	want := []string{
		"changed db ConfigMap/instavote/db-config -> ConfigMap/instavote/db-config",
		"changed platform Namespace/instavote -> Namespace/instavote",
		"changed redis ConfigMap/instavote/redis -> ConfigMap/instavote/redis",
		"changed redis StatefulSet/instavote/redis -> StatefulSet/instavote/redis",
		"changed result Deployment/instavote/result -> Deployment/instavote/result",
		"changed vote Deployment/instavote/vote -> Deployment/instavote/vote",
	}
	if d := cmp.Diff(want, changeList(res)); d != "" {
		t.Errorf("changes (-want +got):\n%s", d)
	}
	wantApps := map[string]AppChanges{"db": {Changed: 1}, "platform": {Changed: 1}, "redis": {Changed: 2}, "result": {Changed: 1}, "vote": {Changed: 1}}
	if d := cmp.Diff(wantApps, res.Apps); d != "" {
		t.Errorf("Apps (-want +got):\n%s", d)
	}
	golden.File(t, "testdata/diffenv/instavote-prod-staging.diff", []byte(res.Unified(false)), *update)

	// The same env: no difference at all.
	same := diffEnvsT(t, p, "staging", "staging")
	if same.Changed || len(same.Changes) != 0 || same.Unified(false) != "" {
		t.Errorf("staging against itself = %+v", same)
	}
	// --app: only that app's objects.
	if got := changeList(diffEnvsT(t, p, "prod", "staging", "vote")); len(got) != 1 || !strings.Contains(got[0], "Deployment/instavote/vote") {
		t.Errorf("--app vote: %q", got)
	}
}

// TestDiffEnvsAligned: each env puts vote in a namespace of its own, makes
// that Namespace in platform, and names the Kustomizations {app}-{env}.
// Those differences are the envs' mapping and do not show. An object an env
// file puts in another namespace outside that mapping, and a Secret's
// data, do, masked.
func TestDiffEnvsAligned(t *testing.T) {
	t.Parallel()
	root := filepath.Join(t.TempDir(), "instavote")
	if err := os.CopyFS(root, os.DirFS("../examples/instavote")); err != nil {
		t.Fatal(err)
	}
	write := func(file, data string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(root, file), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	kiln, err := os.ReadFile(filepath.Join(root, "kiln.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	write("kiln.yaml", strings.Replace(string(kiln), `name: "{app}"`, `name: "{app}-{env}"`, 1))
	for env, legacy := range map[string]string{"staging": "legacy-a", "prod": "legacy-b"} {
		write("envs/"+env+".yaml", `vars:
  ENV_NAME: same
  REDIS_HOST: redis-master.instavote.svc
  LOG_LEVEL: info
  VOTE_NS: vote-`+env+`
  LEGACY_NS: `+legacy+`
secretVars:
  API_KEY: TEST_API_KEY_`+env+`
allowPlainSecrets: true
apps:
  vote:
    namespace: vote-`+env+`
    kustomize: apps/vote/overlays/staging
`)
	}
	write("platform/vote-namespace.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${VOTE_NS}\n")
	write("apps/db/legacy.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: legacy\n  namespace: ${LEGACY_NS}\ndata:\n  a: b\n")
	write("apps/db/secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db-key\nstringData:\n  key: ${API_KEY}\n  user: kiln\n")
	p := loadPipeline(t, filepath.Join(root, "kiln.yaml"))
	lookup := func(k string) (string, bool) {
		v, ok := map[string]string{"TEST_API_KEY_staging": secretValue, "TEST_API_KEY_prod": secretValue + "-prod"}[k]
		return v, ok
	}
	res, err := Diff(context.Background(), p, DiffOptions{Env: "prod", AgainstEnv: "staging",
		Render: render.Options{Version: "test", LookupEnv: lookup}})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	u := res.Unified(false)
	if strings.Contains(u, secretValue) || strings.Contains(string(doc), secretValue) {
		t.Error("the env diff shows a secret value")
	}
	golden.File(t, "testdata/diffenv/aligned-prod-staging.diff", []byte(u), *update)
	want := []string{
		"changed db ConfigMap/legacy-a/legacy -> ConfigMap/legacy-b/legacy",
		"changed db Secret/instavote/db-key -> Secret/instavote/db-key",
		// result's jsonnet asks for 3 replicas in env prod: drift that
		// only the template knows, shown.
		"changed result Deployment/instavote/result -> Deployment/instavote/result",
	}
	if d := cmp.Diff(want, changeList(res)); d != "" {
		t.Errorf("changes (-want +got):\n%s", d)
	}
	for _, s := range []string{"-  namespace: legacy-a\n", "+  namespace: legacy-b\n", "-  key: '**redacted: previous value**'\n", "+  key: '**redacted: new value**'\n", "   user: '**redacted**'\n",
		"--- staging/apps/db/ConfigMap/legacy-a/legacy\n", "+++ prod/apps/db/ConfigMap/legacy-b/legacy\n"} {
		if !strings.Contains(u, s) {
			t.Errorf("the diff lacks %q:\n%s", s, u)
		}
	}
}

// TestDiffEnvsSOPS: two envs encrypt the same Secret value, each anew.
// With the age key their review compares plaintext and finds nothing;
// without it, only ciphertext, which always differs, and the review says
// so. Neither shows a value or ciphertext.
func TestDiffEnvsSOPS(t *testing.T) {
	t.Parallel()
	f, identity := encryptingFixture(t)
	p := f.pipeline(t)
	run := func(ids string) *DiffResult {
		t.Helper()
		res, err := Diff(context.Background(), p, DiffOptions{Env: "staging", AgainstEnv: "dev",
			Render: render.Options{Version: "test", LookupEnv: lookup, SOPSIdentities: ids}})
		if err != nil {
			t.Fatal(err)
		}
		if u := res.Unified(false); strings.Contains(u, secretValue) || strings.Contains(u, "ENC[") {
			t.Errorf("the diff shows a secret value or its ciphertext:\n%s", u)
		}
		return res
	}
	greeting := "changed web Deployment/shop/web -> Deployment/shop/web"
	if d := cmp.Diff([]string{greeting}, changeList(run(identity))); d != "" {
		t.Errorf("with the age key (-want +got):\n%s", d)
	}
	res := run("")
	if d := cmp.Diff([]string{"changed cache Secret/shop/cache -> Secret/shop/cache", greeting}, changeList(res)); d != "" {
		t.Errorf("without the age key (-want +got):\n%s", d)
	}
	for _, s := range []string{"-  key: '**encrypted: previous ciphertext**'\n", "+  key: '**encrypted: new ciphertext**'\n", "by ciphertext"} {
		if u := res.Unified(false); !strings.Contains(u, s) {
			t.Errorf("the diff lacks %q:\n%s", s, u)
		}
	}
}

// TestDiffEnvsSecretInAnotherNamespace: a Secret of an app whose namespace
// differs per env pairs across the namespaces, and its values were masked
// by namespace and name: a value that differs between the envs was masked
// alike on both sides, so the Secret was listed as changed with a diff
// that showed nothing. Its changed key shows as changed, its other keys as
// equal. Real git repositories on disk.
func TestDiffEnvsSecretInAnotherNamespace(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	envFile := func(env string) string {
		return "vars:\n  GREETING: hello-" + env + "\nsecretVars:\n  API_KEY: TEST_API_KEY\nallowPlainSecrets: true\napps:\n  web:\n    namespace: web-" + env + "\n"
	}
	f.commitCode(t, map[string]string{
		"apps/web/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: greet\nstringData:\n  greeting: ${GREETING}\n  key: ${API_KEY}\n",
		"envs/dev.yaml":        envFile("dev"),
		"envs/staging.yaml":    envFile("staging"),
	}, "a namespace per env")
	res := diffEnvsT(t, loadPipeline(t, filepath.Join(f.code, "kiln.yaml")), "staging", "dev")
	if got := changeList(res); !slices.Contains(got, "changed web Secret/web-dev/greet -> Secret/web-staging/greet") {
		t.Fatalf("changes: %q", got)
	}
	u := res.Unified(false)
	for _, s := range []string{"--- dev/apps/web/Secret/web-dev/greet\n+++ staging/apps/web/Secret/web-staging/greet\n",
		"-  greeting: '**redacted: previous value**'\n+  greeting: '**redacted: new value**'\n", "   key: '**redacted**'\n"} {
		if !strings.Contains(u, s) {
			t.Errorf("the diff lacks %q:\n%s", s, u)
		}
	}
}

// TestDiffEnvsOnlyMaskedDiffers: two envs whose Secret differs only where
// the diff masks alike on both sides (a comment, which may hold a value;
// here a chart's, from each env's values: the yaml engine leaves comments
// unsubstituted, as Flux never sees them) list the Secret as changed, and
// its diff says that something masked changed, as Diff against the
// manifests branch does: the diff was empty, so kiln diff --against-env
// counted an object that differs and showed nothing of it.
func TestDiffEnvsOnlyMaskedDiffers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	kiln, err := os.ReadFile(filepath.Join(f.code, "kiln.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	envFile := func(env string) string {
		return "vars:\n  GREETING: hello\nsecretVars:\n  API_KEY: TEST_API_KEY\nallowPlainSecrets: true\napps:\n  greet:\n    values: {rotated: at-" + env + "}\n"
	}
	f.commitCode(t, map[string]string{
		"kiln.yaml":                     string(kiln) + "  - name: greet\n    namespace: shop\n    helm: {chart: charts/greet}\n",
		"charts/greet/Chart.yaml":       "apiVersion: v2\nname: greet\nversion: 0.1.0\n",
		"charts/greet/templates/s.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: greet\n  # rotated {{ .Values.rotated }}\nstringData:\n  key: fixed-value\n",
		"envs/dev.yaml":                 envFile("dev"),
		"envs/staging.yaml":             envFile("staging"),
	}, "a comment per env")
	res := diffEnvsT(t, loadPipeline(t, filepath.Join(f.code, "kiln.yaml")), "staging", "dev")
	if got := changeList(res); !slices.Contains(got, "changed greet Secret/shop/greet -> Secret/shop/greet") {
		t.Fatalf("changes: %q", got)
	}
	u := res.Unified(false)
	for _, s := range []string{"--- dev/apps/greet/Secret/shop/greet\n+++ staging/apps/greet/Secret/shop/greet\n", "+" + maskedChange} {
		if !strings.Contains(u, s) {
			t.Errorf("the diff lacks %q:\n%s", s, u)
		}
	}
	if strings.Contains(u, "at-dev") || strings.Contains(u, "at-staging") {
		t.Errorf("the diff shows the Secret's comment:\n%s", u)
	}
}

// TestDiffEnvsJudgesItsImages: a diff against another env renders both
// envs together and judges the images over both, also when the caller
// leaves that judgement to itself (JudgeImagesLater, kiln diff over
// several envs): the diff of one env with another is its own run.
func TestDiffEnvsJudgesItsImages(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, err := Diff(context.Background(), f.pipeline(t), DiffOptions{Env: "staging", AgainstEnv: "dev",
		Render: render.Options{Version: "test", LookupEnv: lookup, Strict: true, JudgeImagesLater: true,
			Images: render.Images{Refs: []string{"ghcr.io/acme/nothing:1"}}}})
	var re *RenderError
	if !errors.As(err, &re) || re.Env != "dev" ||
		!strings.Contains(err.Error(), "image ghcr.io/acme/nothing is used by no app in any of the rendered envs (staging, dev)") {
		t.Errorf("an image neither env runs, under Strict: %v; want dev's (the last env's) error naming both", err)
	}
}
