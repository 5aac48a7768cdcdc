package tree

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestCompare: what compare finds the same in an earlier tree, by both of
// its ways of reading it (file descriptors on Unix, os.Root everywhere).
func TestCompare(t *testing.T) {
	t.Parallel()
	files := Files{
		MarkerFile:         []byte("{}"),
		"a/same.yaml":      []byte("same\n"),
		"a/longer.yaml":    []byte("short\n"),
		"a/bytes.yaml":     []byte("abcd\n"),
		"a/empty.yaml":     []byte(""),
		"a/exec.yaml":      []byte("x\n"),
		"a/link.yaml":      []byte("same\n"),
		"a/folder.yaml":    []byte("f\n"),
		"b/c/deep.yaml":    []byte("deep\n"),
		"b/caf\u00e9.yaml": []byte("accent\n"),
		"missing.yaml":     []byte("m\n"),
	}
	for _, tc := range []struct {
		name string
		// setup changes the earlier tree dir, written as files are (less
		// missing.yaml).
		setup     func(t *testing.T, dir string)
		wantOps   []op
		wantWhole bool
	}{
		{name: "all the same", setup: func(t *testing.T, dir string) {
			put(t, dir, map[string]string{"missing.yaml": "m\n"})
		}},
		{name: "each kind of difference", setup: func(t *testing.T, dir string) {
			put(t, dir, map[string]string{
				"a/longer.yaml": "longer\n",
				"a/bytes.yaml":  "abce\n",
				"a/stale.yaml":  "old\n",
				"stale/x.yaml":  "old\n",
			})
			if err := os.Chmod(filepath.Join(dir, "a", "exec.yaml"), 0o755); err != nil {
				t.Fatal(err)
			}
			link := filepath.Join(dir, "a", "link.yaml")
			if err := os.Remove(link); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("same.yaml", link); err != nil {
				t.Fatal(err)
			}
			folder := filepath.Join(dir, "a", "folder.yaml")
			if err := os.Remove(folder); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(folder, 0o755); err != nil {
				t.Fatal(err)
			}
		}, wantOps: []op{
			{path: "a/bytes.yaml", put: true},
			{path: "a/exec.yaml", put: true},
			{path: "a/folder.yaml", put: true},
			{path: "a/link.yaml", put: true},
			{path: "a/longer.yaml", put: true},
			{path: "a/stale.yaml"},
			{path: "missing.yaml", put: true},
			{path: "stale"},
		}},
		{name: "a folder made private", setup: func(t *testing.T, dir string) {
			put(t, dir, map[string]string{"missing.yaml": "m\n"})
			if err := os.Chmod(filepath.Join(dir, "b"), 0o700); err != nil {
				t.Fatal(err)
			}
		}, wantOps: []op{{path: "b", put: true, dir: true}}},
		{name: "folders missing, a file where a folder goes", setup: func(t *testing.T, dir string) {
			if err := os.RemoveAll(filepath.Join(dir, "b")); err != nil {
				t.Fatal(err)
			}
			if err := os.RemoveAll(filepath.Join(dir, "a")); err != nil {
				t.Fatal(err)
			}
			put(t, dir, map[string]string{"a": "a file"})
		}, wantOps: []op{{path: "a", put: true, dir: true}, {path: "b", put: true, dir: true}, {path: "missing.yaml", put: true}}},
		{name: "a name changed only in case", setup: func(t *testing.T, dir string) {
			put(t, dir, map[string]string{"missing.yaml": "m\n"})
			if err := os.Rename(filepath.Join(dir, "a", "same.yaml"), filepath.Join(dir, "a", "Same.yaml")); err != nil {
				t.Fatal(err)
			}
		}, wantWhole: true},
		{name: "a name changed only in Unicode normalization", setup: func(t *testing.T, dir string) {
			put(t, dir, map[string]string{"missing.yaml": "m\n"})
			if err := os.Rename(filepath.Join(dir, "b", "caf\u00e9.yaml"), filepath.Join(dir, "b", "cafe\u0301.yaml")); err != nil {
				t.Fatal(err)
			}
		}, wantWhole: true},
		{name: "another name removed", setup: func(t *testing.T, dir string) {
			put(t, dir, map[string]string{"missing.yaml": "m\n", "b/Other.yaml": "x"})
		}, wantOps: []op{{path: "b/Other.yaml"}}},
		{name: "the tree made private", setup: func(t *testing.T, dir string) {
			if err := os.Chmod(dir, 0o700); err != nil {
				t.Fatal(err)
			}
		}, wantWhole: true},
		{name: "the tree is a link", setup: func(t *testing.T, dir string) {
			real := dir + ".real"
			if err := os.Rename(dir, real); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(filepath.Base(real), dir); err != nil {
				t.Fatal(err)
			}
		}, wantWhole: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "dev")
			before := asStrings(files)
			delete(before, "missing.yaml")
			put(t, dir, before)
			tc.setup(t, dir)
			for name, compare := range map[string]func() (*earlier, error){
				"compare":     func() (*earlier, error) { return compare(bg, dir, files) },
				"compareRoot": func() (*earlier, error) { return compareRoot(bg, dir, files) },
			} {
				e, err := compare()
				if err != nil {
					t.Fatal(err)
				}
				if name == "compareRoot" && tc.name == "the tree is a link" {
					continue // os.Root follows it; Stage never compares a link
				}
				if diff := cmp.Diff(tc.wantOps, e.ops, cmp.AllowUnexported(op{}), cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("%s: ops (-want +got):\n%s", name, diff)
				}
				if e.whole != tc.wantWhole {
					t.Errorf("%s: whole = %v, want %v", name, e.whole, tc.wantWhole)
				}
				if got, want := e.unchanged(), !tc.wantWhole && len(tc.wantOps) == 0; got != want {
					t.Errorf("%s: unchanged = %v, want %v", name, got, want)
				}
			}
		})
	}
}

// BenchmarkCompare reads an unchanged tree of 600 files in 200 folders,
// the size of one env of a 100-app fleet.
func BenchmarkCompare(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "dev")
	files := benchTree()
	if _, err := Write(bg, dir, files, false); err != nil {
		b.Fatal(err)
	}
	for name, compare := range map[string]func() (*earlier, error){
		"fd":   func() (*earlier, error) { return compare(bg, dir, files) },
		"root": func() (*earlier, error) { return compareRoot(bg, dir, files) },
	} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				e, err := compare()
				if err != nil || !e.unchanged() {
					b.Fatal("not unchanged", err)
				}
			}
		})
	}
}

// BenchmarkRewriteOneChanged writes a tree of 601 files in 201 folders
// over itself with one file changed: compare, stage and put the change.
func BenchmarkRewriteOneChanged(b *testing.B) {
	files := benchTree()
	other := maps.Clone(files)
	other["apps/app042/object0.yaml"] = []byte("kind: Object\nmetadata: {name: changed}\n")
	benchRewrite(b, files, other)
}

// benchRewrite writes files, then, alternately, other and files over it.
func benchRewrite(b *testing.B, files, other Files) {
	dir := filepath.Join(b.TempDir(), "dev")
	if _, err := Write(bg, dir, files, false); err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		i++
		next := files
		if i%2 == 1 {
			next = other
		}
		if _, err := Write(bg, dir, next, false); err != nil {
			b.Fatal(err)
		}
	}
}

// benchTree is one env of a 100-app fleet: 601 files in 201 folders.
func benchTree() Files {
	files := Files{MarkerFile: benchLock(100)}
	for i := range 100 {
		for j := range 5 {
			files[fmt.Sprintf("apps/app%03d/object%d.yaml", i, j)] = []byte(fmt.Sprintf("kind: Object\nmetadata: {name: app%03d-%d}\nspec: {replicas: 1}\n", i, j))
		}
		files[fmt.Sprintf("high-level/app%03d/values.yaml", i)] = []byte("replicas: 1\n")
	}
	return files
}

// benchLock is the lock of a tree of n apps named app000, app001, …: it
// names them, so that their folders are kiln's to replace.
func benchLock(n int) []byte {
	apps := make([]string, n)
	for i := range n {
		apps[i] = fmt.Sprintf("%q: {}", fmt.Sprintf("app%03d", i))
	}
	return []byte(`{"apps": {` + strings.Join(apps, ", ") + `}}`)
}

// BenchmarkRewriteOneFile writes a tree of 601 files in 303 folders, the
// size of one env of the benchmark fleet (render/clibench_test.go), over
// itself with one file changed, as a re-render after a change to one app
// does: compare, stage and put the change.
func BenchmarkRewriteOneFile(b *testing.B) {
	files := Files{MarkerFile: benchLock(100)}
	for i := range 100 {
		app := fmt.Sprintf("app%03d", i)
		for _, kind := range []string{"deployment", "service", "configmap"} {
			files["apps/"+app+"/"+kind+"_"+app+".yaml"] = []byte("kind: " + kind + "\nmetadata: {name: " + app + "}\nspec: {replicas: 1}\n")
		}
		files["apps/"+app+"/kustomization.yaml"] = []byte("resources: [deployment.yaml, service.yaml, configmap.yaml]\n")
		files["flux/"+app+".yaml"] = []byte("kind: Kustomization\nmetadata: {name: " + app + "}\n")
		files["high-level/"+app+"/base/values.yaml"] = []byte("replicas: 1\n")
	}
	other := maps.Clone(files)
	other["apps/app042/deployment_app042.yaml"] = []byte("kind: deployment\nmetadata: {name: app042}\nspec: {replicas: 2}\n")
	benchRewrite(b, files, other)
}

// BenchmarkWriteWhole stages a whole tree of 600 files in 200 folders, the
// size of one env of a 100-app fleet, into a new folder (a first render, or
// one whose earlier tree is gone): "fd" as Stage writes it (writeTree),
// "root" one file at a time through os.Root, as it used to.
func BenchmarkWriteWhole(b *testing.B) {
	files := benchTree()
	rels := SortedKeys(files)
	base := b.TempDir()
	n := 0
	for name, write := range map[string]func(dir string) error{
		"fd": func(dir string) error { return writeTree(bg, dir, files, rels, "") },
		"root": func(dir string) error {
			r, err := os.OpenRoot(dir)
			if err != nil {
				return err
			}
			defer r.Close()
			return writeAll(bg, r, files, rels, "")
		},
	} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				n++
				dir := filepath.Join(base, fmt.Sprint(n))
				if err := os.Mkdir(dir, 0o755); err != nil {
					b.Fatal(err)
				}
				if err := write(dir); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
