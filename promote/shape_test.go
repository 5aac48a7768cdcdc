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
	gittest.Git(t, dir, "rm", "-rq", "--cached", "--ignore-unmatch", p)
	if !strings.HasPrefix(p, "clusters/") || strings.Count(p, "/") == 1 {
		gittest.Git(t, dir, "rm", "-rq", "--cached", "--ignore-unmatch", "clusters")
	}
	gittest.Git(t, dir, "update-index", "--add", "--cacheinfo", mode+","+obj+","+p)
	gittest.Git(t, dir, "commit", "-qm", "an entry at "+p)
	gittest.Git(t, dir, "push", "-q", "origin", "HEAD:main")
}

// TestSubmoduleInEnvFolder: kiln never writes a submodule, so one in the
// env's folder is not kiln's wherever it is, below apps/ included. Before,
// one below apps/ or high-level/ was deleted without a word, and one where
// an app's files go stayed while the result reported the app's files as
// added: the commit lacked them. A submodule in Flux's bootstrap folder is
// carried over.
func TestSubmoduleInEnvFolder(t *testing.T) {
	t.Parallel()
	for _, at := range []string{"apps/extra", "apps/web", "high-level/web/sub", "docs"} {
		t.Run(at, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			if _, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{})); err != nil {
				t.Fatal(err)
			}
			placeEntry(t, f.remote, "clusters/dev/"+at, "160000")
			before := gittest.Heads(t, f.remote)
			f.commitCode(t, map[string]string{"apps/web/service.yaml": strings.Replace(project("")["apps/web/service.yaml"], "port: 80", "port: 81", 1)}, "port")
			var log bytes.Buffer
			_, err := promote(t, f, f.opts(t, "dev", &log))
			if err == nil {
				t.Fatalf("the promotion went ahead\n%s", log.String())
			}
			if !strings.Contains(err.Error(), "folder clusters/dev: clusters/dev/"+at+"; kiln never writes one") {
				t.Errorf("the error does not name the submodule:\n%v", err)
			}
			if got := gittest.Heads(t, f.remote); strings.Join(got, " ") != strings.Join(before, " ") {
				t.Errorf("the remote changed: %v, was %v", got, before)
			}
		})
	}
	t.Run("in flux-system", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		placeEntry(t, f.remote, "clusters/dev/flux/flux-system/sub", "160000")
		var log bytes.Buffer
		if _, err := promote(t, f, f.opts(t, "dev", &log)); err != nil {
			t.Fatalf("%v\n%s", err, log.String())
		}
		if got := gittest.Git(t, f.remote, "ls-tree", "main", "--", "clusters/dev/flux/flux-system/sub"); !strings.HasPrefix(got, "160000 commit") {
			t.Errorf("the bootstrap's submodule is gone: %q", got)
		}
	})
}
