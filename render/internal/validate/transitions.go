package validate

import (
	"context"
	"fmt"

	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	fieldpath "k8s.io/apimachinery/pkg/util/validation/field"
	kjson "sigs.k8s.io/json"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/templates"
)

// Transitions returns what the API server refuses when it updates old to
// cur, two versions of one custom resource of app, beyond what it refuses
// when it creates cur: the CRD's transition rules, the
// x-kubernetes-validations that read oldSelf ("Value is immutable"). A
// change they refuse passes every check of a render, which sees only the
// new object, and fails Flux's apply on the cluster. Each error is at its
// field's line in cur. An old object of another version of the CRD is
// compared as the API server reads it when the CRD's conversion is None:
// under cur's apiVersion, nothing else changed (a GatewayClass moved from
// v1beta1 to v1 keeps its immutable controllerName). nil when cur is of
// no CRD kiln knows (the env's, validation.crds', Flux's), when the two
// are not of one group and kind, when they are of two versions and the
// CRD converts with a webhook (which kiln cannot call), or when either
// cannot be read: the render reports that.
func (e *Env) Transitions(ctx context.Context, app string, old, cur templates.Object) []error {
	return e.TransitionsSince(ctx, app, nil, old, cur)
}

// TransitionsSince is Transitions with before, the env whose CRDs old was
// applied under (nil: e's). The API server stored old with the defaults of
// its CRD then, and a CRD that changes a default does not change the
// stored value; what old still lacks it defaults on reading, with the CRD
// of now, and a stored default that neither manifest sets stays in the
// updated object (keepStored). Without before, a field pinned to its old
// default in the promotion that changes the default reads as changed (a
// false warning), and one set to its new default as unchanged (a miss):
// kube-apiserver 1.37 decides the other way on CloudNativePG's Backup,
// whose spec is immutable.
func (e *Env) TransitionsSince(ctx context.Context, app string, before *Env, old, cur templates.Object) []error {
	u, ok := e.update(before, old, cur)
	if !ok {
		return nil
	}
	gv, c, v, oldObj, curObj := u.gv, u.c, u.v, u.old, u.cur
	ch := v.checkers()
	if ch.err != nil || ch.cel == nil || !e.rules {
		return nil
	}
	// The API server runs no rule on an object the schema refuses
	// (blocking); the render has reported that.
	if blocking(apiservervalidation.ValidateCustomResource(nil, curObj, ch.validator)) {
		return nil
	}
	created := map[string]bool{}
	for _, fe := range ch.cel.validate(ctx, v.structural, curObj) {
		created[fe.Error()] = true
	}
	base := diag.Error{File: cur.File, Line: cur.Line, App: app, Object: objectOf(cur.Node)}
	against := fmt.Sprintf("%s %s (%s)", gv, cur.Node.GetKind(), c.where)
	var errs []error
	var idx *encoder
	for _, fe := range ch.cel.validateUpdate(ctx, v.structural, curObj, oldObj) {
		if created[fe.Error()] {
			continue
		}
		if idx == nil {
			idx = indexed(cur)
		}
		// The field and the CRD's message say what is wrong; the value,
		// which may be anything the object holds, is left out.
		named := *fe
		named.BadValue = fieldpath.OmitValueType{}
		errs = append(errs, fieldError(cur, base, idx, v.structural, against, &named))
	}
	return errs
}

// updated is one custom resource's update as the API server reads it:
// both versions decoded, pruned and defaulted by the CRD of now, old with
// what its CRD of then stored (keepStored).
type updated struct {
	gv       schema.GroupVersion
	c        *crd
	v        *crdVersion
	old, cur map[string]any
	// pruned are cur's unknown fields: server-side apply refuses them.
	pruned []string
	status fieldpath.ErrorList // cur's status, of the wrong type for an apply
}

// update prepares the update of old to cur for TransitionsSince and
// UpdateAccepted; false when there is nothing kiln can compare (see
// Transitions).
func (e *Env) update(before *Env, old, cur templates.Object) (updated, bool) {
	var u updated
	if old.Node.GetKind() != cur.Node.GetKind() {
		return u, false
	}
	// A SOPS document's values are ciphertext, which sops makes anew when
	// it encrypts again: the rules would compare that, not the values.
	if old.Node.Field("sops") != nil || cur.Node.Field("sops") != nil {
		return u, false
	}
	gv, err := schema.ParseGroupVersion(cur.Node.GetApiVersion())
	if err != nil {
		return u, false
	}
	oldGV, err := schema.ParseGroupVersion(old.Node.GetApiVersion())
	if err != nil || oldGV.Group != gv.Group {
		return u, false
	}
	ref := e.ref(gv.Group, cur.Node.GetKind())
	if ref == nil {
		return u, false
	}
	c := ref.get()
	if c.err != nil {
		return u, false
	}
	v, ok := c.versions[gv.Version]
	if !ok || !v.served || v.structural == nil {
		return u, false
	}
	// A webhook would convert old in ways kiln cannot see. Without one,
	// old's version need not be listed any more: the API server reads the
	// stored object, of a listed version, the same way (once the apply
	// gets that far: DroppedVersion).
	if oldGV.Version != gv.Version && !c.noConversion {
		return u, false
	}
	oldObj, ok1 := decodeForUpdate(old)
	curObj, ok2 := decodeForUpdate(cur)
	if !ok1 || !ok2 {
		return u, false
	}
	if bv := before.storedUnder(oldGV, cur.Node.GetKind()); bv != nil {
		manifest, _ := decodeForUpdate(old)
		bv.asDecoded(oldObj)
		keepStored(curObj, oldObj, manifest, true)
	}
	if st, ok := curObj["status"]; ok && v.status {
		u.status = statusApplyErrors(v.structural, st)
	}
	v.asDecoded(oldObj)
	// The API server reads old from storage through the CRD's schema
	// coercer, which drops a null the schema neither allows nor gives a
	// default (a field made non-nullable since old was stored): the
	// null Flux applies again is then a change, refused, not ratcheted
	// (kube-apiserver 1.37). Flux's object is not decoded that way.
	structuraldefaulting.PruneNonNullableNullsWithoutDefaults(oldObj, v.structural)
	u.pruned = v.asDecoded(curObj)
	// The None converter's whole conversion.
	oldObj["apiVersion"] = curObj["apiVersion"]
	u.gv, u.c, u.v, u.old, u.cur = gv, c, v, oldObj, curObj
	return u, true
}

// keepStored copies into cur each value of stored that manifest, the old
// object as Flux applied it, does not set and cur does not either: a value
// the API server's defaulting added when it stored the old object. Flux's
// apply owns only what its manifests set, so it leaves such a value in
// place, and the new CRD's default does not replace it (kube-apiserver
// 1.37 keeps a CloudNativePG Backup's defaulted spec.method across a CRD
// that changes the default). Mappings are merged key by key; a list is
// cur's.
func keepStored(cur, stored, manifest map[string]any, root bool) {
	for k, sv := range stored {
		if root && (k == "apiVersion" || k == "kind" || k == "metadata" || k == "status") {
			continue
		}
		mv, inManifest := manifest[k]
		cv, inCur := cur[k]
		switch {
		case !inManifest && !inCur:
			cur[k] = runtime.DeepCopyJSONValue(sv)
		case inManifest && inCur:
			sm, ok1 := sv.(map[string]any)
			mm, ok2 := mv.(map[string]any)
			cm, ok3 := cv.(map[string]any)
			if ok1 && ok2 && ok3 {
				keepStored(cm, sm, mm, false)
			}
		}
	}
}

// storedUnder returns the version gv of e's CRD of kind, nil when e is
// nil or has no such version to decode with.
func (e *Env) storedUnder(gv schema.GroupVersion, kind string) *crdVersion {
	if e == nil {
		return nil
	}
	ref := e.ref(gv.Group, kind)
	if ref == nil {
		return nil
	}
	c := ref.get()
	if c.err != nil {
		return nil
	}
	if v := c.versions[gv.Version]; v != nil && v.structural != nil {
		return v
	}
	return nil
}

// decodeForUpdate is o decoded as the API server's decoder reads it,
// before asDecoded.
func decodeForUpdate(o templates.Object) (map[string]any, bool) {
	data, err := JSON(o)
	if err != nil {
		return nil, false
	}
	// Integers stay integers, as the API server's decoder keeps them: a
	// rule on an integer field fails on a float64 ("expected int").
	var obj map[string]any
	if err := kjson.UnmarshalCaseSensitivePreserveInts(data, &obj); err != nil {
		return nil, false
	}
	return obj, true
}

// DroppedVersion returns the name of the CRD of old and cur, one custom
// resource under two versions of its CRD, when the CRD no longer lists
// old's version. Server-side apply converts the object to the version of
// each of its managedFields entries, and Flux's entry is of the version it
// last applied, old's: the conversion fails ("request to convert CR to an
// invalid group/version", kubernetes/kubernetes#111937, still so in
// kube-apiserver 1.37) and so does every apply of the object, the dry run
// included, until the entry goes. A version listed but no longer served
// converts. "" when the CRD is not kiln's to read or lists the version.
func (e *Env) DroppedVersion(old, cur templates.Object) string {
	if old.Node.GetKind() != cur.Node.GetKind() || old.Node.GetApiVersion() == cur.Node.GetApiVersion() {
		return ""
	}
	gv, err1 := schema.ParseGroupVersion(cur.Node.GetApiVersion())
	oldGV, err2 := schema.ParseGroupVersion(old.Node.GetApiVersion())
	if err1 != nil || err2 != nil || oldGV.Group != gv.Group {
		return ""
	}
	ref := e.ref(gv.Group, cur.Node.GetKind())
	if ref == nil {
		return ""
	}
	c := ref.get()
	if c.err != nil {
		return ""
	}
	if _, listed := c.versions[oldGV.Version]; listed {
		return ""
	}
	return c.name
}
