package promote

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/promote/internal/gh"
	"github.com/kiln-gitops/kiln/promote/internal/gittest"
	"github.com/kiln-gitops/kiln/render"
)

// secretValue is the value of the secret var API_KEY in every test.
const secretValue = "sup3r-s3cret-value"

// testToken is the GitHub token of every test; it must never show up.
const testToken = "ghs_testtoken_never_printed"

// project is a small code repository: two yaml apps, three envs.
func project(remote string) map[string]string {
	return map[string]string{
		"kiln.yaml": `apiVersion: kiln/v1alpha1
kind: Pipeline
environments:
  - name: dev
    mode: push
  - name: staging
    promoteFrom: dev
  - name: prod
    promoteFrom: staging
manifests:
  repo: ` + remote + `
  github: acme/manifests
  branch: main
  path: clusters/{env}
notifications:
  secretRef: github-token
  commitStatus: true
apps:
  - name: web
    namespace: shop
    yaml: apps/web
  - name: cache
    namespace: shop
    yaml: apps/cache
`,
		"envs/dev.yaml": `vars:
  GREETING: hello-dev
secretVars:
  API_KEY: TEST_API_KEY
allowPlainSecrets: true
`,
		"envs/staging.yaml": "vars:\n  GREETING: hello-staging\nsecretVars:\n  API_KEY: TEST_API_KEY\nallowPlainSecrets: true\n",
		"envs/prod.yaml":    "vars:\n  GREETING: hello-prod\nsecretVars:\n  API_KEY: TEST_API_KEY\nallowPlainSecrets: true\n",
		"apps/web/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: ghcr.io/acme/web:1.0.0
          env:
            - name: GREETING
              value: "${GREETING}"
`,
		"apps/web/service.yaml": `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
    - port: 80
`,
		"apps/cache/configmap.yaml": `apiVersion: v1
kind: Secret
metadata:
  name: cache
stringData:
  size: "64"
  key: "${API_KEY}"
`,
	}
}

// fixture is a code repository, a manifests remote and a fake GitHub.
type fixture struct {
	code   string
	remote string
	gh     *fakeGitHub
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureAt(t, nil)
}

// newFixtureAt is newFixture whose kiln.yaml names the manifests remote as
// at(remote) does, such as a URL serving it; nil names its path.
func newFixtureAt(t *testing.T, at func(remote string) string) *fixture {
	t.Helper()
	f := &fixture{code: filepath.Join(t.TempDir(), "code"), remote: gittest.Bare(t), gh: newFakeGitHub()}
	repo := f.remote
	if at != nil {
		repo = at(f.remote)
	}
	gittest.Commit(t, f.remote, "main", map[string]string{
		"README.md":                   "manifests\n",
		"clusters/prod/apps/x/a.yaml": "kind: ConfigMap\n",
	}, "seed")
	if err := os.MkdirAll(f.code, 0o755); err != nil {
		t.Fatal(err)
	}
	gittest.Git(t, f.code, "init", "-q", "--initial-branch=main")
	f.commitCode(t, project(repo), "initial")
	return f
}

// commitCode writes files into the code repository and commits them.
func (f *fixture) commitCode(t *testing.T, files map[string]string, msg string) string {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(f.code, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gittest.Git(t, f.code, "add", "-A")
	gittest.Git(t, f.code, "commit", "-q", "-m", msg)
	return f.head(t)
}

func (f *fixture) head(t *testing.T) string {
	t.Helper()
	head := gittest.Tip(t, f.code, "HEAD")
	if head == "" {
		t.Fatalf("no HEAD in %s", f.code)
	}
	return head
}

func (f *fixture) pipeline(t *testing.T) *envconfig.Pipeline {
	t.Helper()
	p, err := envconfig.Load(filepath.Join(f.code, "kiln.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// fromDev are the Options of a test promotion from dev to staging,
// rendered with dev's images (those of its lock), logging to log.
func (f *fixture) fromDev(t *testing.T, log *bytes.Buffer) Options {
	t.Helper()
	o := f.opts(t, "", log)
	o.From, o.To = "dev", "staging"
	o.Render.Images = render.Images{}
	return o
}

// opts are the Options of a test promotion of env, rendered at the code
// repository's HEAD.
func (f *fixture) opts(t *testing.T, env string, log *bytes.Buffer) Options {
	t.Helper()
	return Options{
		Env: env,
		Render: render.Options{
			Version:   "test",
			Source:    render.Source{Repo: "https://github.com/acme/shop", Commit: f.head(t)},
			LookupEnv: lookup,
			Images:    render.Images{Refs: []string{"ghcr.io/acme/web:1.2.3"}},
		},
		Token:    testToken,
		GitHub:   f.gh,
		GitEnv:   gittest.Env(),
		WorkDir:  t.TempDir(),
		Log:      log,
		Identity: Identity{},
	}
}

func lookup(k string) (string, bool) {
	if k == "TEST_API_KEY" {
		return secretValue, true
	}
	return "", false
}

// promote runs Promote and checks that neither the token nor the secret
// leaks into the log, the body or the error.
// writeRender renders the fixture's dev env with ro and writes it into
// out as kiln render --out does, for --rendered and --against DIR.
func writeRender(t *testing.T, f *fixture, ro render.Options, out string) {
	t.Helper()
	if err := render.WriteEnv(out, renderDev(t, f, ro)); err != nil {
		t.Fatal(err)
	}
}

// renderDev renders the fixture's dev env with ro.
func renderDev(t *testing.T, f *fixture, ro render.Options) *render.EnvResult {
	t.Helper()
	r, err := render.New(f.pipeline(t), ro)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	results, err := r.Render(context.Background(), []string{"dev"})
	if err != nil || results[0].Err != nil {
		t.Fatal(err, results[0].Err)
	}
	return results[0]
}

func promote(t *testing.T, f *fixture, opts Options) (*Result, error) {
	t.Helper()
	res, err := Promote(context.Background(), f.pipeline(t), opts)
	var texts []string
	if err != nil {
		texts = append(texts, err.Error())
	}
	if res != nil {
		data, jerr := json.Marshal(res)
		if jerr != nil {
			t.Fatal(jerr)
		}
		texts = append(texts, string(data), res.Body)
	}
	if lb, ok := opts.Log.(*bytes.Buffer); ok {
		texts = append(texts, lb.String())
	}
	for _, s := range texts {
		for _, secret := range []string{testToken, secretValue} {
			if strings.Contains(s, secret) {
				t.Errorf("output contains a secret:\n%s", s)
			}
		}
	}
	return res, err
}

func TestPromotePullRequestLifecycle(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var log bytes.Buffer
	mainBefore := gittest.Git(t, f.remote, "rev-parse", "main")

	// First promotion: a branch and a PR.
	res, err := promote(t, f, f.opts(t, "staging", &log))
	if err != nil {
		t.Fatalf("%v\nlog:\n%s", err, log.String())
	}
	if !res.Changed || res.Mode != ModePR || res.PRNumber != 1 || res.Branch != "kiln/staging" {
		t.Fatalf("first promotion = %+v", res)
	}
	if got := gittest.Git(t, f.remote, "rev-parse", "main"); got != mainBefore {
		t.Errorf("pr mode moved main")
	}
	files := gittest.Files(t, f.remote, "kiln/staging")
	var names []string
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	wantNames := []string{
		"README.md",
		"clusters/prod/apps/x/a.yaml",
		"clusters/staging/apps/cache/kustomization.yaml",
		"clusters/staging/apps/cache/secret_cache.yaml",
		"clusters/staging/apps/web/deployment_web.yaml",
		"clusters/staging/apps/web/kustomization.yaml",
		"clusters/staging/apps/web/service_web.yaml",
		"clusters/staging/flux/cache.yaml",
		"clusters/staging/flux/notifications.yaml",
		"clusters/staging/flux/web.yaml",
		"clusters/staging/high-level/cache/vars.yaml",
		"clusters/staging/high-level/web/vars.yaml",
		"clusters/staging/kiln.lock.json",
	}
	if diff := cmp.Diff(wantNames, names); diff != "" {
		t.Errorf("kiln/staging files (-want +got):\n%s", diff)
	}
	if !strings.Contains(files["clusters/staging/apps/web/deployment_web.yaml"], "ghcr.io/acme/web:1.2.3") {
		t.Errorf("the CI image is not in the deployment:\n%s", files["clusters/staging/apps/web/deployment_web.yaml"])
	}
	msg := gittest.Git(t, f.remote, "log", "-1", "--format=%B", "kiln/staging")
	sha := f.head(t)
	for _, want := range []string{"kiln: staging ← " + sha[:7] + " (web:1.2.3)", "Kiln-Env: staging", "Kiln-Source-Commit: " + sha} {
		if !strings.Contains(msg, want) {
			t.Errorf("commit message lacks %q:\n%s", want, msg)
		}
	}
	if got := gittest.Git(t, f.remote, "log", "-1", "--format=%an <%ae>", "kiln/staging"); got != "kiln <kiln@users.noreply.github.com>" {
		t.Errorf("author = %q", got)
	}
	if got := gittest.Git(t, f.remote, "rev-parse", "kiln/staging^"); got != mainBefore {
		t.Errorf("kiln/staging's parent = %s, want main %s", got, mainBefore)
	}
	pr := f.gh.pr(1)
	if pr.Head != "kiln/staging" || pr.Base != "main" || pr.Title != "kiln: staging ← "+sha[:7]+" (web:1.2.3)" || pr.Body != res.Body || pr.Body == "" {
		t.Errorf("PR = %+v", pr)
	}
	if diff := cmp.Diff([]string{"env/staging", "kiln"}, f.gh.labelsOf(1)); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	if !strings.Contains(res.Body, "**redacted**") && strings.Contains(files["clusters/staging/apps/cache/secret_cache.yaml"], secretValue) {
		// The secret is in the tree (allowPlainSecrets); the body must mask it.
		t.Errorf("the body does not mask the secret value")
	}
	tip := gittest.Git(t, f.remote, "rev-parse", "kiln/staging")

	// Rerun: same tree, no new commit, same PR.
	res2, err := promote(t, f, f.opts(t, "staging", &log))
	if err != nil {
		t.Fatal(err)
	}
	if got := gittest.Git(t, f.remote, "rev-parse", "kiln/staging"); got != tip || res2.Commit != tip {
		t.Errorf("rerun pushed a new commit: %s (result %s), was %s", got, res2.Commit, tip)
	}
	if res2.PRNumber != 1 || f.gh.count() != 1 {
		t.Errorf("rerun: PR #%d, %d PRs; want #1 and 1", res2.PRNumber, f.gh.count())
	}

	// A change in the code: the same PR is updated, the branch rebuilt on main.
	sha2 := f.commitCode(t, map[string]string{"apps/web/service.yaml": strings.Replace(project("")["apps/web/service.yaml"], "port: 80", "port: 8080", 1)}, "port")
	res3, err := promote(t, f, f.opts(t, "staging", &log))
	if err != nil {
		t.Fatal(err)
	}
	if res3.PRNumber != 1 || f.gh.count() != 1 || res3.Apps["web"] != (AppChanges{Added: 2}) {
		t.Errorf("update: %+v, %d PRs", res3, f.gh.count())
	}
	if got := f.gh.pr(1).Title; got != "kiln: staging ← "+sha2[:7]+" (web:1.2.3)" {
		t.Errorf("updated title = %q", got)
	}
	if got := gittest.Log(t, f.remote, "kiln/staging"); len(got) != 2 {
		t.Errorf("kiln/staging history = %q, want one commit on main", got)
	}

	// The change lands on main (the PR is merged elsewhere, say); a new
	// promotion finds nothing to do and closes the open PR.
	gittest.Git(t, f.remote, "update-ref", "refs/heads/main", "refs/heads/kiln/staging")
	res4, err := promote(t, f, f.opts(t, "staging", &log))
	if err != nil {
		t.Fatal(err)
	}
	if res4.Changed || res4.ClosedPR != 1 || res4.Commit != "" {
		t.Errorf("no-op = %+v", res4)
	}
	if pr := f.gh.pr(1); pr.State != "closed" || len(f.gh.comments[1]) != 1 || !strings.Contains(f.gh.comments[1][0], "nothing left to promote") {
		t.Errorf("PR after no-op = %+v, comments %q", pr, f.gh.comments[1])
	}
	// Once closed, a further no-op does nothing.
	res5, err := promote(t, f, f.opts(t, "staging", &log))
	if err != nil || res5.ClosedPR != 0 {
		t.Errorf("second no-op = %+v, %v", res5, err)
	}
}

func TestPromotePushMode(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var log bytes.Buffer
	res, err := promote(t, f, f.opts(t, "dev", &log))
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if !res.Changed || res.Mode != ModePush || res.Branch != "main" || res.Attempts != 1 || res.PRNumber != 0 {
		t.Errorf("push = %+v", res)
	}
	if got := gittest.Git(t, f.remote, "rev-parse", "main"); got != res.Commit {
		t.Errorf("main = %s, want %s", got, res.Commit)
	}
	if diff := cmp.Diff([]string{"kiln: dev ← " + f.head(t)[:7] + " (web:1.2.3)", "seed"}, gittest.Log(t, f.remote, "main")); diff != "" {
		t.Errorf("main history (-want +got):\n%s", diff)
	}
	files := gittest.Files(t, f.remote, "main")
	if files["clusters/prod/apps/x/a.yaml"] != "kind: ConfigMap\n" || files["README.md"] != "manifests\n" {
		t.Error("push mode touched files outside the env's folder")
	}
	if f.gh.count() != 0 {
		t.Error("push mode opened a PR")
	}
	// Rerun: nothing to do.
	res2, err := promote(t, f, f.opts(t, "dev", &log))
	if err != nil || res2.Changed || len(gittest.Log(t, f.remote, "main")) != 2 {
		t.Errorf("rerun = %+v, %v", res2, err)
	}
}

func TestPromotePushRace(t *testing.T) {
	t.Parallel()
	t.Run("someone pushes in between", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		opts := f.opts(t, "dev", &bytes.Buffer{})
		pushed := 0
		opts.hook = func(_ context.Context, step string) error {
			if step == stepPush && pushed < 2 {
				pushed++
				gittest.Update(t, f.remote, "main", map[string]string{fmt.Sprintf("clusters/prod/other%d.yaml", pushed): "x\n"}, nil, fmt.Sprintf("other %d", pushed))
			}
			return nil
		}
		res, err := promote(t, f, opts)
		if err != nil {
			t.Fatal(err)
		}
		if res.Attempts != 3 {
			t.Errorf("attempts = %d, want 3", res.Attempts)
		}
		if diff := cmp.Diff([]string{"kiln: dev ← " + f.head(t)[:7] + " (web:1.2.3)", "other 2", "other 1", "seed"}, gittest.Log(t, f.remote, "main")); diff != "" {
			t.Errorf("main history (-want +got):\n%s", diff)
		}
		files := gittest.Files(t, f.remote, "main")
		for _, want := range []string{"clusters/prod/other1.yaml", "clusters/prod/other2.yaml", "clusters/dev/kiln.lock.json"} {
			if _, ok := files[want]; !ok {
				t.Errorf("main lacks %s", want)
			}
		}
	})
	t.Run("two promoters at once", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, env := range []string{"dev", "staging"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p := f.pipeline(t)
				for j := range p.Environments {
					p.Environments[j].Mode = ModePush
				}
				opts := f.opts(t, env, &bytes.Buffer{})
				_, errs[i] = Promote(context.Background(), p, opts)
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		log := gittest.Log(t, f.remote, "main")
		sort.Strings(log)
		sha := f.head(t)[:7]
		if diff := cmp.Diff([]string{"kiln: dev ← " + sha + " (web:1.2.3)", "kiln: staging ← " + sha + " (web:1.2.3)", "seed"}, log); diff != "" {
			t.Errorf("main history (-want +got):\n%s", diff)
		}
	})
}

func TestMassDeleteGuard(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		seed    map[string]string
		allow   bool
		wantErr string
	}{
		{
			name:    "every app removed",
			seed:    map[string]string{"clusters/dev/apps/old/a.yaml": "kind: ConfigMap\n", "clusters/dev/apps/old/kustomization.yaml": "resources: [a.yaml]\n"},
			wantErr: "promoting env dev would delete every app of it (old)\n  hint: Flux prunes deleted objects from the cluster; if that is what you want, run again with --allow-mass-delete",
		},
		{
			name: "more than half of the objects",
			seed: map[string]string{
				"clusters/dev/apps/web/deployment_web.yaml": "kind: Deployment\n",
				"clusters/dev/apps/legacy/a.yaml":           "kind: ConfigMap\n",
				"clusters/dev/apps/legacy/b.yaml":           "kind: ConfigMap\n",
			},
			wantErr: "promoting env dev would delete 2 of its 3 objects\n  hint: Flux prunes deleted objects from the cluster; if that is what you want, run again with --allow-mass-delete",
		},
		{
			name:  "allowed",
			seed:  map[string]string{"clusters/dev/apps/old/a.yaml": "kind: ConfigMap\n"},
			allow: true,
		},
		{
			name: "half is fine",
			seed: map[string]string{
				"clusters/dev/apps/web/deployment_web.yaml": "kind: Deployment\n",
				"clusters/dev/apps/legacy/a.yaml":           "kind: ConfigMap\n",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			before := gittest.Update(t, f.remote, "main", kilnFolder("clusters/dev", tc.seed), nil, "dev as it was")
			opts := f.opts(t, "dev", &bytes.Buffer{})
			opts.AllowMassDelete = tc.allow
			_, err := promote(t, f, opts)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.wantErr {
				t.Errorf("error = %q, want %q", got, tc.wantErr)
			}
			moved := gittest.Git(t, f.remote, "rev-parse", "main") != before
			if moved != (tc.wantErr == "") {
				t.Errorf("main moved = %v", moved)
			}
		})
	}
}

func TestDryRun(t *testing.T) {
	t.Parallel()
	for _, env := range []string{"dev", "staging"} {
		t.Run(env, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			heads := gittest.Heads(t, f.remote)
			main := gittest.Git(t, f.remote, "rev-parse", "main")
			opts := f.opts(t, env, &bytes.Buffer{})
			opts.DryRun = true
			opts.GitHub = nil // a dry run calls no GitHub API
			res, err := promote(t, f, opts)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Changed || !res.DryRun || res.Body == "" || res.PRNumber != 0 {
				t.Errorf("dry run = %+v", res)
			}
			if diff := cmp.Diff(heads, gittest.Heads(t, f.remote)); diff != "" {
				t.Errorf("branches changed (-want +got):\n%s", diff)
			}
			if got := gittest.Git(t, f.remote, "rev-parse", "main"); got != main {
				t.Error("main moved")
			}
		})
	}
}

// TestDryRunChecks: a dry run of a pr env refuses what the real run would
// refuse before any network write: no token, no manifests.github.
func TestDryRunChecks(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	opts := f.opts(t, "staging", &bytes.Buffer{})
	opts.DryRun = true
	opts.GitHub = nil
	opts.Token = ""
	if _, err := promote(t, f, opts); err == nil || !strings.Contains(err.Error(), "no GitHub token") {
		t.Errorf("dry run without a token: %v, want the missing token named", err)
	}
}

func TestRendered(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	opts := f.opts(t, "dev", &bytes.Buffer{})
	out := t.TempDir()
	writeRender(t, f, opts.Render, out)
	opts.Rendered = out
	opts.Render = render.Options{Version: "test", LookupEnv: lookup}
	res, err := promote(t, f, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Changed || res.SourceCommit != f.head(t) {
		t.Errorf("promote --rendered = %+v", res)
	}
	// Rendering again gives the same tree: nothing to promote.
	again, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{}))
	if err != nil || again.Changed {
		t.Errorf("render after --rendered = %+v, %v", again, err)
	}

	opts.Rendered = t.TempDir()
	_, err = promote(t, f, opts)
	if err == nil || !strings.Contains(err.Error(), "no rendered env dev here") {
		t.Errorf("missing rendered env: %v", err)
	}
}

// successAll marks every app of env successful on the main tip.
func successAll(t *testing.T, f *fixture, env string) string {
	t.Helper()
	tip := gittest.Git(t, f.remote, "rev-parse", "main")
	f.gh.setStatus(tip, gh.Status{Context: StatusContext(env, "web"), State: "success", Description: "Health check passed"})
	f.gh.setStatus(tip, gh.Status{Context: StatusContext(env, "cache"), State: "success", Description: "Health check passed"})
	return tip
}

func TestGate(t *testing.T) {
	t.Parallel()
	setup := func(t *testing.T) *fixture {
		f := newFixture(t)
		if _, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{})); err != nil {
			t.Fatal(err)
		}
		return f
	}

	t.Run("success", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		successAll(t, f, "dev")
		res, err := promote(t, f, f.fromDev(t, &bytes.Buffer{}))
		if err != nil {
			t.Fatal(err)
		}
		if res.From != "dev" || res.PRNumber != 1 || !res.Changed || res.FromCommit != gittest.Git(t, f.remote, "rev-parse", "main") {
			t.Errorf("promotion = %+v", res)
		}
		files := gittest.Files(t, f.remote, "kiln/staging")
		if !strings.Contains(files["clusters/staging/apps/web/deployment_web.yaml"], "ghcr.io/acme/web:1.2.3") {
			t.Errorf("staging does not run dev's image:\n%s", files["clusters/staging/apps/web/deployment_web.yaml"])
		}
		if msg := gittest.Git(t, f.remote, "log", "-1", "--format=%B", "kiln/staging"); !strings.Contains(msg, "Kiln-Promoted-From: dev") {
			t.Errorf("commit message:\n%s", msg)
		}
	})

	t.Run("pending without wait", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		tip := gittest.Git(t, f.remote, "rev-parse", "main")
		f.gh.setStatus(tip, gh.Status{Context: StatusContext("dev", "web"), State: "pending", Description: "Reconciliation in progress"})
		_, err := promote(t, f, f.fromDev(t, &bytes.Buffer{}))
		var ge *GateError
		if !errors.As(err, &ge) {
			t.Fatalf("error = %v, want a GateError", err)
		}
		want := "env dev is not healthy yet on commit " + tip[:7] + ": no successful status for apps cache, web (pending: web; no status yet: cache)\n" +
			"  hint: wait until Flux has reconciled env dev, or pass --wait 10m to poll; statuses come from flux/notifications.yaml (notifications.commitStatus: true in kiln.yaml), whose github Provider sets commitStatusExpr, which needs Flux 2.6 or later (an older Flux fails to apply the file: flux get kustomizations shows why); Flux 2.8 posts no failure status (2.8.0 none at all), so there an app that failed has none: flux get kustomizations shows it failing, Flux 2.9 posts it; and a suspended Kustomization posts none: flux get kustomizations shows SUSPENDED, flux resume kustomization resumes it"
		if diff := cmp.Diff(want, err.Error()); diff != "" {
			t.Errorf("error (-want +got):\n%s", diff)
		}
		if f.gh.count() != 0 {
			t.Error("a PR was opened")
		}
	})

	t.Run("wait until healthy", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		o := f.fromDev(t, &bytes.Buffer{})
		now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		o.Now = func() time.Time { return now }
		var slept []time.Duration
		o.Sleep = func(_ context.Context, d time.Duration) error {
			slept = append(slept, d)
			now = now.Add(d)
			if len(slept) == 2 {
				successAll(t, f, "dev")
			}
			return nil
		}
		o.Wait = 5 * time.Minute
		o.PollInterval = 10 * time.Second
		res, err := promote(t, f, o)
		if err != nil {
			t.Fatal(err)
		}
		if res.PRNumber != 1 || f.gh.statusCalls() != 3 {
			t.Errorf("result %+v after %d status reads, want a PR after 3", res, f.gh.statusCalls())
		}
		if diff := cmp.Diff([]time.Duration{10 * time.Second, 10 * time.Second}, slept); diff != "" {
			t.Errorf("sleeps (-want +got):\n%s", diff)
		}
	})

	t.Run("wait runs out", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		o := f.fromDev(t, &bytes.Buffer{})
		now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		o.Now = func() time.Time { return now }
		o.Sleep = func(_ context.Context, d time.Duration) error { now = now.Add(d); return nil }
		o.Wait = 30 * time.Second
		o.PollInterval = 15 * time.Second
		_, err := promote(t, f, o)
		var ge *GateError
		if !errors.As(err, &ge) || ge.Waited != 30*time.Second || f.gh.statusCalls() != 3 {
			t.Fatalf("error = %v (%d status reads), want a GateError after waiting 30s and 3 reads", err, f.gh.statusCalls())
		}
		if !strings.Contains(err.Error(), "after waiting 30s") {
			t.Errorf("error does not say how long it waited: %v", err)
		}
	})

	t.Run("failed", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		tip := successAll(t, f, "dev")
		f.gh.setStatus(tip, gh.Status{Context: StatusContext("dev", "web"), State: "failure", Description: "Deployment/shop/web: ImagePullBackOff"})
		o := f.fromDev(t, &bytes.Buffer{})
		o.Wait = time.Hour
		o.Sleep = func(context.Context, time.Duration) error { t.Error("slept on a failure"); return nil }
		_, err := promote(t, f, o)
		want := "env dev is not healthy on commit " + tip[:7] + ":\n  app web: failure: Deployment/shop/web: ImagePullBackOff\n" +
			"  hint: fix web in env dev (flux get kustomizations shows Flux's view), then promote again"
		var ge *GateError
		if !errors.As(err, &ge) {
			t.Fatalf("error = %v, want a GateError", err)
		}
		if diff := cmp.Diff(want, err.Error()); diff != "" {
			t.Errorf("error (-want +got):\n%s", diff)
		}
	})

	t.Run("head moves during wait", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		first := gittest.Git(t, f.remote, "rev-parse", "main")
		f.gh.setStatus(first, gh.Status{Context: StatusContext("dev", "web"), State: "pending", Description: "reconciliation in progress"})
		o := f.fromDev(t, &bytes.Buffer{})
		now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		o.Now = func() time.Time { return now }
		var second string
		o.Sleep = func(_ context.Context, d time.Duration) error {
			now = now.Add(d)
			if second != "" {
				return nil
			}
			// dev is promoted again with a newer image while kiln waits;
			// Flux applies only that head, and the first never gets
			// its statuses.
			again := f.opts(t, "dev", &bytes.Buffer{})
			again.Render.Images = render.Images{Refs: []string{"ghcr.io/acme/web:1.2.4"}}
			if _, err := promote(t, f, again); err != nil {
				t.Fatal(err)
			}
			second = successAll(t, f, "dev")
			return nil
		}
		o.Wait = 5 * time.Minute
		o.PollInterval = 10 * time.Second
		log := &bytes.Buffer{}
		o.Log = log
		res, err := promote(t, f, o)
		if err != nil {
			t.Fatal(err)
		}
		if second == first || res.FromCommit != second {
			t.Errorf("judged %q, want the new head %s (first head %s)", res.FromCommit, second, first)
		}
		files := gittest.Files(t, f.remote, "kiln/staging")
		if !strings.Contains(files["clusters/staging/apps/web/deployment_web.yaml"], "ghcr.io/acme/web:1.2.4") {
			t.Errorf("staging does not run the image of dev's lock on the head judged healthy:\n%s", files["clusters/staging/apps/web/deployment_web.yaml"])
		}
		for _, want := range []string{"the manifests branch main moved to " + second[:7], "env dev is healthy on " + second[:7]} {
			if !strings.Contains(log.String(), want) {
				t.Errorf("log does not say %q:\n%s", want, log)
			}
		}
	})

	t.Run("failure mid-wait", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		tip := gittest.Git(t, f.remote, "rev-parse", "main")
		f.gh.setStatus(tip, gh.Status{Context: StatusContext("dev", "cache"), State: "success", Description: "reconciliation succeeded"})
		o := f.fromDev(t, &bytes.Buffer{})
		now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		o.Now = func() time.Time { return now }
		sleeps := 0
		o.Sleep = func(_ context.Context, d time.Duration) error {
			sleeps++
			now = now.Add(d)
			if sleeps == 1 {
				f.gh.setStatus(tip, gh.Status{Context: StatusContext("dev", "web"), State: "failure", Description: "health check failed"})
			}
			return nil
		}
		o.Wait = time.Hour
		o.PollInterval = 10 * time.Second
		_, err := promote(t, f, o)
		var ge *GateError
		if !errors.As(err, &ge) || len(ge.Failed) != 1 {
			t.Fatalf("error = %v, want a GateError with one failure", err)
		}
		if sleeps != 1 || f.gh.statusCalls() != 2 {
			t.Errorf("%d sleeps and %d status reads, want the wait to end at the failure (1 and 2)", sleeps, f.gh.statusCalls())
		}
		want := "env dev is not healthy on commit " + tip[:7] + ":\n  app web: failure: health check failed\n" +
			"  hint: fix web in env dev (flux get kustomizations shows Flux's view), then promote again"
		if diff := cmp.Diff(want, err.Error()); diff != "" {
			t.Errorf("error (-want +got):\n%s", diff)
		}
	})

	t.Run("failed dependency", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		cfg := strings.Replace(project(f.remote)["kiln.yaml"], "    yaml: apps/web\n", "    yaml: apps/web\n    dependsOn: [cache]\n", 1)
		f.commitCode(t, map[string]string{"kiln.yaml": cfg}, "web waits for cache")
		if _, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{})); err != nil {
			t.Fatal(err)
		}
		tip := gittest.Git(t, f.remote, "rev-parse", "main")
		// Flux marks web DependencyNotReady, an info event without the
		// commit-status key, which notification-controller drops: web
		// gets no status at all.
		f.gh.setStatus(tip, gh.Status{Context: StatusContext("dev", "cache"), State: "failure", Description: "health check failed"})
		o := f.fromDev(t, &bytes.Buffer{})
		o.Wait = time.Hour
		o.Sleep = func(context.Context, time.Duration) error {
			t.Error("waited for an app whose dependency failed")
			return nil
		}
		_, err := promote(t, f, o)
		want := "env dev is not healthy on commit " + tip[:7] + ":\n  app cache: failure: health check failed\n" +
			"  app web: not reconciled: it depends on cache, which failed\n" +
			"  hint: fix cache in env dev (flux get kustomizations shows Flux's view), then promote again"
		if err == nil {
			t.Fatal("promoted past a failed dependency")
		}
		if diff := cmp.Diff(want, err.Error()); diff != "" {
			t.Errorf("error (-want +got):\n%s", diff)
		}
	})

	t.Run("working tree at another commit", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		devSHA := f.head(t)
		successAll(t, f, "dev")
		f.commitCode(t, map[string]string{"README.md": "later\n"}, "later")
		_, err := promote(t, f, f.fromDev(t, &bytes.Buffer{}))
		want := fmt.Sprintf("the working tree is at %s, but env dev was rendered from %s\n  hint: check out %s first (git checkout %s), so that staging gets exactly what dev runs",
			f.head(t)[:7], devSHA, devSHA, devSHA)
		if err == nil || err.Error() != want {
			t.Errorf("error = %v\nwant %s", err, want)
		}
	})

	t.Run("no lock yet", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		_, err := promote(t, f, f.fromDev(t, &bytes.Buffer{}))
		var de *diag.Error
		if !errors.As(err, &de) || !strings.Contains(err.Error(), "env dev has no clusters/dev/kiln.lock.json on the manifests branch main") {
			t.Errorf("error = %v", err)
		}
		// dev has mode: push: no pull request to merge.
		if want := "hint: promote env dev first (kiln promote --env dev)\n"; err == nil || !strings.HasSuffix(err.Error()+"\n", want) {
			t.Errorf("error = %v\nwant it to end in %q", err, want)
		}
	})

	// An image CI gave dev that no app of dev runs (web is disabled
	// there) was never judged healthy: staging keeps the one its lock on
	// the manifests branch names, or gets its template's.
	for _, tc := range []struct {
		name, stagingLock, wantImage, wantLog string
	}{
		{"image no app of dev runs", "", "ghcr.io/acme/web:1.0.0", "image ghcr.io/acme/web:1.2.3: no app of env dev runs it, so env staging does not get it"},
		{"image no app of dev runs, staging keeps its own", `{"env":"staging","images":{"ghcr.io/acme/web":"ghcr.io/acme/web:1.1.0"},"apps":{}}`,
			"ghcr.io/acme/web:1.1.0", "image ghcr.io/acme/web:1.2.3: no app of env dev runs it, so env staging keeps ghcr.io/acme/web:1.1.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.commitCode(t, map[string]string{"envs/dev.yaml": project("")["envs/dev.yaml"] + "apps:\n  web:\n    enabled: false\n"}, "web off in dev")
			if _, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{})); err != nil {
				t.Fatal(err)
			}
			if tc.stagingLock != "" {
				gittest.Update(t, f.remote, "main", map[string]string{"clusters/staging/kiln.lock.json": tc.stagingLock}, nil, "staging's lock")
			}
			successAll(t, f, "dev")
			o := f.fromDev(t, &bytes.Buffer{})
			log := &bytes.Buffer{}
			o.Log = log
			if _, err := promote(t, f, o); err != nil {
				t.Fatal(err)
			}
			files := gittest.Files(t, f.remote, "kiln/staging")
			if !strings.Contains(files["clusters/staging/apps/web/deployment_web.yaml"], "image: "+tc.wantImage+"\n") {
				t.Errorf("staging's web does not run %s:\n%s", tc.wantImage, files["clusters/staging/apps/web/deployment_web.yaml"])
			}
			if !strings.Contains(log.String(), tc.wantLog) {
				t.Errorf("log lacks %q:\n%s", tc.wantLog, log)
			}
		})
	}

	// CI gave dev no image for web at all (it builds only what changed,
	// or web runs in staging alone): dev says nothing about web's image
	// either, so staging keeps the one its app runs, as it does when dev
	// was given one that no app of dev ran; it must not fall back to its
	// template's, which would roll staging's web back on every promotion.
	t.Run("image dev was not given and does not run", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		f.commitCode(t, map[string]string{"envs/dev.yaml": project("")["envs/dev.yaml"] + "apps:\n  web:\n    enabled: false\n"}, "web off in dev")
		o := f.opts(t, "dev", &bytes.Buffer{})
		o.Render.Images = render.Images{}
		if _, err := promote(t, f, o); err != nil {
			t.Fatal(err)
		}
		// gone is an app kiln.yaml no longer has: its image is used by no
		// app of staging now, and is not kept.
		gittest.Update(t, f.remote, "main", map[string]string{"clusters/staging/kiln.lock.json": `{"env":"staging",` +
			`"images":{"ghcr.io/acme/web":"ghcr.io/acme/web:1.1.0","ghcr.io/acme/gone":"ghcr.io/acme/gone:1"},` +
			`"apps":{"web":{"engine":"yaml","images":["ghcr.io/acme/web:1.1.0"]},"gone":{"engine":"yaml","images":["ghcr.io/acme/gone:1"]}}}`}, nil, "staging's lock")
		successAll(t, f, "dev")
		o = f.fromDev(t, &bytes.Buffer{})
		log := &bytes.Buffer{}
		o.Log = log
		if _, err := promote(t, f, o); err != nil {
			t.Fatal(err)
		}
		files := gittest.Files(t, f.remote, "kiln/staging")
		if want := "image: ghcr.io/acme/web:1.1.0\n"; !strings.Contains(files["clusters/staging/apps/web/deployment_web.yaml"], want) {
			t.Errorf("staging's web does not run ghcr.io/acme/web:1.1.0:\n%s", files["clusters/staging/apps/web/deployment_web.yaml"])
		}
		if want := "image ghcr.io/acme/web: no app of env dev runs it, so env staging keeps ghcr.io/acme/web:1.1.0"; !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
		if lock := files["clusters/staging/kiln.lock.json"]; strings.Contains(lock, "acme/gone") {
			t.Errorf("staging kept the image of an app kiln.yaml no longer has:\n%s", lock)
		}
	})

	// A lock that names no app, or names another env, gives the gate
	// nothing to judge: it must refuse, not pass having judged nothing.
	for _, tc := range []struct {
		name, lock, want string
	}{
		{"lock names no apps", `{"kilnVersion":"dev","env":"dev","source":{},"images":{},"apps":{}}`,
			"clusters/dev/kiln.lock.json: env dev has no apps on %s, so no status shows that the release works there\n" +
				"  hint: enable an app in env dev and promote it first, or promote env staging without --from to render it from the checked-out source"},
		{"empty lock", `{}`,
			"clusters/dev/kiln.lock.json: the lock on %s says it was rendered for env \"\", not dev, so the gate cannot judge env dev by it\n" +
				"  hint: promote env dev again (kiln promote --env dev) so that kiln rewrites its kiln.lock.json"},
		{"lock of another env", `{"kilnVersion":"dev","env":"prod","source":{},"images":{},"apps":{"web":{"engine":"yaml"}}}`,
			"clusters/dev/kiln.lock.json: the lock on %s says it was rendered for env \"prod\", not dev, so the gate cannot judge env dev by it\n" +
				"  hint: promote env dev again (kiln promote --env dev) so that kiln rewrites its kiln.lock.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			tip := gittest.Update(t, f.remote, "main", map[string]string{"clusters/dev/kiln.lock.json": tc.lock}, nil, "hand edit")
			f.gh.setStatus(tip, gh.Status{Context: StatusContext("dev", "web"), State: "success"})
			_, err := promote(t, f, f.fromDev(t, &bytes.Buffer{}))
			if want := fmt.Sprintf(tc.want, tip[:7]); err == nil || err.Error() != want {
				t.Errorf("error = %v\nwant %s", err, want)
			}
			if f.gh.count() != 0 {
				t.Error("a PR was opened")
			}
		})
	}

	t.Run("wrong order", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		o := f.fromDev(t, &bytes.Buffer{})
		o.To = "prod"
		_, err := promote(t, f, o)
		if err == nil || !strings.Contains(err.Error(), "env prod promotes from staging, not dev") {
			t.Errorf("error = %v", err)
		}
	})
}

func TestRenderErrorStopsEarly(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.commitCode(t, map[string]string{"apps/web/service.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  bogus: 1\n"}, "broken")
	_, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{}))
	var re *RenderError
	if !errors.As(err, &re) || re.Env != "dev" {
		t.Fatalf("error = %v, want a RenderError", err)
	}
}

func TestGitErrorsSayWhatToDo(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	p := f.pipeline(t)
	p.Manifests.Repo = filepath.Join(t.TempDir(), "missing.git")
	var log bytes.Buffer
	_, err := Promote(context.Background(), p, f.opts(t, "dev", &log))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"fetching the manifests repository", "hint: check manifests.repo"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error()+log.String(), testToken) {
		t.Error("the token leaked")
	}
}

// fakeGitHub is an in-memory gh.Client.
type fakeGitHub struct {
	mu       sync.Mutex
	prs      []*gh.PR
	labels   map[int][]string
	comments map[int][]string
	statuses map[string]map[string]gh.Status
	reads    int
	// dispatches are "owner/repo event_type", oldest first.
	dispatches []string
}

var _ gh.Client = (*fakeGitHub)(nil)

func newFakeGitHub() *fakeGitHub {
	return &fakeGitHub{labels: map[int][]string{}, comments: map[int][]string{}, statuses: map[string]map[string]gh.Status{}}
}

func (g *fakeGitHub) FindOpenPR(_ context.Context, owner, repo, head, base string) (*gh.PR, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, pr := range g.prs {
		if pr.Head == head && pr.Base == base && pr.State == "open" {
			c := *pr
			return &c, nil
		}
	}
	return nil, nil
}

func (g *fakeGitHub) OpenPRs(_ context.Context, owner, repo, head string) ([]*gh.PR, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []*gh.PR
	for _, pr := range g.prs {
		if pr.Head == head && pr.State == "open" {
			c := *pr
			out = append(out, &c)
		}
	}
	return out, nil
}

func (g *fakeGitHub) CreateOrUpdatePR(ctx context.Context, owner, repo string, pr gh.PR, labels []string) (*gh.PR, error) {
	if owner != "acme" || repo != "manifests" {
		return nil, fmt.Errorf("no repository %s/%s", owner, repo)
	}
	found, _ := g.FindOpenPR(ctx, owner, repo, pr.Head, pr.Base)
	g.mu.Lock()
	defer g.mu.Unlock()
	var p *gh.PR
	if found != nil {
		p = g.prs[found.Number-1]
	} else {
		p = &gh.PR{Number: len(g.prs) + 1, Head: pr.Head, Base: pr.Base, State: "open"}
		p.URL = fmt.Sprintf("https://github.com/%s/%s/pull/%d", owner, repo, p.Number)
		g.prs = append(g.prs, p)
	}
	p.Title, p.Body = pr.Title, pr.Body
	set := map[string]bool{}
	for _, l := range append(g.labels[p.Number], labels...) {
		set[l] = true
	}
	g.labels[p.Number] = nil
	for l := range set {
		g.labels[p.Number] = append(g.labels[p.Number], l)
	}
	sort.Strings(g.labels[p.Number])
	c := *p
	return &c, nil
}

func (g *fakeGitHub) ClosePR(_ context.Context, owner, repo string, number int, comment string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.prs[number-1].State = "closed"
	g.comments[number] = append(g.comments[number], comment)
	return nil
}

func (g *fakeGitHub) Statuses(_ context.Context, owner, repo, ref string) ([]gh.Status, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.reads++
	var out []gh.Status
	for _, s := range g.statuses[ref] {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Context < out[j].Context })
	return out, nil
}

func (g *fakeGitHub) Dispatch(_ context.Context, owner, repo, eventType string, payload map[string]any) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.dispatches = append(g.dispatches, owner+"/"+repo+" "+eventType)
	return nil
}

func (g *fakeGitHub) setStatus(ref string, s gh.Status) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.statuses[ref] == nil {
		g.statuses[ref] = map[string]gh.Status{}
	}
	g.statuses[ref][s.Context] = s
}

func (g *fakeGitHub) pr(n int) gh.PR {
	g.mu.Lock()
	defer g.mu.Unlock()
	return *g.prs[n-1]
}

func (g *fakeGitHub) labelsOf(n int) []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.labels[n]
}

func (g *fakeGitHub) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.prs)
}

func (g *fakeGitHub) statusCalls() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.reads
}

// TestKeepsFluxBootstrap: `flux bootstrap --path clusters/dev/flux` writes
// clusters/dev/flux/flux-system/; promoting dev must keep those files, or
// Flux would prune itself.
func TestKeepsFluxBootstrap(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const sync = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: flux-system\n"
	gittest.Commit(t, f.remote, "main", kilnFolder("clusters/dev", map[string]string{
		"clusters/dev/flux/flux-system/gotk-sync.yaml": sync,
		"clusters/dev/apps/old/stale.yaml":             "kind: ConfigMap\n",
	}), "bootstrap")
	var log bytes.Buffer
	opts := f.opts(t, "dev", &log)
	opts.AllowMassDelete = true // the stale app is the env's only one
	res, err := promote(t, f, opts)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	files := gittest.Files(t, f.remote, "main")
	if files["clusters/dev/flux/flux-system/gotk-sync.yaml"] != sync {
		t.Error("promote deleted Flux's bootstrap files")
	}
	if _, ok := files["clusters/dev/apps/old/stale.yaml"]; ok {
		t.Error("promote kept a stale file kiln owns")
	}
	if strings.Contains(res.Body, "gotk-sync") {
		t.Error("the PR body lists Flux's bootstrap files as a change")
	}
}

// TestPushRetryKeepsNewBootstrap: `flux bootstrap` upgrades Flux between
// kiln's commit and its push. The retry must start from the new tip's
// flux/flux-system/, not write back the copy its first attempt read.
func TestPushRetryKeepsNewBootstrap(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const comp = "clusters/dev/flux/flux-system/gotk-components.yaml"
	gittest.Update(t, f.remote, "main", map[string]string{comp: "# flux v2.3.0\n"}, nil, "flux bootstrap v2.3.0")
	opts := f.opts(t, "dev", &bytes.Buffer{})
	upgraded := false
	opts.hook = func(_ context.Context, step string) error {
		if step == stepPush && !upgraded {
			upgraded = true
			gittest.Update(t, f.remote, "main", map[string]string{comp: "# flux v2.4.0\n"}, nil, "flux bootstrap v2.4.0")
		}
		return nil
	}
	res, err := promote(t, f, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Attempts != 2 {
		t.Errorf("attempts = %d, want 2", res.Attempts)
	}
	if got := gittest.Files(t, f.remote, "main")[comp]; got != "# flux v2.4.0\n" {
		t.Errorf("%s = %q after the promotion, want the concurrent upgrade kept", comp, got)
	}
}

// TestEscapingManifestsPathRefused: a manifests.path that leaves the env's
// folder, set in code where kiln.yaml's loader cannot see it, must not make
// promote replace the repository.
func TestEscapingManifestsPathRefused(t *testing.T) {
	t.Parallel()
	for _, pattern := range []string{"clusters/{env}/../..", "{env}/..", "/abs/{env}", "clusters/../../{env}"} {
		t.Run(pattern, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			before := gittest.Git(t, f.remote, "rev-parse", "main")
			p := f.pipeline(t)
			p.Manifests.Path = pattern
			opts := f.opts(t, "dev", &bytes.Buffer{})
			opts.AllowMassDelete = true
			_, err := Promote(context.Background(), p, opts)
			if err == nil || !strings.Contains(err.Error(), "manifests.path") {
				t.Errorf("error = %v, want one naming manifests.path", err)
			}
			if got := gittest.Git(t, f.remote, "rev-parse", "main"); got != before {
				t.Errorf("main moved to %s", got)
			}
		})
	}
}

// TestGuardCountsDeletionsOutsideTheFolder: the guard judges the files a
// commit deletes anywhere in the repository; one outside the env's folder
// is refused even with --allow-mass-delete.
func TestGuardCountsDeletionsOutsideTheFolder(t *testing.T) {
	t.Parallel()
	r := &run{env: &envconfig.Environment{Name: "dev"}, dir: "clusters/dev", opts: Options{AllowMassDelete: true}}
	pl := &plan{old: map[string][]byte{"apps/web/a.yaml": []byte("x"), "kiln.lock.json": []byte(`{"apps": {"web": {}}}`)}, oldLock: &render.Lock{Apps: map[string]render.LockApp{"web": {}}}}
	err := r.guard(pl, []string{"clusters/dev/apps/web/a.yaml", "README.md", "clusters/devx/a.yaml"})
	want := "promoting env dev would delete 2 files outside its folder clusters/dev: README.md, clusters/devx/a.yaml"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("guard = %v, want %q", err, want)
	}
	if err := r.guard(pl, []string{"clusters/dev/apps/web/a.yaml"}); err != nil {
		t.Errorf("guard refused a deletion inside the folder: %v", err)
	}
}

// TestCommitHoldsTheRender changes what git stages between kiln writing
// the env's tree and committing it: whatever git does there, kiln must
// not push a tree that no render made, nor the base commit as a change.
func TestCommitHoldsTheRender(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, env string
		// stage runs in the clone at stepCommit.
		stage []string
		want  string
	}{
		{"push mode, a file changed", "dev", []string{"sh", "-c", "echo changed > clusters/dev/apps/web/deployment_web.yaml && git add -A"},
			"env dev: the commit's clusters/dev differs from the render in apps/web/deployment_web.yaml; nothing was pushed"},
		{"push mode, a file added", "dev", []string{"sh", "-c", "echo x > clusters/dev/apps/web/extra.yaml && git add -A"},
			"env dev: the commit's clusters/dev differs from the render in apps/web/extra.yaml; nothing was pushed"},
		// Tree reads the symlink as a file holding the rendered bytes.
		{"push mode, a symlink staged", "dev", []string{"sh", "-c", "f=clusters/dev/apps/web/deployment_web.yaml && git update-index --cacheinfo 120000,$(git hash-object -w $f),$f"},
			"env dev: the commit's clusters/dev holds what kiln never writes, a symlink, a submodule or an executable: apps/web/deployment_web.yaml; nothing was pushed"},
		{"pr mode, nothing staged", "staging", []string{"git", "reset", "-q", "--hard"},
			"env staging: git staged nothing, though the render changes "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			before := gittest.Heads(t, f.remote)
			o := f.opts(t, tc.env, &bytes.Buffer{})
			o.hook = func(_ context.Context, step string) error {
				if step != stepCommit {
					return nil
				}
				clones, err := filepath.Glob(filepath.Join(o.WorkDir, "kiln-manifests-*", "*", ".git"))
				if err != nil || len(clones) != 1 {
					t.Fatalf("clone not found: %v %v", clones, err)
				}
				cmd := exec.Command(tc.stage[0], tc.stage[1:]...)
				cmd.Dir, cmd.Env = filepath.Dir(clones[0]), append(os.Environ(), gittest.Env()...)
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("%v: %v\n%s", tc.stage, err, out)
				}
				return nil
			}
			_, err := promote(t, f, o)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) || !strings.Contains(err.Error(), "this is a bug in kiln") {
				t.Errorf("error = %v\nwant it to begin %q", err, tc.want)
			}
			if after := gittest.Heads(t, f.remote); !slices.Equal(before, after) || f.gh.count() != 0 {
				t.Errorf("something was pushed: heads %v → %v, %d PRs", before, after, f.gh.count())
			}
		})
	}
}

// TestMovedObjectWarning renames an app: its objects leave the old app's
// Kustomization, which prunes them, for the new one's. The promotion must
// warn, in the log and at the top of the body, unless Flux would not prune
// them anyway.
func TestMovedObjectWarning(t *testing.T) {
	t.Parallel()
	const want = "Secret/shop/cache: moves from app cache to app redis: Flux may delete it before it recreates it"
	wantBody := strings.Replace(want, "Secret/shop/cache", "`Secret/shop/cache`", 1)
	rename := func(cfg string) string {
		return strings.Replace(cfg, "  - name: cache\n", "  - name: redis\n", 1)
	}
	for _, tc := range []struct {
		name string
		// before changes the project for the first promotion; the second
		// renames the app.
		before func(map[string]string)
		warn   bool
	}{
		{"renamed", func(map[string]string) {}, true},
		{"annotated for Flux to leave it", func(p map[string]string) {
			p["apps/cache/configmap.yaml"] = strings.Replace(p["apps/cache/configmap.yaml"], "  name: cache\n",
				"  name: cache\n  annotations:\n    kustomize.toolkit.fluxcd.io/prune: disabled\n", 1)
		}, false},
		{"prune off", func(p map[string]string) {
			p["kiln.yaml"] = strings.Replace(p["kiln.yaml"], "notifications:\n", "flux:\n  prune: false\nnotifications:\n", 1)
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			p := project(f.remote)
			tc.before(p)
			if !maps.Equal(p, project(f.remote)) {
				f.commitCode(t, p, "before")
			}
			if _, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{})); err != nil {
				t.Fatal(err)
			}
			f.commitCode(t, map[string]string{"kiln.yaml": rename(p["kiln.yaml"])}, "rename cache to redis")
			// kiln diff, the preview of the promotion, warns the same.
			diffLog := &bytes.Buffer{}
			o := f.opts(t, "dev", nil)
			if _, err := Diff(context.Background(), f.pipeline(t), DiffOptions{Env: "dev", Render: o.Render, GitEnv: gittest.Env(), WorkDir: t.TempDir(), Log: diffLog}); err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(diffLog.String(), want); got != tc.warn {
				t.Errorf("kiln diff warned: %v, want %v\n%s", got, tc.warn, diffLog)
			}
			log := &bytes.Buffer{}
			res, err := promote(t, f, f.opts(t, "dev", log))
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(log.String(), want) && strings.Contains(res.Body, wantBody) &&
				strings.Contains(res.Body, "Flux may delete these objects before it recreates them"); got != tc.warn {
				t.Errorf("warned: %v, want %v\nlog:\n%s\nbody:\n%s", got, tc.warn, log, res.Body)
			}
		})
	}
}

// TestRenderedRefusesWhatKilnDidNotWrite: a tree taken with --rendered is
// promoted as it is, so it must be what kiln render wrote, as each shard
// of a merge must: a file added beside it, or an object file edited or
// removed after the render, is an error naming it, and nothing is pushed.
// The env's secret values mask the lock's output digests; a job that
// cannot read them still checks the listing and object counts, and
// promotes an untouched tree.
func TestRenderedRefusesWhatKilnDidNotWrite(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, dir string)
		// secrets: the promoting job reads the env's secret vars.
		secrets bool
		want    string
	}{
		{name: "untouched", secrets: true},
		{name: "untouched, secrets unknown"},
		{name: "a README beside the tree", secrets: true, want: "dev/README.md: kiln did not write this file",
			change: func(t *testing.T, dir string) { addFile(t, filepath.Join(dir, "README.md"), "notes\n") }},
		{name: "a folder of no app", secrets: true, want: "dev/apps/extra/x.yaml: kiln did not write this file",
			change: func(t *testing.T, dir string) {
				addFile(t, filepath.Join(dir, "apps/extra/x.yaml"), "kind: ConfigMap\n")
			}},
		{name: "an object file edited", secrets: true, want: "app web: the app's object files are not those its kiln.lock.json entry records",
			change: func(t *testing.T, dir string) {
				editFile(t, filepath.Join(dir, "apps/web/deployment_web.yaml"), func(s string) string { return s + "# hand fix\n" })
			}},
		// The flux/ files the bootstrap Kustomization applies as they are:
		// kiln makes them again from kiln.yaml and compares.
		{name: "an object appended to a Flux Kustomization", secrets: true, want: "files are not what kiln makes of the tree's objects with kiln.yaml and the env file at this checkout: flux/web.yaml",
			change: func(t *testing.T, dir string) {
				editFile(t, filepath.Join(dir, "flux/web.yaml"), func(s string) string {
					return s + "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: own}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\nsubjects: [{kind: User, name: mallory}]\n"
				})
			}},
		{name: "a Flux Kustomization's path changed, secrets unknown", want: "flux/web.yaml",
			change: func(t *testing.T, dir string) {
				editFile(t, filepath.Join(dir, "flux/web.yaml"), func(s string) string { return strings.Replace(s, "path: ./", "path: ./../", 1) })
			}},
		{name: "notifications kiln.yaml does not ask for", secrets: true, want: "flux/notifications.yaml",
			change: func(t *testing.T, dir string) {
				addFile(t, filepath.Join(dir, "flux/notifications.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: flux-system}\n")
			}},
		// high-level/ files are held to the lock's highLevelDigest, with
		// the secret vars or without (kiln masks them there).
		{name: "a high-level file edited, secrets unknown", want: "app cache: the app's high-level/ files are not those its kiln.lock.json entry records",
			change: func(t *testing.T, dir string) {
				editFile(t, filepath.Join(dir, "high-level/cache/vars.yaml"), func(s string) string { return s + "# reviewed\n" })
			}},
		// A lock that has no highLevelDigest (older kiln's, or one edited
		// with the file): the plain-secret gate still reads high-level/.
		{name: "a plaintext secret in high-level/", secrets: true, want: "would hold the value of secret var API_KEY",
			change: func(t *testing.T, dir string) {
				editFile(t, filepath.Join(dir, "high-level/cache/vars.yaml"), func(s string) string { return s + "# " + secretValue + "\n" })
				dropHighLevelDigest(t, filepath.Join(dir, "kiln.lock.json"), "cache")
			}},
		// Without the env's secret vars, the files that hold no secret
		// value are still held to the lock byte for byte (PlainDigest).
		{name: "an object file edited, secrets unknown", want: "app web: the app's object files are not those its kiln.lock.json entry records",
			change: func(t *testing.T, dir string) {
				editFile(t, filepath.Join(dir, "apps/web/deployment_web.yaml"), func(s string) string { return strings.Replace(s, "replicas: 1", "replicas: 9", 1) })
			}},
		{name: "a file added to an app holding a secret, secrets unknown", want: "app cache: the app's object files are not those its kiln.lock.json entry records",
			change: func(t *testing.T, dir string) {
				addFile(t, filepath.Join(dir, "apps/cache/configmap_extra.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra, namespace: shop}\n")
				editFile(t, filepath.Join(dir, "apps/cache/kustomization.yaml"), func(s string) string {
					return strings.Replace(s, "resources:\n", "resources:\n- configmap_extra.yaml\n", 1)
				})
			}},
		{name: "an object file removed, secrets unknown", want: "app web: the app's object files are not those its kiln.lock.json entry records",
			change: func(t *testing.T, dir string) {
				if err := os.Remove(filepath.Join(dir, "apps/web/deployment_web.yaml")); err != nil {
					t.Fatal(err)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			opts := f.opts(t, "dev", &bytes.Buffer{})
			out := t.TempDir()
			writeRender(t, f, opts.Render, out)
			if tc.change != nil {
				tc.change(t, filepath.Join(out, "dev"))
			}
			before := gittest.Git(t, f.remote, "rev-parse", "main")
			opts.Rendered = out
			opts.Render = render.Options{Version: "test"}
			if tc.secrets {
				opts.Render.LookupEnv = lookup
			}
			res, err := promote(t, f, opts)
			if tc.want == "" {
				if err != nil || !res.Changed {
					t.Fatalf("promote --rendered = %+v, %v; want the tree promoted", res, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "hint: ") {
				t.Errorf("promote --rendered = %v, want an error containing %q and a hint", err, tc.want)
			}
			if after := gittest.Git(t, f.remote, "rev-parse", "main"); after != before {
				t.Errorf("main moved from %s to %s", before, after)
			}
		})
	}
}

// TestLockNamesSecretFiles: an app's lock entry names the object files
// that hold a secret var's value and digests the others as they are (what
// a promoting job without the values checks); an app with none has
// neither. Neither the lock nor its digests hold the value.
func TestLockNamesSecretFiles(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	er := renderDev(t, f, f.opts(t, "dev", &bytes.Buffer{}).Render)
	cache, web := er.Lock.Apps["cache"], er.Lock.Apps["web"]
	if want := []string{"secret_cache.yaml"}; !slices.Equal(cache.SecretFiles, want) || !strings.HasPrefix(cache.PlainDigest, "sha256:") {
		t.Errorf("cache: secretFiles %q, plainDigest %q; want %q and a digest", cache.SecretFiles, cache.PlainDigest, want)
	}
	if cache.PlainDigest == cache.OutputDigest {
		t.Error("cache: the plain digest is the output digest")
	}
	if web.SecretFiles != nil || web.PlainDigest != "" {
		t.Errorf("web holds no secret, yet secretFiles %q, plainDigest %q", web.SecretFiles, web.PlainDigest)
	}
	if !strings.Contains(string(er.Files["apps/cache/secret_cache.yaml"]), secretValue) {
		t.Fatal("the fixture's Secret no longer holds the secret value: the test tests nothing")
	}
	if strings.Contains(string(er.Files["kiln.lock.json"]), secretValue) {
		t.Error("kiln.lock.json holds the secret value")
	}
}

// dropHighLevelDigest removes app's highLevelDigest from the lock at p.
func dropHighLevelDigest(t *testing.T, p, app string) {
	t.Helper()
	editLock(t, p, func(lock *render.Lock) {
		la := lock.Apps[app]
		if la.HighLevelDigest == "" {
			t.Fatalf("app %s has no highLevelDigest: the test tests nothing", app)
		}
		la.HighLevelDigest = ""
		lock.Apps[app] = la
	})
}

// editFile writes edit of p's content to p.
func editFile(t *testing.T, p string, edit func(string) string) {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	addFile(t, p, edit(string(data)))
}

// addFile writes content to p, making its folder.
func addFile(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
