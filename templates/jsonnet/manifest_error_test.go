package jsonnet

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/templates"
	"github.com/kiln-gitops/kiln/templates/internal/enginetest"
)

// TestManifestationErrorNamesThePath: a function left in the output (a
// constructor not called, `resources: k.util.resources`) fails as
// go-jsonnet writes the output, and its trace has no code to point at,
// only the fields and elements it was in. kiln named the main file with
// no line and no field, leaving the whole output to search; the jsonnet
// program prints the fields. The error names the value's JSON path, and
// its line where the output follows the main file's literals.
func TestManifestationErrorNamesThePath(t *testing.T) {
	t.Parallel()
	root := enginetest.TempDir(t)
	files := map[string]string{
		"lib/util.libsonnet": "{ resources(cpu):: { requests: { cpu: cpu } } }\n",
		"main.jsonnet": `local u = import 'util.libsonnet';
{
  web: {
    deployment: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' },
      spec: { template: { spec: { containers: [
        { name: 'a', image: 'a' },
        { name: 'b', image: 'b', resources: u.resources },
      ] } } } },
  },
}
`,
		"computed.jsonnet": "local u = import 'util.libsonnet';\n{ ['x' + 'y']: { f: u.resources } }\n",
	}
	for name, src := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		file  string
		line  int
		field string
	}{
		{file: "main.jsonnet", line: 7, field: "web.deployment.spec.template.spec.containers[1].resources"},
		// A key only evaluation knows: the path, but no line.
		{file: "computed.jsonnet", line: 0, field: "xy.f"},
	} {
		_, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "a", Path: tc.file, JPath: []string{"lib"}})
		var de *diag.Error
		if !errors.As(err, &de) {
			t.Fatalf("%s: Render() = %v, want a diag.Error", tc.file, err)
		}
		want := "jsonnet output at " + tc.field + ": couldn't manifest function as JSON"
		if de.File != tc.file || de.Line != tc.line || de.Field != tc.field || de.Msg != want {
			t.Errorf("%s: error at %s:%d field %q: %q, want %s:%d field %q: %q", tc.file, de.File, de.Line, de.Field, de.Msg, tc.file, tc.line, tc.field, want)
		}
		if de.Hint != "a function reached the output: call it, or hide the field that holds it with ::" {
			t.Errorf("%s: hint %q", tc.file, de.Hint)
		}
	}
}
