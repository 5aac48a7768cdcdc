package validate

import (
	"fmt"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/version"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/words"
	"github.com/kiln-gitops/kiln/render/internal/validate/apirules"
	"github.com/kiln-gitops/kiln/templates"
)

// The fields of a CustomResourceDefinition newer than the cluster. A CRD
// is a built-in kind the embedded schemas leave out (its schema is
// recursive, and apiextensions' own decoding checks it), so added.txt has
// no row for it. The fields releases after 1.24 added to the v1 form, from
// the apiextensions.k8s.io/v1 OpenAPI documents of k8s.io/kubernetes 1.24
// to 1.37: a validation rule's messageExpression (1.27), reason and
// fieldPath (1.28), optionalOldSelf (1.29), and a version's
// selectableFields (1.30); and x-kubernetes-validations itself (1.23,
// behind a gate until 1.25, which the API server of 1.23 and 1.24 drops). controller-gen writes them from markers, so a
// chart's CRDs carry them whatever cluster the chart is installed on; an
// older API server does not know them, and Flux's server-side apply of the
// CRD fails. Two of them were behind gates for a release after that
// (CRDValidationRatcheting, CustomResourceFieldSelectors): the API server
// of that release drops them (dropDisabledFields of the CRD strategy).

// crdRuleFields are the fields of an x-kubernetes-validations rule added
// after 1.24, with the release, and the gate that dropped one for a while.
var crdRuleFields = []struct {
	key   string
	since int
	gate  string
}{
	{"messageExpression", 27, ""},
	{"reason", 28, ""},
	{"fieldPath", 28, ""},
	{"optionalOldSelf", 29, "CRDValidationRatcheting"},
}

// rulesSince is the release that added x-kubernetes-validations to a
// schema, alpha and off (rulesGate): an older API server has no such
// field, and its server-side apply refuses the CRD.
const rulesSince = 23

// selectableFieldsSince is the release that added a version's
// selectableFields, the newest of these fields; CustomResourceFieldSelectors
// kept them from 1.31.
const selectableFieldsSince = 30

// crdField is one of those fields in a CRD object.
type crdField struct {
	path  string
	key   *kyaml.Node // its key, for the line
	since int
	gate  string
}

// crdAddedFields returns the fields of a CRD object's v1 form that
// releases after 1.22 added, in the order written.
func crdAddedFields(o templates.Object) []crdField {
	var out []crdField
	_, versions := entry(o.Node.YNode(), "spec")
	_, versions = entry(versions, "versions")
	if versions == nil || versions.Kind != kyaml.SequenceNode {
		return nil
	}
	for i, v := range versions.Content {
		at := fmt.Sprintf("spec.versions[%d]", i)
		if k, sf := entry(v, "selectableFields"); k != nil && sf.Tag != kyaml.NodeTagNull {
			out = append(out, crdField{at + ".selectableFields", k, selectableFieldsSince, "CustomResourceFieldSelectors"})
		}
		_, s := entry(v, "schema")
		if _, root := entry(s, "openAPIV3Schema"); root != nil {
			walkCRDRules(root, at+".schema.openAPIV3Schema", func(key, _ *kyaml.Node, p string) {
				out = append(out, crdField{p, key, rulesSince, rulesGate})
			})
			walkCRDSchema(root, at+".schema.openAPIV3Schema", func(rule *kyaml.Node, p string) {
				for _, f := range crdRuleFields {
					if k, val := entry(rule, f.key); k != nil && val.Tag != kyaml.NodeTagNull {
						out = append(out, crdField{p + "." + f.key, k, f.since, f.gate})
					}
				}
			})
		}
	}
	return out
}

// walkCRDSchema calls rule with each x-kubernetes-validations rule of the
// schema s (at path p) and of the schemas below it, as JSONSchemaProps
// nests them.
func walkCRDSchema(s *kyaml.Node, p string, rule func(*kyaml.Node, string)) {
	walkCRDRules(s, p, func(_, v *kyaml.Node, at string) {
		if v.Kind == kyaml.SequenceNode {
			for j, r := range v.Content {
				rule(r, at+"["+strconv.Itoa(j)+"]")
			}
		}
	})
}

// walkCRDRules calls list with the key, value and path of each
// x-kubernetes-validations field of the schema s (at path p) and of the
// schemas below it.
func walkCRDRules(s *kyaml.Node, p string, list func(key, v *kyaml.Node, p string)) {
	if s == nil || s.Kind != kyaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(s.Content); i += 2 {
		key, v := s.Content[i].Value, s.Content[i+1]
		at := p + "." + key
		switch key {
		case "x-kubernetes-validations":
			if v.Tag != kyaml.NodeTagNull {
				list(s.Content[i], v, at)
			}
		case "properties", "patternProperties", "definitions", "dependencies":
			if v.Kind != kyaml.MappingNode {
				continue
			}
			for j := 0; j+1 < len(v.Content); j += 2 {
				// As the API server names a schema's properties.
				walkCRDRules(v.Content[j+1], at+"["+v.Content[j].Value+"]", list)
			}
		case "items", "additionalProperties", "additionalItems", "not":
			if v.Kind == kyaml.SequenceNode { // items as a list of schemas
				for j, c := range v.Content {
					walkCRDRules(c, at+"["+strconv.Itoa(j)+"]", list)
				}
				continue
			}
			walkCRDRules(v, at, list)
		case "allOf", "anyOf", "oneOf":
			if v.Kind == kyaml.SequenceNode {
				for j, c := range v.Content {
					walkCRDRules(c, at+"["+strconv.Itoa(j)+"]", list)
				}
			}
		}
	}
}

// crdNewerErrors reports the fields of the CRD object o that the API
// server of kube does not know (none when kube is nil, the newest): each
// an error at its line, as for a built-in kind (newerMsg).
func crdNewerErrors(o templates.Object, kube *version.Version) []error {
	// From the newest release of the fields on, none is newer: a large
	// CRD's schema is not walked at the default kubeVersion.
	if kube == nil || kube.Major() != 1 || kube.Minor() >= selectableFieldsSince {
		return nil
	}
	var errs []error
	for _, f := range crdAddedFields(o) {
		if f.since <= int(kube.Minor()) {
			continue
		}
		if kube.Minor() < rulesSince && strings.Contains(f.path, ".x-kubernetes-validations[") {
			// A rule's own newer field, in a list the API lacks: the
			// list's error says it.
			continue
		}
		d := diag.Error{File: o.File, Line: o.LineOf(f.key), Object: objectOf(o.Node), Field: f.path}
		d.Msg, d.Hint = newerMsg(crdGVK, newerField{f.path, f.since}, kube)
		d.Hint += ", or take the CRDs of a release of the chart or operator made for Kubernetes " + fmt.Sprintf("%d.%d", kube.Major(), kube.Minor())
		errs = append(errs, &d)
	}
	return errs
}

// crdDropped returns the fields of the CRD object o that the API server of
// the env's kubeVersion knows but drops, its gate being off by default.
func (e *Env) crdDropped(o templates.Object) []Dropped {
	if e.kube == nil || e.kube.Major() != 1 || e.rules && apirules.GateOn("CustomResourceFieldSelectors", e.kube) && apirules.GateOn("CRDValidationRatcheting", e.kube) {
		return nil
	}
	out := e.crdRulesDropped(o)
	for _, f := range crdAddedFields(o) {
		// The rules themselves are crdRulesDropped's: what dropping them
		// does differs.
		if f.gate == "" || f.gate == rulesGate || f.since > int(e.kube.Minor()) || apirules.GateOn(f.gate, e.kube) {
			continue
		}
		effect := "field selectors on these fields are refused"
		if f.gate == "CRDValidationRatcheting" {
			effect = "the rule's oldSelf is no longer optional: the rule runs only on updates, and one that calls oldSelf.hasValue() or oldSelf.orValue() no longer compiles, which makes the API server refuse the CRD"
		}
		out = append(out, Dropped{Path: f.path, Line: o.LineOf(f.key), Gate: f.gate,
			Msg: fmt.Sprintf("field %q is dropped by the API server of %s (%s is on by default from %s): %s",
				f.path, e.release(), f.gate, apirules.GateSince(f.gate), effect),
			Hint: fmt.Sprintf("if the cluster runs Kubernetes %s or later, set kubeVersion to its version; otherwise take the CRDs of a release made for the cluster's, or turn on %s in the cluster", apirules.GateSince(f.gate), f.gate)})
	}
	return out
}

// rulesGate keeps a CRD's x-kubernetes-validations: alpha and off in 1.23
// and 1.24, whose API server drops them from a CRD it creates (or from
// one whose stored form has none: dropDisabledFields of the CRD
// strategy), so that it enforces none of them; kiln then checks custom
// resources without them too (Env.rules).
const rulesGate = "CustomResourceValidationExpressions"

// crdRulesDropped returns each x-kubernetes-validations field of the CRD
// object o when the API server of the env's kubeVersion drops them.
func (e *Env) crdRulesDropped(o templates.Object) []Dropped {
	// Before 1.23 the field is not in the API at all: crdNewerErrors.
	if e.rules || e.kube.Minor() < rulesSince {
		return nil
	}
	var out []Dropped
	_, versions := entry(o.Node.YNode(), "spec")
	_, versions = entry(versions, "versions")
	if versions == nil || versions.Kind != kyaml.SequenceNode {
		return nil
	}
	for i, v := range versions.Content {
		_, s := entry(v, "schema")
		_, root := entry(s, "openAPIV3Schema")
		walkCRDRules(root, fmt.Sprintf("spec.versions[%d].schema.openAPIV3Schema", i), func(key, list *kyaml.Node, p string) {
			out = append(out, Dropped{Path: p, Line: o.LineOf(key), Gate: rulesGate,
				Msg: fmt.Sprintf("field %q (%s) is dropped by the API server of %s (%s is on by default from %s): the cluster enforces none of a CRD's validation rules, so kiln does not check custom resources against them either",
					p, words.Count(len(list.Content), "CEL rule"), e.release(), rulesGate, apirules.GateSince(rulesGate)),
				Hint: fmt.Sprintf("if the cluster runs Kubernetes %s or later, set kubeVersion to its version; otherwise know that what the rules forbid reaches the cluster unchecked (or turn on %s in the cluster)", apirules.GateSince(rulesGate), rulesGate)})
		})
	}
	return out
}
