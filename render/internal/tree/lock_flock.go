//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package tree

import (
	"errors"
	"fmt"
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
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return nil, "", fmt.Errorf("opening the output lock: %w", err)
		}
		if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
			f.Close()
			if errors.Is(err, unix.EWOULDBLOCK) {
				if h, ok := holderAt(path); ok || attempt == attempts-1 {
					return nil, "", &LockedError{Path: path, Holder: h.String()}
				}
				// The holder has taken the lock but not written its name
				// yet, or has just released it and removed the file:
				// look again rather than name an "unknown process" or
				// refuse a lock that is free.
				time.Sleep(retryWait)
				continue
			}
			return nil, "", fmt.Errorf("locking %s: %w", path, err)
		}
		// The holder before us may have removed the file between our open
		// and our flock: then we locked a file nobody else sees. Lock the
		// one at path instead.
		fi, err1 := f.Stat()
		pi, err2 := os.Stat(path)
		if err1 != nil || err2 != nil || !os.SameFile(fi, pi) {
			f.Close()
			continue
		}
		if data, _ := os.ReadFile(path); len(data) > 0 {
			if h, ok := parseHolder(data); ok {
				stale = h.String()
			}
		}
		if err := f.Truncate(0); err == nil {
			_, _ = f.WriteAt(self().encode(), 0)
		}
		return &lock{f: f, path: path}, stale, nil
	}
	return nil, "", fmt.Errorf("locking %s: the lock file keeps changing", path)
}

// release removes the lock file, then unlocks it by closing it.
func (l *lock) release() error {
	err := os.Remove(l.path)
	return errors.Join(err, l.f.Close())
}
