package jsonnet

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/limits"
)

// TestFlattenErrorField: an error about a value of the output names its
// JSON path as the field too, which the redactor treats as a path (a
// Secret's value that is a name, "secret", masked
// "sealed-secrets-controller.json" in the message alone).
func TestFlattenErrorField(t *testing.T) {
	t.Parallel()
	out := []byte(`{"sealed-secrets-controller.json": {"title": "x"}, "list": [1], "half": {"kind": "Service"}}`)
	_, err := flatten(out, "dashboards.jsonnet", nil, bounds{output: limits.OutputSize, nodes: limits.Nodes, objects: limits.Documents})
	var fields []string
	for _, e := range diag.Flatten(err) {
		var de *diag.Error
		if !errors.As(e, &de) {
			t.Fatalf("%v: not a diag.Error", e)
		}
		fields = append(fields, de.Field)
	}
	want := []string{`["sealed-secrets-controller.json"]`, "half", "list[0]"}
	if d := cmp.Diff(want, fields); d != "" {
		t.Errorf("fields (-want +got):\n%s", d)
	}
}
