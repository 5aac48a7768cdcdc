// Package cachedir names kiln's cache folders: the default one in the
// user cache folder, and the render cache inside a cache folder. render's
// default options, the CLI's --cache-dir and the early worker start
// (cmd/kiln/internal/prestart, which runs before kiln's large packages
// initialize, so this package imports only the standard library) must
// agree on them.
package cachedir

import (
	"os"
	"path/filepath"
)

// Default is kiln's folder in the user cache folder.
func Default() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "kiln"), nil
}

// Renders is the render cache inside the cache folder dir.
func Renders(dir string) string { return filepath.Join(dir, "renders") }
