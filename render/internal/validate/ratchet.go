package validate

import (
	"context"

	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel/model"
	structurallisttype "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	fieldpath "k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"k8s.io/apiserver/pkg/cel/common"

	"github.com/kiln-gitops/kiln/render/internal/validate/apirules"
	"github.com/kiln-gitops/kiln/templates"
)

// UpdateAccepted reports whether the API server of e's kubeVersion takes
// cur as an update of old, one custom resource the cluster holds (before:
// the env whose CRDs old was applied under, nil for e's), where Objects,
// which checks cur as a create, refuses it. From 1.30
// (CRDValidationRatcheting) the API server lets a value that its CRD
// refuses stay when the update leaves it as it was (a pattern, a rule
// such as CloudNativePG's "the name postgres is reserved" added after
// the object was created): what it runs on an update is run here
// (customResourceStrategy.ValidateUpdate of k8s.io/apiextensions-apiserver),
// with the library's ratcheting schema validator and CEL rules under the
// same correlation of the two objects. False when anything of cur is
// refused on the update too (a transition rule included), when the API
// server ratchets nothing (before 1.30), or when kiln cannot compare the
// two (Transitions).
func (e *Env) UpdateAccepted(ctx context.Context, before *Env, old, cur templates.Object) bool {
	if !apirules.GateOn("CRDValidationRatcheting", e.kube) {
		return false
	}
	u, ok := e.update(before, old, cur)
	if !ok || len(u.pruned) > 0 || len(u.status) > 0 {
		return false
	}
	ch := u.v.checkers()
	if ch.err != nil {
		return false
	}
	val, err := ch.validatorAt(celCompat(e.kube))
	if err != nil {
		return false
	}
	// Metadata is ObjectMeta's, which the update validates as the create
	// does (validateObjectMetaUpdateDeclaratively): nothing of it
	// ratchets. A label that is no label value, beside a value the CRD
	// ratchets, made the whole object a warning.
	if len(checkMeta("", cur, u.gv.WithKind(cur.Node.GetKind()), encoded{}, e.kube, !u.c.namespaced)) > 0 {
		return false
	}
	correlated := common.NewCorrelatedObject(u.cur, u.old, &model.Structural{Structural: u.v.structural})
	errs := apiservervalidation.ValidateCustomResourceUpdate(nil, u.cur, u.old, val, apiservervalidation.WithRatcheting(correlated))
	errs = append(errs, untold(scaleErrors(u.cur, u.v.scale), errs)...)
	errs = append(errs, schemaobjectmeta.Validate(ctx, nil, u.cur, u.v.structural, false)...)
	// The API server's update lets a set or map list's duplicates stay
	// when old has them too, but Flux applies server-side, and the apply
	// refuses a duplicate in the object it is given whatever the cluster
	// holds ("failed to create typed patch object: duplicate entries for
	// key", kube-apiserver 1.37): the invariants do not ratchet.
	errs = append(errs, structurallisttype.ValidateListSetsAndMaps(nil, u.v.structural, u.cur)...)
	if len(errs) > 0 {
		return false
	}
	if e.rules && ch.cel != nil {
		if cv := ch.cel.validator(u.cur); cv != nil {
			var ruleErrs fieldpath.ErrorList
			ruleErrs, _ = cv.Validate(ctx, nil, u.v.structural, u.cur, u.old, celconfig.RuntimeCELCostBudget, cel.WithRatcheting(correlated))
			if len(ruleErrs) > 0 {
				return false
			}
		}
	}
	// A rule that the context cut short may have passed for not running.
	return ctx.Err() == nil
}
