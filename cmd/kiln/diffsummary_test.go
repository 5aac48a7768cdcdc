package main

import (
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/promote"
)

// TestDiffSummaryQuotesApps: an app of the summary may be a folder of the
// manifests branch's apps/ (a file kiln did not write), whose name is
// whoever pushed there's: quoted as kiln diff's headers quote a path, it
// makes no line of its own.
func TestDiffSummaryQuotesApps(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	printDiffSummary(&b, &promote.DiffResult{Env: "dev", Against: "main", Changed: true,
		Changes: []promote.FileChange{{Path: "apps/x\n::error::y/cm.yaml", Op: "removed"}},
		Apps:    map[string]promote.AppChanges{"x\n::error::y": {Removed: 1}}})
	want := "env dev: 1 file differs from main\n  \"x\\n::error::y\" +0 ~0 -1 objects\n"
	if b.String() != want {
		t.Errorf("summary:\n%q\nwant\n%q", b.String(), want)
	}
}
