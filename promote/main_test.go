package promote

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
