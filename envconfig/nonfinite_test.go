package envconfig

import (
	"strings"
	"testing"
)

// TestNonFiniteNumbers: .inf and .nan have no JSON form, through which
// Helm values and Jsonnet arguments pass. Helm refuses them in a values
// file; kiln failed only in the engine, with "json: unsupported value:
// +Inf" and neither file nor line. They are errors at their line.
func TestNonFiniteNumbers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ doc, where string }{
		{"apps:\n  web:\n    values:\n      a: 1\n      b: {c: [1, .inf]}\n", "envs/dev.yaml:5"},
		{"apps:\n  web:\n    values:\n      x: &n -.INF\n      y: *n\n", "envs/dev.yaml:4"},
		{"apps:\n  web:\n    values:\n      a: !!float .NaN\n", "envs/dev.yaml:4"},
		{"apps:\n  web:\n    jsonnet:\n      extVars:\n        ok: 1\n        limit: .inf\n", "envs/dev.yaml:6"},
		{"apps:\n  web:\n    jsonnet:\n      tlas:\n        x:\n          - {y: .nan}\n", "envs/dev.yaml:6"},
	} {
		_, err := ParseEnvFile([]byte(tc.doc), "envs/dev.yaml")
		if err == nil || !strings.Contains(err.Error(), tc.where+":") || !strings.Contains(err.Error(), "infinite or NaN") {
			t.Errorf("%q: error = %v, want one at %s naming the infinite or NaN number", tc.doc, err, tc.where)
		}
	}
	// Quoted, or a float too large for YAML to read as one, it is text.
	ef, err := ParseEnvFile([]byte("apps:\n  web:\n    values: {a: '.inf', b: 1e400, c: 1.5}\n"), "envs/dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if v := ef.Apps["web"].Values; v["a"] != ".inf" || v["b"] != "1e400" || v["c"] != 1.5 {
		t.Errorf("values = %#v", v)
	}
	root := writeFiles(t, map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\napps:\n" +
			"  - name: web\n    namespace: web\n    jsonnet:\n      file: main.jsonnet\n      extVars: {x: .inf}\n",
	})
	if _, err := Load(root + "/kiln.yaml"); err == nil || !strings.Contains(err.Error(), "kiln.yaml:10:") || !strings.Contains(err.Error(), "infinite or NaN") {
		t.Errorf("kiln.yaml extVars: error = %v, want one at kiln.yaml:10", err)
	}
}
