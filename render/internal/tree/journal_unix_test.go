//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package tree

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// TestJournalThatIsNoFile: a FIFO, or a symlink, where an env's journal
// goes is no journal kiln wrote (kiln writes a file). Opening the output
// root neither blocks on it nor reads through it (a link may lead to a
// FIFO or a device without end), removes nothing, and says what to remove.
func TestJournalThatIsNoFile(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		make func(t *testing.T, path string)
		want string
	}{
		{name: "fifo", want: "is a named pipe (FIFO)", make: func(t *testing.T, path string) {
			must(t, unix.Mkfifo(path, 0o644))
		}},
		{name: "symlink to a fifo", want: "is a symlink", make: func(t *testing.T, path string) {
			fifo := filepath.Join(t.TempDir(), "fifo")
			must(t, unix.Mkfifo(fifo, 0o644))
			must(t, os.Symlink(fifo, path))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			setUp(t, root, fleetTree, nil)
			jp := filepath.Join(root, journalName("dev"))
			tc.make(t, jp)
			// The env's tree only: a snapshot of the root would read the
			// FIFO.
			before := snapshot(t, filepath.Join(root, "dev"))
			done := make(chan error, 1)
			go func() {
				o, err := Open(root)
				if err == nil {
					err = errors.Join(errors.New("opened"), o.Close())
				}
				done <- err
			}()
			select {
			case err := <-done:
				if !strings.Contains(err.Error(), journalName("dev")) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "hint: remove") {
					t.Errorf("Open = %v, want an error naming the journal, saying it %s, and what to do", err, tc.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Open blocks")
			}
			if diff := cmp.Diff(before, snapshot(t, filepath.Join(root, "dev"))); diff != "" {
				t.Errorf("the env's tree (-want +got):\n%s", diff)
			}
			if fi, err := os.Lstat(jp); err != nil || fi.Mode().IsRegular() {
				t.Errorf("the entry where the journal goes was replaced or removed: %v, %v", fi, err)
			}
		})
	}
}
