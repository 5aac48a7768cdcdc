//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package tree

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadOutputTakesTheLock: a reader of an output root (kiln promote
// --rendered) holds its lock shared while it reads. A writer holding it
// is refused naming the writer, rather than read half written; readers
// do not keep each other out, but do keep a writer out; the lock file is
// no part of the tree read, and the last reader removes the one it made.
func TestReadOutputTakesTheLock(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	if _, err := Write(context.Background(), filepath.Join(root, "dev"), Files{MarkerFile: []byte("{}\n"), "apps/a.yaml": []byte("a\n")}, false); err != nil {
		t.Fatal(err)
	}
	w, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	_, err = ReadOutput(root, "dev")
	var le *LockedError
	if !errors.As(err, &le) || !le.Reading {
		t.Fatalf("ReadOutput while a writer holds the root = %v, want a LockedError", err)
	}
	for _, want := range []string{fmt.Sprintf("pid %d", os.Getpid()), filepath.Join(root, LockFile), "wait for that kiln render to finish"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not say %q", err, want)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	files, err := ReadOutput(root, "dev")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 || files["apps/a.yaml"] == nil {
		t.Errorf("ReadOutput = %v, want the tree's two files", files)
	}
	if _, err := os.Lstat(filepath.Join(root, LockFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the reader left its lock file: %v", err)
	}

	// Two readers at once, and a writer meanwhile.
	a, err := acquireShared(filepath.Join(root, LockFile))
	if err != nil || a == nil {
		t.Fatalf("first reader: %v, %v", a, err)
	}
	b, err := acquireShared(filepath.Join(root, LockFile))
	if err != nil || b == nil {
		t.Fatalf("second reader beside the first: %v, %v", b, err)
	}
	if _, err := Open(root); !errors.As(err, &le) || le.Reading {
		t.Errorf("a writer while readers read = %v, want a LockedError", err)
	}
	a.releaseShared()
	b.releaseShared()
	if _, err := os.Lstat(filepath.Join(root, LockFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the readers left their lock file: %v", err)
	}
	w, err = Open(root)
	if err != nil {
		t.Fatalf("a writer once the readers left: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	if _, err := ReadOutput(filepath.Join(root, "missing"), "dev"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadOutput of a missing root = %v, want not exist", err)
	}
	if _, err := os.Lstat(filepath.Join(root, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadOutput created the missing root: %v", err)
	}
}

// TestReadNamedCreatesNothing: kiln diff --against DIR reads a folder the
// user named, perhaps a checkout of the manifests repository, where a
// lock file a killed reader left would be a file nobody wrote: it makes
// none. A render holding the folder is still refused, and one that
// changes the folder during the read (here: any change of root) makes
// the read an error rather than half one tree and half another.
func TestReadNamedCreatesNothing(t *testing.T) {
	root := t.TempDir()
	if _, err := Write(context.Background(), filepath.Join(root, "dev"), Files{MarkerFile: []byte("{}\n"), "apps/a.yaml": []byte("a\n")}, false); err != nil {
		t.Fatal(err)
	}
	entries := func() []string {
		des, err := os.ReadDir(root)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, de := range des {
			names = append(names, de.Name())
		}
		return names
	}
	before := entries()
	var seen []string
	afterNamedRead = func(string) { seen = entries() }
	files, err := ReadNamed(root, "dev")
	if err != nil || len(files) != 2 {
		t.Fatalf("ReadNamed = %v, %v; want the tree's two files", files, err)
	}
	if fmt.Sprint(seen) != fmt.Sprint(before) || fmt.Sprint(entries()) != fmt.Sprint(before) {
		t.Errorf("root held %v during the read and %v after, want %v throughout", seen, entries(), before)
	}

	w, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	var le *LockedError
	if _, err := ReadNamed(root, "dev"); !errors.As(err, &le) || !le.Reading {
		t.Errorf("ReadNamed while a render holds the folder = %v, want a LockedError", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	afterNamedRead = func(root string) {
		if err := os.WriteFile(filepath.Join(root, ".dev.journal"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { afterNamedRead = func(string) {} })
	_, err = ReadNamed(root, "dev")
	if err == nil || !strings.Contains(err.Error(), "the folder changed while kiln read dev") {
		t.Errorf("ReadNamed of a folder changed during the read = %v, want an error saying so", err)
	}
}
