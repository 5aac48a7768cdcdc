package promote

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFailedDeps(t *testing.T) {
	t.Parallel()
	// worker → vote → redis (failed); worker → db (failed); result → db;
	// a cycle between x and y must not loop.
	deps := map[string][]string{
		"worker": {"db", "vote"},
		"vote":   {"redis"},
		"result": {"db"},
		"x":      {"y"},
		"y":      {"x", "redis"},
	}
	failed := map[string]bool{"redis": true, "db": true}
	for app, want := range map[string][]string{
		"worker": {"db", "redis"},
		"vote":   {"redis"},
		"result": {"db"},
		"x":      {"redis"},
		"lone":   nil,
	} {
		if diff := cmp.Diff(want, failedDeps(app, deps, failed)); diff != "" {
			t.Errorf("failedDeps(%s) (-want +got):\n%s", app, diff)
		}
	}
}
