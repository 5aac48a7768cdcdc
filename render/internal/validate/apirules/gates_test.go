package apirules

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// TestGateNamesKnown: every gate the rules ask about (checker.on) is in
// the table, so that no rule panics on a misspelt name when an object
// reaches it.
func TestGateNamesKnown(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	use := regexp.MustCompile(`\bc\.on\("(\w+)"\)`)
	n := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range use.FindAllStringSubmatch(string(src), -1) {
			n++
			if _, ok := gateDefaults[m[1]]; !ok {
				t.Errorf("%s: gate %q is not in gateDefaults", f, m[1])
			}
		}
	}
	if n < 30 {
		t.Errorf("found %d uses of checker.on, want at least 30: has the call changed its form?", n)
	}
}
