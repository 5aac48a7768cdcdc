package scaffold

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPlaceholders: which ${…} need a value and which are no Flux
// expression at all, as kiln's yaml engine reads them.
func TestPlaceholders(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, text          string
		wantVars, wantOther []string
	}{
		{name: "plain and defaults", text: "a: ${A}\nb: ${B:=x}\nc: ${C-x}\nd: ${D:-x}\ne: $${E}\n", wantVars: []string{"A"}},
		{name: "side by side", text: "url: ${HOST}${PATH_}\n", wantVars: []string{"HOST", "PATH_"}},
		// kubernetes/examples' vitess: ${cell^^} is Flux's upper case.
		{name: "expansions of a variable", text: "a: ${cell^^} ${#LEN} ${V/a/b} ${S:0:2}\n", wantVars: []string{"cell", "LEN", "V", "S"}},
		// akuity/kargo-simple's PromotionTask, kubernetes/examples'
		// cockroachdb and vitess: noted as variables to set before.
		{name: "another program's", text: "repo: ${{ vars.repoURL }}\nargs: ${CRARGS[*]}\nh: ${!host_var}\nopen: ${X\n",
			wantOther: []string{"${{ vars.repoURL }", "${CRARGS[*]}", "${!host_var}", "${X"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			vars, other := placeholders([]byte(tc.text))
			if d := cmp.Diff(tc.wantVars, vars); d != "" {
				t.Errorf("vars (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.wantOther, other); d != "" {
				t.Errorf("malformed (-want +got):\n%s", d)
			}
		})
	}
}
