package promote

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Prefixes of the temporary folders kiln makes in Options.WorkDir: a clone
// of a repository (promote, diff, verify), and a worktree of the source
// repository (verify).
const (
	clonePrefix    = "kiln-manifests-"
	worktreePrefix = "kiln-verify-"
)

// tempMarker is the file in each of kiln's temporary folders that a run
// holds locked (flock) for as long as the folder is its own: the kernel
// lets the lock go when the process dies in any way, kill -9 included, so
// a later run can tell a killed run's folder (removeLeftovers) from a live
// one's.
const tempMarker = ".kiln-tmp.lock"

// tempDir is a temporary folder of kiln's in the work dir, and the lock on
// its marker (nil where there is no flock: then it has no marker).
type tempDir struct {
	path string
	lock io.Closer
}

// makeTemp makes a new temporary folder named prefix* in workDir ("" is
// os.TempDir()) and takes its marker's lock before anything else goes in,
// so that another run's removeLeftovers never takes it for a leftover.
// First it removes what killed runs left there, logging each to log.
func makeTemp(workDir, prefix string, log io.Writer) (*tempDir, error) {
	removeLeftovers(workDir, log)
	dir, err := os.MkdirTemp(workDir, prefix)
	if err != nil {
		return nil, err
	}
	l, err := holdMarker(dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("marking the temporary folder %s as this run's: %w", dir, err)
	}
	return &tempDir{path: dir, lock: l}, nil
}

// remove deletes the folder, then lets its lock go: held while deleting,
// so that no other run's removeLeftovers deletes along.
func (t *tempDir) remove() error {
	if t == nil {
		return nil
	}
	err := os.RemoveAll(t.path)
	if t.lock != nil {
		t.lock.Close()
	}
	return err
}

// removeLeftovers removes the temporary folders of kiln runs that ended
// without removing them (killed with SIGKILL, a crashed runner): each a
// full clone of a repository, on a self-hosted runner one more every
// time, until the disk is full. Only a folder directly in workDir, named
// as kiln names them (clonePrefix, worktreePrefix), that is a folder (not
// a symlink) and holds kiln's marker (tempMarker) whose lock this process
// gets (no live run holds it) is removed, under that lock. A folder
// without the marker (not kiln's, or an older kiln's) is left alone. Best
// effort: what cannot be read or removed is left, with a line in log.
func removeLeftovers(workDir string, log io.Writer) {
	if workDir == "" {
		workDir = os.TempDir()
	}
	entries, err := os.ReadDir(workDir)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, clonePrefix) && !strings.HasPrefix(name, worktreePrefix) {
			continue
		}
		path := filepath.Join(workDir, name)
		// Lstat: a symlink so named is nobody's folder to delete.
		if fi, err := os.Lstat(path); err != nil || !fi.IsDir() {
			continue
		}
		l := lockLeftover(path)
		if l == nil {
			continue
		}
		err := os.RemoveAll(path)
		l.Close()
		if err != nil {
			fmt.Fprintf(log, "warning: could not remove %s, left by a kiln run that was killed: %v\n", path, err)
			continue
		}
		fmt.Fprintf(log, "removed %s, left by a kiln run that was killed\n", path)
	}
}
