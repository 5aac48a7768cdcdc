package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// RealManifest returns the text of file in testdata/manifests/source at
// the repository root (testdata/manifests/README.md says where each comes
// from), for the tests of any package.
func RealManifest(t testing.TB, source, file string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's folder")
		}
		dir = parent
	}
	data, err := os.ReadFile(filepath.Join(dir, "testdata", "manifests", source, file))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
