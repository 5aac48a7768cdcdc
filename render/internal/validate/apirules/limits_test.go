package apirules

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// TestQuotaScopesOfResources checks the scopes IsResourceQuotaScopeValidForResource
// lets limit each resource, beyond the pod scopes.
func TestQuotaScopesOfResources(t *testing.T) {
	quota := func() runtime.Object { return &corev1.ResourceQuota{} }
	sel := func(hard, expr string) string {
		return "spec:\n  hard: " + hard + "\n  scopeSelector:\n    matchExpressions:\n    - " + expr
	}
	const high = "{scopeName: PriorityClass, operator: In, values: [high]}"
	checkRows(t, []row{
		// The Kubernetes documentation's quota per priority class.
		{name: "priority class quota", obj: quota, doc: sel("{cpu: '1000', memory: 200Gi, pods: '10', count/deployments.apps: '5'}", high)},
		{name: "priority class quota of storage", obj: quota, doc: sel("{requests.cpu: '4', pods: '10', requests.storage: 100Gi}", high),
			want: `spec.scopeSelector.matchExpressions: Invalid value: "": unsupported scope applied to resource`},
		{name: "priority class scope of services", obj: quota, doc: "spec:\n  hard: {services: '5'}\n  scopes: [PriorityClass]",
			want: `spec.scopes: Invalid value: "": unsupported scope applied to resource`},
		{name: "cross-namespace affinity quota of configmaps", obj: quota, doc: sel("{pods: '10', configmaps: '5'}", "{scopeName: CrossNamespacePodAffinity, operator: Exists}"),
			want: `spec.scopeSelector.matchExpressions: Invalid value: "": unsupported scope applied to resource`},
		// A VolumeAttributesClass scope limits claims only.
		{name: "volume attributes class quota", obj: quota, doc: sel("{persistentvolumeclaims: '10', requests.storage: 1Ti}", "{scopeName: VolumeAttributesClass, operator: In, values: [gold]}")},
		{name: "volume attributes class quota of pods", obj: quota, doc: sel("{requests.storage: 1Ti, pods: '10'}", "{scopeName: VolumeAttributesClass, operator: In, values: [gold]}"),
			want: `spec.scopeSelector.matchExpressions: Invalid value: "": unsupported scope applied to resource`},
		{name: "volume attributes class quota of pods 1.33", obj: quota, kube: "1.33.0", doc: sel("{requests.storage: 1Ti, pods: '10'}", "{scopeName: VolumeAttributesClass, operator: In, values: [gold]}")},
	})
}
