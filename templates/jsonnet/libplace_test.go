package jsonnet

import (
	"os"
	"path/filepath"
	"testing"
)

// TestLibrariesPlace: a field a library's function writes is placed at
// its line there, the library found on the jpath and reached through a
// local, a call with a named argument and an a + b object; a field whose
// value the main file passes stays the main file's. The library is the
// head of brancz/kubernetes-grafana's grafana/grafana.libsonnet (commit
// 04411bafe0fc, Apache-2.0), its ServiceAccount only.
func TestLibrariesPlace(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	files := map[string]string{
		"vendor/grafana/grafana.libsonnet": `function(params) {
  local g = self,
  _config:: params,
  serviceAccount: {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: g._config.name, namespace: params.namespace },
    automountServiceAccountToken: false,
  },
}
`,
		"env/main.jsonnet": `local grafana = import 'grafana/grafana.libsonnet';

{
  grafana: grafana(params={ name: 'grafana', namespace: 'monitoring' }) + {
    extra: {},
  },
}
`,
	}
	for name, text := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	l := NewLibraries(root, "env/main.jsonnet", []string{"vendor"})
	for _, tc := range []struct {
		field string
		file  string // "": not placed
		line  int
	}{
		{"automountServiceAccountToken", "vendor/grafana/grafana.libsonnet", 8},
		{"metadata.name", "vendor/grafana/grafana.libsonnet", 7},
		// The namespace is the main file's argument.
		{"metadata.namespace", "", 0},
	} {
		file, line, ok := l.Place("grafana.serviceAccount", tc.field)
		if !ok {
			file, line = "", 0
		}
		if file != tc.file || line != tc.line {
			t.Errorf("%s placed at %s:%d, want %s:%d", tc.field, file, line, tc.file, tc.line)
		}
	}
}
