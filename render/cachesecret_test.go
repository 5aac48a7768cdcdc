package render_test

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/sopsyaml"
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
	for _, path := range cacheFilesHolding(t, cacheDir, secret) {
		t.Errorf("the render cache holds the secret var's value in %s", path)
	}
}

// cacheFilesHolding returns the files below cacheDir whose bytes hold s.
func cacheFilesHolding(t *testing.T, cacheDir, s string) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(cacheDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err == nil && bytes.Contains(data, []byte(s)) {
			found = append(found, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// TestCacheKeepsNoReadableValueOfAPartlySOPSSecret: a SOPS Secret
// encrypted with encrypted_regex ^data$ keeps its stringData readable, so
// the cache must treat it as the plaintext Secret it partly is and keep
// none of it (docs/cache.md, "What is never cached"). A Secret sops
// encrypted whole is still kept: its values are ciphertext.
func TestCacheKeepsNoReadableValueOfAPartlySOPSSecret(t *testing.T) {
	t.Parallel()
	const readable, kept = "SopsPartSecretV2", "sops-whole-kept"
	id := newIdentity(t)
	encrypt := func(doc, regex string) string {
		t.Helper()
		enc, err := sopsyaml.Encrypt(kyaml.MustParse(doc).YNode(), sopsyaml.Options{Age: []string{id.Recipient().String()}, EncryptedRegex: regex, Now: time.Unix(0, 0)})
		if err != nil {
			t.Fatal(err)
		}
		return string(enc)
	}
	dir := writeProject(t, map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\n" +
			"apps:\n  - name: part\n    namespace: apps\n    yaml: part\n  - name: whole\n    namespace: apps\n    yaml: whole\n",
		"envs/dev.yaml":     "vars: {}\n",
		"part/secret.yaml":  encrypt("apiVersion: v1\nkind: Secret\nmetadata: {name: part, namespace: apps}\ndata: {d: c2VjcmV0}\nstringData: {pw: "+readable+"}\n", "^data$"),
		"whole/secret.yaml": encrypt("apiVersion: v1\nkind: Secret\nmetadata: {name: "+kept+", namespace: apps}\ndata: {d: c2VjcmV0}\nstringData: {pw: x}\n", "^(data|stringData)$"),
	})
	cacheDir := t.TempDir()
	opts := checkOptions(false)
	opts.RenderCache = cacheDir
	r, err := render.New(load(t, dir), opts)
	if err != nil {
		t.Fatal(err)
	}
	results, err := r.Render(context.Background(), nil)
	r.Close()
	if err != nil {
		t.Fatal(err)
	}
	if results[0].Err != nil {
		t.Fatal(results[0].Err)
	}
	for _, path := range cacheFilesHolding(t, cacheDir, readable) {
		t.Errorf("the render cache holds the partly encrypted Secret's readable value in %s", path)
	}
	if len(cacheFilesHolding(t, cacheDir, kept)) == 0 {
		t.Error("the render cache kept no Secret sops encrypted whole")
	}
}
