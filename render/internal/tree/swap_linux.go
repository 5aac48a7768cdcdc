//go:build linux

package tree

import (
	"errors"

	"golang.org/x/sys/unix"
)

// exchange swaps the folders a and b in one step: renameat2 with
// RENAME_EXCHANGE (Linux 3.15+). A kill at any moment leaves one of the two
// trees at b, never none. errNoExchange means the file system cannot (some
// network and FUSE file systems, old kernels).
func exchange(a, b string) error {
	err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
	if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EOPNOTSUPP) {
		return errNoExchange
	}
	return err
}
