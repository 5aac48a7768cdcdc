package apirules

import (
	"slices"
	"testing"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

// TestAutoscalerEnums checks the autoscaler's strings the schema leaves
// open and validateMetricSpec, validateMetricTarget and
// validateScalingRules close.
func TestAutoscalerEnums(t *testing.T) {
	hpa := func() runtime.Object { return &autoscalingv2.HorizontalPodAutoscaler{} }
	const head = "spec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  maxReplicas: 10\n"
	metric := func(m string) string { return head + "  metrics:\n  - " + m }
	behavior := func(b string) string { return head + "  behavior:\n    " + b }
	checkRows(t, []row{
		// The example of the autoscaler walkthrough, with behavior.
		{name: "cpu and a queue with behavior", obj: hpa, doc: head + "  metrics:\n" +
			"  - {type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}}\n" +
			"  - {type: External, external: {metric: {name: queue_messages_ready}, target: {type: AverageValue, averageValue: '30'}}}\n" +
			"  - {type: ContainerResource, containerResource: {name: memory, container: app, target: {type: AverageValue, averageValue: 500Mi}}}\n" +
			"  - {type: Object, object: {describedObject: {apiVersion: networking.k8s.io/v1, kind: Ingress, name: main}, metric: {name: requests-per-second}, target: {type: Value, value: 10k}}}\n" +
			"  - {type: Pods, pods: {metric: {name: packets-per-second}, target: {type: AverageValue, averageValue: 1k}}}\n" +
			"  behavior:\n" +
			"    scaleDown: {selectPolicy: Disabled}\n" +
			"    scaleUp: {selectPolicy: Min, policies: [{type: Percent, value: 100, periodSeconds: 15}, {type: Pods, value: 4, periodSeconds: 15}]}"},
		{name: "metric type misspelt", obj: hpa, doc: metric("{type: resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}}"),
			want: `spec.metrics[0].type: Unsupported value: "resource": supported values: "ContainerResource", "External", "Object", "Pods", "Resource"`},
		{name: "metric type empty", obj: hpa, doc: metric("{type: '', resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}}"),
			want: `spec.metrics[0].type: Required value: must specify a metric source type`},
		{name: "target type misspelt", obj: hpa, doc: metric("{type: Resource, resource: {name: cpu, target: {type: Percent, averageUtilization: 50}}}"),
			want: `spec.metrics[0].resource.target.type: Invalid value: "Percent": must be either Utilization, Value, or AverageValue`},
		{name: "target type empty", obj: hpa, doc: metric("{type: Pods, pods: {metric: {name: rps}, target: {type: '', averageValue: '1'}}}"),
			want: `spec.metrics[0].pods.target.type: Required value: must specify a metric target type`},
		{name: "policy type misspelt", obj: hpa, doc: behavior("scaleUp: {policies: [{type: Percentage, value: 100, periodSeconds: 15}]}"),
			want: `spec.behavior.scaleUp.policies[0].type: Unsupported value: "Percentage": supported values: "Percent", "Pods"`},
		{name: "select policy misspelt", obj: hpa, doc: behavior("scaleDown: {selectPolicy: Maximum}"),
			want: `spec.behavior.scaleDown.selectPolicy: Unsupported value: "Maximum": supported values: "Disabled", "Max", "Min"`},
		{name: "select policy empty", obj: hpa, doc: behavior("scaleDown: {selectPolicy: ''}"),
			want: `spec.behavior.scaleDown.selectPolicy: Unsupported value: "": supported values: "Disabled", "Max", "Min"`},
		{name: "container resource misspelt", obj: hpa, doc: metric("{type: ContainerResource, containerResource: {name: memroy, container: app, target: {type: AverageValue, averageValue: 1Gi}}}"),
			want: `spec.metrics[0].containerResource.name: Invalid value: "memroy": must be a standard resource type or fully qualified`},
		{name: "container resource of a domain", obj: hpa, doc: metric("{type: ContainerResource, containerResource: {name: example.com/gpu, container: app, target: {type: AverageValue, averageValue: '1'}}}"), want: ""},
	})
}

// TestAutoscalerMetricSources checks the errors of a metric whose type
// and sources disagree, which the API server gives several of: it checks
// the first source present (in the order object, external, pods,
// resource, containerResource), whatever the type names, and forbids
// every other source but the type's.
func TestAutoscalerMetricSources(t *testing.T) {
	const head = "spec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  maxReplicas: 10\n  metrics:\n  - "
	for _, tc := range []struct {
		metric string
		want   []string
	}{
		{"{type: Pods, resource: {name: '', target: {type: Utilization, averageUtilization: 50}}}", []string{
			"spec.metrics[0].resource.name: Required value: must specify a resource name",
			"spec.metrics[0].pods: Required value: must populate information for the given metric source",
		}},
		{"{type: Resource, pods: {metric: {name: ''}, target: {type: AverageValue, averageValue: '1'}}, resource: {name: '', target: {type: Utilization, averageUtilization: 50}}}", []string{
			"spec.metrics[0].pods.metric.name: Required value: must specify a metric name",
			"spec.metrics[0].pods: Forbidden: must populate the given metric source only",
		}},
		{"{type: Foo, pods: {metric: {name: rps}, target: {type: AverageValue, averageValue: '1'}}, resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}}", []string{
			`spec.metrics[0].type: Unsupported value: "Foo": supported values: "ContainerResource", "External", "Object", "Pods", "Resource"`,
			"spec.metrics[0].pods: Forbidden: must populate the given metric source only",
			"spec.metrics[0].resource: Forbidden: must populate the given metric source only",
		}},
	} {
		var h autoscalingv2.HorizontalPodAutoscaler
		if err := yaml.UnmarshalStrict([]byte(head+tc.metric), &h); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range Check(&h, Options{}) {
			got = append(got, p.Error.Error())
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s:\ngot  %q\nwant %q", tc.metric, got, tc.want)
		}
	}
}
