package immutable

import (
	"encoding/json"
	"reflect"
	"strings"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// ForceAnnotation is the annotation with which kustomize-controller
// recreates an object whose immutable fields changed.
const ForceAnnotation = "kustomize.toolkit.fluxcd.io/force"

// Change is one immutable field that differs between two versions of an
// object.
type Change struct {
	// Field is the field path, such as spec.template or roleRef.
	Field string
	// Rule says what the API server allows, for the message.
	Rule string
}

// rule is one kind's immutable fields.
type rule struct {
	// fields are compared whole.
	fields [][]string
	// specExcept, when set, compares all of spec but these fields.
	specExcept []string
	// rule is the API server's rule, for people.
	rule string
	// when, if set, decides whether the rule applies, from the old object.
	when func(old *kyaml.RNode) bool
}

// rules are keyed by API group and kind; every version of a kind shares
// them. Each is what kube-apiserver's validation of updates refuses
// (k8s.io/kubernetes pkg/apis/*/validation, ValidateXUpdate).
var rules = map[string][]rule{
	"batch/Job": {{fields: [][]string{{"spec", "selector"}, {"spec", "template"}, {"spec", "completionMode"}, {"spec", "podFailurePolicy"}},
		rule: "a Job's selector, pod template, completion mode and pod failure policy cannot change"}},
	"apps/Deployment": {{fields: [][]string{{"spec", "selector"}}, rule: "a Deployment's selector cannot change (apps/v1)"}},
	"apps/ReplicaSet": {{fields: [][]string{{"spec", "selector"}}, rule: "a ReplicaSet's selector cannot change (apps/v1)"}},
	"apps/DaemonSet":  {{fields: [][]string{{"spec", "selector"}}, rule: "a DaemonSet's selector cannot change (apps/v1)"}},
	"apps/StatefulSet": {{specExcept: []string{"replicas", "ordinals", "template", "updateStrategy", "revisionHistoryLimit", "persistentVolumeClaimRetentionPolicy", "minReadySeconds"},
		rule: "a StatefulSet's spec can change only in replicas, ordinals, template, updateStrategy, revisionHistoryLimit, persistentVolumeClaimRetentionPolicy and minReadySeconds"}},
	"rbac.authorization.k8s.io/RoleBinding":        {{fields: [][]string{{"roleRef"}}, rule: "a RoleBinding's roleRef cannot change"}},
	"rbac.authorization.k8s.io/ClusterRoleBinding": {{fields: [][]string{{"roleRef"}}, rule: "a ClusterRoleBinding's roleRef cannot change"}},
	"/PersistentVolumeClaim": {{specExcept: []string{"resources", "volumeAttributesClassName"},
		rule: "a PersistentVolumeClaim's spec can change only in resources and volumeAttributesClassName"}},
	"/Service": {{fields: [][]string{{"spec", "clusterIP"}}, rule: "a Service's clusterIP cannot change once set",
		when: func(old *kyaml.RNode) bool { return lookup(old, "spec", "clusterIP") != nil }}},
	"/ConfigMap": {{fields: [][]string{{"data"}, {"binaryData"}, {"immutable"}}, rule: "a ConfigMap with immutable: true cannot change its data or be made mutable",
		when: immutableSet}},
	"/Secret": {
		{fields: [][]string{{"type"}}, rule: "a Secret's type cannot change"},
		{fields: [][]string{{"data"}, {"stringData"}, {"immutable"}}, rule: "a Secret with immutable: true cannot change its data or be made mutable", when: immutableSet},
	},
	"storage.k8s.io/StorageClass": {{fields: [][]string{{"provisioner"}, {"parameters"}, {"reclaimPolicy"}, {"volumeBindingMode"}},
		rule: "a StorageClass's provisioner, parameters, reclaimPolicy and volumeBindingMode cannot change"}},
	"networking.k8s.io/IngressClass":                {{fields: [][]string{{"spec", "controller"}}, rule: "an IngressClass's controller cannot change"}},
	"apiextensions.k8s.io/CustomResourceDefinition": {{fields: [][]string{{"spec", "scope"}}, rule: "a CRD's scope cannot change"}},
}

// Changes returns the immutable fields of old that new changes, for two
// versions of the same object (same kind, namespace and name). A field
// counts as changed when its value differs, or when one version sets it
// and the other does not: what the API server compares is the stored
// object, which may hold a default where the manifest says nothing, so
// a field added or removed is reported too (an added default value is a
// false alarm kiln cannot rule out without the cluster).
func Changes(old, new *kyaml.RNode) []Change {
	if old == nil || new == nil || old.GetKind() != new.GetKind() || group(old) != group(new) {
		return nil
	}
	var out []Change
	for _, r := range rules[group(new)+"/"+new.GetKind()] {
		if r.when != nil && !r.when(old) {
			continue
		}
		for _, f := range r.fields {
			if !same(lookup(old, f...), lookup(new, f...)) {
				out = append(out, Change{Field: strings.Join(f, "."), Rule: r.rule})
			}
		}
		if r.specExcept != nil && !same(without(lookup(old, "spec"), r.specExcept), without(lookup(new, "spec"), r.specExcept)) {
			out = append(out, Change{Field: "spec", Rule: r.rule})
		}
	}
	return out
}

// Forced reports whether Flux replaces the object rather than update it:
// the object has ForceAnnotation set to enabled.
func Forced(obj *kyaml.RNode) bool {
	return obj != nil && obj.GetAnnotations()[ForceAnnotation] == "enabled"
}

func group(rn *kyaml.RNode) string {
	g, _, found := strings.Cut(rn.GetApiVersion(), "/")
	if !found {
		return "" // the core group: apiVersion v1
	}
	return g
}

// immutableSet reports whether a ConfigMap or Secret was immutable.
func immutableSet(old *kyaml.RNode) bool {
	n := lookup(old, "immutable")
	return n != nil && n.YNode().Value == "true"
}

// lookup returns the node at path, nil when absent or null.
func lookup(rn *kyaml.RNode, path ...string) *kyaml.RNode {
	if rn == nil {
		return nil
	}
	n, err := rn.Pipe(kyaml.Lookup(path...))
	if err != nil || n == nil || n.IsNil() {
		return nil
	}
	return n
}

// without returns a copy of mapping rn without the given keys.
func without(rn *kyaml.RNode, keys []string) *kyaml.RNode {
	if rn == nil {
		return nil
	}
	c := rn.Copy()
	for _, k := range keys {
		_ = c.PipeE(kyaml.Clear(k)) // only fails on a non-mapping, compared as is
	}
	return c
}

// same compares two values as JSON, so that key order and YAML style
// (flow or block, quoting) do not count.
func same(a, b *kyaml.RNode) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return reflect.DeepEqual(asJSON(a), asJSON(b))
}

func asJSON(rn *kyaml.RNode) any {
	data, err := rn.MarshalJSON()
	if err != nil {
		text, _ := rn.String() // compared as text, never equal to a decoded value
		return text
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return string(data)
	}
	return v
}
