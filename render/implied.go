package render

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/render/internal/graph"
	"github.com/kiln-gitops/kiln/render/internal/scope"
)

// impliedEdge is an order between two apps that objects imply: app from
// must come after app to, for a reason an object of each gives.
type impliedEdge struct {
	from, to string
	// why says which object of from needs which object of to.
	why string
	// kind is "crd", "namespace" or "healthCheck".
	kind string
}

// appEdge is an ordered pair of apps.
type appEdge struct{ from, to string }

// impliedEdges returns the orders the env's objects imply between apps,
// the first object of each pair giving the reason: an app using a kind
// whose CRD another app defines comes after it (an error without
// dependsOn), one putting objects into a namespace another app creates
// comes after it (a warning without dependsOn), and one whose
// flux.healthChecks names an object of another app's output is Ready
// only once that app has applied it.
func (r *Renderer) impliedEdges(res *envconfig.Resolved, runs []*appRun, scopes *scope.Scopes, owners, crdAt, nsAt map[string]owner) []impliedEdge {
	var out []impliedEdge
	seen := map[appEdge]bool{}
	add := func(e impliedEdge) {
		if e.from == e.to || seen[appEdge{e.from, e.to}] {
			return
		}
		seen[appEdge{e.from, e.to}] = true
		out = append(out, e)
	}
	for _, run := range runs {
		app := run.app.Name
		for _, o := range run.objs {
			n := o.Node
			if def, ok := crdAt[group(n.GetApiVersion())+"/"+n.GetKind()]; ok {
				add(impliedEdge{from: app, to: def.app, kind: "crd",
					why: fmt.Sprintf("%s needs %s: %s%s uses kind %s, whose CustomResourceDefinition app %s defines%s",
						app, def.app, objRef(o), at(o), n.GetKind(), def.app, at(def.obj))})
			}
			if ns := appliedNamespace(scopes, n); ns != "" && !r.alwaysThere(ns) {
				if def, ok := nsAt[ns]; ok {
					add(impliedEdge{from: app, to: def.app, kind: "namespace",
						why: fmt.Sprintf("%s needs %s: %s%s lives in namespace %s, which app %s creates%s",
							app, def.app, objRef(o), at(o), ns, def.app, at(def.obj))})
				}
			}
		}
	}
	eachHealthCheckOwner(res, scopes, owners, func(a envconfig.ResolvedApp, i int, hc envconfig.HealthCheck, o owner) {
		add(impliedEdge{from: a.Name, to: o.app, kind: "healthCheck",
			why: fmt.Sprintf("%s needs %s: its flux.healthChecks[%d] (%s:%d) waits for %s, which app %s applies%s",
				a.Name, o.app, i, cmp.Or(hc.File, r.configFile()), hc.Line, objRef(o.obj), o.app, at(o.obj))})
	})
	return out
}

// maxImpliedCycles bounds how many cycles are reported, one per tangle of
// apps: past a few, more do not help anyone untangle them.
const maxImpliedCycles = 20

// impliedCycles refuses orders that objects imply and no dependsOn can
// satisfy: a cycle in the graph of dependsOn and the implied edges
// (impliedEdges), which holds one of those at least (graph.New reports
// a cycle of dependsOn alone). App A defining the CRD that app B's
// objects use, while B creates the namespace A's objects live in, asks
// for B after A and A after B: adding the dependsOn each check asks for
// would make a cycle Flux waits on forever, and leaving one out leaves
// an app that fails until the other happens to be applied. Each cycle of
// apps (a strongly connected component) is reported once, as the
// shortest cycle through its first implied edge, every edge named with
// the objects or the dependsOn entry behind it. A cycle of one
// health-check edge and dependsOn (some of which objects may imply too)
// is healthCheckCycles' to report. The
// returned pairs are the implied edges of the reported cycles, whose
// missing dependsOn is then not asked for. Linear in apps plus edges
// (Tarjan's components, one breadth-first search per component).
//
// Only a cycle that holds a dependsOn entry or a CRD's order is an error.
// One made of nothing but namespace and health-check orders (binding
// false) is a warning, an error under --strict: no dependsOn can order
// its apps, but Flux converges without one, since kustomize-controller
// applies a Kustomization's Namespaces (and CRDs) before its other
// objects (fluxcd/pkg ssa ApplyAllStaged) even when the rest then fails,
// and a health check waits for another app's object without holding up
// that app's apply: each app's retry succeeds once the other has been
// applied. Without dependsOn only the CRD order is an error (the
// missing-dependsOn check), the namespace order a warning; a cycle of
// those is no worse.
func (r *Renderer) impliedCycles(res *envconfig.Resolved, edges []impliedEdge, g *graph.Graph) ([]error, []diag.Warning, map[appEdge]bool) {
	if len(edges) == 0 {
		return nil, nil, nil
	}
	names := make([]string, len(res.Apps))
	index := make(map[string]int, len(res.Apps))
	for i, a := range res.Apps {
		names[i] = a.Name
		index[a.Name] = i
	}
	adj := make([][]int, len(names))
	deps := make([]map[int]graph.Dep, len(names))
	implied := make([]map[int]impliedEdge, len(names))
	for i, name := range names {
		deps[i] = map[int]graph.Dep{}
		implied[i] = map[int]impliedEdge{}
		for _, d := range g.Deps(name) {
			if j, ok := index[d.Name]; ok {
				deps[i][j] = d
				adj[i] = append(adj[i], j)
			}
		}
	}
	for _, e := range edges {
		i, ok1 := index[e.from]
		j, ok2 := index[e.to]
		if !ok1 || !ok2 {
			continue
		}
		if _, ok := implied[i][j]; !ok {
			implied[i][j] = e
			if _, dep := deps[i][j]; !dep {
				adj[i] = append(adj[i], j)
			}
		}
	}
	for i := range adj {
		slices.SortFunc(adj[i], func(a, b int) int { return strings.Compare(names[a], names[b]) })
	}

	comp := graph.Components(adj)
	// binding: the component holds a dependsOn entry or a CRD's order
	// between two of its apps.
	binding := map[int]bool{}
	for i := range names {
		for j := range deps[i] {
			if comp[j] == comp[i] {
				binding[comp[i]] = true
			}
		}
		for j, e := range implied[i] {
			if comp[j] == comp[i] && e.kind == "crd" {
				binding[comp[i]] = true
			}
		}
	}
	var errs []error
	var warns []diag.Warning
	onCycle := map[appEdge]bool{}
	done := map[int]bool{}
	// The first implied edge of each component, in the order found.
	for _, e := range edges {
		if len(errs) >= maxImpliedCycles {
			break
		}
		i, j := index[e.from], index[e.to]
		c := comp[i]
		if comp[j] != c || done[c] {
			continue
		}
		done[c] = true
		// The shortest way back from j to i, inside the component: the
		// cycle i, j, ..., i.
		path := append([]int{i}, graph.ShortestPath(adj, j, i, func(w int) bool { return comp[w] == c })...)
		var why []string
		var impliedHere, unbacked []impliedEdge
		for k := 0; k+1 < len(path); k++ {
			a, b := path[k], path[k+1]
			d, dep := deps[a][b]
			if ie, ok := implied[a][b]; ok {
				impliedHere = append(impliedHere, ie)
				if dep {
					ie.why += fmt.Sprintf(" (and dependsOn at %s:%d)", d.In(r.configFile()), d.Line)
				} else {
					unbacked = append(unbacked, ie)
				}
				why = append(why, ie.why)
				continue
			}
			why = append(why, fmt.Sprintf("%s depends on %s (dependsOn at %s:%d)", names[a], names[b], d.In(r.configFile()), d.Line))
		}
		if len(unbacked) == 1 && unbacked[0].kind == "healthCheck" {
			continue
		}
		for _, ie := range impliedHere {
			onCycle[appEdge{ie.from, ie.to}] = true
		}
		cycle := make([]string, len(path))
		for k, v := range path {
			cycle[k] = names[v]
		}
		first := res.Apps[i]
		if !binding[c] {
			warns = append(warns, diag.Warning{File: r.configFile(), Line: first.Line, App: first.Name,
				Msg: fmt.Sprintf("dependency cycle that objects imply: %s; no dependsOn can order these apps: %s; Flux converges only by retrying, each app failing or unready until the other has been applied",
					strings.Join(cycle, " -> "), strings.Join(why, "; ")),
				Hint: "move the Namespace behind one of these orders into the app that needs it, or into an app both depend on, or move the objects that need it, or remove a flux.healthChecks entry of the cycle; " +
					"do not add a dependsOn for these orders: it would make a cycle Flux waits on forever"})
			continue
		}
		errs = append(errs, &diag.Error{File: r.configFile(), Line: first.Line, App: first.Name,
			Msg: fmt.Sprintf("dependency cycle that objects imply: %s; these orders cannot all hold: %s",
				strings.Join(cycle, " -> "), strings.Join(why, "; ")),
			Hint: "move the CustomResourceDefinition or Namespace behind one of these orders into the app that needs it, or into an app both depend on, " +
				"or move the objects that need it; a dependsOn entry or flux.healthChecks entry in the cycle can be removed instead"})
	}
	return errs, warns, onCycle
}
