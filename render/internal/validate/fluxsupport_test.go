package validate

import (
	"strings"
	"testing"
)

// fluxReleases records, per Flux release, the API module versions of its
// controllers (flux2's manifests/bases/*/kustomization.yaml at that tag)
// and the oldest Kubernetes it supports (kubernetesConstraints in flux2's
// cmd/flux/check.go at that tag), read from
// github.com/fluxcd/flux2/v2@v2.9.5 on the Go module proxy.
var fluxReleases = map[string]struct {
	modules map[string]string
	minKube string
}{
	"v2.9.5": {
		modules: map[string]string{
			"github.com/fluxcd/kustomize-controller/api":    "v1.9.5",
			"github.com/fluxcd/helm-controller/api":         "v1.6.4",
			"github.com/fluxcd/source-controller/api":       "v1.9.5",
			"github.com/fluxcd/notification-controller/api": "v1.9.4",
			"github.com/fluxcd/source-watcher/api/v2":       "v2.2.4",
			// Not in go.mod (fluxcrds/README.md): TestFluxCRDsMatchGoMod
			// holds fluxcrds/versions.txt to these.
			"github.com/fluxcd/image-reflector-controller/api":  "v1.2.5",
			"github.com/fluxcd/image-automation-controller/api": "v1.2.5",
		},
		minKube: ">=1.33.0-0",
	},
}

// TestFluxMinKubeMatchesGoMod fails when go.mod pins the controllers of a
// Flux release other than fluxRelease: the oldest Kubernetes kiln warns
// about must be that of the release the cluster runs kiln's objects on.
func TestFluxMinKubeMatchesGoMod(t *testing.T) {
	t.Parallel()
	rel, ok := fluxReleases[fluxRelease]
	if !ok {
		t.Fatalf("fluxRelease %s is not in fluxReleases: add its controllers (flux2's manifests/bases) and its kubernetesConstraints (cmd/flux/check.go)", fluxRelease)
	}
	mods := goModVersions(t)
	for mod, ver := range rel.modules {
		if !imageModules[mod] && mods[mod] != ver {
			t.Errorf("go.mod has %s %s, Flux %s has %s: set fluxRelease and fluxMinKube to the release whose manifests/bases name go.mod's controllers, and add it to fluxReleases", mod, mods[mod], fluxRelease, ver)
		}
	}
	if want := ">=" + fluxMinKube + ".0-0"; rel.minKube != want {
		t.Errorf("Flux %s's kubernetesConstraints is %q, fluxMinKube says %q", fluxRelease, rel.minKube, want)
	}
}

func TestFluxSupport(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, kube, want string
	}{
		{name: "one minor older", kube: "1.32.9", want: `kubeVersion "1.32.9" is older than Kubernetes 1.33, the oldest that Flux v2.9.5 supports`},
		{name: "with v, no patch", kube: "v1.31", want: `kubeVersion "v1.31" is older than Kubernetes 1.33`},
		{name: "much older", kube: "1.19.0", want: `older than Kubernetes 1.33`},
		{name: "the minimum", kube: "1.33.0"},
		{name: "a pre-release of the minimum", kube: "1.33.0-rc.1"},
		{name: "newer", kube: "1.37.0"},
		{name: "not a version", kube: "latest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			msg, hint := FluxSupport(tc.kube)
			if tc.want == "" {
				if msg != "" || hint != "" {
					t.Errorf("FluxSupport(%q) = %q, %q; want nothing", tc.kube, msg, hint)
				}
				return
			}
			if !strings.Contains(msg, tc.want) {
				t.Errorf("FluxSupport(%q) = %q; want it to hold %q", tc.kube, msg, tc.want)
			}
			if !strings.Contains(hint, "Kubernetes 1.33 or later") {
				t.Errorf("FluxSupport(%q) hint = %q; want the version to use", tc.kube, hint)
			}
		})
	}
}
