package apirules

import (
	"fmt"
	"net"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/validate/content"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ingressClassAnnotation is the annotation that named an Ingress's class
// before spec.ingressClassName; see classAnnotation for when the API
// server takes both.
const ingressClassAnnotation = "kubernetes.io/ingress.class"

// The path parts the API server refuses in an Exact or Prefix path.
var (
	badPathSequences = []string{"//", "/./", "/../", "%2f", "%2F"}
	badPathSuffixes  = []string{"/..", "/."}
)

// ingress checks a networking.k8s.io/v1 Ingress as the API server's
// networking validation does: rules or a default backend, hosts that are
// DNS names (a leading "*." allowed), absolute paths, one backend per
// path with a valid service name and port, TLS hosts and secret names, a
// class named once.
func (c *checker) ingress(ing *networkingv1.Ingress) {
	spec := field.NewPath("spec")
	s := &ing.Spec
	if len(s.Rules) == 0 && s.DefaultBackend == nil {
		c.add(field.Invalid(spec, "", "either `defaultBackend` or `rules` must be specified"),
			"give the Ingress rules, or a defaultBackend")
	}
	if s.DefaultBackend != nil {
		c.ingressBackend(s.DefaultBackend, spec.Child("defaultBackend"))
	}
	for i, r := range s.Rules {
		rp := spec.Child("rules").Index(i)
		if r.Host != "" {
			c.ingressHost(r.Host, rp.Child("host"), true)
		}
		if r.HTTP == nil {
			continue
		}
		hp := rp.Child("http")
		if len(r.HTTP.Paths) == 0 {
			c.add(field.Required(hp.Child("paths"), ""), "give the rule at least one path, or remove http")
		}
		for j := range r.HTTP.Paths {
			c.ingressPath(&r.HTTP.Paths[j], hp.Child("paths").Index(j))
		}
	}
	for i, t := range s.TLS {
		tp := spec.Child("tls").Index(i)
		for j, h := range t.Hosts {
			c.ingressHost(h, tp.Child("hosts").Index(j), false)
		}
		if t.SecretName != "" {
			for _, msg := range apimachineryvalidation.NameIsDNSSubdomain(t.SecretName, false) {
				c.add(field.Invalid(tp.Child("secretName"), t.SecretName, msg), "name the TLS Secret: a DNS subdomain")
			}
		}
	}
	if n := s.IngressClassName; n != nil {
		for _, msg := range apimachineryvalidation.NameIsDNSSubdomain(*n, false) {
			c.add(field.Invalid(spec.Child("ingressClassName"), *n, msg), "name an IngressClass: a DNS subdomain")
		}
		c.classAnnotation(ing, *n)
	}
}

// classAnnotation checks the kubernetes.io/ingress.class annotation
// of an Ingress whose spec.ingressClassName is class. From Kubernetes 1.27
// (kubernetes/kubernetes#115447) the API server takes both when they
// agree, as many charts write them; before, it refused the annotation
// beside the field whatever its value.
func (c *checker) classAnnotation(ing *networkingv1.Ingress, class string) {
	v, ok := ing.Annotations[ingressClassAnnotation]
	if !ok {
		return
	}
	p := field.NewPath("metadata", "annotations").Key(ingressClassAnnotation)
	switch {
	case !c.since(1, 27): // kubernetes/kubernetes#115447: both, when they agree
		c.add(field.Invalid(p, v, "can not be set when the class field is also set"),
			"before Kubernetes 1.27 an Ingress names its class once: keep spec.ingressClassName and remove the "+ingressClassAnnotation+" annotation")
	case v != class:
		c.add(field.Invalid(p, v, "must match `ingressClassName` when both are specified"),
			"the annotation and spec.ingressClassName name different classes: remove the "+ingressClassAnnotation+" annotation (deprecated), or make it equal")
	}
}

// ingressHost checks a rule's or a TLS entry's host: a DNS subdomain, or
// one with a leading "*."; a rule's host is not an IP address.
func (c *checker) ingressHost(host string, p *field.Path, rule bool) {
	const hint = "a host is a DNS name such as app.example.com, or *.example.com"
	if rule && net.ParseIP(host) != nil {
		c.add(field.Invalid(p, host, "must be a DNS name, not an IP address"), "leave the host out to match any host, or use a DNS name")
	}
	check := validation.IsDNS1123Subdomain
	if strings.Contains(host, "*") {
		check = validation.IsWildcardDNS1123Subdomain
	}
	for _, msg := range check(host) {
		c.add(field.Invalid(p, host, msg), hint)
	}
}

// ingressPath checks one HTTP path: its type (the schema requires it),
// an absolute path without "//", "/./" or encoded slashes for Exact and
// Prefix, and its backend.
func (c *checker) ingressPath(ip *networkingv1.HTTPIngressPath, p *field.Path) {
	pathPath := p.Child("path")
	if ip.PathType != nil {
		switch *ip.PathType {
		case networkingv1.PathTypeExact, networkingv1.PathTypePrefix:
			if !strings.HasPrefix(ip.Path, "/") {
				c.add(field.Invalid(pathPath, ip.Path, "must be an absolute path"), "start the path with '/'")
			}
			for _, bad := range badPathSequences {
				if strings.Contains(ip.Path, bad) {
					c.add(field.Invalid(pathPath, ip.Path, fmt.Sprintf("must not contain '%s'", bad)),
						"write the path without empty, '.' or '..' segments or encoded slashes, or use pathType ImplementationSpecific")
				}
			}
			for _, bad := range badPathSuffixes {
				if strings.HasSuffix(ip.Path, bad) {
					c.add(field.Invalid(pathPath, ip.Path, fmt.Sprintf("cannot end with '%s'", bad)),
						"write the path without '.' or '..' segments")
				}
			}
		case networkingv1.PathTypeImplementationSpecific:
			if ip.Path != "" && !strings.HasPrefix(ip.Path, "/") {
				c.add(field.Invalid(pathPath, ip.Path, "must be an absolute path"), "start the path with '/'")
			}
		}
	}
	c.ingressBackend(&ip.Backend, p.Child("backend"))
}

// ingressBackend checks a backend: a service or a resource, not both; a
// service with a Service's name (serviceName) and a port name or number,
// not both.
func (c *checker) ingressBackend(b *networkingv1.IngressBackend, p *field.Path) {
	switch {
	case b.Resource != nil && b.Service != nil:
		c.add(field.Invalid(p, "", "cannot set both resource and service backends"), "keep service or resource")
	case b.Resource != nil:
		c.typedReference(b.Resource.APIGroup, b.Resource.Kind, b.Resource.Name, p.Child("resource"))
	case b.Service != nil:
		svc := b.Service
		namePath := p.Child("service", "name")
		if svc.Name == "" {
			c.add(field.Required(namePath, ""), "name the Service the path goes to")
		} else {
			c.serviceName(namePath, svc.Name)
		}
		portPath := p.Child("service", "port")
		switch hasName, hasNumber := svc.Port.Name != "", svc.Port.Number != 0; {
		case hasName && hasNumber:
			c.add(field.Invalid(p, "", "cannot set both port name & port number"), "keep port.name or port.number")
		case hasName:
			for _, msg := range validation.IsValidPortName(svc.Port.Name) {
				c.add(field.Invalid(portPath.Child("name"), svc.Port.Name, msg), "use the Service port's name or its number")
			}
		case hasNumber:
			for _, msg := range validation.IsValidPortNum(int(svc.Port.Number)) {
				c.add(field.Invalid(portPath.Child("number"), svc.Port.Number, msg), "use a port from 1 to 65535")
			}
		default:
			c.add(field.Required(p, "port name or number is required"), "set service.port.number or service.port.name")
		}
	default:
		c.add(field.Invalid(p, "", "resource or service backend is required"), "set backend.service (name and port)")
	}
}

// maxControllerLength is the longest IngressClass controller the API
// server takes.
const maxControllerLength = 250

// ingressClass checks an IngressClass as validateIngressClassSpec in
// k8s.io/kubernetes (pkg/apis/networking/validation) does: a controller,
// a domain-prefixed path of at most 250 characters
// (k8s.io/ingress-nginx), and a parameters reference with a kind, a name
// and a namespace exactly when the scope is Namespace.
func (c *checker) ingressClass(ic *networkingv1.IngressClass) {
	spec := field.NewPath("spec")
	cp := spec.Child("controller")
	const hint = "name the controller that implements the class, a domain and a path such as k8s.io/ingress-nginx or ingress.k8s.aws/alb"
	switch ctl := ic.Spec.Controller; {
	case ctl == "":
		c.add(field.Required(cp, ""), hint)
	default:
		if len(ctl) > maxControllerLength {
			c.add(field.TooLong(cp, "", maxControllerLength), hint)
		}
		for _, e := range validation.IsDomainPrefixedPath(cp, ctl) {
			c.add(e, hint)
		}
	}
	if p := ic.Spec.Parameters; p != nil {
		c.ingressClassParameters(p, spec.Child("parameters"))
	}
}

// ingressClassParameters checks an IngressClass's parameters reference:
// the object, and a namespace exactly when the scope is Namespace.
func (c *checker) ingressClassParameters(p *networkingv1.IngressClassParametersReference, path *field.Path) {
	c.typedReference(p.APIGroup, p.Kind, p.Name, path)
	// Left out, the scope is Cluster (SetDefaults_IngressClass). The
	// schema has no enum for it: validateIngressClassParametersReference
	// refuses any other value.
	scope := networkingv1.IngressClassParametersReferenceScopeCluster
	if p.Scope != nil {
		scope = *p.Scope
	}
	switch {
	case scope != networkingv1.IngressClassParametersReferenceScopeCluster && scope != networkingv1.IngressClassParametersReferenceScopeNamespace:
		c.add(field.NotSupported(path.Child("scope"), scope, []string{string(networkingv1.IngressClassParametersReferenceScopeCluster), string(networkingv1.IngressClassParametersReferenceScopeNamespace)}),
			"set scope: Cluster (the default) or Namespace, with its namespace")
	case scope == networkingv1.IngressClassParametersReferenceScopeNamespace:
		if p.Namespace == nil {
			c.add(field.Required(path.Child("namespace"), "`parameters.scope` is set to 'Namespace'"), "give the namespace of the parameters object")
			break
		}
		for _, msg := range apimachineryvalidation.ValidateNamespaceName(*p.Namespace, false) {
			c.add(field.Invalid(path.Child("namespace"), *p.Namespace, msg), "a namespace name is a DNS label")
		}
	case scope == networkingv1.IngressClassParametersReferenceScopeCluster && p.Namespace != nil:
		c.add(field.Forbidden(path.Child("namespace"), "`parameters.scope` is set to 'Cluster'"),
			"remove namespace, or set scope: Namespace (left out, scope is Cluster)")
	}
}

// typedReference checks a reference to an object by group, kind and name
// (an IngressClass's parameters, an Ingress's resource backend): a
// DNS-subdomain group when given, and a kind and a name usable in a URL
// path.
func (c *checker) typedReference(group *string, kind, name string, p *field.Path) {
	if group != nil {
		for _, msg := range validation.IsDNS1123Subdomain(*group) {
			c.add(field.Invalid(p.Child("apiGroup"), *group, msg), "an API group is a DNS subdomain such as k8s.example.com, without a version")
		}
	}
	for _, f := range []struct{ key, value string }{{"kind", kind}, {"name", name}} {
		if f.value == "" {
			c.add(field.Required(p.Child(f.key), ""), "give the referenced object's "+f.key)
			continue
		}
		for _, msg := range content.IsPathSegmentName(f.value) {
			c.add(field.Invalid(p.Child(f.key), f.value, msg), "a "+f.key+" goes into a URL path: no '/', '%', '.' or '..'")
		}
	}
}
