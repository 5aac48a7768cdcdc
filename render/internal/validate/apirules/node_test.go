package apirules

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// TestNodes: a Node's taints and pod CIDRs as ValidateNode checks them, on
// a node tainted as the Kubernetes documentation's taints and tolerations
// page does (kubectl taint nodes node1 key1=value1:NoSchedule).
func TestNodes(t *testing.T) {
	t.Parallel()
	node := func() runtime.Object { return &corev1.Node{} }
	tainted := func(taints string) string {
		return "metadata: {name: node1}\nspec:\n  taints: [" + taints + "]"
	}
	cidrs := func(more string) string { return "metadata: {name: node1}\nspec:\n  " + more }
	checkRows(t, []row{
		{"documentation's taints", node, tainted("{key: key1, value: value1, effect: NoSchedule}, {key: key1, value: value1, effect: NoExecute}, {key: key2, effect: PreferNoSchedule}"), "", ""},
		{"kubelet's taint", node, tainted("{key: node.kubernetes.io/not-ready, effect: NoSchedule, timeAdded: '2026-01-02T03:04:05Z'}"), "", ""},
		{"one key and effect twice", node, tainted("{key: key1, value: value1, effect: NoSchedule}, {key: key1, value: value2, effect: NoSchedule}"), "",
			`spec.taints[1]: Duplicate value: {"key":"key1","value":"value2","effect":"NoSchedule"}: taints must be unique by key and effect pair`},
		{"key with a space", node, tainted("{key: 'dedicated node', effect: NoSchedule}"), "",
			`spec.taints[0].key: Invalid value: "dedicated node": name part must consist of alphanumeric characters`},
		{"value with a colon", node, tainted("{key: key1, value: 'value1:NoSchedule', effect: NoSchedule}"), "",
			`spec.taints[0].value: Invalid value: "value1:NoSchedule": a valid label must be an empty string or consist of alphanumeric characters`},
		{"dual stack", node, cidrs("podCIDR: 10.244.1.0/24\n  podCIDRs: [10.244.1.0/24, 'fd00:10:244:1::/64']"), "", ""},
		{"podCIDR alone", node, cidrs("podCIDR: 10.244.1.0/24"), "", ""},
		{"two of a family", node, cidrs("podCIDRs: [10.244.1.0/24, 10.244.2.0/24]"), "",
			`spec.podCIDRs: Invalid value: ["10.244.1.0/24","10.244.2.0/24"]: may specify no more than one CIDR for each IP family`},
		{"three", node, cidrs("podCIDRs: [10.244.1.0/24, 'fd00:10:244:1::/64', 10.244.2.0/24]"), "",
			`spec.podCIDRs: Invalid value: ["10.244.1.0/24","fd00:10:244:1::/64","10.244.2.0/24"]: may specify no more than one CIDR for each IP family`},
		{"an address", node, cidrs("podCIDRs: [10.244.1.1]"), "", `spec.podCIDRs[0]: Invalid value: "10.244.1.1": must be a valid CIDR value`},
		{"an address in podCIDR", node, cidrs("podCIDR: 10.244.1.1"), "", `spec.podCIDR: Invalid value: "10.244.1.1": must be a valid CIDR value`},
		// podCIDR wins over a podCIDRs that disagrees: the list is dropped.
		{"podCIDR over podCIDRs", node, cidrs("podCIDR: 10.244.1.0/24\n  podCIDRs: [10.244.2.0/24, 10.244.3.0/24]"), "", ""},
		{"bits past the prefix 1.35", node, cidrs("podCIDRs: [10.244.1.1/24]"), "1.35.0", ""},
		{"bits past the prefix 1.36", node, cidrs("podCIDRs: [10.244.1.1/24]"), "1.36.0",
			`spec.podCIDRs[0]: Invalid value: "10.244.1.1/24": must not have bits set beyond the prefix length`},
	})
}
