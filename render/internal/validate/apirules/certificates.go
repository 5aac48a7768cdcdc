package apirules

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"maps"
	"slices"
	"strings"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Signer names, certificate signing requests, and the projected volume
// sources that name a signer (a cluster trust bundle's, a pod
// certificate's), as k8s.io/kubernetes v1.37 checks them:
// ValidateSignerName (pkg/apis/core/validation/names.go),
// ValidateCertificateSigningRequestCreate
// (pkg/apis/certificates/validation) and validateProjectionSources
// (pkg/apis/core/validation/validation.go).

const signerNameHint = "a signer name is a domain of two or more labels, '/' and a name: example.com/my-signer, or one of Kubernetes' own, such as kubernetes.io/kube-apiserver-client"

// signerName checks a signer name as ValidateSignerName does: a domain of
// DNS labels, at least two, of at most 253 characters, then one '/' and a
// path of '.'-separated DNS subdomains, 571 characters in all. Each part
// is told once, with its first bad label.
func (c *checker) signerName(name string, p *field.Path) {
	if name == "" {
		c.add(field.Required(p, ""), signerNameHint)
		return
	}
	segments := strings.Split(name, "/")
	if len(segments) != 2 {
		c.add(field.Invalid(p, name, "must be a fully qualified domain and path of the form 'example.com/signer-name'"), signerNameHint)
		return
	}
	domain, rest := segments[0], segments[1]
	if len(domain) > validation.DNS1123SubdomainMaxLength {
		c.add(field.TooLong(p, "", validation.DNS1123SubdomainMaxLength), signerNameHint)
	}
	labels := strings.Split(domain, ".")
	for _, l := range labels {
		msgs := validation.IsDNS1123Label(l)
		for _, msg := range msgs {
			c.add(field.Invalid(p, domain, fmt.Sprintf("validating label %q: %s", l, msg)), signerNameHint)
		}
		if len(msgs) > 0 {
			break
		}
	}
	if len(labels) < 2 {
		c.add(field.Invalid(p, domain, "should be a domain with at least two segments separated by dots"), signerNameHint)
	}
	for _, l := range strings.Split(rest, ".") {
		msgs := validation.IsDNS1123Subdomain(l)
		for _, msg := range msgs {
			c.add(field.Invalid(p, rest, fmt.Sprintf("validating label %q: %s", l, msg)), signerNameHint)
		}
		if len(msgs) > 0 {
			break
		}
	}
	// A domain, '/', and a namespace and a name joined by '.'.
	const maxLen = validation.DNS1123SubdomainMaxLength + 1 + validation.DNS1123SubdomainMaxLength + validation.DNS1123LabelMaxLength + 1
	if len(name) > maxLen {
		c.add(field.TooLong(p, "", maxLen), signerNameHint)
	}
}

// legacyUnknownSigner is the signer name of v1beta1 requests that named
// none; v1 refuses it on create.
const legacyUnknownSigner = "kubernetes.io/legacy-unknown"

// certificateSigningRequest checks a CertificateSigningRequest as the API
// server checks it on create (its status is cleared first, and
// username, uid, groups and extra replaced by the requester's, so none of
// them is looked at): a request that is one PEM block of type CERTIFICATE
// REQUEST holding a PKCS#10 request whose signature verifies; usages,
// each once (the schema checks their values); a signer name, not the
// legacy one; an expirationSeconds of 600 or more. The request's content
// is never shown in an error, only what is wrong with it.
func (c *checker) certificateSigningRequest(csr *certificatesv1.CertificateSigningRequest) {
	spec := field.NewPath("spec")
	if msg := csrRequestProblem(csr.Spec.Request); msg != "" {
		c.add(field.Invalid(spec.Child("request"), field.OmitValueType{}, msg),
			"request holds a PEM-encoded PKCS#10 request (-----BEGIN CERTIFICATE REQUEST-----), base64-encoded once more in YAML: make it with openssl req -new or cfssl, then base64 -w0 the PEM file")
	}
	up := spec.Child("usages")
	if len(csr.Spec.Usages) == 0 {
		c.add(field.Required(up, ""), "list what the certificate is for, such as [client auth] or [digital signature, key encipherment, server auth]")
	}
	seen := map[certificatesv1.KeyUsage]bool{}
	for i, u := range csr.Spec.Usages {
		if seen[u] {
			c.add(field.Duplicate(up.Index(i), u), "list each usage once")
		}
		seen[u] = true
	}
	sp := spec.Child("signerName")
	if csr.Spec.SignerName == legacyUnknownSigner {
		c.add(field.Invalid(sp, csr.Spec.SignerName, "the legacy signerName is not allowed via this API version"),
			"name the signer that is to sign the request, such as kubernetes.io/kube-apiserver-client or kubernetes.io/kubelet-serving, or your own (example.com/my-signer)")
	} else {
		c.signerName(csr.Spec.SignerName, sp)
	}
	if e := csr.Spec.ExpirationSeconds; e != nil && *e < 600 {
		c.add(field.Invalid(spec.Child("expirationSeconds"), *e, "may not specify a duration less than 600 seconds (10 minutes)"),
			"ask for a certificate valid 600 seconds or more, or leave expirationSeconds out for the signer's own duration")
	}
}

// csrRequestProblem is what the API server's validateCSR says of a
// request (certificates.ParseCSR, then the signature's check): "" when it
// takes it. Only the first PEM block is read. Kubernetes 1.37 is built
// with Go 1.26, as kiln is, so crypto/x509 says the same.
func csrRequestProblem(request []byte) string {
	block, _ := pem.Decode(request)
	if block == nil || block.Type != "CERTIFICATE REQUEST" {
		return "PEM block type must be CERTIFICATE REQUEST"
	}
	req, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return err.Error()
	}
	if err := req.CheckSignature(); err != nil {
		return err.Error()
	}
	return ""
}

// ClusterTrustBundleName is the check of a ClusterTrustBundle's name
// (ValidateClusterTrustBundleName, pkg/apis/core/validation/names.go):
// for a bundle of no signer a DNS subdomain without ':'; for a bundle of
// signer, the signer name with its '/' written ':', a ':', and a DNS
// subdomain (example.com:mysigner:live for example.com/mysigner).
func ClusterTrustBundleName(signer string) apimachineryvalidation.ValidateNameFunc {
	return func(name string, prefix bool) []string {
		if signer == "" {
			if strings.Contains(name, ":") {
				return []string{`ClusterTrustBundle without signer name must not have ":" in its name`}
			}
			return apimachineryvalidation.NameIsDNSSubdomain(name, prefix)
		}
		required := strings.ReplaceAll(signer, "/", ":") + ":"
		if !strings.HasPrefix(name, required) {
			return []string{fmt.Sprintf("ClusterTrustBundle for signerName %s must be named with prefix %s", signer, required)}
		}
		return apimachineryvalidation.NameIsDNSSubdomain(strings.TrimPrefix(name, required), prefix)
	}
}

// signerOfBundleName is the signer name a projection's bundle name
// implies (extractSignerNameFromClusterTrustBundleName): what comes
// before its last ':', each ':' read as '/'; "" for a name without ':'.
// A name starting with ':' implies the signer "" too, and is then refused
// for its ':'; one with '/' before its last ':' implies a signer whose
// prefix it cannot have.
func signerOfBundleName(name string) string {
	i := strings.LastIndex(name, ":")
	if i < 0 {
		return ""
	}
	return strings.ReplaceAll(name[:i], ":", "/")
}

// clusterTrustBundle checks a projected volume's clusterTrustBundle
// source at p: a bundle by name (ClusterTrustBundleName of the signer
// the name implies: example.com:signer:bundle), or by signer name with an
// optional label selector, not both; a relative file path without '..',
// not used by another source of the volume (seen; dup reports it).
func (c *checker) clusterTrustBundle(s *corev1.ClusterTrustBundleProjection, p *field.Path, seen map[string]bool, dup func(string)) {
	const hint = "name one ClusterTrustBundle (name), or the signer whose bundles to merge (signerName, with an optional labelSelector)"
	switch {
	case s.Name != nil && s.SignerName != nil:
		c.add(field.Invalid(p, s, "only one of name and signerName may be used"), hint)
	case s.Name != nil:
		np := p.Child("name")
		name := *s.Name
		if name == "" {
			c.add(field.Required(np, "must be a valid object name"), hint)
		} else {
			for _, msg := range ClusterTrustBundleName(signerOfBundleName(name))(name, false) {
				c.add(field.Invalid(np, name, "not a valid clustertrustbundlename: "+msg),
					"a ClusterTrustBundle's name is a DNS subdomain, after '<signer domain>:<signer path>:' for a bundle of a signer (the signer name's '/' written ':')")
			}
		}
		if s.LabelSelector != nil {
			c.add(field.Invalid(p.Child("labelSelector"), s.LabelSelector, "labelSelector must be unset if name is specified"),
				"a labelSelector picks among a signer's bundles: remove it, or use signerName instead of name")
		}
	case s.SignerName != nil:
		if *s.SignerName == "" {
			c.add(field.Required(p.Child("signerName"), "must be a valid signer name"), signerNameHint)
		} else {
			c.signerName(*s.SignerName, p.Child("signerName"))
		}
		c.selector(s.LabelSelector, p.Child("labelSelector"))
	default:
		c.add(field.Required(p, "either name or signerName must be specified"), hint)
	}
	pp := p.Child("path")
	if s.Path == "" {
		c.add(field.Required(pp, ""), "give the bundle file's path within the volume, such as ca.pem")
	} else {
		c.localNonReservedPath(s.Path, pp, itemPathHint)
		c.projectedPath(s.Path, seen, dup)
	}
}

// podCertificateKeyTypes are the key types a pod certificate may have.
var podCertificateKeyTypes = []string{"RSA3072", "RSA4096", "ECDSAP256", "ECDSAP384", "ECDSAP521", "ED25519"}

// Bounds of a pod certificate's maxExpirationSeconds
// (k8s.io/kubernetes pkg/apis/certificates: MaxMaxExpirationSeconds,
// KubernetesMaxMaxExpirationSeconds).
const (
	podCertMinExpiration           = 3600
	podCertMaxExpiration           = 91 * 24 * 60 * 60
	podCertKubernetesMaxExpiration = 24 * 60 * 60
)

// podCertificate checks a projected volume's podCertificate source at p:
// a signer name; userAnnotations with domain-prefixed keys (read in
// lowercase), 256 kB in all; a key type the kubelet can make (the schema
// has no enum for it); a maxExpirationSeconds, when given, of an hour to
// 91 days (a day for a kubernetes.io signer); at least one of the three
// file paths, each relative, without '..' and not used by another
// source. Its user is behind the alpha gate AtomicWriteVolumeUserFields
// (off in every release kiln knows): dropped, unchecked.
func (c *checker) podCertificate(s *corev1.PodCertificateProjection, p *field.Path, seen map[string]bool, dup func(string)) {
	c.signerName(s.SignerName, p.Child("signerName"))
	if s.UserAnnotations != nil {
		ap := p.Child("userAnnotations")
		const hint = "a user annotation's key is domain-prefixed, such as example.com/purpose"
		for _, k := range slices.Sorted(maps.Keys(s.UserAnnotations)) {
			for _, e := range validation.IsDomainPrefixedKey(ap, strings.ToLower(k)) {
				c.add(e, hint)
			}
		}
		if apimachineryvalidation.ValidateAnnotationsSize(s.UserAnnotations) != nil {
			c.add(field.TooLong(ap, "", apimachineryvalidation.TotalAnnotationSizeLimitB), "keep the user annotations under 256 kB in all")
		}
	}
	if !slices.Contains(podCertificateKeyTypes, s.KeyType) {
		c.add(field.NotSupported(p.Child("keyType"), s.KeyType, podCertificateKeyTypes), "set keyType to RSA3072, RSA4096, ECDSAP256, ECDSAP384, ECDSAP521 or ED25519 (the case matters)")
	}
	if e := s.MaxExpirationSeconds; e != nil {
		ep := p.Child("maxExpirationSeconds")
		most := podCertMaxExpiration
		if hostName, _, _ := strings.Cut(s.SignerName, "/"); hostName == "kubernetes.io" || strings.HasSuffix(hostName, ".kubernetes.io") {
			most = podCertKubernetesMaxExpiration
		}
		hint := fmt.Sprintf("let the certificate live %d to %d seconds, or leave maxExpirationSeconds out for the signer's default", podCertMinExpiration, most)
		if *e < podCertMinExpiration {
			c.add(field.Invalid(ep, *e, fmt.Sprintf("if provided, maxExpirationSeconds must be >= %d", podCertMinExpiration)), hint)
		}
		if int(*e) > most {
			c.add(field.Invalid(ep, *e, fmt.Sprintf("if provided, maxExpirationSeconds must be <= %d", most)), hint)
		}
	}
	paths := 0
	for _, f := range []struct{ key, path string }{
		{"credentialBundlePath", s.CredentialBundlePath}, {"keyPath", s.KeyPath}, {"certificateChainPath", s.CertificateChainPath},
	} {
		if f.path == "" {
			continue
		}
		paths++
		c.localNonReservedPath(f.path, p.Child(f.key), itemPathHint)
		c.projectedPath(f.path, seen, dup)
	}
	if paths == 0 {
		c.add(field.Required(p, "specify at least one of credentialBundlePath, keyPath, and certificateChainPath"),
			"give the file to write: credentialBundlePath (key and chain in one file), or keyPath and certificateChainPath")
	}
}
