//go:build !unix

package cachedir

import "path/filepath"

// join is filepath.Join.
func join(elem ...string) string { return filepath.Join(elem...) }
