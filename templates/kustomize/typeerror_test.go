package kustomize

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/diag"
)

// TestTypeErrorLine: a kustomization value of a type its field does not
// take (kustomize reads YAML 1.1: an unquoted 1.10 is a number, y a
// boolean) is named at the value's line, in the base that has it, with
// the entry and key, and without the value; kustomize names only the
// field's Go path.
func TestTypeErrorLine(t *testing.T) {
	t.Parallel()
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"
	for _, tc := range []struct {
		name, kustomization string
		want                string // file:line: message
		hint                string
	}{
		{
			name:          "image tag read as a number",
			kustomization: "resources: [cm.yaml]\nimages:\n- name: nginx\n  newTag: \"1.25\"\n- name: redis\n  newTag: 7.2\n",
			want:          "base/kustomization.yaml:6: images[1].newTag: kustomize reads a number where the kustomization takes a string",
			hint:          "quote the value",
		},
		{
			name:          "label value read as a boolean",
			kustomization: "resources: [cm.yaml]\ncommonLabels:\n  team: web\n  enabled: on\n",
			want:          "base/kustomization.yaml:4: commonLabels.enabled: kustomize reads a boolean where the kustomization takes a string",
			hint:          "quote the value",
		},
		{
			name:          "labels pairs in the second entry",
			kustomization: "resources: [cm.yaml]\nlabels:\n- pairs: {a: b}\n- includeSelectors: true\n  pairs:\n    tier: 3\n",
			want:          "base/kustomization.yaml:6: labels[1].pairs.tier: kustomize reads a number where the kustomization takes a string",
			hint:          "quote the value",
		},
		{
			name:          "generator name of an embedded struct",
			kustomization: "resources: [cm.yaml]\nsecretGenerator:\n- name: \"n\"\n  literals: [a=hunter2]\n- name: y\n  literals: [b=hunter2]\n",
			want:          "base/kustomization.yaml:5: secretGenerator[1].name: kustomize reads a boolean where the kustomization takes a string",
			hint:          "quote the value",
		},
		{
			name:          "replica count quoted",
			kustomization: "resources: [cm.yaml]\nreplicas:\n- name: web\n  count: \"3\"\n",
			want:          "base/kustomization.yaml:4: replicas[0].count: kustomize reads a string where the kustomization takes a whole number",
			hint:          "without quotes",
		},
		{
			name:          "resources not a list",
			kustomization: "namespace: web\nresources: cm.yaml\n",
			want:          "base/kustomization.yaml:2: resources: kustomize reads a string where the kustomization takes a list",
			hint:          "write a list",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := buildErr(t, map[string]string{
				"base/kustomization.yaml":    tc.kustomization,
				"base/cm.yaml":               cm,
				"overlay/kustomization.yaml": "resources: [../base]\nnamePrefix: p-\n",
			}, "overlay")
			var de *diag.Error
			if !errors.As(err, &de) {
				t.Fatalf("error %v is not a *diag.Error", err)
			}
			if got := fmt.Sprintf("%s:%d: %s", de.File, de.Line, de.Msg); got != tc.want {
				t.Errorf("error\n %s\nwant\n %s", got, tc.want)
			}
			if !strings.Contains(de.Hint, tc.hint) {
				t.Errorf("hint %q does not say %q", de.Hint, tc.hint)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error shows a value: %v", err)
			}
		})
	}
}
