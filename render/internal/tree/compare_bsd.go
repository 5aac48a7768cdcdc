//go:build unix && !linux

package tree

import (
	"os"

	"golang.org/x/sys/unix"
)

// listFD lists the folder open at fd through an os.File of its own, on a
// duplicate of fd: the Unix systems other than Linux have no getdents64
// that x/sys/unix offers alike.
func listFD(fd int, _ *[]byte) ([]dirent, error) {
	dup, err := ignoringEINTR(func() (int, error) { return unix.Dup(fd) })
	if err != nil {
		return nil, err
	}
	d := os.NewFile(uintptr(dup), ".")
	defer d.Close()
	return readDir(d)
}
