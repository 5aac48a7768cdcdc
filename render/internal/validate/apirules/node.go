package apirules

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	netutils "k8s.io/utils/net"
)

// node checks what a Node manifest carries as ValidateNode in
// k8s.io/kubernetes v1.37 pkg/apis/core/validation checks it on create
// and on every update: its taints and its pod CIDRs. A Node in a
// repository is most often one the kubelet registered, labelled or
// tainted by hand. Not checked: the legacy taints and avoid-pods
// annotations, status (the kubelet's), providerID (only immutable once
// set: the old object is the cluster's), configSource (dropped by the
// API server unless the node already has one).
func (c *checker) node(n *corev1.Node) {
	spec := field.NewPath("spec")
	c.taints(n.Spec.Taints, spec.Child("taints"))
	c.podCIDRs(&n.Spec, spec)
}

// taints checks a node's taints (validateNodeTaints): each key a label
// name, each value a label value, no two of one key and effect. The
// schema checks the effects' values. The API server names the list
// metadata.taints; kiln spec.taints, where it is.
func (c *checker) taints(taints []corev1.Taint, p *field.Path) {
	seen := map[corev1.TaintEffect]map[string]bool{}
	for i, t := range taints {
		ip := p.Index(i)
		for _, e := range metav1validation.ValidateLabelName(t.Key, ip.Child("key")) {
			c.add(e, "a taint's key is a label name: an optional DNS subdomain prefix and '/', and a name of at most 63 letters, digits, '-', '_' or '.', such as dedicated or example.com/gpu")
		}
		if msgs := validation.IsValidLabelValue(t.Value); len(msgs) > 0 {
			c.add(field.Invalid(ip.Child("value"), t.Value, strings.Join(msgs, ";")), "a taint's value is a label value: at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit, or empty")
		}
		if seen[t.Effect][t.Key] {
			e := field.Duplicate(ip, t)
			e.Detail = "taints must be unique by key and effect pair"
			c.add(e, "list each key once per effect: give the two taints different effects, or merge them")
			continue
		}
		if seen[t.Effect] == nil {
			seen[t.Effect] = map[string]bool{}
		}
		seen[t.Effect][t.Key] = true
	}
}

// podCIDRs checks a node's pod CIDRs: after the API server's conversion,
// podCIDR wins when it differs from podCIDRs[0] (or podCIDRs is empty), and
// the list is then [podCIDR]. Each is a CIDR (read strictly from 1.36, as
// the other address fields that predate strict parsing, ips.go), and two
// are one of each IP family, never more. A bad podCIDR that took the
// list's place is reported at podCIDR, where the API server says
// podCIDRs[0]. Two CIDRs of which one does not parse are not compared
// (the API server adds an internal error to the one about the CIDR).
func (c *checker) podCIDRs(s *corev1.NodeSpec, spec *field.Path) {
	cidrs, lp := s.PodCIDRs, spec.Child("podCIDRs")
	at := lp.Index
	if s.PodCIDR != "" && (len(s.PodCIDRs) == 0 || s.PodCIDRs[0] != s.PodCIDR) {
		cidrs = []string{s.PodCIDR}
		at = func(int) *field.Path { return spec.Child("podCIDR") }
	}
	const hint = "a pod CIDR is a network, such as 10.244.1.0/24 or fd00:10:244:1::/64"
	valid := true
	for i, cidr := range cidrs {
		valid = c.legacyCIDR(at(i), cidr, hint) && valid
	}
	if len(cidrs) < 2 || !valid {
		return
	}
	if dual, err := netutils.IsDualStackCIDRStrings(cidrs); err == nil && (!dual || len(cidrs) > 2) {
		c.add(field.Invalid(lp, cidrs, "may specify no more than one CIDR for each IP family"),
			"a node has at most two pod CIDRs, one IPv4 and one IPv6")
	}
}
