package validate

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/version"
	kubeversion "k8s.io/apimachinery/pkg/version"

	"github.com/kiln-gitops/kiln/internal/apilevel"
)

// The prerelease-lifecycle methods k8s.io/api generates on beta and alpha
// types (zz_generated.prerelease-lifecycle.go). The API server itself uses
// them to stop serving a removed version (k8s.io/apiserver's
// server/deleted_kinds.go), so they are the data the cluster decides by,
// not a list kept by hand.
type (
	lifecycleIntroduced interface {
		APILifecycleIntroduced() (major, minor int)
	}
	lifecycleRemoved interface {
		APILifecycleRemoved() (major, minor int)
	}
	lifecycleReplacement interface {
		APILifecycleReplacement() schema.GroupVersionKind
	}
)

// removedBeforeAPI lists the built-in kinds that k8s.io/api no longer
// defines (or never did), so that their lifecycle data is gone; from the
// Kubernetes deprecated API migration guide
// (https://kubernetes.io/docs/reference/using-api/deprecation-guide/), the
// source Fairwinds' pluto and kubent also use. Any other version of a
// built-in group that k8s.io/api does not define is refused as unknown.
// Before its removal such a kind is served, and passes unchecked: kiln has
// no Go type or schema for its fields.
// The releases that deprecated them are those of their prerelease-lifecycle
// markers when k8s.io/api still had them.
var removedBeforeAPI = map[schema.GroupVersionKind]removal{
	{Group: "policy", Version: "v1beta1", Kind: "PodSecurityPolicy"}:            {1, 25, schema.GroupVersionKind{}, 21},
	{Group: "extensions", Version: "v1beta1", Kind: "PodSecurityPolicy"}:        {1, 16, schema.GroupVersionKind{}, 11},
	{Group: "autoscaling", Version: "v2beta1", Kind: "HorizontalPodAutoscaler"}: {1, 25, schema.GroupVersionKind{Group: "autoscaling", Version: "v2", Kind: "HorizontalPodAutoscaler"}, 22},
	{Group: "autoscaling", Version: "v2beta2", Kind: "HorizontalPodAutoscaler"}: {1, 26, schema.GroupVersionKind{Group: "autoscaling", Version: "v2", Kind: "HorizontalPodAutoscaler"}, 23},
	// Of the aggregation layer (k8s.io/kube-aggregator), which k8s.io/api
	// never had: prometheus-adapter's chart rendered it under `helm
	// template` until kiln listed apiregistration.k8s.io/v1 in
	// .Capabilities.APIVersions, and Flux's apply would fail on it.
	{Group: "apiregistration.k8s.io", Version: "v1beta1", Kind: "APIService"}: {1, 22, schema.GroupVersionKind{Group: "apiregistration.k8s.io", Version: "v1", Kind: "APIService"}, 19},
}

// removal is when a kind stopped being served (major.minor), what
// replaces it (empty for nothing) and the 1.x release that deprecated it.
// It answers the prerelease-lifecycle methods, as the kind's Go type did.
type removal struct {
	major, minor int
	use          schema.GroupVersionKind
	deprecated   int
}

func (r removal) APILifecycleDeprecated() (major, minor int)       { return 1, r.deprecated }
func (r removal) APILifecycleRemoved() (major, minor int)          { return r.major, r.minor }
func (r removal) APILifecycleReplacement() schema.GroupVersionKind { return r.use }

// servedError says why the Kubernetes version kube does not serve gvk
// (typed is its Go type, nil when k8s.io/api has none), "" when it does.
func servedError(kube *version.Version, gvk schema.GroupVersionKind, typed runtime.Object) (msg, hint string) {
	if kube == nil {
		return "", ""
	}
	at := func(major, minor int) *version.Version {
		return version.MajorMinor(uint(major), uint(minor))
	}
	var r removal
	switch {
	case typed == nil:
		var ok bool
		if r, ok = removedBeforeAPI[gvk]; !ok {
			return "", ""
		}
	default:
		rm, ok := typed.(lifecycleRemoved)
		if !ok {
			break
		}
		r.major, r.minor = rm.APILifecycleRemoved()
		if rp, ok := typed.(lifecycleReplacement); ok {
			r.use = rp.APILifecycleReplacement()
		} else {
			r.use = successor(kube, gvk)
		}
	}
	if r.major > 0 && kube.AtLeast(at(r.major, r.minor)) {
		msg = fmt.Sprintf("%s %s is not served by Kubernetes %d.%d (kubeVersion): it was removed in %d.%d",
			gvk.GroupVersion(), gvk.Kind, kube.Major(), kube.Minor(), r.major, r.minor)
		hint = "this kind has no replacement; remove the object"
		if use := replacementAt(kube, r.use); !use.Empty() {
			hint = fmt.Sprintf("use apiVersion %s kind %s, and check the object against that version's fields", use.GroupVersion(), use.Kind)
		}
		return msg, hint
	}
	if in, ok := typed.(lifecycleIntroduced); ok {
		major, minor := in.APILifecycleIntroduced()
		if !kube.AtLeast(at(major, minor)) {
			return fmt.Sprintf("%s %s is not served by Kubernetes %d.%d (kubeVersion): it was introduced in %d.%d",
					gvk.GroupVersion(), gvk.Kind, kube.Major(), kube.Minor(), major, minor),
				"raise kubeVersion in kiln.yaml to the cluster's version, or use a version of the kind that cluster serves"
		}
	}
	return "", ""
}

// builtinGroup reports whether group is one of Kubernetes' own API groups
// (client-go's scheme knows a version of it): a version k8s.io/api does
// not define for a kind of such a group is not served by any cluster kiln
// can target.
func builtinGroup(group string) bool {
	for gv := range groupVersions {
		if gv.Group == group {
			return true
		}
	}
	return false
}

// lifecycleDeprecated is the prerelease-lifecycle method that says in
// which release a built-in version was deprecated.
type lifecycleDeprecated interface {
	APILifecycleDeprecated() (major, minor int)
}

// Deprecated says why an object of apiVersion and kind draws the API
// server's deprecation warning ("" when it does not): a version its CRD
// marks deprecated (with the CRD's deprecationWarning, or the API
// server's default text), or a built-in version deprecated in
// kubeVersion or before. kubectl prints such a warning; Flux applies the
// object without a word, until a release stops serving the version.
func (e *Env) Deprecated(apiVersion, kind string) (msg, hint string) {
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return "", ""
	}
	if ref := e.ref(gv.Group, kind); ref != nil {
		w, ok := ref.lifecycle.deprecated[gv.Version]
		if !ok {
			return "", ""
		}
		if w == "" {
			// The API server's own text (apiextensions-apiserver).
			w = fmt.Sprintf("%s %s is deprecated", apiVersion, kind)
		}
		hint = "move the object to a version the CustomResourceDefinition does not deprecate"
		if s := ref.lifecycle.storage; s != "" {
			if _, dep := ref.lifecycle.deprecated[s]; !dep {
				hint = fmt.Sprintf("use apiVersion %s/%s, the version the CustomResourceDefinition stores, and check the object against its fields", gv.Group, s)
			}
		}
		return w, hint
	}
	if e.kube == nil {
		return "", ""
	}
	gvk := gv.WithKind(kind)
	var typed any
	if t := newTyped(gvk); t != nil {
		if m, _ := unstored(gvk); m != "" {
			return "", "" // no version can be applied: validation's error says so
		}
		typed = t
	} else if r, ok := removedBeforeAPI[gvk]; ok {
		typed = r // k8s.io/api no longer has the type and its markers
	}
	d, ok := typed.(lifecycleDeprecated)
	if !ok {
		return "", ""
	}

	major, minor := d.APILifecycleDeprecated()
	if major == 0 || !e.kube.AtLeast(version.MajorMinor(uint(major), uint(minor))) {
		return "", ""
	}
	msg = fmt.Sprintf("%s %s is deprecated since Kubernetes %d.%d", apiVersion, kind, major, minor)
	if rm, ok := typed.(lifecycleRemoved); ok {
		if rmaj, rmin := rm.APILifecycleRemoved(); rmaj > 0 {
			if e.kube.AtLeast(version.MajorMinor(uint(rmaj), uint(rmin))) {
				return "", "" // not served at all: validation's error says so
			}
			msg += fmt.Sprintf(" and is not served from %d.%d", rmaj, rmin)
		}
	}
	hint = "move the object to a version that is not deprecated before the cluster is upgraded"
	if r, ok := typed.(removal); ok && r.use.Empty() {
		hint = "this kind has no replacement; remove the object before the cluster is upgraded"
	}
	use := successor(e.kube, gvk)
	if rp, ok := typed.(lifecycleReplacement); ok {
		use = replacementAt(e.kube, rp.APILifecycleReplacement())
	}
	if !use.Empty() {
		hint = fmt.Sprintf("use apiVersion %s kind %s before the cluster is upgraded, and check the object against that version's fields", use.GroupVersion(), use.Kind)
	}
	return msg, hint
}

// successor is the version of gvk's kind, in gvk's group, to move an
// object of a removed or deprecated built-in version to, when the
// version's lifecycle names no replacement: k8s.io/api leaves that marker
// out of some whose kind lives on (admissionregistration.k8s.io's
// v1alpha1 and v1beta1 ValidatingAdmissionPolicy, stable from 1.30;
// resource.k8s.io's betas of DRA, stable from 1.34), and without it the
// hint told users to delete an admission policy that v1 serves. The
// newest version kube serves and does not deprecate (v1 before v1beta2
// before v1alpha3), else the newest it serves; empty when it serves none.
func successor(kube *version.Version, gvk schema.GroupVersionKind) schema.GroupVersionKind {
	if kube == nil {
		return schema.GroupVersionKind{}
	}
	var best schema.GroupVersionKind
	bestDeprecated := true
	for gv := range groupVersions {
		if gv.Group != gvk.Group || gv.Version == gvk.Version {
			continue
		}
		cand := gv.WithKind(gvk.Kind)
		typed := newTyped(cand)
		if typed == nil || !servedAt(kube, typed) {
			continue
		}
		d, ok := typed.(lifecycleDeprecated)
		deprecated := ok && deprecatedAt(kube, d)
		switch {
		case best.Empty(), bestDeprecated && !deprecated,
			bestDeprecated == deprecated && kubeversion.CompareKubeAwareVersionStrings(cand.Version, best.Version) > 0:
			best, bestDeprecated = cand, deprecated
		}
	}
	return best
}

// maxReplacements bounds the walk along a chain of replacements: the
// longest of k8s.io/api is three (flowcontrol's v1beta1, v1beta2, v1beta3,
// v1), and a chain that came back on itself must not loop.
const maxReplacements = 8

// replacementAt follows the replacements from use, the one a version's
// lifecycle names, to the first version kube serves and does not
// deprecate, else the first it serves: each version names only its next
// one, which a later release may have removed in turn
// (flowcontrol.apiserver.k8s.io/v1beta2 names v1beta3, gone in 1.32,
// which names v1). use itself when kube serves none of the chain, or
// when kube is nil.
func replacementAt(kube *version.Version, use schema.GroupVersionKind) schema.GroupVersionKind {
	if kube == nil {
		return use
	}
	var served schema.GroupVersionKind
	seen := map[schema.GroupVersionKind]bool{}
	for gvk := use; !gvk.Empty() && !seen[gvk] && len(seen) < maxReplacements; {
		seen[gvk] = true
		var lc any
		if t := newTyped(gvk); t != nil {
			lc = t
		} else if r, ok := removedBeforeAPI[gvk]; ok {
			lc = r
		} else {
			break // no lifecycle kiln knows
		}
		if servedAt(kube, lc) {
			if d, ok := lc.(lifecycleDeprecated); !ok || !deprecatedAt(kube, d) {
				return gvk
			}
			if served.Empty() {
				served = gvk
			}
		}
		rp, ok := lc.(lifecycleReplacement)
		if !ok {
			break
		}
		gvk = rp.APILifecycleReplacement()
	}
	if !served.Empty() {
		return served
	}
	return use
}

// servedAt reports whether kube serves the version whose lifecycle is lc:
// introduced by kube, and not removed by it.
func servedAt(kube *version.Version, lc any) bool {
	if rm, ok := lc.(lifecycleRemoved); ok {
		if major, minor := rm.APILifecycleRemoved(); major > 0 && kube.AtLeast(version.MajorMinor(uint(major), uint(minor))) {
			return false
		}
	}
	if in, ok := lc.(lifecycleIntroduced); ok {
		if major, minor := in.APILifecycleIntroduced(); !kube.AtLeast(version.MajorMinor(uint(major), uint(minor))) {
			return false
		}
	}
	return true
}

// deprecatedAt reports whether kube deprecates the version of d.
func deprecatedAt(kube *version.Version, d lifecycleDeprecated) bool {
	major, minor := d.APILifecycleDeprecated()
	return major > 0 && kube.AtLeast(version.MajorMinor(uint(major), uint(minor)))
}

// OffByDefault says why the API server of kubeVersion does not serve an
// object of apiVersion and kind unless the cluster turns its API on (""
// when it serves it): an alpha version of a built-in kind, or a beta one
// introduced from 1.24. Validation counts them as served, since a cluster
// may enable them; Flux's apply fails with "no matches for kind" on one
// that does not.
func (e *Env) OffByDefault(apiVersion, kind string) (msg, hint string) {
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil || !builtinGroup(gv.Group) {
		return "", ""
	}
	typed := newTyped(gv.WithKind(kind))
	in, ok := typed.(lifecycleIntroduced)
	if !ok {
		return "", ""
	}
	if m, _ := servedError(e.kube, gv.WithKind(kind), typed); m != "" {
		return "", "" // not served at all: validation's error says so
	}
	if m, _ := unstored(gv.WithKind(kind)); m != "" {
		return "", "" // not stored: validation's error says so
	}
	if _, minor := in.APILifecycleIntroduced(); apilevel.OnByDefault(gv, minor) {
		return "", ""
	}
	level := "an alpha"
	if apilevel.Of(gv.Version) == apilevel.Beta {
		level = "a beta"
	}
	kube := e.release()
	msg = fmt.Sprintf("%s %s is %s API that %s serves only when the cluster enables it (--runtime-config=%s=true); otherwise Flux's apply fails with \"no matches for kind\"",
		apiVersion, kind, level, kube, apiVersion)
	hint = "make sure the cluster enables this API before Flux applies the object, or leave the object out"
	for _, v := range []string{"v1", "v2"} {
		gvk := schema.GroupVersionKind{Group: gv.Group, Version: v, Kind: kind}
		if t := newTyped(gvk); t != nil {
			if m, _ := servedError(e.kube, gvk, t); m == "" {
				hint = fmt.Sprintf("use apiVersion %s, which the cluster serves by default, and check the object against that version's fields", gvk.GroupVersion())
				break
			}
		}
	}
	return msg, hint
}

// release names the env's Kubernetes release in a message: "Kubernetes
// 1.32", or "the newest Kubernetes" with no kubeVersion.
func (e *Env) release() string {
	if e.kube == nil {
		return "the newest Kubernetes"
	}
	return fmt.Sprintf("Kubernetes %d.%d", e.kube.Major(), e.kube.Minor())
}
