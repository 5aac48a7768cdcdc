package render

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/envconfig"
)

// TestHelmRepositoryShowsNoCredentials: a helm.repo URL may carry what
// lets kiln fetch the chart (a user and password, a signed URL's query).
// high-level/<app>/source.yaml goes to the manifests repository, so its
// HelmRepository names the repository without them.
func TestHelmRepositoryShowsNoCredentials(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	kiln := "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\napps:\n" +
		"  - name: cache\n    namespace: x\n    helm: {repo: 'https://bot:Sup3rS3cret@charts.example.com/stable?sv=2024&sig=S1gn4ture', chart: redis, version: 1.2.3}\n"
	if err := os.WriteFile(filepath.Join(root, "kiln.yaml"), []byte(kiln), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := envconfig.Load(filepath.Join(root, "kiln.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	opts := DefaultOptions()
	opts.CacheDir, opts.RenderCache = "", ""
	r, err := New(p, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	er, res := r.resolveEnv("dev")
	if er.Err != nil {
		t.Fatal(er.Err)
	}
	files, err := r.helmReleaseFiles(res, &appRun{app: res.Apps[0]}, nil)
	if err != nil {
		t.Fatal(err)
	}
	source := string(files["source.yaml"])
	if !strings.Contains(source, "url: https://charts.example.com/stable\n") {
		t.Errorf("source.yaml does not name the repository:\n%s", source)
	}
	for _, secret := range []string{"bot", "Sup3rS3cret", "S1gn4ture", "sv="} {
		if strings.Contains(source, secret) || strings.Contains(string(files["helmrelease.yaml"]), secret) {
			t.Errorf("%q is written:\n%s", secret, source)
		}
	}
}
