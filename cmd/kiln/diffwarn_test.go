package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDiffSaysPipelineWarningsOnce: kiln diff renders each env on its own,
// and a warning about the whole pipeline (here the commit-status scale)
// came once per env; it comes once per command, while each env's own
// warnings still come.
func TestDiffSaysPipelineWarningsOnce(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	var b strings.Builder
	b.WriteString("apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments: [{name: dev}, {name: prod, promoteFrom: dev}]\n")
	b.WriteString("manifests: {repo: https://github.com/acme/manifests.git}\nnotifications: {secretRef: github-token, commitStatus: true}\napps:\n")
	files := map[string]string{"envs/dev.yaml": "vars: {}\n", "envs/prod.yaml": "vars: {}\n"}
	for i := range 26 {
		app := fmt.Sprintf("app%02d", i)
		fmt.Fprintf(&b, "  - {name: %s, namespace: shop, yaml: apps/%s}\n", app, app)
		files["apps/"+app+"/cm.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + app + "}\n"
	}
	files["kiln.yaml"] = b.String()
	writeFiles(t, root, files)
	cfg, out := filepath.Join(root, "kiln.yaml"), filepath.Join(root, "out")
	if _, stderr, code := runKiln(t, "render", "--config", cfg, "--out", out, "--no-cache"); code != 0 {
		t.Fatalf("render: exit %d\n%s", code, stderr)
	}
	// An image no app uses: a warning of each env, said for each.
	_, stderr, code := runKiln(t, "diff", "--config", cfg, "--against", out, "--no-cache", "--image", "ghcr.io/acme/unused:1")
	if code != 0 {
		t.Fatalf("diff: exit %d\n%s", code, stderr)
	}
	if n := strings.Count(stderr, "status contexts on one manifests commit"); n != 1 {
		t.Errorf("the scale warning %d times, want once:\n%s", n, stderr)
	}
	for _, env := range []string{"dev", "prod"} {
		if !strings.Contains(stderr, "image ghcr.io/acme/unused is used by no app in env "+env) {
			t.Errorf("no unused-image warning for env %s:\n%s", env, stderr)
		}
	}
}

// TestDiffFetchesOncePerCommand: diffing every env against the manifests
// branch clones the repository and fetches the branch once, not once per
// env (promote's TestDiffSession shows the clone removed); each env still
// gets its own diff, and a repository that cannot be fetched is an error
// of each env.
func TestDiffFetchesOncePerCommand(t *testing.T) {
	t.Parallel()
	f := newPromoteFixture(t)
	cfg := filepath.Join(f.code, "kiln.yaml")
	if _, stderr, code := f.kiln(t, false, "promote", "--config", cfg, "--env", "dev"); code != 0 {
		t.Fatal(stderr)
	}
	stdout, stderr, code := f.kiln(t, false, "diff", "--config", cfg)
	if code != 0 {
		t.Fatalf("diff: exit %d\n%s", code, stderr)
	}
	if n := strings.Count(stderr, "kiln: fetching "); n != 1 {
		t.Errorf("fetched %d times, want once:\n%s", n, stderr)
	}
	if !strings.Contains(stderr, "env dev: no differences against") || !strings.Contains(stdout, "+++ b/staging/apps/web/service_web.yaml") {
		t.Errorf("want dev unchanged and staging added\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
	}

	// A repository that is not there: every env says so.
	if err := os.Rename(f.remote, f.remote+".gone"); err != nil {
		t.Fatal(err)
	}
	_, stderr, code = f.kiln(t, false, "diff", "--config", cfg)
	if code == 0 || strings.Count(stderr, "kiln: fetching ") != 1 ||
		!strings.Contains(stderr, "error in env dev") || !strings.Contains(stderr, "error in env staging") {
		t.Errorf("a missing repository: exit %d, want an error for each env after one fetch:\n%s", code, stderr)
	}
}
