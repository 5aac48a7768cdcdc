package envconfig

import (
	"strings"
	"testing"
)

// TestManifestsPathSourceIgnored: a manifests.path with a folder that
// source-controller's default ignore rules drop, at any depth and whether
// the folder comes from the path or from {env}, is refused at its line;
// a folder that merely looks like one, or differs in case, is not.
func TestManifestsPathSourceIgnored(t *testing.T) {
	t.Parallel()
	parse := func(p string) error {
		_, err := Parse([]byte(`apiVersion: kiln/v1alpha1
kind: Pipeline
environments:
  - name: dev
manifests:
  path: "`+p+`"
apps:
  - {name: web, namespace: web, yaml: deploy}
`), "kiln.yaml", t.TempDir())
		return err
	}
	for p, rule := range map[string]string{
		".github/{env}":              ".github/",
		"deploy/.circleci/{env}":     ".circleci/",
		"clusters/{env}.zip":         "*.zip",
		"a/b.tar.gz/{env}":           "*.tar.gz",
		"clusters/{env}/.gitmodules": ".gitmodules",
		"x/.sops.yaml/{env}":         "**/.sops.yaml",
		"cloudbuild.yaml/{env}":      "cloudbuild.yaml",
		"ci/appveyor.yml/{env}":      "appveyor.yml",
	} {
		err := parse(p)
		if err == nil || !strings.HasPrefix(err.Error(), "kiln.yaml:6: ") || !strings.Contains(err.Error(), "its ignore rule "+rule+" matches") {
			t.Errorf("manifests.path %q: error %v, want one at kiln.yaml:6 naming %s", p, err, rule)
		}
	}
	for _, p := range []string{"clusters/{env}", "github/{env}", ".github-config/{env}", ".GitHub/{env}", "zip/{env}", "a.zip.d/{env}", ".sops/{env}"} {
		if err := parse(p); err != nil {
			t.Errorf("manifests.path %q: %v", p, err)
		}
	}
}
