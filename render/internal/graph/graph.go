// Package graph checks an environment's app dependency graph and orders it
// into deploy waves.
//
// Flux blocks silently on a missing dependency or a cycle, so kiln finds
// them at render time: dependsOn naming no app (with the closest name), an
// app disabled in the env, and every cycle, printed as a path. Checks run in
// time linear in apps plus edges (Tarjan's strongly connected components).
// It knows nothing of objects: see package render for object-level checks.
package graph

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/kiln-gitops/kiln/internal/diag"
)

// App is one node: an app and the names of the apps it depends on.
// External ("namespace/name") dependencies are not passed in.
type App struct {
	Name string
	Deps []Dep
	Line int
}

// Dep is one dependsOn entry.
type Dep struct {
	Name string
	Line int
	// File is where the entry is written, when not kiln.yaml: an env
	// file's override of dependsOn. "" is the file New is given.
	File string
	// As is the entry as kiln.yaml writes it, when that is not Name (a
	// "namespace/name" naming the app's Kustomization); "" otherwise.
	As string
}

// in returns the file the entry is written in: its own, else file.
func (d Dep) in(file string) string {
	if d.File != "" {
		return d.File
	}
	return file
}

// written is the entry as kiln.yaml writes it.
func (d Dep) written() string {
	if d.As != "" {
		return d.As
	}
	return d.Name
}

// kustomizationOf names the Kustomization two entries for one app both
// name, from the one written as namespace/name.
func kustomizationOf(a, b Dep) string {
	as := a.As
	if as == "" {
		as = b.As
	}
	if _, name, ok := strings.Cut(as, "/"); ok {
		return name
	}
	return a.Name
}

// Graph is a checked dependency graph.
type Graph struct {
	apps  []App
	index map[string]int
	adj   [][]int // known dependencies of each app, sorted by name
	rev   [][]int // apps that depend on each app directly
}

// New checks apps and builds the graph. file is kiln.yaml's path for
// messages; disabled names apps that exist in kiln.yaml but are disabled in
// env. Every problem is reported, sorted.
func New(apps []App, disabled []string, env, file string) (*Graph, error) {
	g := &Graph{apps: apps, index: make(map[string]int, len(apps))}
	for i, a := range apps {
		g.index[a.Name] = i
	}
	off := make(map[string]bool, len(disabled))
	for _, d := range disabled {
		off[d] = true
	}
	names := make([]string, 0, len(apps)+len(disabled))
	for _, a := range apps {
		names = append(names, a.Name)
	}
	names = append(names, disabled...)

	g.adj = make([][]int, len(apps))
	for i := range apps {
		var out []int
		for _, d := range apps[i].Deps {
			if j, ok := g.index[d.Name]; ok {
				out = append(out, j)
			}
		}
		sort.Slice(out, func(a, b int) bool { return apps[out[a]].Name < apps[out[b]].Name })
		g.adj[i] = out
	}
	g.rev = make([][]int, len(apps))
	for i, out := range g.adj {
		for _, j := range out {
			g.rev[j] = append(g.rev[j], i)
		}
	}

	var errs []error
	for _, a := range apps {
		// kiln.yaml refuses an entry written twice; an app written once
		// by name and once as its Kustomization's namespace/name is the
		// same dependency to Flux, and would be listed twice.
		seen := make(map[string]Dep, len(a.Deps))
		for _, d := range a.Deps {
			if first, dup := seen[d.Name]; dup {
				errs = append(errs, &diag.Error{File: d.in(file), Line: d.Line, App: a.Name,
					Msg:  fmt.Sprintf("dependsOn %q names app %s, which is listed already (as %q at line %d)", d.written(), d.Name, first.written(), first.Line),
					Hint: "remove one of them: both are Flux Kustomization " + kustomizationOf(first, d)})
				continue
			}
			seen[d.Name] = d
			if _, ok := g.index[d.Name]; ok {
				continue
			}
			e := &diag.Error{File: d.in(file), Line: d.Line, App: a.Name}
			if off[d.Name] {
				e.Msg = fmt.Sprintf("dependsOn %q: app %s is disabled in env %s", d.written(), d.Name, env)
				e.Hint = fmt.Sprintf("enable %s in env %s or drop the dependency there with an override of dependsOn", d.Name, env)
			} else {
				e.Msg = fmt.Sprintf("dependsOn %q: no such app", d.written())
				// Never the app itself: following that hint would
				// make a self-dependency, which Flux waits on forever.
				others := slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == a.Name })
				if c := diag.Closest(d.Name, others); c != "" {
					e.Msg += fmt.Sprintf(" (did you mean %q?)", c)
				}
				e.Hint = "name an app of kiln.yaml, or write namespace/name for a Flux Kustomization kiln does not manage"
			}
			errs = append(errs, e)
		}
	}
	for _, cyc := range g.cycles() {
		first := g.apps[g.index[cyc[0]]]
		where, line := file, first.Line
		for _, d := range first.Deps {
			if d.Name == cyc[1] {
				where, line = d.in(file), d.Line
			}
		}
		errs = append(errs, &diag.Error{
			File: where, Line: line, App: cyc[0],
			Msg:  "dependency cycle: " + strings.Join(cyc, " -> "),
			Hint: "Flux waits forever on a cycle: remove one of these dependsOn entries",
		})
	}
	if err := diag.Join(errs...); err != nil {
		return nil, err
	}
	return g, nil
}

// deps returns the indexes of app i's known dependencies, sorted by name.
func (g *Graph) deps(i int) []int { return g.adj[i] }

// maxCycles bounds how many cycles are reported: past a few, more paths
// through the same tangle do not help anyone untangle it.
const maxCycles = 50

// cycles returns the distinct dependency cycles: for every edge inside a
// strongly connected component, the shortest cycle through that edge.
func (g *Graph) cycles() [][]string {
	return CyclesThrough(g.adj, func(v int) string { return g.apps[v].Name }, nil)
}

// CyclesThrough returns the distinct cycles of adj that pass through an
// edge through accepts (every edge when through is nil): for each such
// edge inside a strongly connected component, the shortest cycle through
// it, as names. Each starts at its smallest name and is closed by
// repeating it; at most maxCycles are returned, sorted. Finding the
// components is linear; the per-edge search only runs when there is a
// cycle to report.
func CyclesThrough(adj [][]int, name func(int) string, through func(v, w int) bool) [][]string {
	var comps [][]int
	for v, c := range Components(adj) {
		for len(comps) <= c {
			comps = append(comps, nil)
		}
		comps[c] = append(comps[c], v)
	}

	seen := map[string]bool{}
	var out [][]string
	for _, comp := range comps {
		if len(comp) == 1 && !slices.Contains(adj[comp[0]], comp[0]) {
			continue
		}
		in := map[int]bool{}
		for _, v := range comp {
			in[v] = true
		}
		sort.Slice(comp, func(i, j int) bool { return name(comp[i]) < name(comp[j]) })
		// covered holds the edges on a cycle already found. The shortest
		// cycle through a covered edge may differ from the one found, but
		// searching again for every edge made a 10,000-app ring quadratic
		// (10,000 searches of 10,000 apps for one cycle). Each search now
		// finds a cycle not yet reported (it holds its uncovered edge), so
		// there are at most maxCycles searches: linear in the graph.
		covered := map[[2]int]bool{}
		for _, v := range comp {
			for _, w := range adj[v] {
				if !in[w] || len(out) >= maxCycles || covered[[2]int{v, w}] || (through != nil && !through(v, w)) {
					continue
				}
				path := append([]int{v}, ShortestPath(adj, w, v, func(u int) bool { return in[u] })...)
				names := make([]string, len(path))
				for i, u := range path {
					names[i] = name(u)
					if i > 0 {
						covered[[2]int{path[i-1], u}] = true
					}
				}
				cyc := rotate(names)
				key := strings.Join(cyc, " ")
				if !seen[key] {
					seen[key] = true
					out = append(out, cyc)
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return strings.Join(out[i], " ") < strings.Join(out[j], " ") })
	return out
}

// ShortestPath returns the nodes on a shortest path from 'from' to 'to'
// along adj, through the nodes keep allows, both ends included
// (breadth-first, adj's order breaking ties); nil when there is none.
func ShortestPath(adj [][]int, from, to int, keep func(int) bool) []int {
	prev := map[int]int{from: from}
	queue := []int{from}
	for len(queue) > 0 && queue[0] != to {
		v := queue[0]
		queue = queue[1:]
		for _, w := range adj[v] {
			if _, ok := prev[w]; !ok && keep(w) {
				prev[w] = v
				queue = append(queue, w)
			}
		}
	}
	if _, ok := prev[to]; !ok {
		return nil
	}
	var rev []int
	for u := to; ; u = prev[u] {
		rev = append(rev, u)
		if u == from {
			break
		}
	}
	slices.Reverse(rev)
	return rev
}

// Components returns the strongly connected component of each node of
// adj, numbered in the order Tarjan's algorithm completes them (iterative:
// no recursion as deep as the graph).
func Components(adj [][]int) []int {
	n := len(adj)
	index := make([]int, n)
	low := make([]int, n)
	onStack := make([]bool, n)
	comp := make([]int, n)
	for i := range index {
		index[i] = -1
	}
	var stack []int
	next, ncomp := 0, 0
	type frame struct{ v, edge int }
	for s := range n {
		if index[s] >= 0 {
			continue
		}
		call := []frame{{s, 0}}
		index[s], low[s] = next, next
		next++
		stack = append(stack, s)
		onStack[s] = true
		for len(call) > 0 {
			f := &call[len(call)-1]
			v := f.v
			if f.edge < len(adj[v]) {
				w := adj[v][f.edge]
				f.edge++
				switch {
				case index[w] < 0:
					index[w], low[w] = next, next
					next++
					stack = append(stack, w)
					onStack[w] = true
					call = append(call, frame{w, 0})
				case onStack[w]:
					low[v] = min(low[v], index[w])
				}
				continue
			}
			call = call[:len(call)-1]
			if len(call) > 0 {
				p := call[len(call)-1].v
				low[p] = min(low[p], low[v])
			}
			if low[v] == index[v] {
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					onStack[w] = false
					comp[w] = ncomp
					if w == v {
						break
					}
				}
				ncomp++
			}
		}
	}
	return comp
}

// rotate turns a closed path (first == last) so that it starts at its
// smallest name, making equal cycles print equally.
func rotate(cyc []string) []string {
	open := cyc[:len(cyc)-1]
	best := 0
	for i, name := range open {
		if name < open[best] {
			best = i
		}
	}
	out := append(append([]string{}, open[best:]...), open[:best]...)
	return append(out, out[0])
}

// Waves returns the apps in deploy waves: wave 0 has no dependencies, wave
// n depends only on earlier waves. Names are sorted within a wave.
func (g *Graph) Waves() [][]string {
	level := make([]int, len(g.apps))
	done := make([]bool, len(g.apps))
	var depth func(v int) int
	depth = func(v int) int {
		if done[v] {
			return level[v]
		}
		done[v] = true // New refused cycles, so this cannot recurse forever
		l := 0
		for _, w := range g.deps(v) {
			l = max(l, depth(w)+1)
		}
		level[v] = l
		return l
	}
	var waves [][]string
	for v := range g.apps {
		l := depth(v)
		for len(waves) <= l {
			waves = append(waves, nil)
		}
		waves[l] = append(waves[l], g.apps[v].Name)
	}
	for _, w := range waves {
		sort.Strings(w)
	}
	return waves
}

// Reaches reports whether app from depends on app to, directly or
// transitively.
func (g *Graph) Reaches(from, to string) bool {
	i, ok := g.index[from]
	j, ok2 := g.index[to]
	if !ok || !ok2 {
		return false
	}
	seen := map[int]bool{i: true}
	stack := []int{i}
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, w := range g.deps(v) {
			if w == j {
				return true
			}
			if !seen[w] {
				seen[w] = true
				stack = append(stack, w)
			}
		}
	}
	return false
}

// Dependents returns every app that depends on app to, directly or
// transitively, in time linear in apps plus edges: a check asking about
// many apps and one dependency walks the graph once, not once per app.
func (g *Graph) Dependents(to string) map[string]bool {
	out := map[string]bool{}
	j, ok := g.index[to]
	if !ok {
		return out
	}
	seen := make([]bool, len(g.apps))
	stack := []int{j}
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, w := range g.rev[v] {
			if !seen[w] {
				seen[w] = true
				out[g.apps[w].Name] = true
				stack = append(stack, w)
			}
		}
	}
	return out
}

// Deps returns the dependsOn entries of app that name an app of the
// graph, sorted by name.
func (g *Graph) Deps(app string) []Dep {
	i, ok := g.index[app]
	if !ok {
		return nil
	}
	var out []Dep
	for _, d := range g.apps[i].Deps {
		if _, ok := g.index[d.Name]; ok {
			out = append(out, d)
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out
}

// In returns the file the entry is written in: its own, else file.
func (d Dep) In(file string) string { return d.in(file) }
