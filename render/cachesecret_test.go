package render_test

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/kiln-gitops/kiln/render"
)

// TestCacheKeepsNoEngineResultHoldingASecretVar: an engine result in which
// the plain-secret gate finds a secret var's value must not be left in the
// render cache, which travels through actions/cache (docs/cache.md, "What
// is never cached"; docs/security.md, "No secret is stored"). Helm and
// kustomize never receive secret vars, but their inputs may hold one: a
// values file CI writes from its secrets store, a kustomize generator's
// file. The gate refuses the render; the value must not stay on disk.
func TestCacheKeepsNoEngineResultHoldingASecretVar(t *testing.T) {
	t.Parallel()
	const secret = "S3cr3tVALUEzz91"
	dir := writeProject(t, map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\nmanifests:\n  github: acme/manifests\n" +
			"apps:\n  - name: web\n    namespace: apps\n    helm: {chart: charts/web, values: [ci-secrets.yaml]}\n" +
			"  - name: kus\n    namespace: apps\n    kustomize: kus\n",
		"envs/dev.yaml":                "secretVars:\n  DB_PASSWORD: DEV_DB_PASSWORD\n",
		"charts/web/Chart.yaml":        "apiVersion: v2\nname: web\nversion: 0.1.0\n",
		"charts/web/values.yaml":       "db: {password: \"\"}\n",
		"charts/web/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata:\n  password: {{ .Values.db.password | quote }}\n",
		"ci-secrets.yaml":              "db: {password: \"" + secret + "\"}\n",
		"kus/kustomization.yaml":       "configMapGenerator:\n  - name: kus\n    envs: [ci.env]\n",
		"kus/ci.env":                   "DB_PASSWORD=" + secret + "\n",
	})
	p := load(t, dir)
	cacheDir := t.TempDir()
	opts := checkOptions(false)
	opts.RenderCache = cacheDir
	opts.LookupEnv = func(string) (string, bool) { return secret, true }
	r, err := render.New(p, opts)
	if err != nil {
		t.Fatal(err)
	}
	results, err := r.Render(context.Background(), nil)
	r.Close()
	if err != nil {
		t.Fatal(err)
	}
	if results[0].Err == nil {
		t.Fatal("the env rendered a secret var's value into ConfigMaps without an error")
	}
	err = filepath.WalkDir(cacheDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(data, []byte(secret)) {
			t.Errorf("the render cache holds the secret var's value in %s", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
