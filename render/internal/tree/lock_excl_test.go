//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package tree

import "os"

// drop lets the lock go as a later run takes over that of a killed
// holder: without flock, by removing the file.
func (l *lock) drop() { os.Remove(l.path) }
