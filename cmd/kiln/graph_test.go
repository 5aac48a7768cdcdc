package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestGraphCommand runs `kiln graph` through the app.
func TestGraphCommand(t *testing.T) {
	t.Parallel()
	config := filepath.Join("..", "..", "examples", "instavote", "kiln.yaml")
	golden := func(name string) string {
		data, err := os.ReadFile(filepath.Join("..", "..", "render", "testdata", "graph", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	tests := []struct {
		name     string
		args     []string
		code     int
		stdout   string
		inStderr string
	}{
		{name: "default env and format", args: []string{"--config", config}, code: exitOK, stdout: golden("dev.txt")},
		{name: "mermaid of prod", args: []string{"--config", config, "--format", "mermaid", "--env", "prod"}, code: exitOK,
			stdout: strings.Join(slices.DeleteFunc(strings.SplitAfter(golden("prod.mermaid"), "\n"), func(l string) bool {
				return strings.Contains(l, "changed") // Format marks no app changed here
			}), "")},
		// As kiln render --app warns: the graph alone would show only
		// "disabled: worker".
		{name: "an app the env disables", args: []string{"--config", config, "--app", "worker"}, code: exitOK,
			stdout:   "env dev: 0 apps in 3 waves\nwave 1\nwave 2\nwave 3\ndisabled: worker\n",
			inStderr: "warning: envs/dev.yaml: --app worker: env dev does not enable this app, so it is not in the env's graph\n  hint: leave env dev out of this graph, or enable the app in envs/dev.yaml\n"},
		{name: "bad format", args: []string{"--config", config, "--format", "svg"}, code: exitUsage, inStderr: `kiln: --format must be text, mermaid, dot or json, not "svg"`},
		{name: "unknown env", args: []string{"--config", config, "--env", "qa"}, code: exitUsage, inStderr: `"qa"`},
		{name: "cycle", args: []string{"--config", filepath.Join("..", "..", "render", "testdata", "errors", "cycles", "kiln.yaml")}, code: exitFailure,
			inStderr: "kiln: 2 errors in env dev\nkiln.yaml:9: app redis: dependency cycle: redis -> worker -> redis\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			lookup := func(string) (string, bool) { return "", false }
			app := newApp(&stdout, &stderr, lookup, "test")
			args := append([]string{"kiln", "graph"}, tt.args...)
			code := report(&stderr, runApp(context.Background(), app, args))
			if code != tt.code {
				t.Errorf("exit code %d, want %d; stderr:\n%s", code, tt.code, stderr.String())
			}
			if tt.code == exitOK && stdout.String() != tt.stdout {
				t.Errorf("stdout:\n%s\nwant:\n%s", stdout.String(), tt.stdout)
			}
			if !strings.Contains(stderr.String(), tt.inStderr) {
				t.Errorf("stderr:\n%s\nwant it to contain:\n%s", stderr.String(), tt.inStderr)
			}
		})
	}
}
