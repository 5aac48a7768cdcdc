package promote

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

// TestEnvFolderThatIsNotAFolder: the manifests branch may hold a file, a
// symlink or a submodule where the env's folder (or a folder above it)
// goes. kiln did not write it, so it must not delete it, and it must say
// which path is in the way and what to do, dry run or not, in either
// mode. Before, a file at the folder was refused only after the commit,
// as "a deletion outside its folder … report this as a bug in kiln", and
// a file above it as git's "not a directory" with a hint about the token.
func TestEnvFolderThatIsNotAFolder(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, at, mode, kind string
	}{
		{name: "a file at the folder", at: "clusters/{env}", mode: "100644", kind: "file"},
		{name: "a file above the folder", at: "clusters", mode: "100644", kind: "file"},
		{name: "a symlink at the folder", at: "clusters/{env}", mode: "120000", kind: "symlink"},
		{name: "a submodule at the folder", at: "clusters/{env}", mode: "160000", kind: "submodule"},
	} {
		for _, env := range []string{"dev", "staging"} { // push, pr
			t.Run(tc.name+"/"+env, func(t *testing.T) {
				t.Parallel()
				f := newFixture(t)
				at := strings.ReplaceAll(tc.at, "{env}", env)
				placeEntry(t, f.remote, at, tc.mode)
				before := gittest.Heads(t, f.remote)
				for _, dry := range []bool{true, false} {
					var log bytes.Buffer
					o := f.opts(t, env, &log)
					o.DryRun = dry
					_, err := promote(t, f, o)
					if err == nil {
						t.Fatalf("dry run %v: the promotion went ahead\n%s", dry, log.String())
					}
					for _, want := range []string{
						"holds a " + tc.kind + " at " + at + ", where env " + env + " needs",
						"kiln did not write it",
						"move or delete " + at + " in the manifests repository",
					} {
						if !strings.Contains(err.Error(), want) {
							t.Errorf("dry run %v: the error lacks %q:\n%v", dry, want, err)
						}
					}
				}
				if got := gittest.Heads(t, f.remote); strings.Join(got, " ") != strings.Join(before, " ") {
					t.Errorf("the remote changed: %v, was %v", got, before)
				}
			})
		}
	}
}

// placeEntry commits an entry of mode (a file, symlink or gitlink) at p on
// the remote's main.
func placeEntry(t *testing.T, remote, p, mode string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "w")
	gittest.Git(t, filepath.Dir(dir), "clone", "-q", remote, dir)
	obj := gittest.Git(t, dir, "rev-parse", "HEAD") // a gitlink names a commit
	if mode != "160000" {
		obj = gittest.Git(t, dir, "hash-object", "-w", "--stdin")
	}
	gittest.Git(t, dir, "rm", "-rq", "--cached", "--ignore-unmatch", "clusters")
	gittest.Git(t, dir, "update-index", "--add", "--cacheinfo", mode+","+obj+","+p)
	gittest.Git(t, dir, "commit", "-qm", "an entry at "+p)
	gittest.Git(t, dir, "push", "-q", "origin", "HEAD:main")
}
