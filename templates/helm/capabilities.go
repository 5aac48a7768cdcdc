package helm

import (
	"bytes"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/kiln-gitops/kiln/internal/apilevel"
)

// .Capabilities.APIVersions for a kubeVersion.
//
// `helm template` without --api-versions hands templates helm's default
// set: the group versions of client-go's scheme, and no
// "group/version/Kind" entry at all. Charts that pick an apiVersion with
//
//	{{ if .Capabilities.APIVersions.Has "policy/v1/PodDisruptionBudget" }}
//
// (traefik, velero, prometheus-pingmesh-exporter and more) then render
// policy/v1beta1, which no cluster has served since 1.25, and charts that
// test for "apiregistration.k8s.io/v1" (prometheus-adapter), a group
// client-go's scheme lacks, render apiregistration.k8s.io/v1beta1
// APIServices, not served since 1.22. Against a real cluster, helm (and Flux's
// helm-controller, which renders a HelmRelease there) reads the API
// server's discovery, which lists "group/version/Kind" for each resource
// (action.GetVersionSet), and those charts render the stable version.
//
// kiln renders for a cluster of kubeVersion, so it adds to helm's default
// set what that cluster's discovery lists and helm's set lacks, as
// `helm template --api-versions` would:
//
//   - "group/version/Kind" for each kind of a stable version (v1, v2) that
//     kubeVersion serves, and of a beta version that a cluster serves
//     without being asked to (introduced before 1.24, when Kubernetes
//     stopped turning new beta APIs on by default, or flowcontrol's
//     v1beta3, the one exception) and has not removed;
//   - apiregistration.k8s.io/v1 and its APIService (stable since 1.10).
//
// Nothing is taken out of helm's set (--api-versions only adds), so a
// chart testing a group version helm lists sees what it saw before. Kinds
// of alpha versions and of beta versions off by default (served only
// where the cluster's operator turned them on), and of
// CustomResourceDefinitions (a cluster lists those once installed), are
// not named.
//
// What kubeVersion serves is read from the prerelease-lifecycle data
// k8s.io/api generates on its types (the data the API server itself stops
// serving removed versions by): the release that introduced each version
// of a kind, stable ones included, and the release that removed it.

type lifecycleIntroduced interface {
	APILifecycleIntroduced() (major, minor int)
}

type lifecycleRemoved interface {
	APILifecycleRemoved() (major, minor int)
}

// listedAt says whether the discovery of a cluster of Kubernetes 1.minor
// lists gvk, whose Go type is obj, without its operator turning anything
// on.
func listedAt(gvk schema.GroupVersionKind, obj runtime.Object, minor int) bool {
	if rm, ok := obj.(lifecycleRemoved); ok {
		if major, m := rm.APILifecycleRemoved(); major == 1 && minor >= m {
			return false
		}
	}
	in, ok := obj.(lifecycleIntroduced)
	if !ok {
		// Older than the lifecycle data: stable kinds every release
		// serves; no beta or alpha kind lacks the data.
		return apilevel.Of(gvk.Version) == apilevel.Stable
	}
	major, m := in.APILifecycleIntroduced()
	return major == 1 && m <= minor && apilevel.OnByDefault(gvk.GroupVersion(), m)
}

// apiService is the stable version of the aggregation layer's kind, which
// client-go's scheme (and so helm's default set) does not have.
var apiService = schema.GroupVersionKind{Group: "apiregistration.k8s.io", Version: "v1", Kind: "APIService"}

var apiVersionSets sync.Map // minor → chartutil.VersionSet

// apiVersionsFor returns .Capabilities.APIVersions for a cluster of
// Kubernetes kv (see the top of this file).
func apiVersionsFor(kv *chartutil.KubeVersion) chartutil.VersionSet {
	major, _ := strconv.Atoi(strings.TrimPrefix(kv.Major, "v"))
	minor, err := strconv.Atoi(strings.TrimSuffix(kv.Minor, "+"))
	if major != 1 || err != nil {
		return chartutil.DefaultVersionSet
	}
	if vs, ok := apiVersionSets.Load(minor); ok {
		return vs.(chartutil.VersionSet)
	}
	vs := buildAPIVersions(scheme.Scheme, chartutil.DefaultVersionSet, minor)
	apiVersionSets.Store(minor, vs)
	return vs
}

// buildAPIVersions returns helm's default set base with, after it, the
// entries a cluster of Kubernetes 1.minor lists that base lacks, sorted.
func buildAPIVersions(s *runtime.Scheme, base chartutil.VersionSet, minor int) chartutil.VersionSet {
	extra := []string{apiService.GroupVersion().String(), apiService.GroupVersion().String() + "/" + apiService.Kind}
	for gvk := range s.AllKnownTypes() {
		if gvk.Version == runtime.APIVersionInternal || strings.HasSuffix(gvk.Kind, "List") {
			continue
		}
		obj, err := s.New(gvk)
		if err != nil {
			continue
		}
		if _, err := meta.Accessor(obj); err != nil {
			continue // options and events every group registers, not resources
		}
		if listedAt(gvk, obj, minor) {
			extra = append(extra, gvk.GroupVersion().String()+"/"+gvk.Kind)
		}
	}
	slices.Sort(extra)
	return withAPIVersions(base, extra)
}

// withAPIVersions is vs with extra after it, each entry once, as helm
// template's --api-versions adds them; vs itself is not changed (it may be
// a cached set shared by renders).
func withAPIVersions(vs chartutil.VersionSet, extra []string) chartutil.VersionSet {
	if len(extra) == 0 {
		return vs
	}
	out := slices.Clone(vs)
	for _, v := range extra {
		if !out.Has(v) {
			out = append(out, v)
		}
	}
	return out
}

// APIVersions returns what kiln adds to helm's default API versions for a
// cluster of kubeVersion, in the order it adds them: the --api-versions
// flags `helm template` needs to see the cluster kiln renders for. The
// refcheck tests run the helm program with them, so that a chart choosing
// its apiVersion by .Capabilities compares with what kiln renders rather
// than with what helm's default set makes of it.
func APIVersions(kubeVersion string) ([]string, error) {
	kv, err := parseKubeVersion(kubeVersion)
	if err != nil || kv == nil {
		return nil, err
	}
	var out []string
	for _, v := range apiVersionsFor(kv) {
		if !chartutil.DefaultVersionSet.Has(v) {
			out = append(out, v)
		}
	}
	return out, nil
}

// apiCheck is a test of .Capabilities.APIVersions for one API version
// written as a literal: `.Capabilities.APIVersions.Has "monitoring.coreos.com/v1"`
// ($.Capabilities too, in quotes or backquotes).
var apiCheck = regexp.MustCompile("Capabilities\\.APIVersions\\.Has\\s+(?:\"([^\"\\\\]+)\"|`([^`]+)`)")

// apiChecks lists the API versions chrt's templates and its subcharts'
// test as literals (Result.APIChecks): kiln renders for a cluster without
// the CRDs other apps of the env apply, and the render package tells the
// user when a chart's output depends on them. A version built from a
// value (printf) is not seen.
func apiChecks(chrt *chart.Chart) []string {
	var out []string
	var visit func(*chart.Chart)
	visit = func(c *chart.Chart) {
		for _, t := range c.Templates {
			if !bytes.Contains(t.Data, []byte("APIVersions")) {
				continue
			}
			for _, m := range apiCheck.FindAllSubmatch(t.Data, -1) {
				out = append(out, string(m[1])+string(m[2]))
			}
		}
		for _, d := range c.Dependencies() {
			visit(d)
		}
	}
	visit(chrt)
	slices.Sort(out)
	return slices.Compact(out)
}
