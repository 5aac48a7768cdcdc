package tree

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/kiln-gitops/kiln/internal/testenv"
)

// TestReadOutputReadOnly: a read-only output root (a downloaded CI
// artifact) is read: without a lock file, no writer is in it, and the
// reader cannot make one; with one, the reader locks it read-only, and a
// writer still holding it is refused.
func TestReadOutputReadOnly(t *testing.T) {
	t.Parallel()
	t.Run("no lock file", func(t *testing.T) {
		root := t.TempDir()
		if _, err := Write(context.Background(), filepath.Join(root, "dev"), Files{MarkerFile: []byte("{}\n")}, false); err != nil {
			t.Fatal(err)
		}
		testenv.ReadOnly(t, root)
		if err := os.WriteFile(filepath.Join(root, "probe"), nil, 0o644); err == nil {
			t.Fatal("the root is still writable")
		}
		if files, err := ReadOutput(root, "dev"); err != nil || len(files) != 1 {
			t.Fatalf("ReadOutput of a read-only root = %v, %v", files, err)
		}
	})
	t.Run("a writer's lock file", func(t *testing.T) {
		root := t.TempDir()
		if _, err := Write(context.Background(), filepath.Join(root, "dev"), Files{MarkerFile: []byte("{}\n")}, false); err != nil {
			t.Fatal(err)
		}
		w, err := Open(root)
		if err != nil {
			t.Fatal(err)
		}
		testenv.ReadOnly(t, root)
		var le *LockedError
		if _, err := ReadOutput(root, "dev"); !errors.As(err, &le) {
			t.Errorf("ReadOutput while a writer holds a read-only root = %v, want a LockedError", err)
		}
		w.lock.drop() // the writer is gone, its file stays: nothing holds it
		w.lock = nil
		w.Close()
		if files, err := ReadOutput(root, "dev"); err != nil || len(files) != 1 {
			t.Errorf("ReadOutput once the writer left = %v, %v", files, err)
		}
	})
}
