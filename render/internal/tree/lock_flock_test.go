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

// TestAcquireRefusesALockThatIsNoFile: a symlink planted at the lock's
// path (a checkout's commit may hold one) is neither followed, which would
// truncate and overwrite the file it leads to outside the output folder,
// nor replaced; a FIFO there is refused at once instead of blocking the
// read of its holder for ever. Both are errors naming the path.
func TestAcquireRefusesALockThatIsNoFile(t *testing.T) {
	for _, tc := range []struct {
		name string
		make func(t *testing.T, path string)
		want string
	}{
		{name: "symlink", want: "is a symlink", make: func(t *testing.T, path string) {
			victim := filepath.Join(t.TempDir(), "victim")
			if err := os.WriteFile(victim, []byte("precious\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(victim, path); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if data, err := os.ReadFile(victim); err != nil || string(data) != "precious\n" {
					t.Errorf("the symlink's target now holds %q (%v), want it untouched", data, err)
				}
			})
		}},
		{name: "dangling symlink", want: "is a symlink", make: func(t *testing.T, path string) {
			target := filepath.Join(t.TempDir(), "created")
			if err := os.Symlink(target, path); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if _, err := os.Lstat(target); err == nil {
					t.Errorf("acquire created %s through the symlink", target)
				}
			})
		}},
		{name: "fifo", want: "is not a regular file", make: func(t *testing.T, path string) {
			if err := unix.Mkfifo(path, 0o644); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), LockFile)
			tc.make(t, path)
			done := make(chan error, 1)
			go func() {
				l, _, err := acquire(path)
				if l != nil {
					l.drop()
				}
				done <- err
			}()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
					t.Errorf("acquire = %v, want an error naming %s that says it %s", err, path, tc.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("acquire blocks")
			}
			if fi, err := os.Lstat(path); err != nil || fi.Mode().IsRegular() {
				t.Errorf("the entry at the lock's path was replaced: %v, %v", fi, err)
			}
		})
	}
}
