package envconfig

import (
	"os"
	"regexp"
	"testing"
)

// TestDefaultKubeVersionMatchesGoMod ties the default kubeVersion to the
// Kubernetes libraries in go.mod, so an upgrade of those cannot leave the
// default behind.
func TestDefaultKubeVersionMatchesGoMod(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*k8s\.io/client-go v0\.(\d+)\.\d+`).FindSubmatch(data)
	if m == nil {
		t.Fatal("go.mod requires no k8s.io/client-go v0.N")
	}
	if want := "1." + string(m[1]) + ".0"; DefaultKubeVersion != want {
		t.Errorf("DefaultKubeVersion = %q, but go.mod's client-go is for Kubernetes %s: bump the constant", DefaultKubeVersion, want)
	}
}
