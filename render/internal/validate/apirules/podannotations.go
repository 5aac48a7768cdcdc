package apirules

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The annotations the API server reads on a pod, as
// ValidatePodSpecificAnnotations checks them on a Pod and on every pod
// template (ValidatePodTemplateSpec: Deployments, ReplicaSets,
// DaemonSets, StatefulSets, Jobs, CronJobs, ReplicationControllers,
// PodTemplates), and the agreement of the seccomp and AppArmor
// annotations with their securityContext fields
// (validateSeccompAnnotationsAndFields,
// validateAppArmorAnnotationsAndFieldsMatchOnCreate) in
// k8s.io/kubernetes pkg/apis/core/validation (v1.37). The annotations are
// long replaced by fields, but charts written for older clusters still
// carry them, and the API server still refuses a bad one.

// seccompAnnotationsIgnored is the release from which the API server no
// longer turns a seccomp annotation into the seccompProfile field.
const seccompAnnotationsIgnored = 27

// podAnnotations checks the annotations of a pod or pod template (ann,
// at path) against its spec ps: a mirror pod's node, the old tolerations
// annotation, the deletion cost, and the seccomp and AppArmor profiles.
func (c *checker) podAnnotations(ann map[string]string, ps *corev1.PodSpec, path *field.Path) {
	if len(ann) == 0 {
		return
	}
	if v, ok := ann[corev1.MirrorPodAnnotationKey]; ok && ps.NodeName == "" {
		c.add(field.Invalid(path.Key(corev1.MirrorPodAnnotationKey), v, "must set spec.nodeName if mirror pod annotation is set"),
			"the kubelet marks the mirror pods of static pods with this annotation: remove it")
	}
	if ann[corev1.TolerationsAnnotationKey] != "" {
		c.tolerationsAnnotation(ann[corev1.TolerationsAnnotationKey], path.Key(corev1.TolerationsAnnotationKey))
	}
	if v, ok := ann[corev1.PodDeletionCost]; ok && !validDeletionCost(v) {
		c.add(field.Invalid(path.Key(corev1.PodDeletionCost), v, "must be a 32bit integer"),
			"a pod deletion cost is a whole number from -2147483648 to 2147483647, written without '+' or leading zeros, such as '100'")
	}
	seccompHint := "a seccomp annotation is runtime/default, docker/default, unconfined or localhost/<profile path relative to the kubelet's seccomp directory, without '..'>"
	if c.since(1, seccompAnnotationsIgnored) {
		seccompHint += "; from Kubernetes 1.27 the annotation is ignored: set securityContext.seccompProfile and remove it"
	}
	for _, k := range slices.Sorted(maps.Keys(ann)) {
		v := ann[k]
		switch {
		case k == corev1.SeccompPodAnnotationKey || strings.HasPrefix(k, corev1.SeccompContainerAnnotationKeyPrefix):
			c.seccompAnnotation(v, path.Key(k), seccompHint)
		case strings.HasPrefix(k, corev1.DeprecatedAppArmorBetaContainerAnnotationKeyPrefix):
			name := strings.TrimPrefix(k, corev1.DeprecatedAppArmorBetaContainerAnnotationKeyPrefix)
			if !hasContainer(ps, name) {
				c.add(field.Invalid(path.Key(k), name, "container not found"),
					"the key names the container its profile is for: use the name of one of the pod's containers or init containers, or remove the annotation")
			}
			if !validAppArmorAnnotation(v) {
				c.add(field.Invalid(path.Key(k), v, fmt.Sprintf("invalid AppArmor profile name: %q", v)),
					"an AppArmor annotation is runtime/default, unconfined or localhost/<profile>; from Kubernetes 1.30 set securityContext.appArmorProfile instead")
			}
		}
	}
}

// tolerationsAnnotation checks the scheduler.alpha.kubernetes.io/tolerations
// annotation (value, at p), which Kubernetes 1.6 replaced by
// spec.tolerations but the API server still parses: a JSON list of valid
// tolerations. The schema's enums do not reach inside the annotation, so
// the operator and effect are checked here too, as ValidateTolerations
// does.
func (c *checker) tolerationsAnnotation(value string, p *field.Path) {
	const hint = "the annotation holds a JSON list of tolerations, such as '[{\"key\": \"dedicated\", \"operator\": \"Exists\"}]'; nothing reads it any more: move the tolerations to spec.tolerations and remove it"
	var ts []corev1.Toleration
	// As the API server, field names match in any case and unknown ones
	// are ignored.
	if err := json.Unmarshal([]byte(value), &ts); err != nil {
		c.add(field.Invalid(p, corev1.TolerationsAnnotationKey, err.Error()), hint)
		return
	}
	c.tolerations(ts, p)
	for i, t := range ts {
		switch t.Operator {
		case corev1.TolerationOpEqual, corev1.TolerationOpExists, "", "Lt", "Gt":
			// Lt and Gt are refused by tolerations.
		default:
			c.add(field.NotSupported(p.Index(i).Child("operator"), t.Operator, []corev1.TolerationOperator{corev1.TolerationOpEqual, corev1.TolerationOpExists}), hint)
		}
		switch t.Effect {
		case "", corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule, corev1.TaintEffectNoExecute:
		default:
			c.add(field.NotSupported(p.Index(i).Child("effect"), t.Effect,
				[]corev1.TaintEffect{corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule, corev1.TaintEffectNoExecute}), hint)
		}
	}
}

// validDeletionCost reports whether v is a pod deletion cost as the API
// server's GetDeletionCostFromPodAnnotations reads one: a base-10 int32
// that starts with '-', a non-zero digit, or is "0" (so "+10", "008" and
// "" are refused, "-08" is not).
func validDeletionCost(v string) bool {
	if v == "" || !(v[0] == '-' || v == "0" || (v[0] >= '1' && v[0] <= '9')) {
		return false
	}
	_, err := strconv.ParseInt(v, 10, 32)
	return err == nil
}

// seccompAnnotation checks a seccomp annotation's value, as
// ValidateSeccompProfile: a known profile, or localhost/ and a path that
// stays in the kubelet's seccomp directory.
func (c *checker) seccompAnnotation(v string, p *field.Path, hint string) {
	switch {
	case v == corev1.SeccompProfileRuntimeDefault, v == corev1.DeprecatedSeccompProfileDockerDefault, v == corev1.SeccompProfileNameUnconfined:
	case strings.HasPrefix(v, corev1.SeccompLocalhostProfileNamePrefix):
		c.localDescendingPath(strings.TrimPrefix(v, corev1.SeccompLocalhostProfileNamePrefix), p, hint)
	default:
		c.add(field.Invalid(p, v, "must be a valid seccomp profile"), hint)
	}
}

// ValidSeccompAnnotation reports whether v is a seccomp annotation's
// value the API server accepts.
func ValidSeccompAnnotation(v string) bool {
	var c checker
	c.seccompAnnotation(v, field.NewPath("v"), "")
	return len(c.problems) == 0
}

// validAppArmorAnnotation reports whether v is an AppArmor annotation's
// value the API server accepts (ValidateAppArmorProfileFormat): empty,
// runtime/default, unconfined or localhost/ and anything.
func validAppArmorAnnotation(v string) bool {
	return v == "" || v == corev1.DeprecatedAppArmorBetaProfileRuntimeDefault || v == corev1.DeprecatedAppArmorBetaProfileNameUnconfined ||
		strings.HasPrefix(v, corev1.DeprecatedAppArmorBetaProfileNamePrefix)
}

// eachPodContainer calls f for the pod's init containers, containers and
// ephemeral containers, as the API server's VisitContainersWithPath.
func eachPodContainer(ps *corev1.PodSpec, path *field.Path, f func(*corev1.Container, *field.Path)) {
	eachContainer(ps, path, f)
	for i := range ps.EphemeralContainers {
		f((*corev1.Container)(&ps.EphemeralContainers[i].EphemeralContainerCommon), path.Child("ephemeralContainers").Index(i))
	}
}

// hasContainer reports whether the pod has a container (of any kind)
// named name.
func hasContainer(ps *corev1.PodSpec, name string) bool {
	found := false
	eachPodContainer(ps, field.NewPath("spec"), func(ctr *corev1.Container, _ *field.Path) {
		found = found || ctr.Name == name
	})
	return found
}

// annotationsMatchFields checks that a seccomp or AppArmor annotation of
// a pod or pod template agrees with the securityContext field it
// duplicates, where both are set (spec is the pod spec's path). pod says
// the object is a Pod: its AppArmor annotation is first copied into a
// container that has no profile of its own (applyAppArmorVersionSkew in
// the Pod's strategy), so it cannot disagree with the pod's profile; a
// template's can.
func (c *checker) annotationsMatchFields(ann map[string]string, ps *corev1.PodSpec, spec *field.Path, pod bool) {
	if len(ann) == 0 {
		return
	}
	if v, ok := ann[corev1.SeccompPodAnnotationKey]; ok && ps.SecurityContext != nil {
		c.seccompMatches(v, ps.SecurityContext.SeccompProfile, spec.Child("securityContext", "seccompProfile"))
	}
	eachPodContainer(ps, spec, func(ctr *corev1.Container, cp *field.Path) {
		if v, ok := ann[corev1.SeccompContainerAnnotationKeyPrefix+ctr.Name]; ok && ctr.SecurityContext != nil {
			c.seccompMatches(v, ctr.SecurityContext.SeccompProfile, cp.Child("securityContext", "seccompProfile"))
		}
	})
	// The appArmorProfile fields came in 1.30; Windows pods are skipped.
	if !c.since(1, 30) || (ps.OS != nil && ps.OS.Name == corev1.Windows) {
		return
	}
	var podProfile *corev1.AppArmorProfile
	if ps.SecurityContext != nil {
		podProfile = ps.SecurityContext.AppArmorProfile
	}
	eachPodContainer(ps, spec, func(ctr *corev1.Container, cp *field.Path) {
		v, ok := ann[corev1.DeprecatedAppArmorBetaContainerAnnotationKeyPrefix+ctr.Name]
		if !ok {
			return
		}
		profile := podProfile
		if ctr.SecurityContext != nil && ctr.SecurityContext.AppArmorProfile != nil {
			profile = ctr.SecurityContext.AppArmorProfile
		} else if pod && appArmorFieldOf(v) {
			return
		}
		if profile == nil {
			return
		}
		c.appArmorMatches(v, profile, cp.Child("securityContext", "appArmorProfile"))
	})
}

// seccompMatches checks a seccomp annotation's value v against the field
// it duplicates (sp, at p), as validateSeccompAnnotationsAndFieldsMatch.
func (c *checker) seccompMatches(v string, sp *corev1.SeccompProfile, p *field.Path) {
	if sp == nil {
		return
	}
	hint := "the annotation and securityContext.seccompProfile name different profiles: make them agree, or keep only seccompProfile"
	if c.since(1, seccompAnnotationsIgnored) {
		hint = "the seccomp annotation is ignored from Kubernetes 1.27, but the API server still refuses one that disagrees with securityContext.seccompProfile: remove the annotation"
	}
	const typeMsg, profileMsg = "seccomp type in annotation and field must match", "seccomp profile in annotation and field must match"
	switch sp.Type {
	case corev1.SeccompProfileTypeUnconfined:
		if v != corev1.SeccompProfileNameUnconfined {
			c.add(field.Forbidden(p.Child("type"), typeMsg), hint)
		}
	case corev1.SeccompProfileTypeRuntimeDefault:
		if v != corev1.SeccompProfileRuntimeDefault && v != corev1.DeprecatedSeccompProfileDockerDefault {
			c.add(field.Forbidden(p.Child("type"), typeMsg), hint)
		}
	case corev1.SeccompProfileTypeLocalhost:
		name, local := strings.CutPrefix(v, corev1.SeccompLocalhostProfileNamePrefix)
		switch {
		case !local:
			c.add(field.Forbidden(p.Child("type"), typeMsg), hint)
		case sp.LocalhostProfile == nil || *sp.LocalhostProfile != name:
			c.add(field.Forbidden(p.Child("localhostProfile"), profileMsg), hint)
		}
	}
}

// appArmorMatches checks an AppArmor annotation's value v against the
// profile the container runs with (ap, at p: the container's, or the
// pod's when the container has none).
func (c *checker) appArmorMatches(v string, ap *corev1.AppArmorProfile, p *field.Path) {
	const hint = "the AppArmor annotation and securityContext.appArmorProfile (the container's, or else the pod's) name different profiles: remove the annotation, which the field replaces from Kubernetes 1.30, or make them agree"
	const typeMsg, profileMsg = "apparmor type in annotation and field must match", "apparmor profile in annotation and field must match"
	switch ap.Type {
	case corev1.AppArmorProfileTypeUnconfined:
		if v != corev1.DeprecatedAppArmorBetaProfileNameUnconfined {
			c.add(field.Forbidden(p.Child("type"), typeMsg), hint)
		}
	case corev1.AppArmorProfileTypeRuntimeDefault:
		if v != corev1.DeprecatedAppArmorBetaProfileRuntimeDefault {
			c.add(field.Forbidden(p.Child("type"), typeMsg), hint)
		}
	case corev1.AppArmorProfileTypeLocalhost:
		name, local := strings.CutPrefix(v, corev1.DeprecatedAppArmorBetaProfileNamePrefix)
		switch {
		case !local:
			c.add(field.Forbidden(p.Child("type"), typeMsg), hint)
		case ap.LocalhostProfile == nil || *ap.LocalhostProfile != name:
			c.add(field.Forbidden(p.Child("localhostProfile"), profileMsg), hint)
		}
	}
}

// appArmorFieldOf reports whether the API server turns an AppArmor
// annotation's value into a valid appArmorProfile
// (ApparmorFieldForAnnotation, then ValidateAppArmorProfileField): a
// known profile, or localhost/ and a name that is not empty, not padded
// with whitespace and at most 4095 bytes.
func appArmorFieldOf(v string) bool {
	if v == corev1.DeprecatedAppArmorBetaProfileNameUnconfined || v == corev1.DeprecatedAppArmorBetaProfileRuntimeDefault {
		return true
	}
	name, local := strings.CutPrefix(v, corev1.DeprecatedAppArmorBetaProfileNamePrefix)
	return local && name != "" && strings.TrimSpace(name) == name && len(name) <= 4095
}
