package kustomize

import (
	"maps"
	"strings"
	"testing"
)

// TestFailedJSONPatchOpNamed: a JSON6902 operation that does not apply to
// an object its patch's target selects (a path the object lacks, a test
// that fails) is named at the operation's line, in the kustomization that
// lists the patch or in the patch's file; kustomize names neither.
func TestFailedJSONPatchOpNamed(t *testing.T) {
	t.Parallel()
	cms := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: v}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n"
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  string // file:line
		hint  string
	}{
		{
			name: "inline remove in the overlay",
			files: map[string]string{
				"overlay/kustomization.yaml": "resources: [../base]\npatches:\n- target: {kind: ConfigMap, name: a}\n  patch: |-\n    - {op: add, path: /data/n, value: \"1\"}\n- target: {kind: ConfigMap}\n  patch: |-\n    - op: add\n      path: /metadata/labels\n      value: {x: \"2\"}\n    - op: remove\n      path: /data/k\n",
			},
			want: "overlay/kustomization.yaml:11",
			hint: "has no /data/k",
		},
		{
			name: "test in a base's patchesJson6902 file",
			files: map[string]string{
				"base/kustomization.yaml":    "resources: [cm.yaml]\npatchesJson6902:\n- target: {version: v1, kind: ConfigMap, name: \".*\"}\n  path: ops.yaml\n",
				"base/ops.yaml":              "# check first\n- {op: test, path: /data/k, value: v}\n- {op: replace, path: /data/k, value: w}\n",
				"overlay/kustomization.yaml": "resources: [../base]\nnamePrefix: p-\n",
			},
			want: "base/ops.yaml:2",
			hint: "another value at /data/k",
		},
		{
			name: "add under a missing parent, JSON in a flow scalar",
			files: map[string]string{
				"overlay/kustomization.yaml": "resources: [../base]\npatches:\n- target: {kind: ConfigMap}\n  patch: '[{\"op\": \"add\", \"path\": \"/data/x/y\", \"value\": \"y\"}]'\n",
			},
			want: "overlay/kustomization.yaml:4",
			hint: "lacks its parent",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			files := map[string]string{"base/cm.yaml": cms, "base/kustomization.yaml": "resources: [cm.yaml]\n"}
			maps.Copy(files, tc.files)
			err := buildErr(t, files, "overlay")
			de := errAt(t, err, tc.want)
			if !strings.Contains(de.Hint, tc.hint) {
				t.Errorf("hint %q does not say %q", de.Hint, tc.hint)
			}
		})
	}
}
