package apirules

import (
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The rollout numbers of workloads and disruption budgets. Their OpenAPI
// schema says only "integer" or "int-or-string", so a negative count, a
// "25" without its '%', or a rolling update that may neither add nor
// remove a pod pass the schema; the API server's apps and policy
// validation refuses them. Where the API server fills in a default first
// (a Deployment's 25% surge, a DaemonSet's 1 unavailable), the rule
// reads the default, as the API server does.

const (
	intOrPercentHint = "use a whole number such as 1, or a percentage such as \"25%\""
	nonNegativeHint  = "use 0 or more"
)

// nonNegative checks a count the API server requires to be 0 or more.
func (c *checker) nonNegative(v int64, p *field.Path) {
	if v < 0 {
		c.add(field.Invalid(p, v, "must be greater than or equal to 0"), nonNegativeHint)
	}
}

// nonNegativeIfSet checks an optional count the API server requires to be
// 0 or more.
func nonNegativeIfSet[T int32 | int64](c *checker, v *T, p *field.Path) {
	if v != nil {
		c.nonNegative(int64(*v), p)
	}
}

// intOrPercent checks a value that is a count or a percentage: a count of
// 0 or more, or digits followed by '%' (ValidatePositiveIntOrPercent); with
// atMost100, a percentage of 100% or less.
func (c *checker) intOrPercent(v intstr.IntOrString, p *field.Path, atMost100 bool) {
	switch v.Type {
	case intstr.String:
		for _, msg := range validation.IsValidPercent(v.StrVal) {
			c.add(field.Invalid(p, v.StrVal, msg), intOrPercentHint)
		}
	case intstr.Int:
		c.nonNegative(int64(v.IntVal), p)
	}
	if n, ok := percent(v); atMost100 && ok && n > 100 {
		c.add(field.Invalid(p, v.StrVal, "must not be greater than 100%"), "use a percentage from 0% to 100%")
	}
}

// percent returns a valid percentage's number.
func percent(v intstr.IntOrString) (int, bool) {
	if v.Type != intstr.String || len(validation.IsValidPercent(v.StrVal)) > 0 {
		return 0, false
	}
	n, err := strconv.Atoi(v.StrVal[:len(v.StrVal)-1])
	return n, err == nil
}

// isZero reports whether a count or percentage is zero, as the API
// server's getIntOrPercentValue reads it.
func isZero(v intstr.IntOrString) bool {
	if n, ok := percent(v); ok {
		return n == 0
	}
	return v.IntValue() == 0
}

// deploymentSpec checks a Deployment's counts and rolling update.
func (c *checker) deploymentSpec(s *appsv1.DeploymentSpec, spec *field.Path) {
	nonNegativeIfSet(c, s.Replicas, spec.Child("replicas"))
	c.nonNegative(int64(s.MinReadySeconds), spec.Child("minReadySeconds"))
	nonNegativeIfSet(c, s.RevisionHistoryLimit, spec.Child("revisionHistoryLimit"))
	// progressDeadlineSeconds defaults to 600.
	deadline, deadlinePath := int32(600), spec.Child("progressDeadlineSeconds")
	if s.ProgressDeadlineSeconds != nil {
		deadline = *s.ProgressDeadlineSeconds
		c.nonNegative(int64(deadline), deadlinePath)
	}
	if deadline <= s.MinReadySeconds {
		c.add(field.Invalid(deadlinePath, deadline, "must be greater than minReadySeconds"),
			"a rollout's progress deadline (600 seconds unless set) must be longer than minReadySeconds: raise spec.progressDeadlineSeconds or lower spec.minReadySeconds")
	}
	if t := s.Strategy.Type; t != "" && t != appsv1.RollingUpdateDeploymentStrategyType {
		return
	}
	// The API server fills in 25% for each bound not given.
	ru := appsv1.RollingUpdateDeployment{}
	if s.Strategy.RollingUpdate != nil {
		ru = *s.Strategy.RollingUpdate
	}
	quarter := intstr.FromString("25%")
	unavailable, surge := quarter, quarter
	if ru.MaxUnavailable != nil {
		unavailable = *ru.MaxUnavailable
	}
	if ru.MaxSurge != nil {
		surge = *ru.MaxSurge
	}
	ruPath := spec.Child("strategy", "rollingUpdate")
	c.intOrPercent(unavailable, ruPath.Child("maxUnavailable"), true)
	c.intOrPercent(surge, ruPath.Child("maxSurge"), false)
	if isZero(unavailable) && isZero(surge) {
		c.add(field.Invalid(ruPath.Child("maxUnavailable"), unavailable.String(), "may not be 0 when `maxSurge` is 0"),
			"a rolling update must be allowed to add a pod or take one down: raise maxSurge or maxUnavailable")
	}
}

// daemonSetSpec checks a DaemonSet's counts and rolling update: one of
// maxSurge and maxUnavailable is zero, the other not.
func (c *checker) daemonSetSpec(s *appsv1.DaemonSetSpec, spec *field.Path) {
	c.nonNegative(int64(s.MinReadySeconds), spec.Child("minReadySeconds"))
	nonNegativeIfSet(c, s.RevisionHistoryLimit, spec.Child("revisionHistoryLimit"))
	if t := s.UpdateStrategy.Type; t != "" && t != appsv1.RollingUpdateDaemonSetStrategyType {
		return
	}
	// The API server fills in maxUnavailable 1 and maxSurge 0.
	unavailable, surge := intstr.FromInt32(1), intstr.FromInt32(0)
	if ru := s.UpdateStrategy.RollingUpdate; ru != nil {
		if ru.MaxUnavailable != nil {
			unavailable = *ru.MaxUnavailable
		}
		if ru.MaxSurge != nil {
			surge = *ru.MaxSurge
		}
	}
	ruPath := spec.Child("updateStrategy", "rollingUpdate")
	c.intOrPercent(unavailable, ruPath.Child("maxUnavailable"), true)
	c.intOrPercent(surge, ruPath.Child("maxSurge"), true)
	switch hasUnavailable, hasSurge := !isZero(unavailable), !isZero(surge); {
	case hasUnavailable && hasSurge:
		c.add(field.Invalid(ruPath.Child("maxSurge"), surge.String(), "may not be set when maxUnavailable is non-zero"),
			"a DaemonSet rolls out by surging or by taking pods down, not both: with maxSurge, set maxUnavailable: 0 (it is 1 unless set)")
	case !hasUnavailable && !hasSurge:
		c.add(field.Required(ruPath.Child("maxUnavailable"), "cannot be 0 when maxSurge is 0"),
			"a rolling update must be allowed to add a pod or take one down: raise maxSurge or maxUnavailable")
	}
}

// statefulSetSpec checks a StatefulSet's counts and update strategy.
func (c *checker) statefulSetSpec(s *appsv1.StatefulSetSpec, spec *field.Path) {
	nonNegativeIfSet(c, s.Replicas, spec.Child("replicas"))
	c.nonNegative(int64(s.MinReadySeconds), spec.Child("minReadySeconds"))
	if s.Ordinals != nil {
		c.nonNegative(int64(s.Ordinals.Start), spec.Child("ordinals.start"))
	}
	c.claimRetention(s.PersistentVolumeClaimRetentionPolicy, spec.Child("persistentVolumeClaimRetentionPolicy"))
	ru := s.UpdateStrategy.RollingUpdate
	ruPath := spec.Child("updateStrategy", "rollingUpdate")
	switch s.UpdateStrategy.Type {
	case appsv1.OnDeleteStatefulSetStrategyType:
		if ru != nil {
			c.add(field.Invalid(ruPath, "", "only allowed for updateStrategy 'RollingUpdate'"),
				"remove spec.updateStrategy.rollingUpdate, or use updateStrategy type RollingUpdate")
		}
		return
	case appsv1.RecreateStatefulSetStrategyType:
		// The schema's enum has Recreate, but StatefulSetRecreateStrategy
		// is alpha in 1.37: off by default, so the API server refuses it.
		c.add(field.Invalid(spec.Child("updateStrategy"), field.OmitValueType{}, "must be 'RollingUpdate' or 'OnDelete'"),
			"Recreate is an alpha feature (StatefulSetRecreateStrategy) that clusters refuse unless they turn it on: use RollingUpdate or OnDelete")
		return
	case "", appsv1.RollingUpdateStatefulSetStrategyType:
	default:
		return // the schema's enum reports it
	}
	if ru == nil {
		return
	}
	nonNegativeIfSet(c, ru.Partition, ruPath.Child("partition"))
	// Before Kubernetes 1.37 the MaxUnavailableStatefulSet gate is off by
	// default, and the API server drops maxUnavailable before validating.
	if ru.MaxUnavailable != nil && c.on("MaxUnavailableStatefulSet") {
		c.intOrPercent(*ru.MaxUnavailable, ruPath.Child("maxUnavailable"), true)
		if isZero(*ru.MaxUnavailable) {
			c.add(field.Invalid(ruPath.Child("maxUnavailable"), ru.MaxUnavailable.String(), "cannot be 0"),
				"maxUnavailable is at least 1 (or 1%), or leave it out")
		}
	}
}

// claimRetention checks a StatefulSet's persistentVolumeClaimRetentionPolicy
// as ValidatePersistentVolumeClaimRetentionPolicyType does: each of
// whenDeleted and whenScaled Retain or Delete (left out, the API server
// defaults it to Retain). The schema has no enum for them, so a lowercase
// "delete" passed kiln and was refused on apply. Before 1.27
// (StatefulSetAutoDeletePVC) the API server drops the policy unchecked.
func (c *checker) claimRetention(p *appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy, pp *field.Path) {
	if p == nil || !c.on("StatefulSetAutoDeletePVC") {
		return
	}
	for _, f := range []struct {
		name string
		v    appsv1.PersistentVolumeClaimRetentionPolicyType
	}{{"whenDeleted", p.WhenDeleted}, {"whenScaled", p.WhenScaled}} {
		switch f.v {
		case "", appsv1.RetainPersistentVolumeClaimRetentionPolicyType, appsv1.DeletePersistentVolumeClaimRetentionPolicyType:
		default:
			c.add(field.NotSupported(pp.Child(f.name), f.v, []string{string(appsv1.RetainPersistentVolumeClaimRetentionPolicyType), string(appsv1.DeletePersistentVolumeClaimRetentionPolicyType)}),
				f.name+" is Retain or Delete, written with that case (left out, it is Retain)")
		}
	}
}

// statefulSetPods checks what a StatefulSet's pods and claims will be,
// as the API server has since Kubernetes 1.34 (before, it accepted the
// StatefulSet and refused each of its pods, so none ever ran): the pod
// template with a volume for each claim template, and hostname and
// subdomain left out (the controller sets them); each claim template;
// the headless Service's name.
func (c *checker) statefulSetPods(s *appsv1.StatefulSetSpec, spec *field.Path) {
	var claims []string
	for i := range s.VolumeClaimTemplates {
		t := &s.VolumeClaimTemplates[i]
		tp := spec.Child("volumeClaimTemplates").Index(i)
		c.name(tp.Child("metadata", "name"), t.Name, "volume claim template")
		c.claim(&t.Spec, tp.Child("spec"))
		c.claimSpec(&t.Spec, tp.Child("spec"))
		claims = append(claims, t.Name)
	}
	ps := s.Template.Spec
	ps.Hostname, ps.Subdomain = "", ""
	c.pod(&ps, spec.Child("template", "spec"), claims)
	// Before 1.34 only the template's annotations were checked, not
	// their agreement with the fields (podAnnotations, templateMeta).
	if c.since(1, 34) {
		c.annotationsMatchFields(s.Template.Annotations, &s.Template.Spec, spec.Child("template", "spec"), false)
	}
	if s.ServiceName != "" {
		for _, msg := range validation.IsDNS1123Label(s.ServiceName) {
			c.add(field.Invalid(spec.Child("serviceName"), s.ServiceName, msg), "serviceName names the StatefulSet's headless Service: a DNS label")
		}
	}
}

// jobCounts checks a Job's (or a CronJob's job template's) counts and the
// settings that need indexed completion (batch validation of
// k8s.io/kubernetes v1.37).
func (c *checker) jobCounts(js *batchv1.JobSpec, spec *field.Path) {
	if !c.on("JobBackoffLimitPerIndex") {
		// Dropped by the API server before its gate: checked as absent.
		v := *js
		v.BackoffLimitPerIndex, v.MaxFailedIndexes = nil, nil
		js = &v
	}
	nonNegativeIfSet(c, js.Parallelism, spec.Child("parallelism"))
	nonNegativeIfSet(c, js.Completions, spec.Child("completions"))
	nonNegativeIfSet(c, js.BackoffLimit, spec.Child("backoffLimit"))
	nonNegativeIfSet(c, js.TTLSecondsAfterFinished, spec.Child("ttlSecondsAfterFinished"))
	nonNegativeIfSet(c, js.BackoffLimitPerIndex, spec.Child("backoffLimitPerIndex"))
	nonNegativeIfSet(c, js.MaxFailedIndexes, spec.Child("maxFailedIndexes"))
	nonNegativeIfSet(c, js.ActiveDeadlineSeconds, spec.Child("activeDeadlineSeconds"))
	indexed := js.CompletionMode != nil && *js.CompletionMode == batchv1.IndexedCompletion
	if indexed && js.Completions == nil {
		c.add(field.Required(spec.Child("completions"), "when completion mode is Indexed"), "an indexed Job runs one pod per index: set completions")
	}
	if indexed {
		c.indexedJob(js, spec)
	}
	if js.MaxFailedIndexes != nil && js.BackoffLimitPerIndex == nil {
		c.add(field.Required(spec.Child("backoffLimitPerIndex"), "when maxFailedIndexes is specified"), "set backoffLimitPerIndex, or remove maxFailedIndexes")
	}
	if !indexed {
		const hint = "set completionMode: Indexed, or remove the field"
		if js.BackoffLimitPerIndex != nil {
			c.add(field.Invalid(spec.Child("backoffLimitPerIndex"), *js.BackoffLimitPerIndex, "requires indexed completion mode"), hint)
		}
		if js.MaxFailedIndexes != nil {
			c.add(field.Invalid(spec.Child("maxFailedIndexes"), *js.MaxFailedIndexes, "requires indexed completion mode"), hint)
		}
		// Before JobSuccessPolicy (1.31) the API server drops it.
		if js.SuccessPolicy != nil && c.on("JobSuccessPolicy") {
			c.add(field.Invalid(spec.Child("successPolicy"), "", "requires indexed completion mode"), hint)
		}
	}
	if r := js.PodReplacementPolicy; r != nil && c.on("JobPodReplacementPolicy") {
		rp := spec.Child("podReplacementPolicy")
		switch {
		case js.PodFailurePolicy != nil && *r != batchv1.Failed:
			c.add(field.NotSupported(rp, *r, []batchv1.PodReplacementPolicy{batchv1.Failed}),
				"with a podFailurePolicy a Job replaces a pod once it has failed: set podReplacementPolicy: Failed, or leave it out")
		case *r != batchv1.Failed && *r != batchv1.TerminatingOrFailed:
			c.add(field.NotSupported(rp, *r, []batchv1.PodReplacementPolicy{batchv1.Failed, batchv1.TerminatingOrFailed}),
				"set podReplacementPolicy to Failed or TerminatingOrFailed")
		}
	}
	if m := js.ManagedBy; m != nil && c.on("JobManagedBy") {
		mp := spec.Child("managedBy")
		for _, err := range validation.IsDomainPrefixedPath(mp, *m) {
			c.add(err, "name the controller that manages the Job as a domain-prefixed path, such as kueue.x-k8s.io/multikueue, or leave managedBy out for the Job controller")
		}
		if len(*m) > maxManagedByLength {
			c.add(field.TooLong(mp, "", maxManagedByLength), "a managedBy is at most 63 characters")
		}
	}
	if js.PodFailurePolicy != nil {
		if p := js.Template.Spec.RestartPolicy; p == corev1.RestartPolicyOnFailure {
			c.add(field.Invalid(spec.Child("template", "spec", "restartPolicy"), p, `only "Never" is supported when podFailurePolicy is specified`),
				"a pod failure policy needs restartPolicy: Never")
		}
	}
}

// maxManagedByLength is the longest a Job's managedBy may be.
const maxManagedByLength = 63

// disruptionBudget checks a PodDisruptionBudget's bounds (not both, each
// a count or a percentage of at most 100%) and its selector, which the API
// server validates on create (ValidatePodDisruptionBudgetSpec): a label
// value a selector cannot hold, such as a Helm chart's version with '+',
// is refused.
func (c *checker) disruptionBudget(s *policyv1.PodDisruptionBudgetSpec, spec *field.Path) {
	c.selector(s.Selector, spec.Child("selector"))
	if s.MinAvailable != nil && s.MaxUnavailable != nil {
		c.add(field.Invalid(spec, "", "minAvailable and maxUnavailable cannot be both set"),
			"keep one of spec.minAvailable and spec.maxUnavailable")
	}
	if s.MinAvailable != nil {
		c.intOrPercent(*s.MinAvailable, spec.Child("minAvailable"), true)
	}
	if s.MaxUnavailable != nil {
		c.intOrPercent(*s.MaxUnavailable, spec.Child("maxUnavailable"), true)
	}
}

// replicationController checks a ReplicationController as the API server
// does after its defaults (an empty selector becomes the template's
// labels): a template, a non-empty selector matching its labels, pods
// that restart Always without a deadline, counts of 0 or more, and the
// pod spec.
func (c *checker) replicationController(rc *corev1.ReplicationController) {
	spec := field.NewPath("spec")
	nonNegativeIfSet(c, rc.Spec.Replicas, spec.Child("replicas"))
	c.nonNegative(int64(rc.Spec.MinReadySeconds), spec.Child("minReadySeconds"))
	tpl := rc.Spec.Template
	sel := rc.Spec.Selector
	if len(sel) == 0 && tpl != nil {
		sel = tpl.Labels
	}
	if len(sel) == 0 {
		c.add(field.Required(spec.Child("selector"), ""), "give the pod template labels, and spec.selector those labels (it defaults to them)")
	}
	if tpl == nil {
		c.add(field.Required(spec.Child("template"), ""), "give the ReplicationController a pod template")
		return
	}
	if len(sel) > 0 && !labels.SelectorFromSet(sel).Matches(labels.Set(tpl.Labels)) {
		c.add(field.Invalid(spec.Child("template", "metadata", "labels"), labels.Set(tpl.Labels).String(), "`selector` does not match template `labels`"),
			"give the pod template every label of spec.selector ("+labels.Set(sel).String()+")")
	}
	c.templateMeta(tpl, spec.Child("template"))
	tplSpec := spec.Child("template", "spec")
	c.annotationsMatchFields(tpl.Annotations, &tpl.Spec, tplSpec, false)
	if p := tpl.Spec.RestartPolicy; p != "" && p != corev1.RestartPolicyAlways {
		c.add(field.NotSupported(tplSpec.Child("restartPolicy"), p, []corev1.RestartPolicy{corev1.RestartPolicyAlways}),
			"a ReplicationController's pods restart Always: remove restartPolicy, or use a Job for pods that finish")
	}
	if tpl.Spec.ActiveDeadlineSeconds != nil {
		c.add(field.Forbidden(tplSpec.Child("activeDeadlineSeconds"), "activeDeadlineSeconds in ReplicationController is not Supported"),
			"pods of a ReplicationController run until replaced: remove activeDeadlineSeconds")
	}
	c.pod(&tpl.Spec, tplSpec, nil)
}
