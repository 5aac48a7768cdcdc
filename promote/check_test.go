package promote

import (
	"testing"

	"github.com/kiln-gitops/kiln/envconfig"
)

// TestCheck: kiln validate refuses what kiln promote would refuse in
// kiln.yaml before rendering, for pipelines that promote at all.
func TestCheck(t *testing.T) {
	t.Parallel()
	const head = "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - {name: dev, mode: push}\n  - {name: prod}\n"
	const apps = "apps:\n  - {name: web, namespace: shop, yaml: apps/web}\n"
	for _, tc := range []struct {
		name, manifests, env, want string
	}{
		{name: "push env without github", manifests: "manifests: {repo: ../manifests.git}\n", env: "dev"},
		{name: "pr env without github", manifests: "manifests: {repo: ../manifests.git}\n", env: "prod",
			want: "kiln.yaml:5: env prod opens pull requests (mode: pr, the default), but manifests.github is not set, so kiln cannot reach the manifests repository on GitHub\n" +
				"  hint: set manifests.github: owner/name (it is inferred only from a github.com manifests.repo), or give env prod mode: push"},
		{name: "pr env, github inferred", manifests: "manifests: {repo: https://github.com/acme/manifests.git}\n", env: "prod"},
		{name: "pr env, github set", manifests: "manifests: {repo: ../manifests.git, github: acme/manifests}\n", env: "prod"},
		{name: "no manifests repository: nothing to promote", env: "prod"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := envconfig.Parse([]byte(head+tc.manifests+apps), "kiln.yaml", t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if err := Check(p, tc.env); err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("Check = %q, want %q", got, tc.want)
			}
		})
	}
}
