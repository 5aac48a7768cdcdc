package render

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A lock written before registries were lower-cased keys its images by
// the registry as CI spelled it; its apps' images now parse to the lower
// case repository. RanImages must still find the image the app ran, or
// kiln promote --from passes it on to no env.
func TestRanImagesOfALockWithAnUpperCaseRegistry(t *testing.T) {
	t.Parallel()
	lock := &Lock{Images: map[string]string{"GHCR.IO/acme/app": "GHCR.IO/acme/app:2"},
		Apps: map[string]LockApp{"app": {Images: []string{"GHCR.IO/acme/app:2"}}}}
	if diff := cmp.Diff(map[string]string{"ghcr.io/acme/app": "GHCR.IO/acme/app:2"}, RanImages(lock)); diff != "" {
		t.Errorf("RanImages (-want +got):\n%s", diff)
	}
}
