package gitrepo_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/promote/internal/gitrepo"
	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

// TestExportIsACheckout: Export writes what git worktree add checked out
// for kiln verify (line endings and a smudge filter from .gitattributes
// and the repository's config, a symlink, an executable, an empty folder
// for a submodule, in a repository at a path with spaces, run from its
// main worktree or a linked one), and writes nothing into the repository
// (git worktree add wrote an entry, which a kill left locked): every
// file, folder and time under it is as before, and no hook ran.
func TestExportIsACheckout(t *testing.T) {
	t.Parallel()
	for _, linked := range []bool{false, true} {
		t.Run(map[bool]string{false: "main worktree", true: "linked worktree"}[linked], func(t *testing.T) {
			t.Parallel()
			repo := filepath.Join(t.TempDir(), "code with spaces")
			for name, content := range map[string]string{
				".gitattributes": "*.txt eol=crlf\n*.dat filter=upper\n",
				"a dir/a.yaml":   "kind: ConfigMap\n",
				"lines.txt":      "one\ntwo\n",
				"up.dat":         "hello\n",
				"run.sh":         "#!/bin/sh\n",
			} {
				p := filepath.Join(repo, filepath.FromSlash(name))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Chmod(filepath.Join(repo, "run.sh"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("a dir/a.yaml", filepath.Join(repo, "link")); err != nil {
				t.Fatal(err)
			}
			gittest.Git(t, repo, "init", "-q", "--initial-branch=main")
			gittest.Git(t, repo, "add", "-A")
			gittest.Git(t, repo, "commit", "-qm", "files")
			gittest.Git(t, repo, "update-index", "--add", "--cacheinfo", "160000,"+gittest.Git(t, repo, "rev-parse", "HEAD")+",sub")
			gittest.Git(t, repo, "commit", "-qm", "a submodule")
			commit := gittest.Git(t, repo, "rev-parse", "HEAD")
			gittest.Git(t, repo, "config", "filter.upper.smudge", "tr a-z A-Z")
			gittest.Git(t, repo, "config", "filter.upper.clean", "cat")
			hooked := filepath.Join(t.TempDir(), "hooked")
			if err := os.WriteFile(filepath.Join(repo, ".git", "hooks", "post-checkout"), []byte("#!/bin/sh\ntouch '"+hooked+"'\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			top, other := repo, ""
			if linked {
				top = filepath.Join(t.TempDir(), "linked worktree")
				gittest.Git(t, repo, "-c", "core.hooksPath="+os.DevNull, "worktree", "add", "-q", "--detach", top, "HEAD~1")
				other = gittest.Listing(t, top, true)
			}
			before := gittest.Listing(t, repo, true)

			tmp := t.TempDir()
			dst := filepath.Join(tmp, "src")
			if err := os.Mkdir(dst, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := gitrepo.Export(context.Background(), top, commit, dst, filepath.Join(tmp, "git"), gittest.Env()); err != nil {
				t.Fatal(err)
			}

			if diff := cmp.Diff(before, gittest.Listing(t, repo, true)); diff != "" {
				t.Errorf("the repository changed (-before +after):\n%s", diff)
			}
			if linked {
				if diff := cmp.Diff(other, gittest.Listing(t, top, true)); diff != "" {
					t.Errorf("the linked worktree changed (-before +after):\n%s", diff)
				}
			}
			if _, err := os.Lstat(hooked); !os.IsNotExist(err) {
				t.Errorf("a hook ran: %v", err)
			}
			want := filepath.Join(t.TempDir(), "want")
			gittest.Git(t, repo, "-c", "core.hooksPath="+os.DevNull, "worktree", "add", "-q", "--detach", want, commit)
			if err := os.Remove(filepath.Join(want, ".git")); err != nil {
				t.Fatal(err)
			}
			got := gittest.Listing(t, dst, false)
			if diff := cmp.Diff(gittest.Listing(t, want, false), got); diff != "" {
				t.Errorf("Export differs from git worktree add (-worktree +export):\n%s", diff)
			}
			// Both could be wrong alike: the attributes took effect.
			for _, c := range []struct{ name, content string }{{"lines.txt", "one\r\ntwo\r\n"}, {"up.dat", "HELLO\n"}} {
				if data, err := os.ReadFile(filepath.Join(dst, c.name)); err != nil || string(data) != c.content {
					t.Errorf("%s = %q, %v; want %q", c.name, data, err, c.content)
				}
			}
			if !strings.Contains(got, "link Lrwxrwxrwx -> a dir/a.yaml\n") || !strings.Contains(got, "sub d") {
				t.Errorf("no symlink or submodule folder:\n%s", got)
			}
		})
	}
}

// TestExportLeavesPartialCloneAlone: in a partial clone (actions/checkout
// with filter: blob:none), the files of an older commit are blobs the
// clone never fetched. Export fetches them as a checkout would, from the
// clone's origin, into its own scratch folder: the clone's .git (its
// objects, its packs, FETCH_HEAD) is as before, and the files are the
// commit's.
func TestExportLeavesPartialCloneAlone(t *testing.T) {
	t.Parallel()
	origin := gittest.Bare(t)
	gittest.Git(t, origin, "config", "uploadpack.allowFilter", "true")
	old := gittest.Commit(t, origin, "main", map[string]string{"app/cm.yaml": "kind: ConfigMap\nold: true\n"}, "old")
	gittest.Commit(t, origin, "main", map[string]string{"app/cm.yaml": "kind: ConfigMap\nnew: true\n"}, "new")
	clone := filepath.Join(t.TempDir(), "clone")
	gittest.Git(t, filepath.Dir(clone), "clone", "-q", "--filter=blob:none", "file://"+origin, clone)
	if missing := gittest.Git(t, clone, "rev-list", "--objects", "--missing=print", old); !strings.Contains(missing, "?") {
		t.Fatalf("the clone has every blob of the old commit, so nothing tests a fetch:\n%s", missing)
	}
	before := gittest.Listing(t, clone, true)

	tmp := t.TempDir()
	dst := filepath.Join(tmp, "src")
	if err := os.Mkdir(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := gitrepo.Export(context.Background(), clone, old, dst, filepath.Join(tmp, "git"), gittest.Env()); err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(filepath.Join(dst, "app", "cm.yaml")); err != nil || string(data) != "kind: ConfigMap\nold: true\n" {
		t.Errorf("app/cm.yaml = %q, %v; want the old commit's", data, err)
	}
	if diff := cmp.Diff(before, gittest.Listing(t, clone, true)); diff != "" {
		t.Errorf("the clone changed (-before +after):\n%s", diff)
	}
}

// TestExportFindsTheRepositorysObjects: Export reads the commit from the
// repository's object folder wherever git finds it, the partial clone's
// fetch going to a folder of its own (TestExportLeavesPartialCloneAlone):
// in a repository whose path holds a ':', the separator of
// GIT_ALTERNATE_OBJECT_DIRECTORIES, in one whose objects are in the
// user's GIT_OBJECT_DIRECTORY, and in one whose objects are in another
// repository that only the user's GIT_ALTERNATE_OBJECT_DIRECTORIES
// reaches, by a path relative to the checkout (plain, or C-quoted for its
// ':' after a comment), as `git checkout` there would. No repository
// changes.
func TestExportFindsTheRepositorysObjects(t *testing.T) {
	t.Parallel()
	origin := gittest.Bare(t)
	commit := gittest.Commit(t, origin, "main", map[string]string{"app/cm.yaml": "kind: ConfigMap\n"}, "one")
	for _, tc := range []struct {
		name string
		// setup clones origin and returns the clone and the
		// environment kiln runs in.
		setup func(t *testing.T) (string, []string)
	}{
		{name: "a ':' in the repository's path", setup: func(t *testing.T) (string, []string) {
			clone := filepath.Join(t.TempDir(), "team:shop", "code")
			if err := os.Mkdir(filepath.Dir(clone), 0o755); err != nil {
				t.Fatal(err)
			}
			gittest.Git(t, filepath.Dir(clone), "clone", "-q", "file://"+origin, clone)
			return clone, gittest.Env()
		}},
		{name: "the user's GIT_OBJECT_DIRECTORY", setup: func(t *testing.T) (string, []string) {
			clone := filepath.Join(t.TempDir(), "code")
			gittest.Git(t, filepath.Dir(clone), "clone", "-q", "file://"+origin, clone)
			// The objects elsewhere, .git/objects empty.
			objects := filepath.Join(t.TempDir(), "objects")
			if err := os.Rename(filepath.Join(clone, ".git", "objects"), objects); err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Join(clone, ".git", "objects", "pack"), 0o755); err != nil {
				t.Fatal(err)
			}
			return clone, append(gittest.Env(), "GIT_OBJECT_DIRECTORY="+objects)
		}},
		{name: "a relative GIT_ALTERNATE_OBJECT_DIRECTORIES", setup: func(t *testing.T) (string, []string) {
			return borrower(t, origin, commit, "store.git", "../store.git/objects")
		}},
		{name: "a relative GIT_ALTERNATE_OBJECT_DIRECTORIES, quoted", setup: func(t *testing.T) (string, []string) {
			return borrower(t, origin, commit, "team:store.git", "#shared:"+gitrepo.CQuote("../team:store.git/objects"))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clone, env := tc.setup(t)
			before := gittest.Listing(t, clone, true)
			tmp := t.TempDir()
			dst := filepath.Join(tmp, "src")
			if err := os.Mkdir(dst, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := gitrepo.Export(context.Background(), clone, commit, dst, filepath.Join(tmp, "git"), env); err != nil {
				t.Fatal(err)
			}
			if data, err := os.ReadFile(filepath.Join(dst, "app", "cm.yaml")); err != nil || string(data) != "kind: ConfigMap\n" {
				t.Errorf("app/cm.yaml = %q, %v; want the commit's", data, err)
			}
			if diff := cmp.Diff(before, gittest.Listing(t, clone, true)); diff != "" {
				t.Errorf("the clone changed (-before +after):\n%s", diff)
			}
		})
	}
}

// borrower is a new repository, without objects, beside a bare clone of
// origin named store, and the environment whose
// GIT_ALTERNATE_OBJECT_DIRECTORIES, alternates, reaches the clone's: git
// run in the repository finds commit, as kiln verify's first git does.
func borrower(t *testing.T, origin, commit, store, alternates string) (string, []string) {
	dir := t.TempDir()
	gittest.Git(t, dir, "clone", "-q", "--bare", "file://"+origin, store)
	repo := filepath.Join(dir, "code")
	gittest.Git(t, dir, "init", "-q", repo)
	env := append(gittest.Env(), "GIT_ALTERNATE_OBJECT_DIRECTORIES="+alternates)
	if _, err := gitrepo.Local(context.Background(), repo, env, "cat-file", "-e", commit); err != nil {
		t.Fatalf("git in the repository does not find the commit: %v", err)
	}
	return repo, env
}

// fakeLFS is a smudge filter that keeps its object cache as git-lfs does:
// in lfs.storage, a relative one in the git folder, or else in the git
// folder's lfs, making its tmp folder there on every run; an object not
// there it links (copies) from lfs/objects beside an alternate object
// folder, or else downloads, which this one cannot.
const fakeLFS = `#!/bin/sh
set -e
git_dir=$(git rev-parse --git-common-dir)
storage=$(git config lfs.storage || echo lfs)
case $storage in /*) ;; *) storage=$git_dir/$storage ;; esac
mkdir -p "$storage/tmp"
oid=$(sed -n 's/^oid sha256://p')
obj=objects/$(echo "$oid" | cut -c1-2)/$(echo "$oid" | cut -c3-4)/$oid
if [ ! -f "$storage/$obj" ]; then
	IFS=:
	for alt in $GIT_ALTERNATE_OBJECT_DIRECTORIES; do
		if [ -f "$alt/../lfs/$obj" ]; then
			mkdir -p "$(dirname "$storage/$obj")"
			cp "$alt/../lfs/$obj" "$storage/$obj"
			break
		fi
	done
fi
exec cat "$storage/$obj"
`

// TestExportLeavesTheLFSCacheAlone: a git-lfs smudge filter (fakeLFS,
// git-lfs itself not being needed) keeps its cache in Export's scratch
// folder, not in the repository's .git/lfs, yet finds the objects already
// there without a download; an lfs.storage of the user's outside the
// repository is used as it is. The repository does not change.
func TestExportLeavesTheLFSCacheAlone(t *testing.T) {
	t.Parallel()
	const content = "binary\n"
	oid := fmt.Sprintf("%x", sha256.Sum256([]byte(content)))
	pointer := fmt.Sprintf("version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %d\n", oid, len(content))
	filter := filepath.Join(t.TempDir(), "git-lfs-smudge")
	if err := os.WriteFile(filter, []byte(fakeLFS), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, own := range []bool{false, true} {
		t.Run(map[bool]string{false: "the repository's .git/lfs", true: "the user's lfs.storage"}[own], func(t *testing.T) {
			t.Parallel()
			repo := filepath.Join(t.TempDir(), "code")
			gittest.Git(t, filepath.Dir(repo), "init", "-q", repo)
			for name, data := range map[string]string{".gitattributes": "*.bin filter=lfs\n", "model.bin": pointer} {
				if err := os.WriteFile(filepath.Join(repo, name), []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			gittest.Git(t, repo, "add", "-A")
			gittest.Git(t, repo, "commit", "-qm", "a large file")
			commit := gittest.Git(t, repo, "rev-parse", "HEAD")
			gittest.Git(t, repo, "config", "filter.lfs.smudge", "'"+filter+"'")
			gittest.Git(t, repo, "config", "filter.lfs.required", "true")
			cache := filepath.Join(repo, ".git", "lfs")
			if own {
				cache = filepath.Join(t.TempDir(), "lfs cache")
				gittest.Git(t, repo, "config", "lfs.storage", cache)
			}
			object := filepath.Join(cache, "objects", oid[:2], oid[2:4], oid)
			if err := os.MkdirAll(filepath.Dir(object), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(object, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			before := gittest.Listing(t, repo, true)

			tmp := t.TempDir()
			dst, scratch := filepath.Join(tmp, "src"), filepath.Join(tmp, "git")
			if err := os.Mkdir(dst, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := gitrepo.Export(context.Background(), repo, commit, dst, scratch, gittest.Env()); err != nil {
				t.Fatal(err)
			}
			if data, err := os.ReadFile(filepath.Join(dst, "model.bin")); err != nil || string(data) != content {
				t.Errorf("model.bin = %q, %v; want the object's content", data, err)
			}
			if diff := cmp.Diff(before, gittest.Listing(t, repo, true)); diff != "" {
				t.Errorf("the repository changed (-before +after):\n%s", diff)
			}
			used := filepath.Join(scratch, "lfs")
			if own {
				used = cache
			}
			if _, err := os.Stat(filepath.Join(used, "tmp")); err != nil {
				t.Errorf("the filter kept its cache elsewhere than in %s: %v", used, err)
			}
		})
	}
}
