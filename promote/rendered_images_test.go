package promote

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/promote/internal/gittest"
	"github.com/kiln-gitops/kiln/render"
)

// TestRenderedLockImagesHeldToObjects: a tree taken with --rendered whose
// kiln.lock.json was edited to name an image its objects do not run (a
// "bump the tag in the lock" by hand) is refused: promote --from hands the
// lock's images to the next env, which would then run an image the env it
// judged healthy never ran.
func TestRenderedLockImagesHeldToObjects(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	opts := f.opts(t, "dev", &bytes.Buffer{})
	out := t.TempDir()
	writeRender(t, f, opts.Render, out)
	editFile(t, filepath.Join(out, "dev", "kiln.lock.json"), func(s string) string {
		if !strings.Contains(s, `"ghcr.io/acme/web": "ghcr.io/acme/web:1.2.3"`) {
			t.Fatalf("lock does not name the given image:\n%s", s)
		}
		return strings.Replace(s, `"ghcr.io/acme/web": "ghcr.io/acme/web:1.2.3"`, `"ghcr.io/acme/web": "ghcr.io/acme/web:6.6.6"`, 1)
	})
	opts.Rendered = out
	opts.Render = render.Options{Version: "test", LookupEnv: lookup}
	res, err := promote(t, f, opts)
	if err != nil && !strings.Contains(err.Error(), `kiln.lock.json gives ghcr.io/acme/web as "ghcr.io/acme/web:6.6.6", which no object of the tree runs`) {
		t.Errorf("error = %v", err)
	}
	if err == nil {
		// Show what it leads to: staging runs an image dev never ran.
		successAll(t, f, "dev")
		if _, err := promote(t, f, f.fromDev(t, &bytes.Buffer{})); err != nil {
			t.Fatal(err)
		}
		dev := gittest.Files(t, f.remote, "main")["clusters/dev/apps/web/deployment_web.yaml"]
		staging := gittest.Files(t, f.remote, "kiln/staging")["clusters/staging/apps/web/deployment_web.yaml"]
		t.Errorf("promote --rendered took a lock naming an image no object runs (changed=%v); dev runs 1.2.3: %v, staging now runs 6.6.6: %v",
			res.Changed, strings.Contains(dev, "web:1.2.3"), strings.Contains(staging, "web:6.6.6"))
	}
}

// TestRenderedLockAppImagesHeldToObjects: an app's images in the lock
// (what the pull request's table shows and promote --from reads the
// repositories of) must be those its object files run.
func TestRenderedLockAppImagesHeldToObjects(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	opts := f.opts(t, "dev", &bytes.Buffer{})
	out := t.TempDir()
	writeRender(t, f, opts.Render, out)
	editLock(t, filepath.Join(out, "dev", "kiln.lock.json"), func(l *render.Lock) {
		la := l.Apps["cache"]
		la.Images = []string{"ghcr.io/acme/web:6.6.6"}
		l.Apps["cache"] = la
		l.Images["ghcr.io/acme/web"] = "ghcr.io/acme/web:6.6.6"
	})
	opts.Rendered = out
	opts.Render = render.Options{Version: "test", LookupEnv: lookup}
	promoteRefused(t, f, opts, "promote --rendered", "app cache: the app's images in kiln.lock.json are not those its object files run")
}

// TestRenderedLockUnknownFieldRefused: a --rendered tree whose lock has
// an app field this kiln does not know (a newer kiln's) is not promoted as
// if this kiln vouched for it.
func TestRenderedLockUnknownFieldRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	opts := f.opts(t, "dev", &bytes.Buffer{})
	out := t.TempDir()
	writeRender(t, f, opts.Render, out)
	editFile(t, filepath.Join(out, "dev", "kiln.lock.json"), func(s string) string {
		return strings.Replace(s, `"cache": {`, `"cache": {"note": "a newer kiln's",`, 1)
	})
	opts.Rendered = out
	opts.Render = render.Options{Version: "test", LookupEnv: lookup}
	promoteRefused(t, f, opts, "promote --rendered", `app cache: the app's kiln.lock.json entry has a field this kiln does not know ("note")`)
}

// TestRenderedShardLockAppImagesHeldToObjects: an app's entry in a
// shard's lock is held to the shard's object files, as a whole tree's is
// (the merge's as-rendered checks).
func TestRenderedShardLockAppImagesHeldToObjects(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	opts := f.opts(t, "dev", &bytes.Buffer{})
	dirs := renderShards(t, f, opts.Render, 2)
	edited := 0
	for _, d := range dirs {
		editLock(t, filepath.Join(d, "dev", "kiln.lock.json"), func(l *render.Lock) {
			la, ok := l.Apps["cache"]
			if !ok {
				return
			}
			la.Images = []string{"ghcr.io/acme/web:6.6.6"}
			l.Apps["cache"] = la
			edited++
		})
	}
	if edited != 1 {
		t.Fatalf("%d shards hold app cache, want 1", edited)
	}
	opts.Rendered, opts.RenderedShards = dirs[0], dirs[1:]
	promoteRefused(t, f, opts, "promote of an edited shard", "app cache: the app's images in kiln.lock.json are not those its object files run")
}

// TestRenderedShardsLockImagesHeldToObjects: shards must agree on their
// lock's images, so an edit of all of them agrees; the merged lock must
// still name only images the objects run.
func TestRenderedShardsLockImagesHeldToObjects(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	opts := f.opts(t, "dev", &bytes.Buffer{})
	dirs := renderShards(t, f, opts.Render, 2)
	for _, d := range dirs {
		editFile(t, filepath.Join(d, "dev", "kiln.lock.json"), func(s string) string {
			return strings.Replace(s, `"ghcr.io/acme/web": "ghcr.io/acme/web:1.2.3"`, `"ghcr.io/acme/web": "ghcr.io/acme/web:6.6.6"`, 1)
		})
	}
	opts.Rendered, opts.RenderedShards = dirs[0], dirs[1:]
	promoteRefused(t, f, opts, "promote of edited shards", `kiln.lock.json gives ghcr.io/acme/web as "ghcr.io/acme/web:6.6.6", which no object of the tree runs`)
}

// promoteRefused runs the promotion what names, which must fail with an
// error holding want and leave main where it was.
func promoteRefused(t *testing.T, f *fixture, opts Options, what, want string) {
	t.Helper()
	before := gittest.Git(t, f.remote, "rev-parse", "main")
	if _, err := promote(t, f, opts); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("%s = %v, want an error holding %q", what, err, want)
	}
	if after := gittest.Git(t, f.remote, "rev-parse", "main"); after != before {
		t.Errorf("%s: main moved", what)
	}
}
