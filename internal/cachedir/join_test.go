package cachedir

import (
	"path/filepath"
	"testing"
)

// TestJoin: join names the same folders filepath.Join names, unclean
// paths included (a --cache-dir or KILN_CACHE_DIR is the user's text).
func TestJoin(t *testing.T) {
	t.Parallel()
	for _, dir := range []string{"", "/", ".", "..", "/tmp/c", "/tmp/c/", "tmp//c", "./c/../d", "/a/./b/", "c/..", "../../x", "a b/ç"} {
		for _, name := range []string{"kiln", "renders"} {
			if got, want := join(dir, name), filepath.Join(dir, name); got != want {
				t.Errorf("join(%q, %q) = %q, want filepath.Join's %q", dir, name, got, want)
			}
		}
	}
}
