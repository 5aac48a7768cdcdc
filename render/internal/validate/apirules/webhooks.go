package apirules

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/kiln-gitops/kiln/internal/redact"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The rules of k8s.io/kubernetes v1.37
// pkg/apis/admissionregistration/validation (and the webhook URL and
// service rules of k8s.io/apiserver pkg/util/webhook, which kiln does not
// import: that package links the API server's network proxy and tracing
// clients) for the webhook configurations charts install beside their
// operators. A configuration the API server refuses leaves the operator
// running without its webhook; one it accepts with a broken client
// config fails every request it matches, cluster-wide when
// failurePolicy is Fail. The schema checks the enums (operations,
// failurePolicy; sideEffects but for v1's narrower set); matchConditions' CEL is compiled with the
// API server's own admission compiler (cel.go).

// webhook is what the two kinds of admission webhook share.
type webhook struct {
	name              string
	rules             []admissionregistrationv1.RuleWithOperations
	timeoutSeconds    *int32
	namespaceSelector *metav1.LabelSelector
	objectSelector    *metav1.LabelSelector
	clientConfig      admissionregistrationv1.WebhookClientConfig
	reviewVersions    []string
	matchConditions   []admissionregistrationv1.MatchCondition
	sideEffects       *admissionregistrationv1.SideEffectClass
}

const webhookHint = "see https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/"

// acceptedReviewVersions are the AdmissionReview versions the API server
// can send.
var acceptedReviewVersions = []string{"v1", "v1beta1"}

func validatingWebhooks(hooks []admissionregistrationv1.ValidatingWebhook) []webhook {
	out := make([]webhook, len(hooks))
	for i, h := range hooks {
		out[i] = webhook{h.Name, h.Rules, h.TimeoutSeconds, h.NamespaceSelector, h.ObjectSelector, h.ClientConfig, h.AdmissionReviewVersions, h.MatchConditions, h.SideEffects}
	}
	return out
}

func mutatingWebhooks(hooks []admissionregistrationv1.MutatingWebhook) []webhook {
	out := make([]webhook, len(hooks))
	for i, h := range hooks {
		out[i] = webhook{h.Name, h.Rules, h.TimeoutSeconds, h.NamespaceSelector, h.ObjectSelector, h.ClientConfig, h.AdmissionReviewVersions, h.MatchConditions, h.SideEffects}
	}
	return out
}

// webhooks checks the webhooks of a configuration: each on its own, and
// their names unique.
func (c *checker) webhooks(hooks []webhook) {
	seen := map[string]bool{}
	for i := range hooks {
		p := field.NewPath("webhooks").Index(i)
		c.webhook(&hooks[i], p)
		if n := hooks[i].name; n != "" {
			if seen[n] {
				c.add(field.Duplicate(p.Child("name"), n), "give each webhook of the configuration its own name")
			}
			seen[n] = true
		}
	}
}

func (c *checker) webhook(h *webhook, p *field.Path) {
	for _, e := range validation.IsFullyQualifiedName(p.Child("name"), h.name) {
		c.add(e, "a webhook's name is a domain of at least three parts, such as validate.example.com; "+webhookHint)
	}
	for i := range h.rules {
		c.webhookRule(&h.rules[i], p.Child("rules").Index(i))
	}
	if t := h.timeoutSeconds; t != nil && (*t < 1 || *t > 30) {
		c.add(field.Invalid(p.Child("timeoutSeconds"), *t, "the timeout value must be between 1 and 30 seconds"), "set timeoutSeconds from 1 to 30, or leave it out for 10")
	}
	c.selector(h.namespaceSelector, p.Child("namespaceSelector"))
	c.selector(h.objectSelector, p.Child("objectSelector"))
	c.clientConfig(&h.clientConfig, p.Child("clientConfig"))
	c.reviewVersions(h.reviewVersions, p.Child("admissionReviewVersions"))
	// validateValidatingWebhook and validateMutatingWebhook, with
	// requireNoSideEffects for v1: None or NoneOnDryRun. The schema's enum
	// has v1beta1's Some and Unknown too, and leaves "" to this rule; it
	// refuses any other value itself, and requires the field.
	if se := h.sideEffects; se != nil {
		switch *se {
		case "", admissionregistrationv1.SideEffectClassSome, admissionregistrationv1.SideEffectClassUnknown:
			c.add(field.NotSupported(p.Child("sideEffects"), *se, []string{"None", "NoneOnDryRun"}),
				"set sideEffects: None, or NoneOnDryRun for a webhook with side effects it skips on dry runs: admissionregistration.k8s.io/v1 refuses Some and Unknown")
		}
	}

	c.matchConditions(h.matchConditions, p.Child("matchConditions"), "a webhook", func(expr string, p *field.Path) {
		if c.on("AdmissionWebhookMatchConditions") {
			c.matchConditionExpression(expr, p)
		}
	})
}

// matchConditions is validateMatchConditions, for a webhook's or a
// policy's (who, in hints): at most 64, each with an expression, which
// compile compiles, and a name, a qualified name, once.
func (c *checker) matchConditions(conds []admissionregistrationv1.MatchCondition, mp *field.Path, who string, compile func(expr string, p *field.Path)) {
	if len(conds) > 64 {
		c.add(field.TooMany(mp, len(conds), 64), who+" has at most 64 match conditions")
	}
	names := map[string]bool{}
	for i, m := range conds {
		ip := mp.Index(i)
		if expr := strings.TrimSpace(m.Expression); expr == "" {
			c.add(field.Required(ip.Child("expression"), ""), "give the condition a CEL expression")
		} else {
			compile(expr, ip.Child("expression"))
		}
		if m.Name == "" {
			c.add(field.Required(ip.Child("name"), ""), "name the condition")
			continue
		}
		for _, msg := range validation.IsQualifiedName(m.Name) {
			c.add(field.Invalid(ip.Child("name"), m.Name, msg), "a condition's name has the form of a label key")
		}
		if names[m.Name] {
			c.add(field.Duplicate(ip.Child("name"), m.Name), "give each match condition its own name")
		}
		names[m.Name] = true
	}
}

// webhookRule checks one rule: operations, groups, versions and resources
// given, and a wildcard alone in its list.
func (c *checker) webhookRule(r *admissionregistrationv1.RuleWithOperations, p *field.Path) {
	ops := make([]string, len(r.Operations))
	for i, o := range r.Operations {
		ops[i] = string(o)
	}
	lists := []struct {
		key    string
		values []string
		what   string
	}{
		{"operations", ops, "operations"},
		{"apiGroups", r.APIGroups, "API groups"},
		{"apiVersions", r.APIVersions, "API versions"},
	}
	for _, l := range lists {
		if len(l.values) == 0 {
			c.add(field.Required(p.Child(l.key), ""), "list the "+l.what+" the webhook intercepts, or '*' for all")
		}
		if len(l.values) > 1 && slices.Contains(l.values, "*") {
			c.add(field.Invalid(p.Child(l.key), l.values, "if '*' is present, must not specify other "+l.what),
				"'*' already means every one of them: keep it alone, or list them without it")
		}
	}
	for i, v := range r.APIVersions {
		if v == "" {
			c.add(field.Required(p.Child("apiVersions").Index(i), ""), "remove the empty API version")
		}
	}
	c.webhookResources(r.Resources, p.Child("resources"))
}

// webhookResources checks a rule's resources, with subresources and
// wildcards.
func (c *checker) webhookResources(resources []string, p *field.Path) {
	const hint = "list resources such as pods or pods/status; '*' and '*/*' stand alone"
	if len(resources) == 0 {
		c.add(field.Required(p, ""), hint)
	}
	wildSub := map[string]bool{} // x/*
	wildRes := map[string]bool{} // */x
	doubleWild, singleWild, plain := false, false, false
	for i, rs := range resources {
		switch rs {
		case "":
			c.add(field.Required(p.Index(i), ""), hint)
			continue
		case "*/*":
			doubleWild = true
		case "*":
			singleWild = true
		}
		res, sub, ok := strings.Cut(rs, "/")
		if !ok {
			// The API server keeps only the last resource's answer.
			plain = rs != "*"
			continue
		}
		if wildSub[res] {
			c.add(field.Invalid(p.Index(i), rs, fmt.Sprintf("if '%s/*' is present, must not specify %s", res, rs)), hint)
		}
		if wildRes[sub] {
			c.add(field.Invalid(p.Index(i), rs, fmt.Sprintf("if '*/%s' is present, must not specify %s", sub, rs)), hint)
		}
		if sub == "*" {
			wildSub[res] = true
		}
		if res == "*" {
			wildRes[sub] = true
		}
	}
	if len(resources) > 1 && doubleWild {
		c.add(field.Invalid(p, resources, "if '*/*' is present, must not specify other resources"), hint)
	}
	if singleWild && plain {
		c.add(field.Invalid(p, resources, "if '*' is present, must not specify other resources without subresources"), hint)
	}
}

// clientConfig checks how the API server reaches the webhook: exactly one
// of an https URL and an in-cluster Service.
func (c *checker) clientConfig(cc *admissionregistrationv1.WebhookClientConfig, p *field.Path) {
	const form = "; desired format: https://host[/path]"
	switch {
	case (cc.URL == nil) == (cc.Service == nil):
		c.add(field.Required(p, "exactly one of url or service is required"), "point the webhook at a Service in the cluster (service:) or at an https URL (url:), not both")
	case cc.URL != nil:
		up := p.Child("url")
		u, err := url.Parse(*cc.URL)
		if err != nil {
			c.add(field.Required(up, "url must be a valid URL: "+redact.URLProblem(err)+form),
				"fix the URL; a password does not belong in it (escape \"#\", \"?\" and \"/\" in any user part)")
			return
		}
		if u.Scheme != "https" {
			c.add(field.Invalid(up, u.Scheme, "'https' is the only allowed URL scheme"+form), "the API server calls webhooks over https only")
		}
		if u.Host == "" {
			c.add(field.Invalid(up, u.Host, "host must be specified"+form), "name the webhook's host")
		}
		if u.User != nil {
			// The user information may hold a password: not shown.
			c.add(field.Invalid(up, "<user information redacted>", "user information is not permitted in the URL"),
				"remove the user name and password from the URL; the API server authenticates to webhooks with its kubeconfig")
		}
		// The fragment and query are not quoted: a query may hold a
		// token, and a password's "#" or "?" makes the rest of it one
		// ("https://admin:12#34@host" has host "admin:12").
		if u.Fragment != "" {
			c.add(field.Invalid(up, "<fragment redacted>", "fragments are not permitted in the URL"), "remove the #fragment")
		}
		if u.RawQuery != "" {
			c.add(field.Invalid(up, "<query redacted>", "query parameters are not permitted in the URL"), "remove the ?query")
		}
	default:
		s := cc.Service
		sp := p.Child("service")
		if s.Name == "" {
			c.add(field.Required(sp.Child("name"), ""), "name the webhook's Service")
		}
		if s.Namespace == "" {
			c.add(field.Required(sp.Child("namespace"), ""), "give the Service's namespace: a webhook configuration has none of its own")
		}
		if s.Port != nil {
			if errs := validation.IsValidPortNum(int(*s.Port)); errs != nil {
				c.add(field.Invalid(sp.Child("port"), *s.Port, "port is not valid: "+strings.Join(errs, ", ")), "use a port from 1 to 65535, or leave it out for 443")
			}
		}
		if s.Path != nil {
			c.webhookPath(*s.Path, sp.Child("path"))
		}
	}
}

// webhookPath checks a Service's URL path: '/' and segments that are
// DNS subdomains.
func (c *checker) webhookPath(path string, p *field.Path) {
	const hint = "a webhook path is '/' and segments of lowercase letters, digits, '-' and '.', such as /validate-v1-pod"
	if path == "/" || path == "" {
		return
	}
	if path == "//" {
		c.add(field.Invalid(p, path, "segment[0] may not be empty"), hint)
		return
	}
	if !strings.HasPrefix(path, "/") {
		c.add(field.Invalid(p, path, "must start with a '/'"), hint)
	}
	rest := strings.TrimSuffix(path[1:], "/")
	for i, step := range strings.Split(rest, "/") {
		if step == "" {
			c.add(field.Invalid(p, path, fmt.Sprintf("segment[%d] may not be empty", i)), hint)
			continue
		}
		for _, msg := range validation.IsDNS1123Subdomain(step) {
			c.add(field.Invalid(p, path, fmt.Sprintf("segment[%d]: %v", i, msg)), hint)
		}
	}
}

// reviewVersions checks admissionReviewVersions: given, unique, and one
// the API server can send.
func (c *checker) reviewVersions(versions []string, p *field.Path) {
	const hint = "list the AdmissionReview versions the webhook understands, such as [v1]"
	if len(versions) == 0 {
		c.add(field.Required(p, "must specify one of "+strings.Join(acceptedReviewVersions, ", ")), hint)
		return
	}
	seen := map[string]bool{}
	accepted := false
	for i, v := range versions {
		if seen[v] {
			c.add(field.Invalid(p.Index(i), v, "duplicate version"), hint)
			continue
		}
		seen[v] = true
		for _, msg := range validation.IsDNS1035Label(v) {
			c.add(field.Invalid(p.Index(i), v, msg), hint)
		}
		accepted = accepted || slices.Contains(acceptedReviewVersions, v)
	}
	if !accepted {
		c.add(field.Invalid(p, versions, "must include at least one of "+strings.Join(acceptedReviewVersions, ", ")), hint)
	}
}
