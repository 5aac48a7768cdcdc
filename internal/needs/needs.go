// Package needs finds the objects another object cannot work without:
// the ConfigMaps, Secrets, ServiceAccount, PriorityClass and RuntimeClass
// a workload's pod template names, the Service an admission webhook, an
// aggregated API or a CRD's conversion webhook calls, the Role a binding
// grants and the Service an Ingress or a Gateway API route sends requests
// to. promote uses it to warn when a promotion deletes one of them while
// an object the env keeps still names it. kiln renders do not check such
// references, since an operator or a controller may make what a template
// names.
package needs

import (
	"fmt"
	"strings"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// Ref is one object that another needs.
type Ref struct {
	Group, Kind string // "" for the core group
	Namespace   string // "" for a cluster-scoped kind
	Name        string
	Field       string // where the other object names it: spec.template.spec.volumes[0].configMap.name
	Effect      string // what breaks without it, for a message
}

// Key is how Refs and the objects they name are matched: API group,
// Kind, namespace and name.
func (r Ref) Key() string { return Key(r.Group, r.Kind, r.Namespace, r.Name) }

// Key is Ref.Key for an object.
func Key(group, kind, namespace, name string) string {
	return group + "\x00" + kind + "\x00" + namespace + "\x00" + name
}

// Needed reports whether objects of group and kind may be needed by
// others (Of may name them), so that callers look for users of those only.
func Needed(group, kind string) bool { return needed[group+"\x00"+kind] }

var needed = map[string]bool{
	"\x00ConfigMap":                            true,
	"\x00Secret":                               true,
	"\x00ServiceAccount":                       true,
	"\x00Service":                              true,
	"scheduling.k8s.io\x00PriorityClass":       true,
	"node.k8s.io\x00RuntimeClass":              true,
	"rbac.authorization.k8s.io\x00Role":        true,
	"rbac.authorization.k8s.io\x00ClusterRole": true,
}

// What breaks, by how the object is named.
const (
	podStart   = "pods created after the merge (a rollout, a restart, a rescheduled pod) cannot start, as a container whose volume or environment needs it does not"
	podPull    = "pods created after the merge (a rollout, a restart, a rescheduled pod) cannot pull images from the registry it holds credentials for"
	podRefused = "the API server refuses to create pods that name it, so pods created after the merge (a rollout, a restart, a rescheduled pod) fail"
	webhook    = "the API server cannot call the webhook, and under failurePolicy Fail (the default) refuses every request the webhook matches"
	webhookIgn = "the API server cannot call the webhook and skips it (failurePolicy Ignore)"
	apiService = "the API it serves becomes unavailable, which also stalls the deletion of namespaces"
	conversion = "the API server cannot convert the custom resources between versions, so reading or writing them in another version fails"
	binding    = "the binding grants nothing, so its subjects lose what the role allowed them"
	ingress    = "requests the Ingress routes to it fail"
	route      = "requests the route sends to it fail (its share of them, when the rule splits traffic)"
)

// podSpecs is where each workload kind keeps its pod spec, by API group
// and kind: Pod itself, and the kinds whose controllers create pods from it.
var podSpecs = map[string][]string{
	"\x00Pod":                   {"spec"},
	"\x00PodTemplate":           {"template", "spec"},
	"\x00ReplicationController": {"spec", "template", "spec"},
	"apps\x00Deployment":        {"spec", "template", "spec"},
	"apps\x00ReplicaSet":        {"spec", "template", "spec"},
	"apps\x00DaemonSet":         {"spec", "template", "spec"},
	"apps\x00StatefulSet":       {"spec", "template", "spec"},
	"batch\x00Job":              {"spec", "template", "spec"},
	"batch\x00CronJob":          {"spec", "jobTemplate", "spec", "template", "spec"},
}

// Reads reports whether Of reads objects of group and kind (may find
// that they need something), so that callers parse only those.
func Reads(group, kind string) bool {
	_, pod := podSpecs[group+"\x00"+kind]
	return pod || readers[group+"\x00"+kind]
}

var readers = map[string]bool{
	"admissionregistration.k8s.io\x00ValidatingWebhookConfiguration": true,
	"admissionregistration.k8s.io\x00MutatingWebhookConfiguration":   true,
	"apiextensions.k8s.io\x00CustomResourceDefinition":               true,
	"apiregistration.k8s.io\x00APIService":                           true,
	"rbac.authorization.k8s.io\x00RoleBinding":                       true,
	"rbac.authorization.k8s.io\x00ClusterRoleBinding":                true,
	"networking.k8s.io\x00Ingress":                                   true,
	"gateway.networking.k8s.io\x00HTTPRoute":                         true,
	"gateway.networking.k8s.io\x00GRPCRoute":                         true,
	"gateway.networking.k8s.io\x00TLSRoute":                          true,
	"gateway.networking.k8s.io\x00TCPRoute":                          true,
	"gateway.networking.k8s.io\x00UDPRoute":                          true,
}

func groupOf(apiVersion string) string {
	group, _, ok := strings.Cut(apiVersion, "/")
	if !ok {
		return "" // the core group: "v1"
	}
	return group
}

// Of returns what obj needs, in field order. A pod's reference marked
// `optional: true` is left out (the pod starts without it), and so is the
// ServiceAccount "default", which Kubernetes makes in every namespace and
// makes again when it is deleted.
func Of(obj *kyaml.Node) []Ref {
	if obj == nil || obj.Kind != kyaml.MappingNode {
		return nil
	}
	group, kind := groupOf(scalar(obj, "apiVersion")), scalar(obj, "kind")
	w := walker{ns: scalar(lookup(obj, "metadata"), "namespace")}
	if path, ok := podSpecs[group+"\x00"+kind]; ok {
		w.pod(lookup(obj, path...), strings.Join(path, "."))
		return w.refs
	}
	switch group + "\x00" + kind {
	case "admissionregistration.k8s.io\x00ValidatingWebhookConfiguration", "admissionregistration.k8s.io\x00MutatingWebhookConfiguration":
		for i, h := range items(obj, "webhooks") {
			effect := webhook
			if scalar(h, "failurePolicy") == "Ignore" {
				effect = webhookIgn
			}
			w.service(lookup(h, "clientConfig", "service"), fmt.Sprintf("webhooks[%d].clientConfig.service", i), effect)
		}
	case "apiextensions.k8s.io\x00CustomResourceDefinition":
		w.service(lookup(obj, "spec", "conversion", "webhook", "clientConfig", "service"), "spec.conversion.webhook.clientConfig.service", conversion)
	case "apiregistration.k8s.io\x00APIService":
		w.service(lookup(obj, "spec", "service"), "spec.service", apiService)
	case "rbac.authorization.k8s.io\x00RoleBinding", "rbac.authorization.k8s.io\x00ClusterRoleBinding":
		ref := lookup(obj, "roleRef")
		ns := ""
		switch rk := scalar(ref, "kind"); {
		case rk == "Role" && kind == "RoleBinding":
			ns = w.ns
		case rk != "ClusterRole":
			return nil
		}
		if g := scalar(ref, "apiGroup"); g == "rbac.authorization.k8s.io" {
			w.add(Ref{Group: g, Kind: scalar(ref, "kind"), Namespace: ns, Name: scalar(ref, "name"), Field: "roleRef.name", Effect: binding})
		}
	case "networking.k8s.io\x00Ingress":
		w.backend(lookup(obj, "spec", "defaultBackend"), "spec.defaultBackend")
		for i, r := range items(lookup(obj, "spec"), "rules") {
			for j, p := range items(lookup(r, "http"), "paths") {
				w.backend(lookup(p, "backend"), fmt.Sprintf("spec.rules[%d].http.paths[%d].backend", i, j))
			}
		}
	case "gateway.networking.k8s.io\x00HTTPRoute", "gateway.networking.k8s.io\x00GRPCRoute", "gateway.networking.k8s.io\x00TLSRoute",
		"gateway.networking.k8s.io\x00TCPRoute", "gateway.networking.k8s.io\x00UDPRoute":
		for i, r := range items(lookup(obj, "spec"), "rules") {
			for j, b := range items(r, "backendRefs") {
				// A Service unless the reference names another kind; in the
				// route's namespace unless it names one (a ReferenceGrant
				// allows that).
				if scalar(b, "group") != "" || (scalar(b, "kind") != "" && scalar(b, "kind") != "Service") {
					continue
				}
				ns := scalar(b, "namespace")
				if ns == "" {
					ns = w.ns
				}
				w.add(Ref{Kind: "Service", Namespace: ns, Name: scalar(b, "name"), Field: fmt.Sprintf("spec.rules[%d].backendRefs[%d].name", i, j), Effect: route})
			}
		}
	}
	return w.refs
}

type walker struct {
	ns   string // the object's namespace
	refs []Ref
}

func (w *walker) add(r Ref) {
	if r.Name != "" {
		w.refs = append(w.refs, r)
	}
}

// pod adds what the pod spec at at needs.
func (w *walker) pod(spec *kyaml.Node, at string) {
	if spec == nil || spec.Kind != kyaml.MappingNode {
		return
	}
	named := func(group, kind, name, field, effect string) {
		ns := w.ns
		if group != "" {
			ns = "" // PriorityClass and RuntimeClass are cluster-scoped
		}
		w.add(Ref{Group: group, Kind: kind, Namespace: ns, Name: name, Field: at + "." + field, Effect: effect})
	}
	sa, field := scalar(spec, "serviceAccountName"), "serviceAccountName"
	if sa == "" {
		// Deprecated, and read by the API server only when
		// serviceAccountName is not set.
		sa, field = scalar(spec, "serviceAccount"), "serviceAccount"
	}
	if sa != "default" {
		named("", "ServiceAccount", sa, field, podRefused)
	}
	named("scheduling.k8s.io", "PriorityClass", scalar(spec, "priorityClassName"), "priorityClassName", podRefused)
	named("node.k8s.io", "RuntimeClass", scalar(spec, "runtimeClassName"), "runtimeClassName", podRefused)
	for i, s := range items(spec, "imagePullSecrets") {
		named("", "Secret", scalar(s, "name"), fmt.Sprintf("imagePullSecrets[%d].name", i), podPull)
	}
	// source adds the ConfigMap or Secret a volume or env source names,
	// unless it is optional.
	source := func(src *kyaml.Node, kind, nameKey, field string) {
		if src != nil && src.Kind == kyaml.MappingNode && scalar(src, "optional") != "true" {
			named("", kind, scalar(src, nameKey), field+"."+nameKey, podStart)
		}
	}
	for i, v := range items(spec, "volumes") {
		vol := fmt.Sprintf("volumes[%d]", i)
		source(lookup(v, "configMap"), "ConfigMap", "name", vol+".configMap")
		source(lookup(v, "secret"), "Secret", "secretName", vol+".secret")
		for j, s := range items(lookup(v, "projected"), "sources") {
			src := fmt.Sprintf("%s.projected.sources[%d]", vol, j)
			source(lookup(s, "configMap"), "ConfigMap", "name", src+".configMap")
			source(lookup(s, "secret"), "Secret", "name", src+".secret")
		}
	}
	for _, list := range []string{"initContainers", "containers", "ephemeralContainers"} {
		for i, c := range items(spec, list) {
			ctr := fmt.Sprintf("%s[%d]", list, i)
			for j, e := range items(c, "envFrom") {
				from := fmt.Sprintf("%s.envFrom[%d]", ctr, j)
				source(lookup(e, "configMapRef"), "ConfigMap", "name", from+".configMapRef")
				source(lookup(e, "secretRef"), "Secret", "name", from+".secretRef")
			}
			for j, e := range items(c, "env") {
				from := fmt.Sprintf("%s.env[%d].valueFrom", ctr, j)
				vf := lookup(e, "valueFrom")
				source(lookup(vf, "configMapKeyRef"), "ConfigMap", "name", from+".configMapKeyRef")
				source(lookup(vf, "secretKeyRef"), "Secret", "name", from+".secretKeyRef")
			}
		}
	}
}

// service adds the Service a webhook or API service reference names, in
// the namespace it names.
func (w *walker) service(ref *kyaml.Node, field, effect string) {
	w.add(Ref{Kind: "Service", Namespace: scalar(ref, "namespace"), Name: scalar(ref, "name"), Field: field + ".name", Effect: effect})
}

// backend adds the Service an Ingress backend names, in the Ingress's
// namespace.
func (w *walker) backend(b *kyaml.Node, field string) {
	w.add(Ref{Kind: "Service", Namespace: w.ns, Name: scalar(lookup(b, "service"), "name"), Field: field + ".service.name", Effect: ingress})
}

func lookup(n *kyaml.Node, path ...string) *kyaml.Node {
	for _, key := range path {
		if n == nil || n.Kind != kyaml.MappingNode {
			return nil
		}
		var next *kyaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				next = n.Content[i+1]
				break
			}
		}
		n = next
	}
	return n
}

// scalar is the string at key in n, "" when it is missing or not a
// scalar.
func scalar(n *kyaml.Node, key string) string {
	v := lookup(n, key)
	if v == nil || v.Kind != kyaml.ScalarNode || v.Tag == "!!null" {
		return ""
	}
	return v.Value
}

func items(n *kyaml.Node, key string) []*kyaml.Node {
	v := lookup(n, key)
	if v == nil || v.Kind != kyaml.SequenceNode {
		return nil
	}
	return v.Content
}
