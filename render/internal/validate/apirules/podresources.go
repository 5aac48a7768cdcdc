package apirules

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"
	resourcehelper "k8s.io/component-helpers/resource"
)

// A pod's own resources (spec.resources), as the API server's
// validatePodResources checks them (v1.37), from 1.34 where
// PodLevelResources is on by default (before, the API server drops them):
// cpu, memory and huge pages only, not in a Windows pod, no claims, each
// request at most its limit, the pod's requests at least what its
// containers request together and its limits at least each container's.
// The containers' sum is the kubelet's own (k8s.io/component-helpers),
// which counts sidecars and init containers as the scheduler does.

const podResourcesHint = "a pod's own resources bound what its containers use together: raise the pod's amount, or lower the containers'"

// podResources checks the pod's spec.resources.
func (c *checker) podResources(ps *corev1.PodSpec, path *field.Path) {
	if ps.Resources == nil || !c.on("PodLevelResources") {
		return
	}
	p := path.Child("resources")
	if ps.OS != nil && ps.OS.Name == corev1.Windows {
		c.add(field.Forbidden(p, "may not be set for a windows pod"), "set resources on the containers of a Windows pod")
		return
	}
	if ps.Resources.Claims != nil {
		c.add(field.Forbidden(p.Child("claims"), "claims may not be set for Resources at pod-level"), "list a claim under a container's resources.claims")
	}
	c.requirements(ps.Resources, p, c.podResource)
	pod := &corev1.Pod{Spec: *ps}
	c.covers(ps.Resources.Requests, resourcehelper.AggregateContainerRequests(pod, resourcehelper.PodResourcesOptions{}), p.Child("requests"), "requests", false)
	c.covers(ps.Resources.Limits, resourcehelper.AggregateContainerLimits(pod, resourcehelper.PodResourcesOptions{}), p.Child("limits"), "limits", true)
	// The API server names these spec.resources.containers[i][res].limits;
	// kiln names the container's limit, which has the line.
	for i, ctr := range ps.Containers {
		for _, res := range slices.Sorted(maps.Keys(ctr.Resources.Limits)) {
			own, ok := ps.Resources.Limits[res]
			if limit := ctr.Resources.Limits[res]; ok && limit.Cmp(own) > 0 {
				c.add(field.Invalid(path.Child("containers").Index(i).Child("resources", "limits").Key(string(res)), limit.String(), fmt.Sprintf("must be less than or equal to pod limits of %s", own.String())), podResourcesHint)
			}
		}
	}
}

// covers checks that each of the pod's own amounts (own, at p) is at
// least what its containers need together (sums, their key), of huge
// pages only when hugeOnly (limits of cpu and memory may be overcommitted).
func (c *checker) covers(own, sums corev1.ResourceList, p *field.Path, key string, hugeOnly bool) {
	for _, res := range slices.Sorted(maps.Keys(sums)) {
		if hugeOnly && !strings.HasPrefix(string(res), corev1.ResourceHugePagesPrefix) {
			continue
		}
		amount, ok := own[res]
		if sum := sums[res]; ok && sum.Cmp(amount) > 0 {
			c.add(field.Invalid(p.Key(string(res)), amount.String(), fmt.Sprintf("must be greater than or equal to aggregate container %s of %s", key, sum.String())), podResourcesHint)
		}
	}
}

// podResource checks one of the pod's own resources: a qualified name,
// one of those a pod may set, an amount of 0 or more.
func (c *checker) podResource(res corev1.ResourceName, q resource.Quantity, p *field.Path) {
	if !c.qualifiedResource(res, p, "a pod's own resources are cpu, memory and hugepages-<size>") {
		return
	}
	if !resourcehelper.IsSupportedPodLevelResource(res) {
		c.add(field.NotSupported(p, res, sets.List(resourcehelper.SupportedPodLevelResources())),
			"a pod's own resources are cpu, memory and hugepages-<size>: set others, such as ephemeral-storage or nvidia.com/gpu, on its containers")
		return
	}
	if q.Sign() < 0 {
		c.add(field.Invalid(p, q.String(), "must be greater than or equal to 0"), nonNegativeHint)
	}
}

// overhead checks a pod's overhead (validateOverhead) or a RuntimeClass's
// overhead.podFixed, at p, as the API server checks a container's limits:
// resource names a container can have, amounts of 0 or more, whole for
// extended resources, huge pages whole pages and beside cpu or memory.
// The API server names an entry <p>.limits[<resource>]; kiln names the
// entry written, <p>[<resource>].
func (c *checker) overhead(overhead corev1.ResourceList, p *field.Path) {
	if overhead == nil {
		return
	}
	sub := checker{kube: c.kube, celCompat: c.celCompat, bare: c.bare}
	sub.requirements(&corev1.ResourceRequirements{Limits: overhead}, p, sub.resource)
	limits := p.Child("limits").String()
	for _, pr := range sub.problems {
		if rest, ok := strings.CutPrefix(pr.Field, limits); ok {
			pr.Field = p.String() + rest
		}
		c.problems = append(c.problems, pr)
	}
}
