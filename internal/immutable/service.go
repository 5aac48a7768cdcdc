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
	if primary(old) == "" && primary(new) == "None" {
		// The old manifest left the address to the API server, which
		// allocated one (a Service not of type ExternalName always gets
		// one) and keeps it: made headless, the update changes it.
		// Refused unless the Service was headless before that manifest
		// (the API server keeps None too), which kiln cannot see.
		if n == "None" {
			out = append(out, "spec.clusterIP")
		} else {
			out = append(out, "spec.clusterIPs")
		}
		return out
	}
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

// primary is a Service's address as its manifest sets it: clusterIP, else
// the first of clusterIPs, "" when it sets neither.
func primary(svc *kyaml.RNode) string {
	if ip := scalar(lookup(svc, "spec", "clusterIP")); ip != "" {
		return ip
	}
	if ips := elements(lookup(svc, "spec", "clusterIPs")); len(ips) > 0 {
		return scalar(ips[0])
	}
	return ""
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
