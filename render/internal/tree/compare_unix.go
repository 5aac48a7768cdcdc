//go:build unix

package tree

import (
	"bytes"
	"io/fs"

	"golang.org/x/sys/unix"
)

// On Unix the comparison reads the earlier tree through file descriptors:
// each folder and file is opened relative to its folder's descriptor with
// O_NOFOLLOW, so no symlink is ever followed, as os.Root guarantees; but
// listing a folder costs no stat per entry (os.Root stats each), and a file
// costs openat, fstat, read and close, without the non-blocking mode and
// poller registration os.File sets up. On Linux a folder is listed with
// getdents64 straight into the walk's scratch space (compare_linux.go), not
// through an os.File: no fcntl, no poller, no allocation per entry beyond
// its name. A re-render with nothing changed is little more than this
// comparison, so it is worth the few lines.

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
	return fdFolder{fd}, nil
}

// fdFolder is an open folder's descriptor.
type fdFolder struct{ fd int }

func (f fdFolder) perm() (fs.FileMode, error) {
	var st unix.Stat_t
	if err := unix.Fstat(f.fd, &st); err != nil {
		return 0, err
	}
	return fs.FileMode(st.Mode) & fs.ModePerm, nil
}

func (f fdFolder) list(buf *[]byte) ([]dirent, error) { return listFD(f.fd, buf) }

func (f fdFolder) sub(name string) (folder, error) {
	fd, err := ignoringEINTR(func() (int, error) { return unix.Openat(f.fd, name, openDir, 0) })
	if err != nil {
		return nil, err
	}
	return fdFolder{fd}, nil
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

func (f fdFolder) close() { unix.Close(f.fd) }

// ignoringEINTR retries a system call a signal interrupted.
func ignoringEINTR(call func() (int, error)) (int, error) {
	for {
		n, err := call()
		if err != unix.EINTR {
			return n, err
		}
	}
}
