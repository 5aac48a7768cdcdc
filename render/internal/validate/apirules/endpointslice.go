package apirules

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	netutils "k8s.io/utils/net"
)

// EndpointSlices, as ValidateEndpointSlice in k8s.io/kubernetes
// (pkg/apis/discovery/validation, v1.37) checks them. Charts write them
// by hand to give a Service without a selector endpoints outside the
// cluster (a database, an external API); one the API server refuses
// leaves that Service without endpoints. The schema checks the enums
// (addressType, protocol).

// The limits of an EndpointSlice.
const (
	maxSliceEndpoints      = 1000
	maxEndpointAddresses   = 100
	maxSlicePorts          = 20000
	maxEndpointTopology    = 16
	maxEndpointZoneHints   = 8
	maxEndpointNodeHints   = 8
	endpointSliceHint      = "see https://kubernetes.io/docs/concepts/services-networking/endpoint-slices/"
	endpointSliceAddrsHint = "an EndpointSlice's addresses are all of its addressType: IPv4 (10.1.2.3), IPv6 (2001:db8::1) or FQDN (db.example.com)"
)

func (c *checker) endpointSlice(es *discoveryv1.EndpointSlice) {
	if es.AddressType == "" {
		// Left out, it is the schema's missing required field.
		c.add(field.Required(field.NewPath("addressType"), ""), "set addressType to IPv4, IPv6 or FQDN")
	}
	ep := field.NewPath("endpoints")
	if len(es.Endpoints) > maxSliceEndpoints {
		c.add(field.TooMany(ep, len(es.Endpoints), maxSliceEndpoints), "split the endpoints among several EndpointSlices of the same Service (kubernetes.io/service-name label)")
	} else {
		for i := range es.Endpoints {
			c.endpoint(&es.Endpoints[i], es.AddressType, ep.Index(i))
		}
	}
	c.endpointPorts(es.Ports, field.NewPath("ports"))
}

// endpoint checks one endpoint of a slice: 1 to 100 addresses of the
// slice's type, a node name, a hostname, topology labels and zone hints.
func (c *checker) endpoint(e *discoveryv1.Endpoint, addrType discoveryv1.AddressType, p *field.Path) {
	ap := p.Child("addresses")
	switch {
	case len(e.Addresses) == 0:
		c.add(field.Required(ap, "must contain at least 1 address"), "give the endpoint its address")
	case len(e.Addresses) > maxEndpointAddresses:
		c.add(field.TooMany(ap, len(e.Addresses), maxEndpointAddresses), "an endpoint has at most 100 addresses, all of the same backend: make the others endpoints of their own")
	}
	for i, a := range e.Addresses {
		c.endpointAddress(a, addrType, ap.Index(i))
	}
	if n := e.NodeName; n != nil {
		for _, msg := range validation.IsDNS1123Subdomain(*n) {
			c.add(field.Invalid(p.Child("nodeName"), *n, msg), "nodeName is a Node's name: lowercase letters, digits, '-' and '.'")
		}
	}
	tp := p.Child("deprecatedTopology")
	if len(e.DeprecatedTopology) > maxEndpointTopology {
		c.add(field.TooMany(tp, len(e.DeprecatedTopology), maxEndpointTopology), "deprecatedTopology holds at most 16 labels; use zone and nodeName instead")
	}
	for _, err := range metav1validation.ValidateLabels(e.DeprecatedTopology, tp) {
		c.add(err, labelKeyHint)
	}
	if h := e.Hostname; h != nil {
		for _, msg := range validation.IsDNS1123Label(*h) {
			c.add(field.Invalid(p.Child("hostname"), *h, msg), "hostname is a DNS label: at most 63 lowercase letters, digits and '-'")
		}
	}
	if e.Hints != nil {
		zones := make([]string, len(e.Hints.ForZones))
		for i, z := range e.Hints.ForZones {
			zones[i] = z.Name
		}
		if !c.hintNames(zones, p.Child("hints", "forZones"), maxEndpointZoneHints, "zone", validation.IsValidLabelValue,
			"a zone is the value of a node's topology.kubernetes.io/zone label") {
			return // the API server stops at too many zones
		}
		// The API server keeps forNodes from 1.34
		// (PreferSameTrafficDistribution; before, it drops them).
		if c.on("PreferSameTrafficDistribution") {
			nodes := make([]string, len(e.Hints.ForNodes))
			for i, n := range e.Hints.ForNodes {
				nodes[i] = n.Name
			}
			// ValidateNodeName: a DNS subdomain, so not empty.
			c.hintNames(nodes, p.Child("hints", "forNodes"), maxEndpointNodeHints, "node", validation.IsDNS1123Subdomain,
				"a node hint names a Node: lowercase letters, digits, '-' and '.'")
		}
	}
}

// hintNames checks the names of an endpoint's zone or node hints
// (validateHints): at most max, each hinted once, each valid. It reports
// false when there are too many, where the API server stops.
func (c *checker) hintNames(names []string, p *field.Path, max int, what string, valid func(string) []string, hint string) bool {
	if len(names) > max {
		c.add(field.TooMany(p, len(names), max), fmt.Sprintf("hint at most %d %ss", max, what))
		return false
	}
	seen := map[string]bool{}
	for i, name := range names {
		np := p.Index(i).Child("name")
		if seen[name] {
			c.add(field.Duplicate(np, name), "hint each "+what+" once")
		}
		seen[name] = true
		for _, msg := range valid(name) {
			c.add(field.Invalid(np, name, msg), hint)
		}
	}
	return true
}

// endpointAddress checks an address against the slice's address type;
// an IP address is parsed as the env's API server parses the fields that
// predate strict IP validation (legacyIP: strictly from 1.36), and must be
// of the slice's family and one traffic can reach.
func (c *checker) endpointAddress(a string, addrType discoveryv1.AddressType, p *field.Path) {
	switch addrType {
	case discoveryv1.AddressTypeIPv4, discoveryv1.AddressTypeIPv6:
		if !c.legacyIP(p, a, endpointSliceAddrsHint) {
			return
		}
		addr := netutils.ParseIPSloppy(a) // valid: checked above
		if (addr.To4() != nil) != (addrType == discoveryv1.AddressTypeIPv4) {
			c.add(field.Invalid(p, a, "must be a valid "+string(addrType)+" address"), endpointSliceAddrsHint)
			return
		}
		c.endpointIP(addr, a, p, "an endpoint's address is one other pods can reach: remove this one")
	case discoveryv1.AddressTypeFQDN:
		for _, err := range validation.IsFullyQualifiedDomainName(p, a) {
			c.add(err, endpointSliceAddrsHint)
		}
	}
}

// endpointPorts checks a slice's ports: at most 20000, names DNS labels
// and unique (an unnamed port counts as the name "", so two unnamed
// ports clash), a protocol (only one left out becomes TCP) and an
// appProtocol that is a qualified name.
func (c *checker) endpointPorts(ports []discoveryv1.EndpointPort, p *field.Path) {
	if len(ports) > maxSlicePorts {
		c.add(field.TooMany(p, len(ports), maxSlicePorts), endpointSliceHint)
		return
	}
	names := map[string]bool{}
	for i, port := range ports {
		pp := p.Index(i)
		name := ""
		if port.Name != nil {
			name = *port.Name
		}
		if name != "" {
			for _, msg := range validation.IsDNS1123Label(name) {
				c.add(field.Invalid(pp.Child("name"), name, msg), "a port name is a DNS label, the name of the Service's port it serves")
			}
		}
		if names[name] {
			c.add(field.Duplicate(pp.Child("name"), name), "give each port of the slice its own name, as the Service's ports have (two unnamed ports clash)")
		}
		names[name] = true
		if pr := port.Protocol; pr != nil && *pr == "" {
			c.add(field.NotSupported(pp.Child("protocol"), *pr, []corev1.Protocol{corev1.ProtocolSCTP, corev1.ProtocolTCP, corev1.ProtocolUDP}),
				"set protocol to TCP, UDP or SCTP, or leave it out for TCP")
		}
		c.appProtocol(port.AppProtocol, pp.Child("appProtocol"))
	}
}
