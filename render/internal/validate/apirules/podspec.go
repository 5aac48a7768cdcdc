package apirules

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The rules of this file are the scheduling and naming parts of
// ValidatePodSpec (k8s.io/kubernetes pkg/apis/core/validation, v1.37):
// what a pod template may say about where its pods run (affinity,
// topology spread, tolerations, node selector), the names it refers to,
// and its DNS settings. The schema checks their enums (operators,
// effects, whenUnsatisfiable); what it cannot say, such as "values must
// be empty with Exists", is here. Where a rule depends on a feature gate
// kiln cannot see, the check is the one every setting of the gate
// shares, so nothing a cluster accepts is refused.

const (
	affinityHint   = "see https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#affinity-and-anti-affinity"
	spreadHint     = "see https://kubernetes.io/docs/concepts/scheduling-eviction/topology-spread-constraints/"
	tolerationHint = "see https://kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/"
	labelKeyHint   = "a label key is an optional DNS subdomain prefix and '/' and a name of at most 63 letters, digits, '-', '_' or '.'"
)

// podSpecRules checks a pod spec's containers list, scheduling, the names
// it refers to and its DNS settings.
func (c *checker) podSpecRules(ps *corev1.PodSpec, path *field.Path) {
	if len(ps.Containers) == 0 {
		c.add(field.Required(path.Child("containers"), ""), "a pod needs at least one container in containers (init containers do not count)")
	}
	for _, e := range metav1validation.ValidateLabels(ps.NodeSelector, path.Child("nodeSelector")) {
		c.add(e, "nodeSelector keys and values have the form of labels")
	}
	if ps.Affinity != nil {
		c.affinity(ps.Affinity, path.Child("affinity"))
	}
	c.topologySpread(ps.TopologySpreadConstraints, path.Child("topologySpreadConstraints"))
	c.tolerations(ps.Tolerations, path.Child("tolerations"))

	// The deprecated serviceAccount is an alias: left without
	// serviceAccountName, the API server copies it there (on conversion
	// from v1) and checks it as serviceAccountName, which names the field
	// as the API server does; kiln names the one written.
	sa := struct{ key, value string }{"serviceAccountName", ps.ServiceAccountName}
	if sa.value == "" && ps.DeprecatedServiceAccount != "" {
		sa = struct{ key, value string }{"serviceAccount", ps.DeprecatedServiceAccount}
	}
	subdomains := []struct {
		key, value, what string
	}{
		{sa.key, sa.value, "a ServiceAccount's name"},
		{"priorityClassName", ps.PriorityClassName, "a PriorityClass's name"},
		{"nodeName", ps.NodeName, "a Node's name"},
	}
	for _, s := range subdomains {
		if s.value == "" {
			continue
		}
		for _, msg := range apimachineryvalidation.NameIsDNSSubdomain(s.value, false) {
			c.add(field.Invalid(path.Child(s.key), s.value, msg), s.key+" is "+s.what+": lowercase letters, digits, '-' and '.'")
		}
	}
	for _, l := range []struct{ key, value string }{{"hostname", ps.Hostname}, {"subdomain", ps.Subdomain}} {
		if l.value == "" {
			continue
		}
		for _, msg := range validation.IsDNS1123Label(l.value) {
			c.add(field.Invalid(path.Child(l.key), l.value, msg), l.key+" is a DNS label: at most 63 lowercase letters, digits and '-'")
		}
	}
	c.hostnameOverrideRules(ps, path.Child("hostnameOverride"))
	if d := ps.ActiveDeadlineSeconds; d != nil && (*d < 1 || *d > math.MaxInt32) {
		c.add(field.Invalid(path.Child("activeDeadlineSeconds"), *d, validation.InclusiveRangeError(1, math.MaxInt32)),
			"set activeDeadlineSeconds to 1 or more, or leave it out for no deadline")
	}
	c.dnsConfig(ps, path.Child("dnsConfig"))
}

// The limits of a pod's DNS settings: those of the C library's resolver.
const (
	maxNameservers   = 3
	maxSearches      = 32
	maxSearchesChars = 2048
	// Before ExpandedDNSConfig (on by default from 1.26).
	maxSearchesLegacy      = 6
	maxSearchesCharsLegacy = 256
)

// dnsConfig checks a pod's DNS settings: a nameserver with dnsPolicy
// None; at most 3 nameservers, each an IP address (legacyIP); at most 32
// search domains, 2048 characters in all (6 and 256 before 1.26), each a DNS name ('_' allowed, a
// trailing '.' or a lone '.' too); options named.
func (c *checker) dnsConfig(ps *corev1.PodSpec, path *field.Path) {
	dc := ps.DNSConfig
	if ps.DNSPolicy == corev1.DNSNone {
		switch {
		case dc == nil:
			c.add(field.Required(path, "must provide `dnsConfig` when `dnsPolicy` is None"),
				"with dnsPolicy: None the pod gets only the DNS settings of dnsConfig: add dnsConfig with nameservers")
			return
		case len(dc.Nameservers) == 0:
			c.add(field.Required(path.Child("nameservers"), "must provide at least one DNS nameserver when `dnsPolicy` is None"),
				"add a nameserver address to dnsConfig.nameservers")
			return
		}
	}
	if dc == nil {
		return
	}
	if len(dc.Nameservers) > maxNameservers {
		c.add(field.Invalid(path.Child("nameservers"), dc.Nameservers, fmt.Sprintf("must not have more than %v nameservers", maxNameservers)),
			"the resolver reads at most 3 nameservers: keep 3")
	}
	for i, ns := range dc.Nameservers {
		c.legacyIP(path.Child("nameservers").Index(i), ns, "a nameserver is an IP address, such as 10.96.0.10, not a host name")
	}
	// Before 1.26 (ExpandedDNSConfig off) the resolver's older limits.
	searches, chars := maxSearches, maxSearchesChars
	if !c.on("ExpandedDNSConfig") {
		searches, chars = maxSearchesLegacy, maxSearchesCharsLegacy
	}
	if len(dc.Searches) > searches {
		c.add(field.Invalid(path.Child("searches"), dc.Searches, fmt.Sprintf("must not have more than %v search paths", searches)),
			fmt.Sprintf("keep at most %d search domains", searches))
	}
	if len(strings.Join(dc.Searches, " ")) > chars {
		c.add(field.Invalid(path.Child("searches"), dc.Searches, fmt.Sprintf("must not have more than %v characters (including spaces) in the search list", chars)),
			fmt.Sprintf("shorten the search list to %d characters", chars))
	}
	for i, s := range dc.Searches {
		check := validation.IsDNS1123SubdomainWithUnderscore
		if !c.on("RelaxedDNSSearchValidation") {
			check = validation.IsDNS1123Subdomain
		} else if s == "." {
			continue
		}
		s = strings.TrimSuffix(s, ".")
		for _, msg := range check(s) {
			c.add(field.Invalid(path.Child("searches").Index(i), s, msg), "a search domain is a DNS name, such as svc.cluster.local")
		}
	}
	for i, o := range dc.Options {
		if o.Name == "" {
			c.add(field.Required(path.Child("options").Index(i), "must not be empty"), "name each option, such as ndots")
		}
	}
}

// affinity checks node affinity, pod affinity and pod anti-affinity.
func (c *checker) affinity(a *corev1.Affinity, path *field.Path) {
	if na := a.NodeAffinity; na != nil {
		np := path.Child("nodeAffinity")
		if req := na.RequiredDuringSchedulingIgnoredDuringExecution; req != nil {
			tp := np.Child("requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms")
			if len(req.NodeSelectorTerms) == 0 {
				c.add(field.Required(tp, "must have at least one node selector term"),
					"add a term to nodeSelectorTerms, or remove requiredDuringSchedulingIgnoredDuringExecution")
			}
			for i, term := range req.NodeSelectorTerms {
				c.nodeSelectorTerm(term, true, tp.Index(i))
			}
		}
		for i, term := range na.PreferredDuringSchedulingIgnoredDuringExecution {
			tp := np.Child("preferredDuringSchedulingIgnoredDuringExecution").Index(i)
			c.weight(term.Weight, tp.Child("weight"))
			// The API server allows any value here: a preference that
			// matches no node only goes unused.
			c.nodeSelectorTerm(term.Preference, false, tp.Child("preference"))
		}
	}
	if pa := a.PodAffinity; pa != nil {
		c.podAffinity(pa.RequiredDuringSchedulingIgnoredDuringExecution, pa.PreferredDuringSchedulingIgnoredDuringExecution, path.Child("podAffinity"))
	}
	if pa := a.PodAntiAffinity; pa != nil {
		c.podAffinity(pa.RequiredDuringSchedulingIgnoredDuringExecution, pa.PreferredDuringSchedulingIgnoredDuringExecution, path.Child("podAntiAffinity"))
	}
}

// podAffinity checks the terms of a pod affinity or anti-affinity.
func (c *checker) podAffinity(required []corev1.PodAffinityTerm, weighted []corev1.WeightedPodAffinityTerm, path *field.Path) {
	for i, term := range required {
		c.podAffinityTerm(&term, path.Child("requiredDuringSchedulingIgnoredDuringExecution").Index(i))
	}
	for i, w := range weighted {
		wp := path.Child("preferredDuringSchedulingIgnoredDuringExecution").Index(i)
		c.weight(w.Weight, wp.Child("weight"))
		c.podAffinityTerm(&w.PodAffinityTerm, wp.Child("podAffinityTerm"))
	}
}

// weight checks a preferred term's weight.
func (c *checker) weight(w int32, p *field.Path) {
	if w <= 0 || w > 100 {
		c.add(field.Invalid(p, w, "must be in the range 1-100"), "give each preferred term a weight from 1 to 100")
	}
}

// nodeSelectorTerm checks one term of node affinity; strictValues when
// the API server also checks the values (required terms).
func (c *checker) nodeSelectorTerm(term corev1.NodeSelectorTerm, strictValues bool, path *field.Path) {
	for j, rq := range term.MatchExpressions {
		rp := path.Child("matchExpressions").Index(j)
		switch rq.Operator {
		case corev1.NodeSelectorOpIn, corev1.NodeSelectorOpNotIn:
			if len(rq.Values) == 0 {
				c.add(field.Required(rp.Child("values"), "must be specified when `operator` is 'In' or 'NotIn'"),
					"list the label values to match, or use operator Exists or DoesNotExist")
			}
		case corev1.NodeSelectorOpExists, corev1.NodeSelectorOpDoesNotExist:
			if len(rq.Values) > 0 {
				c.add(field.Forbidden(rp.Child("values"), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"),
					"remove values, or use operator In or NotIn")
			}
		case corev1.NodeSelectorOpGt, corev1.NodeSelectorOpLt:
			if len(rq.Values) != 1 {
				c.add(field.Required(rp.Child("values"), "must be specified single value when `operator` is 'Lt' or 'Gt'"),
					"give exactly one integer value to compare the label with")
			}
		}
		for _, e := range metav1validation.ValidateLabelName(rq.Key, rp.Child("key")) {
			c.add(e, labelKeyHint)
		}
		if strictValues {
			for k, v := range rq.Values {
				for _, msg := range validation.IsValidLabelValue(v) {
					c.add(field.Invalid(rp.Child("values").Index(k), v, msg), "a required term matches label values: at most 63 letters, digits, '-', '_' or '.'")
				}
			}
		}
	}
	for j, rq := range term.MatchFields {
		rp := path.Child("matchFields").Index(j)
		switch rq.Operator {
		case corev1.NodeSelectorOpIn, corev1.NodeSelectorOpNotIn:
			if len(rq.Values) != 1 {
				c.add(field.Required(rp.Child("values"), "must be only one value when `operator` is 'In' or 'NotIn' for node field selector"),
					"give exactly one node name")
			}
		default:
			c.add(field.Invalid(rp.Child("operator"), rq.Operator, "not a valid selector operator"), "matchFields takes operator In or NotIn")
		}
		if rq.Key != metav1.ObjectNameField {
			c.add(field.Invalid(rp.Child("key"), rq.Key, "not a valid field selector key"), "matchFields selects by metadata.name only; select by labels with matchExpressions")
			continue
		}
		for k, v := range rq.Values {
			for _, msg := range apimachineryvalidation.NameIsDNSSubdomain(v, false) {
				c.add(field.Invalid(rp.Child("values").Index(k), v, msg), "a node name is a DNS subdomain")
			}
		}
	}
}

// podAffinityTerm checks one pod (anti-)affinity term.
func (c *checker) podAffinityTerm(term *corev1.PodAffinityTerm, path *field.Path) {
	c.selector(term.LabelSelector, path.Child("labelSelector"))
	c.selector(term.NamespaceSelector, path.Child("namespaceSelector"))
	for _, ns := range term.Namespaces {
		for _, msg := range apimachineryvalidation.ValidateNamespaceName(ns, false) {
			// The API server names the field "namespace".
			c.add(field.Invalid(path.Child("namespace"), ns, msg), "namespaces lists namespace names: DNS labels")
		}
	}
	if c.on("MatchLabelKeysInPodAffinity") {
		c.affinityLabelKeys(term, path)
	}
	if term.TopologyKey == "" {
		c.add(field.Required(path.Child("topologyKey"), "can not be empty"),
			"set topologyKey to the node label that groups nodes, such as kubernetes.io/hostname or topology.kubernetes.io/zone; "+affinityHint)
		return
	}
	for _, e := range metav1validation.ValidateLabelName(term.TopologyKey, path.Child("topologyKey")) {
		c.add(e, labelKeyHint)
	}
}

// affinityLabelKeys checks a pod affinity term's matchLabelKeys and
// mismatchLabelKeys.
func (c *checker) affinityLabelKeys(term *corev1.PodAffinityTerm, path *field.Path) {
	c.labelKeys(term.MatchLabelKeys, term.LabelSelector, path.Child("matchLabelKeys"))
	c.labelKeys(term.MismatchLabelKeys, term.LabelSelector, path.Child("mismatchLabelKeys"))
	c.mergedKeysInSelector(term.MatchLabelKeys, term.MismatchLabelKeys, term.LabelSelector, path.Child("matchLabelKeys"))
	mismatch := map[string]bool{}
	for _, k := range term.MismatchLabelKeys {
		mismatch[k] = true
	}
	for i, k := range term.MatchLabelKeys {
		if mismatch[k] {
			c.add(field.Invalid(path.Child("matchLabelKeys").Index(i), k, "exists in both matchLabelKeys and mismatchLabelKeys"),
				"name a label key in matchLabelKeys or in mismatchLabelKeys, not in both")
		}
	}
}

// labelKeys checks matchLabelKeys or mismatchLabelKeys: label names, and
// only beside a labelSelector, which they extend.
func (c *checker) labelKeys(keys []string, sel *metav1.LabelSelector, p *field.Path) {
	if len(keys) == 0 {
		return
	}
	if sel == nil {
		c.add(field.Forbidden(p, "must not be specified when labelSelector is not set"), "add a labelSelector, which these keys narrow, or remove them")
		return
	}
	for i, k := range keys {
		for _, e := range metav1validation.ValidateLabelName(k, p.Index(i)) {
			c.add(e, labelKeyHint)
		}
	}
}

// topologySpread checks topology spread constraints.
func (c *checker) topologySpread(cs []corev1.TopologySpreadConstraint, path *field.Path) {
	for i, tsc := range cs {
		p := path.Index(i)
		if tsc.MaxSkew <= 0 {
			c.add(field.Invalid(p.Child("maxSkew"), tsc.MaxSkew, "must be greater than zero"), "set maxSkew to 1 or more; "+spreadHint)
		}
		if tsc.TopologyKey == "" {
			c.add(field.Required(p.Child("topologyKey"), "can not be empty"),
				"set topologyKey to the node label that defines the domains, such as topology.kubernetes.io/zone")
		}
		for _, later := range cs[i+1:] {
			if later.TopologyKey == tsc.TopologyKey && later.WhenUnsatisfiable == tsc.WhenUnsatisfiable {
				c.add(field.Duplicate(p.Child("{topologyKey, whenUnsatisfiable}"), fmt.Sprintf("{%v, %v}", tsc.TopologyKey, tsc.WhenUnsatisfiable)),
					"merge the constraints with the same topologyKey and whenUnsatisfiable into one")
				break
			}
		}
		if m := tsc.MinDomains; m != nil {
			if *m <= 0 {
				c.add(field.Invalid(p.Child("minDomains"), *m, "must be greater than zero"), "set minDomains to 1 or more, or leave it out")
			}
			if tsc.WhenUnsatisfiable != corev1.DoNotSchedule {
				c.add(field.Invalid(p.Child("minDomains"), *m, fmt.Sprintf("can only use minDomains if whenUnsatisfiable=%s, not %s", corev1.DoNotSchedule, tsc.WhenUnsatisfiable)),
					"remove minDomains, or use whenUnsatisfiable: DoNotSchedule")
			}
		}
		c.labelKeys(tsc.MatchLabelKeys, tsc.LabelSelector, p.Child("matchLabelKeys"))
		c.spreadKeysInSelector(&tsc, p.Child("matchLabelKeys"))
		c.selector(tsc.LabelSelector, p.Child("labelSelector"))
	}
}

// tolerations checks a pod's tolerations. The operators Lt and Gt need
// an alpha gate, off by default in every release kiln knows, so they are
// refused as the API server refuses them.
func (c *checker) tolerations(ts []corev1.Toleration, path *field.Path) {
	for i, t := range ts {
		p := path.Index(i)
		if t.Key != "" {
			for _, e := range metav1validation.ValidateLabelName(t.Key, p.Child("key")) {
				c.add(e, labelKeyHint)
			}
		} else if t.Operator != corev1.TolerationOpExists {
			c.add(field.Invalid(p.Child("operator"), t.Operator, "operator must be Exists when `key` is empty, which means \"match all values and all keys\""),
				"name the taint's key, or use operator: Exists to tolerate every taint; "+tolerationHint)
		}
		if t.TolerationSeconds != nil && t.Effect != corev1.TaintEffectNoExecute {
			c.add(field.Invalid(p.Child("effect"), t.Effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"),
				"tolerationSeconds applies to NoExecute taints only: set effect: NoExecute or remove tolerationSeconds")
		}
		switch t.Operator {
		case corev1.TolerationOpEqual, "":
			for _, msg := range validation.IsValidLabelValue(t.Value) {
				// The API server puts this at "operator".
				c.add(field.Invalid(p.Child("operator"), t.Value, msg), "a toleration's value is a taint value: at most 63 letters, digits, '-', '_' or '.'")
			}
		case corev1.TolerationOpExists:
			if t.Value != "" {
				c.add(field.Invalid(p.Child("operator"), t.Value, "value must be empty when `operator` is 'Exists'"), "remove value, or use operator: Equal")
			}
		case "Lt", "Gt":
			// TaintTolerationComparisonOperators is alpha in 1.37: off by
			// default, so the API server refuses the operators.
			c.add(field.NotSupported(p.Child("operator"), t.Operator, []corev1.TolerationOperator{corev1.TolerationOpEqual, corev1.TolerationOpExists, "Lt", "Gt"}),
				"Lt and Gt are an alpha feature (TaintTolerationComparisonOperators) that clusters refuse unless they turn it on: use Equal or Exists")
		}
	}
}

// probes checks a container's probes and lifecycle hooks (grace is the
// pod's grace period, which bounds a hook's sleep): an init container
// has none unless it is a sidecar (restartPolicy: Always); a liveness or
// startup probe succeeds once (successThreshold 1, the default), a
// readiness probe has no grace period of its own, and every count is 0
// or more. Counts left at 0 are the API server's defaults.
func (c *checker) probes(ctr *corev1.Container, cp *field.Path, runs bool, grace int64) {
	probes := []struct {
		key string
		p   *corev1.Probe
	}{{"livenessProbe", ctr.LivenessProbe}, {"readinessProbe", ctr.ReadinessProbe}, {"startupProbe", ctr.StartupProbe}}
	if !runs {
		const msg = "may not be set for init containers without restartPolicy=Always"
		hint := "an init container runs to completion before the others start: remove it, or make it a sidecar with restartPolicy: Always"
		if ctr.RestartPolicy != nil && *ctr.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			hint = "sidecars are on by default from Kubernetes " + GateSince("SidecarContainers") + " (SidecarContainers): before, the API server drops restartPolicy: Always and refuses the sidecar's probes and hooks; set kubeVersion to the cluster's if it is that or later"
		}
		if ctr.Lifecycle != nil {
			c.add(field.Forbidden(cp.Child("lifecycle"), msg), hint)
		}
		for _, pr := range probes {
			if pr.p != nil {
				c.add(field.Forbidden(cp.Child(pr.key), msg), hint)
			}
		}
		return
	}
	if ctr.Lifecycle != nil {
		c.lifecycle(ctr.Lifecycle, grace, cp.Child("lifecycle"))
	}
	for _, pr := range probes {
		p := pr.p
		if p == nil {
			continue
		}
		pp := cp.Child(pr.key)
		c.probe(p, pp)
		c.nonNegative(int64(p.InitialDelaySeconds), pp.Child("initialDelaySeconds"))
		c.nonNegative(int64(p.TimeoutSeconds), pp.Child("timeoutSeconds"))
		c.nonNegative(int64(p.PeriodSeconds), pp.Child("periodSeconds"))
		c.nonNegative(int64(p.SuccessThreshold), pp.Child("successThreshold"))
		c.nonNegative(int64(p.FailureThreshold), pp.Child("failureThreshold"))
		if g := p.TerminationGracePeriodSeconds; g != nil {
			if pr.key == "readinessProbe" {
				c.add(field.Invalid(pp.Child("terminationGracePeriodSeconds"), *g, "must not be set for readinessProbes"),
					"a readiness probe never restarts the container: remove terminationGracePeriodSeconds")
			} else if *g <= 0 {
				c.add(field.Invalid(pp.Child("terminationGracePeriodSeconds"), *g, "must be greater than 0"), "give the probe's grace period in seconds, 1 or more, or leave it out")
			}
		}
		if pr.key != "readinessProbe" && p.SuccessThreshold != 0 && p.SuccessThreshold != 1 {
			c.add(field.Invalid(pp.Child("successThreshold"), p.SuccessThreshold, "must be 1"),
				"a "+pr.key+" counts one success: remove successThreshold or set it to 1 (only a readiness probe may ask for more)")
		}
	}
}

// hostPorts checks that no two containers of the pod claim the same host
// port (protocol, host IP and port); init containers run one at a time,
// so each is checked on its own. On the host's network the API server
// first makes each hostPort left out its containerPort
// (defaultHostNetworkPorts): always in a Pod, and in a pod template only
// while DefaultHostNetworkHostPortsInPodTemplates was on by default,
// before 1.28 (from then on a template's pods get it when they are
// created, and the template is accepted as written).
func (c *checker) hostPorts(ps *corev1.PodSpec, path *field.Path) {
	defaulted := ps.HostNetwork && (c.bare || !c.since(1, 28))
	seen := map[string]bool{}
	check := func(ctr *corev1.Container, cp *field.Path) {
		for j, p := range ctr.Ports {
			port, hint := p.HostPort, "two containers of a pod cannot listen on the same host port: give each its own"
			if port == 0 && defaulted {
				port, hint = p.ContainerPort, fmt.Sprintf("with hostNetwork: true the container listens on port %d of the node, as another port of the pod does: give each its own containerPort, or list the port once", p.ContainerPort)
			}
			if port == 0 {
				continue
			}
			protocol := p.Protocol
			if protocol == "" {
				protocol = corev1.ProtocolTCP
			}
			k := fmt.Sprintf("%s/%s/%d", protocol, p.HostIP, port)
			if seen[k] {
				c.add(field.Duplicate(cp.Child("ports").Index(j).Child("hostPort"), k), hint)
			}
			seen[k] = true
		}
	}
	for i := range ps.Containers {
		check(&ps.Containers[i], path.Child("containers").Index(i))
	}
	for i := range ps.InitContainers {
		clear(seen)
		check(&ps.InitContainers[i], path.Child("initContainers").Index(i))
	}
}

// hostnameOverrideRules checks a pod's hostnameOverride (from 1.35,
// HostnameOverride), as validatePodHostName: not with setHostnameAsFQDN
// or hostNetwork, at most 64 characters, a DNS subdomain.
func (c *checker) hostnameOverrideRules(ps *corev1.PodSpec, p *field.Path) {
	if !c.on("HostnameOverride") || ps.HostnameOverride == nil {
		return
	}
	if ps.SetHostnameAsFQDN != nil && *ps.SetHostnameAsFQDN {
		c.add(field.Forbidden(p, "may not be specified when setHostnameAsFQDN is true"), "keep hostnameOverride or setHostnameAsFQDN, not both")
	}
	if ps.HostNetwork {
		c.add(field.Forbidden(p, "may not be specified when hostNetwork is true"), "a pod on the host's network has the node's hostname: remove hostnameOverride, or hostNetwork")
	}
	const maxLen = 64
	h := *ps.HostnameOverride
	if len(h) > maxLen {
		c.add(field.TooLong(p, "", maxLen), "a hostname is at most 64 characters")
	}
	for _, msg := range validation.IsDNS1123Subdomain(h) {
		c.add(field.Invalid(p, h, msg), "a hostname is a DNS subdomain: lowercase letters, digits, '-' and '.'")
	}
}

// spreadKeysInSelector refuses a topology spread constraint's matchLabelKeys
// key that its labelSelector names too. Before 1.34 the API server refused
// any such key (ValidateMatchLabelKeysInTopologySpread): a chart's
// matchLabelKeys: [app] beside labelSelector: {matchLabels: {app: web}}
// passed kiln and was refused on apply. From 1.34
// (MatchLabelKeysInPodTopologySpreadSelectorMerge) it merges each key a
// new Pod has among its labels into the selector as a requirement, after
// the selector's own, and refuses a key that the selector's expressions
// name after its matchLabels or an earlier expression did
// (ValidateMatchLabelKeysAndMismatchLabelKeys): a Pod's key in both is
// still refused, a pod template's (which nothing merges into) is not.
// Before 1.27 the API server drops matchLabelKeys unread.
func (c *checker) spreadKeysInSelector(tsc *corev1.TopologySpreadConstraint, p *field.Path) {
	sel := tsc.LabelSelector
	if sel == nil || len(tsc.MatchLabelKeys) == 0 || !c.on("MatchLabelKeysInPodTopologySpread") {
		return
	}
	const msg = "exists in both matchLabelKeys and labelSelector"
	const hint = "a key of matchLabelKeys takes its value from each pod's own labels: remove it from labelSelector, or from matchLabelKeys"
	if !c.on("MatchLabelKeysInPodTopologySpreadSelectorMerge") {
		for i, k := range tsc.MatchLabelKeys {
			_, inLabels := sel.MatchLabels[k]
			inExpressions := slices.ContainsFunc(sel.MatchExpressions, func(r metav1.LabelSelectorRequirement) bool { return r.Key == k })
			if inLabels || inExpressions {
				c.add(field.Invalid(p.Index(i), k, msg), hint)
			}
		}
		return
	}
	c.mergedKeysInSelector(tsc.MatchLabelKeys, nil, sel, p)
}

// mergedKeysInSelector refuses a matchLabelKeys key that a selector names
// twice once the API server has merged a new Pod's values for the keys
// into it (ValidateMatchLabelKeysAndMismatchLabelKeys): the Pod's values
// for match and mismatch keys come after the selector's own
// requirements, and a key of match named by a requirement after the
// selector's matchLabels or an earlier requirement is refused. Only a
// Pod is merged; a pod template's selector is checked as written.
func (c *checker) mergedKeysInSelector(match, mismatch []string, sel *metav1.LabelSelector, p *field.Path) {
	if sel == nil || len(match) == 0 {
		return
	}
	position := map[string]int{}
	for i, k := range match {
		position[k] = i
	}
	keys := slices.Collect(maps.Keys(sel.MatchLabels))
	for _, r := range sel.MatchExpressions {
		keys = append(keys, r.Key)
	}
	if c.bare {
		for _, k := range slices.Concat(match, mismatch) {
			if _, ok := c.podLabels[k]; ok {
				keys = append(keys, k)
			}
		}
	}
	seen := map[string]bool{}
	for j, k := range keys {
		if i, ok := position[k]; ok && seen[k] && j >= len(sel.MatchLabels) {
			c.add(field.Invalid(p.Index(i), k, "exists in both matchLabelKeys and labelSelector"),
				"a key of matchLabelKeys takes its value from each pod's own labels: remove it from labelSelector, or from matchLabelKeys")
		}
		seen[k] = true
	}
}
