package render

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/kiln-gitops/kiln/envconfig"
)

// copyInstavote copies the example project into a temporary folder,
// without a rendered tree, and returns the copy's root.
func copyInstavote(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	if err := os.CopyFS(root, os.DirFS("../examples/instavote")); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(filepath.Join(root, "rendered"))
	return root
}

// cachedOptions are the default options with a render cache of the
// test's own and no chart cache.
func cachedOptions(t *testing.T) Options {
	opts := DefaultOptions()
	opts.CacheDir = ""
	opts.RenderCache = filepath.Join(t.TempDir(), "renders")
	return opts
}

// renderRoot loads root's kiln.yaml afresh and renders every env with
// opts, by env name.
func renderRoot(t *testing.T, root string, opts Options) map[string]*EnvResult {
	t.Helper()
	p, err := envconfig.Load(filepath.Join(root, "kiln.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(p, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	results, err := r.Render(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*EnvResult{}
	for _, er := range results {
		out[er.Env] = er
	}
	return out
}
