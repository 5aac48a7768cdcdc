//go:build unix

package tree

import (
	"bytes"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// On Unix the comparison reads the earlier tree through file descriptors:
// each folder and file is opened relative to its folder's descriptor with
// O_NOFOLLOW, so no symlink is ever followed, as os.Root guarantees; but
// listing a folder costs no stat per entry (os.Root stats each), and a file
// costs openat, fstat, read and close, without the non-blocking mode and
// poller registration os.File sets up. A re-render with nothing changed
// is little more than this comparison, so it is worth the few lines.

const (
	openDir  = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC
	openFile = unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_CLOEXEC
)

// openTree opens the tree at dir for compare.
func openTree(dir string) (folder, error) {
	fd, err := ignoringEINTR(func() (int, error) { return unix.Open(dir, openDir, 0) })
	if err != nil {
		return nil, err
	}
	return newFDFolder(fd, dir), nil
}

// fdFolder is an open folder: its descriptor, and the os.File that owns
// it and lists it.
type fdFolder struct {
	fd int
	f  *os.File
}

func newFDFolder(fd int, name string) fdFolder {
	return fdFolder{fd: fd, f: os.NewFile(uintptr(fd), name)}
}

func (f fdFolder) perm() (fs.FileMode, error) {
	var st unix.Stat_t
	if err := unix.Fstat(f.fd, &st); err != nil {
		return 0, err
	}
	return fs.FileMode(st.Mode) & fs.ModePerm, nil
}

func (f fdFolder) list() ([]fs.DirEntry, error) { return f.f.ReadDir(-1) }

func (f fdFolder) sub(name string) (folder, error) {
	fd, err := ignoringEINTR(func() (int, error) { return unix.Openat(f.fd, name, openDir, 0) })
	if err != nil {
		return nil, err
	}
	return newFDFolder(fd, name), nil
}

func (f fdFolder) same(name string, data []byte, kilnPerm func(fs.FileMode) bool, buf *[]byte) bool {
	fd, err := ignoringEINTR(func() (int, error) { return unix.Openat(f.fd, name, openFile, 0) })
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG ||
		st.Size != int64(len(data)) || !kilnPerm(fs.FileMode(st.Mode)&fs.ModePerm) {
		return false
	}
	b := grow(buf, len(data))
	for n := 0; n < len(b); {
		m, err := ignoringEINTR(func() (int, error) { return unix.Read(fd, b[n:]) })
		if err != nil || m == 0 {
			return false
		}
		n += m
	}
	return bytes.Equal(b, data)
}

func (f fdFolder) close() { f.f.Close() }

// ignoringEINTR retries a system call a signal interrupted.
func ignoringEINTR(call func() (int, error)) (int, error) {
	for {
		n, err := call()
		if err != unix.EINTR {
			return n, err
		}
	}
}
