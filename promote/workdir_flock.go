//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package promote

import (
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// holdMarker makes dir's marker and locks it for the process's lifetime.
// The file is made and locked under another name, then renamed: a marker
// is never seen unlocked while its run lives.
func holdMarker(dir string) (io.Closer, error) {
	tmp := filepath.Join(dir, tempMarker+".new")
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		return nil, err
	}
	if err := os.Rename(tmp, filepath.Join(dir, tempMarker)); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// lockLeftover locks the marker of dir, a candidate leftover, and returns
// the lock, or nil when the marker is missing (not kiln's folder), not a
// regular file, held by a live run, or when it or dir is another user's
// (root's kiln removes only root's runs' folders, not another user's
// folder that holds a marker). The marker is opened without
// following a symlink, and must still be the one at dir once locked: the
// run or cleaner that held it may have removed it meanwhile.
func lockLeftover(dir string) io.Closer {
	if di, err := os.Lstat(dir); err != nil || !di.IsDir() || !mine(di) {
		return nil
	}
	// Not lockMine's nil *os.File as a non-nil io.Closer.
	if f := lockMine(filepath.Join(dir, tempMarker)); f != nil {
		return f
	}
	return nil
}

// lockMine opens path without following a symlink, and locks it
// exclusively without waiting: the open file, or nil when it is missing,
// not a regular file, another user's, held by a live run, or no longer
// the file at path once locked (its holder removed it meanwhile).
func lockMine(path string) *os.File {
	f, err := os.OpenFile(path, os.O_RDWR|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || !mine(fi) || unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) != nil {
		f.Close()
		return nil
	}
	if pi, err := os.Lstat(path); err != nil || !os.SameFile(fi, pi) {
		f.Close()
		return nil
	}
	return f
}

// mine reports whether fi is owned by this process's effective user, as
// the files this process makes are.
func mine(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Geteuid()
}

// halfMadeAge is how old a folder without a marker must be before
// removeHalfMade takes it for a killed run's: a live run makes its marker
// a moment after the folder (makeTemp), never minutes.
const halfMadeAge = 10 * time.Minute

// removeHalfMade removes dir, a folder named as kiln names its temporary
// folders but holding no marker, when it is what a run killed inside
// makeTemp leaves: an empty folder, or one holding only the marker made
// under its first name and not yet renamed, unlocked; older than
// halfMadeAge, and this user's, as is the marker. Anything else in it
// (an older kiln's clone, a user's files) keeps it; the folder goes by
// rmdir, which removes only an empty folder. It reports whether it
// removed dir.
func removeHalfMade(dir string, now time.Time) bool {
	di, err := os.Lstat(dir)
	if err != nil || !di.IsDir() || !mine(di) || now.Sub(di.ModTime()) < halfMadeAge {
		return false
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) > 1 || (len(entries) == 1 && entries[0].Name() != tempMarker+".new") {
		return false
	}
	if len(entries) == 1 {
		path := filepath.Join(dir, tempMarker+".new")
		f := lockMine(path)
		if f == nil {
			return false
		}
		defer f.Close()
		if os.Remove(path) != nil {
			return false
		}
	}
	return os.Remove(dir) == nil
}
