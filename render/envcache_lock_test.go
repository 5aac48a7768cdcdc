package render_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/render"
)

// TestWholeEnvLockSource: an env reused whole writes the lock a fresh
// render writes: byte for byte the cached one while the checkout is as it
// was, the new source's once the commit or the checkout's state changes.
func TestWholeEnvLockSource(t *testing.T) {
	root := t.TempDir()
	if err := os.CopyFS(root, os.DirFS("../examples/instavote")); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(filepath.Join(root, "rendered"))
	p, err := envconfig.Load(filepath.Join(root, "kiln.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cacheDir := filepath.Join(t.TempDir(), "renders")
	lock := func(src render.Source, cache string) (string, bool) {
		t.Helper()
		opts := render.DefaultOptions()
		opts.CacheDir = ""
		opts.RenderCache = cache
		opts.Provenance = func() (render.Source, []diag.Warning) { return src, nil }
		r, results := mustRender(t, p, opts, []string{"dev"})
		defer r.Close()
		return string(results[0].Files[render.LockFile]), results[0].Cached
	}
	a := render.Source{Repo: "https://github.com/acme/app.git", Commit: strings.Repeat("a", 40)}
	first, _ := lock(a, cacheDir)
	for _, src := range []render.Source{
		a,
		{Repo: a.Repo, Commit: strings.Repeat("b", 40)},
		{Repo: a.Repo, Commit: strings.Repeat("b", 40), Dirty: true},
		{Repo: "https://github.com/acme/fork.git", Commit: strings.Repeat("b", 40), Dirty: true},
		a,
	} {
		got, whole := lock(src, cacheDir)
		if !whole {
			t.Fatalf("source %+v: env dev was not reused whole", src)
		}
		want, _ := lock(src, "")
		if got != want {
			t.Errorf("source %+v: the lock of the env reused whole differs from a fresh render's:\n%s\nwant:\n%s", src, got, want)
		}
		if src == a && got != first {
			t.Errorf("source %+v: the lock differs from the first render's:\n%s\nwant:\n%s", src, got, first)
		}
	}
}
