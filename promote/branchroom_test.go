package promote

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

// TestBranchNamedKiln: a branch named kiln in the manifests repository
// leaves git no room for kiln/<env> (a ref cannot be a file and a folder).
// The push's "cannot lock ref" was taken for another promotion having
// pushed meanwhile, an error that sent people to rerun, which failed the
// same way. It is refused before anything is written, dry run too, naming
// the branch in the way.
func TestBranchNamedKiln(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, blocking := range []string{"kiln", "kiln/staging/old"} {
		gittest.Git(t, f.remote, "branch", blocking, "main")
		for _, dry := range []bool{true, false} {
			o := f.opts(t, "staging", &bytes.Buffer{})
			o.DryRun = dry
			_, err := promote(t, f, o)
			if err == nil || !strings.Contains(err.Error(), "which git cannot create in") || !strings.Contains(err.Error(), "beside its branch "+blocking) || strings.Contains(err.Error(), "another promotion") {
				t.Errorf("branch %s, dry run %v: %v, want the branch in the way named", blocking, dry, err)
			}
		}
		gittest.Git(t, f.remote, "branch", "-D", blocking)
	}
	if f.gh.count() != 0 {
		t.Errorf("%d pull requests opened", f.gh.count())
	}
	if _, err := promote(t, f, f.opts(t, "staging", &bytes.Buffer{})); err != nil {
		t.Errorf("without them: %v", err)
	}
}
