package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// CopyTrees copies folders into root for a test that assembles a project
// from fixtures: trees maps each destination, relative to root, to the
// folder copied there (a path as the test's package sees it). os.CopyFS
// makes the destination's parents and refuses to copy a symlink.
func CopyTrees(t testing.TB, root string, trees map[string]string) {
	t.Helper()
	for dst, src := range trees {
		if err := os.CopyFS(filepath.Join(root, filepath.FromSlash(dst)), os.DirFS(src)); err != nil {
			t.Fatalf("copying %s to %s: %v", src, dst, err)
		}
	}
}
