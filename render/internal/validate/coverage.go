package validate

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/version"
)

// Coverage says what validation cannot tell for a kubeVersion outside the
// releases kiln's API data describes: "" inside them. Before 1.24 the
// tables of fields each release added (added.go), of CEL environments and
// of gated fields end, so an API server of such a release may refuse
// what kiln passes; after the pinned k8s.io/api's release (apiRelease),
// what later releases stop serving, add or refuse is unknown. kiln checks
// such a version as best it can rather than refusing it (the API server
// of an older cluster refuses fewer fields than it lets through, and a
// kiln older than the cluster is the usual case of the second), so this
// is a warning; hint says what to do.
func Coverage(kubeVersion string) (msg, hint string) {
	v, err := version.ParseGeneric(kubeVersion)
	if err != nil || v.Major() != 1 {
		return "", ""
	}
	newest := version.MustParseGeneric(apiRelease)
	switch {
	case v.Minor() < addedBase:
		return fmt.Sprintf("kubeVersion %q is older than Kubernetes 1.%d, the oldest release kiln's API data describes: "+
				"a field or API that 1.%d has and 1.%d has not passes validation, and Flux's apply of it fails", kubeVersion, addedBase, addedBase, v.Minor()),
			fmt.Sprintf("set kubeVersion to the cluster's version; for a cluster older than 1.%d, check the output with kubectl apply --dry-run=server against it", addedBase)
	case v.Minor() > newest.Minor():
		return fmt.Sprintf("kubeVersion %q is newer than Kubernetes %s, the release of the API data this kiln embeds: "+
				"what releases after %s stop serving, add or refuse is not checked", kubeVersion, apiRelease, apiRelease),
			"use a kiln built for that Kubernetes release, or set kubeVersion to the cluster's version"
	}
	return "", ""
}

// fluxRelease is the Flux release whose controllers serve the API
// modules go.mod pins (fluxcrds/versions.txt, fluxcrds/README.md), and
// fluxMinKube the oldest Kubernetes release it supports: the
// kubernetesConstraints of flux2's cmd/flux/check.go at that tag
// (">=1.33.0-0"), which `flux check --pre` enforces before an install.
// TestFluxMinKubeMatchesGoMod fails when go.mod moves to the controllers
// of another release without them.
const (
	fluxRelease = "v2.9.5"
	fluxMinKube = "1.33"
)

// FluxSupport says, for a kubeVersion older than the oldest Kubernetes
// the pinned Flux release supports, that the Flux whose objects kiln
// writes and checks does not support that cluster: "" otherwise. On such
// a cluster `flux check --pre` fails, and a user who runs an older Flux
// there gets objects checked against CRDs that cluster does not have. A
// warning, like Coverage: kubeVersion may lag the cluster.
func FluxSupport(kubeVersion string) (msg, hint string) {
	v, err := version.ParseGeneric(kubeVersion)
	if err != nil || v.Major() != 1 {
		return "", ""
	}
	minKube := version.MustParseGeneric(fluxMinKube)
	if v.Minor() >= minKube.Minor() {
		return "", ""
	}
	return fmt.Sprintf("kubeVersion %q is older than Kubernetes %s, the oldest that Flux %s supports (the release whose controllers kiln writes the Flux objects for and checks them against): "+
			"flux check --pre fails on such a cluster, and an older Flux running there may refuse fields kiln writes", kubeVersion, fluxMinKube, fluxRelease),
		fmt.Sprintf("set kubeVersion to the cluster's version if it runs Kubernetes %s or later; otherwise upgrade the cluster to %s or later before installing Flux %s", fluxMinKube, fluxMinKube, fluxRelease)
}
