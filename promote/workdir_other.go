//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package promote

import (
	"io"
	"time"
)

// holdMarker marks nothing: without flock a lock does not end with its
// killed holder, so a later run could not tell a live run's folder from a
// killed one's, and never removes any (lockLeftover).
func holdMarker(string) (io.Closer, error) { return nil, nil }

// lockLeftover: no folder is known to be a leftover here (holdMarker).
func lockLeftover(string) io.Closer { return nil }

// removeHalfMade: no folder is known to be half made here (holdMarker
// makes no marker, so every folder lacks one).
func removeHalfMade(string, time.Time) bool { return false }
