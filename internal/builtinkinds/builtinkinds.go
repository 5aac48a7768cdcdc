// Package builtinkinds knows the kinds k8s.io/api defines a client for:
// their scope (namespaced or cluster-wide) and the verbs their clients
// offer. Config reading (kiln init's scan) and rendering both need the
// scope of a built-in kind, from the Kubernetes kiln pins rather than
// kyaml's older table, whose globals a kustomize build may rewrite.
package builtinkinds

import (
	_ "embed"
	"slices"
	"strings"
	"sync"
)

// builtinTable lists every kind k8s.io/api defines a client for, with its
// scope, as "group/Kind namespaced" or "group/Kind cluster" (the core
// group is ""): read from the +genclient:nonNamespaced markers of the
// k8s.io/api sources go.mod pins (TestBuiltinScopesMatchAPI checks it
// against them; -update writes it). A kind's scope is the same in every
// version of its group. A third field, when there is one, is the marker
// that restricts the verbs of the kind's client (+genclient:onlyVerbs=create,
// +genclient:noVerbs), the same in every version too.
//
// kyaml's own table, which kiln read alone before, is of an older
// Kubernetes and by exact version: autoscaling/v2 HorizontalPodAutoscaler,
// flowcontrol.apiserver.k8s.io/v1, resource.k8s.io/v1 and other kinds
// counted as unknown, so kiln warned about them and gave cluster-scoped
// ones (a DeviceClass, a PriorityLevelConfiguration) a namespace.
//
//go:embed builtin.txt
var builtinTable string

// builtinKind is what builtinTable says of a kind.
type builtinKind struct {
	namespaced bool
	verbs      string // the client's verb marker ("onlyVerbs=create", "noVerbs"), "" for all verbs
}

// builtinKinds parses builtinTable once.
// groupKind is a kind and its API group ("" for the core group).
type groupKind struct{ group, kind string }

var builtinKinds = sync.OnceValue(func() map[groupKind]builtinKind {
	m := map[groupKind]builtinKind{}
	for line := range strings.Lines(builtinTable) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		group, kind, _ := strings.Cut(f[0], "/")
		k := builtinKind{namespaced: len(f) > 1 && f[1] == "namespaced"}
		if len(f) > 2 {
			k.verbs = f[2]
		}
		m[groupKind{group, kind}] = k
	}
	return m
})

// Builtin reports whether group and kind are a kind k8s.io/api defines a
// client for: a resource one writes, not a subresource's or an internal
// type (Scale, RangeAllocation).
func Builtin(group, kind string) bool {
	_, ok := builtinKinds()[groupKind{group, kind}]
	return ok
}

// ClientOffers reports whether the client k8s.io/api generates for group
// and kind has verb ("get", "create", "patch"): a review's client only
// creates (the API server answers and keeps nothing), and policy's
// Eviction's has no verb at all (it is posted to a pod's eviction
// subresource). False for a kind with no client (Builtin is false).
func ClientOffers(group, kind, verb string) bool {
	k, ok := builtinKinds()[groupKind{group, kind}]
	if !ok {
		return false
	}
	marker, list, _ := strings.Cut(k.verbs, "=")
	switch marker {
	case "":
		return true
	case "onlyVerbs":
		return slices.Contains(strings.Split(list, ","), verb)
	case "skipVerbs":
		return !slices.Contains(strings.Split(list, ","), verb)
	}
	return false // noVerbs
}

// Namespaced reports whether objects of the built-in kind of group and
// kind live in a namespace, and whether it is one (Builtin).
func Namespaced(group, kind string) (namespaced, known bool) {
	k, known := builtinKinds()[groupKind{group, kind}]
	return k.namespaced, known
}
