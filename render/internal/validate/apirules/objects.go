package apirules

import (
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// networkPolicy checks a NetworkPolicy's ports (a number or a port name)
// and peers (each names something: pods, namespaces or an IP block, and
// an IP block alone).
func (c *checker) networkPolicy(np *networkingv1.NetworkPolicy) {
	spec := field.NewPath("spec")
	ports := func(ps []networkingv1.NetworkPolicyPort, path *field.Path) {
		for i, p := range ps {
			if p.Port == nil {
				continue
			}
			pp := path.Index(i).Child("port")
			if p.Port.Type == intstr.Int {
				for _, msg := range validation.IsValidPortNum(int(p.Port.IntVal)) {
					c.add(field.Invalid(pp, p.Port.IntVal, msg), "use a port from 1 to 65535, or a container port's name")
				}
			} else {
				for _, msg := range validation.IsValidPortName(p.Port.StrVal) {
					c.add(field.Invalid(pp, p.Port.StrVal, msg), "use a container port's name (at most 15 lowercase letters, digits and '-') or a number")
				}
			}
		}
	}
	peers := func(ps []networkingv1.NetworkPolicyPeer, path *field.Path) {
		for i, p := range ps {
			pp := path.Index(i)
			n := 0
			for _, sel := range []struct {
				key string
				s   bool
			}{{"podSelector", p.PodSelector != nil}, {"namespaceSelector", p.NamespaceSelector != nil}, {"ipBlock", p.IPBlock != nil}} {
				if sel.s {
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
				if sel.s != nil {
					for _, e := range metav1validation.ValidateLabelSelector(sel.s, metav1validation.LabelSelectorValidationOptions{}, pp.Child(sel.key)) {
						c.add(e, "fix the selector: keys and values must be valid labels, operators In, NotIn, Exists or DoesNotExist")
					}
				}
			}
		}
	}
	for i, r := range np.Spec.Ingress {
		ip := spec.Child("ingress").Index(i)
		ports(r.Ports, ip.Child("ports"))
		peers(r.From, ip.Child("from"))
	}
	for i, r := range np.Spec.Egress {
		ep := spec.Child("egress").Index(i)
		ports(r.Ports, ep.Child("ports"))
		peers(r.To, ep.Child("to"))
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
