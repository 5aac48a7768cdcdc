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
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
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
