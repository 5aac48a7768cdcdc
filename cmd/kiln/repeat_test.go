package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRepeatedEnvRendersOnce: --env dev --env dev (or KILN_ENV=dev,dev from
// a workflow matrix) names dev once; it rendered dev twice into the same
// staging folder and failed with "swapping the new tree into place: no
// such file or directory".
func TestRepeatedEnvRendersOnce(t *testing.T) {
	t.Parallel()
	project := exampleCopy(t)
	out := filepath.Join(t.TempDir(), "out")
	_, stderr, code := runKiln(t, "render", "--config", filepath.Join(project, "kiln.yaml"),
		"--env", "dev", "--env", "dev", "--out", out, "--no-cache")
	if code != 0 {
		t.Fatalf("render --env dev --env dev: exit %d\n%s", code, stderr)
	}
	if strings.Count(stderr, "rendered env dev") != 1 {
		t.Errorf("dev reported %d times, want once:\n%s", strings.Count(stderr, "rendered env dev"), stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "dev", "kiln.lock.json")); err != nil {
		t.Error(err)
	}
}
