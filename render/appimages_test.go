package render_test

import (
	"testing"

	"github.com/kiln-gitops/kiln/render"
)

// TestAppWithoutImageKeepsNoUnrunImage renders the example with CI's vote
// image, then renders vote alone without it (a job that changed vote's
// manifests and builds no image): vote now runs its manifest's image. The
// lock must not give vote the earlier image, which no object of the tree
// runs: promote --from would hand it to the next env, and promote
// --rendered refuses such a lock as edited after kiln wrote it, so the
// tree kiln render --app wrote could not be promoted.
func TestAppWithoutImageKeepsNoUnrunImage(t *testing.T) {
	t.Parallel()
	before := envFiles(t, testOptions())
	opts := testOptions()
	opts.Images = render.Images{}
	opts.Apps = []string{"vote"}
	opts.Earlier = func(env string) (map[string][]byte, error) { return before[env], nil }
	p := load(t, example)
	for _, er := range renderAll(t, p, opts) {
		if er.Err != nil {
			t.Fatalf("env %s: %v", er.Env, er.Err)
		}
		if got, ok := er.Lock.Images["ghcr.io/acme/vote"]; ok {
			t.Errorf("env %s: lock gives vote %q, which no object of the tree runs", er.Env, got)
		}
		if got := er.Lock.Images["docker.io/library/redis"]; got != "docker.io/library/redis:7.2.5" {
			t.Errorf("env %s: lock gives the kept redis %q, want the earlier image", er.Env, got)
		}
		lock, err := render.ParseLock(er.Files[render.LockFile])
		if err != nil {
			t.Fatal(err)
		}
		if err := render.CheckTree(er.Files, lock, er.Redactor, render.BootstrapDirs(p), "rendered/"+er.Env); err != nil {
			t.Errorf("env %s: the tree kiln render --app wrote is refused: %v", er.Env, err)
		}
	}
}
