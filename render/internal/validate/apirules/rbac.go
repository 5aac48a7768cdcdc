package apirules

import (
	"slices"

	rbacv1 "k8s.io/api/rbac/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/api/validation/path"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The RBAC rules of k8s.io/kubernetes v1.37 pkg/apis/rbac/validation that
// the schema cannot state, read after the API server's defaults (a
// roleRef's and a User or Group subject's apiGroup default to
// rbac.authorization.k8s.io). A binding the API server refuses leaves a
// workload without the permissions it was installed with.

const rbacGroup = "rbac.authorization.k8s.io"

// policyRules checks a Role's or ClusterRole's rules.
func (c *checker) policyRules(rules []rbacv1.PolicyRule, namespaced bool) {
	for i, r := range rules {
		p := field.NewPath("rules").Index(i)
		// Left out, the schema reports verbs missing; an empty list
		// (a chart's verbs: {{ .Values.verbs }} of nothing) is refused
		// too (ValidatePolicyRule), for resource and URL rules alike.
		if len(r.Verbs) == 0 {
			c.add(field.Required(p.Child("verbs"), "verbs must contain at least one value"),
				`list what the rule allows, such as [get, list, watch]; "*" for all`)
		}
		if len(r.NonResourceURLs) > 0 {
			if namespaced {
				c.add(field.Invalid(p.Child("nonResourceURLs"), r.NonResourceURLs, "namespaced rules cannot apply to non-resource URLs"),
					"grant non-resource URLs (such as /metrics) in a ClusterRole")
			}
			if len(r.APIGroups) > 0 || len(r.Resources) > 0 || len(r.ResourceNames) > 0 {
				c.add(field.Invalid(p.Child("nonResourceURLs"), r.NonResourceURLs, "rules cannot apply to both regular resources and non-resource URLs"),
					"split the rule in two: one for resources, one for nonResourceURLs")
			}
			continue
		}
		if len(r.APIGroups) == 0 {
			c.add(field.Required(p.Child("apiGroups"), "resource rules must supply at least one api group"),
				`list the API groups of the resources: "" for the core group (pods, services), apps for deployments, "*" for all`)
		}
		if len(r.Resources) == 0 {
			c.add(field.Required(p.Child("resources"), "resource rules must supply at least one resource"), "list the resources the rule grants, such as pods")
		}
	}
}

// roleRef checks what a RoleBinding or ClusterRoleBinding grants: a Role
// or ClusterRole (a ClusterRoleBinding only a ClusterRole) of the RBAC
// group, by a name usable in a URL path.
func (c *checker) roleRef(ref rbacv1.RoleRef, kinds []string) {
	p := field.NewPath("roleRef")
	if ref.APIGroup != "" && ref.APIGroup != rbacGroup {
		c.add(field.NotSupported(p.Child("apiGroup"), ref.APIGroup, []string{rbacGroup}), "roleRef.apiGroup is rbac.authorization.k8s.io")
	}
	if !slices.Contains(kinds, ref.Kind) {
		hint := "a RoleBinding grants a Role of its namespace or a ClusterRole"
		if len(kinds) == 1 {
			hint = "a ClusterRoleBinding grants a ClusterRole; grant a Role with a RoleBinding in its namespace"
		}
		c.add(field.NotSupported(p.Child("kind"), ref.Kind, kinds), hint)
	}
	// An empty name (a chart's unset value) is refused as missing
	// (ValidateRoleBinding, ValidateClusterRoleBinding): the path segment
	// check alone takes "".
	if ref.Name == "" {
		c.add(field.Required(p.Child("name"), ""), "name the role to grant")
	}
	for _, msg := range path.IsValidPathSegmentName(ref.Name) {
		c.add(field.Invalid(p.Child("name"), ref.Name, msg), "name the role to grant")
	}
}

// subjects checks a binding's subjects; a ClusterRoleBinding's service
// accounts need a namespace (a RoleBinding's default to its own).
func (c *checker) subjects(subjects []rbacv1.Subject, namespaced bool) {
	for i, s := range subjects {
		p := field.NewPath("subjects").Index(i)
		// Every subject needs a name, whatever its kind
		// (ValidateRoleBindingSubject); only a ServiceAccount's is
		// checked further.
		if s.Name == "" {
			c.add(field.Required(p.Child("name"), ""), "name the ServiceAccount, user or group the binding grants the role to")
		}
		switch s.Kind {
		case rbacv1.ServiceAccountKind:
			if s.Name != "" {
				for _, msg := range apimachineryvalidation.ValidateServiceAccountName(s.Name, false) {
					c.add(field.Invalid(p.Child("name"), s.Name, msg), "a ServiceAccount's name is a DNS subdomain")
				}
			}
			if s.APIGroup != "" {
				c.add(field.NotSupported(p.Child("apiGroup"), s.APIGroup, []string{""}), "remove apiGroup from a ServiceAccount subject")
			}
			if !namespaced && s.Namespace == "" {
				c.add(field.Required(p.Child("namespace"), ""),
					"a ClusterRoleBinding has no namespace of its own: give the ServiceAccount's namespace (a chart can use {{ .Release.Namespace }})")
			}
		case rbacv1.UserKind, rbacv1.GroupKind:
			if s.APIGroup != "" && s.APIGroup != rbacGroup {
				c.add(field.NotSupported(p.Child("apiGroup"), s.APIGroup, []string{rbacGroup}), "a User or Group subject's apiGroup is rbac.authorization.k8s.io")
			}
		default:
			c.add(field.NotSupported(p.Child("kind"), s.Kind, []string{rbacv1.ServiceAccountKind, rbacv1.UserKind, rbacv1.GroupKind}),
				"a subject is a ServiceAccount, a User or a Group")
		}
	}
}

// aggregation checks a ClusterRole's aggregation rule.
func (c *checker) aggregation(a *rbacv1.AggregationRule) {
	if a == nil {
		return
	}
	p := field.NewPath("aggregationRule", "clusterRoleSelectors")
	if len(a.ClusterRoleSelectors) == 0 {
		c.add(field.Required(p, "at least one clusterRoleSelector required if aggregationRule is non-nil"),
			"select the ClusterRoles to aggregate by their labels, or remove aggregationRule")
	}
	for i := range a.ClusterRoleSelectors {
		c.selector(&a.ClusterRoleSelectors[i], p.Index(i))
	}
}
