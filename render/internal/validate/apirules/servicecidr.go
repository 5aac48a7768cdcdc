package apirules

import (
	networkingv1 "k8s.io/api/networking/v1"
	networkingv1beta1 "k8s.io/api/networking/v1beta1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	netutils "k8s.io/utils/net"
)

// serviceCIDR checks obj if it is a ServiceCIDR (v1, or v1beta1 with the
// same fields) as ValidateServiceCIDR in k8s.io/kubernetes v1.37
// pkg/apis/networking/validation does: one or two CIDRs, of distinct
// families, each parsed strictly and written canonically (a new field's
// rules, whatever the StrictIPCIDRValidation gate says). A range that
// does not parse is refused, and the Services meant to get addresses
// from it get none.
func (c *checker) serviceCIDR(obj runtime.Object) {
	var cidrs []string
	switch o := obj.(type) {
	case *networkingv1.ServiceCIDR:
		cidrs = o.Spec.CIDRs
	case *networkingv1beta1.ServiceCIDR:
		cidrs = o.Spec.CIDRs
	default:
		return
	}
	p := field.NewPath("spec", "cidrs")
	const hint = "list one range per IP family, each its network address and prefix, such as [10.96.0.0/16, 'fd00:10:96::/112']"
	switch {
	case len(cidrs) == 0:
		c.add(field.Required(p, "at least one CIDR required"), hint)
		return
	case len(cidrs) > 2:
		c.add(field.Invalid(p, cidrs, "may only hold up to 2 values"), hint)
		return
	}
	for i, cidr := range cidrs {
		for _, e := range validation.IsValidCIDR(p.Index(i), cidr) {
			c.add(e, hint+"; a ServiceCIDR's ranges are read strictly: no leading zeros, no bits set past the prefix, IPv6 in its shortest form")
		}
	}
	if len(cidrs) == 2 && netutils.IsIPv6CIDRString(cidrs[0]) == netutils.IsIPv6CIDRString(cidrs[1]) {
		c.add(field.Invalid(p, cidrs, "may only hold up to one CIDR of each IP family"), "a ServiceCIDR holds one IPv4 and one IPv6 range at most: put another range of the same family in its own ServiceCIDR")
	}
}
