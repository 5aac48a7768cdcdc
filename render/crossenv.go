package render

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/render/internal/graph"
)

// crossEnvErrors returns the dependsOn cycles that pass through env and
// through at least one other env: an app's "namespace/name" entry naming
// the Kustomization kiln writes for an app of another env (possible when
// flux.name holds {env}). Each env alone may have no cycle, so the per-env
// graph accepts them; on a cluster the envs share, Flux waits forever on
// every Kustomization of the cycle (and on separate clusters the entry
// names a Kustomization that never exists there). A one-way dependency on
// another env (a shared infrastructure env) is no cycle and passes, unless
// that env disables the app (disabledElsewhere).
func (r *Renderer) crossEnvErrors(env string) []error {
	r.crossEnv.Do(func() { r.crossEnvErrs, r.crossEnvWarns = r.crossEnvCycles() })
	return r.crossEnvErrs[env]
}

// crossEnvWarnings warns of each Kustomization name that flux.name gives
// apps of two envs: with {env} in it, "{app}-{env}" makes app a-b of env c
// and app a of env b-c both a-b-c. flux.name holds {env} so that envs can
// share a cluster (docs/flux.md), and there the two envs' flux/ folders
// would apply one Kustomization in turn, each with its own app's path, so
// that each apply prunes the other app's objects. kiln cannot tell which
// envs share a cluster, so it warns rather than refuses.
func (r *Renderer) crossEnvWarnings() []diag.Warning {
	r.crossEnv.Do(func() { r.crossEnvErrs, r.crossEnvWarns = r.crossEnvCycles() })
	return r.crossEnvWarns
}

// crossEnvNode is one enabled app of one env.
type crossEnvNode struct {
	env string
	app envconfig.ResolvedApp
}

func (n crossEnvNode) String() string { return n.app.Name + " in " + n.env }

// crossEnvCycles resolves every env of kiln.yaml (dependsOn needs no
// secret value) and returns the cycles through more than one env, each
// reported to every env it passes through, at that env's first entry on
// it. An env whose file or configuration does not resolve is left out:
// its own render reports why.
func (r *Renderer) crossEnvCycles() (map[string][]error, []diag.Warning) {
	// Without {env} in flux.name an app's Kustomization has one name in
	// every env, which an env's own entry resolves to its own app (or
	// its disabled one): no entry can name another env's, and reading
	// every env's file again on each render would buy nothing.
	if len(r.p.Environments) < 2 || !strings.Contains(r.p.Flux.Name, "{env}") {
		return nil, nil
	}
	placeholder := func(string) (string, bool) { return "unused", true }
	var nodes []crossEnvNode
	index := map[[2]string]int{}        // env, app → node
	kustomization := map[string][]int{} // "namespace/name" → nodes whose app kiln writes it for
	disabled := map[string][2]string{}  // "namespace/name" → env, disabled app it would be
	var envs []*envconfig.Resolved
	for _, e := range r.p.Environments {
		ef, err := r.p.LoadEnvFile(e.Name)
		if err != nil {
			continue
		}
		res, err := r.p.Resolve(e.Name, ef, placeholder)
		if err != nil {
			continue
		}
		envs = append(envs, res)
		for _, name := range res.Disabled {
			disabled[r.p.Flux.Namespace+"/"+r.p.FluxName(name, e.Name)] = [2]string{e.Name, name}
		}
		for _, a := range res.Apps {
			ref := r.p.Flux.Namespace + "/" + r.p.FluxName(a.Name, e.Name)
			index[[2]string{e.Name, a.Name}] = len(nodes)
			kustomization[ref] = append(kustomization[ref], len(nodes))
			nodes = append(nodes, crossEnvNode{env: e.Name, app: a})
		}
	}
	warns := sharedNames(r.p, kustomization, nodes)
	errs := map[string][]error{}
	type edge struct{ from, to int }
	entry := map[edge]envconfig.Dependency{}
	across := map[edge]bool{}
	adj := make([][]int, len(nodes))
	for _, res := range envs {
		env := res.Env.Name
		own, off := r.kilnKustomizations(res)
		for _, a := range res.Apps {
			from := index[[2]string{env, a.Name}]
			for _, d := range a.DependsOn {
				to, ok, other := 0, false, false
				switch {
				case !d.External:
					to, ok = index[[2]string{env, d.Name}]
				case d.Namespace == r.p.Flux.Namespace && (own[d.Name] != "" || off[d.Name] != ""):
					// The env's own app, as buildGraph sees it (a
					// disabled one is no node).
					to, ok = index[[2]string{env, own[d.Name]}]
				default:
					// Only a name exactly one app of the fleet gets: with
					// flux.name the same in every env, the envs are
					// separate clusters, and the entry names no other env.
					ref := d.Namespace + "/" + d.Name
					if t := kustomization[ref]; len(t) == 1 && nodes[t[0]].env != env {
						to, ok, other = t[0], true, true
					} else if off, is := disabled[ref]; is && len(t) == 0 && off[0] != env {
						errs[env] = append(errs[env], r.disabledElsewhere(a.Name, d, off))
					}
				}
				e := edge{from, to}
				if _, dup := entry[e]; !ok || dup {
					continue
				}
				entry[e] = d
				across[e] = other
				adj[from] = append(adj[from], to)
			}
		}
	}
	for _, out := range adj {
		sort.Slice(out, func(i, j int) bool { return nodes[out[i]].String() < nodes[out[j]].String() })
	}
	byName := make(map[string]int, len(nodes))
	for i, n := range nodes {
		byName[n.String()] = i
	}
	cycles := graph.CyclesThrough(adj, func(v int) string { return nodes[v].String() },
		func(v, w int) bool { return across[edge{v, w}] })
	for _, cyc := range cycles {
		path := make([]int, len(cyc))
		for i, name := range cyc {
			path[i] = byName[name]
		}
		var why []string
		for i := 0; i+1 < len(path); i++ {
			if e := (edge{path[i], path[i+1]}); across[e] {
				d := entry[e]
				why = append(why, fmt.Sprintf("%s is %s", d.Namespace+"/"+d.Name, nodes[path[i+1]]))
			}
		}
		// Each env is told at its own entry that leaves it: the one to
		// remove there, whichever file holds it.
		reported := map[string]bool{}
		for i := 0; i+1 < len(path); i++ {
			n, e := nodes[path[i]], edge{path[i], path[i+1]}
			if reported[n.env] || !across[e] {
				continue
			}
			reported[n.env] = true
			d := entry[e]
			file := d.File
			if file == "" {
				file = r.configFile()
			}
			errs[n.env] = append(errs[n.env], &diag.Error{File: file, Line: d.Line, App: n.app.Name,
				Msg: "dependency cycle across envs: " + strings.Join(cyc, " -> ") + " (dependsOn " + strings.Join(why, ", ") + ")",
				Hint: "on a cluster the envs share, Flux waits forever on every Kustomization of a cycle (on separate clusters the other env's never exists): " +
					"remove one of these dependsOn entries; an env may depend on another's apps one way"})
		}
	}
	return errs, warns
}

// disabledElsewhere is the error of app's entry d, which names the
// Kustomization kiln would write for app off[1] of env off[0], were that env
// not to disable it: within one env such an entry is the app and refused
// as a disabled dependency (buildGraph), and across envs it is no less
// missing. kustomize-controller reconciles app only once every dependency
// exists and is Ready, so app is never applied again ("dependency ... not
// found"), and its commit status never comes.
func (r *Renderer) disabledElsewhere(app string, d envconfig.Dependency, off [2]string) error {
	offEnv, offApp := off[0], off[1]
	file := d.File
	if file == "" {
		file = r.configFile()
	}
	return &diag.Error{File: file, Line: d.Line, App: app,
		Msg: fmt.Sprintf("dependsOn %q names the Kustomization kiln writes for app %s of env %s, which env %s disables: Flux never finds it, so it never applies app %s (dependency '%s/%s' not found)",
			d.Namespace+"/"+d.Name, offApp, offEnv, offEnv, app, d.Namespace, d.Name),
		Hint: fmt.Sprintf("enable %s in env %s, or drop the entry (in this env's file, with an override of dependsOn)", offApp, offEnv)}
}

// sharedNames returns a warning for each Kustomization name (namespace/name,
// in kustomization) that apps of more than one env get: within one env
// flux.name gives every app its own. Sorted by name.
func sharedNames(p *envconfig.Pipeline, kustomization map[string][]int, nodes []crossEnvNode) []diag.Warning {
	var out []diag.Warning
	for _, ref := range slices.Sorted(maps.Keys(kustomization)) {
		at := kustomization[ref]
		if len(at) < 2 {
			continue
		}
		apps := make([]string, len(at))
		for i, n := range at {
			apps[i] = "app " + nodes[n].app.Name + " of env " + nodes[n].env
		}
		out = append(out, diag.Warning{File: p.File, Line: p.Flux.NameLine,
			Msg: fmt.Sprintf("flux.name %q names the Kustomizations of %s alike, %s: on a cluster these envs share, their flux/ folders apply it in turn, each with its own app's path, and every turn prunes the other app's objects",
				p.Flux.Name, strings.Join(apps, " and "), ref),
			Hint: "rename one of the apps or envs, or put a separator into flux.name that no app or env name holds next to it (such as \"{env}.{app}\"); envs on separate clusters do not meet, and may ignore this"})
	}
	return out
}
