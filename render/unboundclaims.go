package render

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/words"
	"github.com/kiln-gitops/kiln/render/internal/flux"
	"github.com/kiln-gitops/kiln/render/internal/graph"
	"github.com/kiln-gitops/kiln/render/internal/scope"
	"github.com/kiln-gitops/kiln/templates"
)

// The annotations that make a StorageClass the cluster's default, which
// the API server's DefaultStorageClass admission gives a claim without
// storageClassName (k8s.io/component-helpers storage/volume
// IsDefaultAnnotation: either one, "true"), and the legacy class
// annotation the PV controller still reads before storageClassName
// (GetPersistentVolumeClaimClass).
const (
	defaultClassAnnotation     = "storageclass.kubernetes.io/is-default-class"
	betaDefaultClassAnnotation = "storageclass.beta.kubernetes.io/is-default-class"
	betaClaimClassAnnotation   = "volume.beta.kubernetes.io/storage-class"
	// selectedNodeAnnotation is the scheduler's word to the PV controller
	// that a pod needs the claim on that node; a claim created with it is
	// provisioned without waiting for a pod (component-helpers
	// AnnSelectedNode, IsDelayBindingProvisioning).
	selectedNodeAnnotation = "volume.kubernetes.io/selected-node"
)

// storageClass is a StorageClass the env renders, as unboundClaims reads it.
type storageClass struct {
	waits bool // volumeBindingMode: WaitForFirstConsumer
	app   string
	file  string
	line  int // of volumeBindingMode
}

// unboundClaims warns of each PersistentVolumeClaim that Flux waits for
// and that never binds. Flux judges a claim with kstatus, which calls it
// Current only once status.phase is Bound (cli-utils pkg/kstatus/status
// core.go, pvcConditions), and kustomize-controller waits on every object
// it applies under wait: true, or on those healthChecks names
// (checkHealth, WaitForSetWithContext until spec.timeout). A claim whose
// StorageClass has volumeBindingMode: WaitForFirstConsumer stays Pending
// until the scheduler places a pod that mounts it (the PV controller's
// shouldDelayBinding). With no such pod among the app's, the app's
// Kustomization times out at every reconcile, is never Ready, and no app
// that dependsOn it is ever applied; with the only pods in an app that
// depends on this one, that app waits for this one and this one for its
// pods: a deadlock.
//
// Only what kiln sees: the classes the env renders (a claim naming
// another class, or with none when the env renders no default class, is
// the cluster's business and passes), pods of built-in or custom kinds
// that mount the claim by a claimName (mountedClaims) or, for a
// StatefulSet, by the name its volumeClaimTemplates give each pod's claim
// (claimTemplatePrefixes). Passing too: a claim with volumeName (the PV
// controller binds a claim to the volume it names without waiting for a
// consumer, whatever the binding mode), one a PersistentVolume of the
// env reserves by its claimRef (bound to it the same way), one with the
// scheduler's selected-node annotation (provisioned on that node at
// once), a
// claim in an app with a HelmRelease or Flux Kustomization, or in the
// namespace one of an app applied beside it installs into (their pods,
// which kiln does not render, may mount it), a claim a healthCheckExprs
// expression judges instead of kstatus, objects Flux does not apply. A
// pod that mounts the claim counts unless its workload starts none when
// applied: a CronJob (its pods start on schedule), a suspended Job, a
// workload with replicas: 0.
func (r *Renderer) unboundClaims(runs []*appRun, scopes *scope.Scopes, g *graph.Graph) []diag.Warning {
	classes := map[string]storageClass{}
	var defaults []string
	// consumers: namespace/claim → apps with a pod that mounts it;
	// ordinals: namespace/prefix → apps with a StatefulSet whose pods
	// mount the claims named prefix<ordinal>.
	consumers, ordinals := map[string][]string{}, map[string][]string{}
	// unseen: namespace ("" for any) → apps whose HelmReleases or Flux
	// Kustomizations make pods there that kiln does not render.
	unseen := map[string][]string{}
	// prebound: namespace/claim of each PersistentVolume's claimRef. The
	// PV controller binds a claim to the volume reserved for it without
	// waiting for a consumer (FindMatchingVolume returns a volume bound
	// to the claim before it skips the rest under delayed binding).
	prebound := map[string]bool{}
	waiting := false
	for _, run := range runs {
		for _, o := range run.objs {
			n := o.Node
			if n == nil || o.Raw != nil || flux.NotApplied(n) {
				continue
			}
			if n.GetKind() == "PersistentVolume" && group(n.GetApiVersion()) == "" {
				ns, name := setScalar(n, "spec", "claimRef", "namespace"), setScalar(n, "spec", "claimRef", "name")
				if ns != nil && name != nil {
					prebound[ns.Value+"/"+name.Value] = true
				}
				continue
			}
			if n.GetKind() != "StorageClass" || group(n.GetApiVersion()) != "storage.k8s.io" {
				continue
			}
			mode := setScalar(n, "volumeBindingMode")
			sc := storageClass{app: run.app.Name, file: o.File, line: o.Line}
			if mode != nil {
				sc.waits, sc.line = mode.Value == "WaitForFirstConsumer", o.LineOf(mode)
			}
			waiting = waiting || sc.waits
			classes[n.GetName()] = sc
			if a := n.GetAnnotations(); a[defaultClassAnnotation] == "true" || a[betaDefaultClassAnnotation] == "true" {
				defaults = append(defaults, n.GetName())
			}
		}
	}
	if !waiting {
		// Most envs: no claim can wait for a consumer, and no object
		// needs walking for its mounts.
		return nil
	}
	for _, run := range runs {
		for _, o := range run.objs {
			n := o.Node
			if n == nil || o.Raw != nil || flux.NotApplied(n) || startsNoPod(n) {
				continue
			}
			ns := appliedNamespace(scopes, n)
			for _, claim := range mountedClaims(n.YNode()) {
				addApp(consumers, ns+"/"+claim, run.app.Name)
			}
			for _, prefix := range claimTemplatePrefixes(n) {
				addApp(ordinals, ns+"/"+prefix, run.app.Name)
			}
			if at, ok := fluxPodsNamespace(n); ok {
				addApp(unseen, at, run.app.Name)
			}
		}
	}
	// Several default classes: the API server gives the newest one, which
	// kiln cannot tell; only a choice that does not matter is made.
	defaultClass := ""
	if len(defaults) > 0 && !slices.ContainsFunc(defaults, func(d string) bool { return classes[d].waits != classes[defaults[0]].waits }) {
		defaultClass = defaults[0]
	}

	var warns []diag.Warning
	for _, run := range runs {
		waits := r.appWaits(&run.app)
		// namespace/claim → where flux.healthChecks names it; an entry
		// without namespace names the app's object.
		checked := map[string]string{}
		for _, hc := range run.app.Flux.HealthChecks {
			if hc.Kind == "PersistentVolumeClaim" && group(hc.APIVersion) == "" {
				checked[hc.Namespace+"/"+hc.Name] = fmt.Sprintf("%s:%d", cmp.Or(hc.File, r.configFile()), hc.Line)
			}
		}
		if !waits && len(checked) == 0 || judgedByExpr(run) || holdsFluxObjects(run) {
			continue
		}
		var w diag.OnceEach
		var dependents map[string]bool
		for _, o := range run.objs {
			n := o.Node
			if n == nil || o.Raw != nil || n.GetKind() != "PersistentVolumeClaim" || group(n.GetApiVersion()) != "" || flux.NotApplied(n) {
				continue
			}
			ns := appliedNamespace(scopes, n)
			how := "flux wait: true (Flux then waits for every object the app applies)"
			if !waits {
				at, ok := checked[ns+"/"+n.GetName()]
				if !ok {
					at, ok = checked["/"+n.GetName()]
				}
				if !ok {
					continue
				}
				how = "the flux.healthChecks entry at " + at
			}
			if setScalar(n, "spec", "volumeName") != nil {
				continue
			}
			if _, ok := n.GetAnnotations()[selectedNodeAnnotation]; ok || prebound[ns+"/"+n.GetName()] {
				continue
			}
			name, what := claimClass(n, defaultClass)
			sc, ok := classes[name]
			if name == "" || !ok || !sc.waits {
				continue
			}
			users := slices.Clone(consumers[ns+"/"+n.GetName()])
			for key, apps := range ordinals {
				if prefix, ok := strings.CutPrefix(key, ns+"/"); ok && isOrdinalOf(n.GetName(), prefix) {
					users = append(users, apps...)
				}
			}
			slices.Sort(users)
			users = slices.Compact(users)
			if slices.Contains(users, run.app.Name) {
				continue
			}
			if dependents == nil && g != nil {
				dependents = g.Dependents(run.app.Name)
			}
			if slices.ContainsFunc(users, func(a string) bool { return !dependents[a] }) {
				// Applied beside this app, its pods bind the claim within
				// the health check's wait.
				continue
			}
			if slices.ContainsFunc(slices.Concat(unseen[ns], unseen[""]), func(a string) bool { return !dependents[a] }) {
				// Applied beside this app, a HelmRelease's or a Flux
				// Kustomization's pods may mount it, as in its own app.
				continue
			}
			class := fmt.Sprintf("StorageClass %s (%s, app %s, %s:%d)", name, what, sc.app, sc.file, sc.line)
			msg, hint := unboundMessage(run.app.Name, class, how, waits, users)
			key := "unused"
			if len(users) > 0 {
				key = strings.Join(users, ",")
			}
			if w.Seen(key) {
				continue
			}
			w.Add(key, &diag.Warning{File: o.File, Line: o.Line, App: run.app.Name, Object: objRef(o), Msg: msg, Hint: hint})
		}
		warns = append(warns, w.Warnings("claim")...)
	}
	return warns
}

// unboundMessage is the warning of a claim of app, whose class never
// binds it without a consumer, that Flux waits for (how): no pod mounts
// it, or only pods of users (sorted), which depend on app: a deadlock.
func unboundMessage(app, class, how string, waits bool, users []string) (msg, hint string) {
	undo := "remove the claim from flux.healthChecks"
	if waits {
		undo = fmt.Sprintf("set flux.wait: false for app %s", app)
	}
	if len(users) == 0 {
		msg = fmt.Sprintf("its %s has volumeBindingMode: WaitForFirstConsumer, so the claim stays Pending until a pod that mounts it is scheduled, and no pod of app %s mounts it; "+
			"with %s, Flux's health check (kstatus) waits for the claim to be Bound, so app %s's Kustomization times out at every reconcile, is never Ready, and no app that dependsOn it is ever applied",
			class, app, how, app)
		if waits {
			undo += " (kiln then health-checks its workloads, not the claim)"
		}
		return msg, fmt.Sprintf("mount the claim in a pod of app %s, or give it a StorageClass with volumeBindingMode: Immediate, or %s", app, undo)
	}
	verb := "depend"
	if len(users) == 1 {
		verb = "depends"
	}
	msg = fmt.Sprintf("its %s has volumeBindingMode: WaitForFirstConsumer, so the claim stays Pending until a pod that mounts it is scheduled, and only pods of %s mount it, which %s on app %s: "+
		"with %s, Flux's health check (kstatus) waits for the claim to be Bound, so app %s is never Ready, and Flux never applies %s, whose pods would bind the claim: a deadlock",
		class, appList(users), verb, app, how, app, appList(users))
	return msg, fmt.Sprintf("move the claim into the app whose pods mount it (%s), or %s", appList(users), undo)
}

// addApp adds app to the apps of key in m, once.
func addApp(m map[string][]string, key, app string) {
	if !slices.Contains(m[key], app) {
		m[key] = append(m[key], app)
	}
}

// appList names apps as a message does: "app a", "apps a and b".
func appList(apps []string) string { return words.Noun(len(apps), "app") + " " + words.And(apps) }

// claimClass is the StorageClass the PV controller binds claim n with and
// how n gets it: storageClassName, else the legacy annotation, else, when
// both are left out, the default class the API server gives it at
// creation (def, "" when kiln knows none). "" means no class: an explicit
// storageClassName: "" binds only to volumes without one.
func claimClass(n *kyaml.RNode, def string) (name, how string) {
	if v := setScalar(n, "spec", "storageClassName"); v != nil {
		return v.Value, "its storageClassName"
	}
	if c, ok := n.GetAnnotations()[betaClaimClassAnnotation]; ok {
		return c, "its " + betaClaimClassAnnotation + " annotation"
	}
	return def, "the env's default class, as the claim names none"
}

// judgedByExpr reports whether the app's healthCheckExprs judge its
// claims: kustomize-controller then asks the expression, not kstatus.
func judgedByExpr(run *appRun) bool {
	return slices.ContainsFunc(run.app.Flux.HealthCheckExprs, func(e envconfig.HealthCheckExpr) bool {
		return e.Kind == "PersistentVolumeClaim" && group(e.APIVersion) == ""
	})
}

// holdsFluxObjects reports whether the app's output holds a HelmRelease
// or a Flux Kustomization, whose pods kiln does not see.
func holdsFluxObjects(run *appRun) bool {
	return slices.ContainsFunc(run.objs, func(o templates.Object) bool {
		if o.Node == nil || o.Raw != nil {
			return false
		}
		g, k := group(o.Node.GetApiVersion()), o.Node.GetKind()
		return (k == "HelmRelease" && g == "helm.toolkit.fluxcd.io") || (k == "Kustomization" && g == kustomizeGroup)
	})
}

// fluxPodsNamespace returns the namespace where n, a HelmRelease or a
// Flux Kustomization, makes objects kiln does not render (a HelmRelease's
// targetNamespace, else its own; a Kustomization's targetNamespace, else
// "": any, its objects name their own), and whether n is one.
func fluxPodsNamespace(n *kyaml.RNode) (string, bool) {
	g, k := group(n.GetApiVersion()), n.GetKind()
	if !(k == "HelmRelease" && g == helmGroup) && !(k == "Kustomization" && g == kustomizeGroup) {
		return "", false
	}
	if t := setScalar(n, "spec", "targetNamespace"); t != nil && t.Value != "" {
		return t.Value, true
	}
	if k == "HelmRelease" {
		return n.GetNamespace(), true
	}
	return "", true
}

// startsNoPod reports whether applying n starts no pod at once: a CronJob
// (its Jobs start on schedule), a suspended Job, a workload with
// replicas: 0.
func startsNoPod(n *kyaml.RNode) bool {
	g, k := group(n.GetApiVersion()), n.GetKind()
	switch {
	case g == "batch" && k == "CronJob":
		return true
	case g == "batch" && k == "Job":
		_, suspended := boolAt(n, "spec", "suspend")
		return suspended
	}
	v := setScalar(n, "spec", "replicas")
	return v != nil && v.Value == "0" && v.ShortTag() == kyaml.NodeTagInt
}

// mountedClaims are the claims n's pods mount: the value of each
// claimName key, wherever it is nested (a persistentVolumeClaim volume of
// a Pod, of a workload's template, of a custom resource's pod template, or
// a custom resource's own claimName field, which its operator mounts):
// taking any claimName as a mount errs towards no warning.
func mountedClaims(y *kyaml.Node) []string {
	var out []string
	var walk func(*kyaml.Node)
	walk = func(y *kyaml.Node) {
		switch y.Kind {
		case kyaml.MappingNode:
			for i := 0; i+1 < len(y.Content); i += 2 {
				k, v := y.Content[i], y.Content[i+1]
				if k.Value == "claimName" && v.Kind == kyaml.ScalarNode {
					out = append(out, v.Value)
				}
				walk(v)
			}
		case kyaml.SequenceNode:
			for _, c := range y.Content {
				walk(c)
			}
		}
	}
	walk(y)
	return out
}

// claimTemplatePrefixes are the prefixes of the claims the pods of n, a
// StatefulSet, mount through its volumeClaimTemplates: the StatefulSet
// controller names pod <ordinal>'s claim of template t "<t>-<set>-<ordinal>"
// and creates it only when no claim of that name exists, so a claim the
// env renders under that name (one restored from a snapshot, or sized
// otherwise) is the one its pod mounts.
func claimTemplatePrefixes(n *kyaml.RNode) []string {
	if group(n.GetApiVersion()) != "apps" || n.GetKind() != "StatefulSet" {
		return nil
	}
	templates, err := n.Pipe(kyaml.Lookup("spec", "volumeClaimTemplates"))
	if err != nil || templates == nil || templates.YNode().Kind != kyaml.SequenceNode {
		return nil
	}
	var out []string
	for _, t := range templates.YNode().Content {
		if name := setScalar(kyaml.NewRNode(t), "metadata", "name"); name != nil && name.Value != "" {
			out = append(out, name.Value+"-"+n.GetName()+"-")
		}
	}
	return out
}

// isOrdinalOf reports whether claim is prefix followed by a pod's
// ordinal. Any ordinal counts, whatever the StatefulSet's replicas and
// ordinals.start: an autoscaler may change the first, and erring towards
// a mount errs towards no warning.
func isOrdinalOf(claim, prefix string) bool {
	ord, ok := strings.CutPrefix(claim, prefix)
	if !ok || ord == "" || len(ord) > 1 && ord[0] == '0' {
		return false
	}
	return strings.Trim(ord, "0123456789") == ""
}
