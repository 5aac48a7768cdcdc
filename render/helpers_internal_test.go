package render

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
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
	return renderRootEnvs(t, root, opts, nil)
}

// newRenderer loads root's kiln.yaml afresh and returns a Renderer of it
// with opts, for the caller to Close.
func newRenderer(t *testing.T, root string, opts Options) *Renderer {
	t.Helper()
	p, err := envconfig.Load(filepath.Join(root, "kiln.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(p, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// renderRootEnvs is renderRoot of the envs named (every env when nil).
func renderRootEnvs(t *testing.T, root string, opts Options, envs []string) map[string]*EnvResult {
	t.Helper()
	r := newRenderer(t, root, opts)
	defer r.Close()
	results, err := r.Render(context.Background(), envs)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*EnvResult{}
	for _, er := range results {
		out[er.Env] = er
	}
	return out
}

// TestRenderOnceEndsWorkers: with RenderOnce a render leaves no idle
// sandbox worker behind once its last env's templates are evaluated (so
// that their exit overlaps the checks), and a later render starts new
// ones and renders the same tree; without it the workers stay for the
// next render.
func TestRenderOnceEndsWorkers(t *testing.T) {
	t.Parallel()
	root := copyInstavote(t)
	p, err := envconfig.Load(filepath.Join(root, "kiln.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, once := range []bool{false, true} {
		opts := DefaultOptions()
		opts.CacheDir, opts.RenderCache = "", ""
		opts.RenderOnce = once
		r, err := New(p, opts)
		if err != nil {
			t.Fatal(err)
		}
		var trees []map[string][]byte
		for range 2 {
			results, err := r.Render(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			files := map[string][]byte{}
			for _, er := range results {
				if er.Err != nil {
					t.Fatal(er.Err)
				}
				for name, data := range er.Files {
					files[er.Env+"/"+name] = data
				}
			}
			trees = append(trees, files)
			if idle := r.pool.Idle(); (idle == 0) != once {
				t.Errorf("RenderOnce %v: %d idle workers after Render", once, idle)
			}
		}
		if !reflect.DeepEqual(trees[0], trees[1]) {
			t.Errorf("RenderOnce %v: the second render differs from the first", once)
		}
		r.Close()
	}
}
