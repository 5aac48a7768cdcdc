package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestLongNameErrorsAreBounded: a ConfigMap named with 100,000 characters
// and a label value as long made 500 KB of errors, the name quoted whole
// in each error about the object and again in the API server's messages.
// Every sink of a GitHub Actions job (the log with its annotations, the
// job summary, --output json) stays small, and still says where and what.
func TestLongNameErrorsAreBounded(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 100000)
	repo := t.TempDir()
	writeFiles(t, repo, map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\napps:\n  - name: y\n    namespace: x\n    yaml: a\n",
		"a/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + long + "\n  labels:\n    l: " + long + "\ndata: {k: v}\n",
	})
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			summary := filepath.Join(t.TempDir(), "summary.md")
			lookup := inActions(map[string]string{"GITHUB_STEP_SUMMARY": summary, "GITHUB_WORKSPACE": repo})
			stdout, stderr, code := runLeak(t, lookup, nil, "validate", "--config", filepath.Join(repo, "kiln.yaml"), "--all", "--output", format)
			if code != exitFailure {
				t.Errorf("exit %d, want %d", code, exitFailure)
			}
			sinks := map[string]string{"stdout": stdout, "stderr": stderr, "summary": readIf(t, summary)}
			for name, text := range sinks {
				if len(text) > 64<<10 {
					t.Errorf("%s has %d bytes", name, len(text))
				}
			}
			all := stdout + stderr + sinks["summary"]
			for _, want := range []string{"file=a/cm.yaml,line=4", "must be no more than 253 characters", "must be no more than 63 bytes", "…(100000 bytes)"} {
				if !strings.Contains(all, want) {
					t.Errorf("no %q in the output:\n%s", want, all)
				}
			}
			where := map[string]string{"text": "a/cm.yaml:4: app y: ConfigMap/x/", "json": "\"line\": 4,"}[format]
			if !strings.Contains(all, where) {
				t.Errorf("no %q in the output:\n%s", where, all)
			}
		})
	}
}
