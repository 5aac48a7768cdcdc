package kustomize

import (
	"strings"
	"testing"
)

// TestEntryErrorNamed: a generator that repeats a key or has no name, a
// replicas entry that names no workload, and an openapi version kustomize
// has no schema of are named at their entry's line, in the base that has
// them, with what to do; kustomize names no line, and calls a Secret
// generator a configmap.
func TestEntryErrorNamed(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, kustomization string
		want                string // file:line
		hint                string
	}{
		{
			name:          "secret generator repeats a key",
			kustomization: "secretGenerator:\n- name: s\n  literals: [B=1]\n- name: g\n  literals: [A=hunter2]\n  envs: [a.env]\n",
			want:          "base/kustomization.yaml:4", hint: "give the key A",
		},
		{
			name:          "generator without a name",
			kustomization: "configMapGenerator:\n- name: ok\n  literals: [A=1]\n- literals: [B=2]\n",
			want:          "base/kustomization.yaml:4", hint: "give the generator a name",
		},
		{
			name:          "openapi version not built in",
			kustomization: "resources: [cm.yaml]\nopenapi:\n  version: v1.99.0\n",
			want:          "base/kustomization.yaml:2", hint: "v1.21.2",
		},
		{
			name:          "replicas of no workload",
			kustomization: "resources: [cm.yaml]\nreplicas:\n- name: web\n  count: 2\n",
			want:          "base/kustomization.yaml:3", hint: "is named web",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := buildErr(t, map[string]string{
				"base/kustomization.yaml":    tc.kustomization,
				"base/a.env":                 "A=hunter3\n",
				"base/cm.yaml":               "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\n",
				"overlay/kustomization.yaml": "resources: [../base]\n",
			}, "overlay")
			de := errAt(t, err, tc.want)
			if !strings.Contains(de.Hint, tc.hint) {
				t.Errorf("hint %q does not say %q", de.Hint, tc.hint)
			}
			if strings.Contains(err.Error(), "hunter") {
				t.Errorf("error shows a value: %v", err)
			}
		})
	}
}
