package apirules

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Containers' own restart policies and rules, as the API server's
// validateContainerRestartPolicy and validateInitContainerRestartPolicy
// check them (v1.37), from 1.35 where ContainerRestartRules is on by
// default. Before, the API server drops a container's restartPolicy and
// restartPolicyRules (an init container keeps restartPolicy: Always, a
// sidecar); before 1.34, where the gate came, it refused a regular
// container's restartPolicy. From 1.36 (RestartAllContainersOnContainerExits) a rule may
// restart all containers, and a sidecar may have rules.

const (
	maxRestartRules     = 20
	maxRestartExitCodes = 255
	restartRulesHint    = "a rule is {action: Restart, exitCodes: {operator: In or NotIn, values: [codes]}}, beside the container's restartPolicy"
)

// containerRestart checks one container's restartPolicy and
// restartPolicyRules; init says whether it is an init container.
func (c *checker) containerRestart(ctr *corev1.Container, cp *field.Path, init bool) {
	if !init && ctr.RestartPolicy != nil && c.since(1, 28) && !c.since(1, 34) {
		// From the field's arrival (sidecars, 1.28) until
		// ContainerRestartRules came (1.34, whose strategy drops it while
		// the gate is off), validateContainers refused it outright.
		c.add(field.Forbidden(cp.Child("restartPolicy"), "may not be set for non-init containers"),
			"a sidecar is an init container with restartPolicy: Always: move the container to initContainers, or remove restartPolicy (the pod's restartPolicy applies)")
	}
	if init && ctr.RestartPolicy != nil && *ctr.RestartPolicy != corev1.ContainerRestartPolicyAlways && c.on("SidecarContainers") && !c.since(1, 34) {
		// With sidecars on (1.29) and before ContainerRestartRules, an
		// init container's restartPolicy could only make it a sidecar.
		c.add(field.NotSupported(cp.Child("restartPolicy"), *ctr.RestartPolicy, []corev1.ContainerRestartPolicy{corev1.ContainerRestartPolicyAlways}),
			"an init container's restartPolicy is Always (a sidecar) or left out before Kubernetes 1.35")
	}
	if !c.on("ContainerRestartRules") {
		return
	}
	policy, rules := ctr.RestartPolicy, ctr.RestartPolicyRules
	if init && policy != nil && *policy == corev1.ContainerRestartPolicyAlways && !c.on("RestartAllContainersOnContainerExits") {
		if len(rules) > 0 {
			c.add(field.Forbidden(cp.Child("restartPolicyRules"), "restartPolicyRules are not allowed for init containers with restart policy Always"),
				"a sidecar (an init container with restartPolicy: Always) takes rules from Kubernetes 1.36: remove restartPolicyRules")
		}
		return
	}
	switch {
	case policy == nil && len(rules) > 0:
		c.add(field.Required(cp.Child("restartPolicy"), "must specify restartPolicy when restart rules are used"),
			"set the container's restartPolicy (Always, OnFailure or Never), which applies when no rule matches")
	case policy != nil && *policy != corev1.ContainerRestartPolicyAlways && *policy != corev1.ContainerRestartPolicyOnFailure && *policy != corev1.ContainerRestartPolicyNever:
		c.add(field.NotSupported(cp.Child("restartPolicy"), *policy, []corev1.ContainerRestartPolicy{
			corev1.ContainerRestartPolicyAlways, corev1.ContainerRestartPolicyNever, corev1.ContainerRestartPolicyOnFailure}),
			"set restartPolicy to Always, OnFailure or Never")
	}
	rp := cp.Child("restartPolicyRules")
	if len(rules) > maxRestartRules {
		c.add(field.TooMany(rp, len(rules), maxRestartRules), "give a container at most 20 restart rules")
	}
	actions := []corev1.ContainerRestartRuleAction{corev1.ContainerRestartRuleActionRestart}
	if c.on("RestartAllContainersOnContainerExits") {
		actions = append(actions, corev1.ContainerRestartRuleActionRestartAllContainers)
	}
	for i, r := range rules {
		p := rp.Index(i)
		switch {
		case r.Action == corev1.ContainerRestartRuleActionRestart:
		case r.Action == corev1.ContainerRestartRuleActionRestartAllContainers && c.on("RestartAllContainersOnContainerExits"):
		default:
			c.add(field.NotSupported(p.Child("action"), r.Action, actions), restartRulesHint)
		}
		if r.ExitCodes == nil {
			c.add(field.Required(p.Child("exitCodes"), "must be specified"), restartRulesHint)
			continue
		}
		ep := p.Child("exitCodes")
		if op := r.ExitCodes.Operator; op != corev1.ContainerRestartRuleOnExitCodesOpIn && op != corev1.ContainerRestartRuleOnExitCodesOpNotIn {
			c.add(field.NotSupported(ep.Child("operator"), op, []corev1.ContainerRestartRuleOnExitCodesOperator{
				corev1.ContainerRestartRuleOnExitCodesOpIn, corev1.ContainerRestartRuleOnExitCodesOpNotIn}), restartRulesHint)
		}
		if n := len(r.ExitCodes.Values); n > maxRestartExitCodes {
			c.add(field.TooMany(ep.Child("values"), n, maxRestartExitCodes), "list at most 255 exit codes")
		}
	}
}
