package render_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/render"
	"github.com/kiln-gitops/kiln/templates/kustomize"
)

// TestAppWithoutPatchesLeavesKyamlSchemaUnparsed: parsing kyaml's built-in
// OpenAPI schema costs tens of milliseconds, a sixth of a one-chart render,
// and only strategic-merge patches (and Kustomize builds) need it. Whether a
// process has parsed it can only be seen in a fresh process, so the test
// runs itself again, rendering one plain app, with and without a patch.
func TestAppWithoutPatchesLeavesKyamlSchemaUnparsed(t *testing.T) {
	if mode := os.Getenv("KILN_TEST_SCHEMA_CHILD"); mode != "" {
		renderForSchemaChild(t, mode == "patched")
		return
	}
	for mode, want := range map[string]string{"plain": "unparsed", "patched": "parsed"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestAppWithoutPatchesLeavesKyamlSchemaUnparsed$", "-test.count=1", "-test.shuffle=off")
		cmd.Env = append(os.Environ(), "KILN_TEST_SCHEMA_CHILD="+mode)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", mode, err, out)
		}
		if got := string(out); !slices.Contains(strings.Split(got, "\n"), "schema "+want) {
			t.Errorf("%s app: want the schema %s, child said:\n%s", mode, want, got)
		}
	}
}

func renderForSchemaChild(t *testing.T, patched bool) {
	repo := t.TempDir()
	env := ""
	if patched {
		env = "apps:\n  web:\n    patches:\n      - patch: |\n          apiVersion: apps/v1\n          kind: Deployment\n          metadata: {name: web}\n          spec: {replicas: 2}\n"
	}
	writeFile(t, filepath.Join(repo, "kiln.yaml"), "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\nmanifests:\n  github: acme/manifests\napps:\n  - name: web\n    namespace: apps\n    yaml: apps/web\n")
	writeFile(t, filepath.Join(repo, "envs/dev.yaml"), env)
	writeFile(t, filepath.Join(repo, "apps/web/deployment.yaml"), "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: nginx}]}\n")
	opts := render.DefaultOptions()
	opts.CacheDir, opts.RenderCache = "", ""
	r, _ := mustRender(t, load(t, repo), opts, nil)
	r.Close()
	state := "unparsed"
	if kustomize.SchemaParsed() {
		state = "parsed"
	}
	os.Stdout.WriteString("\nschema " + state + "\n")
}
