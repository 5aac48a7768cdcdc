//go:build unix

package cache

import (
	"io"
	"io/fs"
	"time"

	"golang.org/x/sys/unix"
)

// readEntry reads the file at p with bare system calls (open, fstat,
// pread, close): an os.File costs a non-blocking mode switch, a poller
// registration and a finalizer each, and a re-render with one app changed
// reads hundreds of entries (one per cached app). The time is the file's
// modification time, which Get keeps as the entry's last use. O_NONBLOCK keeps a FIFO
// put where an entry was from blocking the open; fstat then refuses it.
// O_NOFOLLOW refuses a symlink where an entry was: kiln never writes one,
// and following it would read, and Get's touch would date, a file outside
// the cache.
func readEntry(p string) ([]byte, time.Time, error) {
	fd, err := ignoringEINTR(func() (int, error) {
		return unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK|unix.O_NOFOLLOW, 0)
	})
	if err == unix.ELOOP {
		return nil, time.Time{}, notRegular(p)
	}
	if err != nil {
		return nil, time.Time{}, &fs.PathError{Op: "open", Path: p, Err: err}
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, time.Time{}, &fs.PathError{Op: "stat", Path: p, Err: err}
	}
	if err := checkEntryFile(p, st.Mode&unix.S_IFMT == unix.S_IFREG, st.Size); err != nil {
		return nil, time.Time{}, err
	}
	buf := make([]byte, st.Size)
	for n := 0; n < len(buf); {
		m, err := ignoringEINTR(func() (int, error) { return unix.Pread(fd, buf[n:], int64(n)) })
		if err != nil {
			return nil, time.Time{}, shortRead(p, err)
		}
		if m == 0 {
			return nil, time.Time{}, shortRead(p, io.EOF)
		}
		n += m
	}
	return buf, time.Unix(st.Mtim.Unix()), nil
}

// ignoringEINTR retries a system call a signal interrupted.
func ignoringEINTR(call func() (int, error)) (int, error) {
	for {
		n, err := call()
		if err != unix.EINTR {
			return n, err
		}
	}
}
