package render

import (
	"fmt"
	"strings"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/render/internal/flux"
	"github.com/kiln-gitops/kiln/render/internal/graph"
	"github.com/kiln-gitops/kiln/render/internal/scope"
	"github.com/kiln-gitops/kiln/templates"
)

// clusterNamespaces exist in every cluster: the API server makes them.
var clusterNamespaces = map[string]bool{"default": true, "kube-system": true, "kube-public": true, "kube-node-lease": true}

// alwaysThere reports whether namespace ns exists before any app is
// applied, whichever app holds its Namespace: the API server makes
// clusterNamespaces, and kiln's Kustomizations and their source live in
// flux.namespace and flux.sourceRef.namespace, so Flux applies no app
// before they exist. An app putting objects there needs no order after
// the app holding the Namespace (a home-ops repository's
// kubernetes/apps/flux-system), and asking for one made a cycle of apps
// that Flux orders fine.
func (r *Renderer) alwaysThere(ns string) bool {
	return clusterNamespaces[ns] || ns == r.p.Flux.Namespace || ns == r.p.Flux.SourceRef.Namespace
}

// uncreatedNamespaces warns of each app that puts objects into a namespace
// no app of the env creates. Flux's apply of such an app fails on a
// cluster without the namespace (`namespaces "X" not found`), and neither
// Helm's release namespace nor kiln's namespace key makes one: a user
// coming from a HelmRelease with install.createNamespace loses that.
//
// Clusters often make their namespaces by other means (Terraform, a
// platform team's bootstrap), so the warning comes only in an env where
// some app creates a Namespace: there the env manages its namespaces, and
// one left out is a slip that passes every check and fails after the
// merge. Where no app creates any, warning of every app would be noise on
// most fleets (377 of 538 apps kiln init found on real repositories).
//
// It stays quiet for the namespaces every cluster has (the API server's
// own, flux.namespace and the source's, which the bootstrap makes), for
// those kiln.yaml lists under validation.namespaces, and for an app that
// depends, itself or through apps it depends on, on a Kustomization kiln
// does not manage or on an app whose output holds a Flux Kustomization:
// either may create it, and kiln cannot see what they apply. After a
// HelmRelease that creates its namespace, only that namespace is spared.
//
// nsOwner maps each namespace an app creates to that app: checkEnv orders
// those apps. unapplied maps each namespace whose Namespace an app holds
// but Flux does not apply (reconcile: disabled, ssa: Ignore) to that app:
// Flux never creates it, so it counts as uncreated, and the warning says
// why.
func (r *Renderer) uncreatedNamespaces(scopes *scope.Scopes, runs []*appRun, g *graph.Graph, nsOwner, unapplied map[string]string) []diag.Warning {
	if len(nsOwner) == 0 {
		return nil
	}
	known := map[string]bool{r.p.Flux.Namespace: true, r.p.Flux.SourceRef.Namespace: true}
	for _, ns := range r.p.Validation.Namespaces {
		known[ns] = true
	}
	// The apps that may be ordered after what kiln cannot see into. The
	// app holding a Flux Kustomization or a namespace-creating HelmRelease
	// is not one of them: kustomize-controller applies its objects
	// together, and a dry run refused for a missing namespace fails them
	// all, so the Kustomization or release that would create it is never
	// applied. A HelmRelease that creates its namespace exempts the apps
	// ordered after it from that namespace alone.
	external := map[string]bool{}
	helmMade := map[string]map[string]bool{} // app → namespaces created before it
	for _, run := range runs {
		name := run.app.Name
		if external[name] {
			continue
		}
		after := hasExternal(run.app.DependsOn)
		kustomization, created := appliesMore(run)
		switch {
		case after || kustomization:
			external[name] = after
			for a := range g.Dependents(name) {
				external[a] = true
			}
		case len(created) > 0:
			for a := range g.Dependents(name) {
				if helmMade[a] == nil {
					helmMade[a] = map[string]bool{}
				}
				for ns := range created {
					helmMade[a][ns] = true
				}
			}
		}
	}
	releases := helmReleasesOf(runs)
	var warns []diag.Warning
	for _, run := range runs {
		if external[run.app.Name] {
			continue
		}
		seen := map[string]bool{}
		warn := func(o templates.Object, ns string, via namespaceUse) {
			if ns == "" || seen[ns] || known[ns] || clusterNamespaces[ns] || nsOwner[ns] != "" || helmMade[run.app.Name][ns] {
				return
			}
			seen[ns] = true
			w := diag.Warning{File: r.configFile(), Line: run.app.Line, App: run.app.Name, Object: objRef(o)}
			if at := run.app.NamespaceAt; ns == run.app.Namespace && at.Line > 0 {
				// The env's file chose the namespace: that is where to look.
				w.File, w.Line = at.File, at.Line
			}
			switch holder := unapplied[ns]; {
			case holder != "":
				w.Msg = fmt.Sprintf("%s namespace %s, whose Namespace app %s holds but Flux never creates (kustomize.toolkit.fluxcd.io/reconcile: disabled or ssa: Ignore): on a cluster without it %s fails (namespaces %q not found)", via.puts(), ns, holder, via.applier(), ns)
				w.Hint = fmt.Sprintf("annotate the Namespace in app %s kustomize.toolkit.fluxcd.io/ssa: IfNotPresent instead, so that Flux creates it where it is missing and leaves it alone where it is; if clusters make it by other means, list it under validation.namespaces in kiln.yaml", holder)
			case via == helmTarget:
				w.Msg = fmt.Sprintf("installs its chart into namespace %s, which no app creates: on a cluster without it helm-controller's install fails (namespaces %q not found)", ns, ns)
				w.Hint = fmt.Sprintf("add a Namespace %s to app %s or to an app it depends on, or set spec.install.createNamespace: true on the HelmRelease; if clusters make it by other means, list it under validation.namespaces in kiln.yaml", ns, run.app.Name)
			case via == helmStorage:
				w.Msg = fmt.Sprintf("keeps its Helm release in namespace %s (spec.storageNamespace), which no app creates: on a cluster without it helm-controller's install fails (namespaces %q not found)", ns, ns)
				w.Hint = fmt.Sprintf("add a Namespace %s to app %s or to an app it depends on (install.createNamespace creates the target namespace only); if clusters make it by other means, list it under validation.namespaces in kiln.yaml", ns, run.app.Name)
			default:
				w.Msg = fmt.Sprintf("puts objects into namespace %s, which no app creates: on a cluster without it Flux's apply fails (namespaces %q not found)", ns, ns)
				w.Hint = fmt.Sprintf("add a Namespace %s to app %s or to an app it depends on; if clusters make it by other means, list it under validation.namespaces in kiln.yaml, "+
					"or add the Kustomization that creates it to dependsOn (namespace/name)", ns, run.app.Name)
			}
			warns = append(warns, w)
		}
		// Objects of a kind of unknown scope come last, so that the
		// warning names one whose namespace the API server surely keeps
		// where there is one: a cluster-scoped kind's namespace is
		// dropped, and kiln cannot tell.
		var unsure []templates.Object
		for _, o := range run.objs {
			n := o.Node
			if n == nil || flux.NotApplied(n) {
				continue
			}
			if unknownScope(scopes, n) {
				if !guessed(scopes, n, run.app.Namespace) {
					unsure = append(unsure, o)
				}
				continue
			}
			warn(o, appliedNamespace(scopes, n), objectNamespace)
			target, storage := helmReleaseNamespaces(n)
			// helm-controller installs a HelmRelease only once those it
			// depends on are ready: a namespace one of them created is
			// there by then, in the same app or another.
			made := releases.createdBefore(n.GetNamespace() + "/" + n.GetName())
			if made[target] {
				target = ""
			}
			if made[storage] {
				storage = ""
			}
			warn(o, target, helmTarget)
			warn(o, storage, helmStorage)
		}
		for _, o := range unsure {
			before := len(warns)
			warn(o, o.Node.GetNamespace(), objectNamespace)
			if len(warns) > before {
				warns[before].Hint += fmt.Sprintf("; if kind %s is cluster-scoped, the API server drops its namespace: list its CustomResourceDefinition under validation.crds", o.Node.GetKind())
			}
		}
	}
	return warns
}

// namespaceUse says why an app needs a namespace: for its objects, or
// for what helm-controller does with one of its HelmReleases.
type namespaceUse int

const (
	objectNamespace namespaceUse = iota
	helmTarget
	helmStorage
)

func (h namespaceUse) puts() string {
	switch h {
	case helmTarget:
		return "installs its chart into"
	case helmStorage:
		return "keeps its Helm release in"
	}
	return "puts objects into"
}

func (h namespaceUse) applier() string {
	if h == objectNamespace {
		return "Flux's apply"
	}
	return "helm-controller's install"
}

// helmInstall is what helm-controller does with a HelmRelease on kiln's
// cluster: it installs the chart into target (spec.targetNamespace; ""
// for the release's own), which Helm creates only when creates
// (spec.install.createNamespace), and writes the release record into
// storage (spec.storageNamespace), which Helm never creates unless it is
// that target. Either missing fails the install (namespaces "X" not
// found).
type helmInstall struct {
	target, storage string
	creates         bool
}

// readHelmInstall reads n's helmInstall; ok is false for an object that
// is no HelmRelease, or one with spec.kubeConfig, which installs into
// another cluster kiln cannot see.
func readHelmInstall(n *kyaml.RNode) (h helmInstall, ok bool) {
	if group(n.GetApiVersion()) != "helm.toolkit.fluxcd.io" || n.GetKind() != "HelmRelease" {
		return h, false
	}
	if kc, err := n.Pipe(kyaml.Lookup("spec", "kubeConfig")); err != nil || kc != nil {
		return h, false
	}
	h.target, _ = n.GetString("spec.targetNamespace")
	h.storage, _ = n.GetString("spec.storageNamespace")
	v, err := n.GetFieldValue("spec.install.createNamespace")
	h.creates = err == nil && v == true
	return h, true
}

// helmReleaseNamespaces returns the namespaces besides its own that a
// HelmRelease needs to exist before helm-controller installs it.
func helmReleaseNamespaces(n *kyaml.RNode) (target, storage string) {
	h, ok := readHelmInstall(n)
	if !ok {
		return "", ""
	}
	if h.creates {
		if h.storage == h.target {
			h.storage = ""
		}
		h.target = ""
	}
	return h.target, h.storage
}

// hasExternal reports whether deps name a Kustomization kiln does not
// manage.
func hasExternal(deps []envconfig.Dependency) bool {
	for _, d := range deps {
		if d.External {
			return true
		}
	}
	return false
}

// appliesMore reports whether run's output holds a Flux Kustomization,
// which applies objects kiln does not see, and the namespaces its
// HelmReleases create (spec.install.createNamespace: the target namespace,
// or the release's own), on the cluster kiln sees: one with
// spec.kubeConfig installs into another.
func appliesMore(run *appRun) (kustomization bool, created map[string]bool) {
	for _, o := range run.objs {
		n := o.Node
		if n == nil || flux.NotApplied(n) {
			continue
		}
		switch group(n.GetApiVersion()) + "/" + n.GetKind() {
		case "kustomize.toolkit.fluxcd.io/Kustomization":
			kustomization = true
		case "helm.toolkit.fluxcd.io/HelmRelease":
			h, ok := readHelmInstall(n)
			if !ok || !h.creates {
				continue
			}
			ns := h.target
			if ns == "" {
				ns = n.GetNamespace()
			}
			if created == nil {
				created = map[string]bool{}
			}
			created[ns] = true
		}
	}
	return kustomization, created
}

// unknownScope reports whether kiln does not know n's kind to be
// namespaced or cluster-scoped: neither built in, nor defined by a CRD kiln
// knows, nor Flux's (whose kinds are all namespaced).
func unknownScope(scopes *scope.Scopes, n *kyaml.RNode) bool {
	apiVersion := n.GetApiVersion()
	return !scopes.Known(apiVersion, n.GetKind()) && !strings.HasSuffix(group(apiVersion), ".toolkit.fluxcd.io")
}

// guessed reports whether n's namespace may be one kiln gave it without
// knowing its kind's scope: the app's namespace on a kind neither built in
// nor defined by a CRD kiln knows, and not Flux's (whose kinds are all
// namespaced). Such an object already has its warning (guessedScope), and
// if its kind is cluster-scoped the API server drops the namespace.
func guessed(scopes *scope.Scopes, n *kyaml.RNode, appNamespace string) bool {
	return unknownScope(scopes, n) && n.GetNamespace() == appNamespace
}

// helmReleases are the env's HelmReleases that install on kiln's cluster,
// by namespace/name: the namespace each creates ("" for none) and those
// its spec.dependsOn names.
type helmReleases map[string]helmRelease

type helmRelease struct {
	creates   string
	dependsOn []string
}

// helmReleasesOf reads the HelmReleases Flux applies among runs' objects.
func helmReleasesOf(runs []*appRun) helmReleases {
	out := helmReleases{}
	for _, run := range runs {
		for _, o := range run.objs {
			n := o.Node
			if n == nil || flux.NotApplied(n) {
				continue
			}
			h, ok := readHelmInstall(n)
			if !ok {
				continue
			}
			var r helmRelease
			if h.creates {
				r.creates = h.target
				if r.creates == "" {
					r.creates = n.GetNamespace()
				}
			}
			deps, _ := n.Pipe(kyaml.Lookup("spec", "dependsOn"))
			if deps != nil {
				elems, _ := deps.Elements()
				for _, d := range elems {
					name, _ := d.GetString("name")
					ns, _ := d.GetString("namespace")
					if ns == "" {
						ns = n.GetNamespace()
					}
					if name != "" {
						r.dependsOn = append(r.dependsOn, ns+"/"+name)
					}
				}
			}
			out[n.GetNamespace()+"/"+n.GetName()] = r
		}
	}
	return out
}

// createdBefore returns the namespaces created by the HelmReleases that
// the one named key depends on, directly or through others: those
// helm-controller has installed before it installs key.
func (rs helmReleases) createdBefore(key string) map[string]bool {
	var made map[string]bool
	seen := map[string]bool{key: true}
	queue := append([]string(nil), rs[key].dependsOn...)
	for len(queue) > 0 {
		k := queue[0]
		queue = queue[1:]
		if seen[k] {
			continue
		}
		seen[k] = true
		r, ok := rs[k]
		if !ok {
			continue
		}
		if r.creates != "" {
			if made == nil {
				made = map[string]bool{}
			}
			made[r.creates] = true
		}
		queue = append(queue, r.dependsOn...)
	}
	return made
}
