package promote

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

// TestManifestsPathsQuotedInMessages: the manifests branch's file names
// are whoever pushed there's. One holding a line break would make a line
// of its own in a warning or an error (one that reads as another warning,
// or in GitHub Actions as a workflow command), one holding ESC would
// drive the terminal; kiln names them quoted as its diff headers do,
// whether as a warning's file or in a message's list of files. Real git
// repositories on disk.
func TestManifestsPathsQuotedInMessages(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if _, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{})); err != nil {
		t.Fatal(err)
	}
	gittest.Update(t, f.remote, "main", map[string]string{
		// In an app's folder: kiln's, so pruned, and warned about.
		"clusters/dev/apps/web/x\n::error::y.yaml": dataClaim,
		// A folder of apps/ the lock names no app of: its name is the
		// app's in every message about it.
		"clusters/dev/apps/x\n::error::z/pvc.yaml": strings.Replace(dataClaim, "name: data", "name: scratch", 1),
		// Outside: not kiln's, so refused.
		"clusters/dev/a\x1b[2Jb.yaml": "# by hand\n",
	}, nil, "by hand")
	log := f.diffLog(t)
	for _, want := range []string{
		`warning: "apps/web/x\n::error::y.yaml": app web: PersistentVolumeClaim/data: leaves app web`,
		`warning: "apps/x\n::error::z/pvc.yaml": app "x\n::error::z": PersistentVolumeClaim/scratch: leaves app "x\n::error::z",`,
		`that kiln did not write: "clusters/dev/a\x1b[2Jb.yaml"`,
	} {
		if !strings.Contains(log, want) {
			t.Errorf("diff's log lacks %s:\n%s", want, log)
		}
	}
	for _, l := range strings.Split(log, "\n") {
		if strings.HasPrefix(l, "::error::") || strings.Contains(l, "\x1b") {
			t.Errorf("a file name made its own line or sent ESC: %q", l)
		}
	}
	_, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{}))
	if err == nil || !strings.Contains(err.Error(), `that kiln did not write: "clusters/dev/a\x1b[2Jb.yaml"`) {
		t.Errorf("promote's refusal does not quote the file: %v", err)
	}
}
