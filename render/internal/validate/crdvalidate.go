package validate

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	apiextensionsinternal "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsvalidation "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/validation"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	fieldpath "k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/templates"
)

// crdSpecError is why the API server refuses a CRD on create
// (apiextensions' ValidateCustomResourceDefinition), its CEL rules aside.
type crdSpecError struct{ errs fieldpath.ErrorList }

func (e *crdSpecError) Error() string { return e.errs.ToAggregate().Error() }

// crdCreateErrors is the API server's create validation of a CRD
// (apiextensions' ValidateCustomResourceDefinition, the code kube-apiserver
// runs), on what its registry validates: the v1 object with v1's defaults
// (singular, listKind, conversion strategy None, webhook port 443),
// converted to the internal form (a schema, subresources, printer columns
// or selectable fields the same in every version moved to spec, as the
// conversion does: the validation refuses them per version then), the
// status the registry sets on create (PrepareForCreate: cleared, the
// storage version stored). The library's own code, not a restatement:
// kiln's restatements missed what they did not restate.
//
// The CEL rules are left out of it (hidden while it runs, withoutRules):
// it would compile every rule at its own CEL compatibility version, where
// kiln compiles them at kubeVersion's (celCompileErrors), for CRDs the env
// renders, and the two compilations would cost twice (23 ms more CPU for
// kube-prometheus-stack's CRDs) and report a rule twice. What the library
// checks of a rule without compiling it celCompile.rules restates, but for
// the rule's reason, which withoutRules checks as it hides the rules; what
// it finds only with the rules compiled or run (oldSelf that cannot be
// paired, defaults a rule refuses) celCompileErrors does.
//
// Metadata errors other than the name's relation to the names, and the
// API approval annotation, are left to the metadata checks every object
// gets (one mistake, one error), and status errors (the status is the
// registry's, derived from spec.versions) repeat a spec error.
func crdCreateErrors(doc *crdDoc) (errs fieldpath.ErrorList) {
	defer func() {
		// The API server's code on an object its own decoder did not
		// make, or a bug: the CRD is refused, the run goes on.
		if r := recover(); r != nil {
			errs = fieldpath.ErrorList{fieldpath.InternalError(nil, fmt.Errorf("apiextensions' validation failed unexpectedly on this CRD (a bug in kiln or in the Kubernetes code it uses; please report it): %v", r))}
		}
	}()
	v1 := doc.v1.DeepCopy() // no schemas: doc keeps them in internal form
	apiextensionsv1.SetObjectDefaults_CustomResourceDefinition(v1)
	for i := range v1.Spec.Versions {
		v1.Spec.Versions[i].Schema = nil
	}
	var in apiextensionsinternal.CustomResourceDefinition
	if err := apiextensionsv1.Convert_v1_CustomResourceDefinition_To_apiextensions_CustomResourceDefinition(v1, &in, nil); err != nil {
		return fieldpath.ErrorList{fieldpath.InternalError(nil, fmt.Errorf("converting the CRD to the API server's internal form: %w", err))}
	}
	// The schemas, moved to spec.validation when all are the same, as
	// Convert_v1_CustomResourceDefinitionSpec_To_apiextensions_CustomResourceDefinitionSpec
	// does (it ran above without them).
	in.Spec.Validation = nil
	same := true
	for i, v := range doc.v1.Spec.Versions {
		if v.Schema != nil {
			in.Spec.Versions[i].Schema = &apiextensionsinternal.CustomResourceValidation{OpenAPIV3Schema: doc.schemas[i]}
		}
		if same && i > 0 && !apiequality.Semantic.DeepEqual(in.Spec.Versions[i].Schema, in.Spec.Versions[0].Schema) {
			same = false
		}
	}
	if same && len(in.Spec.Versions) > 0 {
		in.Spec.Validation = in.Spec.Versions[0].Schema
		for i := range in.Spec.Versions {
			in.Spec.Versions[i].Schema = nil
		}
	}
	in.Status = apiextensionsinternal.CustomResourceDefinitionStatus{}
	for _, v := range in.Spec.Versions {
		if v.Storage {
			in.Status.StoredVersions = []string{v.Name}
			break
		}
	}
	at := make([]*fieldpath.Path, len(doc.schemas))
	for i := range at {
		switch {
		case in.Spec.Validation == nil:
			at[i] = fieldpath.NewPath("spec", "versions").Index(i).Child("schema", "openAPIV3Schema")
		case i == 0:
			at[i] = fieldpath.NewPath("spec", "validation", "openAPIV3Schema")
		}
	}
	restore, reasons := withoutRules(doc.schemas, at)
	defer restore()
	for _, e := range apiextensionsvalidation.ValidateCustomResourceDefinition(context.Background(), &in) {
		if !ownCheck(e) {
			continue
		}
		// Versions whose schemas differ only in their rules are the same
		// once the rules are hidden, and the library then says they should
		// have been one spec.validation; with the rules, as the API server
		// validates them, they differ (same above), so it does not.
		if !same && e.Field == "spec.versions" && strings.Contains(e.Detail, "per-version schemas may not all be set to identical values") {
			continue
		}
		errs = append(errs, shortValue(e))
	}
	return append(errs, reasons...)
}

// ownCheck reports whether e is an error of the CRD's own: not one of
// metadata the object's metadata checks report too, nor of the status the
// registry sets.
func ownCheck(e *fieldpath.Error) bool {
	switch {
	case e.Field == "metadata.name":
		return strings.Contains(e.Detail, "spec.names.plural")
	case strings.HasPrefix(e.Field, "metadata.annotations[api-approved.kubernetes.io]"):
		return true
	case e.Field == "metadata" || strings.HasPrefix(e.Field, "metadata."), strings.HasPrefix(e.Field, "status"):
		return false
	}
	return true
}

// shortValue is e without its value when that is more than a short
// scalar: the library quotes the whole spec.versions for a storage flag,
// or a whole schema, which for a large CRD is megabytes of JSON.
func shortValue(e *fieldpath.Error) *fieldpath.Error {
	switch e.BadValue.(type) {
	case nil, string, bool, int, int32, int64, float32, float64, fieldpath.OmitValueType:
		return e
	}
	if b, err := json.Marshal(e.BadValue); err == nil && len(b) <= 200 {
		return e
	}
	c := *e
	c.BadValue = fieldpath.OmitValueType{}
	return &c
}

// withoutRules empties, in place, the x-kubernetes-validations of every
// schema node the library would compile rules of (the root, properties,
// items and additionalProperties: not allOf, anyOf, oneOf or not, where
// it refuses them as not structural, which it must still see), and
// returns what puts them back. Properties are map values, so a node is
// written back to its parent's map. What the library checks of a rule
// without compiling it and kiln's CEL check does not (celCompile.rules),
// its reason, it checks here, with the library's words, in the schemas
// the library validates (at, by version; nil for one it does not: a
// schema all versions share is validated once, at spec.validation).
func withoutRules(schemas []*apiextensionsinternal.JSONSchemaProps, at []*fieldpath.Path) (restore func(), errs fieldpath.ErrorList) {
	var undo []func()
	// The path of the node walked, as steps from its root: built into a
	// field path only for a reason to report (a path per node would be
	// most of the walk's cost in a large CRD).
	var steps []string
	var walk func(s *apiextensionsinternal.JSONSchemaProps, root *fieldpath.Path, put func())
	walk = func(s *apiextensionsinternal.JSONSchemaProps, root *fieldpath.Path, put func()) {
		if s == nil {
			return
		}
		// The rules of the root's metadata stay: the library refuses any
		// keyword there but name and generateName's ("metadata is
		// implicitly specified"), and with them hidden it took such a CRD,
		// which a real kube-apiserver 1.37 refuses.
		rootMetadata := len(steps) == 2 && steps[0] == "properties" && steps[1] == "metadata"
		if len(s.XValidations) > 0 && !rootMetadata {
			rules := s.XValidations
			for i, r := range rules {
				if root != nil && r.Reason != nil && !slices.Contains(ruleReasons, string(*r.Reason)) {
					p := root
					for j := 0; j < len(steps); j++ {
						if steps[j] == "properties" {
							j++
							p = p.Child("properties").Key(steps[j])
						} else {
							p = p.Child(steps[j])
						}
					}
					errs = append(errs, fieldpath.NotSupported(p.Child("x-kubernetes-validations").Index(i).Child("reason"), *r.Reason, ruleReasons))
				}
			}
			s.XValidations = nil
			put()
			undo = append(undo, func() { s.XValidations = rules; put() })
		}
		for k := range s.Properties {
			p := s.Properties[k]
			m := s.Properties
			steps = append(steps, "properties", k)
			walk(&p, root, func() { m[k] = p })
			steps = steps[:len(steps)-2]
		}
		if s.Items != nil {
			steps = append(steps, "items")
			walk(s.Items.Schema, root, func() {})
			steps = steps[:len(steps)-1]
		}
		if s.AdditionalProperties != nil {
			steps = append(steps, "additionalProperties")
			walk(s.AdditionalProperties.Schema, root, func() {})
			steps = steps[:len(steps)-1]
		}
	}
	for i, s := range schemas {
		walk(s, at[i], func() {})
	}
	return func() {
		for _, f := range undo {
			f()
		}
	}, errs
}

// ruleReasons are the reasons a rule may give (apiextensions validation's
// supportedValidationReason, unexported), sorted as its error lists them.
var ruleReasons = []string{
	string(apiextensionsinternal.FieldValueDuplicate),
	string(apiextensionsinternal.FieldValueForbidden),
	string(apiextensionsinternal.FieldValueInvalid),
	string(apiextensionsinternal.FieldValueRequired),
}

// crdErrors reports why the API server refuses the CRD object o (err,
// from compiling it): one error per field the API server names, at the
// field's line (or its closest parent's in o) when o has it.
func crdErrors(o templates.Object, err error) []error {
	base := diag.Error{File: o.File, Line: o.Line, Object: objectOf(o.Node)}
	var list fieldpath.ErrorList
	hint := "fix the CRD's schema; the API server refuses a schema that is not structural"
	switch e := err.(type) {
	case *crdSpecError:
		list = e.errs
		hint = "fix the field the API server names: it refuses the whole CRD, so no object of its kind can be applied"
	case *crdCELError:
		list = e.errs
		hint = "fix the CRD's x-kubernetes-validations rules: the cluster refuses the CRD, so no object of its kind can be applied"
	case *crdReadError:
		// Not its schema: a value the API server cannot read.
		hint = "fix the value the error at its field names: the API server cannot read the CRD, so it refuses it and no object of its kind can be applied"
	}
	if len(list) == 0 {
		d := base
		d.Msg, d.Err, d.Hint = "CustomResourceDefinition cannot be served: "+err.Error(), err, hint
		return []error{&d}
	}
	idx := indexed(o)
	out := make([]error, 0, len(list))
	for _, fe := range list {
		d := base
		d.Msg, d.Err, d.Hint = "CustomResourceDefinition cannot be served: "+fe.Error(), fe, hint
		segs := splitPath(v1Path(fe.Field))
		for n := len(segs); n > 0; n-- {
			if f := idx.index[objects.JoinPath(segs[:n])]; f != nil {
				d.Line, d.Field = o.LineOf(f.key), f.path
				break
			}
		}
		if fe.Field == "metadata.name" {
			plural, _ := o.Node.GetString("spec.names.plural")
			group, _ := o.Node.GetString("spec.group")
			d.Hint = fmt.Sprintf("name the CRD %q (spec.names.plural, a dot, spec.group): the API server refuses the whole CRD, so no object of its kind can be applied", plural+"."+group)
			if lp := strings.ToLower(plural); lp != plural && lp+"."+group == o.Node.GetName() {
				// The name is right and the plural is not (its own
				// error says so): renamed as told, the CRD would have an
				// invalid name too.
				d.Hint = fmt.Sprintf("write spec.names.plural in lowercase, %q: the name is already that plural and spec.group, and the API server refuses the whole CRD, so no object of its kind can be applied", lp)
			}
		}
		out = append(out, &d)
	}
	return out
}

// v1Path is where a field the API server names in the internal form of a
// CRD is in its v1 form, the one written: a schema, subresources, printer
// columns or selectable fields all versions share are named at spec (the
// first version's stand for all), a conversion webhook's fields at
// spec.conversion.
func v1Path(p string) string {
	for _, f := range []struct{ internal, v1 string }{
		{"spec.validation.", "spec.versions[0].schema."},
		{"spec.subresources", "spec.versions[0].subresources"},
		{"spec.additionalPrinterColumns", "spec.versions[0].additionalPrinterColumns"},
		{"spec.selectableFields", "spec.versions[0].selectableFields"},
		{"spec.conversion.webhookClientConfig", "spec.conversion.webhook.clientConfig"},
		{"spec.conversion.conversionReviewVersions", "spec.conversion.webhook.conversionReviewVersions"},
	} {
		if rest, ok := strings.CutPrefix(p, f.internal); ok {
			p = f.v1 + rest
			break
		}
	}
	return strings.ReplaceAll(p, ".JSONPath", ".jsonPath")
}
