package apirules

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
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

// TestOffGatesAreAPIGates: a gate off by default in every release is
// not also on from one (gateDefaults), and k8s.io/api, of the version
// go.mod pins, still marks a field with it (+featureGate=): a gate that
// graduated or was misspelt is caught when go.mod moves.
func TestOffGatesAreAPIGates(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "k8s.io/api").Output()
	if err != nil {
		t.Fatalf("go list -m k8s.io/api: %v", err)
	}
	files, err := filepath.Glob(filepath.Join(strings.TrimSpace(string(out)), "*", "*", "types.go"))
	if err != nil || len(files) < 20 {
		t.Fatalf("found %d types.go files: %v", len(files), err)
	}
	marked := map[string]bool{}
	marker := regexp.MustCompile(`\+featureGate=([\w,]+)`)
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range marker.FindAllSubmatch(src, -1) {
			for _, g := range strings.Split(string(m[1]), ",") {
				marked[g] = true
			}
		}
	}
	for gate, stage := range offGates {
		if _, on := gateDefaults[gate]; on {
			t.Errorf("%s is in both offGates and gateDefaults", gate)
		}
		if !marked[gate] {
			t.Errorf("no field of k8s.io/api is marked +featureGate=%s", gate)
		}
		if GateOn(gate, nil) || GateOff(gate) != stage || stage == "" {
			t.Errorf("%s: GateOn %v, GateOff %q; want false, %q", gate, GateOn(gate, nil), GateOff(gate), stage)
		}
	}
}
