package apirules

import (
	"slices"
	"strings"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Kinds with a few rules each, from k8s.io/kubernetes v1.37
// pkg/apis/*/validation: a RuntimeClass, a Namespace's finalizers, a
// CSIDriver's token requests and modes, a Lease's numbers. Each is read
// after the API server's defaults (a CSIDriver's fsGroupPolicy and
// volumeLifecycleModes left out are filled in).

// runtimeClass checks a RuntimeClass (ValidateRuntimeClass): a handler
// that is a DNS label (the CRI handler's name in the container runtime's
// configuration, such as runsc), and scheduling constraints pods of the
// class take on: node selector labels and tolerations, each once; the
// pods' fixed overhead as a pod's (validateOverhead of pkg/apis/node,
// whose errors name overhead.limits).
func (c *checker) runtimeClass(rc *nodev1.RuntimeClass) {
	hp := field.NewPath("handler")
	const hint = "handler names the runtime's handler in the container runtime's configuration (containerd's runtimes.<handler>), a DNS label such as runsc"
	if rc.Handler == "" {
		// Left out, the schema reports it missing.
		c.add(field.Required(hp, ""), hint)
	} else {
		for _, msg := range validation.IsDNS1123Label(rc.Handler) {
			c.add(field.Invalid(hp, rc.Handler, msg), hint)
		}
	}
	if rc.Overhead != nil {
		c.overhead(rc.Overhead.PodFixed, field.NewPath("overhead", "podFixed"))
	}
	s := rc.Scheduling
	if s == nil {
		return
	}
	sp := field.NewPath("scheduling")
	for _, e := range metav1validation.ValidateLabels(s.NodeSelector, sp.Child("nodeSelector")) {
		c.add(e, labelKeyHint)
	}
	tp := sp.Child("tolerations")
	c.tolerations(s.Tolerations, tp)
	// validateTolerations (node): no two tolerations alike in key,
	// operator, value and effect.
	type key struct {
		k, v string
		op   corev1.TolerationOperator
		eff  corev1.TaintEffect
	}
	seen := map[key]bool{}
	for i, t := range s.Tolerations {
		k := key{t.Key, t.Value, t.Operator, t.Effect}
		if seen[k] {
			c.add(field.Duplicate(tp.Index(i), t), "list each toleration once")
		}
		seen[k] = true
	}
}

// standardFinalizers are the finalizer names the API server takes
// without a domain prefix (IsStandardFinalizerName).
var standardFinalizers = []string{string(corev1.FinalizerKubernetes), metav1.FinalizerOrphanDependents, metav1.FinalizerDeleteDependents}

// KubeFinalizerInvalid is what core's validateKubeFinalizerName says of a
// finalizer name it refuses.
const KubeFinalizerInvalid = "name is neither a standard finalizer name nor is it fully qualified"

// KubeFinalizerOK reports whether core's validateKubeFinalizerName takes
// name: one with a '/', or a standard one.
func KubeFinalizerOK(name string) bool {
	return strings.Contains(name, "/") || slices.Contains(standardFinalizers, name)
}

// namespaceFinalizers checks a Namespace's spec.finalizers
// (ValidateNamespace, validateFinalizerName): each a qualified name, and
// one without a '/' one of the standard names (kubernetes). The API
// server names the list, without the index.
func (c *checker) namespaceFinalizers(ns *corev1.Namespace) {
	p := field.NewPath("spec", "finalizers")
	const hint = "a finalizer is a domain-prefixed name, such as example.com/cleanup, or kubernetes (which the API server adds anyway)"
	for _, f := range ns.Spec.Finalizers {
		name := string(f)
		for _, msg := range validation.IsQualifiedName(name) {
			c.add(field.Invalid(p, name, msg), hint)
		}
		if !KubeFinalizerOK(name) {
			c.add(field.Invalid(p, name, KubeFinalizerInvalid), hint)
		}
	}
}

// csiDriverSpec checks a CSIDriver's spec (validateCSIDriverSpec) after the
// API server's defaults: token requests for distinct audiences, each
// token living 10 minutes to 2^32 seconds; an fsGroupPolicy and
// volumeLifecycleModes of the values the API server knows (the schema has
// no enum for them); from 1.35, when their gates are on by default, a
// nodeAllocatableUpdatePeriodSeconds of 10 or more and a
// serviceAccountTokenInSecrets only beside tokenRequests.
func (c *checker) csiDriverSpec(d *storagev1.CSIDriver) {
	spec := field.NewPath("spec")
	tp := spec.Child("tokenRequests")
	audiences := map[string]bool{}
	for i, tr := range d.Spec.TokenRequests {
		p := tp.Index(i)
		if audiences[tr.Audience] {
			c.add(field.Duplicate(p.Child("audience"), tr.Audience), "request one token per audience (at most one with the API server's own audience, \"\")")
			continue
		}
		audiences[tr.Audience] = true
		if e := tr.ExpirationSeconds; e != nil {
			const hint = "a token the kubelet passes to the driver lives 600 seconds (10 minutes) to 2^32 seconds; leave expirationSeconds out for the default"
			if *e < 600 {
				c.add(field.Invalid(p.Child("expirationSeconds"), *e, "may not specify a duration less than 10 minutes"), hint)
			}
			if *e > 1<<32 {
				c.add(field.Invalid(p.Child("expirationSeconds"), *e, "may not specify a duration larger than 2^32 seconds"), hint)
			}
		}
	}
	if f := d.Spec.FSGroupPolicy; f != nil {
		policies := []string{string(storagev1.FileFSGroupPolicy), string(storagev1.NoneFSGroupPolicy), string(storagev1.ReadWriteOnceWithFSTypeFSGroupPolicy)}
		if !slices.Contains(policies, string(*f)) {
			c.add(field.NotSupported(spec.Child("fsGroupPolicy"), *f, policies), "set fsGroupPolicy to ReadWriteOnceWithFSType, File or None, or leave it out")
		}
	}
	if n := d.Spec.NodeAllocatableUpdatePeriodSeconds; n != nil && *n < 10 && c.on("MutableCSINodeAllocatableCount") {
		c.add(field.Invalid(spec.Child("nodeAllocatableUpdatePeriodSeconds"), *n, "must be greater than or equal to 10 seconds"),
			"the kubelet refreshes the driver's allocatable count at most every 10 seconds: set 10 or more, or leave it out")
	}
	if s := d.Spec.ServiceAccountTokenInSecrets; s != nil && len(d.Spec.TokenRequests) == 0 && c.on("CSIServiceAccountTokenSecrets") {
		c.add(field.Invalid(spec.Child("serviceAccountTokenInSecrets"), *s, "serviceAccountTokenInSecrets is set but no tokenRequests are specified"),
			"serviceAccountTokenInSecrets says where the tokens of tokenRequests go: add tokenRequests or leave it out")
	}
	modes := []string{string(storagev1.VolumeLifecyclePersistent), string(storagev1.VolumeLifecycleEphemeral)}
	for _, m := range d.Spec.VolumeLifecycleModes {
		if !slices.Contains(modes, string(m)) {
			// The API server names the list, without the index.
			c.add(field.NotSupported(spec.Child("volumeLifecycleModes"), m, modes), "a volume lifecycle mode is Persistent or Ephemeral (the case matters)")
		}
	}
}

// lease checks a Lease's numbers (ValidateLeaseSpec): a duration above 0,
// transitions 0 or more. Its strategy and preferred holder are behind a
// feature gate off by default, and not checked.
func (c *checker) lease(l *coordinationv1.Lease) {
	spec := field.NewPath("spec")
	if d := l.Spec.LeaseDurationSeconds; d != nil && *d <= 0 {
		c.add(field.Invalid(spec.Child("leaseDurationSeconds"), *d, "must be greater than 0"), "a lease lasts 1 second or more")
	}
	if t := l.Spec.LeaseTransitions; t != nil && *t < 0 {
		c.add(field.Invalid(spec.Child("leaseTransitions"), *t, "must be greater than or equal to 0"), "leaseTransitions counts changes of holder: 0 or more")
	}
}
