package apirules

import (
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// A pod's dynamic resource claims (spec.resourceClaims) and the claims
// its containers use (resources.claims), as the API server's
// validatePodResourceClaims and validateResourceClaimNames check them
// (v1.37), from 1.34 where DynamicResourceAllocation is on by default
// (before, the API server drops both).

const claimHint = "a pod's resource claim has a name (a DNS label) and exactly one of resourceClaimName (an existing ResourceClaim) and resourceClaimTemplateName"

// podResourceClaims checks the pod's resource claims and returns their
// names, which its containers may use.
func (c *checker) podResourceClaims(ps *corev1.PodSpec, path *field.Path) map[string]bool {
	names := map[string]bool{}
	if !c.on("DynamicResourceAllocation") {
		return names
	}
	for i, claim := range ps.ResourceClaims {
		p := path.Child("resourceClaims").Index(i)
		switch {
		case claim.Name == "":
			c.add(field.Required(p.Child("name"), ""), claimHint)
		case names[claim.Name]:
			c.add(field.Duplicate(p.Child("name"), claim.Name), "give each resource claim of the pod its own name")
		default:
			c.name(p.Child("name"), claim.Name, "resource claim")
			names[claim.Name] = true
		}
		switch {
		case claim.ResourceClaimName != nil && claim.ResourceClaimTemplateName != nil:
			c.add(field.Invalid(p, field.OmitValueType{}, "at most one of `resourceClaimName` or `resourceClaimTemplateName` may be specified"), claimHint)
		case claim.ResourceClaimName == nil && claim.ResourceClaimTemplateName == nil:
			c.add(field.Invalid(p, field.OmitValueType{}, "must specify one of: `resourceClaimName`, `resourceClaimTemplateName`"), claimHint)
		}
		for _, ref := range []struct {
			key  string
			name *string
		}{{"resourceClaimName", claim.ResourceClaimName}, {"resourceClaimTemplateName", claim.ResourceClaimTemplateName}} {
			if ref.name == nil {
				continue
			}
			for _, msg := range apimachineryvalidation.NameIsDNSSubdomain(*ref.name, false) {
				c.add(field.Invalid(p.Child(ref.key), *ref.name, msg), "name the object by its metadata.name: lowercase letters, digits, '-' and '.'")
			}
		}
	}
	return names
}

// containerClaims checks the claims a container's resources use: each
// names a claim of the pod, at most once, or one request of it.
func (c *checker) containerClaims(claims []corev1.ResourceClaim, p *field.Path, podClaims map[string]bool) {
	if !c.on("DynamicResourceAllocation") {
		return
	}
	used := map[string]bool{}
	for i, claim := range claims {
		cp := p.Index(i)
		name := claim.Name
		if name == "" {
			c.add(field.Required(cp, ""), "name one of the pod's resourceClaims")
			continue
		}
		if used[name] {
			// Every request of that claim is already used.
			c.add(field.Duplicate(cp, name), "use each claim once")
		} else {
			key := name
			if claim.Request != "" {
				c.name(cp.Child("request"), claim.Request, "request")
				key += "/" + claim.Request
			}
			switch {
			case used[key]:
				c.add(field.Duplicate(cp, key), "use each request of a claim once")
			case claim.Request == "":
				// The whole claim, after one of its requests.
				for k := range used {
					if before, _, ok := strings.Cut(k, "/"); ok && before == name {
						c.add(field.Duplicate(cp, name), "use either the whole claim or some of its requests")
						break
					}
				}
			}
			used[key] = true
		}
		if !podClaims[name] {
			err := field.NotFound(cp, name)
			err.Detail = "must be one of the names in pod.spec.resourceClaims"
			if len(podClaims) == 0 {
				err.Detail += " which is empty"
			} else {
				err.Detail += ": " + strings.Join(slices.Sorted(maps.Keys(podClaims)), ", ")
			}
			c.add(err, "add the claim to the pod's resourceClaims, or use one it has")
		}
	}
}
