package render_test

import (
	"context"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/render"
)

// TestStrictFailsEveryEnvOnRunWarnings: under Strict a warning about the
// run rather than one env (a source folder outside git, which leaves every
// lock without a source commit; kiln.yaml's own) is an error of every env,
// set before EnvDone so that no env's tree is written, and no longer a
// warning as well. It used to stay a warning: kiln render --strict outside
// git exited 0.
func TestStrictFailsEveryEnvOnRunWarnings(t *testing.T) {
	t.Parallel()
	const outside = "the folder of kiln.yaml is not in a git checkout"
	for _, c := range []struct {
		name, flux string
		provenance bool
		want       string
	}{
		{name: "provenance", provenance: true, want: outside},
		{name: "kiln.yaml", flux: "flux: {namespace: team-flux}\n", want: "flux.sourceRef is not set"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := writeProject(t, map[string]string{
				"kiln.yaml":      "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments: [{name: dev}, {name: prod}]\napps: [{name: a, namespace: shop, yaml: apps/a}]\n" + c.flux,
				"envs/dev.yaml":  "",
				"envs/prod.yaml": "",
				"apps/a/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
			})
			for _, strict := range []bool{false, true} {
				opts := checkOptions(strict)
				if c.provenance {
					opts.Provenance = func() (render.Source, []diag.Warning) {
						return render.Source{}, []diag.Warning{{Msg: outside}}
					}
				}
				written := map[string]bool{}
				opts.EnvDone = func(er *render.EnvResult) { written[er.Env] = er.Err == nil && er.Files != nil }
				r, err := render.New(load(t, dir), opts)
				if err != nil {
					t.Fatal(err)
				}
				results, err := r.Render(context.Background(), nil)
				if err != nil {
					t.Fatal(err)
				}
				for i, er := range results {
					failed := er.Err != nil && strings.Contains(er.Err.Error(), c.want)
					if failed != strict || written[er.Env] == strict {
						t.Errorf("strict %v: env %s: err %v, written %v; want it failed and not written exactly under strict", strict, er.Env, er.Err, written[er.Env])
					}
					warned := false
					for _, w := range er.Warnings {
						warned = warned || strings.Contains(w.Msg, c.want)
					}
					// Under strict each env's error says it: a warning too
					// said it twice.
					if warned != (i == 0 && !strict) {
						t.Errorf("strict %v: env %s warns %v; want the warning once, with the first env, and none under strict", strict, er.Env, warned)
					}
				}
			}
		})
	}
}
