// Package golden compares test output with golden files and, under the
// tests' -update flag, rewrites them. It is for tests only.
//
// Tree compares a whole output tree with a folder: it reports missing,
// extra and changed files, and under update rewrites changed files and
// deletes stale ones, so a golden folder never keeps files the code no
// longer writes.
package golden

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// File compares got with the file at path.
func File(t testing.TB, path string, got []byte, update bool) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Fatalf("golden file %s is missing; run the tests with -update to create it", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs from the golden file (run with -update to accept) (-want +got):\n%s", path, cmp.Diff(string(want), string(got)))
	}
}

// ReadTree reads the files below dir: slash path → content; a missing dir
// is an empty tree.
func ReadTree(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, os.ErrNotExist) && p == dir {
				return filepath.SkipAll
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		data, err := os.ReadFile(p)
		files[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// Tree compares got (slash path → content) with the folder dir.
func Tree(t testing.TB, dir string, got map[string][]byte, update bool) {
	t.Helper()
	want := ReadTree(t, dir)
	if update {
		for p := range want {
			if _, ok := got[p]; !ok {
				if err := os.Remove(filepath.Join(dir, filepath.FromSlash(p))); err != nil {
					t.Fatal(err)
				}
			}
		}
		for p, data := range got {
			File(t, filepath.Join(dir, filepath.FromSlash(p)), data, true)
		}
		removeEmptyDirs(dir)
		return
	}
	var names []string
	for p := range got {
		names = append(names, p)
	}
	for p := range want {
		if _, ok := got[p]; !ok {
			names = append(names, p)
		}
	}
	sort.Strings(names)
	for _, p := range names {
		w, inWant := want[p]
		g, inGot := got[p]
		switch {
		case !inWant:
			t.Errorf("%s: extra file %s (run with -update to accept)", dir, p)
		case !inGot:
			t.Errorf("%s: missing file %s (run with -update to accept)", dir, p)
		case !bytes.Equal(w, g):
			t.Errorf("%s: %s differs (run with -update to accept) (-want +got):\n%s", dir, p, cmp.Diff(string(w), string(g)))
		}
	}
}

func removeEmptyDirs(dir string) {
	var dirs []string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	for i := len(dirs) - 1; i >= 0; i-- {
		_ = os.Remove(dirs[i]) // fails, as it should, on non-empty folders
	}
}
