package promote

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

// TestGateRefusesAnEnvInTwoFolders: after manifests.path changes, kiln
// promotes dev into the new folder and leaves the old one, which the dev
// cluster's bootstrap still applies. Its Kustomizations have the names
// the statuses kiln/dev/<app> come from, so they report success on every
// new commit while they apply the old folder: the gate promoted to staging
// a release dev never ran. With dev's kiln.lock.json in two folders the
// gate refuses, naming both, until the old one is gone. Another
// pipeline's env dev with other apps does not count.
func TestGateRefusesAnEnvInTwoFolders(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if _, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{})); err != nil {
		t.Fatal(err)
	}
	f.commitCode(t, map[string]string{"kiln.yaml": strings.Replace(project(f.remote)["kiln.yaml"], "path: clusters/{env}", "path: envs/{env}", 1)}, "manifests.path moves")
	if _, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{})); err != nil {
		t.Fatal(err)
	}
	successAll(t, f, "dev")
	_, err := promote(t, f, f.fromDev(t, &bytes.Buffer{}))
	if err == nil || !strings.Contains(err.Error(), "env dev has a kiln.lock.json in envs/dev and also in clusters/dev on ") ||
		!strings.Contains(err.Error(), "delete clusters/dev in a commit of your own") {
		t.Fatalf("error = %v, want the two folders named", err)
	}
	if f.gh.count() != 0 {
		t.Errorf("%d pull requests opened", f.gh.count())
	}

	// The old folder removed: the gate judges the new head.
	var old []string
	for p := range gittest.Files(t, f.remote, "main") {
		if strings.HasPrefix(p, "clusters/dev/") {
			old = append(old, p)
		}
	}
	// Another pipeline's env dev, with other apps, in a folder of its own.
	other := `{"env":"dev","source":{"repo":"https://github.com/acme/billing"},"apps":{"invoices":{}}}`
	gittest.Update(t, f.remote, "main", map[string]string{"billing/dev/kiln.lock.json": other}, old, "remove the old folder of dev")
	successAll(t, f, "dev")
	if res, err := promote(t, f, f.fromDev(t, &bytes.Buffer{})); err != nil || res.PRNumber != 1 {
		t.Errorf("after removing the old folder: %+v, %v", res, err)
	}
}
