package promote

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

// TestLockWithAHugeAppName: dev's kiln.lock.json on the manifests branch
// is edited by hand to name an app of a megabyte (or to give its source a
// URL as long). The name went whole into the pull request body's apps
// table (a removed app) and the promotion's messages. Such a lock now reads
// as one that does not parse: nothing is promoted, and the error says why,
// quoting only the name's start.
func TestLockWithAHugeAppName(t *testing.T) {
	t.Parallel()
	huge := strings.Repeat("x", 1<<20)
	for _, edit := range []func(m map[string]any){
		func(m map[string]any) { m["apps"].(map[string]any)[huge] = map[string]any{"engine": "yaml"} },
		func(m map[string]any) { m["source"].(map[string]any)["repo"] = "https://github.com/acme/" + huge },
	} {
		f := newFixture(t)
		if _, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{})); err != nil {
			t.Fatal(err)
		}
		editRemoteLock(t, f, "dev", "by hand", edit)
		before := gittest.Git(t, f.remote, "rev-parse", "main")
		o := f.opts(t, "dev", &bytes.Buffer{})
		o.Render.Images.Refs = []string{"ghcr.io/acme/web:1.2.4"}
		res, err := promote(t, f, o)
		if err == nil || !strings.Contains(err.Error(), "its kiln.lock.json does not parse (its ") || !strings.Contains(err.Error(), "bytes") {
			t.Errorf("err = %.300v, want the lock refused, saying why", err)
		}
		if err != nil && len(err.Error()) > 4000 {
			t.Errorf("an error of %d bytes", len(err.Error()))
		}
		if res != nil && strings.Contains(res.Body, huge[:1000]) {
			t.Errorf("the body quotes the hand-edited lock's %d bytes", len(huge))
		}
		if after := gittest.Git(t, f.remote, "rev-parse", "main"); after != before {
			t.Error("main moved")
		}
	}
}
