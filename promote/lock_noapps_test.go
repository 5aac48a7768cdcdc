package promote

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

// TestLockWithoutAppsNamesNoApp: a kiln.lock.json on the manifests branch
// that parses but names no apps (its "apps" key lost in a hand edit or a
// merge conflict resolved badly: "apps": null) names no app's folder, so
// the folder of the user's own Kustomization in apps/ is not kiln's to
// delete (docs/promote.md: for each app that lock names, everything below
// apps/<app>/).
func TestLockWithoutAppsNamesNoApp(t *testing.T) {
	t.Parallel()
	for _, lock := range []string{`{"kilnVersion": "test", "env": "dev", "source": {}, "apps": null}`, `{"kilnVersion": "test", "env": "dev"}`} {
		f := newFixture(t)
		gittest.Update(t, f.remote, "main", map[string]string{
			"clusters/dev/kiln.lock.json":     lock + "\n",
			"clusters/dev/apps/infra/cm.yaml": "# the path of the user's own Kustomization\n",
		}, nil, "by hand")
		before := gittest.Git(t, f.remote, "rev-parse", "main")
		opts := f.opts(t, "dev", &bytes.Buffer{})
		opts.AllowMassDelete = true
		_, err := promote(t, f, opts)
		if err == nil || !strings.Contains(err.Error(), "clusters/dev/apps/infra/cm.yaml (its kiln.lock.json has no apps list, which kiln always writes, so it names none of kiln's apps") {
			_, kept := gittest.Files(t, f.remote, "main")["clusters/dev/apps/infra/cm.yaml"]
			t.Errorf("lock %s: promote = %v; the user's apps/infra/cm.yaml kept: %v", lock, err, kept)
		}
		if after := gittest.Git(t, f.remote, "rev-parse", "main"); after != before {
			t.Errorf("main moved")
		}
	}
}
