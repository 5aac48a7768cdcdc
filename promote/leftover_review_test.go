//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package promote

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestLeftoverCleanerSparesTheUsersCopies: a folder kiln did not make
// with os.MkdirTemp (its name is kiln's prefix and then not only digits)
// is never removed, even holding a marker nobody locks: a user's copy of
// a kiln clone kept to look into (cp -a kiln-manifests-123
// kiln-manifests-debug), a backup restored.
func TestLeftoverCleanerSparesTheUsersCopies(t *testing.T) {
	t.Parallel()
	workDir := t.TempDir()
	var kept []string
	for _, name := range []string{clonePrefix + "debug", clonePrefix + "123.bak", worktreePrefix + "keep", clonePrefix} {
		dir := filepath.Join(workDir, name)
		if err := os.MkdirAll(filepath.Join(dir, "repo"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, tempMarker), nil, 0o600); err != nil {
			t.Fatal(err)
		}
		kept = append(kept, filepath.Join(dir, "repo"))
	}
	// A real leftover beside them still goes.
	dead := deadRunsFolder(t, workDir)
	var log bytes.Buffer
	// A git another test starts forks this process: until the child
	// execs, it shares the marker's open file (O_CLOEXEC closes it only
	// at exec), so the cleaner's non-blocking lock may fail for that
	// instant and it leaves the folder to the next run, as it should a
	// live run's. The next runs here are a few more tries.
	for i := 0; i < 50; i++ {
		removeLeftovers(workDir, &log)
		if _, err := os.Lstat(dead); os.IsNotExist(err) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, p := range kept {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was removed: %v", p, err)
		}
	}
	if _, err := os.Lstat(dead); !os.IsNotExist(err) {
		t.Errorf("the killed run's %s is still there: %v\n%s", dead, err, log.String())
	}
}

// deadRunsFolder makes a temporary folder in workDir as another kiln run
// does, which was then killed: its marker is there, and unlocked.
func deadRunsFolder(t *testing.T, workDir string) string {
	t.Helper()
	dir, err := os.MkdirTemp(workDir, clonePrefix)
	if err != nil {
		t.Fatal(err)
	}
	l, err := holdMarker(dir)
	if err != nil {
		t.Fatal(err)
	}
	l.Close() // as the kernel does when its run is killed
	if err := os.WriteFile(filepath.Join(dir, "objects"), []byte("a clone\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestLeftoverCleanerSparesOtherUsers: root's kiln does not remove a dead
// run's folder of another user, nor a folder of another user's holding a
// marker: that user's own next run does.
func TestLeftoverCleanerSparesOtherUsers(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("needs root to give a folder to another user")
	}
	workDir := t.TempDir()
	dir := deadRunsFolder(t, workDir)
	for _, p := range []string{dir, filepath.Join(dir, tempMarker), filepath.Join(dir, "objects")} {
		if err := os.Lchown(p, 4242, 4242); err != nil {
			t.Fatal(err)
		}
	}
	removeLeftovers(workDir, io.Discard)
	if _, err := os.Stat(filepath.Join(dir, "objects")); err != nil {
		t.Errorf("another user's folder was removed: %v", err)
	}
}

// TestLeftoverCleanerSparesThisProcesssFolders: a folder this process
// made is never a leftover to it, even where its marker's lock does not
// keep this process itself out: on NFS, Linux emulates flock with POSIX
// record locks, which a process's second open of the file does not
// conflict with, so a DiffSession's second clone (or verify's worktree
// after its clone) would lock and remove the first, still in use.
// Simulated here by letting the first folder's lock go.
func TestLeftoverCleanerSparesThisProcesssFolders(t *testing.T) {
	t.Parallel()
	workDir := t.TempDir()
	first, err := makeTemp(workDir, clonePrefix, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer first.remove()
	first.lock.Close() // what a POSIX lock is to its own process: nothing
	second, err := makeTemp(workDir, worktreePrefix, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer second.remove()
	if _, err := os.Stat(filepath.Join(first.path, tempMarker)); err != nil {
		t.Errorf("this process's own live folder was removed: %v", err)
	}
}
