package validate

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// TestServedUntilRemoved: a built-in kind k8s.io/api no longer defines is
// served by the releases before its removal, so an object of it passes
// (unchecked: kiln has no type for it), and from its removal on it is
// refused naming the release and the replacement. It used to be refused
// under every kubeVersion as a kind no Kubernetes serves.
func TestServedUntilRemoved(t *testing.T) {
	t.Parallel()
	const (
		hpa        = "apiVersion: autoscaling/%s\nkind: HorizontalPodAutoscaler\nmetadata: {name: web, namespace: shop}\nspec: {scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}, minReplicas: 1, maxReplicas: 3}\n"
		psp        = "apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata: {name: restricted}\nspec: {privileged: false}\n"
		apiService = "apiVersion: apiregistration.k8s.io/v1beta1\nkind: APIService\nmetadata: {name: v1beta1.metrics.k8s.io}\n" +
			"spec: {service: {name: prometheus-adapter, namespace: monitoring}, group: metrics.k8s.io, version: v1beta1, groupPriorityMinimum: 100, versionPriority: 100}\n"
		flowSchema = "apiVersion: flowcontrol.apiserver.k8s.io/v1beta2\nkind: FlowSchema\nmetadata: {name: fs1}\nspec: {priorityLevelConfiguration: {name: global-default}, matchingPrecedence: 500}\n"
	)
	for _, tc := range []struct {
		name, kube, doc, want string
	}{
		{"v2beta1 HPA in 1.24", "1.24.0", strings.Replace(hpa, "%s", "v2beta1", 1), ""},
		{"v2beta1 HPA in 1.25", "1.25.0", strings.Replace(hpa, "%s", "v2beta1", 1),
			"autoscaling/v2beta1 HorizontalPodAutoscaler is not served by Kubernetes 1.25 (kubeVersion): it was removed in 1.25\n  hint: use apiVersion autoscaling/v2 kind HorizontalPodAutoscaler"},
		{"v2beta2 HPA in 1.25", "1.25.9", strings.Replace(hpa, "%s", "v2beta2", 1), ""},
		{"v2beta2 HPA in 1.26", "1.26.0", strings.Replace(hpa, "%s", "v2beta2", 1),
			"autoscaling/v2beta2 HorizontalPodAutoscaler is not served by Kubernetes 1.26 (kubeVersion): it was removed in 1.26\n  hint: use apiVersion autoscaling/v2 kind HorizontalPodAutoscaler"},
		{"PodSecurityPolicy in 1.24", "1.24.0", psp, ""},
		{"PodSecurityPolicy in 1.25", "1.25.0", psp, "policy/v1beta1 PodSecurityPolicy is not served by Kubernetes 1.25 (kubeVersion): it was removed in 1.25"},
		// prometheus-adapter 5.3.0's resource-metrics-apiservice.yaml under
		// helm's default API versions (templates/helm/capabilities.go).
		{"v1beta1 APIService in 1.21", "1.21.0", apiService, ""},
		{"v1beta1 APIService in 1.37", "1.37.0", apiService,
			"apiregistration.k8s.io/v1beta1 APIService is not served by Kubernetes 1.37 (kubeVersion): it was removed in 1.22\n  hint: use apiVersion apiregistration.k8s.io/v1 kind APIService"},
		// v1 is kube-aggregator's kind, checked as a built-in one; a
		// version or kind its group does not have is refused.
		{"v1 APIService in 1.37", "1.37.0", strings.Replace(apiService, "v1beta1\nkind", "v1\nkind", 1), ""},
		{"v2 APIService", "1.37.0", strings.Replace(apiService, "v1beta1\nkind", "v2\nkind", 1),
			"apiregistration.k8s.io/v2 APIService is not a kind Kubernetes serves: apiregistration.k8s.io is a Kubernetes API group, and no version of Kubernetes up to 1.37 defines this kind in apiregistration.k8s.io/v2\n  hint: use apiVersion apiregistration.k8s.io/v1"},
		{"APIService misspelt", "1.37.0", strings.Replace(apiService, "v1beta1\nkind: APIService", "v1\nkind: APIServce", 1),
			"apiregistration.k8s.io/v1 APIServce is not a kind Kubernetes serves: apiregistration.k8s.io is a Kubernetes API group, and no version of Kubernetes up to 1.37 defines this kind in apiregistration.k8s.io/v1\n  hint: did you mean \"APIService\"? check the kind's spelling and apiVersion"},
		// Each version names only the next, which kubeVersion may have
		// removed too (v1beta3 in 1.32), or deprecated (in 1.29): the hint
		// follows the chain to the version to write.
		{"v1beta2 FlowSchema in 1.32", "1.32.0", flowSchema,
			"flowcontrol.apiserver.k8s.io/v1beta2 FlowSchema is not served by Kubernetes 1.32 (kubeVersion): it was removed in 1.29\n  hint: use apiVersion flowcontrol.apiserver.k8s.io/v1 kind FlowSchema,"},
		{"v1beta2 FlowSchema in 1.29", "1.29.0", flowSchema,
			"flowcontrol.apiserver.k8s.io/v1beta2 FlowSchema is not served by Kubernetes 1.29 (kubeVersion): it was removed in 1.29\n  hint: use apiVersion flowcontrol.apiserver.k8s.io/v1 kind FlowSchema,"},
		{"v1beta1 FlowSchema in 1.28", "1.28.0", strings.Replace(flowSchema, "v1beta2", "v1beta1", 1),
			"flowcontrol.apiserver.k8s.io/v1beta1 FlowSchema is not served by Kubernetes 1.28 (kubeVersion): it was removed in 1.26\n  hint: use apiVersion flowcontrol.apiserver.k8s.io/v1beta3 kind FlowSchema,"},
		// Scale is a subresource's type, not a kind one writes.
		{"Scale misspelt", "1.37.0", "apiVersion: autoscaling/v1\nkind: Scal\nmetadata: {name: web, namespace: shop}\n",
			"autoscaling/v1 Scal is not a kind Kubernetes serves: autoscaling is a Kubernetes API group, and no version of Kubernetes up to 1.37 defines this kind in autoscaling/v1\n  hint: check the kind's spelling and apiVersion"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			objs := parse(t, "a.yaml", tc.doc)
			e, err := schemas().Env(tc.kube, nil)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if err := e.Objects("demo", objs); err != nil {
				got = err.Error()
			}
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("got error %q, want one containing %q", got, tc.want)
			}
			gv, kind := objs[0].Node.GetApiVersion(), objs[0].Node.GetKind()
			// A kind kiln has a Go type for has a known scope: NotServed
			// is of the others.
			typed := newTyped(schema.FromAPIVersionAndKind(gv, kind)) != nil
			if got, want := e.NotServed(gv, kind), tc.want != "" && !typed; got != want {
				t.Errorf("NotServed(%s, %s) = %v, want %v (whether render leaves out its warning about the object's scope)", gv, kind, got, want)
			}
		})
	}
}

// TestDeprecatedUntilRemoved: a kind k8s.io/api no longer defines draws the
// deprecation warning while kubeVersion still serves it, naming the release
// that stops and the replacement, as the kinds k8s.io/api has do.
func TestDeprecatedUntilRemoved(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		kube, apiVersion, kind, want, hint string
	}{
		{"1.22.0", "autoscaling/v2beta2", "HorizontalPodAutoscaler", "", ""},
		{"1.25.0", "autoscaling/v2beta2", "HorizontalPodAutoscaler",
			"autoscaling/v2beta2 HorizontalPodAutoscaler is deprecated since Kubernetes 1.23 and is not served from 1.26",
			"use apiVersion autoscaling/v2 kind HorizontalPodAutoscaler before the cluster is upgraded"},
		{"1.26.0", "autoscaling/v2beta2", "HorizontalPodAutoscaler", "", ""}, // refused instead
		{"1.24.0", "policy/v1beta1", "PodSecurityPolicy",
			"policy/v1beta1 PodSecurityPolicy is deprecated since Kubernetes 1.21 and is not served from 1.25",
			"this kind has no replacement; remove the object before the cluster is upgraded"},
	} {
		e, err := schemas().Env(tc.kube, nil)
		if err != nil {
			t.Fatal(err)
		}
		msg, hint := e.Deprecated(tc.apiVersion, tc.kind)
		if msg != tc.want || !strings.HasPrefix(hint, tc.hint) {
			t.Errorf("%s %s %s: Deprecated = %q, %q; want %q, %q…", tc.kube, tc.apiVersion, tc.kind, msg, hint, tc.want, tc.hint)
		}
	}
}

// TestRemovedVersionNamesItsSuccessor: k8s.io/api names no replacement
// for the alpha and beta versions of ValidatingAdmissionPolicy, whose kind
// is served as v1 from 1.30. The Kubernetes documentation's own examples
// of them (testdata/manifests/kubernetes-website) were refused with "this
// kind has no replacement; remove the object": a user following it would
// delete an admission policy instead of moving it to v1.
func TestRemovedVersionNamesItsSuccessor(t *testing.T) {
	t.Parallel()
	const v1 = "hint: use apiVersion admissionregistration.k8s.io/v1 kind ValidatingAdmissionPolicy, and check the object against that version's fields"
	for _, tc := range []struct {
		file, kube, want string
	}{
		{"access_image-matches-namespace-environment.policy.yaml", "1.37.0",
			"admissionregistration.k8s.io/v1beta1 ValidatingAdmissionPolicy is not served by Kubernetes 1.37 (kubeVersion): it was removed in 1.34\n  " + v1},
		{"access_validating-admission-policy-match-conditions.yaml", "1.33.0",
			"admissionregistration.k8s.io/v1alpha1 ValidatingAdmissionPolicy is not served by Kubernetes 1.33 (kubeVersion): it was removed in 1.32\n  " + v1},
	} {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			path, doc := realDoc(t, "kubernetes-website", tc.file, "", "")
			e, err := schemas().Env(tc.kube, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = e.Objects("website", parse(t, path, doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
	// Still served, but deprecated: the warning names the same successor.
	e, err := schemas().Env("1.33.0", nil)
	if err != nil {
		t.Fatal(err)
	}
	msg, hint := e.Deprecated("admissionregistration.k8s.io/v1beta1", "ValidatingAdmissionPolicy")
	if want := "use apiVersion admissionregistration.k8s.io/v1 kind ValidatingAdmissionPolicy before the cluster is upgraded"; msg == "" || !strings.HasPrefix(hint, want) {
		t.Errorf("Deprecated = %q, %q; want a hint starting %q", msg, hint, want)
	}
	// A kind whose group has no other version keeps "no replacement".
	if got := successor(e.kube, schema.GroupVersionKind{Group: "policy", Version: "v1beta1", Kind: "PodSecurityPolicy"}); !got.Empty() {
		t.Errorf("successor of PodSecurityPolicy = %v, want none", got)
	}
}
