package render_test

import (
	"strings"
	"testing"
)

// TestMergeLookingValueIsWrittenPlain: a value "<<" is written `key: <<`,
// as `kustomize build` (through JSON) and `helm template` (the template's
// text) write it, whichever engine read it; kyaml's encoder wrote
// `key: !!merge <<`, because yaml.v3 tags every plain "<<" it reads as a
// merge key. The strings below are what kustomize v5.8.2 builds of the
// overlay (checked by hand with the program; refcheck has no such input).
func TestMergeLookingValueIsWrittenPlain(t *testing.T) {
	t.Parallel()
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: NAME}\ndata:\n  a: <<\n  b: \"<<\"\n  c: !!merge <<\n"
	root := writeProject(t, map[string]string{
		"kiln.yaml": `apiVersion: kiln/v1alpha1
kind: Pipeline
environments: [{name: dev}]
kubeVersion: "1.33.0"
manifests: {repo: https://github.com/acme/manifests.git, branch: main, path: "clusters/{env}"}
flux: {sourceRef: {kind: GitRepository, name: flux-system}}
apps:
  - {name: k, namespace: ns, kustomize: k}
  - {name: y, namespace: ns, yaml: y}
  - {name: h, namespace: ns, helm: {chart: h}}
`,
		"k/kustomization.yaml": "resources: [cm.yaml]\n",
		"k/cm.yaml":            strings.ReplaceAll(cm, "NAME", "k"),
		"y/cm.yaml":            strings.ReplaceAll(cm, "NAME", "y"),
		"h/Chart.yaml":         "apiVersion: v2\nname: h\nversion: 0.1.0\n",
		"h/templates/cm.yaml":  strings.ReplaceAll(cm, "NAME", "h"),
		"envs/dev.yaml":        "{}\n",
	})
	er := renderOne(t, root)
	if er.Err != nil {
		t.Fatal(er.Err)
	}
	for file, want := range map[string]string{
		// kustomize build writes every one plain, its style lost in JSON.
		"apps/k/configmap_k.yaml": "data:\n  a: <<\n  b: <<\n  c: <<\n",
		// The other engines keep the document's own style.
		"apps/y/configmap_y.yaml": "data:\n  a: <<\n  b: \"<<\"\n  c: <<\n",
		"apps/h/configmap_h.yaml": "data:\n  a: <<\n  b: \"<<\"\n  c: <<\n",
	} {
		got := string(er.Files[file])
		if !strings.Contains(got, want) || strings.Contains(got, "!!") {
			t.Errorf("%s:\n%s\nwant it to hold\n%s", file, got, want)
		}
	}
}
