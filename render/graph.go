package render

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/words"
)

// AppGraph is one environment's app dependency graph: what `kiln graph`
// prints and the PR body embeds. Everything in it is sorted, so equal
// configurations give equal output.
type AppGraph struct {
	// Env is the environment.
	Env string `json:"env"`
	// Apps are the env's enabled apps, in kiln.yaml order.
	Apps []GraphApp `json:"apps"`
	// Edges are the dependsOn entries, in deploy order: From is deployed
	// before To. Sorted by To, then From.
	Edges []GraphEdge `json:"edges"`
	// Waves are the deploy waves: wave 1 depends on nothing kiln manages,
	// wave n only on earlier waves. Names sorted within a wave.
	Waves [][]string `json:"waves"`
	// Disabled are apps of kiln.yaml the env disables, sorted.
	Disabled []string `json:"disabled"`

	// warnings are the graph's warnings (an app Options.Apps names that
	// the env disables), as render gives them.
	warnings []diag.Warning
}

// Warnings returns the graph's warnings: one for each app Options.Apps
// names that the env does not enable, as kiln render --app warns.
func (g *AppGraph) Warnings() []diag.Warning { return g.warnings }

// GraphApp is one app of an AppGraph.
type GraphApp struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	Engine    string `json:"engine"`
	// Kustomization is the name of the app's Flux Kustomization.
	Kustomization string `json:"kustomization"`
	// Wave is the app's deploy wave, from 1.
	Wave int `json:"wave"`
	// DependsOn are the apps it depends on, sorted.
	DependsOn []string `json:"dependsOn"`
	// External are the "namespace/name" Kustomizations kiln does not
	// manage that it depends on, sorted.
	External []string `json:"external"`
	// Changed marks the apps passed to Format as changed.
	Changed bool `json:"changed,omitempty"`
}

// GraphEdge is one dependsOn entry, in deploy order.
type GraphEdge struct {
	// From is deployed first: an app, or "namespace/name" when External.
	From string `json:"from"`
	// To is the app that depends on From.
	To string `json:"to"`
	// External is true when From is a Kustomization kiln does not manage.
	External bool `json:"external,omitempty"`
}

// Graph returns env's app graph without rendering anything: the apps the
// env enables, their dependsOn, and the deploy waves. env "" means the
// first environment of kiln.yaml. Problems of the graph itself (an unknown
// or disabled dependency, a cycle) are returned as errors, all of them.
func (r *Renderer) Graph(env string) (*AppGraph, error) {
	if env == "" && len(r.p.Environments) > 0 {
		env = r.p.Environments[0].Name
	}
	ef, err := r.p.LoadEnvFile(env)
	if err != nil {
		return nil, diag.Join(err)
	}
	// The graph needs no secret values: any placeholder resolves them,
	// so that graph works where the secrets are not set.
	placeholder := func(string) (string, bool) { return "unused", true }
	res, err := r.p.Resolve(env, ef, placeholder)
	if err != nil {
		return nil, diag.Join(err)
	}
	g, err := r.buildGraph(res)
	if err := diag.Join(append([]error{err}, r.crossEnvErrors(env)...)...); err != nil {
		return nil, err
	}
	out := &AppGraph{Env: env, Apps: []GraphApp{}, Edges: []GraphEdge{}, Disabled: append([]string{}, res.Disabled...)}
	sort.Strings(out.Disabled)
	out.warnings = r.disabledApps(res, ef.File, true)
	wave := map[string]int{}
	for i, w := range g.Waves() {
		out.Waves = append(out.Waves, append([]string{}, w...))
		for _, name := range w {
			wave[name] = i + 1
		}
	}
	if out.Waves == nil {
		out.Waves = [][]string{}
	}
	// A "namespace/name" entry naming the Kustomization kiln writes for an
	// app of the env is that app (as buildGraph and Flux see it): an edge
	// from the app, not a dashed node of its own beside it.
	own := r.ownKustomizations(res)
	for _, a := range res.Apps {
		ga := GraphApp{Name: a.Name, Namespace: a.Namespace, Engine: a.Engine, Kustomization: r.p.FluxName(a.Name, env),
			Wave: wave[a.Name], DependsOn: []string{}, External: []string{}}
		for _, d := range a.DependsOn {
			if app, ok := own[d.Namespace+"/"+d.Name]; ok && d.External {
				ga.DependsOn = append(ga.DependsOn, app)
				out.Edges = append(out.Edges, GraphEdge{From: app, To: a.Name})
			} else if d.External {
				ref := d.Namespace + "/" + d.Name
				ga.External = append(ga.External, ref)
				out.Edges = append(out.Edges, GraphEdge{From: ref, To: a.Name, External: true})
			} else {
				ga.DependsOn = append(ga.DependsOn, d.Name)
				out.Edges = append(out.Edges, GraphEdge{From: d.Name, To: a.Name})
			}
		}
		sort.Strings(ga.DependsOn)
		sort.Strings(ga.External)
		out.Apps = append(out.Apps, ga)
	}
	sort.Slice(out.Edges, func(i, j int) bool {
		a, b := out.Edges[i], out.Edges[j]
		if a.To != b.To {
			return a.To < b.To
		}
		return a.From < b.From
	})
	return out, nil
}

// ownKustomizations maps the "namespace/name" of the Kustomization kiln
// writes for each app the env enables to the app.
func (r *Renderer) ownKustomizations(res *envconfig.Resolved) map[string]string {
	own := make(map[string]string, len(res.Apps))
	for _, a := range res.Apps {
		own[r.p.Flux.Namespace+"/"+r.p.FluxName(a.Name, res.Env.Name)] = a.Name
	}
	return own
}

// Format prints the graph as text (the waves, for people), mermaid (a
// flowchart GitHub renders), dot (Graphviz) or json (for tools). Apps in
// changed are marked: "*" in text, a highlighted style in mermaid and dot,
// "changed": true in json.
func (g *AppGraph) Format(format string, changed map[string]bool) (string, error) {
	apps := make([]GraphApp, len(g.Apps))
	copy(apps, g.Apps)
	for i := range apps {
		apps[i].Changed = changed[apps[i].Name]
	}
	switch format {
	case "text":
		return g.text(apps), nil
	case "mermaid":
		return g.mermaid(apps), nil
	case "dot":
		return g.dot(apps), nil
	case "json":
		c := *g
		c.Apps = apps
		data, err := json.MarshalIndent(c, "", "  ")
		if err != nil {
			return "", err
		}
		return string(data) + "\n", nil
	}
	return "", fmt.Errorf("unknown graph format %q (want text, mermaid, dot or json)", format)
}

// byWave returns the apps of each wave, sorted by name.
func byWave(apps []GraphApp, waves int) [][]GraphApp {
	out := make([][]GraphApp, waves)
	for _, a := range apps {
		if a.Wave >= 1 && a.Wave <= waves {
			out[a.Wave-1] = append(out[a.Wave-1], a)
		}
	}
	for _, w := range out {
		sort.Slice(w, func(i, j int) bool { return w[i].Name < w[j].Name })
	}
	return out
}

func (g *AppGraph) text(apps []GraphApp) string {
	var b strings.Builder
	fmt.Fprintf(&b, "env %s: %s in %s\n", g.Env, words.Count(len(apps), "app"), words.Count(len(g.Waves), "wave"))
	width, nsWidth := 0, 0
	anyChanged := false
	for _, a := range apps {
		width = max(width, len(a.Name))
		nsWidth = max(nsWidth, len(a.Namespace))
		anyChanged = anyChanged || a.Changed
	}
	for i, w := range byWave(apps, len(g.Waves)) {
		fmt.Fprintf(&b, "wave %d\n", i+1)
		for _, a := range w {
			mark := " "
			if a.Changed {
				mark = "*"
			}
			// Namespaces padded too, so every "after" starts in one column.
			line := fmt.Sprintf("  %s %-*s  %-9s  %-*s", mark, width, a.Name, a.Engine, nsWidth, a.Namespace)
			var deps []string
			deps = append(deps, a.DependsOn...)
			for _, e := range a.External {
				deps = append(deps, e+" (external)")
			}
			if len(deps) > 0 {
				line += "  after " + strings.Join(deps, ", ")
			}
			b.WriteString(strings.TrimRight(line, " ") + "\n")
		}
	}
	if len(g.Disabled) > 0 {
		fmt.Fprintf(&b, "disabled: %s\n", strings.Join(g.Disabled, ", "))
	}
	if anyChanged {
		b.WriteString("* changed\n")
	}
	return b.String()
}

// externalIDs numbers the external dependencies in sorted order: their
// names may hold dots and slashes, which node ids of mermaid cannot.
func (g *AppGraph) externalIDs() ([]string, map[string]string) {
	var refs []string
	ids := map[string]string{}
	for _, e := range g.Edges {
		if e.External && ids[e.From] == "" {
			ids[e.From] = "-"
			refs = append(refs, e.From)
		}
	}
	sort.Strings(refs)
	for i, r := range refs {
		ids[r] = fmt.Sprintf("ext%d", i+1)
	}
	return refs, ids
}

// mermaidID turns an app name (a DNS label) into a mermaid node id: "-"
// could be read as part of an arrow, "_" cannot occur in a DNS label.
func mermaidID(name string) string { return "app_" + strings.ReplaceAll(name, "-", "_") }

func (g *AppGraph) mermaid(apps []GraphApp) string {
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	var changed []string
	for i, w := range byWave(apps, len(g.Waves)) {
		fmt.Fprintf(&b, "  subgraph wave%d [\"wave %d\"]\n", i+1, i+1)
		for _, a := range w {
			fmt.Fprintf(&b, "    %s[\"%s<br/>%s\"]\n", mermaidID(a.Name), a.Name, a.Engine)
			if a.Changed {
				changed = append(changed, mermaidID(a.Name))
			}
		}
		b.WriteString("  end\n")
	}
	// The apps at the other end of an edge that Only kept without them
	// (kiln graph --app): undeclared, mermaid would show a node's id,
	// "app_redis", as its label.
	shown := map[string]bool{}
	for _, a := range apps {
		shown[a.Name] = true
	}
	var others []string
	for _, e := range g.Edges {
		for _, n := range []string{e.From, e.To} {
			if (n == e.To || !e.External) && !shown[n] {
				shown[n] = true
				others = append(others, n)
			}
		}
	}
	sort.Strings(others)
	for _, n := range others {
		fmt.Fprintf(&b, "  %s[\"%s\"]\n", mermaidID(n), n)
	}
	refs, ids := g.externalIDs()
	for _, r := range refs {
		fmt.Fprintf(&b, "  %s([\"%s\"]):::external\n", ids[r], r)
	}
	for _, e := range g.Edges {
		from := mermaidID(e.From)
		if e.External {
			from = ids[e.From]
		}
		arrow := "-->"
		if e.External {
			arrow = "-.->"
		}
		fmt.Fprintf(&b, "  %s %s %s\n", from, arrow, mermaidID(e.To))
	}
	b.WriteString("  classDef external stroke-dasharray: 4 4\n")
	if len(changed) > 0 {
		b.WriteString("  classDef changed fill:#fff3b0,stroke:#b08800,stroke-width:2px\n")
		fmt.Fprintf(&b, "  class %s changed\n", strings.Join(changed, ","))
	}
	return b.String()
}

func (g *AppGraph) dot(apps []GraphApp) string {
	var b strings.Builder
	fmt.Fprintf(&b, "digraph %q {\n", "kiln "+g.Env)
	b.WriteString("  rankdir=LR;\n  node [shape=box];\n")
	for i, w := range byWave(apps, len(g.Waves)) {
		fmt.Fprintf(&b, "  subgraph cluster_wave%d {\n    label=%q;\n", i+1, fmt.Sprintf("wave %d", i+1))
		for _, a := range w {
			attrs := fmt.Sprintf("label=%q", a.Name+"\n"+a.Engine)
			if a.Changed {
				attrs += ", style=filled, fillcolor=\"#fff3b0\", penwidth=2"
			}
			fmt.Fprintf(&b, "    %q [%s];\n", a.Name, attrs)
		}
		b.WriteString("  }\n")
	}
	refs, _ := g.externalIDs()
	for _, r := range refs {
		fmt.Fprintf(&b, "  %q [shape=ellipse, style=dashed];\n", r)
	}
	for _, e := range g.Edges {
		style := ""
		if e.External {
			style = " [style=dashed]"
		}
		fmt.Fprintf(&b, "  %q -> %q%s;\n", e.From, e.To, style)
	}
	b.WriteString("}\n")
	return b.String()
}

// Only returns the graph cut down to the named apps (kiln graph --app):
// those apps, the edges into and out of them, and the waves with only
// them in (empty waves stay, so wave numbers keep their meaning).
func (g *AppGraph) Only(names []string) *AppGraph {
	keep := map[string]bool{}
	for _, n := range names {
		keep[n] = true
	}
	out := &AppGraph{Env: g.Env, Apps: []GraphApp{}, Edges: []GraphEdge{}, Waves: [][]string{}, Disabled: g.Disabled, warnings: g.warnings}
	for _, a := range g.Apps {
		if keep[a.Name] {
			out.Apps = append(out.Apps, a)
		}
	}
	for _, e := range g.Edges {
		if keep[e.To] || keep[e.From] {
			out.Edges = append(out.Edges, e)
		}
	}
	for _, w := range g.Waves {
		names := []string{}
		for _, n := range w {
			if keep[n] {
				names = append(names, n)
			}
		}
		out.Waves = append(out.Waves, names)
	}
	return out
}
