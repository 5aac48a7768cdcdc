//go:build unix

package tree

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestWriteTree: a whole tree written folder by folder, in parallel, holds
// every file with its content and kiln's modes: the tree Read reads
// back.
func TestWriteTree(t *testing.T) {
	t.Parallel()
	files := benchTree()
	files["top.yaml"] = []byte("a: 1\n")
	files["deep/a/b/c/d.yaml"] = []byte(strings.Repeat("x", 1<<20)) // more than one write may take
	dir := t.TempDir()
	if err := writeTree(bg, dir, files, SortedKeys(files), ""); err != nil {
		t.Fatal(err)
	}
	got, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(files, got); diff != "" {
		t.Fatalf("tree differs (-want +got):\n%s", diff)
	}
	for _, p := range []string{"top.yaml", "deep/a/b/c", "apps/app042/object3.yaml"} {
		fi, err := os.Stat(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		want := filePerm
		if fi.IsDir() {
			want = dirPerm
		}
		if fi.Mode().Perm()&^want != 0 {
			t.Errorf("%s: mode %v, more than %v", p, fi.Mode().Perm(), want)
		}
	}
}

// TestWriteTreeFollowsNoLink: a folder of the new tree replaced by a
// symlink (something else writing into the staging folder) stops the
// write there, with an error naming the first folder in order, and nothing
// is written where the link points; a file that is already there is not
// overwritten.
func TestWriteTreeFollowsNoLink(t *testing.T) {
	t.Parallel()
	files := Files{
		"apps/a/x.yaml":   []byte("a: 1\n"),
		"apps/b/y.yaml":   []byte("b: 1\n"),
		"flux/app.yaml":   []byte("f: 1\n"),
		"kiln.lock.json":  []byte("{}"),
		"z/deeper/z.yaml": []byte("z: 1\n"),
	}
	outside := t.TempDir()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "apps"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "apps", "b")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "z")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "kiln.lock.json"), []byte("theirs"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := writeTree(bg, dir, files, SortedKeys(files), "")
	if err == nil || !strings.HasPrefix(err.Error(), "writing apps/b: ") {
		t.Fatalf("got %v, want the error of apps/b, the first folder that fails", err)
	}
	if es, _ := os.ReadDir(outside); len(es) != 0 {
		t.Fatalf("written through a link: %v", es)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "kiln.lock.json")); string(data) != "theirs" {
		t.Fatalf("an existing file was overwritten: %q", data)
	}
}

// TestOpenDotDotAfterSymlink: a root whose ".." follows a symlink is one
// folder to the kernel and another to filepath.Join. The tree is updated
// where Open's callers Join its path, the lexical folder: the update
// was once staged there and its ops looked for in the other folder,
// taken as done, and the earlier tree kept while Commit reported it
// written.
func TestOpenDotDotAfterSymlink(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(base, "real", "sub"), 0o755))
	must(t, os.Symlink(filepath.Join(base, "real", "sub"), filepath.Join(base, "link")))
	out := filepath.Join(base, "out")
	if _, err := Write(bg, filepath.Join(out, "dev"), fleetTree, false); err != nil {
		t.Fatal(err)
	}
	o, err := Open(base + "/link/../out")
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	files := maps.Clone(fleetTree)
	files["apps/a/deployment_a.yaml"] = []byte("kind: Deployment\nspec: {}\n")
	must(t, o.Stage(bg, "dev", files, false, nil))
	must(t, o.Commit(bg))
	if diff := cmp.Diff(asStrings(files), mustRead(t, filepath.Join(out, "dev"))); diff != "" {
		t.Errorf("tree (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(filepath.Join(base, "real", "out")); err == nil {
		t.Errorf("Open made the kernel's folder %s too", filepath.Join(base, "real", "out"))
	}
}
