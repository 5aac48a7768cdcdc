// Package apilevel says which versions of Kubernetes' built-in kinds an
// API server serves without its operator turning them on: the rule that
// Helm's .Capabilities.APIVersions (templates/helm) and validation's
// warning about APIs off by default (render/internal/validate) share, so
// that what a chart is told a cluster serves and what kiln warns it does
// not never disagree.
package apilevel

import (
	"regexp"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Level is a version's stability.
type Level int

const (
	Stable Level = iota // v1, v2
	Beta                // v1beta1
	Alpha               // v1alpha1, and anything else
)

var (
	stableVersion = regexp.MustCompile(`^v[0-9]+$`)
	betaVersion   = regexp.MustCompile(`^v[0-9]+beta[0-9]+$`)
)

// Of returns the level of a version.
func Of(version string) Level {
	switch {
	case stableVersion.MatchString(version):
		return Stable
	case betaVersion.MatchString(version):
		return Beta
	}
	return Alpha
}

// firstOffBeta is the minor from which Kubernetes turns no new beta API on
// by default (KEP-3136, 1.24).
const firstOffBeta = 24

// flowcontrolV1beta3 is the one beta group version introduced from 1.24
// that kube-apiserver turned on by default (its
// legacyBetaEnabledByDefaultResources, 1.26 to 1.31).
var flowcontrolV1beta3 = schema.GroupVersion{Group: "flowcontrol.apiserver.k8s.io", Version: "v1beta3"}

// OnByDefault reports whether an API server serves gv, a built-in group
// version introduced in 1.introduced, without being asked to (once it is
// introduced and until it is removed, which the caller checks): stable
// versions, and betas from before 1.24, are on; alpha versions, and
// betas from 1.24, are off. kube-apiserver's own lists
// (pkg/controlplane/instance.go, 1.24 to 1.37) agree.
func OnByDefault(gv schema.GroupVersion, introduced int) bool {
	switch Of(gv.Version) {
	case Stable:
		return true
	case Beta:
		return introduced < firstOffBeta || gv == flowcontrolV1beta3
	}
	return false
}
