package promote

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/envconfig"

	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

// TestManifestsBranchIsAPullRequestBranch: kiln owns the branches
// kiln/<env> and force-pushes them. A manifests.branch named kiln/<env>
// makes the pull request branch of env the branch Flux reads: the
// promotion of a pr env would land on it without review (and then fail
// to open a pull request from the branch to itself).
func TestManifestsBranchIsAPullRequestBranch(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	files := project(f.remote)
	files["kiln.yaml"] = strings.Replace(files["kiln.yaml"], "  branch: main\n", "  branch: kiln/staging\n", 1)
	f.commitCode(t, files, "manifests.branch kiln/staging")
	gittest.Git(t, f.remote, "update-ref", "refs/heads/kiln/staging", "main")
	before := gittest.Git(t, f.remote, "rev-parse", "kiln/staging")

	_, err := envconfig.Load(filepath.Join(f.code, "kiln.yaml"))
	if err == nil || !strings.Contains(err.Error(), "manifests.branch") || !strings.Contains(err.Error(), "kiln owns") {
		t.Errorf("loading kiln.yaml: %v, want a refusal of manifests.branch", err)
	}
	if err != nil {
		return
	}
	o := f.opts(t, "staging", &bytes.Buffer{})
	// As the refusal of the seed commit ("kiln did not make") hints.
	o.ReplaceForeignCommits = true
	_, err = promote(t, f, o)
	if after := gittest.Git(t, f.remote, "rev-parse", "kiln/staging"); after != before {
		t.Errorf("pr env staging moved the manifests branch kiln/staging from %s to %s (err %v): its change landed without a pull request", before[:7], after[:7], err)
	}
}
