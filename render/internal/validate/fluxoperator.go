package validate

import (
	"encoding/json"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// operatorKinds are the kinds the Flux Operator adds to the enum of an
// Alert's eventSources[].kind and a Receiver's resources[].kind in the
// notification-controller CRDs it installs (its notification patch of
// each Flux distribution), so that Alerts and Receivers can name its
// FluxInstance and ResourceSets, as its documentation shows. The upstream
// CRDs kiln embeds list Flux's own kinds only: a cluster whose Flux the
// operator installed, more and more of them, would take what kiln
// refused. kiln cannot tell how a cluster's Flux was installed; these
// kinds exist only where the operator runs, so it takes them, and an
// Alert naming them on a cluster without the operator is not caught.
var operatorKinds = []string{"FluxInstance", "ResourceSet", "ResourceSetInputProvider"}

// operatorEnums names, by embedded CRD file, the field whose kind enum the
// Flux Operator extends, below each version's spec.
var operatorEnums = map[string]string{
	"notification.toolkit.fluxcd.io_alerts.yaml":    "eventSources",
	"notification.toolkit.fluxcd.io_receivers.yaml": "resources",
}

// withOperatorKinds returns data, the JSON of the embedded CRD of file,
// with operatorKinds added to the enum the Flux Operator extends, in
// every version that has it.
func withOperatorKinds(file string, data []byte) []byte {
	field, ok := operatorEnums[file]
	if !ok {
		return data
	}
	var crd map[string]any
	if err := json.Unmarshal(data, &crd); err != nil {
		panic(err) // embedded and tested
	}
	// NoCopy: the enums are changed in place.
	vs, _, _ := unstructured.NestedFieldNoCopy(crd, "spec", "versions")
	versions, _ := vs.([]any)
	for _, v := range versions {
		version, _ := v.(map[string]any)
		k, _, _ := unstructured.NestedFieldNoCopy(version, "schema", "openAPIV3Schema", "properties", "spec", "properties", field, "items", "properties", "kind")
		kind, _ := k.(map[string]any)
		enum, ok := kind["enum"].([]any)
		if !ok {
			continue
		}
		for _, k := range operatorKinds {
			if !slices.Contains(enum, any(k)) {
				enum = append(enum, k)
			}
		}
		kind["enum"] = enum
	}
	out, err := json.Marshal(crd)
	if err != nil {
		panic(err) // decoded from JSON just above
	}
	return out
}
