package testenv

import (
	"os"
	"path/filepath"
	"strings"
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

// ReservedDatabase is the ratcheting case of CloudNativePG 1.30.0's real
// Database CRD (testdata/manifests/cloudnative-pg), which reserves the
// database name postgres with a CEL rule: crd as released, oldCRD without
// that rule (the CRD a cluster stored the object under), and reserved, the
// project's sample Database named postgres, which crd refuses on create
// and a cluster at 1.30 or later takes on an update that keeps the name.
func ReservedDatabase(t testing.TB) (crd, oldCRD, reserved string) {
	t.Helper()
	crd = RealManifest(t, "cloudnative-pg", "databases-crd.yaml")
	const rule = "                - message: the name postgres is reserved\n                  rule: self != 'postgres'\n"
	if oldCRD = strings.Replace(crd, rule, "", 1); oldCRD == crd {
		t.Fatal("the rule not found in the CRD")
	}
	reserved = strings.Replace(RealManifest(t, "cloudnative-pg", "database-example.yaml"), "  name: one\n", "  name: postgres\n", 1)
	return crd, oldCRD, reserved
}
