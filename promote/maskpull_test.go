package promote

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/redact"
	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

// TestDiffMasksPullSecretInputs: k8s-gerrit's chart (testdata) builds its
// image pull Secret from values, as Helm's guide to image pull secrets
// does: the registry password is in the Secret only inside "auth", base64
// of username:password, inside the Secret's base64. The Secret is masked;
// the password in high-level/<app>/values.yaml (and helmrelease.yaml)
// beside it is masked too, on both sides of a rotation, which still shows
// as a change. The user name beside it is shown.
func TestDiffMasksPullSecretInputs(t *testing.T) {
	t.Parallel()
	const previous, next = "Pr3vious-pull-t0ken", "N3xt-pull-t0ken"
	f := newFixture(t)
	chart := map[string]string{}
	dir := filepath.Join("testdata", "charts", "gerrit-pullsecret")
	for _, name := range []string{"Chart.yaml", "values.yaml", "templates/_helpers.tpl", "templates/image-pull.secret.yaml"} {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		chart["charts/gerrit/"+name] = string(b)
	}
	kiln, err := os.ReadFile(filepath.Join(f.code, "kiln.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	chart["kiln.yaml"] = string(kiln) + "  - name: gerrit\n    namespace: gerrit\n    helm: {chart: charts/gerrit, values: [gerrit-values.yaml]}\n"
	values := func(pw string) string {
		return "images:\n  registry:\n    name: registry.example.com\n    ImagePullSecret:\n      name: pull\n      create: true\n      username: gerrit-robot\n      password: " + pw + "\n"
	}
	chart["gerrit-values.yaml"] = values(previous)
	f.commitCode(t, chart, "gerrit with a pull secret")
	out := t.TempDir()
	writeRender(t, f, f.opts(t, "dev", nil).Render, out)
	f.commitCode(t, map[string]string{"gerrit-values.yaml": values(next)}, "rotate the pull secret")

	o := f.opts(t, "dev", nil)
	res, err := Diff(context.Background(), f.pipeline(t), DiffOptions{Env: "dev", Against: out, Render: o.Render, GitEnv: gittest.Env(), WorkDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	diff := res.Unified(false)
	if found := redact.New(map[string]string{"OLD": previous, "NEW": next}).Found(diff); found != nil {
		t.Errorf("the diff shows %v:\n%s", found, diff)
	}
	// The user name beside the password is no secret: masked, a common
	// one would be masked in every high-level/ file of the env.
	for _, want := range []string{"+++ b/high-level/gerrit/values.yaml", maskedInputChange, "-  .dockerconfigjson: '" + maskBefore + "'", "username: gerrit-robot"} {
		if !strings.Contains(diff, want) {
			t.Errorf("the diff lacks %q:\n%s", want, diff)
		}
	}
}
