package apirules

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	netutils "k8s.io/utils/net"
)

// The IP and CIDR fields that predate strict IP validation (a Service's
// cluster IPs, external IPs and source ranges, a NetworkPolicy's IP
// blocks, a pod's nameservers and host aliases, a Node's pod CIDRs) are
// parsed as the API server of the env's kubeVersion parses them on create
// (IsValidIPForLegacyField and IsValidCIDRForLegacyField in
// k8s.io/kubernetes pkg/apis/core/validation). From 1.36 the
// StrictIPCIDRValidation gate is on by default (GA, always on, in 1.38):
// an IPv4 octet with a leading zero (010.0.0.1, which libc reads as
// octal, so that two programs see two addresses: CVE-2021-29923), an
// IPv4-mapped IPv6 address (::ffff:10.0.0.1) and a CIDR with bits set past
// its prefix length (10.0.0.1/8: the network 10.0.0.0/8 or the one
// address?) are refused. Before, they pass.

// legacyIP checks an address of such a field, with hint for an address
// that is not one at all; it reports whether the address is valid.
func (c *checker) legacyIP(p *field.Path, ip, hint string) bool {
	errs := validation.IsValidIPForLegacyField(p, ip, c.on("StrictIPCIDRValidation"), nil)
	for _, e := range errs {
		c.add(e, strictHint(ip, false, hint))
	}
	return len(errs) == 0
}

// legacyCIDR is legacyIP for a CIDR.
func (c *checker) legacyCIDR(p *field.Path, cidr, hint string) bool {
	errs := validation.IsValidCIDRForLegacyField(p, cidr, c.on("StrictIPCIDRValidation"), nil)
	for _, e := range errs {
		c.add(e, strictHint(cidr, true, hint))
	}
	return len(errs) == 0
}

// strictHint is hint, or, for a value that only strict parsing refuses,
// the value to write instead. (net.IP prints an IPv4-mapped IPv6 address
// as IPv4, and a sloppily parsed octet without its leading zeros.)
func strictHint(value string, cidr bool, hint string) string {
	const since = "the API server refuses this form from Kubernetes 1.36 (StrictIPCIDRValidation)"
	if !cidr {
		ip := netutils.ParseIPSloppy(value)
		if ip == nil {
			return hint
		}
		return fmt.Sprintf("write %s: %s", ip, since)
	}
	ip, ipnet, err := netutils.ParseCIDRSloppy(value)
	if err != nil {
		return hint
	}
	ones, bits := ipnet.Mask.Size()
	if ip.To4() != nil && bits == 128 {
		if ones < 96 {
			// Past the IPv4 part: no IPv4 CIDR says the same.
			return "write an IPv4 CIDR, or an IPv6 one outside ::ffff:0:0/96: " + since
		}
		ones, bits = ones-96, 32 // ::ffff:10.0.0.0/104 is 10.0.0.0/8
	}
	network, one := fmt.Sprintf("%s/%d", ipnet.IP, ones), fmt.Sprintf("%s/%d", ip, bits)
	if ipnet.IP.Equal(ip) {
		return fmt.Sprintf("write %s: %s", network, since)
	}
	return fmt.Sprintf("write the network, %s, or the one address, %s: %s", network, one, since)
}

// IPAddressName checks an IPAddress's name, which is the address it
// allocates (ValidateIPAddressName): an IP address in its canonical form
// (2001:db8::1, not 2001:0db8::1 or 10.001.0.1).
func IPAddressName(name string, _ bool) []string {
	var msgs []string
	for _, e := range validation.IsValidIP(&field.Path{}, name) {
		msgs = append(msgs, e.Detail)
	}
	return msgs
}
