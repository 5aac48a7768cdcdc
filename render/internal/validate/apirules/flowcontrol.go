package apirules

import (
	"fmt"
	"slices"
	"strings"

	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// FlowSchemas (flowcontrol.apiserver.k8s.io/v1), as ValidateFlowSchemaSpec
// in k8s.io/kubernetes v1.37 pkg/apis/flowcontrol/validation checks them,
// after the API server's default (matchingPrecedence left out, or 0, is
// 1000). Charts of operators that send many requests (a controller, a
// monitoring agent) ship one to give their requests a priority level;
// one the API server refuses leaves those requests in the catch-all
// level. Not checked: that the mandatory schemas exempt and catch-all
// keep their fixed spec.

const (
	maxMatchingPrecedence = 10000
	flowSchemaHint        = "see https://kubernetes.io/docs/concepts/cluster-administration/flow-control/#flowschema"
)

var (
	flowSchemaVerbs        = []string{"create", "delete", "deletecollection", "get", "list", "patch", "proxy", "update", "watch"}
	flowSchemaSubjectKinds = []string{"Group", "ServiceAccount", "User"}
)

func (c *checker) flowSchema(fs *flowcontrolv1.FlowSchema) {
	spec := field.NewPath("spec")
	s := &fs.Spec
	mp := spec.Child("matchingPrecedence")
	const precedenceHint = "matchingPrecedence orders the FlowSchemas, lowest first: 2 to 10000 (1 is the exempt schema's)"
	if s.MatchingPrecedence < 0 {
		c.add(field.Invalid(mp, s.MatchingPrecedence, "must be a positive value"), precedenceHint)
	}
	if s.MatchingPrecedence > maxMatchingPrecedence {
		c.add(field.Invalid(mp, s.MatchingPrecedence, fmt.Sprintf("must not be greater than %v", maxMatchingPrecedence)), precedenceHint)
	}
	if s.MatchingPrecedence == 1 && fs.Name != flowcontrolv1.FlowSchemaNameExempt {
		c.add(field.Invalid(mp, s.MatchingPrecedence, "only the schema named 'exempt' may have matchingPrecedence 1"), precedenceHint)
	}
	if d := s.DistinguisherMethod; d != nil && d.Type != flowcontrolv1.FlowDistinguisherMethodByNamespaceType && d.Type != flowcontrolv1.FlowDistinguisherMethodByUserType {
		c.add(field.NotSupported(spec.Child("distinguisherMethod", "type"), *d, []string{string(flowcontrolv1.FlowDistinguisherMethodByNamespaceType), string(flowcontrolv1.FlowDistinguisherMethodByUserType)}),
			"distinguish flows ByUser or ByNamespace, or leave distinguisherMethod out")
	}
	pp := spec.Child("priorityLevelConfiguration", "name")
	const levelHint = "name the PriorityLevelConfiguration the matching requests are queued in, such as workload-low"
	if n := s.PriorityLevelConfiguration.Name; n == "" {
		c.add(field.Required(pp, "must reference a priority level"), levelHint)
	} else {
		for _, msg := range validation.IsDNS1123Subdomain(n) {
			c.add(field.Invalid(pp, n, msg), levelHint)
		}
	}
	for i := range s.Rules {
		c.flowSchemaRule(&s.Rules[i], spec.Child("rules").Index(i))
	}
}

// flowSchemaRule checks one rule (ValidateFlowSchemaPolicyRulesWithSubjects):
// subjects, and resource or non-resource rules.
func (c *checker) flowSchemaRule(r *flowcontrolv1.PolicyRulesWithSubjects, p *field.Path) {
	if len(r.Subjects) == 0 {
		c.add(field.Required(p.Child("subjects"), "subjects must contain at least one value"), "list whose requests the rule matches: a ServiceAccount, User or Group")
	}
	for i := range r.Subjects {
		c.flowSchemaSubject(&r.Subjects[i], p.Child("subjects").Index(i))
	}
	if len(r.ResourceRules) == 0 && len(r.NonResourceRules) == 0 {
		c.add(field.Required(p, "at least one of resourceRules and nonResourceRules has to be non-empty"), "say which requests the rule matches: resourceRules, nonResourceRules or both")
	}
	for i := range r.ResourceRules {
		rr := &r.ResourceRules[i]
		rp := p.Child("resourceRules").Index(i)
		c.flowSchemaVerbs(rr.Verbs, rp.Child("verbs"))
		c.wildcardList(rr.APIGroups, rp.Child("apiGroups"), "resource rules must supply at least one api group", "api groups",
			`list the API groups: "" for the core group, "*" for all`)
		c.wildcardList(rr.Resources, rp.Child("resources"), "resource rules must supply at least one resource", "resources",
			`list the resources, such as pods; "*" for all`)
		np := rp.Child("namespaces")
		switch {
		case len(rr.Namespaces) == 0 && !rr.ClusterScope:
			c.add(field.Required(np, "resource rules that are not cluster scoped must supply at least one namespace"),
				`list the namespaces ("*" for all), or set clusterScope: true for cluster-scoped resources`)
		case slices.Contains(rr.Namespaces, "*"):
			if len(rr.Namespaces) > 1 {
				c.add(field.Invalid(np, rr.Namespaces, "if '*' is present, must not specify other namespaces"), `"*" matches every namespace: list it alone`)
			}
		default:
			for j, ns := range rr.Namespaces {
				for _, msg := range validation.IsDNS1123Label(ns) {
					c.add(field.Invalid(np.Index(j), ns, "each member of this list must be '*' or a DNS-1123 label; "+msg), "a namespace's name is a DNS label")
				}
			}
		}
	}
	for i := range r.NonResourceRules {
		nr := &r.NonResourceRules[i]
		np := p.Child("nonResourceRules").Index(i)
		c.flowSchemaVerbs(nr.Verbs, np.Child("verbs"))
		up := np.Child("nonResourceURLs")
		switch {
		case len(nr.NonResourceURLs) == 0:
			c.add(field.Required(up, "nonResourceURLs must contain at least one value"), "list the paths, such as /healthz; \"*\" for all")
		case slices.Contains(nr.NonResourceURLs, "*"):
			if len(nr.NonResourceURLs) > 1 {
				c.add(field.Invalid(up, nr.NonResourceURLs, "if '*' is present, must not specify other non-resource URLs"), `"*" matches every path: list it alone`)
			}
		default:
			for j, u := range nr.NonResourceURLs {
				if msg := nonResourceURLPath(u); msg != "" {
					c.add(field.Invalid(up.Index(j), u, msg), "a non-resource URL is a path such as /healthz, or a prefix such as /metrics/*")
				}
			}
		}
	}
}

// flowSchemaVerbs checks a rule's verbs: given, "*" alone, or verbs of
// the API.
func (c *checker) flowSchemaVerbs(verbs []string, p *field.Path) {
	switch {
	case len(verbs) == 0:
		c.add(field.Required(p, "verbs must contain at least one value"), `list the verbs the rule matches, such as [get, list, watch]; "*" for all`)
	case slices.Contains(verbs, "*"):
		if len(verbs) > 1 {
			c.add(field.Invalid(p, verbs, "if '*' is present, must not specify other verbs"), `"*" matches every verb: list it alone`)
		}
	default:
		for _, v := range verbs {
			if !slices.Contains(flowSchemaVerbs, v) {
				c.add(field.NotSupported(p, verbs, flowSchemaVerbs), "a verb is one of the API's, lowercase: get, list, watch, create, update, patch, delete, deletecollection, proxy")
				return
			}
		}
	}
}

// wildcardList checks a resource rule's apiGroups or resources: given,
// and "*" alone.
func (c *checker) wildcardList(list []string, p *field.Path, required, what, hint string) {
	switch {
	case len(list) == 0:
		c.add(field.Required(p, required), hint)
	case len(list) > 1 && slices.Contains(list, "*"):
		c.add(field.Invalid(p, list, "if '*' is present, must not specify other "+what), `"*" matches every one: list it alone`)
	}
}

// flowSchemaSubject checks a subject (ValidateFlowSchemaSubject): the
// member its kind names, and no other.
func (c *checker) flowSchemaSubject(s *flowcontrolv1.Subject, p *field.Path) {
	members := []struct {
		kind, key string
		set       bool
	}{
		{"ServiceAccount", "serviceAccount", s.ServiceAccount != nil},
		{"User", "user", s.User != nil},
		{"Group", "group", s.Group != nil},
	}
	if !slices.Contains(flowSchemaSubjectKinds, string(s.Kind)) {
		c.add(field.NotSupported(p.Child("kind"), s.Kind, flowSchemaSubjectKinds), "a subject is a ServiceAccount, a User or a Group")
		return
	}
	for _, m := range members {
		if string(s.Kind) == m.kind {
			if !m.set {
				c.add(field.Required(p.Child(m.key), m.key+" is required when subject kind is '"+m.kind+"'"), "describe the "+m.kind+" under "+m.key+":")
			}
			continue
		}
		if m.set {
			c.add(field.Forbidden(p.Child(m.key), m.key+" is forbidden when subject kind is not '"+m.kind+"'"), "remove "+m.key+", or change the subject's kind")
		}
	}
	switch {
	case s.ServiceAccount != nil && s.Kind == flowcontrolv1.SubjectKindServiceAccount:
		sp := p.Child("serviceAccount")
		sa := s.ServiceAccount
		if sa.Name == "" {
			c.add(field.Required(sp.Child("name"), ""), `name the ServiceAccount, or "*" for all of its namespace`)
		} else if sa.Name != flowcontrolv1.NameAll {
			for _, msg := range validation.IsDNS1123Subdomain(sa.Name) {
				c.add(field.Invalid(sp.Child("name"), sa.Name, msg), "a ServiceAccount's name is a DNS subdomain")
			}
		}
		if sa.Namespace == "" {
			c.add(field.Required(sp.Child("namespace"), "must specify namespace for service account"), "give the ServiceAccount's namespace")
		} else {
			for _, msg := range validation.IsDNS1123Label(sa.Namespace) {
				c.add(field.Invalid(sp.Child("namespace"), sa.Namespace, msg), "a namespace's name is a DNS label")
			}
		}
	case s.User != nil && s.Kind == flowcontrolv1.SubjectKindUser && s.User.Name == "":
		c.add(field.Required(p.Child("user", "name"), ""), `name the user, or "*" for all`)
	case s.Group != nil && s.Kind == flowcontrolv1.SubjectKindGroup && s.Group.Name == "":
		c.add(field.Required(p.Child("group", "name"), ""), `name the group, such as system:authenticated, or "*" for all`)
	}
}

// nonResourceURLPath is what ValidateNonResourceURLPath finds wrong with
// a non-resource URL that is not "*", or "".
func nonResourceURLPath(path string) string {
	switch {
	case path == "":
		return "must not be empty"
	case path == "/":
		return ""
	case !strings.HasPrefix(path, "/"):
		return "must start with slash"
	case strings.Contains(path, " "):
		return "must not contain white-space"
	case strings.Contains(path, "//"):
		return "must not contain double slash"
	}
	if n := strings.Count(path, "*"); n > 1 || n == 1 && !strings.HasSuffix(path, "/*") {
		return "wildcard can only do suffix matching"
	}
	return ""
}
