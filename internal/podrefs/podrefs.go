// Package podrefs finds the objects a workload's pods cannot start
// without: the ConfigMaps, Secrets and ServiceAccount its pod template
// names. promote uses it to warn when a promotion deletes one of them
// while an object the env keeps still names it; kiln renders do not check
// references, since an operator or a controller may create what a
// template names.
package podrefs

import (
	"fmt"
	"strings"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// Ref is one object a pod template names, in the workload's namespace.
type Ref struct {
	Kind  string // ConfigMap, Secret or ServiceAccount (all core v1)
	Name  string
	Field string // where the workload names it: spec.template.spec.volumes[0].configMap.name
}

// Key is how Refs and the objects they name are matched: Kind, namespace
// and name.
func Key(kind, namespace, name string) string {
	return kind + "\x00" + namespace + "\x00" + name
}

// podSpecs is where each workload kind keeps its pod spec, by API group
// and kind: Pod itself, and the kinds whose controllers create pods from it.
var podSpecs = map[string][]string{
	"/Pod":                   {"spec"},
	"/PodTemplate":           {"template", "spec"},
	"/ReplicationController": {"spec", "template", "spec"},
	"apps/Deployment":        {"spec", "template", "spec"},
	"apps/ReplicaSet":        {"spec", "template", "spec"},
	"apps/DaemonSet":         {"spec", "template", "spec"},
	"apps/StatefulSet":       {"spec", "template", "spec"},
	"batch/Job":              {"spec", "template", "spec"},
	"batch/CronJob":          {"spec", "jobTemplate", "spec", "template", "spec"},
}

func groupOf(apiVersion string) string {
	group, _, ok := strings.Cut(apiVersion, "/")
	if !ok {
		return "" // the core group: "v1"
	}
	return group
}

// Refs returns what obj's pods need, in field order. A reference marked
// `optional: true` is left out (the pod starts without it), and so is the
// ServiceAccount "default", which Kubernetes makes in every namespace and
// makes again when it is deleted.
func Refs(obj *kyaml.Node) []Ref {
	if obj == nil || obj.Kind != kyaml.MappingNode {
		return nil
	}
	path, ok := podSpecs[groupOf(scalar(obj, "apiVersion"))+"/"+scalar(obj, "kind")]
	if !ok {
		return nil
	}
	spec := lookup(obj, path...)
	if spec == nil || spec.Kind != kyaml.MappingNode {
		return nil
	}
	w := walker{at: strings.Join(path, ".")}
	sa := scalar(spec, "serviceAccountName")
	field := "serviceAccountName"
	if sa == "" {
		// Deprecated, and read by the API server only when
		// serviceAccountName is not set.
		sa, field = scalar(spec, "serviceAccount"), "serviceAccount"
	}
	if sa != "" && sa != "default" {
		w.add("ServiceAccount", sa, field)
	}
	for i, s := range items(spec, "imagePullSecrets") {
		w.add("Secret", scalar(s, "name"), fmt.Sprintf("imagePullSecrets[%d].name", i))
	}
	for i, v := range items(spec, "volumes") {
		at := fmt.Sprintf("volumes[%d]", i)
		w.source(lookup(v, "configMap"), "ConfigMap", "name", at+".configMap")
		w.source(lookup(v, "secret"), "Secret", "secretName", at+".secret")
		for j, s := range items(lookup(v, "projected"), "sources") {
			src := fmt.Sprintf("%s.projected.sources[%d]", at, j)
			w.source(lookup(s, "configMap"), "ConfigMap", "name", src+".configMap")
			w.source(lookup(s, "secret"), "Secret", "name", src+".secret")
		}
	}
	for _, list := range []string{"initContainers", "containers", "ephemeralContainers"} {
		for i, c := range items(spec, list) {
			at := fmt.Sprintf("%s[%d]", list, i)
			for j, e := range items(c, "envFrom") {
				from := fmt.Sprintf("%s.envFrom[%d]", at, j)
				w.source(lookup(e, "configMapRef"), "ConfigMap", "name", from+".configMapRef")
				w.source(lookup(e, "secretRef"), "Secret", "name", from+".secretRef")
			}
			for j, e := range items(c, "env") {
				from := fmt.Sprintf("%s.env[%d].valueFrom", at, j)
				vf := lookup(e, "valueFrom")
				w.source(lookup(vf, "configMapKeyRef"), "ConfigMap", "name", from+".configMapKeyRef")
				w.source(lookup(vf, "secretKeyRef"), "Secret", "name", from+".secretKeyRef")
			}
		}
	}
	return w.refs
}

type walker struct {
	at   string
	refs []Ref
}

func (w *walker) add(kind, name, field string) {
	if name == "" {
		return
	}
	w.refs = append(w.refs, Ref{Kind: kind, Name: name, Field: w.at + "." + field})
}

// source adds the object a volume or env source names, unless it is
// optional.
func (w *walker) source(src *kyaml.Node, kind, nameKey, at string) {
	if src == nil || src.Kind != kyaml.MappingNode || scalar(src, "optional") == "true" {
		return
	}
	w.add(kind, scalar(src, nameKey), at+"."+nameKey)
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
