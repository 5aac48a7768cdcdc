//go:build unix

package cache

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestGetRefusesWhatIsNoEntryFile: a folder, a FIFO or a symlink to a
// folder where an entry's file should be is a corrupt entry, and the FIFO
// does not block the read (readEntry opens without waiting for a writer).
// A missing entry is none, and a symlink even to a good entry's file is
// corrupt too.
func TestGetRefusesWhatIsNoEntryFile(t *testing.T) {
	s, key, p := storeWithEntry(t)
	good, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	elsewhere := filepath.Join(t.TempDir(), "entry")
	if err := os.WriteFile(elsewhere, good, 0o600); err != nil {
		t.Fatal(err)
	}
	for name, mk := range map[string]func() error{
		"a folder":              func() error { return os.Mkdir(p, 0o700) },
		"a symlink to a folder": func() error { return os.Symlink(t.TempDir(), p) },
		"a FIFO":                func() error { return syscall.Mkfifo(p, 0o600) },
	} {
		if err := os.RemoveAll(p); err != nil {
			t.Fatal(err)
		}
		if err := mk(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		done := make(chan error, 1)
		go func() {
			e, err := s.Get(key)
			if e != nil {
				err = errors.New("an entry")
			}
			done <- err
		}()
		select {
		case err := <-done:
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("%s: Get = %v; want ErrCorrupt", name, err)
			}
		case <-time.After(time.Minute):
			t.Fatalf("%s: Get blocked", name)
		}
	}

	if err := os.RemoveAll(p); err != nil {
		t.Fatal(err)
	}
	if e, err := s.Get(key); e != nil || err != nil {
		t.Errorf("no file: Get = %v, %v", e, err)
	}
	if err := os.Symlink(elsewhere, p); err != nil {
		t.Fatal(err)
	}
	if e, err := s.Get(key); e != nil || !errors.Is(err, ErrCorrupt) {
		t.Errorf("a symlink to the entry's file: Get = %v, %v; want ErrCorrupt (TestSymlinkedEntryIsRefused)", e, err)
	}
}

// TestPutReplacesAFIFO: Get finds a FIFO where an entry should be corrupt
// without blocking, and the caller renders and Puts the entry. Put's
// comparison with the file there must not block on the FIFO's open (a
// restored cache may hold one; with no writer, kiln would hang): it
// replaces the FIFO with the entry.
func TestPutReplacesAFIFO(t *testing.T) {
	s, err := Open(t.TempDir(), "build-1")
	if err != nil {
		t.Fatal(err)
	}
	key := "00aa11"
	p := s.path(key)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Put(key, testEntry()) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Put = %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("Put blocked on a FIFO where the entry should be")
	}
	if e, err := s.Get(key); e == nil || err != nil {
		t.Errorf("after Put: Get = %v, %v", e, err)
	}
}

// TestSymlinkedEntryIsRefused: a symlink where an entry was (a restored
// cache, another user's folder) is corrupt, not read: Get followed it,
// trusted what it found and touched the target's time, and Put, finding
// the same bytes through it, left it in place. Put replaces the link and
// leaves its target alone.
func TestSymlinkedEntryIsRefused(t *testing.T) {
	s, key, p := storeWithEntry(t)
	outside := filepath.Join(t.TempDir(), "entry")
	if err := os.Rename(p, outside); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-30 * 24 * time.Hour).Truncate(time.Second)
	if err := os.Chtimes(outside, old, old); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, p); err != nil {
		t.Fatal(err)
	}
	if e, err := s.Get(key); e != nil || !errors.Is(err, ErrCorrupt) {
		t.Errorf("Get through a symlink = %v, %v; want ErrCorrupt", e, err)
	}
	if err := s.Put(key, testEntry()); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(p); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("after Put the entry is %v, %v; want a regular file", fi, err)
	}
	if e, err := s.Get(key); e == nil || err != nil {
		t.Errorf("after Put: Get = %v, %v", e, err)
	}
	if fi, err := os.Stat(outside); err != nil || !fi.ModTime().Equal(old) {
		t.Errorf("the link's target: %v, %v; want it untouched, dated %v", fi, err, old)
	}
}

// storeWithEntry opens a store in a new folder and puts testEntry under a
// key; it returns the store, the key and the entry's file.
func storeWithEntry(t *testing.T) (*Store, string, string) {
	t.Helper()
	s, err := Open(t.TempDir(), "build-1")
	if err != nil {
		t.Fatal(err)
	}
	key := "00aa11"
	if err := s.Put(key, testEntry()); err != nil {
		t.Fatal(err)
	}
	return s, key, s.path(key)
}

// TestSymlinkedFolderIsNotRead: an entry folder that is a symlink (a
// restored cache archive may hold one) is refused by Get as Put refuses
// it. Get read through it, trusted the entry it found outside the cache
// folder and dated it on the hit, and Put, finding the same bytes there,
// dated it too; an entry that Put can never replace must not be read.
func TestSymlinkedFolderIsNotRead(t *testing.T) {
	s, key, p := storeWithEntry(t)
	folder := filepath.Dir(p)
	outside := filepath.Join(t.TempDir(), "moved")
	if err := os.Rename(folder, outside); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-30 * 24 * time.Hour).Truncate(time.Second)
	if err := os.Chtimes(filepath.Join(outside, key), old, old); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, folder); err != nil {
		t.Fatal(err)
	}
	// The next run's store, which finds the archive as restored.
	next, err := Open(filepath.Dir(s.Dir()), "build-1")
	if err != nil {
		t.Fatal(err)
	}
	if e, err := next.Get(key); e != nil || !errors.Is(err, ErrCorrupt) {
		t.Errorf("Get through a symlinked folder = %v, %v; want ErrCorrupt", e, err)
	}
	if err := next.Put(key, testEntry()); err == nil {
		t.Error("Put of the entry the symlinked folder leads to succeeded; want it refused")
	}
	if fi, err := os.Stat(filepath.Join(outside, key)); err != nil || !fi.ModTime().Equal(old) {
		t.Errorf("the entry where the folder leads: %v, %v; want it untouched, dated %v", fi, err, old)
	}
}
