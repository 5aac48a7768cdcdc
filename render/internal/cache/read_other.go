//go:build !unix

package cache

import "os"

// readEntry reads the file at p whole (read_unix.go says why it does not
// use an os.File where it can).
func readEntry(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := checkEntryFile(p, fi.Mode().IsRegular(), fi.Size()); err != nil {
		return nil, err
	}
	buf := make([]byte, fi.Size())
	n, err := f.ReadAt(buf, 0)
	if n == len(buf) {
		return buf, nil
	}
	return nil, shortRead(p, err)
}
