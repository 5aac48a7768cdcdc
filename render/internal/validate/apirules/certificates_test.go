package apirules

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"strings"
	"testing"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// userCSR is a PEM certificate request for the user myuser, as the
// Kubernetes documentation's "issue a certificate for a user" task makes
// one (there with openssl and an RSA key; here an ECDSA key, quicker).
func userCSR(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "myuser"}}, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}

// TestCertificateSigningRequests: a CSR as ValidateCertificateSigningRequestCreate
// checks it, on the Kubernetes documentation's request for a user.
func TestCertificateSigningRequests(t *testing.T) {
	t.Parallel()
	good := userCSR(t)
	block, _ := pem.Decode(good)
	tampered := append([]byte(nil), block.Bytes...)
	tampered[len(tampered)-1] ^= 1 // the signature's last byte
	b64 := func(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
	// csr is the documentation's CertificateSigningRequest with request
	// (base64) and one line of spec changed (old to new).
	csr := func(request, old, new string) string {
		doc := "metadata: {name: myuser}\nspec:\n  request: " + request + "\n  signerName: kubernetes.io/kube-apiserver-client\n  expirationSeconds: 86400\n  usages: [client auth]\n"
		return strings.Replace(doc, old, new, 1)
	}
	v1 := func() runtime.Object { return &certificatesv1.CertificateSigningRequest{} }
	req := b64(good)
	checkRows(t, []row{
		{"the documentation's", v1, csr(req, "", ""), "", ""},
		{"serving certificate", v1, csr(req, "kube-apiserver-client\n  expirationSeconds: 86400\n  usages: [client auth]", "kubelet-serving\n  usages: [digital signature, key encipherment, server auth]"), "", ""},
		{"own signer", v1, csr(req, "kubernetes.io/kube-apiserver-client", "example.com/my-signer"), "", ""},
		{"a certificate, not a request", v1, csr(b64(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: block.Bytes})), "", ""), "",
			"spec.request: Invalid value: PEM block type must be CERTIFICATE REQUEST"},
		{"not PEM", v1, csr(b64(block.Bytes), "", ""), "", "spec.request: Invalid value: PEM block type must be CERTIFICATE REQUEST"},
		{"bad signature", v1, csr(b64(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: tampered})), "", ""), "",
			"spec.request: Invalid value: x509: ECDSA verification failure"},
		{"not a request inside", v1, csr(b64(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: []byte("myuser")})), "", ""), "",
			"spec.request: Invalid value: asn1: structure error"},
		{"no usages", v1, csr(req, "usages: [client auth]", "usages: []"), "", "spec.usages: Required value"},
		{"a usage twice", v1, csr(req, "usages: [client auth]", "usages: [client auth, digital signature, client auth]"), "", `spec.usages[2]: Duplicate value: "client auth"`},
		{"legacy signer", v1, csr(req, "kubernetes.io/kube-apiserver-client", "kubernetes.io/legacy-unknown"), "",
			`spec.signerName: Invalid value: "kubernetes.io/legacy-unknown": the legacy signerName is not allowed via this API version`},
		{"empty signer", v1, csr(req, "kubernetes.io/kube-apiserver-client", `""`), "", "spec.signerName: Required value"},
		{"signer without a path", v1, csr(req, "kubernetes.io/kube-apiserver-client", "example.com"), "",
			`spec.signerName: Invalid value: "example.com": must be a fully qualified domain and path of the form 'example.com/signer-name'`},
		{"signer of one label", v1, csr(req, "kubernetes.io/kube-apiserver-client", "example/my-signer"), "",
			`spec.signerName: Invalid value: "example": should be a domain with at least two segments separated by dots`},
		{"signer domain in capitals", v1, csr(req, "kubernetes.io/kube-apiserver-client", "Example.com/my-signer"), "",
			`spec.signerName: Invalid value: "Example.com": validating label "Example": a lowercase RFC 1123 label must consist of`},
		{"signer path with a space", v1, csr(req, "kubernetes.io/kube-apiserver-client", "'example.com/my signer'"), "",
			`spec.signerName: Invalid value: "my signer": validating label "my signer": a lowercase RFC 1123 subdomain must consist of`},
		{"ten minutes", v1, csr(req, "expirationSeconds: 86400", "expirationSeconds: 600"), "", ""},
		{"five minutes", v1, csr(req, "expirationSeconds: 86400", "expirationSeconds: 300"), "",
			"spec.expirationSeconds: Invalid value: 300: may not specify a duration less than 600 seconds (10 minutes)"},
		// The API server clears status and the requester's fields on create.
		{"status and username", v1, csr(req, "", "") + "  username: admin\nstatus: {conditions: [{type: Approved, status: 'False'}]}\n", "", ""},
	})
}

// TestCertificateProjections: the clusterTrustBundle and podCertificate
// sources of a projected volume, from 1.37, where ClusterTrustBundleProjection
// and PodCertificateRequest are on by default; before, the API server
// drops them unchecked. The valid rows are the Kubernetes documentation's
// examples (projected volumes, pod certificates).
func TestCertificateProjections(t *testing.T) {
	t.Parallel()
	pod := func() runtime.Object { return &corev1.Pod{} }
	// projected is a Pod whose volume projects sources (flow sequence
	// entries).
	projected := func(sources string) string {
		return "spec:\n  containers: [{name: a, image: a, volumeMounts: [{name: certs, mountPath: /var/run/certs}]}]\n" +
			"  volumes: [{name: certs, projected: {sources: [" + sources + "]}}]"
	}
	const (
		byName   = "{clusterTrustBundle: {name: example, path: example-roots.pem}}"
		bySigner = "{clusterTrustBundle: {signerName: example.com/mysigner, labelSelector: {matchLabels: {version: live}}, path: mysigner-roots.pem, optional: true}}"
		podCert  = "{podCertificate: {keyType: ED25519, signerName: coolcert.example.com/foo, credentialBundlePath: credentialbundle.pem}}"
		src      = "spec.volumes[0].projected.sources[0]"
	)
	bundle := func(fields string) string { return projected("{clusterTrustBundle: {" + fields + "}}") }
	cert := func(fields string) string { return projected("{podCertificate: {" + fields + "}}") }
	checkRows(t, []row{
		{"documentation's bundles", pod, projected(byName + ", " + bySigner), "", ""},
		{"documentation's pod certificate", pod, projected(podCert), "", ""},
		{"bundle of a signer by name", pod, bundle("name: 'example.com:mysigner:live', path: ca.pem"), "", ""},
		{"key and chain apart", pod, cert("keyType: RSA3072, signerName: example.com/foo, keyPath: tls.key, certificateChainPath: tls.crt, maxExpirationSeconds: 86400, userAnnotations: {example.com/purpose: web}"), "", ""},
		{"name and signer", pod, bundle("name: example, signerName: example.com/mysigner, path: ca.pem"), "",
			src + `.clusterTrustBundle: Invalid value: {"name":"example","signerName":"example.com/mysigner","path":"ca.pem"}: only one of name and signerName may be used`},
		{"neither name nor signer", pod, bundle("path: ca.pem"), "", src + ".clusterTrustBundle: Required value: either name or signerName must be specified"},
		{"empty name", pod, bundle("name: '', path: ca.pem"), "", src + ".clusterTrustBundle.name: Required value: must be a valid object name"},
		{"name in capitals", pod, bundle("name: Example, path: ca.pem"), "",
			src + `.clusterTrustBundle.name: Invalid value: "Example": not a valid clustertrustbundlename: a lowercase RFC 1123 subdomain must consist of`},
		// ValidateClusterTrustBundleName: the part before the last ':' is
		// the signer name with its '/' written ':', so a '/' there can
		// never match, and a name may not start with ':'.
		{"bundle name with the signer's slash", pod, bundle("name: 'example.com/mysigner:live', path: ca.pem"), "",
			src + `.clusterTrustBundle.name: Invalid value: "example.com/mysigner:live": not a valid clustertrustbundlename: ClusterTrustBundle for signerName example.com/mysigner must be named with prefix example.com:mysigner:`},
		{"bundle name after a colon", pod, bundle("name: ':live', path: ca.pem"), "",
			src + `.clusterTrustBundle.name: Invalid value: ":live": not a valid clustertrustbundlename: ClusterTrustBundle without signer name must not have ":" in its name`},
		{"name and selector", pod, bundle("name: example, labelSelector: {matchLabels: {version: live}}, path: ca.pem"), "",
			src + `.clusterTrustBundle.labelSelector: Invalid value: {"matchLabels":{"version":"live"}}: labelSelector must be unset if name is specified`},
		{"empty signer", pod, bundle("signerName: '', path: ca.pem"), "", src + ".clusterTrustBundle.signerName: Required value: must be a valid signer name"},
		{"signer without a path", pod, bundle("signerName: mysigner, path: ca.pem"), "",
			src + `.clusterTrustBundle.signerName: Invalid value: "mysigner": must be a fully qualified domain and path of the form 'example.com/signer-name'`},
		{"bad selector", pod, bundle("signerName: example.com/mysigner, labelSelector: {matchLabels: {version: 'live now'}}, path: ca.pem"), "",
			src + `.clusterTrustBundle.labelSelector.matchLabels: Invalid value: "live now"`},
		{"empty bundle path", pod, bundle("name: example, path: ''"), "", src + ".clusterTrustBundle.path: Required value"},
		{"absolute bundle path", pod, bundle("name: example, path: /etc/ssl/ca.pem"), "", src + `.clusterTrustBundle.path: Invalid value: "/etc/ssl/ca.pem": must be a relative path`},
		{"bundle path up", pod, bundle("name: example, path: ../ca.pem"), "", src + `.clusterTrustBundle.path: Invalid value: "../ca.pem": must not contain '..'`},
		{"bundle path of a secret's file", pod, projected("{secret: {name: tls, items: [{key: ca.crt, path: ca.pem}]}}, {clusterTrustBundle: {name: example, path: ca.pem}}"), "",
			`spec.volumes[0].projected: Invalid value: "ca.pem": conflicting duplicate paths`},
		{"two bundles, one path", pod, projected("{clusterTrustBundle: {name: a, path: ca.pem}}, {clusterTrustBundle: {name: b, path: ca.pem}}"), "",
			`spec.volumes[0].projected: Invalid value: "ca.pem": conflicting duplicate paths`},
		{"bundle beside a secret", pod, projected("{secret: {name: tls}, clusterTrustBundle: {name: example, path: ca.pem}}"), "",
			src + ": Forbidden: may not specify more than 1 volume type per source"},
		{"certificate of a signer without a path", pod, cert("keyType: ED25519, signerName: coolcert.example.com, credentialBundlePath: bundle.pem"), "",
			src + `.podCertificate.signerName: Invalid value: "coolcert.example.com": must be a fully qualified domain and path of the form 'example.com/signer-name'`},
		{"empty signer of a certificate", pod, cert("keyType: ED25519, signerName: '', credentialBundlePath: bundle.pem"), "", src + ".podCertificate.signerName: Required value"},
		{"key type in lowercase", pod, cert("keyType: ed25519, signerName: coolcert.example.com/foo, credentialBundlePath: bundle.pem"), "",
			src + `.podCertificate.keyType: Unsupported value: "ed25519": supported values: "RSA3072", "RSA4096", "ECDSAP256", "ECDSAP384", "ECDSAP521", "ED25519"`},
		{"RSA 2048", pod, cert("keyType: RSA2048, signerName: coolcert.example.com/foo, credentialBundlePath: bundle.pem"), "", src + `.podCertificate.keyType: Unsupported value: "RSA2048"`},
		{"an hour", pod, cert("keyType: ED25519, signerName: coolcert.example.com/foo, credentialBundlePath: bundle.pem, maxExpirationSeconds: 3600"), "", ""},
		{"ten minutes", pod, cert("keyType: ED25519, signerName: coolcert.example.com/foo, credentialBundlePath: bundle.pem, maxExpirationSeconds: 600"), "",
			src + ".podCertificate.maxExpirationSeconds: Invalid value: 600: if provided, maxExpirationSeconds must be >= 3600"},
		{"91 days", pod, cert("keyType: ED25519, signerName: coolcert.example.com/foo, credentialBundlePath: bundle.pem, maxExpirationSeconds: 7862400"), "", ""},
		{"92 days", pod, cert("keyType: ED25519, signerName: coolcert.example.com/foo, credentialBundlePath: bundle.pem, maxExpirationSeconds: 7948800"), "",
			src + ".podCertificate.maxExpirationSeconds: Invalid value: 7948800: if provided, maxExpirationSeconds must be <= 7862400"},
		{"two days of a kubernetes.io signer", pod, cert("keyType: ED25519, signerName: kubernetes.io/kube-apiserver-client-pod, credentialBundlePath: bundle.pem, maxExpirationSeconds: 172800"), "",
			src + ".podCertificate.maxExpirationSeconds: Invalid value: 172800: if provided, maxExpirationSeconds must be <= 86400"},
		{"no file", pod, cert("keyType: ED25519, signerName: coolcert.example.com/foo"), "",
			src + ".podCertificate: Required value: specify at least one of credentialBundlePath, keyPath, and certificateChainPath"},
		{"key path of the kubelet's", pod, cert("keyType: ED25519, signerName: coolcert.example.com/foo, keyPath: ..key.pem, certificateChainPath: chain.pem"), "",
			src + `.podCertificate.keyPath: Invalid value: "..key.pem": must not start with '..'`},
		{"chain path absolute", pod, cert("keyType: ED25519, signerName: coolcert.example.com/foo, keyPath: key.pem, certificateChainPath: /chain.pem"), "",
			src + `.podCertificate.certificateChainPath: Invalid value: "/chain.pem": must be a relative path`},
		{"key and chain in one file", pod, cert("keyType: ED25519, signerName: coolcert.example.com/foo, keyPath: tls.pem, certificateChainPath: tls.pem"), "",
			`spec.volumes[0].projected: Invalid value: "tls.pem": conflicting duplicate paths`},
		{"annotation without a domain", pod, cert("keyType: ED25519, signerName: coolcert.example.com/foo, credentialBundlePath: bundle.pem, userAnnotations: {purpose: web}"), "",
			src + `.podCertificate.userAnnotations: Invalid value: "purpose": must be a domain-prefixed key (such as "acme.io/foo")`},
		{"annotation key in capitals", pod, cert("keyType: ED25519, signerName: coolcert.example.com/foo, credentialBundlePath: bundle.pem, userAnnotations: {Example.com/Purpose: web}"), "", ""},
		// Before 1.37 the API server drops both sources, whatever they hold.
		{"name and signer 1.36", pod, bundle("name: example, signerName: example.com/mysigner, path: ca.pem"), "1.36.3", ""},
		{"name and signer 1.37", pod, bundle("name: example, signerName: example.com/mysigner, path: ca.pem"), "1.37.0", "only one of name and signerName may be used"},
		{"no file 1.36", pod, cert("keyType: ED25519, signerName: coolcert.example.com/foo"), "1.36.0", ""},
		{"no file 1.37", pod, cert("keyType: ED25519, signerName: coolcert.example.com/foo"), "1.37.0", "specify at least one of credentialBundlePath, keyPath, and certificateChainPath"},
		{"certificate beside a token 1.36", pod, projected("{serviceAccountToken: {path: token}, podCertificate: {keyType: ED25519, signerName: coolcert.example.com/foo, credentialBundlePath: bundle.pem}}"), "1.36.0", ""},
		{"certificate beside a token 1.37", pod, projected("{serviceAccountToken: {path: token}, podCertificate: {keyType: ED25519, signerName: coolcert.example.com/foo, credentialBundlePath: bundle.pem}}"), "1.37.0",
			src + ": Forbidden: may not specify more than 1 volume type per source"},
	})
}
