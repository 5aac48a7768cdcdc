package tree

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io/fs"

	"golang.org/x/sys/unix"
)

// listBuf is the size of a walk's space for getdents64, as os.ReadDir's:
// a folder of an output tree (up to a few hundred entries) lists in one or
// two calls, and the one after them that says the folder has no more.
const listBuf = 8 << 10

// listFD lists the folder open at fd with getdents64, reading into buf.
// Every entry but "." and ".." is listed, with the type the listing gives;
// where the file system gives none (DT_UNKNOWN), an lstat relative to fd
// tells it, as os.ReadDir does.
func listFD(fd int, buf *[]byte) ([]dirent, error) {
	if cap(*buf) < listBuf {
		*buf = make([]byte, listBuf)
	}
	b := (*buf)[:cap(*buf)]
	var list []dirent
	for {
		n, err := ignoringEINTR(func() (int, error) { return unix.Getdents(fd, b) })
		if err != nil {
			return nil, err
		}
		if n <= 0 {
			return list, nil
		}
		if list, err = appendDirents(list, fd, b[:n]); err != nil {
			return nil, err
		}
	}
}

// The offsets in a struct linux_dirent64: d_ino (8 bytes), d_off (8),
// d_reclen (2), d_type (1), then the name, NUL-terminated.
const (
	direntReclen = 16
	direntType   = 18
	direntName   = 19
)

var errDirent = errors.New("malformed folder listing")

// appendDirents appends the entries of one getdents64 result b, of the
// folder open at fd, to list.
func appendDirents(list []dirent, fd int, b []byte) ([]dirent, error) {
	for len(b) > 0 {
		if len(b) < direntName {
			return nil, errDirent
		}
		reclen := int(binary.NativeEndian.Uint16(b[direntReclen:]))
		if reclen < direntName || reclen > len(b) {
			return nil, errDirent
		}
		ino := binary.NativeEndian.Uint64(b)
		typ := b[direntType]
		name := b[direntName:reclen]
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		b = b[reclen:]
		if ino == 0 || len(name) == 0 || string(name) == "." || string(name) == ".." {
			continue // a deleted entry some file systems leave, or the folder itself
		}
		de := dirent{name: string(name)}
		switch typ {
		case unix.DT_REG:
		case unix.DT_DIR:
			de.typ = fs.ModeDir
		case unix.DT_LNK:
			de.typ = fs.ModeSymlink
		case unix.DT_UNKNOWN:
			var st unix.Stat_t
			err := unix.Fstatat(fd, de.name, &st, unix.AT_SYMLINK_NOFOLLOW)
			if errors.Is(err, unix.ENOENT) {
				continue // removed since the listing
			}
			if err != nil {
				return nil, err
			}
			de.typ = statType(st.Mode)
		default:
			de.typ = fs.ModeIrregular // a device, pipe or socket: never kiln's
		}
		list = append(list, de)
	}
	return list, nil
}

// statType is the fs.FileMode type bits of a stat's mode.
func statType(mode uint32) fs.FileMode {
	switch mode & unix.S_IFMT {
	case unix.S_IFREG:
		return 0
	case unix.S_IFDIR:
		return fs.ModeDir
	case unix.S_IFLNK:
		return fs.ModeSymlink
	}
	return fs.ModeIrregular
}
