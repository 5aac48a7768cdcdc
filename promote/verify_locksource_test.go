package promote

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

// TestVerifyLockSource: the lock's source is what a render at its commit
// writes, or the tree is not what that commit renders: kiln writes the
// full hash and no dirty flag from a clean worktree. Before, verify copied
// the lock's source into its render, so a lock naming a branch ("main"),
// an abbreviated hash or source.dirty verified as equal.
func TestVerifyLockSource(t *testing.T) {
	t.Parallel()
	edit := func(t *testing.T, f *fixture, from, to string) {
		t.Helper()
		files := gittest.Files(t, f.remote, "main")
		p := "clusters/dev/kiln.lock.json"
		if !strings.Contains(files[p], from) {
			t.Fatalf("the lock holds no %q", from)
		}
		files[p] = strings.Replace(files[p], from, to, 1)
		gittest.Commit(t, f.remote, "main", files, "hand edit")
	}
	verify := func(t *testing.T, f *fixture) (*VerifyResult, error) {
		return Verify(context.Background(), f.pipeline(t), VerifyOptions{
			Env: "dev", LookupEnv: lookup, Version: "test",
			GitEnv: gittest.Env(), WorkDir: t.TempDir(), Log: &bytes.Buffer{},
		})
	}
	for name, to := range map[string]func(head string) string{
		"branch name": func(string) string { return `"commit": "main"` },
		"abbreviated": func(head string) string { return `"commit": "` + head[:7] + `"` },
		"HEAD":        func(string) string { return `"commit": "HEAD"` },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			if _, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{})); err != nil {
				t.Fatal(err)
			}
			head := f.head(t)
			edit(t, f, `"commit": "`+head+`"`, to(head))
			res, err := verify(t, f)
			if err == nil || !strings.Contains(err.Error(), "not a full commit hash") {
				t.Errorf("verify = %+v, %v; want an error: the lock names no commit", res, err)
			}
		})
	}
	t.Run("dirty", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		if _, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{})); err != nil {
			t.Fatal(err)
		}
		head := f.head(t)
		edit(t, f, `"commit": "`+head+`"`, `"commit": "`+head+`",`+"\n"+`    "dirty": true`)
		res, err := verify(t, f)
		if err != nil {
			t.Fatal(err)
		}
		if res.Equal || len(res.Files) != 1 || res.Files[0].Path != "kiln.lock.json" {
			t.Errorf("result = %+v, want the lock changed: no commit renders a lock of uncommitted changes", res)
		}
	})
}
