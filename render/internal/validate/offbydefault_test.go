package validate

import (
	"strings"
	"testing"
)

// TestOffByDefault: built-in alpha APIs, and beta APIs new from 1.24
// (KEP-3136), draw a warning at any kubeVersion that serves them, naming
// the stable version when kubeVersion serves one; betas from before 1.24,
// flowcontrol's v1beta3 (turned on by kube-apiserver), stable versions
// custom resources and versions kubeVersion does not serve at all do
// not.
func TestOffByDefault(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		kube, apiVersion, kind string
		msg, hint              string // prefixes; "" for no warning
	}{
		{"1.34.0", "admissionregistration.k8s.io/v1beta1", "MutatingAdmissionPolicy",
			"admissionregistration.k8s.io/v1beta1 MutatingAdmissionPolicy is a beta API that Kubernetes 1.34 serves only when the cluster enables it (--runtime-config=admissionregistration.k8s.io/v1beta1=true)",
			"make sure the cluster enables this API"},
		{"1.29.0", "admissionregistration.k8s.io/v1beta1", "ValidatingAdmissionPolicy",
			"admissionregistration.k8s.io/v1beta1 ValidatingAdmissionPolicy is a beta API that Kubernetes 1.29 serves only when",
			"make sure the cluster enables this API"},
		{"1.30.0", "admissionregistration.k8s.io/v1beta1", "ValidatingAdmissionPolicy",
			"admissionregistration.k8s.io/v1beta1 ValidatingAdmissionPolicy is a beta API",
			"use apiVersion admissionregistration.k8s.io/v1, which the cluster serves by default"},
		{"1.37.0", "resource.k8s.io/v1beta2", "ResourceClaimTemplate", "resource.k8s.io/v1beta2 ResourceClaimTemplate is a beta API", "use apiVersion resource.k8s.io/v1,"},
		{"1.33.0", "coordination.k8s.io/v1alpha2", "LeaseCandidate", "coordination.k8s.io/v1alpha2 LeaseCandidate is an alpha API", ""},
		{"1.24.0", "policy/v1beta1", "PodDisruptionBudget", "", ""},
		// Not served at all: the served check's error, no warning.
		{"1.33.0", "admissionregistration.k8s.io/v1beta1", "MutatingAdmissionPolicy", "", ""},
		{"1.28.0", "flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema", "", ""},
		{"1.37.0", "apps/v1", "Deployment", "", ""},
		{"1.37.0", "monitoring.coreos.com/v1", "ServiceMonitor", "", ""},
	} {
		env, err := NewSchemas().Env(tc.kube, nil)
		if err != nil {
			t.Fatal(err)
		}
		msg, hint := env.OffByDefault(tc.apiVersion, tc.kind)
		if !strings.HasPrefix(msg, tc.msg) || (tc.msg == "") != (msg == "") || !strings.HasPrefix(hint, tc.hint) {
			t.Errorf("%s %s %s: got %q, %q; want %q…, %q…", tc.kube, tc.apiVersion, tc.kind, msg, hint, tc.msg, tc.hint)
		}
	}
}
