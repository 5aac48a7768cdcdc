package render_test

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/render"
)

// TestMaskedSecretValuePatchedAway: a replacement copies a generated
// Secret's value into a label validation refuses, and an env patch then
// deletes the Secret or gives it another value (the env's Secret comes from
// elsewhere). The label still holds the value the engine rendered, so the
// error must mask it although no Secret of the patched output holds it.
func TestMaskedSecretValuePatchedAway(t *testing.T) {
	t.Parallel()
	const value = "Kust-Sup3rS3cret"
	for name, patch := range map[string]string{
		"deleted": "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n$patch: delete\n",
		"changed": "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {password: b3RoZXItdmFsdWU=}\n",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			files := map[string]string{
				"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\n" +
					"apps:\n  - name: web\n    namespace: web\n    kustomize: k\n",
				"k/kustomization.yaml": "resources: [cm.yaml]\nsecretGenerator:\n- name: s\n  literals: [password=" + value + "]\n" +
					"replacements:\n- source: {kind: Secret, fieldPath: data.password}\n  targets:\n  - select: {kind: ConfigMap}\n    fieldPaths: [metadata.labels.pw]\n",
				"k/cm.yaml":     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  labels: {pw: x}\n",
				"envs/dev.yaml": "apps:\n  web:\n    patches:\n      - patch: |\n" + indent(patch, 10),
			}
			opts := testOptions()
			opts.Images = render.Images{}
			r, err := render.New(load(t, writeProject(t, files)), opts)
			if err != nil {
				t.Fatal(err)
			}
			results, err := r.Render(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			er := results[0]
			if er.Err == nil {
				t.Fatal("render passed, want the label refused")
			}
			msg := er.Err.Error()
			if !strings.Contains(msg, "metadata.labels") {
				t.Errorf("error = %v, want one about the label", msg)
			}
			for _, v := range []string{value, base64.StdEncoding.EncodeToString([]byte(value))} {
				if strings.Contains(msg, v) {
					t.Errorf("error shows %q:\n%s", v, msg)
				}
			}
		})
	}
}

func indent(s string, n int) string {
	pad := strings.Repeat(" ", n)
	return pad + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n"+pad) + "\n"
}
