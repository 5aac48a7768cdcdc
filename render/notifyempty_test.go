package render_test

import (
	"context"
	"testing"

	"github.com/kiln-gitops/kiln/render"
)

// TestNotificationsEnvWithoutApps: an env whose apps are all disabled
// renders with notifications: as it does without: no Kustomization, and
// no Provider or Alert (an Alert with no eventSources is one the CRD
// refuses; kiln used to fail the env with "spec.eventSources: Required
// value" and a hint to report a bug).
func TestNotificationsEnvWithoutApps(t *testing.T) {
	t.Parallel()
	dir := writeProject(t, map[string]string{
		"kiln.yaml": `apiVersion: kiln/v1alpha1
kind: Pipeline
environments:
  - name: dev
  - name: prod
    promoteFrom: dev
manifests: {repo: https://github.com/acme/manifests.git}
notifications: {secretRef: github-token, commitStatus: true, dispatch: acme/code}
apps:
  - name: web
    namespace: shop
    yaml: web
`,
		"web/cm.yaml":    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {a: b}\n",
		"envs/prod.yaml": "apps:\n  web: {enabled: false}\n",
	})
	r, err := render.New(load(t, dir), checkOptions(false))
	if err != nil {
		t.Fatal(err)
	}
	results, err := r.Render(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, er := range results {
		if er.Err != nil {
			t.Fatalf("env %s: %v", er.Env, er.Err)
		}
		_, has := er.Files["flux/notifications.yaml"]
		if want := er.Env == "dev"; has != want {
			t.Errorf("env %s: flux/notifications.yaml written %v, want %v", er.Env, has, want)
		}
	}
}
