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
)

// clusterNamespaces exist in every cluster: the API server makes them.
var clusterNamespaces = map[string]bool{"default": true, "kube-system": true, "kube-public": true, "kube-node-lease": true}

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
// It stays quiet for the namespaces every cluster has (the API server's own,
// flux.namespace and the source's, which the bootstrap makes), for those kiln.yaml lists
// under validation.namespaces, and for an app that depends, itself or
// through apps it depends on, on a Kustomization kiln does not manage, or
// on an app whose output holds a Flux Kustomization or a HelmRelease that
// creates its namespace: either may create it, and kiln cannot see what
// they apply. nsOwner maps each
// namespace an app creates to that app: checkEnv orders those apps.
// unapplied maps each namespace whose Namespace an app holds but Flux does
// not apply (reconcile: disabled, ssa: Ignore) to that app: Flux never
// creates it, so it counts as uncreated, and the warning says why.
func (r *Renderer) uncreatedNamespaces(scopes *scope.Scopes, runs []*appRun, g *graph.Graph, nsOwner, unapplied map[string]string) []diag.Warning {
	if len(nsOwner) == 0 {
		return nil
	}
	known := map[string]bool{r.p.Flux.Namespace: true, r.p.Flux.SourceRef.Namespace: true}
	for _, ns := range r.p.Validation.Namespaces {
		known[ns] = true
	}
	// The apps that may be ordered after what kiln cannot see into.
	external := map[string]bool{}
	for _, run := range runs {
		if !external[run.app.Name] && (hasExternal(run.app.DependsOn) || appliesMore(run)) {
			external[run.app.Name] = true
			for a := range g.Dependents(run.app.Name) {
				external[a] = true
			}
		}
	}
	var warns []diag.Warning
	for _, run := range runs {
		if external[run.app.Name] {
			continue
		}
		seen := map[string]bool{}
		for _, o := range run.objs {
			n := o.Node
			if n == nil || flux.NotApplied(n) {
				continue
			}
			ns := appliedNamespace(scopes, n)
			if ns == "" || seen[ns] || known[ns] || clusterNamespaces[ns] || nsOwner[ns] != "" || guessed(scopes, n, run.app.Namespace) {
				continue
			}
			seen[ns] = true
			if holder := unapplied[ns]; holder != "" {
				warns = append(warns, diag.Warning{File: r.configFile(), Line: run.app.Line, App: run.app.Name, Object: objRef(o),
					Msg:  fmt.Sprintf("puts objects into namespace %s, whose Namespace app %s holds but Flux never creates (kustomize.toolkit.fluxcd.io/reconcile: disabled or ssa: Ignore): on a cluster without it Flux's apply fails (namespaces %q not found)", ns, holder, ns),
					Hint: fmt.Sprintf("annotate the Namespace in app %s kustomize.toolkit.fluxcd.io/ssa: IfNotPresent instead, so that Flux creates it where it is missing and leaves it alone where it is; if clusters make it by other means, list it under validation.namespaces in kiln.yaml", holder)})
				continue
			}
			warns = append(warns, diag.Warning{File: r.configFile(), Line: run.app.Line, App: run.app.Name, Object: objRef(o),
				Msg: fmt.Sprintf("puts objects into namespace %s, which no app creates: on a cluster without it Flux's apply fails (namespaces %q not found)", ns, ns),
				Hint: fmt.Sprintf("add a Namespace %s to app %s or to an app it depends on; if clusters make it by other means, list it under validation.namespaces in kiln.yaml, "+
					"or add the Kustomization that creates it to dependsOn (namespace/name)", ns, run.app.Name)})
		}
	}
	return warns
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
// which applies objects kiln does not see, or a HelmRelease whose install
// creates its target namespace (spec.install.createNamespace).
func appliesMore(run *appRun) bool {
	for _, o := range run.objs {
		n := o.Node
		if n == nil {
			continue
		}
		switch group(n.GetApiVersion()) + "/" + n.GetKind() {
		case "kustomize.toolkit.fluxcd.io/Kustomization":
			return true
		case "helm.toolkit.fluxcd.io/HelmRelease":
			if v, err := n.GetFieldValue("spec.install.createNamespace"); err == nil && v == true {
				return true
			}
		}
	}
	return false
}

// guessed reports whether n's namespace may be one kiln gave it without
// knowing its kind's scope: the app's namespace on a kind neither built in
// nor defined by a CRD kiln knows, and not Flux's (whose kinds are all
// namespaced). Such an object already has its warning (guessedScope), and
// if its kind is cluster-scoped the API server drops the namespace.
func guessed(scopes *scope.Scopes, n *kyaml.RNode, appNamespace string) bool {
	apiVersion := n.GetApiVersion()
	return !scopes.Known(apiVersion, n.GetKind()) && !strings.HasSuffix(group(apiVersion), ".toolkit.fluxcd.io") && n.GetNamespace() == appNamespace
}
