package scope

import (
	_ "embed"
	"strings"
	"sync"
)

// builtinTable lists every kind k8s.io/api defines a client for, with its
// scope, as "group/Kind namespaced" or "group/Kind cluster" (the core
// group is ""): read from the +genclient:nonNamespaced markers of the
// k8s.io/api sources go.mod pins (TestBuiltinScopesMatchAPI checks it
// against them; -update writes it). A kind's scope is the same in every
// version of its group.
//
// kyaml's own table, which kiln read alone before, is of an older
// Kubernetes and by exact version: autoscaling/v2 HorizontalPodAutoscaler,
// flowcontrol.apiserver.k8s.io/v1, resource.k8s.io/v1 and other kinds
// counted as unknown, so kiln warned about them and gave cluster-scoped
// ones (a DeviceClass, a PriorityLevelConfiguration) a namespace.
//
//go:embed builtin.txt
var builtinTable string

// builtinScopes parses builtinTable once: group and kind to namespaced.
var builtinScopes = sync.OnceValue(func() map[groupKind]bool {
	m := map[groupKind]bool{}
	for line := range strings.Lines(builtinTable) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		gk, scope, _ := strings.Cut(line, " ")
		group, kind, _ := strings.Cut(gk, "/")
		m[groupKind{group, kind}] = scope == "namespaced"
	}
	return m
})

// Builtin reports whether group and kind are a kind k8s.io/api defines a
// client for: a resource one writes, not a subresource's or an internal
// type (Scale, RangeAllocation).
func Builtin(group, kind string) bool {
	_, ok := builtinScopes()[groupKind{group, kind}]
	return ok
}
