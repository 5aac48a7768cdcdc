package promote

import (
	"bytes"
	"context"
	"testing"

	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

// TestVerifySubmodule: kiln never writes a submodule (promote refuses one
// in the env's folder), so a gitlink a pull request adds to the folder is
// a difference, wherever it is but Flux's bootstrap folder. Before, the
// tree was read without its gitlinks and verified as exactly what the
// source commit renders.
func TestVerifySubmodule(t *testing.T) {
	t.Parallel()
	for _, at := range []string{"apps/web/sub", "flux/sub", "extra"} {
		t.Run(at, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			if _, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{})); err != nil {
				t.Fatal(err)
			}
			placeEntry(t, f.remote, "clusters/dev/"+at, "160000")
			res, err := Verify(context.Background(), f.pipeline(t), VerifyOptions{
				Env: "dev", LookupEnv: lookup, Version: "test",
				GitEnv: gittest.Env(), WorkDir: t.TempDir(), Log: &bytes.Buffer{},
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.Equal || len(res.Files) != 1 || res.Files[0].Path != at || res.Files[0].Op != "removed" {
				t.Errorf("result = %+v, want the submodule %s removed", res, at)
			}
		})
	}
	t.Run("in the bootstrap folder", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		if _, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{})); err != nil {
			t.Fatal(err)
		}
		placeEntry(t, f.remote, "clusters/dev/flux/flux-system/sub", "160000")
		res, err := Verify(context.Background(), f.pipeline(t), VerifyOptions{
			Env: "dev", LookupEnv: lookup, Version: "test",
			GitEnv: gittest.Env(), WorkDir: t.TempDir(), Log: &bytes.Buffer{},
		})
		if err != nil || !res.Equal {
			t.Errorf("result = %+v, %v; want equal: verify does not compare flux/flux-system/", res, err)
		}
	})
}
