package promote

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/render"
)

// TestRenderedWaitsForTheRender: promote --rendered DIR reads DIR under
// the lock kiln render --out DIR holds while it writes. A render holding
// it (of the tree promote reads, or of a shard's folder) makes promote
// fail at once naming the render and saying to wait for it, instead of
// reading a tree half old, half new; once the render is done, promote
// goes ahead, and leaves no lock file behind in DIR.
func TestRenderedWaitsForTheRender(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, shard := range []bool{false, true} {
		t.Run(fmt.Sprintf("shard=%v", shard), func(t *testing.T) {
			opts := f.opts(t, "dev", &bytes.Buffer{})
			opts.DryRun = true
			held := ""
			if shard {
				dirs := renderShards(t, f, opts.Render, 2)
				opts.Rendered, opts.RenderedShards = dirs[0], dirs[1:]
				held = dirs[1]
			} else {
				opts.Rendered = t.TempDir()
				writeRender(t, f, opts.Render, opts.Rendered)
				held = opts.Rendered
			}
			opts.Render = render.Options{Version: "test", LookupEnv: lookup}

			// A render writing the folder, holding its lock as kiln render
			// --out does from the first env rendered to the end.
			r, err := render.New(f.pipeline(t), opts.Render)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			out, err := r.OpenOutput(held, render.WriteOptions{})
			if err != nil {
				t.Fatal(err)
			}
			_, err = promote(t, f, opts)
			if err == nil {
				out.Close()
				t.Fatal("promote --rendered read a folder a render is writing")
			}
			for _, want := range []string{fmt.Sprintf("pid %d", os.Getpid()), filepath.Join(held, ".kiln.lock"), "is writing this output folder", "wait for that kiln render to finish"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("%q does not say %q", err, want)
				}
			}
			if err := out.Close(); err != nil {
				t.Fatal(err)
			}

			res, err := promote(t, f, opts)
			if err != nil || !res.Changed {
				t.Fatalf("promote --rendered once the render is done = %+v, %v", res, err)
			}
			if _, err := os.Lstat(filepath.Join(held, ".kiln.lock")); !os.IsNotExist(err) {
				t.Errorf("promote left a lock file in %s: %v", held, err)
			}
		})
	}
}
