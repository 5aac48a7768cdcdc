package immutable

import (
	"encoding/json"
	"reflect"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
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
	// Recreate, when set, says what deleting and recreating the object
	// destroys (a CRD's custom resources, a claim's data): then the force
	// annotation, the usual answer, is no answer.
	Recreate string
	// Hint, when set, is what to do instead of the usual answers (keep the
	// field, a new name, the force annotation), which do not apply.
	Hint string
}

// rule is one kind's immutable fields.
type rule struct {
	// fields are compared whole.
	fields [][]string
	// specExcept, when set, compares all of spec but these fields.
	specExcept []string
	// rule is the API server's rule, for people.
	rule string
	// hint, if set, is the Change's Hint.
	hint string
	// when, if set, decides whether the rule applies, from the old object.
	when func(old *kyaml.RNode) bool
	// allowed, if set, accepts a change the fields show (a ServiceCIDR
	// made dual-stack, an Indexed Job's completions moved with its
	// parallelism).
	allowed func(old, new *kyaml.RNode) bool
	// mayAdd names, by field, keys inside it that an update may add when
	// the old object has none (a PersistentVolume's CSI
	// controllerExpandSecretRef).
	mayAdd map[string][]string
	// compare, if set, finds the changed fields itself: for a Pod's
	// spec, where some fields may change only one way.
	compare func(old, new *kyaml.RNode) []string
	// normalize, if set, drops from a copy of spec what the API server
	// does not compare, before specExcept compares it.
	normalize func(spec *kyaml.RNode)
}

// rules are keyed by API group and kind; every version of a kind shares
// them. Each is what kube-apiserver's validation of updates refuses
// (k8s.io/kubernetes pkg/apis/*/validation, ValidateXUpdate).
var rules = map[string][]rule{
	"batch/Job": {
		{fields: [][]string{{"spec", "selector"}, {"spec", "template"}, {"spec", "completionMode"}, {"spec", "podFailurePolicy"}, {"spec", "backoffLimitPerIndex"}, {"spec", "managedBy"}, {"spec", "successPolicy"}},
			rule: "a Job's selector, pod template, completion mode, pod failure policy, backoffLimitPerIndex, managedBy and success policy cannot change"},
		{fields: [][]string{{"spec", "completions"}}, rule: "a Job's completions cannot change, but an Indexed Job's together with its parallelism (to the same number)",
			allowed: func(_, new *kyaml.RNode) bool {
				m, c, p := lookup(new, "spec", "completionMode"), lookup(new, "spec", "completions"), lookup(new, "spec", "parallelism")
				// The API server compares with parallelism defaulted (1).
				par := "1"
				if p != nil {
					par = p.YNode().Value
				}
				return m != nil && m.YNode().Value == "Indexed" && (c == nil || c.YNode().Value == par)
			}},
	},
	"/Pod": {{compare: podSpecChanges,
		rule: "a Pod's spec can change only in its containers' and init containers' images, activeDeadlineSeconds (set, or lowered), tolerations (added, or their tolerationSeconds changed) and schedulingGates (removed); a Pod with scheduling gates may also gain nodeSelector entries and node affinity"}},
	"apps/Deployment": {{fields: [][]string{{"spec", "selector"}}, rule: "a Deployment's selector cannot change (apps/v1)"}},
	"apps/ReplicaSet": {{fields: [][]string{{"spec", "selector"}}, rule: "a ReplicaSet's selector cannot change (apps/v1)"}},
	"apps/DaemonSet":  {{fields: [][]string{{"spec", "selector"}}, rule: "a DaemonSet's selector cannot change (apps/v1)"}},
	"apps/StatefulSet": {{specExcept: []string{"replicas", "ordinals", "template", "updateStrategy", "revisionHistoryLimit", "persistentVolumeClaimRetentionPolicy", "minReadySeconds"},
		normalize: claimTemplatesTypeMeta,
		rule:      "a StatefulSet's spec can change only in replicas, ordinals, template, updateStrategy, revisionHistoryLimit, persistentVolumeClaimRetentionPolicy and minReadySeconds"}},
	"rbac.authorization.k8s.io/RoleBinding":        {{fields: [][]string{{"roleRef"}}, rule: "a RoleBinding's roleRef cannot change"}},
	"rbac.authorization.k8s.io/ClusterRoleBinding": {{fields: [][]string{{"roleRef"}}, rule: "a ClusterRoleBinding's roleRef cannot change"}},
	"/PersistentVolumeClaim": {
		{specExcept: []string{"resources", "volumeAttributesClassName"},
			rule: "a PersistentVolumeClaim's spec can change only in resources and volumeAttributesClassName"},
		// The request may go below the previous one only to recover
		// from a failed expansion, and never to or below the volume's
		// capacity, which a claim's request does not exceed otherwise.
		{compare: storageShrinks, rule: "a PersistentVolumeClaim's storage request cannot shrink: Kubernetes does not shrink volumes (it may only be lowered back towards the capacity after a failed expansion)"},
	},
	"/Service": {{compare: serviceChanges,
		rule: "a Service's clusterIP, clusterIPs and ipFamilies cannot change once set, but a second may be added or removed, and a Service may change to or from type ExternalName; a Service given an address cannot become headless (clusterIP: None); a LoadBalancer Service's loadBalancerClass cannot change"}},
	"/ConfigMap": {{fields: [][]string{{"data"}, {"binaryData"}, {"immutable"}}, rule: "a ConfigMap with immutable: true cannot change its data or be made mutable",
		when: immutableSet}},
	"/Secret": {
		{fields: [][]string{{"type"}}, rule: "a Secret's type cannot change"},
		{fields: [][]string{{"data"}, {"stringData"}, {"immutable"}}, rule: "a Secret with immutable: true cannot change its data or be made mutable", when: immutableSet},
	},
	"storage.k8s.io/StorageClass": {{fields: [][]string{{"provisioner"}, {"parameters"}, {"reclaimPolicy"}, {"volumeBindingMode"}},
		rule: "a StorageClass's provisioner, parameters, reclaimPolicy and volumeBindingMode cannot change"}},
	"networking.k8s.io/IngressClass": {{fields: [][]string{{"spec", "controller"}}, rule: "an IngressClass's controller cannot change"}},
	"apiextensions.k8s.io/CustomResourceDefinition": {
		{fields: [][]string{{"spec", "scope"}}, rule: "a CRD's scope cannot change"},
		{compare: storageVersionDropped, rule: "a CRD cannot drop a version its custom resources are stored in (status.storedVersions) until a storage migration has rewritten them in another version and removed it from status.storedVersions",
			// A CRD's name is fixed by its group and plural: no new name.
			hint: "keep the old storage version in spec.versions (served: false) until a storage migration (the operator's upgrade steps, or kube-storage-version-migrator) has removed it from the CRD's status.storedVersions; do not delete the CRD, which deletes its custom resources"},
	},
	"scheduling.k8s.io/PriorityClass": {{fields: [][]string{{"value"}, {"preemptionPolicy"}}, rule: "a PriorityClass's value and preemptionPolicy cannot change"}},
	"node.k8s.io/RuntimeClass":        {{fields: [][]string{{"handler"}}, rule: "a RuntimeClass's handler cannot change"}},
	"storage.k8s.io/CSIDriver": {{fields: [][]string{{"spec", "attachRequired"}, {"spec", "volumeLifecycleModes"}},
		rule: "a CSIDriver's attachRequired and volumeLifecycleModes cannot change"}},
	"discovery.k8s.io/EndpointSlice":         {{fields: [][]string{{"addressType"}}, rule: "an EndpointSlice's addressType cannot change"}},
	"resource.k8s.io/ResourceClaim":          {{fields: [][]string{{"spec"}}, rule: "a ResourceClaim's spec cannot change"}},
	"resource.k8s.io/ResourceClaimTemplate":  {{fields: [][]string{{"spec"}}, rule: "a ResourceClaimTemplate's spec cannot change"}},
	"certificates.k8s.io/ClusterTrustBundle": {{fields: [][]string{{"spec", "signerName"}}, rule: "a ClusterTrustBundle's signerName cannot change"}},
	"/PersistentVolume": {
		{fields: persistentVolumeSources(), mayAdd: map[string][]string{"spec.csi": {"controllerExpandSecretRef"}},
			rule: "a PersistentVolume's volume source (hostPath, nfs, csi, local, …) and volumeMode cannot change; a CSI source may gain a controllerExpandSecretRef"},
		// The MutablePVNodeAffinity gate, which relaxes it, is alpha.
		{fields: [][]string{{"spec", "nodeAffinity"}}, rule: "a PersistentVolume's nodeAffinity cannot change once set",
			when: func(old *kyaml.RNode) bool { return lookup(old, "spec", "nodeAffinity") != nil }},
	},
	"storage.k8s.io/VolumeAttributesClass": {{fields: [][]string{{"driverName"}, {"parameters"}}, rule: "a VolumeAttributesClass's driverName and parameters cannot change"}},
	"networking.k8s.io/ServiceCIDR": {{fields: [][]string{{"spec", "cidrs"}}, rule: "a ServiceCIDR's cidrs cannot change, but a single one may gain a second, of the other IP family",
		allowed: func(old, new *kyaml.RNode) bool {
			o, n := asJSON(lookup(old, "spec", "cidrs")), asJSON(lookup(new, "spec", "cidrs"))
			ol, ok1 := o.([]any)
			nl, ok2 := n.([]any)
			return ok1 && ok2 && len(ol) == 1 && len(nl) == 2 && reflect.DeepEqual(ol[0], nl[0])
		}}},
}

// destroys says, by API group and kind, what deleting an object takes
// with it beyond the object: Flux deletes one it prunes, and one it
// recreates for an immutable change.
var destroys = map[string]string{
	"apiextensions.k8s.io/CustomResourceDefinition": "deleting a CustomResourceDefinition deletes every custom resource of its kind in the cluster",
	"/Namespace":             "deleting a Namespace deletes every object in it",
	"/PersistentVolumeClaim": "deleting a PersistentVolumeClaim releases its volume, which a Delete reclaim policy (dynamic provisioning's default) then deletes with its data",
	"/PersistentVolume":      "deleting a PersistentVolume with a Delete reclaim policy deletes the storage behind it",
}

// Destroys says what deleting obj takes with it beyond the object (a
// CRD's custom resources, a Namespace's objects, a claim's data), "" when
// nothing.
func Destroys(obj *kyaml.RNode) string {
	if obj == nil {
		return ""
	}
	if group(obj) == "" && obj.GetKind() == "PersistentVolume" {
		// A PersistentVolume made by hand keeps its storage (Retain, the
		// default); a claim's volume is dynamic provisioning's, whose
		// default is Delete, and kiln cannot see it.
		p := lookup(obj, "spec", "persistentVolumeReclaimPolicy")
		if p == nil || p.YNode().Value != "Delete" {
			return ""
		}
	}
	return destroys[group(obj)+"/"+obj.GetKind()]
}

// storageShrinks reports spec.resources.requests.storage when new asks
// for less than old (ValidatePersistentVolumeClaimUpdate).
func storageShrinks(old, new *kyaml.RNode) []string {
	path := []string{"spec", "resources", "requests", "storage"}
	o, n := lookup(old, path...), lookup(new, path...)
	if o == nil || n == nil {
		return nil
	}
	oq, err1 := resource.ParseQuantity(o.YNode().Value)
	nq, err2 := resource.ParseQuantity(n.YNode().Value)
	if err1 != nil || err2 != nil || nq.Cmp(oq) >= 0 {
		return nil
	}
	return []string{strings.Join(path, ".")}
}

// claimTemplatesTypeMeta drops the apiVersion and kind of each of a
// StatefulSet spec's volumeClaimTemplates: the API server does not keep
// them, so a chart that adds or removes them (bitnami's charts did both,
// in 2024 and 2025) changes nothing it compares.
func claimTemplatesTypeMeta(spec *kyaml.RNode) {
	for _, t := range elements(lookup(spec, "volumeClaimTemplates")) {
		_ = t.PipeE(kyaml.Clear("apiVersion")) // only fails on a non-mapping, compared as is
		_ = t.PipeE(kyaml.Clear("kind"))
	}
}

// storageVersionDropped reports spec.versions when old's storage version
// is not among new's versions: the API server keeps every version objects
// were stored in in status.storedVersions and refuses a CRD whose versions
// leave one out (ValidateCustomResourceDefinitionStoredVersions). Older
// storage versions may be listed there too; kiln sees only old's.
func storageVersionDropped(old, new *kyaml.RNode) []string {
	stored := ""
	for _, v := range elements(lookup(old, "spec", "versions")) {
		if scalar(lookup(v, "storage")) == "true" {
			stored = scalar(lookup(v, "name"))
		}
	}
	if stored == "" {
		return nil
	}
	for _, v := range elements(lookup(new, "spec", "versions")) {
		if scalar(lookup(v, "name")) == stored {
			return nil
		}
	}
	return []string{"spec.versions"}
}

// persistentVolumeSources returns the paths of a PersistentVolume's
// volume source fields, inlined in its spec (spec.nfs, spec.csi, …), from
// k8s.io/api's type so that a source a new release adds is one too, and
// spec.volumeMode.
func persistentVolumeSources() [][]string {
	var out [][]string
	t := reflect.TypeFor[corev1.PersistentVolumeSource]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		out = append(out, []string{"spec", name})
	}
	return append(out, []string{"spec", "volumeMode"})
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
	key := group(new) + "/" + new.GetKind()
	for _, r := range rules[key] {
		if r.when != nil && !r.when(old) || r.allowed != nil && r.allowed(old, new) {
			continue
		}
		for _, f := range r.fields {
			n := lookup(new, f...)
			if added := r.mayAdd[strings.Join(f, ".")]; added != nil && n != nil {
				o := lookup(old, f...)
				var drop []string
				for _, k := range added {
					if lookup(o, k) == nil {
						drop = append(drop, k)
					}
				}
				n = without(n, drop)
			}
			if !same(lookup(old, f...), n) {
				out = append(out, Change{Field: strings.Join(f, "."), Rule: r.rule, Recreate: Destroys(old)})
			}
		}
		if r.compare != nil {
			for _, f := range r.compare(old, new) {
				out = append(out, Change{Field: f, Rule: r.rule, Recreate: Destroys(old), Hint: r.hint})
			}
		}
		if r.specExcept != nil {
			o, n := without(lookup(old, "spec"), r.specExcept), without(lookup(new, "spec"), r.specExcept)
			if r.normalize != nil {
				r.normalize(o)
				r.normalize(n)
			}
			if !same(o, n) {
				out = append(out, Change{Field: "spec", Rule: r.rule, Recreate: Destroys(old)})
			}
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
