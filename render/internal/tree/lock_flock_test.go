//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package tree

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// holdEmpty opens path and flocks it without writing a holder, as a run
// does in the instant between taking the lock and writing its name.
func holdEmpty(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestAcquireNamesAHolderMidWrite: a run that finds the lock taken while
// its holder has not written its name yet names the holder once written,
// not an "unknown process" (TestConcurrentRenders met this under load).
func TestAcquireNamesAHolderMidWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".kiln.lock")
	f := holdEmpty(t, path)
	defer f.Close()
	go func() {
		time.Sleep(3 * retryWait)
		_, _ = f.WriteAt(holder{pid: 4242, host: "h", start: "s"}.encode(), 0)
	}()
	_, _, err := acquire(path)
	var le *LockedError
	if !errors.As(err, &le) || !strings.Contains(le.Holder, "pid 4242") {
		t.Fatalf("err = %v, want it locked by pid 4242", err)
	}
}

// TestAcquireAfterAHolderLeaves: a holder that releases while a run looks
// at its lock file leaves a free lock, which the run takes.
func TestAcquireAfterAHolderLeaves(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".kiln.lock")
	f := holdEmpty(t, path)
	go func() {
		time.Sleep(3 * retryWait)
		l := &lock{f: f, path: path}
		_ = l.release()
	}()
	l, _, err := acquire(path)
	if err != nil {
		t.Fatalf("acquire after the holder left: %v", err)
	}
	if err := l.release(); err != nil {
		t.Fatal(err)
	}
}

// drop lets the lock go as the kernel does when its holder is killed:
// the file stays.
func (l *lock) drop() { l.f.Close() }
