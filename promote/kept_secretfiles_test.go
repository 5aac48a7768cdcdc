package promote

import (
	"bytes"
	"context"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/promote/internal/gittest"
	"github.com/kiln-gitops/kiln/render"
)

// TestKeptAppSecretFilesHeldToItsFiles: kiln render --app keeps the other
// apps of the earlier tree and copies their lock entries. An entry whose
// secretFiles was edited by hand to name a file that holds no secret value
// (with a plainDigest to match) is checked by the render, which has the
// secret values, only against its outputDigest, and is carried into the
// new lock as kiln's. A promoting job without the env's secret vars then
// leaves that file's bytes unchecked: an edit of web's Deployment after
// the render reaches the manifests repository.
func TestKeptAppSecretFilesHeldToItsFiles(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	out := t.TempDir()
	ro := f.opts(t, "dev", nil).Render
	renderTo(t, f, "dev", ro, out)
	dir := filepath.Join(out, "dev")
	web := objectFiles(t, dir, "web")
	if _, ok := web["deployment_web.yaml"]; !ok {
		t.Fatalf("web's files: %v", slices.Collect(maps.Keys(web)))
	}
	editLock(t, filepath.Join(dir, "kiln.lock.json"), func(l *render.Lock) {
		la := l.Apps["web"]
		la.SecretFiles = []string{"deployment_web.yaml"}
		la.PlainDigest = plainDigestForTest(web, la.SecretFiles)
		l.Apps["web"] = la
	})
	// kiln render --env dev --app cache: web is kept, and its entry with
	// it. The render has the secret values: it can tell that web's
	// Deployment holds none, and refuses the entry.
	ro.Apps = []string{"cache"}
	ro.Source.Commit = f.head(t)
	ro.Earlier = func(env string) (map[string][]byte, error) { return render.ReadTree(filepath.Join(out, env)) }
	r, err := render.New(f.pipeline(t), ro)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	results, err := r.Render(context.Background(), []string{"dev"})
	if err != nil {
		t.Fatal(err)
	}
	if results[0].Err != nil {
		if !strings.Contains(results[0].Err.Error(), "app web: the app's secretFiles and plainDigest in kiln.lock.json are not those of its object files") {
			t.Fatalf("render --app: %v", results[0].Err)
		}
		return
	}
	if err := render.WriteEnv(out, results[0]); err != nil {
		t.Fatal(err)
	}
	// After the render, web's Deployment is edited.
	editFile(t, filepath.Join(dir, "apps/web/deployment_web.yaml"), func(s string) string {
		return strings.Replace(s, "image: ghcr.io/acme/web:1.2.3", "image: ghcr.io/mallory/web:evil", 1)
	})
	before := gittest.Git(t, f.remote, "rev-parse", "main")
	o := renderedOpts(t, f, "dev", out, &bytes.Buffer{})
	o.Render.LookupEnv = nil // a job without the env's secret vars
	if _, err := promote(t, f, o); err == nil {
		got := gittest.Files(t, f.remote, "main")["clusters/dev/apps/web/deployment_web.yaml"]
		t.Errorf("promote --rendered took an edited object file that holds no secret value; main's web Deployment runs mallory's image: %v",
			strings.Contains(got, "mallory"))
	} else if after := gittest.Git(t, f.remote, "rev-parse", "main"); after != before {
		t.Errorf("main moved")
	}
}
