package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTimeoutEndsEndlessRender: --timeout stops a render whose jsonnet
// never ends (2^60 calls in constant memory) with exit 1, not 2, and an
// error naming --timeout.
func TestTimeoutEndsEndlessRender(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"kiln.yaml":    "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\nmanifests:\n  github: acme/manifests\napps:\n  - name: endless\n    namespace: shop\n    jsonnet: main.jsonnet\n",
		"main.jsonnet": "local f(n) = if n == 0 then 1 else f(n - 1) + f(n - 1);\nf(60)\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var stdout, stderr bytes.Buffer
	lookup := func(string) (string, bool) { return "", false }
	app := newApp(&stdout, &stderr, lookup, "test")
	args := []string{"kiln", "render", "--config", filepath.Join(dir, "kiln.yaml"), "--out", filepath.Join(dir, "out"), "--cache-dir", t.TempDir(), "--timeout", "300ms"}
	code := report(&stderr, runApp(context.Background(), app, args))
	if code != exitFailure {
		t.Errorf("exit code %d, want %d; stderr:\n%s", code, exitFailure, stderr.String())
	}
	if !strings.Contains(stderr.String(), "longer than --timeout 300ms") {
		t.Errorf("stderr does not name --timeout:\n%s", stderr.String())
	}
}

// TestMemoryLimitEndsHugeRender: a jsonnet file that allocates without
// end fails with exit 1 and an error naming the app, its file and
// --memory-limit, not with Go's fatal "out of memory" (exit 2) for all of
// kiln; a --memory-limit that is no size is a usage mistake.
func TestMemoryLimitEndsHugeRender(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"kiln.yaml":    "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\nmanifests:\n  github: acme/manifests\napps:\n  - name: huge\n    namespace: shop\n    jsonnet: main.jsonnet\n",
		"main.jsonnet": "std.makeArray(2e9, function(i) i)\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		limit string
		code  int
		want  string
	}{
		// A small limit: the worker touches memory up to its cap before
		// it fails, so a smaller cap is less work (and a race-enabled
		// worker, should one serve, maps 4×limit+512 MiB,
		// sandbox.raceCap). Not the smallest kiln takes, 128Mi: a worker
		// built with cgo, as this test's binary is under a plain `go
		// test`, counts each OS thread's 8 MiB stack and uses 130-140 MiB
		// before it renders, so that cap is refused as too small, some
		// runs. The exit code and the message are the same at any size.
		{limit: "256Mi", code: exitFailure, want: "main.jsonnet: app huge: rendering exceeded kiln's memory limit of 256 MiB"},
		{limit: "1k", code: exitUsage, want: `--memory-limit "1k": give a size of at least 128Mi`},
		{limit: "80Mi", code: exitUsage, want: `--memory-limit "80Mi": give a size of at least 128Mi`},
	} {
		var stdout, stderr bytes.Buffer
		lookup := func(string) (string, bool) { return "", false }
		app := newApp(&stdout, &stderr, lookup, "test")
		args := []string{"kiln", "render", "--config", filepath.Join(dir, "kiln.yaml"), "--out", filepath.Join(dir, "out"), "--cache-dir", t.TempDir(), "--memory-limit", tc.limit}
		code := report(&stderr, runApp(context.Background(), app, args))
		if code != tc.code {
			t.Errorf("--memory-limit %s: exit code %d, want %d; stderr:\n%s", tc.limit, code, tc.code, stderr.String())
		}
		if !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("--memory-limit %s: stderr does not say %q:\n%s", tc.limit, tc.want, stderr.String())
		}
	}
}
