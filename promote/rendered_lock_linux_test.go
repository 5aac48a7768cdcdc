package promote

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/kiln-gitops/kiln/internal/testenv"
	"github.com/kiln-gitops/kiln/render"
)

// TestRenderedReadOnly: a --rendered folder this process may not write
// (a CI artifact downloaded by another user, a read-only mount) is
// promoted all the same: it holds no lock file and promote cannot make
// one, so no render is writing it. Root, whom modes do not stop, gets a
// read-only bind mount instead (skipped where it may not mount).
func TestRenderedReadOnly(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	opts := f.opts(t, "dev", &bytes.Buffer{})
	opts.DryRun = true
	opts.Rendered = t.TempDir()
	writeRender(t, f, opts.Render, opts.Rendered)
	opts.Render = render.Options{Version: "test", LookupEnv: lookup}
	dir := opts.Rendered
	testenv.ReadOnly(t, dir)
	if err := os.WriteFile(filepath.Join(dir, "probe"), nil, 0o644); err == nil {
		t.Fatal("the folder is still writable")
	}
	res, err := promote(t, f, opts)
	if err != nil || !res.Changed {
		t.Fatalf("promote --rendered of a read-only folder = %+v, %v", res, err)
	}
}
