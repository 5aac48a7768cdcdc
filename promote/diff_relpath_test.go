package promote

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

// TestDiffAgainstRelativeRepository: a relative --against PATH (a
// repository without the env's folder) or PATH#REF was checked relative
// to where kiln runs, as the docs say, and then cloned relative to
// kiln.yaml's folder, as manifests.repo is: with --config elsewhere the
// diff compared with another repository than the one named, or failed
// naming neither. Both are relative to where kiln runs. (Not parallel:
// it changes the working directory.)
func TestDiffAgainstRelativeRepository(t *testing.T) {
	f := newFixture(t)
	if _, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{})); err != nil {
		t.Fatal(err)
	}
	// The repository named, relative to where kiln runs: the promoted
	// one. The same relative path from kiln.yaml's folder: an empty one.
	work := filepath.Join(t.TempDir(), "work")
	if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}
	gittest.Git(t, work, "clone", "-q", "--bare", f.remote, "m.git")
	gittest.Git(t, f.code, "init", "-q", "--bare", "m.git")
	t.Chdir(work)
	for _, against := range []string{"m.git", "m.git#main"} {
		o := f.opts(t, "dev", nil)
		res, err := Diff(context.Background(), f.pipeline(t), DiffOptions{Env: "dev", Against: against, Render: o.Render, GitEnv: gittest.Env(), WorkDir: t.TempDir()})
		if err != nil {
			t.Errorf("--against %s: %v", against, err)
			continue
		}
		if want := filepath.Join(work, "m.git") + "#main"; res.Changed || len(res.Against) < len(want) || res.Against[:len(want)] != want {
			t.Errorf("--against %s: compared with %s (changed %v), want %s unchanged", against, res.Against, res.Changed, want)
		}
	}
}
