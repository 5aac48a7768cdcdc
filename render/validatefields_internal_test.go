package render

import (
	"slices"
	"testing"
)

// TestDifferingFields: two renders of a template that draws a list's
// length at random (range until (randInt 1 4)) differ in the list, named
// whole: its items cannot be paired.
func TestDifferingFields(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		want []string
	}{
		{"spec:\n  ports: [1, 2]\n", "spec:\n  ports: [1]\n", []string{"spec.ports"}},
		{"spec:\n  ports: [1]\n", "spec:\n  ports: [1, 2]\n", []string{"spec.ports"}},
		{"spec:\n  ports: [1, 2]\n", "spec:\n  ports: [1, 3]\n", []string{"spec.ports[1]"}},
		{"a: 1\n", "a: 1\n", nil},
		{"- a\n", "- b\n", nil},
	} {
		if got := differingFields([]byte(tc.a), []byte(tc.b)); !slices.Equal(got, tc.want) {
			t.Errorf("differingFields(%q, %q) = %q, want %q", tc.a, tc.b, got, tc.want)
		}
	}
}
