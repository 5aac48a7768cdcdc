package validate

import "k8s.io/apimachinery/pkg/runtime/schema"

// PrepareFlux compiles, ahead of any check, the embedded Flux CRD of each
// kind in gvks and the checkers of that version (its OpenAPI validator
// and CEL rules): most of what checking the first object of the kind
// costs. A caller with time to spare, such as kiln waiting for a sandbox
// worker to start and render, calls it on a goroutine of its own so that
// the checks of the files it emits later do not pay for the compiling.
// A kind that is not an embedded Flux kind is ignored.
func (s *Schemas) PrepareFlux(gvks ...schema.GroupVersionKind) {
	for _, gvk := range gvks {
		get, ok := s.flux[groupKind{gvk.Group, gvk.Kind}]
		if !ok {
			continue
		}
		get().compileVersion(gvk.Version)
	}
}
