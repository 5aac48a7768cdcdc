package render

import (
	"fmt"
	"strconv"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/render/internal/flux"
	"github.com/kiln-gitops/kiln/templates"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// clusterOnce refuses what two objects of one env ask the cluster for
// when the cluster grants it once: each object is valid alone, so the
// per-object checks pass both, and the second one's apply fails whichever
// app or order Flux applies them in.
//
//   - A node port (a Service's nodePort or healthCheckNodePort): the API
//     server allocates each number once for the whole cluster ("provided
//     port is already allocated"). One Service may use a number for two
//     protocols; two Services may not share it.
//   - A Service's fixed clusterIP ("provided IP is already allocated").
//   - globalDefault: true on a PriorityClass: the Priority admission
//     plugin (on by default) refuses a second default ("PriorityClass x
//     is already marked as default. Only one default can exist").
//
// Each is reported at the later object, naming the earlier. Objects Flux
// does not apply are left out. What the cluster already holds outside the
// env (a node port another tool took) is not known here.
func clusterOnce(runs []*appRun) []error {
	type first struct {
		app, what, at string
	}
	taken := map[string]first{} // "port/30080", "ip/10.96.0.10", "default"
	var errs []error
	claim := func(run *appRun, o templates.Object, key string, node *kyaml.Node, field string, msg func(by string) string, hint string) {
		what := objRef(o).String()
		prev, ok := taken[key]
		if !ok {
			taken[key] = first{app: run.app.Name, what: what, at: at(o)}
			return
		}
		if prev.what == what && prev.app == run.app.Name {
			return // one Service, one port for two protocols
		}
		by := prev.what
		if prev.app != run.app.Name {
			by += " of app " + prev.app
		}
		errs = append(errs, &diag.Error{File: o.File, Line: o.LineOf(node), App: run.app.Name, Object: objRef(o), Field: field,
			Msg: fmt.Sprintf("field %q: %s", field, msg(by+prev.at)), Hint: hint})
	}
	for _, run := range runs {
		for _, o := range run.objs {
			n := o.Node
			if n == nil || o.Raw != nil || flux.NotApplied(n) {
				continue
			}
			switch g, kind := group(n.GetApiVersion()), n.GetKind(); {
			case g == "" && kind == "Service":
				serviceClaims(n, func(key string, node *kyaml.Node, field string, msg func(string) string, hint string) {
					claim(run, o, key, node, field, msg, hint)
				})
			case g == "scheduling.k8s.io" && kind == "PriorityClass":
				if v := setScalar(n, "globalDefault"); v != nil && v.Value == "true" {
					claim(run, o, "default", v, "globalDefault", func(by string) string {
						return "globalDefault is true, and " + by + " is the cluster's default PriorityClass already: the Priority admission plugin allows one, so this apply fails (\"Only one default can exist\")"
					}, "set globalDefault: true on one PriorityClass of the cluster")
				}
			}
		}
	}
	return errs
}

// serviceClaims calls claim for each node port and fixed cluster IP the
// Service n asks the cluster for. A nodePort counts on the types that
// allocate one (NodePort and LoadBalancer; the per-object checks refuse
// it on others).
func serviceClaims(n *kyaml.RNode, claim func(key string, node *kyaml.Node, field string, msg func(by string) string, hint string)) {
	typ := ""
	if v := setScalar(n, "spec", "type"); v != nil {
		typ = v.Value
	}
	portMsg := func(port int) func(string) string {
		return func(by string) string {
			return fmt.Sprintf("node port %d is also asked for by %s: the API server allocates each node port once in the cluster, so this apply fails (\"provided port is already allocated\")", port, by)
		}
	}
	const portHint = "give each Service its own node port, or leave nodePort out for one the cluster picks"
	if typ == "NodePort" || typ == "LoadBalancer" {
		ports, _ := n.Pipe(kyaml.Lookup("spec", "ports"))
		if ports != nil && ports.YNode().Kind == kyaml.SequenceNode {
			for i, p := range ports.YNode().Content {
				np := setScalar(kyaml.NewRNode(p), "nodePort")
				if np == nil {
					continue
				}
				num, err := strconv.Atoi(np.Value)
				if err != nil || num <= 0 {
					continue
				}
				claim("port/"+strconv.Itoa(num), np, fmt.Sprintf("spec.ports[%d].nodePort", i), portMsg(num), portHint)
			}
		}
		if hc := setScalar(n, "spec", "healthCheckNodePort"); hc != nil {
			if num, err := strconv.Atoi(hc.Value); err == nil && num > 0 {
				claim("port/"+strconv.Itoa(num), hc, "spec.healthCheckNodePort", portMsg(num), portHint)
			}
		}
	}
	if typ == "ExternalName" {
		return
	}
	ipMsg := func(ip string) func(string) string {
		return func(by string) string {
			return "cluster IP " + ip + " is also asked for by " + by + ": the API server allocates each cluster IP once, so this apply fails (\"provided IP is already allocated\")"
		}
	}
	const ipHint = "give each Service its own clusterIP, or leave clusterIP out for one the cluster picks"
	seen := map[string]bool{}
	ip := func(v *kyaml.Node, field string) {
		if v == nil || v.Kind != kyaml.ScalarNode || v.Value == "" || v.Value == "None" || seen[v.Value] {
			return
		}
		seen[v.Value] = true
		claim("ip/"+v.Value, v, field, ipMsg(v.Value), ipHint)
	}
	ip(setScalar(n, "spec", "clusterIP"), "spec.clusterIP")
	if ips, _ := n.Pipe(kyaml.Lookup("spec", "clusterIPs")); ips != nil && ips.YNode().Kind == kyaml.SequenceNode {
		for i, v := range ips.YNode().Content {
			ip(v, fmt.Sprintf("spec.clusterIPs[%d]", i))
		}
	}
}
