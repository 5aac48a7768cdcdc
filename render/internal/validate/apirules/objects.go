package apirules

import (
	"fmt"
	"net"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	netutils "k8s.io/utils/net"
)

// networkPolicy checks a NetworkPolicy as ValidateNetworkPolicySpec in
// k8s.io/kubernetes (pkg/apis/networking/validation) does: a valid pod
// selector, ports (a number or a port name, and a port range only from a
// number), peers (each names something: pods, namespaces or an IP block,
// and an IP block alone, with a valid CIDR and exceptions inside it) and
// at most two policy types (the schema checks their values).
func (c *checker) networkPolicy(np *networkingv1.NetworkPolicy) {
	spec := field.NewPath("spec")
	c.selector(&np.Spec.PodSelector, spec.Child("podSelector"))
	for i, r := range np.Spec.Ingress {
		ip := spec.Child("ingress").Index(i)
		c.policyPorts(r.Ports, ip.Child("ports"))
		c.policyPeers(r.From, ip.Child("from"))
	}
	for i, r := range np.Spec.Egress {
		ep := spec.Child("egress").Index(i)
		c.policyPorts(r.Ports, ep.Child("ports"))
		c.policyPeers(r.To, ep.Child("to"))
	}
	if n := len(np.Spec.PolicyTypes); n > 2 {
		c.add(field.Invalid(spec.Child("policyTypes"), np.Spec.PolicyTypes, "may not specify more than two policyTypes"),
			"list Ingress, Egress or both, each once")
	}
}

// policyPorts checks a NetworkPolicy rule's ports: a number 1-65535 or a
// port name, and an endPort only after a port number, not below it.
func (c *checker) policyPorts(ps []networkingv1.NetworkPolicyPort, path *field.Path) {
	for i, p := range ps {
		pp := path.Index(i).Child("port")
		ep := path.Index(i).Child("endPort")
		switch {
		case p.Port == nil:
			if p.EndPort != nil {
				c.add(field.Invalid(ep, *p.EndPort, "may not be specified when `port` is not specified"),
					"set port to the first port of the range, or remove endPort")
			}
		case p.Port.Type == intstr.Int:
			for _, msg := range validation.IsValidPortNum(int(p.Port.IntVal)) {
				c.add(field.Invalid(pp, p.Port.IntVal, msg), "use a port from 1 to 65535, or a container port's name")
			}
			if p.EndPort == nil {
				break
			}
			if *p.EndPort < p.Port.IntVal {
				c.add(field.Invalid(ep, *p.EndPort, "must be greater than or equal to `port`"),
					"a port range runs from port up to endPort: raise endPort, or swap the two")
			}
			for _, msg := range validation.IsValidPortNum(int(*p.EndPort)) {
				c.add(field.Invalid(ep, *p.EndPort, msg), "use a port from 1 to 65535")
			}
		default:
			if p.EndPort != nil {
				c.add(field.Invalid(ep, *p.EndPort, "may not be specified when `port` is non-numeric"),
					"a port range needs numbers: set port to the first port's number, or remove endPort")
			}
			for _, msg := range validation.IsValidPortName(p.Port.StrVal) {
				c.add(field.Invalid(pp, p.Port.StrVal, msg), "use a container port's name (at most 15 lowercase letters, digits and '-') or a number")
			}
		}
	}
}

// policyPeers checks a NetworkPolicy rule's peers: each a pod selector, a
// namespace selector or an IP block, an IP block alone.
func (c *checker) policyPeers(ps []networkingv1.NetworkPolicyPeer, path *field.Path) {
	for i, p := range ps {
		pp := path.Index(i)
		n := 0
		for _, set := range []bool{p.PodSelector != nil, p.NamespaceSelector != nil, p.IPBlock != nil} {
			if set {
				n++
			}
		}
		switch {
		case n == 0:
			c.add(field.Required(pp, "must specify a peer"), "give the peer a podSelector, a namespaceSelector or an ipBlock ({} is no peer; an empty podSelector: {} is every pod)")
		case n > 1 && p.IPBlock != nil:
			c.add(field.Forbidden(pp, "may not specify both ipBlock and another peer"), "put the ipBlock in a peer of its own")
		}
		for _, sel := range []struct {
			key string
			s   *metav1.LabelSelector
		}{{"podSelector", p.PodSelector}, {"namespaceSelector", p.NamespaceSelector}} {
			c.selector(sel.s, pp.Child(sel.key))
		}
		if p.IPBlock != nil {
			c.ipBlock(p.IPBlock, pp.Child("ipBlock"))
		}
	}
}

// ipBlock checks an IP block: a CIDR, and exceptions that are CIDRs
// strictly inside it, each parsed as the env's API server parses it
// (legacyCIDR).
func (c *checker) ipBlock(b *networkingv1.IPBlock, p *field.Path) {
	const hint = "write a CIDR as an address and a prefix length, such as 10.0.0.0/8 or 2001:db8::/32"
	if b.CIDR == "" {
		c.add(field.Required(p.Child("cidr"), ""), "set ipBlock.cidr, such as 10.0.0.0/8 (0.0.0.0/0 is every IPv4 address)")
		return
	}
	if !c.legacyCIDR(p.Child("cidr"), b.CIDR, hint) {
		return
	}
	_, block, _ := netutils.ParseCIDRSloppy(b.CIDR) // valid: checked above
	blockLen, _ := block.Mask.Size()
	for i, ex := range b.Except {
		ep := p.Child("except").Index(i)
		if !c.legacyCIDR(ep, ex, hint) {
			continue
		}
		_, exBlock, _ := netutils.ParseCIDRSloppy(ex)
		exLen, _ := exBlock.Mask.Size()
		if !block.Contains(exBlock.IP) || blockLen >= exLen {
			c.add(field.Invalid(ep, ex, "must be a strict subset of `cidr`"),
				fmt.Sprintf("an exception is a smaller range inside cidr %s: fix it, or remove it (a range equal to cidr leaves nothing)", b.CIDR))
		}
	}
}

// claim checks a PersistentVolumeClaim: an access mode and a storage
// request.
func (c *checker) claim(s *corev1.PersistentVolumeClaimSpec, spec *field.Path) {
	if len(s.AccessModes) == 0 {
		c.add(field.Required(spec.Child("accessModes"), "at least 1 access mode is required"), "set accessModes, such as [ReadWriteOnce]")
	}
	if _, ok := s.Resources.Requests[corev1.ResourceStorage]; !ok {
		c.add(field.Required(spec.Child("resources").Key(string(corev1.ResourceStorage)), ""), "set spec.resources.requests.storage, such as 1Gi")
	}
}

// systemPriorityClasses are the PriorityClasses the API server creates
// itself, with their values: the only ones whose names may start with
// "system-" (k8s.io/kubernetes pkg/apis/scheduling).
var systemPriorityClasses = map[string]int32{
	"system-node-critical":    2_000_001_000,
	"system-cluster-critical": 2_000_000_000,
}

// highestUserPriority is the most a PriorityClass of the user's may be.
const highestUserPriority = 1_000_000_000

// priorityClass checks a PriorityClass's name and value: "system-" names
// are the API server's own, and a user's value is at most one billion.
func (c *checker) priorityClass(pc *schedulingv1.PriorityClass) {
	if strings.HasPrefix(pc.Name, "system-") {
		want, known := systemPriorityClasses[pc.Name]
		var why string
		switch {
		case !known:
			why = pc.Name + " is not a known system priority class"
		case pc.Value != want:
			why = fmt.Sprintf("value of %s PriorityClass must be %d", pc.Name, want)
		case pc.GlobalDefault:
			why = fmt.Sprintf("globalDefault of %s PriorityClass must be false", pc.Name)
		default:
			return
		}
		c.add(field.Forbidden(field.NewPath("metadata", "name"), "priority class names with 'system-' prefix are reserved for system use only. error: "+why),
			"the cluster already has system-node-critical and system-cluster-critical: use them by name in priorityClassName, and give a class of your own a name without the system- prefix")
		return
	}
	if pc.Value > highestUserPriority {
		c.add(field.Forbidden(field.NewPath("value"), fmt.Sprintf("maximum allowed value of a user defined priority is %d", highestUserPriority)),
			"a PriorityClass of your own has a value of at most 1000000000; higher ones are for system-node-critical and system-cluster-critical")
	}
}

// loadBalancerSourceRangesAnnotation is the annotation older Services set
// their source ranges with.
const loadBalancerSourceRangesAnnotation = "service.beta.kubernetes.io/load-balancer-source-ranges"

// The annotations that turn on topology aware routing for a Service: the
// first replaces the second, deprecated in 1.27.
const (
	topologyModeAnnotation  = "service.kubernetes.io/topology-mode"
	topologyHintsAnnotation = "service.kubernetes.io/topology-aware-hints"
)

const sourceRangeHint = "write each range as an address and a prefix length, such as 10.0.0.0/8"

// serviceTypeFields checks the Service fields that only some types take
// (ValidateService in k8s.io/kubernetes v1.37): a chart whose values set
// externalTrafficPolicy or loadBalancerSourceRanges while its type is
// ClusterIP is refused by the API server, and so is a client IP
// affinity of more than a day.
func (c *checker) serviceTypeFields(svc *corev1.Service) {
	s := &svc.Spec
	spec := field.NewPath("spec")
	// From 1.27 (kubernetes/kubernetes#116612) the deprecated topology
	// hints annotation and its replacement, when both are set, agree.
	mode, modeSet := svc.Annotations[topologyModeAnnotation]
	hints, hintsSet := svc.Annotations[topologyHintsAnnotation]
	if modeSet && hintsSet && mode != hints && c.since(1, 27) {
		c.add(field.Invalid(field.NewPath("metadata", "annotations").Key(topologyModeAnnotation), mode, "must match annotations["+topologyHintsAnnotation+"] when both are specified"),
			"remove "+topologyHintsAnnotation+" (deprecated): "+topologyModeAnnotation+" replaces it")
	}
	typ := s.Type
	if typ == "" {
		typ = corev1.ServiceTypeClusterIP
	}
	lb := typ == corev1.ServiceTypeLoadBalancer
	external := lb || typ == corev1.ServiceTypeNodePort || (typ == corev1.ServiceTypeClusterIP && len(s.ExternalIPs) > 0)
	const lbOnly = "may only be used when `type` is 'LoadBalancer'"
	lbHint := func(key string) string {
		return "remove " + key + ", or set spec.type: LoadBalancer"
	}

	if (typ == corev1.ServiceTypeLoadBalancer || typ == corev1.ServiceTypeNodePort) && (s.ClusterIP == corev1.ClusterIPNone || (len(s.ClusterIPs) > 0 && s.ClusterIPs[0] == corev1.ClusterIPNone)) {
		p := spec.Child("clusterIP")
		if len(s.ClusterIPs) > 0 {
			p = spec.Child("clusterIPs").Index(0)
		}
		c.add(field.Invalid(p, corev1.ClusterIPNone, fmt.Sprintf("may not be set to 'None' for %s services", typ)),
			"a headless Service (clusterIP: None) has type ClusterIP; remove clusterIP: None to expose the Service outside")
	}
	if s.ExternalTrafficPolicy != "" && !external {
		c.add(field.Invalid(spec.Child("externalTrafficPolicy"), s.ExternalTrafficPolicy, "may only be set for externally-accessible services"),
			"externalTrafficPolicy applies to NodePort and LoadBalancer Services (or ones with externalIPs): remove it, or change spec.type")
	}
	if s.HealthCheckNodePort != 0 {
		if !lb || s.ExternalTrafficPolicy != corev1.ServiceExternalTrafficPolicyLocal {
			c.add(field.Invalid(spec.Child("healthCheckNodePort"), s.HealthCheckNodePort, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"),
				"remove healthCheckNodePort, or use type LoadBalancer with externalTrafficPolicy: Local")
		} else {
			for _, msg := range validation.IsValidPortNum(int(s.HealthCheckNodePort)) {
				c.add(field.Invalid(spec.Child("healthCheckNodePort"), s.HealthCheckNodePort, msg), "use a port from 1 to 65535, or leave it out for one the cluster picks")
			}
		}
	}
	if len(s.LoadBalancerSourceRanges) > 0 {
		// The API server names the field "spec.LoadBalancerSourceRanges".
		p := spec.Child("loadBalancerSourceRanges")
		if !lb {
			c.add(field.Forbidden(p, lbOnly), lbHint("loadBalancerSourceRanges"))
		}
		for i, r := range s.LoadBalancerSourceRanges {
			// Padded with spaces is accepted: the field took over the
			// annotation's values as they were.
			c.legacyCIDR(p.Index(i), strings.TrimSpace(r), sourceRangeHint)
		}
	} else if ranges, ok := svc.Annotations[loadBalancerSourceRangesAnnotation]; ok {
		p := field.NewPath("metadata", "annotations").Key(loadBalancerSourceRangesAnnotation)
		if !lb {
			c.add(field.Forbidden(p, lbOnly), lbHint("the annotation"))
		}
		if ranges = strings.TrimSpace(ranges); ranges != "" {
			for r := range strings.SplitSeq(ranges, ",") {
				c.legacyCIDR(p, strings.TrimSpace(r), "the annotation is a comma-separated list of CIDRs, such as 10.0.0.0/8,192.168.0.0/16")
			}
		}
	}
	if s.AllocateLoadBalancerNodePorts != nil && !lb {
		c.add(field.Forbidden(spec.Child("allocateLoadBalancerNodePorts"), lbOnly), lbHint("allocateLoadBalancerNodePorts"))
	}
	if s.LoadBalancerClass != nil {
		if !lb {
			c.add(field.Forbidden(spec.Child("loadBalancerClass"), lbOnly), lbHint("loadBalancerClass"))
		} else {
			for _, msg := range validation.IsQualifiedName(*s.LoadBalancerClass) {
				c.add(field.Invalid(spec.Child("loadBalancerClass"), *s.LoadBalancerClass, msg), "a load balancer class has the form of a label key, such as example.com/internal")
			}
		}
	}
	// Without sessionAffinity: ClientIP the API server drops
	// sessionAffinityConfig before validating (its defaults), so only a
	// ClientIP timeout is checked; left out, it is defaulted to 3 hours.
	if cfg := s.SessionAffinityConfig; s.SessionAffinity == corev1.ServiceAffinityClientIP && cfg != nil && cfg.ClientIP != nil && cfg.ClientIP.TimeoutSeconds != nil {
		if t := *cfg.ClientIP.TimeoutSeconds; t <= 0 || t > 86400 {
			c.add(field.Invalid(spec.Child("sessionAffinityConfig", "clientIP", "timeoutSeconds"), t, "must be greater than 0 and less than 86400"),
				"a client IP affinity lasts 1 to 86400 seconds")
		}
	}
}

// kubeletPort is the port every node's kubelet listens on (k8s.io/kubernetes
// pkg/cluster/ports.KubeletPort), which a LoadBalancer may not expose.
const kubeletPort = 10250

// serviceAddresses checks the addresses and node ports a Service names
// (ValidateService and ValidateServiceClusterIPsRelatedFields in
// k8s.io/kubernetes v1.37), as the API server sees them on create, after
// it has filled spec.clusterIPs in from spec.clusterIP: each cluster IP an
// IP address, or "None" alone; spec.clusterIPs only beside spec.clusterIP,
// whose value comes first, at most one address of each family, each of
// the family ipFamilies gives it; an ExternalName's externalName a DNS
// name (a trailing dot allowed); external IPs addresses a node can take
// traffic for; no LoadBalancer port 10250 (the kubelet's); no node port
// twice for one protocol. Addresses are parsed as the env's API server
// parses them (legacyIP).
func (c *checker) serviceAddresses(svc *corev1.Service) {
	s := &svc.Spec
	spec := field.NewPath("spec")
	ports := spec.Child("ports")
	if s.Type == corev1.ServiceTypeExternalName {
		c.externalNameAddresses(s, spec)
		if name := strings.TrimSuffix(s.ExternalName, "."); name != "" {
			for _, msg := range validation.IsDNS1123Subdomain(name) {
				c.add(field.Invalid(spec.Child("externalName"), s.ExternalName, msg),
					"externalName is the DNS name the Service's name points at (a CNAME), such as db.example.com: no scheme, port or path")
			}
		}
	} else {
		c.clusterIPs(s, spec)
	}
	for i, ip := range s.ExternalIPs {
		p := spec.Child("externalIPs").Index(i)
		if !c.legacyIP(p, ip, "an external IP is an address of a node, such as 192.0.2.10, not a host name or a range") {
			continue
		}
		c.endpointIP(netutils.ParseIPSloppy(ip), ip, p, "an external IP is an address other hosts reach a node by; remove this one")
	}
	nodePorts := map[string]bool{}
	for i, p := range s.Ports {
		if s.Type == corev1.ServiceTypeLoadBalancer && p.Port == kubeletPort {
			c.add(field.Invalid(ports.Index(i), p.Port, fmt.Sprintf("may not expose port %d externally since it is used by kubelet", kubeletPort)),
				"pick another port for the load balancer; targetPort may still be 10250")
		}
		if p.NodePort == 0 {
			continue
		}
		// The node port allocator, not validation, refuses a port outside
		// the cluster's --service-node-port-range, which kiln cannot know;
		// one outside 1-65535 is in no range.
		if p.NodePort < 0 || p.NodePort > 65535 {
			c.add(field.Invalid(ports.Index(i).Child("nodePort"), p.NodePort, "provided port is not in the valid range"),
				"a node port is in the cluster's --service-node-port-range (30000-32767 by default), or leave nodePort out for one the cluster picks")
		}
		protocol := p.Protocol
		if protocol == "" {
			protocol = corev1.ProtocolTCP
		}
		key := fmt.Sprintf("%d/%s", p.NodePort, protocol)
		if nodePorts[key] {
			c.add(field.Duplicate(ports.Index(i).Child("nodePort"), p.NodePort),
				fmt.Sprintf("node port %d with protocol %s is already taken by another port of the service: use another, or leave nodePort out for one the cluster picks", p.NodePort, protocol))
		}
		nodePorts[key] = true
	}
}

// externalNameAddresses checks that an ExternalName Service, a DNS alias,
// has no cluster IP or IP families (ValidateService in k8s.io/kubernetes
// v1.37): charts that switch a Service's type by a value often leave
// clusterIP, ipFamilies or ipFamilyPolicy set for the ClusterIP case. A
// clusterIP written alone is named as written (the API server copies it
// into spec.clusterIPs first and names that).
func (c *checker) externalNameAddresses(s *corev1.ServiceSpec, spec *field.Path) {
	const msg = "may not be set for ExternalName services"
	hint := func(key string) string {
		return "remove " + key + ": an ExternalName Service is a DNS alias for spec.externalName and has no address of its own"
	}
	switch {
	case len(s.ClusterIPs) > 0:
		c.add(field.Forbidden(spec.Child("clusterIPs"), msg), hint("clusterIP and clusterIPs"))
	case s.ClusterIP != "":
		c.add(field.Forbidden(spec.Child("clusterIP"), msg), hint("clusterIP (None too)"))
	}
	if len(s.IPFamilies) > 0 {
		c.add(field.Forbidden(spec.Child("ipFamilies"), msg), hint("ipFamilies"))
	}
	if s.IPFamilyPolicy != nil {
		c.add(field.Forbidden(spec.Child("ipFamilyPolicy"), msg), hint("ipFamilyPolicy"))
	}
}

// clusterIPs checks spec.clusterIP and spec.clusterIPs of a Service that
// is no ExternalName. An error about the copy of spec.clusterIP the API
// server makes names spec.clusterIP, the field written (the API server
// says spec.clusterIPs[0]).
func (c *checker) clusterIPs(s *corev1.ServiceSpec, spec *field.Path) {
	ipsPath := spec.Child("clusterIPs")
	ips := s.ClusterIPs
	at := ipsPath.Index
	before := len(c.problems)
	// As the API server, which checks the policy once these fields pass.
	defer func() {
		if len(c.problems) == before {
			c.singleStack(s, ips, spec)
		}
	}()
	switch {
	case s.ClusterIP != "" && len(ips) == 0:
		ips = []string{s.ClusterIP}
		at = func(int) *field.Path { return spec.Child("clusterIP") }
	case s.ClusterIP != "" && ips[0] != s.ClusterIP:
		c.add(field.Invalid(ipsPath, ips, "first value must match `clusterIP`"),
			"write the same address first in clusterIPs as in clusterIP, or leave clusterIPs out")
	case s.ClusterIP == "" && len(ips) > 0:
		c.add(field.Invalid(ipsPath, ips, "must be empty when `clusterIP` is not specified"),
			"set clusterIP to the first of clusterIPs, or leave both out for addresses the cluster picks")
	}
	c.ipFamilies(s, spec)
	hint := "a cluster IP is an address of the cluster's service range, such as 10.96.0.10, or None for a headless Service"
	invalid := false
	for i, ip := range ips {
		if ip == corev1.ClusterIPNone && i == 0 {
			if len(ips) > 1 {
				invalid = true
				c.add(field.Invalid(ipsPath, ips, "'None' must be the first and only value"), "a headless Service has the one cluster IP None")
			}
			continue
		}
		if !c.legacyIP(at(i), ip, hint) {
			invalid = true
		}
	}
	if len(ips) > 2 {
		c.add(field.Invalid(ipsPath, ips, "may only hold up to 2 values"), "give at most one IPv4 and one IPv6 address")
	}
	if invalid {
		return // as the API server: the checks below would only repeat it
	}
	if len(ips) == 2 && netutils.IsIPv6String(ips[0]) == netutils.IsIPv6String(ips[1]) {
		c.add(field.Invalid(ipsPath, ips, "may specify no more than one IP for each IP family"), "give at most one IPv4 and one IPv6 address")
	}
	if len(ips) > 0 && ips[0] != corev1.ClusterIPNone {
		for i, ip := range ips {
			if i >= len(s.IPFamilies) {
				break
			}
			switch fam := s.IPFamilies[i]; {
			case fam == corev1.IPv4Protocol && netutils.IsIPv6String(ip):
				c.add(field.Invalid(at(i), ip, fmt.Sprintf("expected an IPv4 value as indicated by `ipFamilies[%v]`", i)), "list ipFamilies in the order of the cluster IPs")
			case fam == corev1.IPv6Protocol && !netutils.IsIPv6String(ip):
				c.add(field.Invalid(at(i), ip, fmt.Sprintf("expected an IPv6 value as indicated by `ipFamilies[%v]`", i)), "list ipFamilies in the order of the cluster IPs")
			}
		}
	}
}

// singleStack refuses two addresses or two families on a Service whose
// policy is SingleStack, as written or as the API server defaults a
// missing one (initIPFamilyFields in k8s.io/kubernetes v1.37's Service
// storage: RequireDualStack for a headless Service without a selector,
// SingleStack otherwise). A chart that turns dual-stack on by listing both
// families, but not the policy, makes a Service the API server refuses on
// create. ips are the cluster IPs as the API server sees them (spec.clusterIP
// copied in when spec.clusterIPs is left out); two of one family are
// refused elsewhere and not repeated here.
func (c *checker) singleStack(s *corev1.ServiceSpec, ips []string, spec *field.Path) {
	policy := corev1.IPFamilyPolicySingleStack
	switch {
	case s.IPFamilyPolicy != nil:
		policy = *s.IPFamilyPolicy
	case s.ClusterIP == corev1.ClusterIPNone && len(s.Selector) == 0:
		policy = corev1.IPFamilyPolicyRequireDualStack
	}
	if policy != corev1.IPFamilyPolicySingleStack {
		return
	}
	const hint = "set ipFamilyPolicy to PreferDualStack (or RequireDualStack) for a dual-stack Service, or list one family and one address"
	p := spec.Child("ipFamilyPolicy")
	if len(ips) == 2 {
		c.add(field.Invalid(p, policy, "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified"), hint)
	}
	if len(s.IPFamilies) == 2 {
		c.add(field.Invalid(p, policy, "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified"), hint)
	}
}

// ipFamilies checks a Service's ipFamilies and ipFamilyPolicy on their
// own, as ValidateServiceClusterIPsRelatedFields (k8s.io/kubernetes v1.37)
// does before the API server fills them in: each family IPv4 or IPv6,
// once (two of one family, a dual-stack Service written wrong, are
// refused, not made single-stack), and a policy that is one of the three.
// The schema's enums refuse other values; "" passes them and is refused
// here.
func (c *checker) ipFamilies(s *corev1.ServiceSpec, spec *field.Path) {
	fp := spec.Child("ipFamilies")
	families := []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol}
	seen := map[corev1.IPFamily]bool{}
	for i, f := range s.IPFamilies {
		if f == "" {
			c.add(field.NotSupported(fp.Index(i), f, families), "an IP family is IPv4 or IPv6")
		}
		if seen[f] {
			c.add(field.Duplicate(fp.Index(i), f), "list each IP family once: [IPv4, IPv6] for a dual-stack Service, one of them for a single-stack one")
		}
		seen[f] = true
	}
	if p := s.IPFamilyPolicy; p != nil && *p == "" {
		c.add(field.NotSupported(spec.Child("ipFamilyPolicy"), *p, []corev1.IPFamilyPolicy{
			corev1.IPFamilyPolicyPreferDualStack, corev1.IPFamilyPolicyRequireDualStack, corev1.IPFamilyPolicySingleStack}),
			"set ipFamilyPolicy to SingleStack, PreferDualStack or RequireDualStack, or leave it out")
	}
}

// endpointIP checks that addr, a valid address written as ip, is one
// traffic can be sent to, as ValidateEndpointIP does for a Service's
// external IPs and an EndpointSlice's addresses: not unspecified,
// loopback or link-local.
func (c *checker) endpointIP(addr net.IP, ip string, p *field.Path, hint string) {
	for _, r := range []struct {
		bad  bool
		what string
	}{
		{addr.IsUnspecified(), fmt.Sprintf("may not be unspecified (%s)", ip)},
		{addr.IsLoopback(), "may not be in the loopback range (127.0.0.0/8, ::1/128)"},
		{addr.IsLinkLocalUnicast(), "may not be in the link-local range (169.254.0.0/16, fe80::/10)"},
		{addr.IsLinkLocalMulticast(), "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"},
	} {
		if r.bad {
			c.add(field.Invalid(p, ip, r.what), hint)
		}
	}
}
