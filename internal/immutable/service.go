package immutable

import (
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// serviceChanges returns the fields of a Service that an update changes
// in a way kube-apiserver refuses (ValidateServiceUpdate). A field the new
// manifest leaves out is no change: the API server keeps the allocated
// clusterIP (patchAllocatedValues), and ipFamilies are defaulted from it.
func serviceChanges(old, new *kyaml.RNode) []string {
	var out []string
	ot, nt := scalar(lookup(old, "spec", "type")), scalar(lookup(new, "spec", "type"))
	if ot == "LoadBalancer" && nt == "LoadBalancer" &&
		!same(lookup(old, "spec", "loadBalancerClass"), lookup(new, "spec", "loadBalancerClass")) {
		out = append(out, "spec.loadBalancerClass")
	}
	if ot == "ExternalName" || nt == "ExternalName" {
		return out // the API server bails out for addresses and families
	}
	o, n := scalar(lookup(old, "spec", "clusterIP")), scalar(lookup(new, "spec", "clusterIP"))
	oh, nh := o == "None", n == "None"
	if oh && nh {
		return out // headless before and after: families may change too
	}
	if o != "" && n != "" && o != n {
		out = append(out, "spec.clusterIP")
	}
	if primaryChanged(lookup(old, "spec", "clusterIPs"), lookup(new, "spec", "clusterIPs")) {
		out = append(out, "spec.clusterIPs")
	}
	if oh == nh && primaryChanged(lookup(old, "spec", "ipFamilies"), lookup(new, "spec", "ipFamilies")) {
		out = append(out, "spec.ipFamilies")
	}
	return out
}

// primaryChanged reports whether a list of addresses or families that both
// versions set changes an entry: any entry when both have as many, else
// the first (the other is being added or removed).
func primaryChanged(old, new *kyaml.RNode) bool {
	o, n := elements(old), elements(new)
	if len(o) == 0 || len(n) == 0 {
		return false
	}
	if len(o) != len(n) {
		o, n = o[:1], n[:1]
	}
	for i := range o {
		if scalar(o[i]) != scalar(n[i]) {
			return true
		}
	}
	return false
}

// scalar is a scalar node's value, "" for nil.
func scalar(rn *kyaml.RNode) string {
	if rn == nil {
		return ""
	}
	return rn.YNode().Value
}
