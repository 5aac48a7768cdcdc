package securefs

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/kiln-gitops/kiln/templates/internal/enginetest"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/internal/rootfs"
)

// newTree builds tmp/repo (the root) and tmp/outside, with symlinks from
// inside the repository to both places, and returns an FS on the root.
func newTree(t *testing.T) (*FS, string) {
	t.Helper()
	tmp := enginetest.TempDir(t)
	root := filepath.Join(tmp, "repo")
	files := map[string]string{
		"repo/a.yaml":           "a: 1\n",
		"repo/dir/b.yaml":       "b: 2\n",
		"repo/dir/.hidden.yaml": "h: 3\n",
		"outside/secret.yaml":   "password: hunter2\n",
	}
	for name, content := range files {
		p := filepath.Join(tmp, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"repo/link-in.yaml":  "dir/b.yaml",
		"repo/link-dir":      "dir",
		"repo/link-out.yaml": "../outside/secret.yaml",
		"repo/link-outdir":   "../outside",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(tmp, filepath.FromSlash(name))); err != nil {
			t.Fatal(err)
		}
	}
	f, err := New(root)
	if err != nil {
		t.Fatal(err)
	}
	return f, tmp
}

func TestNew(t *testing.T) {
	t.Parallel()
	tmp := enginetest.TempDir(t)
	if err := os.Symlink(tmp, filepath.Join(tmp, "link")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		root    string
		wantErr bool
	}{
		{name: "absolute", root: tmp},
		{name: "relative", root: "repo", wantErr: true},
		{name: "symlink", root: filepath.Join(tmp, "link"), wantErr: true},
		{name: "missing", root: filepath.Join(tmp, "missing"), wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(tc.root)
			if (err != nil) != tc.wantErr {
				t.Fatalf("New(%q) error = %v, want error: %v", tc.root, err, tc.wantErr)
			}
		})
	}
}

func TestReadFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		path        string // relative paths are joined to the root by the test when abs is set
		abs         bool
		want        string
		wantOutside bool
		wantRead    []string
	}{
		{name: "relative to root", path: "a.yaml", want: "a: 1\n", wantRead: []string{"a.yaml"}},
		{name: "absolute", path: "dir/b.yaml", abs: true, want: "b: 2\n", wantRead: []string{"dir/b.yaml"}},
		{name: "symlink inside records its target", path: "link-in.yaml", want: "b: 2\n", wantRead: []string{"dir/b.yaml"}},
		{name: "through symlinked dir", path: "link-dir/b.yaml", want: "b: 2\n", wantRead: []string{"dir/b.yaml"}},
		{name: "dotdot", path: "../outside/secret.yaml", wantOutside: true},
		{name: "dotdot absolute", path: "dir/../../outside/secret.yaml", abs: true, wantOutside: true},
		{name: "symlinked file outside", path: "link-out.yaml", wantOutside: true},
		{name: "symlinked dir outside", path: "link-outdir/secret.yaml", wantOutside: true},
		{name: "absolute outside", path: "/etc/hostname", wantOutside: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, _ := newTree(t)
			p := tc.path
			if tc.abs {
				p = filepath.Join(f.Root(), filepath.FromSlash(p))
			}
			got, err := f.ReadFile(p)
			var oe *rootfs.OutsideError
			if tc.wantOutside {
				if !errors.As(err, &oe) || !errors.Is(err, rootfs.ErrOutside) {
					t.Fatalf("ReadFile(%q) error = %v, want a *rootfs.OutsideError", p, err)
				}
				if got != nil {
					t.Errorf("ReadFile(%q) returned content %q with an error", p, got)
				}
				if len(f.Denied()) != 1 {
					t.Errorf("Denied() = %v, want one entry", f.Denied())
				}
			} else if err != nil {
				t.Fatalf("ReadFile(%q): %v", p, err)
			}
			if diff := cmp.Diff(tc.want, string(got)); diff != "" {
				t.Errorf("content (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantRead, f.Read(), cmpEmpty); diff != "" {
				t.Errorf("Read() (-want +got):\n%s", diff)
			}
		})
	}
}

var cmpEmpty = cmp.Comparer(func(a, b []string) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return cmp.Equal([]string(a), []string(b))
})

func TestOutsideErrorPathIsRepoRelative(t *testing.T) {
	t.Parallel()
	f, _ := newTree(t)
	_, err := f.ReadFile(filepath.Join(f.Root(), "link-out.yaml"))
	var oe *rootfs.OutsideError
	if !errors.As(err, &oe) {
		t.Fatalf("error = %v, want *rootfs.OutsideError", err)
	}
	want := &rootfs.OutsideError{Path: "link-out.yaml", Target: "../outside/secret.yaml"}
	if diff := cmp.Diff(want, oe); diff != "" {
		t.Errorf("OutsideError (-want +got):\n%s", diff)
	}
}

func TestOpen(t *testing.T) {
	t.Parallel()
	f, _ := newTree(t)
	file, err := f.Open("dir/b.yaml")
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(file)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("b: 2\n", string(data)); diff != "" {
		t.Errorf("content (-want +got):\n%s", diff)
	}
	if _, err := file.Write([]byte("x")); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Write error = %v, want ErrReadOnly", err)
	}
	if info, err := file.Stat(); err != nil || info.Name() != "b.yaml" {
		t.Errorf("Stat() = %v, %v", info, err)
	}
	if err := file.Close(); err != nil {
		t.Error(err)
	}
	if _, err := f.Open("link-out.yaml"); !errors.Is(err, rootfs.ErrOutside) {
		t.Errorf("Open(link-out.yaml) error = %v, want ErrOutside", err)
	}
	if diff := cmp.Diff([]string{"dir/b.yaml"}, f.Read()); diff != "" {
		t.Errorf("Read() (-want +got):\n%s", diff)
	}
}

func TestWritesRefused(t *testing.T) {
	t.Parallel()
	f, _ := newTree(t)
	p := filepath.Join(f.Root(), "new.yaml")
	ops := map[string]func() error{
		"Create":    func() error { _, err := f.Create(p); return err },
		"Mkdir":     func() error { return f.Mkdir(p) },
		"MkdirAll":  func() error { return f.MkdirAll(p) },
		"RemoveAll": func() error { return f.RemoveAll(filepath.Join(f.Root(), "a.yaml")) },
		"WriteFile": func() error { return f.WriteFile(p, []byte("x")) },
	}
	for name, op := range ops {
		if err := op(); !errors.Is(err, ErrReadOnly) {
			t.Errorf("%s error = %v, want ErrReadOnly", name, err)
		}
	}
	if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s exists after refused writes", p)
	}
	if _, err := os.Stat(filepath.Join(f.Root(), "a.yaml")); err != nil {
		t.Errorf("a.yaml was removed: %v", err)
	}
}

func TestQueries(t *testing.T) {
	t.Parallel()
	f, _ := newTree(t)
	tests := []struct {
		name       string
		path       string
		wantExists bool
		wantIsDir  bool
	}{
		{name: "file", path: "a.yaml", wantExists: true},
		{name: "dir", path: "dir", wantExists: true, wantIsDir: true},
		{name: "root", path: ".", wantExists: true, wantIsDir: true},
		{name: "symlinked dir inside", path: "link-dir", wantExists: true, wantIsDir: true},
		{name: "missing", path: "missing.yaml"},
		{name: "symlinked dir outside", path: "link-outdir"},
		{name: "parent", path: ".."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := f.Exists(tc.path); got != tc.wantExists {
				t.Errorf("Exists(%q) = %v, want %v", tc.path, got, tc.wantExists)
			}
			if got := f.IsDir(tc.path); got != tc.wantIsDir {
				t.Errorf("IsDir(%q) = %v, want %v", tc.path, got, tc.wantIsDir)
			}
		})
	}
}

func TestCleanedAbs(t *testing.T) {
	t.Parallel()
	f, _ := newTree(t)
	root := f.Root()
	tests := []struct {
		name        string
		path        string
		wantDir     string
		wantFile    string
		wantErr     bool
		wantOutside bool
	}{
		{name: "dir", path: "dir", wantDir: filepath.Join(root, "dir")},
		{name: "file", path: "dir/b.yaml", wantDir: filepath.Join(root, "dir"), wantFile: "b.yaml"},
		{name: "symlinked file resolves", path: "link-in.yaml", wantDir: filepath.Join(root, "dir"), wantFile: "b.yaml"},
		{name: "missing", path: "missing", wantErr: true},
		{name: "outside", path: "link-outdir", wantErr: true, wantOutside: true},
		{name: "parent", path: filepath.Join(root, ".."), wantErr: true, wantOutside: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, file, err := f.CleanedAbs(tc.path)
			if (err != nil) != tc.wantErr {
				t.Fatalf("CleanedAbs(%q) error = %v, want error %v", tc.path, err, tc.wantErr)
			}
			if got := errors.Is(err, rootfs.ErrOutside); got != tc.wantOutside {
				t.Errorf("CleanedAbs(%q) error = %v, outside = %v, want %v", tc.path, err, got, tc.wantOutside)
			}
			if diff := cmp.Diff(tc.wantDir, d.String()); diff != "" {
				t.Errorf("dir (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantFile, file); diff != "" {
				t.Errorf("file (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadDirGlobWalk(t *testing.T) {
	t.Parallel()
	f, _ := newTree(t)
	root := f.Root()

	names, err := f.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	want := []string{"a.yaml", "dir", "link-dir", "link-in.yaml", "link-out.yaml", "link-outdir"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("ReadDir (-want +got):\n%s", diff)
	}
	if _, err := f.ReadDir("link-outdir"); !errors.Is(err, rootfs.ErrOutside) {
		t.Errorf("ReadDir(link-outdir) error = %v, want ErrOutside", err)
	}

	got, err := f.Glob("*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want = []string{filepath.Join(root, "a.yaml"), filepath.Join(root, "link-in.yaml")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Glob (-want +got):\n%s", diff)
	}
	got, err = f.Glob("dir/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{filepath.Join(root, "dir", "b.yaml")}, got); diff != "" {
		t.Errorf("Glob hides dot files (-want +got):\n%s", diff)
	}

	// A pattern whose fixed part leads outside matches nothing, and
	// filepath.Glob is not run there: the refusal names the folder, not
	// a file found in it.
	for _, pattern := range []string{
		filepath.Join(filepath.Dir(root), "outside", "*.yaml"),
		"../outside/*.yaml",
		"link-outdir/*.yaml",
	} {
		g, err := New(root)
		if err != nil {
			t.Fatal(err)
		}
		got, err := g.Glob(pattern)
		if err != nil || len(got) != 0 {
			t.Errorf("Glob(%q) = %q, %v; want nothing", pattern, got, err)
		}
		var paths []string
		for _, d := range g.Denied() {
			paths = append(paths, d.Path)
		}
		want := "../outside"
		if strings.HasPrefix(pattern, "link") {
			want = "link-outdir"
		}
		if diff := cmp.Diff([]string{want}, paths); diff != "" {
			t.Errorf("Glob(%q) refused (-want +got):\n%s", pattern, diff)
		}
	}
	if _, err := f.Glob("dir/[.yaml"); err == nil {
		t.Error("Glob of a malformed pattern: no error")
	}

	var walked []string
	var walkErrs int
	err = f.Walk(".", func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			walkErrs++
			return nil
		}
		walked = append(walked, rootfs.Rel(root, p))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want = []string{".", "a.yaml", "dir", "dir/.hidden.yaml", "dir/b.yaml", "link-dir", "link-in.yaml"}
	if diff := cmp.Diff(want, walked); diff != "" {
		t.Errorf("Walk (-want +got):\n%s", diff)
	}
	if walkErrs != 2 {
		t.Errorf("Walk reported %d errors, want 2 (the two symlinks leading outside)", walkErrs)
	}
	if err := f.Walk("..", func(string, os.FileInfo, error) error { return nil }); !errors.Is(err, rootfs.ErrOutside) {
		t.Errorf("Walk(..) error = %v, want ErrOutside", err)
	}
}

func TestDigest(t *testing.T) {
	t.Parallel()
	f1, _ := newTree(t)
	f2, _ := newTree(t)
	empty := f1.Digest()
	for _, f := range []*FS{f1, f2} {
		if _, err := f.ReadFile("a.yaml"); err != nil {
			t.Fatal(err)
		}
	}
	if f1.Digest() != f2.Digest() {
		t.Errorf("same reads in two trees: digests %s and %s differ", f1.Digest(), f2.Digest())
	}
	if f1.Digest() == empty {
		t.Error("digest did not change after a read")
	}
	if err := os.WriteFile(filepath.Join(f2.Root(), "a.yaml"), []byte("a: 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := f2.ReadFile("a.yaml"); err != nil {
		t.Fatal(err)
	}
	if f1.Digest() == f2.Digest() {
		t.Error("different contents give the same digest")
	}
}

func TestConcurrentReads(t *testing.T) {
	t.Parallel()
	f, _ := newTree(t)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			paths := []string{"a.yaml", "dir/b.yaml", "link-out.yaml"}
			_, _ = f.ReadFile(paths[i%len(paths)])
			_ = f.Read()
			_ = f.Digest()
		}()
	}
	wg.Wait()
	if diff := cmp.Diff([]string{"a.yaml", "dir/b.yaml"}, f.Read()); diff != "" {
		t.Errorf("Read() (-want +got):\n%s", diff)
	}
}

// TestOneFSRefusesEveryEscape: an FS resolves each folder on the way to a
// path once (deps.Recorder's rootfs.Resolver), so what it remembers of one
// path must not let another through. One FS reads every path, inside and
// hostile (.., symlinks out of the root, relative and absolute, through a
// folder already seen), in both orders, and gets each answer
// rootfs.ReadFile gives: the content, or an *rootfs.OutsideError.
func TestOneFSRefusesEveryEscape(t *testing.T) {
	t.Parallel()
	_, tmp := newTree(t)
	for name, target := range map[string]string{
		"repo/link-abs":      filepath.Join(tmp, "outside"),
		"repo/link-abs.yaml": filepath.Join(tmp, "outside", "secret.yaml"),
		"repo/dir/up":        "..",
		"repo/dir/upup":      "../..",
		"repo/dir/chain":     "../link-outdir",
	} {
		if err := os.Symlink(target, filepath.Join(tmp, filepath.FromSlash(name))); err != nil {
			t.Fatal(err)
		}
	}
	root := filepath.Join(tmp, "repo")
	paths := []string{
		"a.yaml", "dir/b.yaml", "link-in.yaml", "link-dir/b.yaml", "dir/up/a.yaml", "dir/up/dir/b.yaml", "link-dir/up/a.yaml",
		"../outside/secret.yaml", "dir/../../outside/secret.yaml", "link-out.yaml", "link-outdir/secret.yaml",
		"link-abs/secret.yaml", "link-abs.yaml", "dir/upup/outside/secret.yaml", "link-dir/upup/outside/secret.yaml",
		"dir/chain/secret.yaml", "link-dir/up/link-out.yaml", "dir/up/link-outdir/secret.yaml", "/etc/hostname",
		filepath.Join(tmp, "outside", "secret.yaml"), filepath.Join(root, "dir", "up", "link-abs", "secret.yaml"),
	}
	type answer struct {
		content string
		outside bool
	}
	read := func(f *FS, p string) answer {
		data, err := f.ReadFile(p)
		if err != nil && !errors.Is(err, rootfs.ErrOutside) {
			t.Fatalf("ReadFile(%q): %v", p, err)
		}
		return answer{string(data), errors.Is(err, rootfs.ErrOutside)}
	}
	want := map[string]answer{}
	outsides := 0
	for _, p := range paths {
		// rootfs.ReadFile resolves every component afresh.
		data, err := rootfs.ReadFile(root, p)
		if err != nil && !errors.Is(err, rootfs.ErrOutside) {
			t.Fatalf("rootfs.ReadFile(%q): %v", p, err)
		}
		want[p] = answer{string(data), errors.Is(err, rootfs.ErrOutside)}
		if want[p].outside {
			outsides++
		} else if want[p].content == "" {
			t.Fatalf("ReadFile(%q) read nothing", p)
		}
	}
	if outsides < len(paths)/2 {
		t.Fatalf("only %d of %d paths lead outside", outsides, len(paths))
	}
	reversed := slices.Clone(paths)
	slices.Reverse(reversed)
	for _, order := range [][]string{paths, reversed} {
		f, err := New(root)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range order {
			if got := read(f, p); got != want[p] {
				t.Errorf("one FS for every path: ReadFile(%q) = %+v, rootfs.ReadFile gives %+v", p, got, want[p])
			}
			// The folder kustomize asks about: the same answer too.
			if _, _, err := f.CleanedAbs(p); errors.Is(err, rootfs.ErrOutside) != want[p].outside {
				t.Errorf("one FS for every path: CleanedAbs(%q) = %v, want outside %t", p, err, want[p].outside)
			}
		}
	}
}

// TestOpenedNamesTheLink: Read names a file read through a symlink by its
// target, as the render cache keys it; Opened names the link too, as the
// build asked for it: a kustomize app's high-level/ copy of an overlay
// whose kustomization lists monitor.yaml, a link, held only the target's
// name, and the copied kustomization listed a file the copy lacked.
func TestOpenedNamesTheLink(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		path       string
		read, open []string
	}{
		{"a.yaml", []string{"a.yaml"}, []string{"a.yaml"}},
		{"link-in.yaml", []string{"dir/b.yaml"}, []string{"dir/b.yaml", "link-in.yaml"}},
		{"link-dir/b.yaml", []string{"dir/b.yaml"}, []string{"dir/b.yaml", "link-dir/b.yaml"}},
		{"dir/../link-in.yaml", []string{"dir/b.yaml"}, []string{"dir/b.yaml", "link-in.yaml"}},
		{"link-out.yaml", nil, nil},
		// Only a case apart from its target: one copy.
		{"dir/B.yaml", []string{"dir/b.yaml"}, []string{"dir/b.yaml"}},
	} {
		f, _ := newTree(t)
		if err := os.Symlink("b.yaml", filepath.Join(f.Root(), "dir", "B.yaml")); err != nil {
			t.Fatal(err)
		}
		_, _ = f.ReadFile(tc.path)
		if file, err := f.Open(filepath.Join(f.Root(), tc.path)); err == nil {
			file.Close()
		}
		if diff := cmp.Diff(tc.read, f.Read(), cmpEmpty); diff != "" {
			t.Errorf("%s: Read() (-want +got):\n%s", tc.path, diff)
		}
		if diff := cmp.Diff(tc.open, f.Opened(), cmpEmpty); diff != "" {
			t.Errorf("%s: Opened() (-want +got):\n%s", tc.path, diff)
		}
	}
}
