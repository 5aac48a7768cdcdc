package rootfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestResolverAgreesWithResolve: the Resolver's memory of folders changes
// no answer. Every path of a tree with each kind of symlink (to a folder,
// to a file, through .., out of the root, to nothing, in a loop, in a
// chain) and each kind of missing or impossible path gets Resolve's answer,
// whichever paths the Resolver saw before.
func TestResolverAgreesWithResolve(t *testing.T) {
	root, outside := realTempDir(t), realTempDir(t)
	for _, f := range []string{"chart/Chart.yaml", "chart/templates/a.yaml", "lib/k.libsonnet", "lib/sub/x.yaml"} {
		p := filepath.Join(root, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{
		"tolib":                "lib",
		"tofile":               "lib/k.libsonnet",
		"chart/up":             "../lib",
		"chart/templates/deep": "../../lib/sub",
		"out":                  outside,
		"outrel":               "../" + filepath.Base(outside),
		"dangling":             "nothing/here",
		"danglingout":          "../" + filepath.Base(outside) + "/missing",
		"danglingabs":          filepath.Join(outside, "missing"),
		"danglingin":           "lib/missing",
		"danglingchain":        "danglingout",
		"danglingdotdot":       "out/../missing",
		"danglingvoid":         "void/../lib/missing",
		"loop1":                "loop2",
		"loop2":                "loop1",
		"chain":                "tolib",
		"lib/sub/back":         "../../chart",
		"self":                 ".",
	}
	for l, target := range links {
		if err := os.Symlink(target, filepath.Join(root, l)); err != nil {
			t.Fatal(err)
		}
	}
	var paths []string
	for _, base := range []string{"", "chart", "chart/templates", "lib", "lib/sub", "tolib", "tofile", "chart/up", "chart/templates/deep",
		"out", "outrel", "dangling", "danglingout", "danglingabs", "danglingin", "danglingchain", "danglingdotdot", "danglingvoid", "loop1", "chain", "lib/sub/back", "self", "self/self/tolib", "missing", "missing/deeper", "lib/k.libsonnet"} {
		for _, rest := range []string{"", "k.libsonnet", "x.yaml", "sub/x.yaml", "templates/a.yaml", "Chart.yaml", "secret", "missing", "missing/more", "..", "../..", "../chart/Chart.yaml", "back/Chart.yaml"} {
			paths = append(paths, filepath.ToSlash(filepath.Join(base, rest)))
		}
	}
	paths = append(paths, root, filepath.Join(root, "lib"), outside, filepath.Join(outside, "secret"), "/", "../x", "a/../../x")

	type answer struct {
		real              string
		ok, out, notExist bool
	}
	want := func(p string) answer {
		real, err := Resolve(root, p)
		return answer{real, err == nil, errors.Is(err, ErrOutside), errors.Is(err, fs.ErrNotExist)}
	}
	got := func(r *Resolver, p string) answer {
		real, err := r.Resolve(p)
		a := answer{real, err == nil, errors.Is(err, ErrOutside), errors.Is(err, fs.ErrNotExist)}
		// RealPath shares the Resolver's memory and must agree with
		// RealPath too, for the same path made absolute.
		abs := p
		if !filepath.IsAbs(abs) {
			abs = filepath.Join(root, p)
		}
		wantReal, wantErr := RealPath(abs)
		if gotReal, gotErr := r.RealPath(abs); gotReal != wantReal || (gotErr == nil) != (wantErr == nil) {
			t.Errorf("RealPath(%q) = %q, %v; the Resolver's = %q, %v", abs, wantReal, wantErr, gotReal, gotErr)
		}
		// Stat of what Resolve returned is os.Stat's, remembered or not.
		if err == nil {
			wfi, werr := os.Stat(real)
			gfi, gerr := r.Stat(real)
			if (werr == nil) != (gerr == nil) || errors.Is(werr, fs.ErrNotExist) != errors.Is(gerr, fs.ErrNotExist) ||
				(werr == nil && (wfi.Mode() != gfi.Mode() || wfi.Size() != gfi.Size())) {
				t.Errorf("Stat(%q) = %v, %v; os.Stat says %v, %v", real, gfi, gerr, wfi, werr)
			}
		}
		return a
	}
	outsides, errs := 0, 0
	for _, p := range paths {
		w := want(p)
		if w.out {
			outsides++
		} else if !w.ok {
			errs++
		}
		if g := got(NewResolver(root), p); g != w {
			t.Errorf("fresh Resolver: %q = %+v, Resolve says %+v", p, g, w)
		}
	}
	if outsides == 0 || errs == 0 {
		t.Fatalf("the tree tests too little: %d paths lead outside, %d fail otherwise", outsides, errs)
	}
	// One Resolver for all the paths, in both orders: what it remembers
	// of one path must not change another's answer.
	reversed := slices.Clone(paths)
	slices.Reverse(reversed)
	for _, order := range [][]string{paths, reversed} {
		r := NewResolver(root)
		for _, p := range order {
			if g, w := got(r, p), want(p); g != w {
				t.Errorf("shared Resolver: %q = %+v, Resolve says %+v", p, g, w)
			}
		}
	}
}

// TestOutsideErrorFromRoot: where a path leads outside is said from the
// repository's top, as kiln's messages give every path, not as the
// machine's checkout folder; an absolute path the user wrote stays theirs.
func TestOutsideErrorFromRoot(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	root := filepath.Join(tmp, "repo")
	for _, dir := range []string{root, filepath.Join(tmp, "elsewhere")} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(tmp, "elsewhere", "x.yaml"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(tmp, "elsewhere", "x.yaml"), filepath.Join(root, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		want OutsideError
	}{
		{"link.yaml", OutsideError{Path: "link.yaml", Target: "../elsewhere/x.yaml"}},
		{filepath.Join(root, "link.yaml"), OutsideError{Path: "link.yaml", Target: "../elsewhere/x.yaml"}},
		{"../secret.yaml", OutsideError{Path: "../secret.yaml", Target: "../secret.yaml"}},
		{"/etc/passwd", OutsideError{Path: "/etc/passwd", Target: "/etc/passwd"}},
	} {
		for name, resolve := range map[string]func(string) (string, error){
			"Resolve":  func(p string) (string, error) { return Resolve(root, p) },
			"Resolver": NewResolver(root).Resolve,
		} {
			_, err := resolve(tc.path)
			var oe *OutsideError
			if !errors.As(err, &oe) || *oe != tc.want {
				t.Errorf("%s(%q) error = %#v, want %#v", name, tc.path, err, tc.want)
			}
			if strings.Contains(fmt.Sprint(err), tmp) && !filepath.IsAbs(tc.want.Path) {
				t.Errorf("%s(%q) error %q names the machine's folder %s", name, tc.path, err, tmp)
			}
		}
	}
}

// A symlink to a missing file leads where that file would be: outside the
// root it is an OutsideError now, as it will be once the file exists,
// not a missing file inside (the engines said "not found" of the link and
// the user who then made its target was refused). Inside, it is the
// caller's own not-found error at the target.
func TestDanglingSymlinkLeadsToItsTarget(t *testing.T) {
	t.Parallel()
	root, outside := realTempDir(t), realTempDir(t)
	if err := os.Mkdir(filepath.Join(root, "lib"), 0o755); err != nil {
		t.Fatal(err)
	}
	for l, target := range map[string]string{
		"rel":    "../" + filepath.Base(outside) + "/values.yaml",
		"abs":    filepath.Join(outside, "values.yaml"),
		"chain":  "rel",
		"in":     "lib/values.yaml",
		"lib/up": "../lib/values.yaml",
		"loopa":  "loopb/x",
		"loopb":  "loopa/x",
	} {
		if err := os.Symlink(target, filepath.Join(root, l)); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"rel", "abs", "chain"} {
		for _, r := range []func(string) (string, error){
			func(p string) (string, error) { return Resolve(root, p) },
			NewResolver(root).Resolve,
		} {
			real, err := r(p)
			var oe *OutsideError
			if !errors.As(err, &oe) || oe.Path != p {
				t.Errorf("Resolve(%q) = %q, %v; want an OutsideError of %s", p, real, err, p)
			}
		}
	}
	if real, err := Resolve(root, "in"); err != nil || real != filepath.Join(root, "lib", "values.yaml") {
		t.Errorf("Resolve(in) = %q, %v; want lib/values.yaml inside", real, err)
	}
	if real, err := Resolve(root, "lib/up"); err != nil || real != filepath.Join(root, "lib", "values.yaml") {
		t.Errorf("Resolve(lib/up) = %q, %v; want lib/values.yaml inside", real, err)
	}
	if _, err := Resolve(root, "loopa"); err == nil {
		t.Errorf("Resolve(loopa) of a loop of dangling links gave no error")
	}
}

// realTempDir is a new temporary folder by its symlink-free path, as
// Resolve's root must be.
func realTempDir(t *testing.T) string {
	t.Helper()
	d, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// A ".." in a dangling link's target steps up from where the name before
// it really leads, as the kernel walks it: "a/../x" with a a link out of
// the root leads out, not to the root's own x (which kiln then read in
// the link's place).
func TestDanglingSymlinkDotDotAfterLink(t *testing.T) {
	t.Parallel()
	root, outside := realTempDir(t), realTempDir(t)
	if err := os.Mkdir(filepath.Join(outside, "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "x"), []byte("inside"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "dir"), filepath.Join(root, "a")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("a/../x", filepath.Join(root, "L")); err != nil {
		t.Fatal(err)
	}
	for _, r := range []func(string) (string, error){
		func(p string) (string, error) { return Resolve(root, p) },
		NewResolver(root).Resolve,
	} {
		real, err := r("L")
		var oe *OutsideError
		if !errors.As(err, &oe) || oe.Target != "../"+filepath.Base(outside)+"/x" {
			t.Errorf("Resolve(L) = %q, %v; want an OutsideError to %s/x", real, err, outside)
		}
	}
}

// Dangling links that each name the one before twice make a walk of 2^n
// links if each chain is bounded on its own: all the links one Resolve
// follows are bounded together, so it ends at once.
func TestDanglingSymlinksBoundedTogether(t *testing.T) {
	t.Parallel()
	root := realTempDir(t)
	if err := os.Symlink("x/..", filepath.Join(root, "l0")); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 30; i++ {
		if err := os.Symlink(fmt.Sprintf("l%d/l%d", i-1, i-1), filepath.Join(root, fmt.Sprintf("l%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan error, 1)
	go func() {
		_, err := Resolve(root, "l30/values.yaml")
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Errorf("Resolve(l30/values.yaml) followed 2^30 links without error")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Resolve(l30/values.yaml) still walking after 10s")
	}
}

// TestReadings: a ".." after a symlink is the one thing that makes a
// path's lexical and kernel readings differ; a symlink alone, a ".."
// before it and a missing rest do not.
func TestReadings(t *testing.T) {
	t.Parallel()
	dir := realTempDir(t)
	if err := os.MkdirAll(filepath.Join(dir, "real", "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "real", "sub"), filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ p, lexical, kernel string }{
		{"link/../out", "out", "real/out"},
		{"link/../../out", "../out", "out"},
		{"link/new/../out", "real/sub/out", "real/sub/out"}, // new is missing: made as a folder, not a link
		{"link/out", "real/sub/out", "real/sub/out"},
		{"real/../link/x", "real/sub/x", "real/sub/x"},
	} {
		lexical, kernel, err := Readings(dir + string(filepath.Separator) + tc.p)
		if err != nil {
			t.Fatalf("Readings(%s): %v", tc.p, err)
		}
		if want := filepath.Join(dir, tc.lexical); lexical != want {
			t.Errorf("Readings(%s) lexical = %s, want %s", tc.p, lexical, want)
		}
		if want := filepath.Join(dir, tc.kernel); kernel != want {
			t.Errorf("Readings(%s) kernel = %s, want %s", tc.p, kernel, want)
		}
	}
	// From a working folder entered through link (a shell's $PWD), a
	// relative ".." steps up from where link leads, in both readings.
	lexical, kernel, err := readingsFrom(filepath.Join(dir, "link"), "../out")
	if want := filepath.Join(dir, "real", "out"); err != nil || lexical != want || kernel != want {
		t.Errorf("../out from link = %s, %s, %v; want %s both", lexical, kernel, err, want)
	}
}
