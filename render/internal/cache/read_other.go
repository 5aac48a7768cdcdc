//go:build !unix

package cache

import (
	"os"
	"time"
)

// readEntry reads the file at p whole, and its modification time
// (read_unix.go says why it does not use an os.File where it can).
func readEntry(p string) ([]byte, time.Time, error) {
	// A symlink is refused, as O_NOFOLLOW refuses it on unix.
	if fi, err := os.Lstat(p); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		return nil, time.Time{}, notRegular(p)
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, time.Time{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, time.Time{}, err
	}
	if err := checkEntryFile(p, fi.Mode().IsRegular(), fi.Size()); err != nil {
		return nil, time.Time{}, err
	}
	buf := make([]byte, fi.Size())
	n, err := f.ReadAt(buf, 0)
	if n == len(buf) {
		return buf, fi.ModTime(), nil
	}
	return nil, time.Time{}, shortRead(p, err)
}
