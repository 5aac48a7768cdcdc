package envconfig

import (
	"testing"
)

// TestDuplicateEnvOneError: an environment listed twice is one error. The
// second entry was kept with an empty name, so that manifests.path
// "gives envs  and prod overlapping folders (clusters, clusters/prod)" and
// hints listed "dev, " followed by nothing.
func TestDuplicateEnvOneError(t *testing.T) {
	t.Parallel()
	_, err := Parse([]byte(`apiVersion: kiln/v1alpha1
kind: Pipeline
environments:
  - name: dev
  - name: dev
  - name: prod
    promoteFrom: staging
manifests:
  path: clusters/{env}
apps:
  - {name: web, namespace: web, yaml: deploy}
`), "kiln.yaml", t.TempDir())
	const want = `kiln.yaml:5: environment "dev" is defined twice (first at line 4)
  hint: give each environment its own name
kiln.yaml:7: promoteFrom "staging": no such environment
  hint: promoteFrom names an environment listed before this one: dev`
	if err == nil || err.Error() != want {
		t.Errorf("error =\n%v\nwant\n%s", err, want)
	}
}
