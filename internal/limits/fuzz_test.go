package limits_test

import (
	"testing"

	"github.com/kiln-gitops/kiln/internal/limits"
)

// FuzzCheckYAMLBytes: measuring any input ends, without a panic, in nil or
// an error; never by expanding what it measures.
func FuzzCheckYAMLBytes(f *testing.F) {
	f.Add([]byte("a: &a [1, 2]\nb: [*a, *a]\n"))
	f.Add([]byte(bomb(9, 9)))
	f.Add([]byte("---\n---\n[[[[]]]]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = limits.CheckYAMLBytes(data, "in.yaml")
	})
}
