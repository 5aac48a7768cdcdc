// Package cachedir names kiln's cache folders: the default one in the
// user cache folder, and the render cache inside a cache folder. render's
// default options, the CLI's --cache-dir and the early worker start
// (cmd/kiln/internal/prestart, which runs before kiln's large packages
// initialize, so this package imports only the standard library) must
// agree on them.
//
// It does not import path/filepath, which Go initializes late in kiln
// (see package spawn): join (join_unix.go) is path.Join on Unix, where it
// is the same as filepath.Join, and filepath.Join elsewhere.
package cachedir

import "os"

// Default is kiln's folder in the user cache folder.
func Default() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return join(dir, "kiln"), nil
}

// Renders is the render cache inside the cache folder dir.
func Renders(dir string) string { return join(dir, "renders") }
