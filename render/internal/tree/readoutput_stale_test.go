//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package tree

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// staleRoot is an output root whose lock file a killed render left, naming
// it (pid 999999 here, long gone): nobody holds it.
func staleRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	if _, err := Write(context.Background(), filepath.Join(root, "dev"), Files{MarkerFile: []byte("{}\n")}, false); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	if err := os.WriteFile(filepath.Join(root, LockFile), holder{pid: 999999, host: host, start: "2026-01-01T00:00:00Z"}.encode(), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// TestRenderBesideAReaderOfAStaleLock: a kiln promote --rendered reading
// a root whose lock file a killed render left holds that file shared; a
// render starting meanwhile is not refused at once naming the killed
// render as the one writing (its name is still in the file): it waits for
// the reader as for any, and names a reader if one stays.
func TestRenderBesideAReaderOfAStaleLock(t *testing.T) {
	t.Parallel()
	t.Run("the reader leaves", func(t *testing.T) {
		t.Parallel()
		root := staleRoot(t)
		r, err := acquireShared(filepath.Join(root, LockFile))
		if err != nil || r == nil {
			t.Fatalf("reader: %v, %v", r, err)
		}
		go func() {
			time.Sleep(5 * retryWait)
			r.releaseShared()
		}()
		w, err := Open(root)
		if err != nil {
			t.Fatalf("a render while a reader read a moment: %v", err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("the reader stays", func(t *testing.T) {
		t.Parallel()
		root := staleRoot(t)
		r, err := acquireShared(filepath.Join(root, LockFile))
		if err != nil || r == nil {
			t.Fatalf("reader: %v, %v", r, err)
		}
		defer r.releaseShared()
		_, err = Open(root)
		var le *LockedError
		if !errors.As(err, &le) || strings.Contains(err.Error(), "999999") || !strings.Contains(err.Error(), "kiln promote --rendered") || !strings.Contains(err.Error(), "is reading this output folder") {
			t.Fatalf("a render while a reader reads = %v, want a LockedError naming a reader, not the killed render", err)
		}
	})
}

// TestReadersOfAStaleLockTogether: the last reader leaving a lock file a
// killed render left does not lock it exclusively (it removes only an
// empty one): a reader starting in that instant is not refused naming
// the killed render as writing. Two promotions of a matrix reading one
// DIR met it.
func TestReadersOfAStaleLockTogether(t *testing.T) {
	t.Parallel()
	root := staleRoot(t)
	path := filepath.Join(root, LockFile)
	for range 3000 {
		a, err := acquireShared(path)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error)
		go func() {
			b, err := acquireShared(path)
			if err == nil {
				b.releaseShared()
			}
			done <- err
		}()
		a.releaseShared()
		if err := <-done; err != nil {
			t.Fatalf("a reader beside one leaving: %v", err)
		}
	}
}
