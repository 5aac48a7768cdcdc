package apirules

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// standardLimitTypes are the LimitRange types without a domain the API
// server knows.
var standardLimitTypes = []corev1.LimitType{corev1.LimitTypePod, corev1.LimitTypeContainer, corev1.LimitTypePersistentVolumeClaim}

// standardResources are the resource names without a domain the API
// server knows (huge pages and requests.hugepages-<size> aside): its
// IsStandardResourceName.
var standardResources = map[string]bool{
	"cpu": true, "memory": true, "ephemeral-storage": true,
	"requests.cpu": true, "requests.memory": true, "requests.ephemeral-storage": true,
	"limits.cpu": true, "limits.memory": true, "limits.ephemeral-storage": true,
	"pods": true, "resourcequotas": true, "services": true, "replicationcontrollers": true, "secrets": true,
	"configmaps": true, "persistentvolumeclaims": true, "storage": true, "requests.storage": true,
	"services.nodeports": true, "services.loadbalancers": true,
}

// limitRange checks a LimitRange as ValidateLimitRange in k8s.io/kubernetes
// (pkg/apis/core/validation) does, after the API server's defaults for a
// Container limit (a default limit is the max, a default request the
// default limit, else the min): each type once and known, resource names
// it knows, no default for a Pod, a PersistentVolumeClaim limit with a
// min or max storage, and min ≤ defaultRequest ≤ default ≤ max.
func (c *checker) limitRange(lr *corev1.LimitRange) {
	limits := field.NewPath("spec", "limits")
	types := map[corev1.LimitType]bool{}
	for i := range lr.Spec.Limits {
		item := lr.Spec.Limits[i]
		p := limits.Index(i)
		c.limitType(item.Type, p.Child("type"))
		if types[item.Type] {
			c.add(field.Duplicate(p.Child("type"), item.Type), "give each type one entry of spec.limits: merge the two")
		}
		types[item.Type] = true
		c.limitRangeItem(item, p)
	}
}

// limitType checks a LimitRange type: a qualified name, Pod, Container or
// PersistentVolumeClaim when it has no domain.
func (c *checker) limitType(t corev1.LimitType, p *field.Path) {
	const hint = "a limit's type is Container, Pod or PersistentVolumeClaim"
	if t == "" {
		// Left out, the schema reports it; written empty, this.
		c.add(field.Required(p, ""), hint)
		return
	}
	for _, msg := range validation.IsQualifiedName(string(t)) {
		c.add(field.Invalid(p, t, msg), hint)
		return
	}
	if !strings.Contains(string(t), "/") && !slices.Contains(standardLimitTypes, t) {
		c.add(field.Invalid(p, t, "must be a standard limit type or fully qualified"), hint+" (the case matters)")
	}
}

// defaultedLimits is item as the API server validates it: for a Container
// limit, a default limit left out is the max, a default request left out
// the default limit, or else the min (SetDefaults_LimitRangeItem).
func defaultedLimits(item corev1.LimitRangeItem) corev1.LimitRangeItem {
	if item.Type != corev1.LimitTypeContainer {
		return item
	}
	item.Default, item.DefaultRequest = maps.Clone(item.Default), maps.Clone(item.DefaultRequest)
	if item.Default == nil {
		item.Default = corev1.ResourceList{}
	}
	if item.DefaultRequest == nil {
		item.DefaultRequest = corev1.ResourceList{}
	}
	for _, from := range []struct{ src, dst corev1.ResourceList }{
		{item.Max, item.Default}, {item.Default, item.DefaultRequest}, {item.Min, item.DefaultRequest},
	} {
		for k, v := range from.src {
			if _, ok := from.dst[k]; !ok {
				from.dst[k] = v.DeepCopy()
			}
		}
	}
	return item
}

// limitRangeItem checks one entry of a LimitRange's spec.limits: the
// names as written, the bounds after the API server's defaults.
func (c *checker) limitRangeItem(item corev1.LimitRangeItem, p *field.Path) {
	lists := []struct {
		key  string
		list corev1.ResourceList
	}{{"max", item.Max}, {"min", item.Min}, {"default", item.Default}, {"defaultRequest", item.DefaultRequest}, {"maxLimitRequestRatio", item.MaxLimitRequestRatio}}
	for _, l := range lists {
		if item.Type == corev1.LimitTypePod && (l.key == "default" || l.key == "defaultRequest") {
			if len(l.list) > 0 {
				c.add(field.Forbidden(p.Child(l.key), "may not be specified when `type` is 'Pod'"),
					"a Pod limit has no defaults (the defaults are each container's): move "+l.key+" to a limit of type Container")
			}
			continue
		}
		for _, k := range slices.Sorted(maps.Keys(l.list)) {
			c.limitResourceName(item.Type, k, p.Child(l.key).Key(string(k)))
		}
	}
	if item.Type == corev1.LimitTypePersistentVolumeClaim {
		_, hasMin := item.Min[corev1.ResourceStorage]
		_, hasMax := item.Max[corev1.ResourceStorage]
		if !hasMin && !hasMax {
			// The API server's path, spec.limits[i].limits, names no field.
			c.add(field.Required(p.Child("limits"), "either minimum or maximum storage value is required, but neither was provided"),
				"give the PersistentVolumeClaim limit a min.storage or a max.storage")
		}
	}
	full := defaultedLimits(item)
	keys := map[corev1.ResourceName]bool{}
	for _, l := range []corev1.ResourceList{full.Max, full.Min, full.Default, full.DefaultRequest, full.MaxLimitRequestRatio} {
		for k := range l {
			keys[k] = true
		}
	}
	if item.Type == corev1.LimitTypePod {
		full.Default, full.DefaultRequest = nil, nil
	}
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		var bounds checker
		bounds.limitBounds(full, k, p)
		c.problems = append(c.problems, ownProblems(bounds.problems, item, k, p)...)
	}
}

// ownProblems drops, from the problems of resource k in a LimitRange
// entry, those at a value only the API server's defaults wrote when
// another is at a value the manifest holds: a default above the max
// makes the default request (defaulted to it) above the max too, and the
// one mistake is told once. A problem only a defaulted value shows (a
// GPU's min and max, whose defaults then differ) stays.
func ownProblems(ps []Problem, written corev1.LimitRangeItem, k corev1.ResourceName, p *field.Path) []Problem {
	isWritten := func(pr Problem) bool {
		for _, l := range []struct {
			key  string
			list corev1.ResourceList
		}{{"max", written.Max}, {"min", written.Min}, {"default", written.Default}, {"defaultRequest", written.DefaultRequest}, {"maxLimitRequestRatio", written.MaxLimitRequestRatio}} {
			if _, ok := l.list[k]; ok && pr.Field == p.Child(l.key).Key(string(k)).String() {
				return true
			}
		}
		return false
	}
	if !slices.ContainsFunc(ps, isWritten) {
		return ps
	}
	return slices.DeleteFunc(ps, func(pr Problem) bool { return !isWritten(pr) })
}

// limitResourceName checks a resource name of a LimitRange: for Pod and
// Container limits a resource a container can have, for others a
// resource the API server knows or a qualified name.
func (c *checker) limitResourceName(t corev1.LimitType, res corev1.ResourceName, p *field.Path) {
	name := string(res)
	const hint = "a resource is cpu, memory, ephemeral-storage, storage (for claims), hugepages-<size> or a domain-prefixed name such as nvidia.com/gpu: check the spelling"
	if msgs := validation.IsQualifiedName(name); len(msgs) > 0 {
		for _, msg := range msgs {
			c.add(field.Invalid(p, name, msg), hint)
		}
		return
	}
	if !strings.Contains(name, "/") && !standardResources[name] && !strings.HasPrefix(name, corev1.ResourceHugePagesPrefix) && !strings.HasPrefix(name, corev1.ResourceRequestsHugePagesPrefix) {
		c.add(field.Invalid(p, name, "must be a standard resource type or fully qualified"), hint)
		return
	}
	if t != corev1.LimitTypePod && t != corev1.LimitTypeContainer {
		return
	}
	switch {
	case !strings.Contains(name, "/"):
		if !standardContainerResources[res] && !strings.HasPrefix(name, corev1.ResourceHugePagesPrefix) {
			c.add(field.Invalid(p, name, "must be a standard resource for containers"),
				"a "+string(t)+" limit is of cpu, memory, ephemeral-storage, hugepages-<size> or a domain-prefixed resource")
		}
	case !strings.Contains(name, corev1.ResourceDefaultNamespacePrefix) && !extendedResource(name):
		c.add(field.Invalid(p, name, "doesn't follow extended resource name standard"),
			"an extended resource is a domain and a name, such as nvidia.com/gpu, without a requests. prefix")
	}
}

// extendedResource is the API server's IsExtendedResourceName for a name
// with a domain outside kubernetes.io: not starting with "requests.", and
// a qualified name with it.
func extendedResource(name string) bool {
	return !strings.HasPrefix(name, corev1.DefaultResourceRequestsPrefix) && len(validation.IsQualifiedName(corev1.DefaultResourceRequestsPrefix+name)) == 0
}

// limitBounds checks one resource's min, max, defaults and ratio in a
// LimitRange entry, with the API server's messages.
func (c *checker) limitBounds(item corev1.LimitRangeItem, k corev1.ResourceName, p *field.Path) {
	minQ, hasMin := item.Min[k]
	maxQ, hasMax := item.Max[k]
	def, hasDef := item.Default[k]
	req, hasReq := item.DefaultRequest[k]
	ratio, hasRatio := item.MaxLimitRequestRatio[k]
	at := func(key string) *field.Path { return p.Child(key).Key(string(k)) }
	const hint = "a limit's values go min ≤ defaultRequest ≤ default ≤ max (a Container limit's default is its max when left out, its defaultRequest the default, or else the min)"
	bad := func(key string, v resource.Quantity, msg string) {
		c.add(field.Invalid(at(key), v.String(), msg), hint)
	}
	if hasMin && hasMax && minQ.Cmp(maxQ) > 0 {
		bad("min", minQ, fmt.Sprintf("min value %s is greater than max value %s", minQ.String(), maxQ.String()))
	}
	if hasReq && hasMin && minQ.Cmp(req) > 0 {
		bad("defaultRequest", req, fmt.Sprintf("min value %s is greater than default request value %s", minQ.String(), req.String()))
	}
	if hasReq && hasMax && req.Cmp(maxQ) > 0 {
		bad("defaultRequest", req, fmt.Sprintf("default request value %s is greater than max value %s", req.String(), maxQ.String()))
	}
	if hasReq && hasDef && req.Cmp(def) > 0 {
		bad("defaultRequest", req, fmt.Sprintf("default request value %s is greater than default limit value %s", req.String(), def.String()))
	}
	if hasDef && hasMin && minQ.Cmp(def) > 0 {
		bad("default", minQ, fmt.Sprintf("min value %s is greater than default value %s", minQ.String(), def.String()))
	}
	if hasDef && hasMax && def.Cmp(maxQ) > 0 {
		bad("default", maxQ, fmt.Sprintf("default value %s is greater than max value %s", def.String(), maxQ.String()))
	}
	if hasRatio {
		c.limitRatio(ratio, minQ, maxQ, hasMin && hasMax, at("maxLimitRequestRatio"))
	}
	if !overcommitAllowed(k) && hasDef && hasReq && def.Cmp(req) != 0 {
		c.add(field.Invalid(at("defaultRequest"), req.String(), fmt.Sprintf("default value %s must equal to defaultRequest value %s in %s", def.String(), req.String(), k)),
			fmt.Sprintf("%s cannot be overcommitted: make defaultRequest equal to default (left out, it is)", k))
	}
}

// limitRatio checks a maxLimitRequestRatio: at least 1, and, with a min
// and a max, at most max/min (compared in thousandths when the values
// allow, as the API server does).
func (c *checker) limitRatio(ratio, minQ, maxQ resource.Quantity, bounded bool, p *field.Path) {
	const hint = "maxLimitRequestRatio is the most a container's limit may be times its request: at least 1, and at most max/min"
	if ratio.Cmp(*resource.NewQuantity(1, resource.DecimalSI)) < 0 {
		c.add(field.Invalid(p, ratio.String(), fmt.Sprintf("ratio %s is less than 1", ratio.String())), hint)
	}
	if !bounded {
		return
	}
	r, lo, hi := float64(ratio.Value()), minQ.Value(), maxQ.Value()
	if ratio.Value() < resource.MaxMilliValue && lo < resource.MaxMilliValue && hi < resource.MaxMilliValue {
		r, lo, hi = float64(ratio.MilliValue())/1000, minQ.MilliValue(), maxQ.MilliValue()
	}
	if most := float64(hi) / float64(lo); r > most {
		c.add(field.Invalid(p, ratio.String(), fmt.Sprintf("ratio %s is greater than max/min = %f", ratio.String(), most)), hint)
	}
}

// quotaResources are the resource names without a domain a ResourceQuota
// may limit (huge pages aside): the API server's
// IsStandardQuotaResourceName.
var quotaResources = map[string]bool{
	"cpu": true, "memory": true, "ephemeral-storage": true,
	"requests.cpu": true, "requests.memory": true, "requests.storage": true, "requests.ephemeral-storage": true,
	"limits.cpu": true, "limits.memory": true, "limits.ephemeral-storage": true,
	"pods": true, "resourcequotas": true, "services": true, "replicationcontrollers": true, "secrets": true,
	"persistentvolumeclaims": true, "configmaps": true, "services.nodeports": true, "services.loadbalancers": true,
}

// countedResources are the quota resources counted in whole objects.
var countedResources = map[string]bool{
	"pods": true, "resourcequotas": true, "services": true, "replicationcontrollers": true, "secrets": true,
	"configmaps": true, "persistentvolumeclaims": true, "services.nodeports": true, "services.loadbalancers": true,
}

// podScopeResources are what the pod scopes (Terminating, NotTerminating,
// NotBestEffort, PriorityClass, CrossNamespacePodAffinity) can limit;
// BestEffort pods can only be counted.
var podScopeResources = map[string]bool{
	"pods": true, "cpu": true, "memory": true, "limits.cpu": true, "limits.memory": true, "requests.cpu": true, "requests.memory": true,
}

// resourceQuota checks a ResourceQuota as ValidateResourceQuotaSpec in
// k8s.io/kubernetes (pkg/apis/core/validation) does: each hard limit a
// resource a quota can count, of 0 or more, whole for objects and
// extended resources; scopes that apply to every limited resource, not
// both of a pair (BestEffort and NotBestEffort, Terminating and
// NotTerminating); a scope selector's operators as its scopes need.
func (c *checker) resourceQuota(q *corev1.ResourceQuota) {
	spec := field.NewPath("spec")
	for _, k := range slices.Sorted(maps.Keys(q.Spec.Hard)) {
		c.quotaResource(k, q.Spec.Hard[k], spec.Child("hard").Key(string(k)))
	}
	scopes := map[corev1.ResourceQuotaScope]bool{}
	for _, s := range q.Spec.Scopes {
		c.scopeFits(s, q.Spec.Hard, spec.Child("scopes"), "")
		scopes[s] = true
	}
	c.scopePairs(scopes, spec.Child("scopes"))
	if sel := q.Spec.ScopeSelector; sel != nil {
		c.scopeSelector(sel, q.Spec.Hard, spec.Child("scopeSelector"))
	}
}

// quotaResource checks one hard limit of a ResourceQuota.
func (c *checker) quotaResource(res corev1.ResourceName, v resource.Quantity, p *field.Path) {
	name := string(res)
	const hint = "a quota limits cpu, memory, requests.<resource>, limits.<resource>, pods, services, secrets, configmaps, persistentvolumeclaims, count/<resource>.<group> or a domain-prefixed resource: check the spelling"
	if msgs := validation.IsQualifiedName(name); len(msgs) > 0 {
		for _, msg := range msgs {
			c.add(field.Invalid(p, name, msg), hint)
		}
	} else if !strings.Contains(name, "/") && !quotaHugePages(name) {
		// The API server says both of an unknown name; one is enough.
		switch {
		case !standardResources[name]:
			c.add(field.Invalid(p, name, "must be a standard resource type or fully qualified"), hint)
		case !quotaResources[name]:
			c.add(field.Invalid(p, name, "must be a standard resource for quota"), hint)
		}
	}
	if v.Sign() < 0 {
		c.add(field.Invalid(p, v.String(), "must be greater than or equal to 0"), nonNegativeHint)
	}
	extended := strings.Contains(name, "/") && !strings.Contains(name, corev1.ResourceDefaultNamespacePrefix) && extendedResource(name)
	if (countedResources[name] || extended) && v.MilliValue()%1000 != 0 {
		c.add(field.Invalid(p, v.String(), "must be an integer"), "objects (and extended resources, count/<resource> included) are counted in whole units")
	}
}

// scopeFits checks that scope applies to every standard resource of hard,
// as IsResourceQuotaScopeValidForResource says: a pod scope (and
// PriorityClass, CrossNamespacePodAffinity) limits pods, cpu and memory
// only, BestEffort only pods, VolumeAttributesClass only claims. at
// is the value the API server shows ("" for the whole list). The API
// server reports each resource; kiln reports the scope once, naming them.
func (c *checker) scopeFits(scope corev1.ResourceQuotaScope, hard corev1.ResourceList, p *field.Path, at string) {
	var misfits []string
	for _, k := range slices.Sorted(maps.Keys(hard)) {
		name := string(k)
		if !quotaResources[name] && !quotaHugePages(name) {
			continue // the API server checks only standard quota resources
		}
		switch scope {
		case corev1.ResourceQuotaScopeTerminating, corev1.ResourceQuotaScopeNotTerminating, corev1.ResourceQuotaScopeNotBestEffort,
			corev1.ResourceQuotaScopePriorityClass, corev1.ResourceQuotaScopeCrossNamespacePodAffinity:
			if !podScopeResources[name] {
				misfits = append(misfits, name)
			}
		case corev1.ResourceQuotaScopeBestEffort:
			if name != "pods" {
				misfits = append(misfits, name)
			}
		case corev1.ResourceQuotaScopeVolumeAttributesClass:
			// Checked from 1.34, where the VolumeAttributesClass gate
			// is on by default (what older API servers said of it is
			// not restated).
			if c.on("VolumeAttributesClass") && name != "persistentvolumeclaims" && name != "requests.storage" {
				misfits = append(misfits, name)
			}
		}
	}
	if len(misfits) > 0 {
		c.add(field.Invalid(p, at, "unsupported scope applied to resource"),
			fmt.Sprintf("scope %s cannot limit %s (the pod scopes, PriorityClass and CrossNamespacePodAffinity limit pods, cpu and memory; BestEffort only pods; VolumeAttributesClass persistentvolumeclaims and requests.storage): put them in a quota without this scope", scope, strings.Join(misfits, ", ")))
	}
}

// quotaHugePages reports whether name is a huge pages resource a quota
// may limit (hugepages-<size>, requests.hugepages-<size>).
func quotaHugePages(name string) bool {
	return strings.HasPrefix(name, corev1.ResourceHugePagesPrefix) || strings.HasPrefix(name, corev1.ResourceRequestsHugePagesPrefix)
}

// scopePairs checks that no two scopes contradict each other.
func (c *checker) scopePairs(scopes map[corev1.ResourceQuotaScope]bool, p *field.Path) {
	for _, pair := range [][2]corev1.ResourceQuotaScope{
		{corev1.ResourceQuotaScopeBestEffort, corev1.ResourceQuotaScopeNotBestEffort},
		{corev1.ResourceQuotaScopeTerminating, corev1.ResourceQuotaScopeNotTerminating},
	} {
		if scopes[pair[0]] && scopes[pair[1]] {
			c.add(field.Invalid(p, "", "conflicting scopes"),
				fmt.Sprintf("no pod is both %s and %s: keep one, or make two quotas", pair[0], pair[1]))
		}
	}
}

// scopeSelector checks a ResourceQuota's scope selector: scopes that
// apply to the limited resources and do not conflict, Exists for the pod
// scopes, values with In and NotIn only.
func (c *checker) scopeSelector(sel *corev1.ScopeSelector, hard corev1.ResourceList, p *field.Path) {
	exprs := p.Child("matchExpressions")
	scopes := map[corev1.ResourceQuotaScope]bool{}
	for _, req := range sel.MatchExpressions {
		// The API server's paths have no index: it names the list.
		c.scopeFits(req.ScopeName, hard, exprs, "")
		switch req.ScopeName {
		case corev1.ResourceQuotaScopeBestEffort, corev1.ResourceQuotaScopeNotBestEffort, corev1.ResourceQuotaScopeTerminating,
			corev1.ResourceQuotaScopeNotTerminating, corev1.ResourceQuotaScopeCrossNamespacePodAffinity:
			if req.Operator != corev1.ScopeSelectorOpExists {
				c.add(field.Invalid(exprs.Child("operator"), req.Operator, "must be 'Exists' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity"),
					"scope "+string(req.ScopeName)+" takes operator: Exists and no values")
			}
		}
		switch req.Operator {
		case corev1.ScopeSelectorOpIn, corev1.ScopeSelectorOpNotIn:
			if len(req.Values) == 0 {
				c.add(field.Required(exprs.Child("values"), "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector"),
					"list the values to match, such as the PriorityClass names")
			}
		case corev1.ScopeSelectorOpExists, corev1.ScopeSelectorOpDoesNotExist:
			if len(req.Values) != 0 {
				c.add(field.Invalid(exprs.Child("values"), req.Values, "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector"),
					"remove values, or use operator In or NotIn")
			}
		}
		scopes[req.ScopeName] = true
	}
	c.scopePairs(scopes, exprs)
}
