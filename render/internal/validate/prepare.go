package validate

import (
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// PrepareFlux compiles, ahead of any check, the embedded Flux CRD of each
// kind in gvks and the checkers of that version (its OpenAPI validator
// and the CEL rules that every object of the kind reaches, those of the
// nodes its spec leads to: the rest are compiled when an object reaches
// them): most of what checking the first object of the kind costs. A
// caller with time to spare, such as kiln waiting for a sandbox worker to
// start and render, calls it on a goroutine of its own so that the checks
// of the files it emits later do not pay for the compiling. A kind that
// is not an embedded Flux kind is ignored.
func (s *Schemas) PrepareFlux(gvks ...schema.GroupVersionKind) {
	for _, gvk := range gvks {
		get, ok := s.flux[groupKind{gvk.Group, gvk.Kind}]
		if !ok {
			continue
		}
		v := get().versions[gvk.Version]
		if v == nil || !v.served || v.checkers == nil {
			continue
		}
		if ch := v.checkers(); ch.cel != nil {
			ch.cel.validator(leastObject(v))
		}
	}
}

// leastObject is the least object of a version as its checks see it: a
// spec with no field set, defaulted.
func leastObject(v *crdVersion) map[string]any {
	obj := map[string]any{"metadata": map[string]any{}, "spec": map[string]any{}}
	structuraldefaulting.Default(obj, v.structural)
	return obj
}
