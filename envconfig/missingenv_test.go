package envconfig

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMissingEnvFileNotSilentlyEmpty: a missing envs/<env>.yaml reads as
// an empty env file, but not when something else is plainly meant to be
// it: a symbolic link whose target is gone, or the file saved as
// envs/<env>.yml. Both rendered the env with no vars and no overrides, and
// exit 0 when its apps need none (a Helm chart's defaults).
func TestMissingEnvFileNotSilentlyEmpty(t *testing.T) {
	t.Parallel()
	root := writeFiles(t, map[string]string{
		"kiln.yaml": `apiVersion: kiln/v1alpha1
kind: Pipeline
environments:
  - name: dev
  - name: prod
apps:
  - {name: web, namespace: web, yaml: deploy}
`,
		"envs/prod.yml": "apps:\n  web:\n    namespace: web-prod\n",
	})
	if err := os.Symlink("../shared/dev.yaml", filepath.Join(root, "envs", "dev.yaml")); err != nil {
		t.Skip("no symlinks:", err)
	}
	p, err := Load(filepath.Join(root, "kiln.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for env, want := range map[string]string{
		"dev":  `kiln.yaml:4: environment dev: config "envs/dev.yaml" is a symbolic link to a file that does not exist`,
		"prod": `kiln.yaml:5: environment prod: kiln reads "envs/prod.yaml", which does not exist, but "envs/prod.yml" does`,
	} {
		ef, err := p.LoadEnvFile(env)
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: LoadEnvFile = %+v, %v; want error %q", env, ef, err, want)
		}
	}
}
