package apirules

import (
	"fmt"
	"slices"
	"strings"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/api/validation/path"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The autoscaler rules of k8s.io/kubernetes v1.37
// pkg/apis/autoscaling/validation that the schema cannot state: a
// metric's type names the one source it fills in, and its target the
// numbers that type takes, each positive; scaling policies, read after
// the API server's defaults (a behavior's rules without policies get
// the default ones, but an empty list stays empty and is refused).

const (
	// maxPeriodSeconds and maxStabilizationWindowSeconds are the API
	// server's bounds for scaling policies.
	maxPeriodSeconds              = 1800
	maxStabilizationWindowSeconds = 3600

	hpaHint = "see https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#support-for-resource-metrics"
)

// autoscalerV1 checks an autoscaling/v1 HorizontalPodAutoscaler, which
// the API server converts to a CPU utilization metric.
func (c *checker) autoscalerV1(s *autoscalingv1.HorizontalPodAutoscalerSpec, spec *field.Path) {
	c.replicas(s.MinReplicas, s.MaxReplicas, spec)
	c.scaleToZeroMetrics(s.MinReplicas, nil, spec.Child("minReplicas"),
		"autoscaling/v1 scales by CPU, which a workload with no pods does not use: use autoscaling/v2 with an Object or External metric, or set minReplicas to 1")
	r := s.ScaleTargetRef
	c.scaleTarget(autoscalingv2.CrossVersionObjectReference{Kind: r.Kind, Name: r.Name, APIVersion: r.APIVersion}, spec.Child("scaleTargetRef"))
	if u := s.TargetCPUUtilizationPercentage; u != nil && *u < 1 {
		c.add(field.Invalid(spec.Child("targetCPUUtilizationPercentage"), *u, "must be greater than 0"),
			"set the CPU utilization percentage to aim for, 1 or more, or leave it out for the default 80")
	}
}

// autoscalerV2 checks an autoscaling/v2 HorizontalPodAutoscaler.
func (c *checker) autoscalerV2(s *autoscalingv2.HorizontalPodAutoscalerSpec, spec *field.Path) {
	c.replicas(s.MinReplicas, s.MaxReplicas, spec)
	c.scaleToZeroMetrics(s.MinReplicas, s.Metrics, spec.Child("metrics"),
		"a workload scaled to zero has no pods to measure: add an Object or External metric (a queue's length, say) that can scale it up again, or set minReplicas to 1")
	c.scaleTarget(s.ScaleTargetRef, spec.Child("scaleTargetRef"))
	for i := range s.Metrics {
		c.metric(&s.Metrics[i], spec.Child("metrics").Index(i))
	}
	if b := s.Behavior; b != nil {
		c.scalingRules(b.ScaleUp, spec.Child("behavior", "scaleUp"))
		c.scalingRules(b.ScaleDown, spec.Child("behavior", "scaleDown"))
	}
}

// scaleToZeroMetrics checks that an autoscaler that may scale to zero
// (minReplicas 0, taken from 1.37) has a metric that can scale it up
// again: with no pods, only an Object or External metric has a value. p
// is the field the error names: spec.metrics, as the API server says,
// for autoscaling/v2; minReplicas for autoscaling/v1, which has no
// metrics (the API server reads its CPU target as a Resource metric).
func (c *checker) scaleToZeroMetrics(min *int32, metrics []autoscalingv2.MetricSpec, p *field.Path, hint string) {
	if min == nil || *min != 0 || !c.on("HPAScaleToZero") {
		return
	}
	for _, m := range metrics {
		if m.Type == autoscalingv2.ObjectMetricSourceType || m.Type == autoscalingv2.ExternalMetricSourceType {
			return
		}
	}
	c.add(field.Forbidden(p, "must specify at least one Object or External metric to support scaling to zero replicas"), hint)
}

// scaleTarget checks the object an autoscaler scales (or an object
// metric describes), as ValidateCrossVersionObjectReference does on
// create: a kind and name, given and usable as a URL path segment (left
// out, the schema reports them missing; written as "" they are refused
// here), and from 1.34 an apiVersion that parses, and for a scale target
// one with a group but for a ReplicationController's (ValidateAPIVersion;
// `apiVersion: v1` or none at all beside kind: Deployment is refused).
func (c *checker) scaleTarget(ref autoscalingv2.CrossVersionObjectReference, p *field.Path) {
	target := !strings.HasSuffix(p.String(), "describedObject")
	hint := "scaleTargetRef names the workload to scale, such as kind: Deployment and its name"
	if !target {
		hint = "describedObject names the object whose metric to read, such as kind: Ingress and its name"
	}
	for _, f := range []struct{ key, value string }{{"kind", ref.Kind}, {"name", ref.Name}} {
		if f.value == "" {
			c.add(field.Required(p.Child(f.key), ""), hint)
			continue
		}
		for _, msg := range path.IsValidPathSegmentName(f.value) {
			c.add(field.Invalid(p.Child(f.key), f.value, msg), hint)
		}
	}
	if !c.since(1, 34) {
		return
	}
	const versionHint = "write the object's group and version, such as apps/v1 for a Deployment (only a ReplicationController's is v1, without a group)"
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	switch {
	case err != nil:
		c.add(field.Invalid(p.Child("apiVersion"), ref.APIVersion, err.Error()), versionHint)
	case target && gv.Group == "" && ref.Kind != "ReplicationController":
		c.add(field.Invalid(p.Child("apiVersion"), ref.APIVersion, "apiVersion must specify API group"), versionHint)
	}
}

// metricTypes are the metric source types, as the API server lists them.
var metricTypes = []string{
	string(autoscalingv2.ContainerResourceMetricSourceType), string(autoscalingv2.ExternalMetricSourceType),
	string(autoscalingv2.ObjectMetricSourceType), string(autoscalingv2.PodsMetricSourceType), string(autoscalingv2.ResourceMetricSourceType),
}

// metricSourceKeys is the key of each metric type's source.
var metricSourceKeys = map[autoscalingv2.MetricSourceType]string{
	autoscalingv2.ObjectMetricSourceType:            "object",
	autoscalingv2.PodsMetricSourceType:              "pods",
	autoscalingv2.ResourceMetricSourceType:          "resource",
	autoscalingv2.ContainerResourceMetricSourceType: "containerResource",
	autoscalingv2.ExternalMetricSourceType:          "external",
}

// metric checks one metric of an autoscaling/v2 autoscaler, as
// validateMetricSpec does: a type it knows, the source the type names
// filled in and no other beside it, and the first source present (in the
// order object, external, pods, resource, containerResource, whatever
// the type names) checked.
func (c *checker) metric(m *autoscalingv2.MetricSpec, p *field.Path) {
	const typeHint = "a metric's type is Resource, ContainerResource, Pods, Object or External, spelt so"
	expected := metricSourceKeys[m.Type]
	switch {
	case m.Type == "":
		// The API server adds that "" is not supported.
		c.add(field.Required(p.Child("type"), "must specify a metric source type"), typeHint)
	case expected == "":
		c.add(field.NotSupported(p.Child("type"), string(m.Type), metricTypes), typeHint)
	}
	present := []struct {
		key string
		set bool
	}{
		{"object", m.Object != nil},
		{"external", m.External != nil},
		{"pods", m.Pods != nil},
		{"resource", m.Resource != nil},
		{"containerResource", m.ContainerResource != nil},
	}
	var set []string
	for _, s := range present {
		if s.set {
			set = append(set, s.key)
		}
	}
	if len(set) > 0 {
		c.metricSource(m, set[0], p.Child(set[0]))
	}
	if expected != "" && !slices.Contains(set, expected) {
		c.add(field.Required(p.Child(expected), "must populate information for the given metric source"),
			fmt.Sprintf("a metric of type %s describes itself under %s:", m.Type, expected))
	}
	// As the API server: one source of the wrong type is only
	// "required"; beside another, each but the type's is forbidden.
	if len(set) > 1 {
		for _, key := range set {
			if key != expected {
				c.add(field.Forbidden(p.Child(key), "must populate the given metric source only"),
					fmt.Sprintf("a metric of type %s takes %s: only; move %s: to a metric of its own type", m.Type, expected, key))
			}
		}
	}
}

// metricSource checks the source key of a metric.
func (c *checker) metricSource(m *autoscalingv2.MetricSpec, key string, p *field.Path) {
	switch key {
	case "resource":
		c.utilizationTarget(&m.Resource.Target, m.Resource.Name == "", p)
	case "containerResource":
		cr := m.ContainerResource
		if cr.Name == "" {
			c.add(field.Required(p.Child("name"), "must specify a resource name"), "name the resource to scale on: cpu or memory")
		} else {
			c.containerResourceName(cr.Name, p.Child("name"))
		}
		if cr.Container == "" {
			c.add(field.Required(p.Child("container"), "must specify a container"), "name the container whose usage counts")
		} else {
			c.name(p.Child("container"), cr.Container, "container")
		}
		c.utilizationTarget(&cr.Target, false, p)
	case "pods":
		c.metricName(m.Pods.Metric.Name, p.Child("metric", "name"))
		c.target(&m.Pods.Target, p.Child("target"))
		if m.Pods.Target.AverageValue == nil {
			c.add(field.Required(p.Child("target", "averageValue"), "must specify a positive target averageValue"),
				"a pods metric aims for a value per pod: set target.averageValue")
		}
	case "object":
		c.scaleTarget(m.Object.DescribedObject, p.Child("describedObject"))
		c.metricName(m.Object.Metric.Name, p.Child("metric", "name"))
		c.target(&m.Object.Target, p.Child("target"))
		if m.Object.Target.Value == nil && m.Object.Target.AverageValue == nil {
			c.add(field.Required(p.Child("target", "averageValue"), "must set either a target value or averageValue"),
				"set target.value (the object's total) or target.averageValue (per pod)")
		}
	case "external":
		c.metricName(m.External.Metric.Name, p.Child("metric", "name"))
		c.target(&m.External.Target, p.Child("target"))
		t := &m.External.Target
		if t.Value == nil && t.AverageValue == nil {
			c.add(field.Required(p.Child("target", "averageValue"), "must set either a target value for metric or a per-pod target"),
				"set target.value (the metric's total) or target.averageValue (per pod)")
		}
		if t.Value != nil && t.AverageValue != nil {
			c.add(field.Forbidden(p.Child("target", "value"), "may not set both a target value for metric and a per-pod target"),
				"keep target.value or target.averageValue, not both")
		}
	}
}

// containerResourceName checks the resource of a container resource
// metric as ValidateContainerResourceName does: one a container can
// request, as a LimitRange's Container limit is checked.
func (c *checker) containerResourceName(name corev1.ResourceName, p *field.Path) {
	n := len(c.problems)
	c.limitResourceName(corev1.LimitTypeContainer, name, p)
	for i := n; i < len(c.problems); i++ {
		c.problems[i].Hint = "a container resource metric scales on cpu, memory or another resource a container requests, such as nvidia.com/gpu: check the spelling"
	}
}

// utilizationTarget checks the target of a resource or container
// resource metric: a resource name, and a utilization or an average
// value, not both.
func (c *checker) utilizationTarget(t *autoscalingv2.MetricTarget, noName bool, p *field.Path) {
	if noName {
		c.add(field.Required(p.Child("name"), "must specify a resource name"), "name the resource to scale on: cpu or memory")
	}
	c.target(t, p.Child("target"))
	tp := p.Child("target")
	if t.AverageUtilization == nil && t.AverageValue == nil {
		c.add(field.Required(tp.Child("averageUtilization"), "must set either a target raw value or a target utilization"),
			"set target.averageUtilization (percent of the request) with type: Utilization, or target.averageValue with type: AverageValue; "+hpaHint)
	}
	if t.AverageUtilization != nil && t.AverageValue != nil {
		c.add(field.Forbidden(tp.Child("averageValue"), "may not set both a target raw value and a target utilization"),
			"keep target.averageUtilization or target.averageValue, not both")
	}
}

// target checks a metric target: a type it knows (which the API server
// does not match against the numbers set) and each number positive.
func (c *checker) target(t *autoscalingv2.MetricTarget, p *field.Path) {
	const typeHint = "a target's type is Utilization (with averageUtilization), Value or AverageValue, spelt so"
	switch t.Type {
	case autoscalingv2.UtilizationMetricType, autoscalingv2.ValueMetricType, autoscalingv2.AverageValueMetricType:
	case "":
		// The API server adds the Invalid value below.
		c.add(field.Required(p.Child("type"), "must specify a metric target type"), typeHint)
	default:
		c.add(field.Invalid(p.Child("type"), string(t.Type), "must be either Utilization, Value, or AverageValue"), typeHint)
	}
	for _, q := range []struct {
		key string
		v   *resource.Quantity
	}{{"value", t.Value}, {"averageValue", t.AverageValue}} {
		if q.v != nil && q.v.Sign() != 1 {
			c.add(field.Invalid(p.Child(q.key), q.v.String(), "must be positive"), "aim for a value above 0")
		}
	}
	if u := t.AverageUtilization; u != nil && *u < 1 {
		c.add(field.Invalid(p.Child("averageUtilization"), *u, "must be greater than 0"), "aim for a utilization of 1 percent or more")
	}
}

// metricName checks the name of a custom or external metric: it becomes
// a URL path segment.
func (c *checker) metricName(name string, p *field.Path) {
	if name == "" {
		c.add(field.Required(p, "must specify a metric name"), "name the metric the metrics API serves")
		return
	}
	for _, msg := range path.IsValidPathSegmentName(name) {
		c.add(field.Invalid(p, name, msg), "a metric name may not be . or .. nor hold / or %")
	}
}

// scalingRules checks a behavior's scale-up or scale-down rules.
func (c *checker) scalingRules(r *autoscalingv2.HPAScalingRules, p *field.Path) {
	if r == nil {
		return
	}
	if w := r.StabilizationWindowSeconds; w != nil {
		const hint = "a stabilization window is 0 to 3600 seconds"
		if *w < 0 {
			c.add(field.Invalid(p.Child("stabilizationWindowSeconds"), *w, "must be greater than or equal to zero"), hint)
		}
		if *w > maxStabilizationWindowSeconds {
			c.add(field.Invalid(p.Child("stabilizationWindowSeconds"), *w, fmt.Sprintf("must be less than or equal to %d", maxStabilizationWindowSeconds)), hint)
		}
	}
	if t := r.Tolerance; t != nil && c.on("HPAConfigurableTolerance") && t.Sign() < 0 {
		c.add(field.Invalid(p.Child("tolerance"), t.String(), "must be greater than or equal to 0"),
			"a tolerance is the fraction of change in the metric that does not scale, such as 0.05: 0 or more")
	}
	if sp := r.SelectPolicy; sp != nil {
		switch *sp {
		case autoscalingv2.MaxChangePolicySelect, autoscalingv2.MinChangePolicySelect, autoscalingv2.DisabledPolicySelect:
		default:
			c.add(field.NotSupported(p.Child("selectPolicy"), string(*sp), []string{"Disabled", "Max", "Min"}),
				"selectPolicy is Max (the default: the policy that changes the most), Min or Disabled")
		}
	}
	// Left out, the API server fills in its default policies; an empty
	// list is kept, and refused.
	if r.Policies != nil && len(r.Policies) == 0 {
		c.add(field.Required(p.Child("policies"), "must specify at least one Policy"), "add a policy, or leave policies out for the default ones")
	}
	for i, pol := range r.Policies {
		pp := p.Child("policies").Index(i)
		if pol.Type != autoscalingv2.PodsScalingPolicy && pol.Type != autoscalingv2.PercentScalingPolicy {
			c.add(field.NotSupported(pp.Child("type"), string(pol.Type), []string{"Percent", "Pods"}),
				"a policy's type is Pods (a number of pods) or Percent (of the current replicas)")
		}
		if pol.Value <= 0 {
			c.add(field.Invalid(pp.Child("value"), pol.Value, "must be greater than zero"), "a policy changes the replicas by 1 or more pods or percent")
		}
		const periodHint = "a policy's period is 1 to 1800 seconds"
		if pol.PeriodSeconds <= 0 {
			c.add(field.Invalid(pp.Child("periodSeconds"), pol.PeriodSeconds, "must be greater than zero"), periodHint)
		}
		if pol.PeriodSeconds > maxPeriodSeconds {
			c.add(field.Invalid(pp.Child("periodSeconds"), pol.PeriodSeconds, fmt.Sprintf("must be less than or equal to %d", maxPeriodSeconds)), periodHint)
		}
	}
}
