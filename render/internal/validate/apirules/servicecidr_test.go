package apirules

import (
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	networkingv1beta1 "k8s.io/api/networking/v1beta1"
	"k8s.io/apimachinery/pkg/runtime"
)

// TestServiceCIDRs: a ServiceCIDR's ranges as ValidateServiceCIDR checks
// them.
func TestServiceCIDRs(t *testing.T) {
	t.Parallel()
	v1 := func() runtime.Object { return &networkingv1.ServiceCIDR{} }
	checkRows(t, []row{
		// The Kubernetes documentation's example.
		{"dual stack", v1, "spec: {cidrs: [10.96.0.0/28, '2001:db8:1::/112']}", "", ""},
		{"one range", v1, "spec: {cidrs: [10.96.0.0/16]}", "", ""},
		{"no range", v1, "spec: {cidrs: []}", "", "spec.cidrs: Required value: at least one CIDR required"},
		{"three ranges", v1, "spec: {cidrs: [10.96.0.0/16, 10.97.0.0/16, '2001:db8::/112']}", "", "spec.cidrs: Invalid value: [\"10.96.0.0/16\",\"10.97.0.0/16\",\"2001:db8::/112\"]: may only hold up to 2 values"},
		{"two of a family", v1, "spec: {cidrs: [10.96.0.0/16, 10.97.0.0/16]}", "",
			`spec.cidrs: Invalid value: ["10.96.0.0/16","10.97.0.0/16"]: may only hold up to one CIDR of each IP family`},
		{"an address", v1, "spec: {cidrs: [10.96.0.10]}", "", `spec.cidrs[0]: Invalid value: "10.96.0.10": must be a valid CIDR value`},
		{"bits past the prefix", v1, "spec: {cidrs: [10.96.0.1/16]}", "1.33.0", `spec.cidrs[0]: Invalid value: "10.96.0.1/16": must not have bits set beyond the prefix length`},
		{"IPv6 not canonical", v1, "spec: {cidrs: ['2001:db8:0::/112']}", "", `spec.cidrs[0]: Invalid value: "2001:db8:0::/112": must be in canonical form ("2001:db8::/112")`},
		{"v1beta1 leading zero", func() runtime.Object { return &networkingv1beta1.ServiceCIDR{} }, "spec: {cidrs: [010.96.0.0/16]}", "1.31.0",
			`spec.cidrs[0]: Invalid value: "010.96.0.0/16": must not have leading 0s`},
	})
}
