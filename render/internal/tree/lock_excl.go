//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package tree

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"syscall"
	"time"
)

// lock is a held lock file, created exclusively. Without flock(2) the
// file outlives a killed holder, so acquire checks whether the recorded
// process still runs on this host.
type lock struct {
	path string
}

func acquire(path string) (*lock, string, error) {
	stale := ""
	for range 2 {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			_, werr := f.Write(self().encode())
			if err := errors.Join(werr, f.Close()); err != nil {
				os.Remove(path)
				return nil, "", fmt.Errorf("writing the output lock: %w", err)
			}
			return &lock{path: path}, stale, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, "", fmt.Errorf("creating the output lock: %w", err)
		}
		// Never read through a symlink or from a FIFO planted there
		// (lock_flock.go, openLock).
		if fi, err := os.Lstat(path); err == nil && !fi.Mode().IsRegular() {
			return nil, "", notALockFile(path, fi.Mode())
		}
		data, _ := os.ReadFile(path)
		h, ok := parseHolder(data)
		host, _ := os.Hostname()
		if !ok || h.host != host || alive(h.pid) {
			return nil, "", &LockedError{Path: path, Holder: describe(path)}
		}
		stale = h.String()
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, "", fmt.Errorf("removing the stale output lock: %w", err)
		}
	}
	return nil, "", &LockedError{Path: path, Holder: describe(path)}
}

// acquireShared checks that no live writer holds the lock at path, for a
// reader. Without flock readers cannot share a lock file, so they take
// none: a writer is kept out only while it runs, not from starting during
// the read (Read still refuses a tree whose update it sees under way).
// The lock returned is always nil.
func acquireShared(path string) (*lock, error) {
	for attempt := range 2 {
		fi, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading the output lock: %w", err)
		}
		if !fi.Mode().IsRegular() {
			return nil, notALockFile(path, fi.Mode())
		}
		h, ok := holderAt(path)
		host, _ := os.Hostname()
		if ok && (h.host != host || alive(h.pid)) {
			return nil, &LockedError{Path: path, Holder: h.String(), Reading: true}
		}
		if ok {
			return nil, nil // a killed writer's: nobody writes
		}
		// A writer writes its name right after creating the file: one
		// that names nobody a moment later is a leftover.
		if attempt == 0 {
			time.Sleep(100 * time.Millisecond)
		}
	}
	return nil, nil
}

// releaseShared: a reader here holds nothing (acquireShared).
func (l *lock) releaseShared() {}

// alive reports whether process pid runs on this host.
func alive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	if runtime.GOOS == "windows" {
		return true // FindProcess opened a handle: it exists
	}
	return p.Signal(syscall.Signal(0)) == nil
}

func (l *lock) release() error { return os.Remove(l.path) }

// holderAt reads a lock file's holder; false when it names none (yet).
func holderAt(path string) (holder, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return holder{}, false
	}
	return parseHolder(data)
}

// describe reads a lock file's holder for a message.
func describe(path string) string {
	h, _ := holderAt(path)
	return h.String()
}
