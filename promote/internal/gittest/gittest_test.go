package gittest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// filesOneByOne is how Files read a tree before it used cat-file --batch:
// one git process per file. It is the reference Files must agree with.
func filesOneByOne(t *testing.T, repo, rev string) map[string]string {
	t.Helper()
	files := map[string]string{}
	list := Git(t, repo, "ls-tree", "-r", "--name-only", "--full-tree", rev)
	if list == "" {
		return files
	}
	for _, name := range strings.Split(list, "\n") {
		cmd := exec.Command("git", "cat-file", "blob", rev+":"+name)
		cmd.Dir = repo
		cmd.Env = Env()
		data, err := cmd.Output()
		if err != nil {
			t.Fatalf("reading %s:%s: %v", rev, name, err)
		}
		files[name] = string(data)
	}
	return files
}

// TestFiles: Files reads what one cat-file per file reads, for contents
// with and without a final newline, empty, binary (NUL and newline bytes,
// which the batch answers must not split on), nested and executable files
// and a symlink; nil for a missing rev, empty for an empty tree.
func TestFiles(t *testing.T) {
	t.Parallel()
	remote := Bare(t)
	files := map[string]string{
		"README.md":           "hi\n",
		"no-newline":          "x",
		"empty":               "",
		"bin/data":            "a\x00b\nc\n\n\x00",
		"a b/c d.yaml":        "kind: ConfigMap\n",
		"deep/er/and/er/f":    strings.Repeat("line\n", 1000),
		"looks/like/a/header": "0123456789abcdef0123456789abcdef01234567 blob 3\nabc\n",
	}
	Commit(t, remote, "main", files, "seed")
	dir := t.TempDir()
	Git(t, dir, "init", "-q", "--initial-branch=main")
	Git(t, dir, "fetch", "-q", remote, "main")
	Git(t, dir, "reset", "-q", "--hard", "FETCH_HEAD")
	if err := os.Symlink("README.md", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, "no-newline"), 0o755); err != nil {
		t.Fatal(err)
	}
	Git(t, dir, "add", "-A")
	Git(t, dir, "commit", "-q", "-m", "link")

	want := filesOneByOne(t, dir, "HEAD")
	if len(want) != len(files)+1 || want["link"] != "README.md" {
		t.Fatalf("the reference read %d files, link %q", len(want), want["link"])
	}
	if diff := cmp.Diff(want, Files(t, dir, "HEAD")); diff != "" {
		t.Errorf("Files (-one by one +Files):\n%s", diff)
	}
	if diff := cmp.Diff(files, Files(t, remote, "main")); diff != "" {
		t.Errorf("Files of the bare remote (-committed +Files):\n%s", diff)
	}
	if got := Files(t, remote, "nope"); got != nil {
		t.Errorf("Files of a missing rev = %v, want nil", got)
	}
	empty := Commit(t, remote, "empty", nil, "nothing")
	if got := Files(t, remote, empty); got == nil || len(got) != 0 {
		t.Errorf("Files of an empty tree = %#v, want an empty map", got)
	}
}
