// Package action_test runs the GitHub Action's script (internal/action/run.sh) in a
// fake runner environment and checks action.yml and the example workflows.
package action_test

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/kiln-gitops/kiln/internal/golden"
	"github.com/kiln-gitops/kiln/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite golden files")

// binDir holds the kiln binary built once for this test binary.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "kiln-action-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	testenv.ChildrenExitPromptly()
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var (
	buildOnce sync.Once
	buildErr  error
)

// kiln builds ./cmd/kiln once (about a minute cold, seconds from the build
// cache) and returns its path. KILN_ACTION_TEST_BIN names a prebuilt kiln
// instead, for working on the action while cmd/kiln does not build; make
// test's plain kiln (testenv.PlainWorkerEnv) serves as well. Without
// -trimpath a build in a fresh clone missed the cache for every kiln
// package: about 20 s of CI's make test went to building kiln again.
func kiln(t *testing.T) string {
	t.Helper()
	for _, env := range []string{"KILN_ACTION_TEST_BIN", testenv.PlainWorkerEnv} {
		if bin := os.Getenv(env); bin != "" {
			return bin
		}
	}
	bin := filepath.Join(binDir, "kiln")
	buildOnce.Do(func() {
		goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
		if _, err := os.Stat(goBin); err != nil {
			goBin = "go"
		}
		cmd := exec.Command(goBin, "build", "-trimpath", "-o", bin, "../../cmd/kiln")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return bin
}

// actionYAML is the part of action.yml the tests read.
type actionYAML struct {
	Inputs map[string]struct {
		Description string `yaml:"description"`
		Required    bool   `yaml:"required"`
		Default     string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Description string `yaml:"description"`
		Value       string `yaml:"value"`
	} `yaml:"outputs"`
	Runs struct {
		Using string `yaml:"using"`
		Steps []struct {
			ID    string            `yaml:"id"`
			Uses  string            `yaml:"uses"`
			Run   string            `yaml:"run"`
			Shell string            `yaml:"shell"`
			Env   map[string]string `yaml:"env"`
		} `yaml:"steps"`
	} `yaml:"runs"`
}

func readAction(t *testing.T) *actionYAML {
	t.Helper()
	data, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var a actionYAML
	if err := yaml.Unmarshal(data, &a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	return &a
}

var inputExpr = regexp.MustCompile(`^\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}$`)

// stepEnv is the environment the runner gives the kiln step for inputs:
// each env entry of the step that is ${{ inputs.x }} gets the input, or its
// default from action.yml, as GitHub would.
func stepEnv(t *testing.T, a *actionYAML, inputs map[string]string) []string {
	t.Helper()
	for name := range inputs {
		if _, ok := a.Inputs[name]; !ok {
			t.Fatalf("test passes input %q, which action.yml does not declare", name)
		}
	}
	var env []string
	for _, s := range a.Runs.Steps {
		if s.ID != "kiln" {
			continue
		}
		for k, v := range s.Env {
			m := inputExpr.FindStringSubmatch(v)
			if m == nil {
				t.Fatalf("step env %s = %q is not an input", k, v)
			}
			val, ok := inputs[m[1]]
			if !ok {
				val = a.Inputs[m[1]].Default
				if val == "${{ github.token }}" {
					val = "fake-workflow-token"
				}
			}
			env = append(env, k+"="+val)
		}
	}
	if env == nil {
		t.Fatal("action.yml has no step with id kiln")
	}
	return env
}

// result is one run of internal/action/run.sh.
type result struct {
	code    int
	stdout  string
	stderr  string
	outputs string
	summary string
}

const secret = "s3cret-from-vault-42"

// workspace copies the example into <ws>/deploy, adds a secret var to dev,
// and lets mutate break things.
func workspace(t *testing.T, mutate func(deploy string)) string {
	t.Helper()
	ws := t.TempDir()
	deploy := filepath.Join(ws, "deploy")
	if err := os.CopyFS(deploy, os.DirFS("../../examples/instavote")); err != nil {
		t.Fatal(err)
	}
	appendFile(t, filepath.Join(deploy, "envs", "dev.yaml"), "secretVars:\n  DB_PASSWORD: DEV_DB_PASSWORD\n")
	if mutate != nil {
		mutate(deploy)
	}
	checkout(t, ws)
	return ws
}

// checkout makes ws a git repository with one commit of its files, as
// actions/checkout leaves the workspace: kiln records that commit and
// warns when the code is not in a checkout. Identity and dates are fixed,
// so the commit (and every output naming it) is the same on every run.
func checkout(t *testing.T, ws string) {
	t.Helper()
	env := []string{"PATH=" + os.Getenv("PATH"), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=" + os.DevNull,
		"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.com", "GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.com",
		"GIT_AUTHOR_DATE=2024-01-02T03:04:05Z", "GIT_COMMITTER_DATE=2024-01-02T03:04:05Z"}
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "-A"}, {"commit", "-q", "-m", "code"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir, cmd.Env = ws, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
}

func appendFile(t *testing.T, name, text string) {
	t.Helper()
	f, err := os.OpenFile(name, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func runAction(t *testing.T, ws string, inputs map[string]string) result {
	t.Helper()
	a := readAction(t)
	tmp := t.TempDir()
	outFile, sumFile := filepath.Join(tmp, "output"), filepath.Join(tmp, "summary")
	for _, f := range []string{outFile, sumFile} {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	runnerTemp := filepath.Join(tmp, "runner")
	if err := os.Mkdir(runnerTemp, 0o755); err != nil {
		t.Fatal(err)
	}
	actionPath, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", filepath.Join(actionPath, "internal", "action", "run.sh"))
	cmd.Dir = ws
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + tmp,
		"GITHUB_ACTIONS=true",
		"GITHUB_OUTPUT=" + outFile,
		"GITHUB_STEP_SUMMARY=" + sumFile,
		"GITHUB_WORKSPACE=" + ws,
		"GITHUB_ACTION_PATH=" + actionPath,
		"RUNNER_TEMP=" + runnerTemp,
		"KILN_BIN=" + kiln(t),
		"KILN_CACHE_DIR=" + filepath.Join(tmp, "cache"),
		"DEV_DB_PASSWORD=" + secret,
	}, stepEnv(t, a, inputs)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	read := func(p string) string {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	return result{code: code, stdout: stdout.String(), stderr: stderr.String(), outputs: read(outFile), summary: read(sumFile)}
}

// checkMasks requires the secret's ::add-mask:: to come before any line
// that is not a mask, and the secret to appear nowhere else.
func checkMasks(t *testing.T, r result, wantMask bool) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(r.stdout+r.stderr, "\n"), "\n")
	// run.sh sends kiln's stderr into its stdout: one stream, which must
	// start with the masks.
	masked := false
	for _, l := range strings.Split(r.stdout, "\n") {
		if !strings.HasPrefix(l, "::add-mask::") {
			break
		}
		if l == "::add-mask::"+secret {
			masked = true
		}
	}
	if masked != wantMask {
		t.Errorf("the log starts with ::add-mask:: of the secret: %v, want %v\n%s", masked, wantMask, r.stdout)
	}
	for _, l := range lines {
		if strings.Contains(l, secret) && l != "::add-mask::"+secret {
			t.Errorf("secret printed: %q", l)
		}
	}
	for name, s := range map[string]string{"summary": r.summary, "outputs": r.outputs} {
		if strings.Contains(s, secret) {
			t.Errorf("secret in the %s", name)
		}
	}
}

// checkGuard requires every line of kiln's log that is not one of its own
// workflow commands to come while the runner's commands are stopped, each
// of kiln's commands after that to be sent between a resume and a new
// stop with one token, and the log to end with the commands resumed.
func checkGuard(t *testing.T, log string) {
	t.Helper()
	token := ""
	stopped := false
	lines := strings.Split(strings.TrimSuffix(log, "\n"), "\n")
	for i, l := range lines {
		switch {
		case l == "":
		case strings.HasPrefix(l, "::stop-commands::"):
			if stopped || (token != "" && l != "::stop-commands::"+token) {
				t.Errorf("line %d: %q: stopped twice, or with another token", i+1, l)
			}
			token, stopped = strings.TrimPrefix(l, "::stop-commands::"), true
		case token != "" && l == "::"+token+"::":
			if !stopped {
				t.Errorf("line %d: resumed twice", i+1)
			}
			stopped = false
		case strings.HasPrefix(l, "::"):
			if stopped {
				t.Errorf("line %d: kiln's command %q sent while commands are stopped", i+1, l)
			}
			if token != "" && (i == 0 || i+1 >= len(lines) || lines[i-1] != "::"+token+"::" || lines[i+1] != "::stop-commands::"+token) {
				t.Errorf("line %d: kiln's command %q is not between a resume and a stop", i+1, l)
			}
		default:
			if !stopped {
				t.Errorf("line %d: %q printed while the runner reads commands", i+1, l)
			}
		}
	}
	if stopped {
		t.Errorf("the log ends with the runner's commands stopped:\n%s", log)
	}
}

// outputs parses $GITHUB_OUTPUT (name<<DELIM blocks, as ghactions writes).
func outputs(t *testing.T, s string) map[string]string {
	t.Helper()
	out := map[string]string{}
	lines := strings.Split(s, "\n")
	for i := 0; i < len(lines); i++ {
		if lines[i] == "" {
			continue
		}
		name, delim, ok := strings.Cut(lines[i], "<<")
		if !ok {
			t.Fatalf("GITHUB_OUTPUT line %q is not name<<delimiter", lines[i])
		}
		var val []string
		for i++; i < len(lines) && lines[i] != delim; i++ {
			val = append(val, lines[i])
		}
		out[name] = strings.Join(val, "\n")
	}
	return out
}

func TestRun(t *testing.T) {
	t.Parallel()
	badDeployment := `apiVersion: apps/v1
kind: Deployment
metadata:
  name: bad
spec:
  selector:
    matchLabels: {app: bad}
  hoge: 1
  template:
    metadata:
      labels: {app: bad}
    spec:
      containers:
      - name: bad
        image: busybox:1.36
`
	tests := []struct {
		name   string
		mutate func(t *testing.T, deploy string)
		inputs map[string]string
		// wantCode is run.sh's exit code.
		wantCode int
		// wantOutputs are the step outputs; nil: none written.
		wantOutputs map[string]string
		// wantStderr must each occur in stderr (ws is replaced by the workspace).
		wantStderr []string
		// noSecrets: kiln stops before it resolves secret vars, so there is
		// nothing to mask.
		noSecrets bool
		// summary names a golden file under testdata; "" for no summary.
		summary string
		// wantFile must exist below the workspace afterwards.
		wantFile string
		// wantStdout must occur in stdout; "": stdout must be empty.
		wantStdout string
	}{
		{
			name: "render",
			inputs: map[string]string{
				"command": "render", "env": "dev", "config": "deploy/kiln.yaml",
				"images": ` ["ghcr.io/acme/vote:1.4.2"]`,
				"args":   `--out "rendered out" --strict`,
			},
			wantOutputs: map[string]string{"changed": "false", "out-dir": "{ws}/rendered out"},
			summary:     "render-summary.md",
			wantFile:    "rendered out/dev/kiln.lock.json",
		},
		{
			name: "validate with errors",
			mutate: func(t *testing.T, deploy string) {
				appendFile(t, filepath.Join(deploy, "apps", "db", "bad.yaml"), badDeployment)
			},
			inputs:      map[string]string{"command": "validate", "env": "dev,\nstaging", "config": "deploy/kiln.yaml"},
			wantCode:    1,
			wantOutputs: map[string]string{"changed": "false", "out-dir": ""},
			wantStderr: []string{
				`::error file=deploy/apps/db/bad.yaml,line=8,title=kiln%3A env dev::app db: Deployment/instavote/bad: unknown field "spec.hoge"%0Ahint: `,
				`::error file=deploy/apps/db/bad.yaml,line=8,title=kiln%3A env staging::app db: Deployment/instavote/bad: unknown field "spec.hoge"%0Ahint: `,
				"kiln: 1 error in env dev",
			},
			summary: "validate-summary.md",
		},
		{
			name: "images file and an unused image",
			mutate: func(t *testing.T, deploy string) {
				appendFile(t, filepath.Join(deploy, "images.json"), `{"ghcr.io/acme/nothing": "1.0.0"}`)
			},
			inputs:      map[string]string{"command": "validate", "env": "dev", "config": "deploy/kiln.yaml", "images": "deploy/images.json"},
			wantOutputs: map[string]string{"changed": "false", "out-dir": ""},
			wantStderr:  []string{"::warning title=kiln%3A env dev::image ghcr.io/acme/nothing is used by no app in env dev%0Ahint: "},
		},
		{
			name: "unknown key in kiln.yaml",
			mutate: func(t *testing.T, deploy string) {
				appendFile(t, filepath.Join(deploy, "kiln.yaml"), "hoge: 1\n")
			},
			inputs:      map[string]string{"command": "render", "config": "deploy/kiln.yaml"},
			wantCode:    1,
			noSecrets:   true,
			wantOutputs: map[string]string{"changed": "false", "out-dir": ""},
			wantStderr:  []string{"::error file=deploy/kiln.yaml,line={kilnyamlLast},title=kiln::"},
		},
		{
			// action.yml: changed is false on graph, as on render and validate.
			name:        "graph",
			inputs:      map[string]string{"command": "graph", "env": "dev", "config": "deploy/kiln.yaml"},
			noSecrets:   true,
			wantOutputs: map[string]string{"changed": "false", "out-dir": ""},
			wantStdout:  "env dev: ",
		},
		{
			// verify sets the outputs too, even when it cannot verify.
			name:        "verify without the folder",
			inputs:      map[string]string{"command": "verify", "env": "dev", "config": "deploy/kiln.yaml", "args": "--against nowhere"},
			wantCode:    2,
			wantOutputs: map[string]string{"changed": "false", "out-dir": ""},
			wantStderr:  []string{"kiln: "},
		},
		{
			// A usage mistake is annotated like a render error, not left
			// in the log behind "exit code 2".
			name:        "unknown env",
			inputs:      map[string]string{"command": "render", "env": "prd", "config": "deploy/kiln.yaml"},
			wantCode:    2,
			wantOutputs: map[string]string{"changed": "false", "out-dir": ""},
			wantStderr:  []string{`::error file=deploy/kiln.yaml,title=kiln::environment "prd": no such environment (did you mean "prod"?)%0Ahint: the environments in kiln.yaml are dev, staging, prod`},
		},
		{
			name:        "unknown flag in args",
			inputs:      map[string]string{"command": "validate", "config": "deploy/kiln.yaml", "args": "--bogus"},
			wantCode:    2,
			wantOutputs: map[string]string{"changed": "false", "out-dir": ""},
			wantStderr:  []string{`::error title=kiln::unknown flag --bogus; run 'kiln help validate' for usage`},
		},
		{
			name: "unknown command",
			// The action script's own refusals set the outputs too.
			inputs:      map[string]string{"command": "deploy"},
			wantCode:    2,
			wantOutputs: map[string]string{"changed": "false", "out-dir": ""},
			wantStderr:  []string{`::error title=kiln action::input command is "deploy"; use render, diff, validate, graph, promote or verify`},
		},
		{
			name:        "from without to",
			inputs:      map[string]string{"command": "promote", "from": "dev"},
			wantCode:    2,
			wantOutputs: map[string]string{"changed": "false", "pr-url": "", "pr-number": "", "out-dir": ""},
			wantStderr:  []string{"::error title=kiln action::give both inputs from and to"},
		},
		{
			name:        "from on render",
			inputs:      map[string]string{"command": "render", "from": "dev", "to": "staging"},
			wantCode:    2,
			wantOutputs: map[string]string{"changed": "false", "out-dir": ""},
			wantStderr:  []string{"::error title=kiln action::inputs from and to are for command promote, not render"},
		},
		{
			name:        "unmatched quote in args",
			inputs:      map[string]string{"command": "render", "args": `--out "x`},
			wantCode:    2,
			wantOutputs: map[string]string{"changed": "false", "out-dir": ""},
			wantStderr:  []string{"::error title=kiln action::input args has an unmatched quote"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ws := workspace(t, func(deploy string) {
				if tc.mutate != nil {
					tc.mutate(t, deploy)
				}
			})
			data, err := os.ReadFile(filepath.Join(ws, "deploy", "kiln.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			expand := strings.NewReplacer("{ws}", ws, "{kilnyamlLast}", fmt.Sprint(strings.Count(string(data), "\n"))).Replace

			r := runAction(t, ws, tc.inputs)
			if r.code != tc.wantCode {
				t.Fatalf("exit code %d, want %d\nstderr:\n%s", r.code, tc.wantCode, r.stderr)
			}
			if tc.wantCode != 2 {
				checkMasks(t, r, !tc.noSecrets)
			}
			var want map[string]string
			if tc.wantOutputs != nil {
				want = map[string]string{}
				for k, v := range tc.wantOutputs {
					want[k] = expand(v)
				}
			}
			got := outputs(t, r.outputs)
			if len(got) == 0 {
				got = nil
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("outputs (-want +got):\n%s", diff)
			}
			for _, s := range tc.wantStderr {
				if s = expand(s); !strings.Contains(r.stdout+r.stderr, s) {
					t.Errorf("the log lacks %q:\n%s%s", s, r.stderr, r.stdout)
				}
			}
			if tc.summary != "" {
				golden.File(t, filepath.Join("testdata", tc.summary), []byte(r.summary), *update)
			}
			if tc.wantFile != "" {
				if _, err := os.Stat(filepath.Join(ws, tc.wantFile)); err != nil {
					t.Errorf("want %s: %v", tc.wantFile, err)
				}
			}
			// Only run.sh's own errors, before kiln starts, are on stderr.
			if r.stderr != "" && !strings.Contains(r.stderr, "::error title=kiln action::") {
				t.Errorf("kiln's stderr is not sent into stdout; stderr:\n%s", r.stderr)
			}
			checkGuard(t, r.stdout)
			if !strings.Contains(r.stdout, tc.wantStdout) {
				t.Errorf("stdout lacks %q:\n%s", tc.wantStdout, r.stdout)
			}
		})
	}
}

// TestRenderUsesInlineImages checks that inline JSON reaches kiln: the
// lock file records the image.
func TestRenderUsesInlineImages(t *testing.T) {
	t.Parallel()
	ws := workspace(t, nil)
	r := runAction(t, ws, map[string]string{
		"command": "render", "env": "dev", "config": "deploy/kiln.yaml",
		"images": "{\"ghcr.io/acme/vote\": \"1.4.2\"}", "args": "--out out",
	})
	if r.code != 0 {
		t.Fatalf("exit code %d:\n%s", r.code, r.stderr)
	}
	lock, err := os.ReadFile(filepath.Join(ws, "out", "dev", "kiln.lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(lock), "1.4.2") {
		t.Errorf("kiln.lock.json does not record the image:\n%s", lock)
	}
}

var (
	anyInput = regexp.MustCompile(`\binputs\.([A-Za-z0-9_-]+)`)
	pinned   = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$`)
)

// walk calls fn for every key/value pair in a decoded YAML document.
func walk(v any, fn func(key string, val any)) {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fn(k, x[k])
			walk(x[k], fn)
		}
	case []any:
		for _, e := range x {
			walk(e, fn)
		}
	}
}

// checkCommon applies the rules every file obeys: no ${{ }} inside run:,
// every uses: pinned to a full commit SHA with a version comment.
func checkCommon(t *testing.T, file string, raw []byte, doc any) {
	t.Helper()
	walk(doc, func(key string, val any) {
		s, _ := val.(string)
		switch key {
		case "run":
			if strings.Contains(s, "${{") {
				t.Errorf("%s: run: contains ${{ }}; pass values through env: instead:\n%s", file, s)
			}
		case "uses":
			if strings.HasPrefix(s, "./") {
				return
			}
			if !pinned.MatchString(s) {
				t.Errorf("%s: uses: %s is not pinned to a full commit SHA", file, s)
			}
		}
	})
	for i, line := range strings.Split(string(raw), "\n") {
		if strings.Contains(line, "uses:") && !strings.HasPrefix(strings.TrimSpace(line), "#") && !strings.Contains(line, " # ") {
			t.Errorf("%s:%d: pinned uses: needs a version comment (# vX.Y.Z)", file, i+1)
		}
	}
}

func TestActionYAML(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	checkCommon(t, "action.yml", raw, doc)
	a := readAction(t)
	if a.Runs.Using != "composite" {
		t.Errorf("runs.using = %q, want composite", a.Runs.Using)
	}
	for _, m := range anyInput.FindAllStringSubmatch(string(raw), -1) {
		if _, ok := a.Inputs[m[1]]; !ok {
			t.Errorf("action.yml uses inputs.%s, which is not declared", m[1])
		}
	}
	var gotInputs []string
	for name, in := range a.Inputs {
		gotInputs = append(gotInputs, name)
		if in.Description == "" {
			t.Errorf("input %s has no description", name)
		}
	}
	sort.Strings(gotInputs)
	wantInputs := []string{"args", "command", "config", "env", "from", "images", "to", "token"}
	if diff := cmp.Diff(wantInputs, gotInputs); diff != "" {
		t.Errorf("inputs (-want +got):\n%s", diff)
	}
	if !a.Inputs["command"].Required {
		t.Error("input command is not required")
	}
	var gotOutputs []string
	for name, out := range a.Outputs {
		gotOutputs = append(gotOutputs, name)
		if want := "${{ steps.kiln.outputs." + name + " }}"; out.Value != want {
			t.Errorf("output %s = %q, want %q", name, out.Value, want)
		}
	}
	sort.Strings(gotOutputs)
	if diff := cmp.Diff([]string{"changed", "out-dir", "pr-number", "pr-url"}, gotOutputs); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}
	script, err := os.ReadFile("run.sh")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range a.Runs.Steps {
		if s.Run != "" && s.Shell == "" {
			t.Errorf("step %q: a composite run step needs shell:", s.ID)
		}
		for k := range s.Env {
			// run.sh reads each variable or, like KILN_TOKEN which kiln
			// reads, names it in its header.
			if !strings.Contains(string(script), k) {
				t.Errorf("step %q sets %s, which run.sh never mentions", s.ID, k)
			}
		}
	}
}

func TestWorkflows(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../../examples/workflows/*.yml")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	if diff := cmp.Diff([]string{"chain.yml", "ci.yml", "preview.yml", "promote.yml", "verify.yml"}, names); diff != "" {
		t.Errorf("example workflows (-want +got):\n%s", diff)
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var doc map[string]any
			if err := yaml.Unmarshal(raw, &doc); err != nil {
				t.Fatal(err)
			}
			checkCommon(t, name, raw, doc)
			if p, ok := doc["permissions"]; !ok {
				t.Error("no top-level permissions:")
			} else if m, _ := p.(map[string]any); len(m) != 0 {
				t.Errorf("top-level permissions: %v, want {} (jobs ask for their own)", p)
			}
			declared := map[string]bool{}
			if on, _ := doc["on"].(map[string]any); on != nil {
				if wd, _ := on["workflow_dispatch"].(map[string]any); wd != nil {
					if ins, _ := wd["inputs"].(map[string]any); ins != nil {
						for k := range ins {
							declared[k] = true
						}
					}
				}
			}
			for _, m := range anyInput.FindAllStringSubmatch(string(raw), -1) {
				if !declared[m[1]] {
					t.Errorf("uses inputs.%s, which workflow_dispatch does not declare", m[1])
				}
			}
			jobs, _ := doc["jobs"].(map[string]any)
			if len(jobs) == 0 {
				t.Fatal("no jobs")
			}
			for jn, j := range jobs {
				job, _ := j.(map[string]any)
				if _, ok := job["permissions"]; !ok {
					t.Errorf("job %s has no permissions:", jn)
				}
				steps, _ := job["steps"].([]any)
				// A job that promotes checks out the whole history: kiln
				// refuses to promote a commit over the render of a newer
				// one (a re-run of an old workflow run) only when the
				// checkout can tell which is newer.
				promotes, verifies := false, false
				for _, s := range steps {
					step, _ := s.(map[string]any)
					with, _ := step["with"].(map[string]any)
					if uses, _ := step["uses"].(string); strings.HasPrefix(uses, "kiln-gitops/kiln@") {
						promotes = promotes || with["command"] == "promote"
						// Without it a kiln/* branch's lock may name a
						// fork's commit, and its tree verifies.
						if with["command"] == "verify" {
							verifies = true
							if args, _ := with["args"].(string); !strings.Contains(args, "--source-ref ") {
								t.Errorf("job %s: kiln verify without --source-ref trusts any commit the lock names", jn)
							}
						}
					}
				}
				for _, s := range steps {
					step, _ := s.(map[string]any)
					uses, _ := step["uses"].(string)
					if !strings.HasPrefix(uses, "actions/checkout@") {
						continue
					}
					with, _ := step["with"].(map[string]any)
					if with["persist-credentials"] != false {
						t.Errorf("job %s: checkout without persist-credentials: false", jn)
					}
					if (promotes || verifies) && with["fetch-depth"] != 0 {
						t.Errorf("job %s promotes or verifies, but checks out without fetch-depth: 0: kiln cannot tell an older commit from a newer one (a re-run would roll the env back), nor whether the lock's commit is on the reviewed branch", jn)
					}
				}
			}
		})
	}
}

// TestRunWithoutArgsInput: run.sh under set -u with INPUT_ARGS unset (run
// outside action.yml, which always sets it) must not die on an unbound
// variable before kiln starts.
func TestRunWithoutArgsInput(t *testing.T) {
	t.Parallel()
	ws := workspace(t, func(string) {})
	script, err := filepath.Abs("run.sh")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", script)
	cmd.Dir = ws
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
		"KILN_BIN=" + kiln(t),
		"INPUT_COMMAND=graph",
		"INPUT_CONFIG=deploy/kiln.yaml",
	}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "env dev: ") {
		t.Fatalf("run.sh without INPUT_ARGS: %v\n%s", err, out)
	}
}

// TestRunKilnNotStartable: an exec that cannot start kiln (a file the
// kernel will not run, as on a noexec temp folder) still leaves the step
// outputs of a failure: bash ends at a failed exec without its EXIT trap
// unless execfail is set.
func TestRunKilnNotStartable(t *testing.T) {
	t.Parallel()
	ws := workspace(t, func(string) {})
	script, err := filepath.Abs("run.sh")
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "kiln")
	if err := os.WriteFile(bad, []byte("\x7fELF\x00not a program"), 0o755); err != nil {
		t.Fatal(err)
	}
	outFile := filepath.Join(t.TempDir(), "output")
	cmd := exec.Command("bash", script)
	cmd.Dir = ws
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
		"KILN_BIN=" + bad,
		"GITHUB_OUTPUT=" + outFile,
		"INPUT_COMMAND=promote",
		"INPUT_CONFIG=deploy/kiln.yaml",
	}
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "could not start kiln") {
		t.Fatalf("run.sh with a kiln that cannot start: %v\n%s", err, out)
	}
	data, err := os.ReadFile(outFile)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"changed": "false", "pr-url": "", "pr-number": "", "out-dir": ""}
	if diff := cmp.Diff(want, outputs(t, string(data))); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}
}

// TestFailEscapesInputs: run.sh's own errors quote inputs (env is
// newline-separated by design); a line break in one must not end the
// ::error command and start another on the next line, which the runner
// would obey (::warning, ::add-mask, ::stop-commands).
func TestFailEscapesInputs(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		inputs map[string]string
		want   string
	}{
		"env":     {inputs: map[string]string{"command": "promote", "env": "dev\n::warning::injected\r::notice::too"}, want: `::error title=kiln action::promote takes one env, not "dev%0A::warning::injected%0D::notice::too"`},
		"command": {inputs: map[string]string{"command": "render\n::warning::injected 100%"}, want: `::error title=kiln action::input command is "render%0A::warning::injected 100%25"; use render`},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ws := workspace(t, nil)
			r := runAction(t, ws, tc.inputs)
			if r.code != 2 {
				t.Fatalf("exit code %d, want 2\nstderr:\n%s", r.code, r.stderr)
			}
			if !strings.Contains(r.stderr, tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, r.stderr)
			}
			for _, l := range strings.FieldsFunc(r.stderr+r.stdout, func(c rune) bool { return c == '\n' || c == '\r' }) {
				if !strings.HasPrefix(l, "::error title=kiln action::") {
					t.Errorf("a line of the log is not run.sh's error: %q", l)
				}
			}
		})
	}
}

// TestVerifyWorkflowScope runs the scope step of examples/workflows/
// verify.yml on real git histories: kiln's pull request may change the
// env's folder only, and no folder below its flux/ (Flux's bootstrap
// folder, which the bootstrap Kustomization applies and kiln verify does
// not compare). Anything else fails the check, named in an ::error that
// a file name cannot break out of.
func TestVerifyWorkflowScope(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../../examples/workflows/verify.yml")
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		Jobs map[string]struct {
			Steps []struct {
				ID  string `yaml:"id"`
				Run string `yaml:"run"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(raw, &wf); err != nil {
		t.Fatal(err)
	}
	var script string
	for _, s := range wf.Jobs["verify"].Steps {
		if s.ID == "scope" {
			script = s.Run
		}
	}
	if script == "" {
		t.Fatal("verify.yml has no step with id scope")
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=" + os.DevNull,
		"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.com", "GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.com"}
	git := func(dir string, args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	for name, tc := range map[string]struct {
		change   []string // files the pull request adds
		gitlinks []string // submodules the pull request adds
		want     []string // ::error lines; none: the check passes
	}{
		// Checked out, a gitlink is an empty folder, which kiln verify
		// --against DIR cannot see.
		"a submodule": {gitlinks: []string{"clusters/dev/flux/sub"},
			want: []string{"::error title=kiln verify::the pull request adds a submodule to clusters/dev, which kiln never writes"}},
		"the env's folder": {change: []string{"clusters/dev/apps/web/deployment.yaml", "clusters/dev/flux/web.yaml", "clusters/dev/kiln.lock.json"}},
		"another env":      {change: []string{"clusters/dev/apps/web/x.yaml", "clusters/prod/apps/web/x.yaml"}, want: []string{"::error title=kiln verify::the pull request changes clusters/prod/apps/web/x.yaml, which is outside the env's folder clusters/dev"}},
		"a workflow":       {change: []string{".github/workflows/evil.yml"}, want: []string{"::error title=kiln verify::the pull request changes .github/workflows/evil.yml, which is outside the env's folder clusters/dev"}},
		"flux bootstrap":   {change: []string{"clusters/dev/flux/flux-system/evil.yaml"}, want: []string{"::error title=kiln verify::the pull request changes clusters/dev/flux/flux-system/evil.yaml, which is in a folder below flux/, which kiln never writes"}},
		"a name with a line break": {change: []string{"x\n::warning::injected 100%.yaml"},
			want: []string{"::error title=kiln verify::the pull request changes x%0A::warning::injected 100%25.yaml, which is outside the env's folder clusters/dev"}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			repo := t.TempDir()
			write := func(rel string) {
				p := filepath.Join(repo, filepath.FromSlash(rel))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(rel+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			write("clusters/dev/apps/web/deployment.yaml")
			write("clusters/prod/apps/web/deployment.yaml")
			git(repo, "init", "-q", "-b", "main")
			git(repo, "add", "-A")
			git(repo, "commit", "-q", "-m", "base")
			git(repo, "checkout", "-q", "-b", "kiln/dev")
			for _, f := range tc.change {
				write(f)
			}
			git(repo, "add", "-A")
			for _, l := range tc.gitlinks {
				git(repo, "update-index", "--add", "--cacheinfo", "160000,"+git(repo, "rev-parse", "HEAD")+","+l)
			}
			git(repo, "commit", "-q", "-m", "kiln")
			head := git(repo, "rev-parse", "HEAD")
			// The base branch moves on meanwhile: only what the pull
			// request changes counts, not what main gained since.
			git(repo, "checkout", "-q", "main")
			write("clusters/prod/apps/other/x.yaml")
			git(repo, "add", "-A")
			git(repo, "commit", "-q", "-m", "main moves on")
			base := git(repo, "rev-parse", "HEAD")
			cmd := exec.Command("bash", "-e", "-c", script)
			cmd.Dir = repo
			cmd.Env = append(env, "BASE_SHA="+base, "HEAD_SHA="+head, "MANIFESTS_PATH=clusters", "ENV_NAME=dev")
			out, err := cmd.CombinedOutput()
			var got []string
			for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				if l != "" {
					got = append(got, l)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
			if (err != nil) != (len(tc.want) > 0) {
				t.Errorf("exit: %v, want failure %v", err, len(tc.want) > 0)
			}
		})
	}
}
