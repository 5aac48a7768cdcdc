package promote

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Prefixes of the temporary folders kiln makes in Options.WorkDir: a clone
// of a repository (promote, diff, verify), and a checkout of the source
// commit (verify). Older kilns made the latter a git worktree, whose
// entries they left are found by the prefix (removeOldWorktrees).
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
	ours.add(dir)
	l, err := holdMarker(dir)
	if err != nil {
		os.RemoveAll(dir)
		ours.remove(dir)
		return nil, fmt.Errorf("marking the temporary folder %s as this run's: %w", dir, err)
	}
	return &tempDir{path: dir, lock: l}, nil
}

// remove deletes the folder, then lets its lock go: held while deleting,
// so that no other run's removeLeftovers deletes along. Only the first
// call deletes: the path may be another run's folder by a later call.
func (t *tempDir) remove() error {
	if t == nil || t.path == "" {
		return nil
	}
	err := os.RemoveAll(t.path)
	if t.lock != nil {
		t.lock.Close()
	}
	ours.remove(t.path)
	t.path = ""
	return err
}

// ours are the temporary folders this process made and has not removed.
// removeLeftovers never touches them, whatever their marker's lock says:
// where flock is emulated with POSIX record locks (Linux on NFS), a
// process's own lock does not keep its second open of the file out, so
// a DiffSession's second clone, or verify's checkout after its clone,
// would lock and remove the first one, still in use.
var ours = ownDirs{dirs: map[string]bool{}}

type ownDirs struct {
	mu   sync.Mutex
	dirs map[string]bool
}

// key is dir as ours knows it: absolute, so that a work dir spelled
// relative in one place and absolute in another is one.
func (o *ownDirs) key(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return filepath.Clean(dir)
}

func (o *ownDirs) add(dir string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.dirs[o.key(dir)] = true
}

func (o *ownDirs) remove(dir string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.dirs, o.key(dir))
}

func (o *ownDirs) has(dir string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.dirs[o.key(dir)]
}

// tempName reports whether name is one os.MkdirTemp makes with one of
// kiln's prefixes: the prefix and then its random digits. A folder named
// otherwise (kiln-manifests-debug, kiln-manifests-123.bak) is a copy the
// user made or named, never kiln's, even if a marker was copied along.
func tempName(name string) bool {
	for _, prefix := range []string{clonePrefix, worktreePrefix} {
		if rest, ok := strings.CutPrefix(name, prefix); ok {
			return rest != "" && strings.Trim(rest, "0123456789") == ""
		}
	}
	return false
}

// removeLeftovers removes the temporary folders of kiln runs that ended
// without removing them (killed with SIGKILL, a crashed runner): each a
// full clone of a repository, on a self-hosted runner one more every
// time, until the disk is full. Only a folder directly in workDir, named
// as kiln names them (clonePrefix or worktreePrefix and digits: tempName),
// that is a folder (not a symlink), that this process did not make (ours)
// and holds kiln's marker (tempMarker) whose lock this process gets (no
// live run holds it) is removed, under that lock; where flock is, the
// folder and the marker must also be this user's. A folder
// without the marker (not kiln's, or an older kiln's) is left alone,
// unless a run killed inside makeTemp left it empty (removeHalfMade). Best
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
		if !tempName(name) {
			continue
		}
		path := filepath.Join(workDir, name)
		if ours.has(path) {
			continue
		}
		// Lstat: a symlink so named is nobody's folder to delete.
		if fi, err := os.Lstat(path); err != nil || !fi.IsDir() {
			continue
		}
		l := lockLeftover(path)
		if l == nil {
			if removeHalfMade(path, time.Now()) {
				fmt.Fprintf(log, "removed %s, left empty by a kiln run that was killed\n", path)
			}
			continue
		}
		err := removeMarkedLast(path)
		l.Close()
		if err != nil {
			fmt.Fprintf(log, "warning: could not remove %s, left by a kiln run that was killed: %v\n", path, err)
			continue
		}
		fmt.Fprintf(log, "removed %s, left by a kiln run that was killed\n", path)
	}
}

// removeAll is os.RemoveAll, which a test replaces.
var removeAll = os.RemoveAll

// removeMarkedLast removes dir, a leftover, its marker last: a removal
// that fails half-way keeps the marker, by which a later run knows the
// folder for a killed run's and tries again. A git of the killed run
// outlives it (SIGKILL reaches kiln alone) and may still write into the
// clone while a later run removes it; with the marker gone first, the
// folder was nobody's from then on, a clone left on the disk for good.
func removeMarkedLast(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		if e.Name() != tempMarker {
			errs = append(errs, removeAll(filepath.Join(dir, e.Name())))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(dir, tempMarker)); err != nil {
		return err
	}
	return os.Remove(dir)
}
