package envconfig

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHugeEnvFileHint: an env file past kiln's size limit was told to
// "create the file, or fix the environment's config: path".
func TestHugeEnvFileHint(t *testing.T) {
	t.Parallel()
	root := writeFiles(t, map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\napps:\n  - {name: web, namespace: web, yaml: deploy}\n",
	})
	f, err := os.Create(filepath.Join(root, "envs", "dev.yaml"))
	if os.IsNotExist(err) {
		if err = os.MkdirAll(filepath.Join(root, "envs"), 0o755); err == nil {
			f, err = os.Create(filepath.Join(root, "envs", "dev.yaml"))
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(64 << 20); err != nil { // sparse, past the limit
		t.Fatal(err)
	}
	f.Close()
	p, err := Load(filepath.Join(root, "kiln.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.LoadEnvFile("dev")
	if err == nil || !strings.Contains(err.Error(), "size exceeds") || strings.Contains(err.Error(), "create the file") {
		t.Errorf("error = %v, want the size limit without \"create the file\"", err)
	}
}
