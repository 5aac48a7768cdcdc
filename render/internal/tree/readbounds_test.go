package tree

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/limits"
)

// TestReadIsBounded: a tree read back (an earlier render, promote
// --rendered, diff --against DIR) is bounded per file, in bytes together
// and in files, and a file past its bound is refused from its size, before
// it is read: a sparse file of a terabyte costs a stat.
func TestReadIsBounded(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, size int64) {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(size); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	write("kiln.lock.json", 10)
	write("apps/web/a.yaml", 10)
	if files, err := Read(dir); err != nil || len(files) != 2 {
		t.Fatalf("Read = %d files, %v", len(files), err)
	}

	// A sparse file far past the real bound: refused at once.
	write("apps/web/huge.yaml", 1<<40)
	_, err := Read(dir)
	var le *limits.Error
	if !errors.As(err, &le) || !strings.Contains(err.Error(), "huge.yaml") || !strings.Contains(err.Error(), limits.Bytes(limits.TreeFile)) {
		t.Errorf("a 1 TiB file: Read = %v, want the file bound naming it", err)
	}
	if err := os.Remove(filepath.Join(dir, "apps/web/huge.yaml")); err != nil {
		t.Fatal(err)
	}

	// The bounds together, lowered: files of 10 bytes each.
	saved := readBounds
	t.Cleanup(func() { readBounds = saved })
	readBounds.file, readBounds.size, readBounds.files = 100, 25, 1000
	write("apps/web/b.yaml", 10)
	if _, err := Read(dir); !errors.As(err, &le) || le.What != "size of its files together" || le.Input != dir {
		t.Errorf("30 bytes of 25: Read = %v, want the tree's size bound", err)
	}
	readBounds.size, readBounds.files = 1000, 2
	if _, err := Read(dir); !errors.As(err, &le) || le.What != "number of files" {
		t.Errorf("3 files of 2: Read = %v, want the file count bound", err)
	}
	readBounds.files = 3
	if files, err := Read(dir); err != nil || len(files) != 3 {
		t.Errorf("within the bounds: Read = %d files, %v", len(files), err)
	}
}
