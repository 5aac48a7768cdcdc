//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package tree

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// lock is a held lock file. flock(2) ties the lock to the open file: the
// kernel releases it when the process ends in any way, so a lock file left
// by a killed run is simply locked again.
type lock struct {
	f    *os.File
	path string
}

// attempts bounds acquire's tries, retryWait the pause between them when
// the holder is between two steps: about a second in all.
const (
	attempts  = 50
	retryWait = 20 * time.Millisecond
)

// acquire takes the lock at path without waiting for its holder. stale describes the
// holder recorded by a run that ended without releasing ("" if none).
func acquire(path string) (l *lock, stale string, err error) {
	for attempt := range attempts {
		f, err := openLock(path)
		if err != nil {
			return nil, "", err
		}
		if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
			h, named := holderOf(f)
			// Readers (acquireShared) hold the file shared and name
			// themselves nowhere, and a name in it may be a killed
			// render's: when it can be locked shared, nobody writes.
			reading := errors.Is(err, unix.EWOULDBLOCK) && unix.Flock(int(f.Fd()), unix.LOCK_SH|unix.LOCK_NB) == nil
			f.Close()
			if errors.Is(err, unix.EWOULDBLOCK) {
				if named && !reading {
					return nil, "", &LockedError{Path: path, Holder: h.String()}
				}
				if attempt == attempts-1 {
					if reading {
						return nil, "", &LockedError{Path: path, Readers: true}
					}
					return nil, "", &LockedError{Path: path, Holder: "unknown process, perhaps a kiln promote --rendered reading it"}
				}
				// The holder has taken the lock but not written its name
				// yet, or has just released it and removed the file, or
				// readers read a moment: look again rather than name an
				// "unknown process" or refuse a lock that is free.
				time.Sleep(retryWait)
				continue
			}
			return nil, "", fmt.Errorf("locking %s: %w", path, err)
		}
		if !stillAt(f, path) {
			f.Close()
			continue
		}
		if h, ok := holderOf(f); ok {
			stale = h.String()
		}
		if err := f.Truncate(0); err == nil {
			_, _ = f.WriteAt(self().encode(), 0)
		}
		return &lock{f: f, path: path}, stale, nil
	}
	return nil, "", fmt.Errorf("locking %s: the lock file keeps changing", path)
}

// acquireShared takes the lock at path shared, without waiting for a
// writer: the readers of an output folder hold it together, and never
// while a writer (acquire) holds it. A writer's lock is a *LockedError
// naming it. A nil lock without an error means there is none to take: the
// folder holds no lock file and this process may not create one (a
// read-only folder, such as a CI artifact downloaded by another user or
// on a read-only mount). No writer is in the folder then: a render takes
// its lock by opening that file for writing, before anything else. One
// that starts later is not kept out, which only a lock file could do.
func acquireShared(path string) (*lock, error) {
	for attempt := range attempts {
		f, err := openShared(path)
		if err != nil || f == nil {
			return nil, err
		}
		if err := unix.Flock(int(f.Fd()), unix.LOCK_SH|unix.LOCK_NB); err != nil {
			h, named := holderOf(f)
			f.Close()
			if errors.Is(err, unix.EWOULDBLOCK) {
				if named || attempt == attempts-1 {
					return nil, &LockedError{Path: path, Holder: h.String(), Reading: true}
				}
				// A writer between taking the lock and writing its
				// name, or just leaving: look again (acquire).
				time.Sleep(retryWait)
				continue
			}
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		if !stillAt(f, path) {
			f.Close()
			continue
		}
		return &lock{f: f, path: path}, nil
	}
	return nil, fmt.Errorf("locking %s: the lock file keeps changing", path)
}

// openShared opens the lock file at path for a reader: as openLock does,
// or read-only where this process may not create or write it (flock
// needs no write access). nil without an error when there is no lock file
// and none can be made there, or no folder.
func openShared(path string) (*os.File, error) {
	f, err := openLock(path)
	if err == nil || !(errors.Is(err, fs.ErrPermission) || errors.Is(err, unix.EROFS) || errors.Is(err, fs.ErrNotExist)) {
		return f, err
	}
	f, err = openRegular(path, os.O_RDONLY)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return f, err
}

// releaseShared lets a reader's lock go. The last holder removes the
// file if it is empty, made by a reader (a writer names itself in it): it
// is no part of the output. Two readers leaving together may both leave
// it; a writer takes an empty lock file over without a word.
func (l *lock) releaseShared() {
	if l == nil {
		return
	}
	defer l.f.Close()
	// Only an empty file is removed, so only one is locked exclusively:
	// one a killed render left names it, and a reader meeting it locked
	// so would be refused naming that render (acquireShared). Its size
	// cannot change while this reader holds it shared.
	if fi, err := l.f.Stat(); err != nil || fi.Size() != 0 {
		return
	}
	if unix.Flock(int(l.f.Fd()), unix.LOCK_EX|unix.LOCK_NB) != nil {
		return
	}
	if fi, err := l.f.Stat(); err == nil && fi.Size() == 0 && stillAt(l.f, l.path) {
		_ = os.Remove(l.path)
	}
}

// stillAt reports whether f, just locked, is the file at path: the holder
// before may have removed it between the open and the flock, and a lock
// on a file nobody else sees keeps nobody out.
func stillAt(f *os.File, path string) bool {
	fi, err1 := f.Stat()
	pi, err2 := os.Lstat(path)
	return err1 == nil && err2 == nil && os.SameFile(fi, pi)
}

// openLock opens the lock file at path, creating it. The folder is the
// user's (a checkout may hold anything, a pull request's commit included),
// so a symlink there is never followed (kiln would truncate and write the
// file it leads to, outside --out), and anything but a regular file is
// refused rather than waited on (a FIFO would block the holder's read
// forever, deaf to SIGTERM).
func openLock(path string) (*os.File, error) { return openRegular(path, os.O_RDWR|os.O_CREATE) }

// openRegular opens path with flag, never through a symlink nor blocking
// on a FIFO, and refuses anything but a regular file.
func openRegular(path string, flag int) (*os.File, error) {
	f, err := os.OpenFile(path, flag|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0o644)
	if err != nil {
		if fi, lerr := os.Lstat(path); lerr == nil && !fi.Mode().IsRegular() {
			return nil, notALockFile(path, fi.Mode())
		}
		return nil, fmt.Errorf("opening the output lock: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("opening the output lock: %w", err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, notALockFile(path, fi.Mode())
	}
	return f, nil
}

// holderOf reads the holder an open lock file names, reading at most a
// few KiB: a holder's record is three short lines.
func holderOf(f *os.File) (holder, bool) {
	buf := make([]byte, 4<<10)
	n, _ := f.ReadAt(buf, 0)
	return parseHolder(buf[:n])
}

// release removes the lock file, then unlocks it by closing it.
func (l *lock) release() error {
	err := os.Remove(l.path)
	return errors.Join(err, l.f.Close())
}
