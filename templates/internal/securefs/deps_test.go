package securefs

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/deps"
)

// TestDeps: every method that looks at the repository records what it
// saw, so that a change that would change its answer changes a Dep. Each
// case asks once, applies a change, asks a new FS again, and checks that
// the answer changed and so did a Dep.
func TestDeps(t *testing.T) {
	t.Parallel()
	write := func(t *testing.T, root, rel, content string) {
		t.Helper()
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	relink := func(t *testing.T, root, rel, target string) {
		t.Helper()
		p := filepath.Join(root, rel)
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	remove := func(t *testing.T, root, rel string) {
		t.Helper()
		if err := os.RemoveAll(filepath.Join(root, rel)); err != nil {
			t.Fatal(err)
		}
	}
	show := func(v any, err error) string {
		if err != nil {
			return "error: " + err.Error()
		}
		return fmt.Sprint(v)
	}
	readFile := func(p string) func(f *FS) string {
		return func(f *FS) string { return show(f.ReadFile(p)) }
	}
	open := func(p string) func(f *FS) string {
		return func(f *FS) string {
			file, err := f.Open(p)
			if err != nil {
				return show(nil, err)
			}
			defer file.Close()
			var b strings.Builder
			buf := make([]byte, 64)
			n, _ := file.Read(buf)
			b.Write(buf[:n])
			return b.String()
		}
	}
	readDir := func(p string) func(f *FS) string {
		return func(f *FS) string {
			names, err := f.ReadDir(p)
			sort.Strings(names)
			return show(names, err)
		}
	}
	glob := func(p string) func(f *FS) string { return func(f *FS) string { return show(f.Glob(p)) } }
	walk := func(p string) func(f *FS) string {
		return func(f *FS) string {
			var seen []string
			err := f.Walk(p, func(p string, info os.FileInfo, err error) error {
				if err != nil {
					seen = append(seen, p+" error")
					return nil
				}
				seen = append(seen, fmt.Sprintf("%s %v", p, info.IsDir()))
				return nil
			})
			return show(seen, err)
		}
	}
	cleanedAbs := func(p string) func(f *FS) string {
		return func(f *FS) string {
			d, name, err := f.CleanedAbs(p)
			return show(string(d)+" "+name, err)
		}
	}
	for _, tc := range []struct {
		name   string
		ask    func(f *FS) string
		change func(t *testing.T, root string)
	}{
		{"ReadFile content", readFile("a.yaml"), func(t *testing.T, root string) { write(t, root, "a.yaml", "a: 2\n") }},
		{"ReadFile absent, then present", readFile("new.yaml"), func(t *testing.T, root string) { write(t, root, "new.yaml", "n: 1\n") }},
		{"ReadFile a folder, then a file", readFile("dir2"), func(t *testing.T, root string) {
			write(t, root, "dir2/x", "")
			remove(t, root, "dir2")
			write(t, root, "dir2", "d: 1\n")
		}},
		{"ReadFile through a link retargeted", readFile("link-in.yaml"), func(t *testing.T, root string) { relink(t, root, "link-in.yaml", "a.yaml") }},
		{"ReadFile through a link leading outside", readFile("link-in.yaml"), func(t *testing.T, root string) {
			relink(t, root, "link-in.yaml", "../outside/secret.yaml")
		}},
		{"ReadFile through a folder link retargeted", readFile("link-dir/b.yaml"), func(t *testing.T, root string) {
			write(t, root, "dir3/b.yaml", "b: 3\n")
			relink(t, root, "link-dir", "dir3")
		}},
		{"Open content", open("a.yaml"), func(t *testing.T, root string) { write(t, root, "a.yaml", "a: 2\n") }},
		{"Open absent, then present", open("new.yaml"), func(t *testing.T, root string) { write(t, root, "new.yaml", "n: 1\n") }},
		{"IsDir", func(f *FS) string { return fmt.Sprint(f.IsDir("dir")) }, func(t *testing.T, root string) {
			remove(t, root, "dir")
			write(t, root, "dir", "")
		}},
		{"IsDir of a link leading outside", func(f *FS) string { return fmt.Sprint(f.IsDir("link-dir")) }, func(t *testing.T, root string) {
			relink(t, root, "link-dir", "../outside")
		}},
		{"Exists", func(f *FS) string { return fmt.Sprint(f.Exists("new.yaml")) }, func(t *testing.T, root string) { write(t, root, "new.yaml", "") }},
		{"ReadDir entry added", readDir("dir"), func(t *testing.T, root string) { write(t, root, "dir/c.yaml", "") }},
		{"ReadDir absent, then present", readDir("new"), func(t *testing.T, root string) { write(t, root, "new/c.yaml", "") }},
		{"CleanedAbs file became a folder", cleanedAbs("dir/b.yaml"), func(t *testing.T, root string) {
			remove(t, root, "dir/b.yaml")
			write(t, root, "dir/b.yaml/x", "")
		}},
		{"Glob match added", glob("dir/*.yaml"), func(t *testing.T, root string) { write(t, root, "dir/c.yaml", "") }},
		{"Glob in a folder that appears", glob("new/*.yaml"), func(t *testing.T, root string) { write(t, root, "new/c.yaml", "") }},
		{"Glob over folders", glob("*/b.yaml"), func(t *testing.T, root string) { write(t, root, "other/b.yaml", "") }},
		{"Glob without meta characters", glob("new.yaml"), func(t *testing.T, root string) { write(t, root, "new.yaml", "") }},
		{"Walk entry added deep", walk("."), func(t *testing.T, root string) { write(t, root, "dir/sub/c.yaml", "") }},
		{"Walk file became a folder", walk("dir"), func(t *testing.T, root string) {
			remove(t, root, "dir/b.yaml")
			write(t, root, "dir/b.yaml/x", "")
		}},
		{"Walk of a file that became a folder", walk("a.yaml"), func(t *testing.T, root string) {
			remove(t, root, "a.yaml")
			write(t, root, "a.yaml/x", "")
		}},
		{"Walk link leads outside", walk("."), func(t *testing.T, root string) { relink(t, root, "link-in.yaml", "../outside/secret.yaml") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, _ := newTree(t)
			root := f.Root()
			before := tc.ask(f)
			ds, ok := f.Deps()
			if !ok {
				t.Fatal("Deps not complete")
			}
			tc.change(t, root)
			f2, err := New(root)
			if err != nil {
				t.Fatal(err)
			}
			if after := tc.ask(f2); after == before {
				t.Fatalf("the change does not change the answer %q; fix the test", before)
			}
			for _, d := range ds {
				if deps.Observe(root, d) != d.Sum {
					return
				}
			}
			t.Errorf("the answer changed, yet every Dep observes as recorded: %v", ds)
		})
	}
}

// TestDepsIncomplete: a lookup that fails for another reason than
// absence (a symlink loop) or a file refused for a bound is nothing a Dep
// can check again: Deps says the record is incomplete.
func TestDepsIncomplete(t *testing.T) {
	t.Parallel()
	f, _ := newTree(t)
	root := f.Root()
	if err := os.Symlink("loop", filepath.Join(root, "loop")); err != nil {
		t.Fatal(err)
	}
	if f.Exists("loop") {
		t.Fatal("a symlink loop exists")
	}
	if _, ok := f.Deps(); ok {
		t.Error("Deps complete after a symlink loop")
	}

	f, _ = newTree(t)
	// An alias bomb: 10^9 nodes once expanded.
	bomb := "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
	for i := 1; i < 10; i++ {
		bomb += fmt.Sprintf("a%d: &a%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", i-1), 10), ", "))
	}
	if err := os.WriteFile(filepath.Join(f.Root(), "bomb.yaml"), []byte(bomb), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := f.ReadFile("bomb.yaml"); err == nil {
		t.Fatal("an alias bomb was read")
	}
	if _, ok := f.Deps(); ok {
		t.Error("Deps complete after a file refused for a bound")
	}
}
