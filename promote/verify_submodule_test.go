package promote

import (
	"bytes"
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

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

// TestVerifySymlink: git gives a symlink (mode 120000) as a file holding
// its target's path, and one whose target read exactly as the file kiln
// renders there was verified as exactly what the source commit renders,
// though Flux applies no symlink. Each symlink is a difference now, listed
// once, but in Flux's bootstrap folder, which verify does not compare.
func TestVerifySymlink(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if _, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{})); err != nil {
		t.Fatal(err)
	}
	files := gittest.Files(t, f.remote, "main")
	gittest.UpdateEntries(t, f.remote, "main", "120000", map[string]string{
		"clusters/dev/apps/web/kustomization.yaml":     files["clusters/dev/apps/web/kustomization.yaml"],
		"clusters/dev/kiln.lock.json":                  files["clusters/dev/kiln.lock.json"],
		"clusters/dev/flux/web.yaml":                   "web.yaml",
		"clusters/dev/apps/web/extra.yaml":             "deployment_web.yaml",
		"clusters/dev/flux/flux-system/gotk-sync.yaml": "../../../shared/gotk-sync.yaml",
	}, "symlinks")
	res, err := Verify(context.Background(), f.pipeline(t), VerifyOptions{
		Env: "dev", LookupEnv: lookup, Version: "test",
		GitEnv: gittest.Env(), WorkDir: t.TempDir(), Log: &bytes.Buffer{},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []FileChange{
		{Path: "apps/web/extra.yaml", Op: "removed", App: "web"},
		{Path: "apps/web/kustomization.yaml", Op: "changed", App: "web"},
		{Path: "flux/web.yaml", Op: "changed", App: "web", Object: "Kustomization/flux-system/web"},
		{Path: "kiln.lock.json", Op: "changed"},
	}
	if diff := cmp.Diff(want, res.Files); diff != "" || res.Equal {
		t.Errorf("equal %v, files (-want +got):\n%s", res.Equal, diff)
	}
}
