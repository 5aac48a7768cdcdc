package promote

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/promote/internal/gittest"
	"github.com/kiln-gitops/kiln/render"
)

// TestRenderedShards promotes dev from two shard folders: the result is
// the same tree as a full render (promoting a full render afterwards
// changes nothing), and one shard alone is refused, naming the missing app.
func TestRenderedShards(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	opts := f.opts(t, "dev", &bytes.Buffer{})
	dirs := renderShards(t, f, opts.Render, 2)
	one := opts
	one.Rendered = dirs[0]
	one.DryRun = true
	if _, err := promote(t, f, one); err == nil || !strings.Contains(err.Error(), "rendered by none of the shards given") {
		t.Errorf("promote with one shard of two: %v, want the missing app named", err)
	}

	opts.Rendered, opts.RenderedShards = dirs[0], dirs[1:]
	res, err := promote(t, f, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Changed {
		t.Errorf("promote of the merged shards = %+v", res)
	}
	again, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{}))
	if err != nil || again.Changed {
		t.Errorf("a full render after the merged shards changes something: %+v, %v", again, err)
	}
}

// TestRenderedShardsFromADirtyCheckout: the merge lays out flux/ from the
// kiln.yaml it reads; shards rendered from a clean commit, merged in a
// checkout of it with uncommitted changes (flux.prune: false), put those
// changes on the manifests branch under a lock that said "clean", past the
// refusal a dirty render gets. The merge refuses it.
func TestRenderedShardsFromADirtyCheckout(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	opts := f.opts(t, "dev", &bytes.Buffer{})
	dirs := renderShards(t, f, opts.Render, 2)
	opts.Rendered, opts.RenderedShards = dirs[0], dirs[1:]
	opts.Render.Source.Dirty = true
	before := gittest.Git(t, f.remote, "rev-parse", "main")
	if _, err := promote(t, f, opts); err == nil || !strings.Contains(err.Error(), "as committed, but this checkout has changes") {
		t.Errorf("merge in a dirty checkout: %v, want it refused", err)
	}
	if after := gittest.Git(t, f.remote, "rev-parse", "main"); after != before {
		t.Errorf("main moved from %s to %s", before, after)
	}
}

// renderShards renders all n shards of f's repository with ro, each into a
// folder of its own, and returns the folders.
func renderShards(t *testing.T, f *fixture, ro render.Options, n int) []string {
	t.Helper()
	var dirs []string
	for i := 1; i <= n; i++ {
		ro.Shard = render.Shard{Index: i, Count: n}
		out := filepath.Join(t.TempDir(), "shard")
		writeRender(t, f, ro, out)
		dirs = append(dirs, out)
	}
	return dirs
}
