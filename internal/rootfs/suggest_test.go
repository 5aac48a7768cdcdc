package rootfs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/kiln-gitops/kiln/internal/limits"
)

// TestWhy: the reason a path could not be read, without the machine's
// absolute path that an *fs.PathError's text holds.
func TestWhy(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, notExist := os.Open(filepath.Join(dir, "missing.yaml"))
	_, isDir := limits.ReadFileAs(dir, "dir")
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{name: "outside", err: &OutsideError{Path: "out/a.yaml", Target: "../ext/a.yaml"}, want: "it leads outside the repository (to ../ext/a.yaml)"},
		{name: "missing", err: notExist, want: "it does not exist"},
		{name: "folder", err: isDir, want: "it is a directory, not a file"},
		{name: "denied", err: &fs.PathError{Op: "open", Path: dir, Err: fs.ErrPermission}, want: "permission denied"},
		{name: "other", err: errors.New("odd"), want: "odd"},
	} {
		if got := Why(tc.err); got != tc.want {
			t.Errorf("%s: Why = %q, want %q", tc.name, got, tc.want)
		}
	}
}
