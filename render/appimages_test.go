package render_test

import (
	"strings"
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
		if err := render.CheckTree(er.Files, lock, er.Redactor, render.BootstrapDirs(p), "rendered/"+er.Env, ""); err != nil {
			t.Errorf("env %s: the tree kiln render --app wrote is refused: %v", er.Env, err)
		}
	}
}

// TestAppImageOfAKeptAppsRepository: two apps run one repository. After a
// whole render gave it 2.0, rendering one app alone with 3.0, or with no
// image (its manifest's 0.1), would leave the tree running the repository
// at two references while kiln.lock.json records one: kiln verify would
// find an app different, and promote --from would give the next env's
// copy of it an image it never ran. Both are refused, naming the app and
// what to render; rendering both apps, or giving the earlier image again,
// is fine.
func TestAppImageOfAKeptAppsRepository(t *testing.T) {
	t.Parallel()
	p := load(t, writeProject(t, map[string]string{
		"kiln.yaml": `apiVersion: kiln/v1alpha1
kind: Pipeline
environments: [{name: dev}]
kubeVersion: "1.33.0"
manifests: {repo: https://github.com/acme/manifests.git, branch: main, path: "clusters/{env}"}
flux: {sourceRef: {kind: GitRepository, name: flux-system}}
apps:
  - {name: api, namespace: ns, yaml: apps/api}
  - {name: jobs, namespace: ns, yaml: apps/jobs}
`,
		"apps/api/d.yaml":  deploymentYAML("api", "ghcr.io/acme/app:0.1"),
		"apps/jobs/d.yaml": deploymentYAML("jobs", "ghcr.io/acme/app:0.1"),
	}))
	opts := testOptions()
	opts.Images = render.Images{Refs: []string{"ghcr.io/acme/app:2.0"}}
	before := renderAll(t, p, opts)[0]
	if before.Err != nil {
		t.Fatal(before.Err)
	}
	for _, c := range []struct {
		name   string
		apps   []string
		images []string
		want   string // "" for no error
	}{
		{"new image", []string{"api"}, []string{"ghcr.io/acme/app:3.0"},
			"app jobs: kept from the earlier render of env dev (--app does not name it), it runs ghcr.io/acme/app:2.0, but the apps rendered now are given ghcr.io/acme/app:3.0"},
		{"no image", []string{"api"}, nil,
			"app api: it runs ghcr.io/acme/app:0.1 in env dev, but kiln.lock.json keeps the earlier render's ghcr.io/acme/app:2.0, which jobs runs"},
		{"the same image", []string{"api"}, []string{"ghcr.io/acme/app:2.0"}, ""},
		{"both apps", []string{"api", "jobs"}, []string{"ghcr.io/acme/app:3.0"}, ""},
	} {
		opts := testOptions()
		opts.Images = render.Images{Refs: c.images}
		opts.Apps = c.apps
		opts.Earlier = func(string) (map[string][]byte, error) { return before.Files, nil }
		er := renderAll(t, p, opts)[0]
		switch {
		case c.want == "" && er.Err != nil:
			t.Errorf("%s: %v", c.name, er.Err)
		case c.want != "" && (er.Err == nil || !strings.Contains(er.Err.Error(), c.want)):
			t.Errorf("%s: error %v, want one containing %q", c.name, er.Err, c.want)
		}
	}
}
