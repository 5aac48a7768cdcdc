package render_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/render"
)

// keptRebuildProject is a helm app web and a yaml app cfg, web's values
// file vals, kiln.yaml's flux block flux; env dev's secret var is set by
// keptRebuildOptions.
func keptRebuildProject(t *testing.T, chart, vals string) (dir string, kiln func(flux string) string) {
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Chart.Name }}}\ndata: {greeting: {{ .Values.greeting | quote }}}\n"
	kiln = func(flux string) string {
		return "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\n" + flux + "apps:\n" +
			"  - name: web\n    namespace: ns\n    helm: {chart: " + chart + ", values: [vals.yaml]}\n" +
			"  - name: cfg\n    namespace: ns\n    yaml: cfg\n"
	}
	return writeProject(t, map[string]string{
		"kiln.yaml":             kiln(""),
		"envs/dev.yaml":         "secretVars:\n  DB_PASSWORD: DEV_DB_PASSWORD\n",
		"web/Chart.yaml":        "apiVersion: v2\nname: web\nversion: 0.1.0\n",
		"web/values.yaml":       "greeting: hi\n",
		"web/templates/cm.yaml": cm,
		"vals.yaml":             vals,
		"cfg/cm.yaml":           "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\n",
	}), kiln
}

// TestKeptHelmReleaseRebuiltExactly: a kept helm app's HelmRelease is made
// again from what it says when kiln.yaml's flux settings change (--app).
// A chart folder written with a trailing slash reads back as the
// ArtifactGenerator wrote it, and is made again as a full render makes it
// (a review); so is a value holding a secret whose text needed quotes,
// which the file masked since serialisation has without them.
func TestKeptHelmReleaseRebuiltExactly(t *testing.T) {
	t.Parallel()
	const secret = "S3cr3t: VALUEzz91"
	for _, tc := range []struct {
		name, chart, vals, fluxBefore, fluxAfter string
	}{
		{name: "a chart folder with a trailing slash", chart: "web/", vals: "greeting: hello\n",
			fluxBefore: "flux:\n  sourceRef: {kind: OCIRepository, name: manifests}\n"},
		{name: "a masked value the secret made quoted", chart: "web", vals: "db: {password: \"pw-" + secret + "\"}\n",
			fluxAfter: "flux:\n  interval: 7m\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir, kiln := keptRebuildProject(t, tc.chart, tc.vals)
			writeFile(t, filepath.Join(dir, "kiln.yaml"), kiln(tc.fluxBefore))
			opts := keptRebuildOptions(secret)
			tree := func() map[string][]byte {
				er := renderAll(t, load(t, dir), opts)[0]
				if er.Err != nil {
					t.Fatal(er.Err)
				}
				return er.Files
			}
			before := tree()
			writeFile(t, filepath.Join(dir, "kiln.yaml"), kiln(tc.fluxAfter))
			full := tree()
			opts.Apps = []string{"cfg"}
			opts.Earlier = func(string) (map[string][]byte, error) { return before, nil }
			if diff := cmp.Diff(asStrings(full), asStrings(tree())); diff != "" {
				t.Errorf("tree (-full render +--app cfg):\n%s", diff)
			}
		})
	}
}

func keptRebuildOptions(secret string) render.Options {
	opts := testOptions()
	opts.LookupEnv = func(string) (string, bool) { return secret, true }
	return opts
}

// TestHelmReleaseMaskedValueIsYAML: a secret var's value that is a whole
// plain value of a helm app's values was masked into high-level/'s
// helmrelease.yaml after serialisation, as **redacted**, which YAML reads
// as an alias: kiln's own check of the file failed every render of the
// app (a review). It is masked before serialisation now, quoted, and kept
// byte for byte by a render --app of another app.
func TestHelmReleaseMaskedValueIsYAML(t *testing.T) {
	t.Parallel()
	const secret = "S3cr3tVALUEzz91"
	dir, _ := keptRebuildProject(t, "web", "db: {password: "+secret+"}\n")
	opts := keptRebuildOptions(secret)
	er := renderAll(t, load(t, dir), opts)[0]
	if er.Err != nil {
		t.Fatal(er.Err)
	}
	before := er.Files
	if hr := string(before["high-level/web/helmrelease.yaml"]); !strings.Contains(hr, "password: '**redacted**'") || strings.Contains(hr, secret) {
		t.Fatalf("helmrelease.yaml does not hold the value masked and quoted:\n%s", hr)
	}
	opts.Apps = []string{"cfg"}
	opts.Earlier = func(string) (map[string][]byte, error) { return before, nil }
	er = renderAll(t, load(t, dir), opts)[0]
	if er.Err != nil {
		t.Fatal(er.Err)
	}
	for p, want := range before {
		if strings.HasPrefix(p, "high-level/") && string(er.Files[p]) != string(want) {
			t.Errorf("%s changed:\n%s", p, cmp.Diff(string(want), string(er.Files[p])))
		}
	}
}
