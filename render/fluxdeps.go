package render

import (
	"cmp"
	"fmt"
	"path"
	"slices"
	"strings"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/render/internal/flux"
	"github.com/kiln-gitops/kiln/render/internal/graph"
	"github.com/kiln-gitops/kiln/render/internal/scope"
	"github.com/kiln-gitops/kiln/render/internal/tree"
	"github.com/kiln-gitops/kiln/templates"
)

const (
	kustomizeGroup = "kustomize.toolkit.fluxcd.io"
	helmGroup      = "helm.toolkit.fluxcd.io"
	sourceGroup    = "source.toolkit.fluxcd.io"
)

// waiter reports whether n is a Flux object whose spec.dependsOn makes
// its controller wait: a Kustomization (for Kustomizations) or a
// HelmRelease (for HelmReleases), applied by Flux and not suspended.
func waiter(n *kyaml.RNode) bool {
	return reconciled(n) && suspendedAt(n) == nil && !flux.NotApplied(n)
}

// reconciled reports whether n is a Kustomization or a HelmRelease, the
// Flux objects whose spec.dependsOn and spec.suspend their controller
// reads.
func reconciled(n *kyaml.RNode) bool {
	switch g := group(n.GetApiVersion()); {
	case g == kustomizeGroup && n.GetKind() == "Kustomization":
		return true
	case g == helmGroup && n.GetKind() == "HelmRelease":
		return true
	}
	return false
}

// suspendedAt returns n's spec.suspend when it is true as the cluster
// reads it (True and TRUE are YAML's true too, as flux.ObjectRef reads
// spec.paused), else nil.
func suspendedAt(n *kyaml.RNode) *kyaml.Node {
	if v, on := boolAt(n, "spec", "suspend"); on {
		return v
	}
	return nil
}

// boolAt returns n's scalar at path and whether it is true as the API
// server reads it (True and TRUE too).
func boolAt(n *kyaml.RNode, path ...string) (*kyaml.Node, bool) {
	v := setScalar(n, path...)
	return v, v != nil && v.ShortTag() == kyaml.NodeTagBool && strings.EqualFold(v.Value, "true")
}

// fluxDependsOn refuses a Flux Kustomization or HelmRelease in an app's
// output whose dependsOn can never be met because of the app graph. The
// app's own Kustomization health-checks it (kiln lists every Kustomization
// and HelmRelease of the output in healthChecks, and wait: true checks
// every object), so the app is Ready only once the object is; and the
// object's controller does not reconcile it before each dependency is
// Ready (kustomize-controller also waits for a Kustomization of the same
// source to have applied the current revision). So the object must not
// wait for:
//
//   - the Kustomization kiln writes for its own app: each waits for the
//     other;
//   - a Kustomization kiln writes for an app that depends on its app,
//     directly or through others, or a Kustomization or HelmRelease in the
//     output of such an app, which Flux applies only once its app is
//     Ready: a cycle that kiln's graph of dependsOn does not show;
//   - the Kustomization of an app disabled in the env, which kiln does not
//     write: it never exists.
//
// Each of these fails the app's health check at every reconcile, and with
// it the commit status and the promotion gate. An entry with a readyExpr
// is Flux's to judge and is left alone, and so is one naming an object no
// app of the env writes: kiln cannot tell whether it exists.
func (r *Renderer) fluxDependsOn(res *envconfig.Resolved, runs []*appRun, g *graph.Graph) []error {
	env := res.Env.Name
	fluxNS := r.p.Flux.Namespace
	own, off := r.kilnKustomizations(res)
	applied := map[string]string{} // objectKey of a waiter → the app whose output holds it
	for _, run := range runs {
		for _, o := range run.objs {
			if o.Node != nil && o.Raw == nil && waiter(o.Node) {
				n := o.Node
				applied[objectKey(group(n.GetApiVersion()), n.GetKind(), n.GetNamespace(), n.GetName())] = run.app.Name
			}
		}
	}
	if len(applied) == 0 {
		return nil
	}
	var errs []error
	// An app's own "namespace/name" dependency on a Kustomization of an
	// app's output: the app waits for an object that Flux applies only
	// once that app's Kustomization runs.
	for _, a := range res.Apps {
		for _, d := range a.DependsOn {
			if !d.External {
				continue
			}
			target, ok := applied[objectKey(kustomizeGroup, "Kustomization", d.Namespace, d.Name)]
			if !ok {
				continue
			}
			e := &diag.Error{File: cmp.Or(d.File, r.configFile()), Line: d.Line, App: a.Name}
			written := d.Namespace + "/" + d.Name
			switch {
			case target == a.Name:
				e.Msg = fmt.Sprintf("dependsOn %q waits for a Kustomization that app %s applies itself: Flux applies it only once the app's dependencies are Ready, so the app never starts", written, a.Name)
				e.Hint = "remove the entry: the app's own objects need no dependsOn"
			case g.Reaches(target, a.Name):
				e.Msg = fmt.Sprintf("dependsOn %q waits for a Kustomization of app %s's output, which Flux applies only once app %s's Kustomization runs, but app %s depends on app %s: "+
					"a dependency cycle %s -> %s -> %s, and neither ever starts", written, target, target, target, a.Name, a.Name, target, a.Name)
				e.Hint = fmt.Sprintf("make the two orders agree: drop this entry, or drop app %s's dependency on app %s", target, a.Name)
			default:
				continue
			}
			errs = append(errs, e)
		}
	}
	for _, run := range runs {
		app := run.app.Name
		for _, o := range run.objs {
			if o.Node == nil || o.Raw != nil || !waiter(o.Node) {
				continue
			}
			n := o.Node
			kind := n.GetKind()
			deps, err := n.Pipe(kyaml.Lookup("spec", "dependsOn"))
			if err != nil || deps == nil || deps.YNode().Kind != kyaml.SequenceNode {
				continue
			}
			for _, d := range deps.YNode().Content {
				if d.Kind != kyaml.MappingNode {
					continue
				}
				entry := kyaml.NewRNode(d)
				name, ns := entry.Field("name"), entry.Field("namespace")
				if name == nil || entry.Field("readyExpr") != nil && entry.Field("readyExpr").Value.YNode().Value != "" {
					continue
				}
				depName, depNS := name.Value.YNode().Value, n.GetNamespace()
				if ns != nil && ns.Value.YNode().Value != "" {
					depNS = ns.Value.YNode().Value
				}
				written := depName
				if ns != nil {
					written = depNS + "/" + depName
				}
				e := &diag.Error{File: o.File, Line: o.LineOf(d), App: app, Object: objRef(o), Field: "spec.dependsOn"}
				target, kilns := "", false
				if kind == "Kustomization" && depNS == fluxNS {
					if a, ok := own[depName]; ok {
						target, kilns = a, true
					} else if a, ok := off[depName]; ok {
						e.Msg = fmt.Sprintf("dependsOn %q waits for the Kustomization of app %s, which is disabled in env %s: kiln does not write it, so the %s never starts, "+
							"and app %s, whose Kustomization health-checks it, is never Ready", written, a, env, kind, app)
						e.Hint = fmt.Sprintf("enable %s in env %s, or drop the entry (patch it out in env %s's patches)", a, env, env)
						errs = append(errs, e)
						continue
					}
				}
				if target == "" {
					grp := kustomizeGroup
					if kind == "HelmRelease" {
						grp = helmGroup
					}
					target = applied[objectKey(grp, kind, depNS, depName)]
				}
				switch {
				case target == "":
					continue
				case target == app && kilns:
					e.Msg = fmt.Sprintf("dependsOn %q waits for app %s's own Kustomization, which applies this %s and health-checks it: each waits for the other, and neither is ever Ready", written, app, kind)
					e.Hint = fmt.Sprintf("remove the entry (Flux applies this %s together with app %s's other objects), or move the %s into an app that depends on %s", kind, app, kind, app)
				case target != app && g.Reaches(target, app):
					what := fmt.Sprintf("app %s's Kustomization", target)
					if !kilns {
						what = fmt.Sprintf("a %s of app %s's output, which Flux applies only once app %s's Kustomization runs", kind, target, target)
					}
					e.Msg = fmt.Sprintf("dependsOn %q waits for %s, but app %s depends on app %s (kiln.yaml dependsOn), whose Kustomization health-checks this %s: "+
						"a dependency cycle %s -> %s -> %s, and neither is ever Ready", written, what, target, app, kind, app, target, app)
					e.Hint = fmt.Sprintf("make the two orders agree: drop this entry, or make app %s depend on app %s in kiln.yaml instead of the other way round", app, target)
				default:
					continue
				}
				errs = append(errs, e)
			}
		}
	}
	return errs
}

// healthCheckCycles refuses a flux.healthChecks entry naming an object of
// another app's output (owners: by objectKey) when that app depends on
// this one: the app is Ready only once that object is healthy, and Flux
// applies the object only once its own app runs, so neither is ever
// Ready. An entry without apiVersion names the app's own object; under
// wait, one naming another app's object is refused already.
func (r *Renderer) healthCheckCycles(res *envconfig.Resolved, scopes *scope.Scopes, owners map[string]owner, g *graph.Graph) []error {
	var errs []error
	eachHealthCheckOwner(res, scopes, owners, func(a envconfig.ResolvedApp, i int, hc envconfig.HealthCheck, o owner) {
		if o.app == a.Name || !g.Reaches(o.app, a.Name) {
			return
		}
		errs = append(errs, &diag.Error{File: cmp.Or(hc.File, r.configFile()), Line: hc.Line, App: a.Name,
			Msg: fmt.Sprintf("flux.healthChecks[%d] (%s %s) waits for %s, which app %s applies%s, but app %s depends on app %s: "+
				"Flux applies it only once app %s is Ready, which it is only once the check passes, so neither is ever Ready",
				i, hc.Kind, hc.Name, objRef(o.obj), o.app, at(o.obj), o.app, a.Name, a.Name),
			Hint: fmt.Sprintf("remove the entry, or make app %s depend on app %s instead of the other way round", a.Name, o.app)})
	})
	// An entry naming the Kustomization kiln writes for another app
	// (flux/<app>.yaml): when that app depends on this one, its
	// Kustomization waits (DependencyNotReady) until this app is Ready,
	// which it is only once the check passes. One naming the Kustomization
	// of an app disabled in the env waits for an object nobody writes.
	fluxNS := r.p.Flux.Namespace
	kilnKs, disabled := r.kilnKustomizations(res)
	for _, a := range res.Apps {
		for i, hc := range a.Flux.HealthChecks {
			if hc.Kind != "Kustomization" || group(hc.APIVersion) != kustomizeGroup || hc.Namespace != fluxNS {
				continue
			}
			where := fmt.Sprintf("flux.healthChecks[%d] (%s %s/%s)", i, hc.Kind, hc.Namespace, hc.Name)
			if t, ok := kilnKs[hc.Name]; ok && t != a.Name && g.Reaches(t, a.Name) {
				errs = append(errs, &diag.Error{File: cmp.Or(hc.File, r.configFile()), Line: hc.Line, App: a.Name,
					Msg: fmt.Sprintf("%s waits for app %s's Kustomization (%s), but app %s depends on app %s: "+
						"Flux reconciles app %s only once app %s is Ready, which it is only once the check passes, so neither is ever Ready",
						where, t, tree.FluxFile(t), t, a.Name, t, a.Name),
					Hint: fmt.Sprintf("remove the entry, or make app %s depend on app %s instead of the other way round", a.Name, t)})
			} else if t, ok := disabled[hc.Name]; ok {
				errs = append(errs, &diag.Error{File: cmp.Or(hc.File, r.configFile()), Line: hc.Line, App: a.Name,
					Msg:  fmt.Sprintf("%s waits for app %s's Kustomization, but app %s is disabled in env %s: kiln writes no such Kustomization, so the check never passes", where, t, t, res.Env.Name),
					Hint: fmt.Sprintf("remove the entry, or give env %s's file an apps.%s.flux.healthChecks without it, or enable app %s there", res.Env.Name, a.Name, t)})
			}
		}
	}
	return errs
}

// eachHealthCheckOwner calls f for each flux.healthChecks entry (the i-th
// of app a) that names an object of the env's output (owners: by
// objectKey), with that object's owner. An entry without apiVersion names
// the app's own object and is left out.
func eachHealthCheckOwner(res *envconfig.Resolved, scopes *scope.Scopes, owners map[string]owner, f func(a envconfig.ResolvedApp, i int, hc envconfig.HealthCheck, o owner)) {
	for _, a := range res.Apps {
		for i, hc := range a.Flux.HealthChecks {
			if hc.APIVersion == "" {
				continue
			}
			ns := hc.Namespace
			if ns != "" && scopes.Known(hc.APIVersion, hc.Kind) && !scopes.Namespaced(hc.APIVersion, hc.Kind) {
				ns = ""
			}
			if o, ok := owners[objectKey(group(hc.APIVersion), hc.Kind, ns, hc.Name)]; ok {
				f(a, i, hc, o)
			}
		}
	}
}

// neverReadyUnderWait refuses, in an app whose Kustomization has wait:
// true, each workload that kustomize-controller's health check (kstatus)
// would not see ready (flux.Ref.NeverReady: a paused Deployment, a
// DaemonSet with updateStrategy OnDelete after a change of its template,
// a suspended Job).
// Without wait kiln leaves such a workload out of healthChecks; with
// wait, Flux checks every object it applies and ignores healthChecks, so
// the Kustomization would fail at every reconcile, and with it the commit
// status and the promotion gate.
func neverReadyUnderWait(run *appRun) []error {
	var errs []error
	for _, o := range run.objs {
		if o.Node == nil || o.Raw != nil {
			continue
		}
		ref := flux.ObjectRef(o.Node)
		if !ref.NeverReady || ref.NotApplied {
			continue
		}
		why := "a paused Deployment (spec.paused: true) never is: the deployment controller does not roll it out"
		if ref.Kind == "DaemonSet" {
			why = "a DaemonSet with updateStrategy OnDelete is not after a change of its template: its pods keep the old one until someone deletes them"
		}
		if ref.Kind == "Job" {
			why = "a suspended Job (spec.suspend: true) never is: the job controller does not start it, and Flux's health check (kstatus) reports it \"Job not started\" until it completes"
		}
		errs = append(errs, &diag.Error{File: o.File, Line: o.Line, App: run.app.Name, Object: objRef(o),
			Msg: "with flux wait: true, Flux waits for every object the app applies to be ready, and " + why +
				"; the app's Kustomization would fail its health check at every reconcile, and with it the commit status and the promotion gate",
			Hint: "set flux.wait: false for this app (kiln then health-checks its other workloads and leaves this one out), or change the workload"})
	}
	return errs
}

// fluxPathsInTree refuses a Flux Kustomization in an app's output that
// builds a path of the env's own folder (manifests.path) from kiln's
// source, or a folder that holds it. kiln's Kustomizations already apply
// apps/<app>/, the bootstrap applies flux/; kustomize-controller builds
// any other folder with a kustomization.yaml it generates over every YAML
// file below it (taking each subfolder with a kustomization.yaml whole),
// so such a Kustomization applies kiln's objects, its Kustomizations or
// high-level/'s HelmReleases a second time: two Kustomizations own them
// and either one's prune deletes them. A folder inside the env's that kiln
// does not write does not exist, and the Kustomization fails. One whose
// source is not kiln's (flux.sourceRef), or that Flux does not apply, is
// left alone.
func (r *Renderer) fluxPathsInTree(res *envconfig.Resolved, runs []*appRun) []error {
	src := r.sourceRef()
	srcNS := src.Namespace
	env := strings.Trim(path.Clean("/"+res.ManifestsPath), "/")
	var errs []error
	for _, run := range runs {
		for _, o := range run.objs {
			n := o.Node
			// Flux never creates one it does not apply, so it builds or
			// installs nothing.
			if n == nil || o.Raw != nil || flux.NotApplied(n) {
				continue
			}
			if n.GetKind() == "HelmRelease" && group(n.GetApiVersion()) == helmGroup {
				if err := chartFromSource(src, r.p, res, run, o, "spec", "chart", "spec"); err != nil {
					errs = append(errs, err)
				}
				continue
			}
			// A HelmRelease's chartRef may name a HelmChart instead, whose
			// sourceRef is in its own namespace.
			if n.GetKind() == "HelmChart" && group(n.GetApiVersion()) == sourceGroup {
				if err := chartFromSource(src, r.p, res, run, o, "spec"); err != nil {
					errs = append(errs, err)
				}
				continue
			}
			if n.GetKind() != "Kustomization" || group(n.GetApiVersion()) != kustomizeGroup {
				continue
			}
			field := func(p ...string) (*kyaml.RNode, string) {
				v, err := n.Pipe(kyaml.Lookup(p...))
				if err != nil || v == nil || v.YNode().Kind != kyaml.ScalarNode {
					return nil, ""
				}
				return v, v.YNode().Value
			}
			_, kind := field("spec", "sourceRef", "kind")
			_, name := field("spec", "sourceRef", "name")
			_, ns := field("spec", "sourceRef", "namespace")
			if ns == "" {
				ns = n.GetNamespace()
			}
			if kind != src.Kind || name != src.Name || ns != srcNS {
				continue
			}
			pv, p := field("spec", "path")
			p = strings.Trim(path.Clean("/"+p), "/")
			inside := env == "" || p == env || strings.HasPrefix(p, env+"/")
			holds := p == "" || strings.HasPrefix(env, p+"/")
			line := o.Line
			if pv != nil {
				line = o.LineOf(pv.YNode())
			}
			if !inside && !holds {
				if app, ok := sourceFolderOf(r.p, res, p); ok {
					errs = append(errs, &diag.Error{File: o.File, Line: line, App: run.app.Name, Object: objRef(o), Field: "spec.path",
						Msg: fmt.Sprintf("builds %s, the folder kiln renders app %s from, out of kiln's source %s/%s/%s, which holds kiln's rendered manifests: there that folder is either missing, and this Kustomization fails, "+
							"or the templates unrendered, applied beside kiln's own Kustomization of app %s, and either owner's prune deletes what the other applies",
							p, app, src.Kind, srcNS, src.Name, app),
						Hint: fmt.Sprintf("drop this Kustomization from app %s: kiln's own Kustomization of app %s (in the env's flux/) applies that app's rendered objects; give app %s in kiln.yaml the dependsOn, timeout or health checks this one set. "+
							"Where it runs now with prune: true, give it prune: false in the source the cluster syncs before switching, or its deletion may prune the app's objects (docs/flux.md, a cluster Flux already runs)", run.app.Name, app, app)})
				}
				continue
			}
			shown := p
			if shown == "" {
				shown = "the repository's root"
			}
			what := fmt.Sprintf("%s, env %s's folder", shown, res.Env.Name)
			switch {
			case inside && p != env:
				what = fmt.Sprintf("%s, inside env %s's folder %s", shown, res.Env.Name, env)
			case holds:
				what = fmt.Sprintf("%s, which holds env %s's folder %s", shown, res.Env.Name, env)
			}
			errs = append(errs, &diag.Error{File: o.File, Line: line, App: run.app.Name, Object: objRef(o), Field: "spec.path",
				Msg: fmt.Sprintf("builds %s from kiln's source %s/%s/%s: what kiln writes there is applied already (apps/<app>/ by each app's Kustomization, flux/ by the bootstrap), "+
					"so this Kustomization would apply kiln's objects, Kustomizations or high-level/ HelmReleases a second time, and either owner's prune would delete them; a folder kiln does not write there does not exist",
					what, src.Kind, srcNS, src.Name),
				Hint: "point spec.path at a folder outside the env's folder, or drop this Kustomization: kiln's Kustomizations apply the env"})
		}
	}
	return errs
}

// chartFromSource refuses a HelmRelease (or the HelmChart a HelmRelease's
// chartRef names) in run's output whose chart is a path of kiln's
// source, the manifests repository, where kiln renders an app from that
// very folder: there the chart is missing, and the release fails, or it
// is the chart itself, which helm-controller installs beside kiln's
// Kustomization of the app, two owners of every object. src is kiln's
// source; at is the path of the mapping that holds sourceRef and chart.
func chartFromSource(src flux.Ref, pl *envconfig.Pipeline, res *envconfig.Resolved, run *appRun, o templates.Object, at ...string) error {
	value := func(p ...string) string {
		if v := setScalar(o.Node, append(slices.Clone(at), p...)...); v != nil {
			return v.Value
		}
		return ""
	}
	if value("sourceRef", "kind") != src.Kind || value("sourceRef", "name") != src.Name || cmp.Or(value("sourceRef", "namespace"), o.Node.GetNamespace()) != src.Namespace {
		return nil
	}
	cv := setScalar(o.Node, append(slices.Clone(at), "chart")...)
	if cv == nil {
		return nil
	}
	p := strings.Trim(path.Clean("/"+cv.Value), "/")
	app, ok := sourceFolderOf(pl, res, p)
	if !ok {
		return nil
	}
	e := &diag.Error{File: o.File, Line: o.LineOf(cv), App: run.app.Name, Object: objRef(o), Field: strings.Join(at, ".") + ".chart",
		Msg: fmt.Sprintf("installs chart %s, the folder kiln renders app %s from, out of kiln's source %s/%s/%s, which holds kiln's rendered manifests: there the chart is either missing, and the release fails, "+
			"or the chart itself, which helm-controller installs beside kiln's own Kustomization of app %s, two owners of every object",
			p, app, src.Kind, src.Namespace, src.Name, app),
		Hint: fmt.Sprintf("drop this HelmRelease from app %s: kiln renders the chart as app %s; give that app in kiln.yaml and its env files the values, dependsOn and timeout this one set. "+
			"Where it runs now, suspend it (spec.suspend: true) in the source the cluster syncs before switching: helm-controller uninstalls a deleted release, with the objects kiln's app now holds, unless it is suspended (docs/flux.md, a cluster Flux already runs)", run.app.Name, app)}
	if o.Node.GetKind() == "HelmChart" {
		e.Msg = fmt.Sprintf("builds chart %s, the folder kiln renders app %s from, out of kiln's source %s/%s/%s, which holds kiln's rendered manifests: there the chart is either missing, and the HelmChart fails, "+
			"or the chart itself, which a HelmRelease whose chartRef names this HelmChart installs beside kiln's own Kustomization of app %s, two owners of every object",
			p, app, src.Kind, src.Namespace, src.Name, app)
		e.Hint = fmt.Sprintf("drop this HelmChart, and each HelmRelease whose chartRef names it, from app %s: kiln renders the chart as app %s; give that app in kiln.yaml and its env files the values, dependsOn and timeout those set. "+
			"Where those run now, suspend them (spec.suspend: true) in the source the cluster syncs before switching: helm-controller uninstalls a deleted release unless it is suspended (docs/flux.md, a cluster Flux already runs)", run.app.Name, app)
	}
	return e
}

// sourceFolderOf names the app of res, or of pl in any env, whose source folder (a kustomize
// overlay, a yaml folder or a chart folder of the repository, {env}
// replaced) is p: a Flux Kustomization
// building p from kiln's source, the manifests repository, builds what
// kiln renders that app from. A repository turned into a kiln.yaml still
// holds the Flux Kustomizations that used to apply its folders (a
// home-ops layout's ks.yaml beside each app), now in the output of the
// app that held them. A folder above or below an app's is not judged:
// in a manifests repository that is also the source, Flux may build
// such a folder as it is, beside kiln's apps.
func sourceFolderOf(pl *envconfig.Pipeline, res *envconfig.Resolved, p string) (app string, ok bool) {
	if p == "" {
		return "", false
	}
	for _, a := range res.Apps {
		if appFolder(a.App, res.Env.Name) == p {
			return a.Name, true
		}
	}
	// Another env's folder of an app is no more there: a dev app's
	// leftover building apps/web/overlays/prod fails the same way.
	for _, a := range pl.Apps {
		for _, e := range pl.Environments {
			if appFolder(a, e.Name) == p {
				return a.Name, true
			}
		}
	}
	return "", false
}

// appFolder is the folder kiln renders app a from in env ({env}
// replaced), cleaned; "" for a remote chart or a Jsonnet file.
func appFolder(a envconfig.App, env string) string {
	var folder string
	switch {
	case a.Engine == envconfig.EngineKustomize:
		folder = a.Kustomize
	case a.Engine == envconfig.EngineYAML:
		folder = a.YAML
	case a.Engine == envconfig.EngineHelm && a.Helm != nil && a.Helm.Repo == "":
		folder = a.Helm.Chart
	}
	folder = strings.Trim(path.Clean("/"+strings.ReplaceAll(folder, "{env}", env)), "/")
	if folder == "." {
		return ""
	}
	return folder
}

// suspendedFlux warns about the Flux Kustomizations and HelmReleases in
// an app's output with spec.suspend: true, once per app at the first,
// counting the rest (an overlay's patch that suspends every HelmRelease
// of the app makes one warning, not one per object). Its controller does not
// reconcile it and keeps its last status, while the app's Kustomization
// health-checks it (healthChecks, or every object under wait: true): the
// stale status decides the app's health, its commit status and the
// promotion gate. A Ready=True left from an earlier revision passes them
// although the object never applied this one; a change to its spec
// (a new generation its controller never observes) fails the app's
// health check at every reconcile, after the timeout, as "health check
// failed"; an old failure fails them however good this revision is.
// A warning, an error under --strict: suspending is a Flux user's
// deliberate act, and promoting past it should be one too.
func suspendedFlux(runs []*appRun) []diag.Warning {
	var warns []diag.Warning
	for _, run := range runs {
		var w diag.OnceEach
		for _, o := range run.objs {
			n := o.Node
			if n == nil || o.Raw != nil || flux.NotApplied(n) || !reconciled(n) {
				continue
			}
			s := suspendedAt(n)
			if s == nil || w.Seen("") {
				continue
			}
			w.Add("", &diag.Warning{File: o.File, Line: o.LineOf(s), App: run.app.Name, Object: objRef(o),
				Msg: fmt.Sprintf("spec.suspend: true: Flux does not reconcile it and keeps its last status, which app %s's health check, its commit status and the promotion gate then judge: "+
					"a Ready left from an earlier revision passes them although this one was never applied, and an old failure, or a change to its spec that Flux never observes, fails them whatever this revision does", run.app.Name),
				Hint: "remove spec.suspend (or set it to false) before promoting; to hold an app back in an env, set apps.<app>.enabled: false in that env's file instead"})
		}
		warns = append(warns, w.Warnings("object")...)
	}
	return warns
}

// kilnKustomizations maps the name of each Kustomization kiln writes in
// flux.namespace for an app of res to the app (own), and the name it would
// write for each app the env disables to that app (off).
func (r *Renderer) kilnKustomizations(res *envconfig.Resolved) (own, off map[string]string) {
	own, off = map[string]string{}, map[string]string{}
	for _, a := range res.Apps {
		own[r.p.FluxName(a.Name, res.Env.Name)] = a.Name
	}
	for _, name := range res.Disabled {
		off[r.p.FluxName(name, res.Env.Name)] = name
	}
	return own, off
}
