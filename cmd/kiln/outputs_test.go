package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// stepOutputText is $GITHUB_OUTPUT holding outputs name=value, in order,
// as ghactions writes them.
func stepOutputText(kv ...string) string {
	var b strings.Builder
	for i := 0; i < len(kv); i += 2 {
		fmt.Fprintf(&b, "%s<<ghadelimiter_kiln\n%s\nghadelimiter_kiln\n", kv[i], kv[i+1])
	}
	return b.String()
}

// TestActionsOutputsOnEveryExit: a command that fails before it knows its
// outputs' values (a guard, a usage mistake, a gate) still sets every
// output docs/github-actions.md lists for it, to the values of a failure:
// a workflow's `if: steps.kiln.outputs.changed == 'false'` must fire.
// Commands that are not the action's set none.
func TestActionsOutputsOnEveryExit(t *testing.T) {
	t.Parallel()
	f := newPromoteFixture(t)
	cfg := filepath.Join(f.code, "kiln.yaml")
	if _, stderr, code := f.kiln(t, false, "promote", "--config", cfg, "--env", "dev"); code != 0 {
		t.Fatal(stderr)
	}
	// GitHub's API as staging's gate reads it: no status yet for dev's
	// commit, so the promotion waits (exit 3).
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The client adds /api/v3/ to an Enterprise URL.
		rest, ok := strings.CutPrefix(r.URL.Path, "/api/v3/repos/acme/manifests/commits/")
		sha, ok2 := strings.CutSuffix(rest, "/status")
		if !ok || !ok2 {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, `{"state":"pending","sha":%q,"total_count":0,"statuses":[]}`, sha)
	}))
	t.Cleanup(api.Close)
	f.vars["GITHUB_ACTIONS"] = "true"

	failed := stepOutputText("changed", "false", "pr-url", "", "pr-number", "", "out-dir", "")
	for _, tc := range []struct {
		name  string
		dirty bool
		args  []string
		code  int
		want  string
	}{
		{name: "guard", dirty: true, args: []string{"promote", "--config", cfg, "--env", "dev"}, code: exitFailure, want: failed},
		{name: "unknown flag", args: []string{"promote", "--config", cfg, "--bogus"}, code: exitUsage, want: failed},
		{name: "unknown env", args: []string{"promote", "--config", cfg, "--env", "prd"}, code: exitUsage, want: failed},
		{name: "gate", args: []string{"promote", "--config", cfg, "--from", "dev", "--to", "staging", "--token", "t", "--github-api", api.URL + "/"}, code: exitGate, want: failed},
		{name: "render usage", args: []string{"render", "--config", cfg, "--env", "prd"}, code: exitUsage, want: stepOutputText("changed", "false", "out-dir", "")},
		{name: "version", args: []string{"version"}},
	} {
		// In turn: the cases share the fixture's checkout.
		out := filepath.Join(t.TempDir(), "output")
		f.vars["GITHUB_OUTPUT"] = out
		if tc.dirty {
			writeFiles(t, f.code, map[string]string{"apps/web/extra.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n"})
		}
		_, stderr, code := f.kiln(t, false, tc.args...)
		if tc.dirty {
			if err := os.Remove(filepath.Join(f.code, "apps", "web", "extra.yaml")); err != nil {
				t.Fatal(err)
			}
		}
		if code != tc.code {
			t.Errorf("%s: exit %d, want %d\n%s", tc.name, code, tc.code, stderr)
		}
		got, err := os.ReadFile(out)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, string(got)); diff != "" {
			t.Errorf("%s: $GITHUB_OUTPUT (-want +got):\n%s", tc.name, diff)
		}
	}
}
