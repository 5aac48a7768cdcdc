package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigErrorsHaveAHeader: kiln.yaml's errors, all reported at once,
// come under one "kiln: N errors in kiln.yaml" line as an env's do, each
// on its own line without a prefix of its own; a single one keeps the
// "kiln: " prefix.
func TestConfigErrorsHaveAHeader(t *testing.T) {
	t.Parallel()
	project := exampleCopy(t)
	config := filepath.Join(project, "kiln.yaml")
	data, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(config, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(strings.Replace(string(data), "apps:\n", "apps:\n  - name: Bad_Name\n    bogus: 1\n", 1))
	_, stderr, code := runKiln(t, "render", "--config", config, "--env", "dev", "--out", filepath.Join(t.TempDir(), "out"))
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	lines := strings.Split(stderr, "\n")
	if lines[0] != "kiln: 4 errors in kiln.yaml" {
		t.Errorf("first line %q, want the header\n%s", lines[0], stderr)
	}
	if n := strings.Count(stderr, "kiln: "); n != 1 {
		t.Errorf("%d lines start with kiln:, want only the header\n%s", n, stderr)
	}
	if !strings.Contains(stderr, "\nkiln.yaml:36: unknown key \"bogus\"\n") {
		t.Errorf("an error is not on its own line\n%s", stderr)
	}

	write(strings.Replace(string(data), "apps:\n", "apps:\n  - name: extra\n    namespace: ns\n    yaml: apps/vote\n    bogus: 1\n", 1))
	_, stderr, _ = runKiln(t, "render", "--config", config, "--env", "dev", "--out", filepath.Join(t.TempDir(), "out"))
	if !strings.HasPrefix(stderr, "kiln: kiln.yaml:38: app extra: unknown key \"bogus\"\n") {
		t.Errorf("a single error lost its prefix:\n%s", stderr)
	}
}

// TestOutOverlappingSourcesIsUsage: an --out that is inside, is or holds a
// source of the pipeline is a wrong flag value: exit 2, as every usage
// mistake, with the error naming the source.
func TestOutOverlappingSourcesIsUsage(t *testing.T) {
	t.Parallel()
	project := exampleCopy(t)
	config := filepath.Join(project, "kiln.yaml")
	for _, out := range []string{filepath.Join(project, "apps", "vote", "overlays", "dev", "out"), project} {
		_, stderr, code := runKiln(t, "render", "--config", config, "--env", "dev", "--out", out, "--no-cache")
		if code != 2 || !strings.Contains(stderr, "kiln replaces folders below --out") {
			t.Errorf("--out %s: exit %d, want 2 naming the source\n%s", out, code, stderr)
		}
	}
}
