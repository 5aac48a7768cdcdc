package apirules

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	netutils "k8s.io/utils/net"
)

// Endpoints (core/v1), as validateEndpointSubsets in k8s.io/kubernetes
// v1.37 pkg/apis/core/validation checks them on create. Charts still
// write them by hand to give a Service without a selector an address
// outside the cluster; one the API server refuses leaves the Service
// without endpoints. (On an update that leaves the subsets as they were
// the API server skips these checks; kiln, which cannot tell, checks
// them as on create, as it does every object.) A port's protocol written
// as "" is defaulted to TCP (a plain string: "" is left out), so it is not
// refused.

const endpointsAddrHint = "an Endpoints address is the IP address of a backend, such as 10.1.2.3 (not a host name: use a Service of type ExternalName for one)"

func (c *checker) endpoints(ep *corev1.Endpoints) {
	sp := field.NewPath("subsets")
	for i := range ep.Subsets {
		ss := &ep.Subsets[i]
		p := sp.Index(i)
		if len(ss.Addresses) == 0 && len(ss.NotReadyAddresses) == 0 {
			c.add(field.Required(p, "must specify `addresses` or `notReadyAddresses`"), "give the subset the addresses of its backends")
		}
		for j := range ss.Addresses {
			c.endpointsAddress(&ss.Addresses[j], p.Child("addresses").Index(j))
		}
		for j := range ss.NotReadyAddresses {
			c.endpointsAddress(&ss.NotReadyAddresses[j], p.Child("notReadyAddresses").Index(j))
		}
		for j := range ss.Ports {
			c.endpointsPort(&ss.Ports[j], len(ss.Ports) > 1, p.Child("ports").Index(j))
		}
	}
}

// endpointsAddress checks one address (validateEndpointAddress): an IP
// address (parsed strictly from 1.36, as the API server of the env
// parses it) that traffic can reach, a DNS-label hostname and a
// DNS-subdomain node name.
func (c *checker) endpointsAddress(a *corev1.EndpointAddress, p *field.Path) {
	ip := p.Child("ip")
	if c.legacyIP(ip, a.IP, endpointsAddrHint) {
		c.endpointIP(netutils.ParseIPSloppy(a.IP), a.IP, ip, "an Endpoints address is one other pods can reach: remove this one")
	}
	if a.Hostname != "" {
		for _, msg := range validation.IsDNS1123Label(a.Hostname) {
			c.add(field.Invalid(p.Child("hostname"), a.Hostname, msg), "hostname is a DNS label: at most 63 lowercase letters, digits and '-'")
		}
	}
	if n := a.NodeName; n != nil {
		for _, msg := range validation.IsDNS1123Subdomain(*n) {
			c.add(field.Invalid(p.Child("nodeName"), *n, msg), "nodeName is a Node's name: lowercase letters, digits, '-' and '.'")
		}
	}
}

// endpointsPort checks one port (validateEndpointPort): named when the
// subset has several (a DNS label, the name of the Service's port it
// serves), a number 1-65535, an appProtocol that is a qualified name.
func (c *checker) endpointsPort(port *corev1.EndpointPort, requireName bool, p *field.Path) {
	const nameHint = "a port's name is the name of the Service's port it serves, a DNS label"
	switch {
	case requireName && port.Name == "":
		c.add(field.Required(p.Child("name"), ""), "with several ports, name each: "+nameHint)
	case port.Name != "":
		for _, msg := range validation.IsDNS1123Label(port.Name) {
			c.add(field.Invalid(p.Child("name"), port.Name, msg), nameHint)
		}
	}
	for _, msg := range validation.IsValidPortNum(int(port.Port)) {
		c.add(field.Invalid(p.Child("port"), port.Port, msg), "a port is a number 1-65535")
	}
	c.appProtocol(port.AppProtocol, p.Child("appProtocol"))
}
