//go:build unix

package cachedir

import "path"

// join is filepath.Join, which on Unix is path.Join (TestJoin).
func join(elem ...string) string { return path.Join(elem...) }
