package promote

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

// TestDiffSession: the Diffs of one command share a session, which clones
// the manifests repository and fetches its branch once for every env,
// also when --against names it with a ref, says a warning once,
// and removes its clone on Close (each Diff's own clone is removed as the
// Diff returns).
func TestDiffSession(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if _, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{})); err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	session := &DiffSession{}
	var log bytes.Buffer
	diff := func(env, against string) *DiffResult {
		t.Helper()
		o := f.opts(t, env, nil)
		res, err := Diff(context.Background(), f.pipeline(t), DiffOptions{Env: env, Against: against, Render: o.Render, GitEnv: gittest.Env(),
			WorkDir: work, Log: &log, Session: session})
		if err != nil {
			t.Fatalf("diff %s against %q: %v", env, against, err)
		}
		return res
	}
	if res := diff("dev", ""); res.Changed {
		t.Errorf("dev right after promoting differs: %+v", res.Changes)
	}
	if res := diff("staging", ""); !res.Changed {
		t.Error("staging, never promoted, does not differ")
	}
	if n := strings.Count(log.String(), "fetching "); n != 1 {
		t.Errorf("two envs against the manifests branch fetched %d times, want once:\n%s", n, log.String())
	}
	// The same repository named with a ref: the clone is reused.
	if res := diff("dev", f.remote+"#main"); res.Changed {
		t.Errorf("dev against main differs: %+v", res.Changes)
	}
	if n := strings.Count(log.String(), "fetching "); n != 1 {
		t.Errorf("the manifests repository named with #main: %d clones, want the one:\n%s", n, log.String())
	}
	if left, _ := os.ReadDir(work); len(left) == 0 {
		t.Fatal("the session's clones are gone before Close")
	}

	// A warning said for one env is not said again.
	if !session.first("w") || session.first("w") || !session.first("v") {
		t.Error("a session says each warning once")
	}
	var none *DiffSession
	if !none.first("w") || !none.first("w") {
		t.Error("without a session every warning is said")
	}

	if err := session.Close(); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(work); len(left) != 0 {
		t.Errorf("Close left %d clones", len(left))
	}
}
