package render

import (
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/diag"
)

// crossEnvProject is two envs whose apps depend on each other's
// Kustomizations one way: dev's web on staging's db.
func crossEnvProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\n  - name: staging\n" +
			"flux: {name: \"{app}-{env}\"}\napps:\n" +
			"  - name: web\n    namespace: ns\n    yaml: apps/web\n" +
			"  - name: db\n    namespace: ns\n    yaml: apps/db\n",
		"envs/dev.yaml":     "apps:\n  web:\n    dependsOn: [flux-system/db-staging]\n",
		"envs/staging.yaml": "",
		"apps/web/cm.yaml":  "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\n",
		"apps/db/cm.yaml":   "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: db}\n",
	}
	for rel, content := range files {
		writeRootFile(t, dir, rel, content)
	}
	return dir
}

// TestCrossEnvCycleInCachedEnv: dev's inputs do not change when staging's
// env file closes a cycle through dev, so dev's whole-env cache entry
// still matches; rendering dev alone must report the cycle all the same,
// as must Graph, which renders nothing.
func TestCrossEnvCycleInCachedEnv(t *testing.T) {
	root := crossEnvProject(t)
	opts := cachedOptions(t)
	for i := range 2 {
		if er := renderRootEnvs(t, root, opts, []string{"dev"})["dev"]; er.Err != nil {
			t.Fatalf("render %d: a one-way dependency across envs is refused: %v", i, er.Err)
		} else if i == 1 && !er.Cached {
			t.Fatal("dev is not served from the cache: the test tests nothing")
		}
	}
	writeRootFile(t, root, "envs/staging.yaml", "apps:\n  db:\n    dependsOn: [flux-system/web-dev]\n")
	want := "envs/dev.yaml:3: app web: dependency cycle across envs: db in staging -> web in dev -> db in staging"
	er := renderRootEnvs(t, root, opts, []string{"dev"})["dev"]
	if er.Err == nil || !strings.Contains(er.Err.Error(), want) {
		t.Fatalf("dev rendered alone from the cache: got %v, want an error with %q", er.Err, want)
	}
	if er.Cached {
		t.Error("an env with a cycle across envs is reported as served from the cache")
	}
	r := newRenderer(t, root, opts)
	defer r.Close()
	for env, want := range map[string]string{"dev": want, "staging": "envs/staging.yaml:3: app db: dependency cycle across envs"} {
		_, err := r.Graph(env)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("graph of %s: got %v, want an error with %q", env, err, want)
		}
		if n := len(diag.Flatten(err)); n != 1 {
			t.Errorf("graph of %s: %d errors, want 1", env, n)
		}
	}
}

// TestSharedKustomizationNameAcrossEnvs: with flux.name "{app}-{env}",
// app a-b of env c and app a of env b-c both get Kustomization
// flux-system/a-b-c, which on a cluster the envs share two flux/ folders
// would apply in turn. Rendering one env alone (served from the cache the
// second time) warns of it too, and an unambiguous flux.name does not.
func TestSharedKustomizationNameAcrossEnvs(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: c\n  - name: b-c\n" +
			"flux:\n  name: \"{app}-{env}\"\napps:\n" +
			"  - name: a-b\n    namespace: ns\n    yaml: apps/ab\n" +
			"  - name: a\n    namespace: ns\n    yaml: apps/a\n",
		"envs/c.yaml":     "",
		"envs/b-c.yaml":   "",
		"apps/ab/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ab}\n",
		"apps/a/cm.yaml":  "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
	}
	for rel, content := range files {
		writeRootFile(t, dir, rel, content)
	}
	want := `kiln.yaml:7: flux.name "{app}-{env}" names the Kustomizations of app a-b of env c and app a of env b-c alike, flux-system/a-b-c`
	opts := cachedOptions(t)
	for i := range 2 {
		er := renderRootEnvs(t, dir, opts, []string{"c"})["c"]
		if er.Err != nil {
			t.Fatal(er.Err)
		}
		if i == 1 && !er.Cached {
			t.Fatal("c is not served from the cache: the test tests half")
		}
		var got []string
		for _, w := range er.Warnings {
			if strings.Contains(w.String(), "flux.name") {
				got = append(got, w.String())
			}
		}
		if len(got) != 1 || !strings.Contains(got[0], want) {
			t.Fatalf("render %d: flux.name warnings %q, want one with %q", i, got, want)
		}
	}
	writeRootFile(t, dir, "kiln.yaml", strings.Replace(files["kiln.yaml"], "{app}-{env}", "{env}.{app}", 1))
	for _, er := range renderRootEnvs(t, dir, opts, nil) {
		for _, w := range er.Warnings {
			if strings.Contains(w.String(), "names the Kustomizations") {
				t.Errorf("env %s: %s", er.Env, w)
			}
		}
	}
}

// TestCrossEnvDependencyDisabled: dev's web depends on staging's db
// Kustomization, db-staging, which staging's file then disables: Flux
// would never find it and never apply web again. Rendering dev alone,
// whose own inputs did not change and whose cache entry still matches,
// and its graph, both refuse it at the entry.
func TestCrossEnvDependencyDisabled(t *testing.T) {
	root := crossEnvProject(t)
	opts := cachedOptions(t)
	for i := range 2 {
		if er := renderRootEnvs(t, root, opts, []string{"dev"})["dev"]; er.Err != nil {
			t.Fatalf("render %d: %v", i, er.Err)
		} else if i == 1 && !er.Cached {
			t.Fatal("dev is not served from the cache: the test tests half")
		}
	}
	writeRootFile(t, root, "envs/staging.yaml", "apps:\n  db:\n    enabled: false\n")
	want := `envs/dev.yaml:3: app web: dependsOn "flux-system/db-staging" names the Kustomization kiln writes for app db of env staging, which env staging disables`
	er := renderRootEnvs(t, root, opts, []string{"dev"})["dev"]
	if er.Err == nil || !strings.Contains(er.Err.Error(), want) {
		t.Fatalf("dev: got %v, want an error with %q", er.Err, want)
	}
	r := newRenderer(t, root, opts)
	defer r.Close()
	if _, err := r.Graph("dev"); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("graph of dev: got %v, want an error with %q", err, want)
	}
	if _, err := r.Graph("staging"); err != nil {
		t.Errorf("graph of staging, which depends on nothing: %v", err)
	}
}
