package objects

import (
	"fmt"
	"strings"
	"testing"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

func TestDuplicateKeys(t *testing.T) {
	var big strings.Builder
	for i := range 40 {
		fmt.Fprintf(&big, "  k%d: x\n", i)
	}
	big.WriteString("  k7: y\n")
	for _, tc := range []struct {
		name, doc string
		want      []string // path:line of each second key
	}{
		{name: "none", doc: "a: 1\nb: {c: 2, d: [{e: 1}, {e: 2}]}\n"},
		{name: "top", doc: "a: 1\nb: 2\na: 3\n", want: []string{"a:3"}},
		{name: "nested in a list", doc: "s:\n- x: 1\n- y: 1\n  y: 2\n", want: []string{"s[1].y:4"}},
		{name: "empty key", doc: "m:\n  '': 1\n  '': 2\n", want: []string{"m.:3"}},
		{name: "large mapping", doc: "m:\n" + big.String(), want: []string{"m.k7:42"}},
		{name: "three times", doc: "a: 1\na: 2\na: 3\n", want: []string{"a:2", "a:3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var n kyaml.Node
			if err := kyaml.Unmarshal([]byte(tc.doc), &n); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range DuplicateKeys(&n) {
				got = append(got, fmt.Sprintf("%s:%d", d.Path, d.Key.Line))
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("DuplicateKeys = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestDuplicateKeysAllocatesNothingWithoutOne: every object of a kind
// kiln cannot check otherwise is walked on every render.
func TestDuplicateKeysAllocatesNothingWithoutOne(t *testing.T) {
	var n kyaml.Node
	if err := kyaml.Unmarshal([]byte("a: 1\nb: {c: 2, d: [{e: 1}, {e: 2}, {f: [1, 2]}]}\n"), &n); err != nil {
		t.Fatal(err)
	}
	if allocs := testing.AllocsPerRun(100, func() { DuplicateKeys(&n) }); allocs > 0 {
		t.Errorf("DuplicateKeys allocated %v times per run", allocs)
	}
}
