package scope

import (
	"context"
	"fmt"
	"sync"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"sigs.k8s.io/kustomize/kyaml/openapi"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/builtinkinds"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/templates"
	"github.com/kiln-gitops/kiln/templates/kustomize"
)

// Scopes tells namespaced kinds from cluster-scoped ones. It is safe for
// concurrent use.
type Scopes struct {
	mu sync.RWMutex
	// crds maps group and kind of custom resources to whether they are
	// namespaced, and to the CRD that said so.
	crds map[groupKind]crdScope
	// quoted holds quotedNamespace's answers: namespace string -> bool.
	quoted sync.Map
}

type groupKind struct{ group, kind string }

type crdScope struct {
	namespaced bool
	obj        templates.Object
}

// New returns Scopes that know the built-in kinds.
func New() *Scopes {
	return &Scopes{crds: map[groupKind]crdScope{}}
}

// AddCRDs learns the scope of custom kinds from the CustomResourceDefinitions
// among objs (other objects are ignored), so that objects of those kinds
// rendered by any app of the environment are scoped right. Two CRDs that
// disagree on a kind's scope, or a scope other than Namespaced or Cluster,
// are errors.
func (s *Scopes) AddCRDs(objs []templates.Object) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for _, o := range objs {
		if o.Node == nil || o.Node.GetKind() != "CustomResourceDefinition" {
			continue
		}
		group := schema.FromAPIVersionAndKind(o.Node.GetApiVersion(), "").Group
		if group != "apiextensions.k8s.io" {
			continue
		}
		at := func(msg, hint string) error {
			return &diag.Error{File: o.File, Line: o.Line, Object: objectOf(o.Node), Msg: msg, Hint: hint}
		}
		g := stringAt(o.Node, "spec", "group")
		kind := stringAt(o.Node, "spec", "names", "kind")
		sc := stringAt(o.Node, "spec", "scope")
		if g == "" || kind == "" {
			errs = append(errs, at("CustomResourceDefinition has no spec.group or spec.names.kind", "set spec.group and spec.names.kind"))
			continue
		}
		var namespaced bool
		switch sc {
		case "Namespaced":
			namespaced = true
		case "Cluster":
		default:
			errs = append(errs, at(fmt.Sprintf("CustomResourceDefinition spec.scope is %q", sc), `set spec.scope to "Namespaced" or "Cluster"`))
			continue
		}
		k := groupKind{g, kind}
		if old, ok := s.crds[k]; ok && old.namespaced != namespaced {
			errs = append(errs, at(
				fmt.Sprintf("CustomResourceDefinition says %s.%s is %s, but %s (%s) says %s", kind, g, sc, objectOf(old.obj.Node), where(old.obj), scopeName(old.namespaced)),
				"define each custom resource once"))
			continue
		}
		s.crds[k] = crdScope{namespaced: namespaced, obj: o}
	}
	return diag.Join(errs...)
}

// Namespaced reports whether objects of apiVersion and kind live in a
// namespace. Custom kinds learnt by AddCRDs come first (a CRD can only
// define a group that is not built in); unknown kinds count as namespaced.
func (s *Scopes) Namespaced(apiVersion, kind string) bool {
	namespaced, _ := s.lookup(apiVersion, kind)
	return namespaced
}

// Known reports whether the scope of apiVersion and kind is known (a
// built-in kind, or one a CRD given to AddCRDs defines) rather than
// assumed namespaced.
func (s *Scopes) Known(apiVersion, kind string) bool {
	_, known := s.lookup(apiVersion, kind)
	return known
}

func (s *Scopes) lookup(apiVersion, kind string) (namespaced, known bool) {
	group := schema.FromAPIVersionAndKind(apiVersion, "").Group
	s.mu.RLock()
	c, ok := s.crds[groupKind{group, kind}]
	s.mu.RUnlock()
	if ok {
		return c.namespaced, true
	}
	if namespaced, ok := builtinkinds.Namespaced(group, kind); ok {
		return namespaced, true
	}
	// Kinds of other API servers (apiextensions.k8s.io, the aggregator's
	// apiregistration.k8s.io) and of removed versions: kyaml's table.
	// kyaml parses its schema lazily into globals that a kustomization
	// with openapi: rewrites (kubernetes-sigs/kustomize#4824, #5805);
	// kustomize.Shared is kiln's one guard of them. A scope lookup needs
	// no parsed schema (kustomize.Unparsed).
	var found bool
	_ = kustomize.Unparsed(context.Background(), func() error {
		namespaced, found = openapi.IsNamespaceScoped(kyaml.TypeMeta{APIVersion: apiVersion, Kind: kind})
		return nil
	})
	return !found || namespaced, found
}

// SetDefault sets metadata.namespace to namespace on every namespaced
// object that has none, and returns the indexes of those objects in objs.
// Cluster-scoped objects, and objects with a namespace, are left as they
// are.
func (s *Scopes) SetDefault(objs []templates.Object, namespace string) []int {
	if namespace == "" {
		return nil
	}
	var set []int
	quoted := s.quotedNamespace(namespace)
	for i, o := range objs {
		if o.Node == nil || o.Node.GetNamespace() != "" {
			continue
		}
		if !s.Namespaced(o.Node.GetApiVersion(), o.Node.GetKind()) {
			continue
		}
		set = append(set, i)
		if appendNamespace(o.Node, namespace, quoted) {
			continue
		}
		// SetNamespace only fails on a metadata that is not a mapping,
		// which the engines have already refused.
		_ = o.Node.SetNamespace(namespace)
	}
	return set
}

// quotedNamespace is kyaml.IsValueNonString(ns), remembered for the
// env's Scopes. kyaml quotes a value that YAML 1.1 would read as no
// string ("yes", "1"), and decides so with a YAML parse each time: once
// per app and env, that parse was 2 % of a re-render of the fleet with
// one app changed. An env has as many answers as distinct namespaces.
func (s *Scopes) quotedNamespace(ns string) bool {
	if q, ok := s.quoted.Load(ns); ok {
		return q.(bool)
	}
	q := kyaml.IsValueNonString(ns)
	s.quoted.Store(ns, q)
	return q
}

// appendNamespace sets metadata.namespace to ns on n as n.SetNamespace(ns)
// does, node for node, in the one case every object that reaches it is
// in: a mapping whose metadata is a mapping without a namespace key. It
// reports false, having changed nothing, for any other shape, which
// SetNamespace then handles. quoted is kyaml.IsValueNonString(ns).
//
// SetNamespace was about 4 % of a re-render of the fleet with one app
// changed, almost all of it kyaml parsing ns as YAML 1.1 again for every
// object to decide its quoting. TestAppendNamespaceAsSetNamespace
// compares the two on objects of every shape.
func appendNamespace(n *kyaml.RNode, ns string, quoted bool) bool {
	obj := n.YNode()
	if !plainMapping(obj) {
		return false
	}
	var meta *kyaml.Node
	for i := 0; i < len(obj.Content); i += 2 {
		if obj.Content[i].Value == kyaml.MetadataField {
			meta = obj.Content[i+1]
			break
		}
	}
	if !plainMapping(meta) {
		return false
	}
	for i := 0; i < len(meta.Content); i += 2 {
		if meta.Content[i].Value == kyaml.NamespaceField {
			return false
		}
	}
	value := &kyaml.Node{Kind: kyaml.ScalarNode, Value: ns}
	if quoted {
		value.Style = kyaml.DoubleQuotedStyle
	}
	meta.Content = append(meta.Content, &kyaml.Node{Kind: kyaml.ScalarNode, Value: kyaml.NamespaceField}, value)
	return true
}

// plainMapping reports whether n is a mapping kyaml's field lookups walk
// as appendNamespace does: not null-tagged, an even number of non-nil
// nodes, scalar keys, no merge key.
func plainMapping(n *kyaml.Node) bool {
	if n == nil || n.Kind != kyaml.MappingNode || (n.Tag != "" && n.Tag != kyaml.NodeTagMap) || len(n.Content)%2 != 0 {
		return false
	}
	for i := 0; i < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k == nil || v == nil || k.Kind != kyaml.ScalarNode || k.Value == "<<" || k.Tag == kyaml.MergeTag {
			return false
		}
	}
	return true
}

func stringAt(n *kyaml.RNode, path ...string) string {
	f, err := n.Pipe(kyaml.Lookup(path...))
	if err != nil || f == nil || f.YNode().Kind != kyaml.ScalarNode {
		return ""
	}
	return f.YNode().Value
}

func scopeName(namespaced bool) string {
	if namespaced {
		return "Namespaced"
	}
	return "Cluster"
}

func where(o templates.Object) string {
	if o.Line > 0 {
		return fmt.Sprintf("%s:%d", o.File, o.Line)
	}
	return o.File
}

func objectOf(n *kyaml.RNode) diag.Object {
	return diag.Object{Kind: n.GetKind(), Namespace: n.GetNamespace(), Name: n.GetName()}
}
