package render

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

// TestKustomizationFileAsSigsYAML: kustomizationFile writes the bytes
// sigs.k8s.io/yaml wrote (what the golden trees hold), for file names
// YAML would misread unquoted too.
func TestKustomizationFileAsSigsYAML(t *testing.T) {
	t.Parallel()
	for _, resources := range [][]string{
		nil,
		{},
		{"deployment-web.yaml", "service-web.yaml"},
		{"true", "null", "0x10", "1e3", "- x", "a: b", "#c", "yes", "~", "", " lead", "trail ", "tab\there", "ünïcode-☃.yaml", "<html>&amp;", "multi\nline"},
	} {
		want, err := yaml.Marshal(map[string]any{
			"apiVersion": "kustomize.config.k8s.io/v1beta1",
			"kind":       "Kustomization",
			"resources":  resources,
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := kustomizationFile(resources)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(want), string(got)); diff != "" {
			t.Errorf("resources %q (-sigs.k8s.io/yaml +kustomizationFile):\n%s", resources, diff)
		}
	}
}
