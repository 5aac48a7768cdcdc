package apirules

import (
	"testing"

	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// TestEndpointNodeHints checks an endpoint's forNodes hints, kept from
// 1.34 (PreferSameTrafficDistribution), as validateHints does.
func TestEndpointNodeHints(t *testing.T) {
	slice := func() runtime.Object { return &discoveryv1.EndpointSlice{} }
	hints := func(h string) string {
		return "addressType: IPv4\nendpoints:\n- addresses: ['10.1.2.3']\n  nodeName: node-1\n  zone: us-west2-a\n  hints: " + h + "\nports: [{name: http, port: 80}]"
	}
	checkRows(t, []row{
		// What the EndpointSlice controller writes for PreferSameNode.
		{name: "node and zone hints", obj: slice, doc: hints("{forZones: [{name: us-west2-a}], forNodes: [{name: node-1}]}"), want: ""},
		{name: "empty node hint", obj: slice, doc: hints("{forNodes: [{name: ''}]}"),
			want: `endpoints[0].hints.forNodes[0].name: Invalid value: "": a lowercase RFC 1123 subdomain`},
		{name: "node hint not a node name", obj: slice, doc: hints("{forNodes: [{name: Node_1}]}"),
			want: `endpoints[0].hints.forNodes[0].name: Invalid value: "Node_1": a lowercase RFC 1123 subdomain`},
		{name: "node hinted twice", obj: slice, doc: hints("{forNodes: [{name: node-1}, {name: node-1}]}"),
			want: `endpoints[0].hints.forNodes[1].name: Duplicate value: "node-1"`},
		{name: "nine node hints", obj: slice, doc: hints("{forNodes: [{name: a}, {name: b}, {name: c}, {name: d}, {name: e}, {name: f}, {name: g}, {name: h}, {name: i}]}"),
			want: `endpoints[0].hints.forNodes: Too many: 9: must have at most 8 items`},
		// Before PreferSameTrafficDistribution the API server drops them.
		{name: "empty node hint 1.33", obj: slice, doc: hints("{forNodes: [{name: ''}]}"), kube: "1.33.0", want: ""},
		{name: "empty node hint 1.34", obj: slice, doc: hints("{forNodes: [{name: ''}]}"), kube: "1.34.0",
			want: `endpoints[0].hints.forNodes[0].name: Invalid value: ""`},
	})
}
