package render

import (
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/diag"
)

// crossEnvProject is two envs whose apps depend on each other's
// Kustomizations one way: dev's web on staging's db.
func crossEnvProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\n  - name: staging\n" +
			"flux: {name: \"{app}-{env}\"}\napps:\n" +
			"  - name: web\n    namespace: ns\n    yaml: apps/web\n" +
			"  - name: db\n    namespace: ns\n    yaml: apps/db\n",
		"envs/dev.yaml":     "apps:\n  web:\n    dependsOn: [flux-system/db-staging]\n",
		"envs/staging.yaml": "",
		"apps/web/cm.yaml":  "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\n",
		"apps/db/cm.yaml":   "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: db}\n",
	}
	for rel, content := range files {
		writeRootFile(t, dir, rel, content)
	}
	return dir
}

// TestCrossEnvCycleInCachedEnv: dev's inputs do not change when staging's
// env file closes a cycle through dev, so dev's whole-env cache entry
// still matches; rendering dev alone must report the cycle all the same,
// as must Graph, which renders nothing.
func TestCrossEnvCycleInCachedEnv(t *testing.T) {
	root := crossEnvProject(t)
	opts := cachedOptions(t)
	for i := range 2 {
		if er := renderRootEnvs(t, root, opts, []string{"dev"})["dev"]; er.Err != nil {
			t.Fatalf("render %d: a one-way dependency across envs is refused: %v", i, er.Err)
		} else if i == 1 && !er.Cached {
			t.Fatal("dev is not served from the cache: the test tests nothing")
		}
	}
	writeRootFile(t, root, "envs/staging.yaml", "apps:\n  db:\n    dependsOn: [flux-system/web-dev]\n")
	want := "envs/dev.yaml:3: app web: dependency cycle across envs: db in staging -> web in dev -> db in staging"
	er := renderRootEnvs(t, root, opts, []string{"dev"})["dev"]
	if er.Err == nil || !strings.Contains(er.Err.Error(), want) {
		t.Fatalf("dev rendered alone from the cache: got %v, want an error with %q", er.Err, want)
	}
	if er.Cached {
		t.Error("an env with a cycle across envs is reported as served from the cache")
	}
	r := newRenderer(t, root, opts)
	defer r.Close()
	for env, want := range map[string]string{"dev": want, "staging": "envs/staging.yaml:3: app db: dependency cycle across envs"} {
		_, err := r.Graph(env)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("graph of %s: got %v, want an error with %q", env, err, want)
		}
		if n := len(diag.Flatten(err)); n != 1 {
			t.Errorf("graph of %s: %d errors, want 1", env, n)
		}
	}
}
