package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/urfave/cli/v2"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/promote"
)

// gitVars are the variables every test git command runs with.
var gitVars = map[string]string{
	"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.DevNull, "GIT_TERMINAL_PROMPT": "0",
	"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com",
	"GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.com",
	"GIT_AUTHOR_DATE": "2024-01-02T03:04:05Z", "GIT_COMMITTER_DATE": "2024-01-02T03:04:05Z",
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range gitVars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// promoteFixture is a code repository (two small apps) and a bare
// manifests repository it promotes to.
type promoteFixture struct {
	code, remote string
	vars         map[string]string
}

func newPromoteFixture(t *testing.T) *promoteFixture {
	t.Helper()
	root := t.TempDir()
	f := &promoteFixture{code: filepath.Join(root, "code"), remote: filepath.Join(root, "manifests.git")}
	git(t, root, "init", "-q", "--bare", "--initial-branch=main", f.remote)
	seed := filepath.Join(root, "seed")
	writeFiles(t, seed, map[string]string{"README.md": "manifests\n"})
	git(t, seed, "init", "-q", "--initial-branch=main")
	git(t, seed, "add", "-A")
	git(t, seed, "commit", "-q", "-m", "seed")
	git(t, seed, "push", "-q", f.remote, "HEAD:refs/heads/main")

	writeFiles(t, f.code, map[string]string{
		"kiln.yaml": `apiVersion: kiln/v1alpha1
kind: Pipeline
environments:
  - name: dev
    mode: push
  - name: staging
    promoteFrom: dev
manifests:
  repo: ../manifests.git
  github: acme/manifests
notifications:
  secretRef: github-token
  commitStatus: true
apps:
  - name: web
    namespace: shop
    yaml: apps/web
`,
		"apps/web/service.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector: {app: web}\n  ports:\n    - port: 80\n",
	})
	git(t, f.code, "init", "-q", "--initial-branch=main")
	git(t, f.code, "add", "-A")
	git(t, f.code, "commit", "-q", "-m", "initial")
	f.vars = map[string]string{"PATH": os.Getenv("PATH"), "KILN_CACHE_DIR": filepath.Join(root, "cache")}
	for k, v := range gitVars {
		f.vars[k] = v
	}
	return f
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// kiln runs the CLI and returns stdout,
// stderr and the exit code.
func (f *promoteFixture) kiln(t *testing.T, term bool, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	lookup := func(k string) (string, bool) { v, ok := f.vars[k]; return v, ok }
	app := newApp(&stdout, &stderr, lookup, "test")
	// Swap in a diff command whose terminal check the test controls.
	app.Commands = slices.DeleteFunc(app.Commands, func(c *cli.Command) bool { return c.Name == "diff" })
	app.Commands = append(app.Commands, diffCommandTerm(&stdout, &stderr, lookup, "test", func(io.Writer) bool { return term }))
	for _, c := range app.Commands {
		c.OnUsageError = app.OnUsageError
	}
	err := runApp(context.Background(), app, append([]string{"kiln"}, args...))
	code := report(&stderr, err)
	return stdout.String(), stderr.String(), code
}

func TestPromoteCommand(t *testing.T) {
	t.Parallel()
	f := newPromoteFixture(t)
	cfg := filepath.Join(f.code, "kiln.yaml")
	const secretToken = "ghp_cli_token_never_shown"

	// push mode, JSON for the GitHub Action's outputs.
	stdout, stderr, code := f.kiln(t, false, "promote", "--config", cfg, "--env", "dev", "--output", "json", "--token", secretToken)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if err := validateOutput("promote", []byte(stdout)); err != nil {
		t.Errorf("promote --output json: %v\n%s", err, stdout)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if files, ok := got["files"].([]any); !ok || len(files) == 0 {
		t.Errorf("json files = %v, want the changed files", got["files"])
	}
	head := git(t, f.remote, "rev-parse", "main")
	for k, want := range map[string]any{"env": "dev", "changed": true, "mode": "push", "commit": head, "branch": "main", "dryRun": false} {
		if got[k] != want {
			t.Errorf("json %s = %v, want %v\n%s", k, got[k], want, stdout)
		}
	}
	if strings.Contains(stdout+stderr, secretToken) {
		t.Error("the token was printed")
	}

	// Again: nothing to promote, said on stdout.
	stdout, stderr, code = f.kiln(t, false, "promote", "--config", cfg, "--env", "dev")
	if code != 0 || stdout != "env dev: nothing to promote\n" {
		t.Errorf("rerun: exit %d, stdout %q\n%s", code, stdout, stderr)
	}

	// A dry run makes the real run's checks: a pr env needs a token.
	_, stderr, code = f.kiln(t, false, "promote", "--config", cfg, "--env", "staging", "--dry-run")
	if code != 1 || !strings.Contains(stderr, "no GitHub token") {
		t.Errorf("dry run without a token: exit %d\n%s", code, stderr)
	}
	// With one, it prints the body and pushes nothing (and calls no API).
	stdout, stderr, code = f.kiln(t, false, "promote", "--config", cfg, "--env", "staging", "--dry-run", "--token", "ghp_dry", "--github-api", "http://127.0.0.1:1/")
	if code != 0 || !strings.Contains(stdout, "kiln: `staging`") || !strings.Contains(stderr, "would commit") {
		t.Errorf("dry run: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if heads := git(t, f.remote, "for-each-ref", "--format=%(refname:short)", "refs/heads/"); heads != "main" {
		t.Errorf("dry run created branches: %q", heads)
	}
}

func TestPromoteCommandUsage(t *testing.T) {
	t.Parallel()
	f := newPromoteFixture(t)
	cfg := filepath.Join(f.code, "kiln.yaml")
	for _, tc := range []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "nothing", args: []string{}, wantErr: "kiln: give --env E, or --from E --to E\n"},
		{name: "both", args: []string{"--env", "dev", "--from", "dev", "--to", "staging"}, wantErr: "kiln: give --env, or --from and --to, not both\n"},
		{name: "half", args: []string{"--from", "dev"}, wantErr: "kiln: --from and --to go together: give both, as in --from dev --to staging\n"},
		{name: "rendered with from", args: []string{"--from", "dev", "--to", "staging", "--rendered", "out"}, wantErr: "kiln: --rendered cannot be used with --from: the env is rendered with the images of --from\n"},
		{name: "image with from", args: []string{"--from", "dev", "--to", "staging", "--image", "x:1"}, wantErr: "kiln: --image and --images cannot be used with --from: the images come from the kiln.lock.json of --from\n"},
		{name: "wait without from", args: []string{"--env", "dev", "--wait", "1m"}, wantErr: "kiln: --wait goes with --from: it polls the health of the env promoted from\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, stderr, code := f.kiln(t, false, append([]string{"promote", "--config", cfg}, tc.args...)...)
			if code != exitUsage || stderr != tc.wantErr {
				t.Errorf("exit %d, stderr %q; want %d, %q", code, stderr, exitUsage, tc.wantErr)
			}
		})
	}
}

// TestPromoteWaitFromJobEnv: a job that sets KILN_WAIT for its promote
// --from step may run promote --env too: only --wait written on the command
// line without --from is a usage mistake. (Not parallel: urfave reads the
// flag's variable from the process's environment.)
func TestPromoteWaitFromJobEnv(t *testing.T) {
	t.Setenv("KILN_WAIT", "1m")
	f := newPromoteFixture(t)
	f.vars["KILN_WAIT"] = "1m"
	_, stderr, code := f.kiln(t, false, "promote", "--config", filepath.Join(f.code, "kiln.yaml"), "--env", "dev", "--dry-run")
	if code != 0 {
		t.Errorf("promote --env with KILN_WAIT set: exit %d\n%s", code, stderr)
	}
}

func TestPromoteErrExitCodes(t *testing.T) {
	t.Parallel()
	var stderr bytes.Buffer
	gate := &promote.GateError{Env: "dev", Commit: "0123456789", Failed: []promote.GateApp{{App: "web", State: "failure", Description: "timeout"}}}
	if code := report(&stderr, promoteErr(gate)); code != exitGate {
		t.Errorf("gate error: exit %d, want %d", code, exitGate)
	}
	want := "kiln: env dev is not healthy on commit 0123456:\n  app web: failure: timeout\n  hint: fix web in env dev (flux get kustomizations shows Flux's view), then promote again\n"
	if diff := cmp.Diff(want, stderr.String()); diff != "" {
		t.Errorf("stderr (-want +got):\n%s", diff)
	}
	renderErr := &promote.RenderError{Env: "dev", Err: errors.New("apps/web/x.yaml:3: bad")}
	var ee *envError
	if !errors.As(promoteErr(renderErr), &ee) || ee.env != "dev" {
		t.Errorf("render error maps to %v", promoteErr(renderErr))
	}
	// Each error of a join is mapped: the render's keeps its env, and
	// the other (verify's failure to set a step output) is not dropped.
	outputErr := errors.New("cannot write $GITHUB_OUTPUT")
	stderr.Reset()
	if code := report(&stderr, promoteErr(errors.Join(renderErr, outputErr))); code != exitFailure {
		t.Errorf("joined errors: exit %d, want %d", code, exitFailure)
	}
	want = "kiln: 1 error in env dev\napps/web/x.yaml:3: bad\nkiln: cannot write $GITHUB_OUTPUT\n"
	if diff := cmp.Diff(want, stderr.String()); diff != "" {
		t.Errorf("joined errors' stderr (-want +got):\n%s", diff)
	}
}

func TestDiffCommand(t *testing.T) {
	t.Parallel()
	f := newPromoteFixture(t)
	cfg := filepath.Join(f.code, "kiln.yaml")
	if _, stderr, code := f.kiln(t, false, "promote", "--config", cfg, "--env", "dev"); code != 0 {
		t.Fatal(stderr)
	}
	stdout, stderr, code := f.kiln(t, false, "diff", "--config", cfg, "--env", "dev", "--exit-code")
	if code != 0 || stdout != "" || !strings.Contains(stderr, "env dev: no differences against") {
		t.Errorf("unchanged: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}

	writeFiles(t, f.code, map[string]string{"apps/web/service.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector: {app: web}\n  ports:\n    - port: 8080\n"})
	stdout, stderr, code = f.kiln(t, false, "diff", "--config", cfg, "--env", "dev")
	if code != 0 || !strings.Contains(stdout, "--- a/apps/web/service_web.yaml\n+++ b/apps/web/service_web.yaml\n") ||
		!strings.Contains(stdout, "-  - port: 80\n+  - port: 8080\n") || strings.Contains(stdout, "\x1b[") {
		t.Errorf("changed: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "web          +0 ~1 -0 objects") {
		t.Errorf("summary:\n%s", stderr)
	}
	_, _, code = f.kiln(t, false, "diff", "--config", cfg, "--env", "dev", "--exit-code")
	if code != 1 {
		t.Errorf("--exit-code with differences: exit %d, want 1", code)
	}
	// A #REF that can name no branch, tag or commit is a usage mistake,
	// whose hint is about #REF, not kiln.yaml.
	for _, ref := range []string{"-x", "main~1", "main:clusters"} {
		_, stderr, code = f.kiln(t, false, "diff", "--config", cfg, "--env", "dev", "--against", f.remote+"#"+ref)
		if code != 2 || !strings.Contains(stderr, "#REF is a branch, a tag") || strings.Contains(stderr, "manifests.branch in kiln.yaml") {
			t.Errorf("#%s: exit %d, want 2 and a hint about #REF\n%s", ref, code, stderr)
		}
	}
	stdout, _, _ = f.kiln(t, true, "diff", "--config", cfg, "--env", "dev")
	if !strings.Contains(stdout, "\x1b[") {
		t.Error("no colour on a terminal")
	}
	f.vars["NO_COLOR"] = "1"
	stdout, _, _ = f.kiln(t, true, "diff", "--config", cfg, "--env", "dev")
	delete(f.vars, "NO_COLOR")
	if strings.Contains(stdout, "\x1b[") {
		t.Error("colour despite NO_COLOR")
	}
	stdout, _, code = f.kiln(t, false, "diff", "--config", cfg, "--env", "dev", "--output", "json")
	if err := validateOutput("diff", []byte(stdout)); err != nil {
		t.Errorf("diff --output json: %v\n%s", err, stdout)
	}
	var got struct {
		Changed bool
		Envs    []struct {
			Env     string
			Changed bool
			Apps    map[string]promote.AppChanges
			Files   []promote.FileChange
		}
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil || code != 0 {
		t.Fatalf("json: %v, exit %d\n%s", err, code, stdout)
	}
	if !got.Changed || len(got.Envs) != 1 || !got.Envs[0].Changed || got.Envs[0].Apps["web"] != (promote.AppChanges{Changed: 1}) || len(got.Envs[0].Files) != 2 {
		t.Errorf("json = %+v", got)
	}

	// Several envs: each is diffed, paths carry the env's folder, and
	// --exit-code says 1 when any differs. Without --env: every env.
	stdout, stderr, code = f.kiln(t, false, "diff", "--config", cfg, "--env", "dev", "--env", "staging", "--exit-code")
	if code != 1 || !strings.Contains(stdout, "--- a/dev/apps/web/service_web.yaml\n") || !strings.Contains(stdout, "+++ b/staging/apps/web/service_web.yaml\n") ||
		!strings.Contains(stderr, "env dev: 2 files differ") || !strings.Contains(stderr, "env staging: ") {
		t.Errorf("two envs: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	_, stderr, code = f.kiln(t, false, "diff", "--config", cfg, "--exit-code")
	if code != 1 || !strings.Contains(stderr, "env dev: ") || !strings.Contains(stderr, "env staging: ") {
		t.Errorf("no --env: exit %d, %q", code, stderr)
	}
	// Trouble under --exit-code is 2, as diff(1) has it: here a folder to
	// compare with that does not exist.
	_, stderr, code = f.kiln(t, false, "diff", "--config", cfg, "--env", "dev", "--exit-code", "--against", filepath.Join(t.TempDir(), "nothing"))
	if code != 2 || !strings.Contains(stderr, "no such folder to compare with") {
		t.Errorf("trouble: exit %d, %q", code, stderr)
	}
	// Without --exit-code too: a folder the command line names that is
	// not there is a usage mistake (2), as a --config naming no file is.
	_, _, code = f.kiln(t, false, "diff", "--config", cfg, "--env", "dev", "--against", filepath.Join(t.TempDir(), "nothing"))
	if code != 2 {
		t.Errorf("no such folder without --exit-code: exit %d, want 2", code)
	}
	_, stderr, code = f.kiln(t, false, "promote", "--config", cfg, "--env", "dev", "--dry-run", "--rendered", filepath.Join(t.TempDir(), "nothing"))
	if code != 2 || !strings.Contains(stderr, "no rendered env dev here") {
		t.Errorf("promote --rendered with no such folder: exit %d, want 2\n%s", code, stderr)
	}
}

// TestActionsOutputs: inside GitHub Actions, diff and promote write the step
// outputs and the job summary the action's users read.
func TestActionsOutputs(t *testing.T) {
	t.Parallel()
	f := newPromoteFixture(t)
	cfg := filepath.Join(f.code, "kiln.yaml")
	dir := t.TempDir()
	out, summary := filepath.Join(dir, "output"), filepath.Join(dir, "summary")
	f.vars["GITHUB_ACTIONS"] = "true"
	f.vars["GITHUB_OUTPUT"] = out
	f.vars["GITHUB_STEP_SUMMARY"] = summary
	read := func(p string) string {
		data, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		_ = os.Remove(p)
		return string(data)
	}

	if _, stderr, code := f.kiln(t, false, "diff", "--config", cfg, "--env", "dev"); code != 0 {
		t.Fatal(stderr)
	}
	if o, s := read(out), read(summary); !strings.Contains(o, "changed<<") || !strings.Contains(o, "\ntrue\n") ||
		!strings.Contains(s, "## kiln diff: env dev") || !strings.Contains(s, "```diff") {
		t.Errorf("diff: outputs %q, summary %q", o, s)
	}

	if _, stderr, code := f.kiln(t, false, "promote", "--config", cfg, "--env", "dev"); code != 0 {
		t.Fatal(stderr)
	}
	o, s := read(out), read(summary)
	for _, want := range []string{"changed<<", "pr-url<<", "pr-number<<", "out-dir<<"} {
		if !strings.Contains(o, want) {
			t.Errorf("promote: output %s missing in %q", want, o)
		}
	}
	if !strings.Contains(s, "dev") || !strings.Contains(s, "|") {
		t.Errorf("promote: the summary lacks the app table:\n%s", s)
	}
}

// TestActionsOutputsAfterRefusal: a promotion that pushed nothing (the
// manifests repository refused the push, as branch protection does) sets
// the step output changed to false: a later step, or one after
// continue-on-error, must not act on a change that is not there. It is a
// failure (exit 1), not a usage mistake: git's exit status, which the
// error wraps, is no exit code of kiln's.
func TestActionsOutputsAfterRefusal(t *testing.T) {
	t.Parallel()
	f := newPromoteFixture(t)
	hook := filepath.Join(f.remote, "hooks", "pre-receive")
	if err := os.WriteFile(hook, []byte("#!/bin/sh\necho 'error: GH006: Protected branch update failed for refs/heads/main.' >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "output")
	f.vars["GITHUB_ACTIONS"] = "true"
	f.vars["GITHUB_OUTPUT"] = out
	stdout, stderr, code := f.kiln(t, false, "promote", "--config", filepath.Join(f.code, "kiln.yaml"), "--env", "dev", "--output", "json")
	if code != 1 || !strings.Contains(stderr, "Protected branch update failed") {
		t.Fatalf("exit %d, want 1 naming the refusal\n%s", code, stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if o := string(data); !strings.Contains(o, "changed<<") || strings.Contains(o, "\ntrue\n") {
		t.Errorf("outputs after a refused push:\n%s", o)
	}
	var rep struct{ Commit string }
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Commit != "" {
		t.Errorf("--output json names commit %s, which the refused push never put on the branch", rep.Commit)
	}
}

// TestProcessExitIsNoExitCode: an error that wraps a failed process's exit
// status (every failed git command of promote, diff and verify does) has
// an ExitCode method, as urfave/cli's own exit errors do; it must map to
// kiln's failure, not to the usage code 2.
func TestProcessExitIsNoExitCode(t *testing.T) {
	t.Parallel()
	gitErr := exec.Command("git", "--no-such-option").Run()
	var xe *exec.ExitError
	if !errors.As(gitErr, &xe) || xe.ExitCode() == exitFailure {
		t.Fatalf("git failed with %v; want an exit status other than %d", gitErr, exitFailure)
	}
	wrapped := fmt.Errorf("pushing main to the manifests repository: %w", gitErr)
	if code := report(io.Discard, promoteErr(wrapped)); code != exitFailure {
		t.Errorf("a failed git command: exit %d, want %d", code, exitFailure)
	}
	if code := report(io.Discard, cli.Exit("no such command", exitUsage)); code != exitUsage {
		t.Errorf("urfave's own exit error: exit %d, want %d", code, exitUsage)
	}
}

// TestActionsAnnotateDiffAndPromoteWarnings: inside GitHub Actions, the
// warnings diff and promote print are ::warning annotations under their
// env's title, as render's are (docs/github-actions.md, Annotations);
// they were only lines of the step's log.
func TestActionsAnnotateDiffAndPromoteWarnings(t *testing.T) {
	t.Parallel()
	f := newPromoteFixture(t)
	cfg := filepath.Join(f.code, "kiln.yaml")
	f.vars["GITHUB_ACTIONS"] = "true"
	const want = "::warning title=kiln%3A env dev::image ghcr.io/acme/unused is used by no app"
	for _, cmd := range []string{"diff", "promote"} {
		_, stderr, code := f.kiln(t, false, cmd, "--config", cfg, "--env", "dev", "--image", "ghcr.io/acme/unused:1")
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s", cmd, code, stderr)
		}
		if n := strings.Count(stderr, want); n != 1 {
			t.Errorf("%s: %d annotations %q, want 1:\n%s", cmd, n, want, stderr)
		}
	}
}
