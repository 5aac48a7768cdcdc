//go:build refcheck

package refcheck

import (
	"os"
	"testing"

	"github.com/kiln-gitops/kiln/internal/testenv"
	"github.com/kiln-gitops/kiln/render"
)

// TestMain lets this test binary serve as the sandbox worker its
// Renderers start for Helm and Jsonnet.
func TestMain(m *testing.M) {
	testenv.ServePlainWorker()
	render.Serve()
	os.Exit(testenv.Run(m))
}

// openCRD is a namespaced CRD of group, kind and plural serving v1 with a
// schema that takes any field: for tests about charts and overlays, not
// about validation.
func openCRD(group, kind, plural string) string {
	return "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: " + plural + "." + group + "\n" +
		"spec:\n  group: " + group + "\n  names: {kind: " + kind + ", plural: " + plural + ", listKind: " + kind + "List}\n  scope: Namespaced\n" +
		"  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}\n"
}
