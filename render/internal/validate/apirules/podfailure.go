package apirules

import (
	"fmt"
	"slices"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// A Job's podFailurePolicy as validatePodFailurePolicy and the functions
// it calls in k8s.io/kubernetes v1.37 pkg/apis/batch/validation check it,
// after the API server's defaults (an onPodConditions pattern's status
// left out, or written as "", is True). The schema refuses an action or
// operator it does not know; "" passes the schema's enum and is refused
// here, as the API server refuses it; so is a pod condition's status
// other than True, False or Unknown, for which the schema has no enum.
// A policy the API server refuses makes the Job, or every Job a CronJob
// would start, fail to create.

const (
	maxPodFailurePolicyRules        = 20
	maxPodFailurePolicyExitCodes    = 255
	maxPodFailurePolicyPodCondition = 20
)

// podFailurePolicy checks js's podFailurePolicy, if any, at p
// (spec.podFailurePolicy).
func (c *checker) podFailurePolicy(js *batchv1.JobSpec, p *field.Path) {
	pol := js.PodFailurePolicy
	if pol == nil {
		return
	}
	rulesPath := p.Child("rules")
	perIndex := c.on("JobBackoffLimitPerIndex")
	rules := pol.Rules
	if !perIndex {
		// Before JobBackoffLimitPerIndex (1.29) the API server drops
		// the rules of the FailIndex action, unchecked, before it
		// validates (dropDisabledFields). Their indices are kept here,
		// so that an error points at the rule as written.
		rules = nil
		for _, r := range pol.Rules {
			if r.Action != batchv1.PodFailurePolicyActionFailIndex {
				rules = append(rules, r)
			}
		}
	}
	if len(rules) > maxPodFailurePolicyRules {
		c.add(field.TooMany(rulesPath, len(rules), maxPodFailurePolicyRules), "a pod failure policy has at most 20 rules: merge rules of the same action")
	}
	var containers []string
	for _, ctr := range js.Template.Spec.Containers {
		containers = append(containers, ctr.Name)
	}
	for _, ctr := range js.Template.Spec.InitContainers {
		containers = append(containers, ctr.Name)
	}
	for i := range pol.Rules {
		r := &pol.Rules[i]
		if !perIndex && r.Action == batchv1.PodFailurePolicyActionFailIndex {
			continue
		}
		c.podFailureRule(js, r, rulesPath.Index(i), containers)
	}
}

// podFailureRule checks one rule of a pod failure policy
// (validatePodFailurePolicyRule).
func (c *checker) podFailureRule(js *batchv1.JobSpec, r *batchv1.PodFailurePolicyRule, p *field.Path, containers []string) {
	actions := []string{"Count", "FailIndex", "FailJob", "Ignore"}
	switch {
	case r.Action == "":
		c.add(field.Required(p.Child("action"), fmt.Sprintf("valid values: %q", actions)),
			"give the rule an action: FailJob, FailIndex, Ignore or Count")
	case r.Action == batchv1.PodFailurePolicyActionFailIndex && js.BackoffLimitPerIndex == nil:
		c.add(field.Invalid(p.Child("action"), r.Action, "requires the backoffLimitPerIndex to be set"),
			"FailIndex fails one index of an indexed Job: set backoffLimitPerIndex (and completionMode: Indexed), or use FailJob")
	}
	if r.OnExitCodes != nil {
		c.onExitCodes(r.OnExitCodes, p.Child("onExitCodes"), containers)
	}
	if len(r.OnPodConditions) > 0 {
		cp := p.Child("onPodConditions")
		if len(r.OnPodConditions) > maxPodFailurePolicyPodCondition {
			c.add(field.TooMany(cp, len(r.OnPodConditions), maxPodFailurePolicyPodCondition), "a rule matches at most 20 pod conditions")
		}
		statuses := []corev1.ConditionStatus{corev1.ConditionFalse, corev1.ConditionTrue, corev1.ConditionUnknown}
		for j, pat := range r.OnPodConditions {
			for _, msg := range validation.IsQualifiedName(string(pat.Type)) {
				c.add(field.Invalid(cp.Index(j).Child("type"), pat.Type, msg), "a condition type is a qualified name, such as DisruptionTarget")
			}
			// "" is the default True; the schema has no enum for others.
			if pat.Status != "" && !slices.Contains(statuses, pat.Status) {
				c.add(field.NotSupported(cp.Index(j).Child("status"), pat.Status, statuses), "a condition's status is True, False or Unknown (the case matters), or left out for True")
			}
		}
	}
	switch {
	case r.OnExitCodes != nil && len(r.OnPodConditions) > 0:
		c.add(field.Invalid(p, field.OmitValueType{}, "specifying both OnExitCodes and OnPodConditions is not supported"),
			"a rule matches exit codes or pod conditions, not both: split it into two rules of the same action")
	case r.OnExitCodes == nil && len(r.OnPodConditions) == 0:
		c.add(field.Invalid(p, field.OmitValueType{}, "specifying one of OnExitCodes and OnPodConditions is required"),
			"say which failures the rule matches: onExitCodes or onPodConditions")
	}
}

// onExitCodes checks a rule's exit code requirement
// (validatePodFailurePolicyRuleOnExitCodes): an operator, a container of
// the pod if one is named, and 1 to 255 exit codes, ordered, each once,
// and no 0 with In (a container that exits 0 succeeded).
func (c *checker) onExitCodes(e *batchv1.PodFailurePolicyOnExitCodesRequirement, p *field.Path, containers []string) {
	if e.Operator == "" {
		c.add(field.Required(p.Child("operator"), fmt.Sprintf("valid values: %q", []string{"In", "NotIn"})), "give the operator: In or NotIn")
	}
	if n := e.ContainerName; n != nil && !slices.Contains(containers, *n) {
		c.add(field.Invalid(p.Child("containerName"), *n, "must be one of the container or initContainer names in the pod template"),
			"name a container or init container of the Job's pod template, or leave containerName out to match any")
	}
	vp := p.Child("values")
	switch {
	case len(e.Values) == 0:
		c.add(field.Invalid(vp, e.Values, "at least one value is required"), "list the exit codes the rule matches")
	case len(e.Values) > maxPodFailurePolicyExitCodes:
		c.add(field.TooMany(vp, len(e.Values), maxPodFailurePolicyExitCodes), "a rule lists at most 255 exit codes")
	}
	seen := map[int32]bool{}
	ordered := true
	for j, v := range e.Values {
		if e.Operator == batchv1.PodFailurePolicyOnExitCodesOpIn && v == 0 {
			c.add(field.Invalid(vp.Index(j), v, "must not be 0 for the In operator"),
				"exit code 0 is success, which no failure policy sees: remove it")
		}
		if seen[v] {
			c.add(field.Duplicate(vp.Index(j), v), "list each exit code once")
		}
		seen[v] = true
		if j > 0 && e.Values[j-1] > v {
			ordered = false
		}
	}
	if !ordered {
		c.add(field.Invalid(vp, e.Values, "must be ordered"), "list the exit codes in increasing order")
	}
}
