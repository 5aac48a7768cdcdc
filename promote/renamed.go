package promote

import (
	"fmt"
	"sort"
	"strings"

	kustomizev1 "github.com/fluxcd/kustomize-controller/api/v1"
	"sigs.k8s.io/yaml"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/internal/words"
	"github.com/kiln-gitops/kiln/promote/internal/treediff"
	"github.com/kiln-gitops/kiln/render"
)

// renamed is an app whose Flux Kustomization changes name or namespace
// between the env's current tree and the new one (flux.name or
// flux.namespace changed), while its old Kustomization prunes.
type renamed struct {
	app      string
	path     string // flux/<app>.yaml
	old, new diag.Object
	// objects are the app's object files in the current tree that the old
	// Kustomization's finalizer would delete (those not annotated for
	// Flux's garbage collection to leave them).
	objects int
}

// renamedKustomizations returns the apps whose Kustomization is renamed.
// To Flux a renamed Kustomization is another object: the bootstrap
// Kustomization applies the new one and prunes the old one, and
// kustomize-controller's finalizer of the old one deletes every object
// still labelled kustomize.toolkit.fluxcd.io/name (and /namespace) with
// its name (deletionPolicy MirrorPrune, the default, when spec.prune is
// true). The new Kustomization relabels the objects only once it applies
// them, after its own dependencies are Ready, so the old one's finalizer
// usually wins: the app is deleted and then created again, a Namespace
// with everything in it and a claim with its volume. A Kustomization that
// does not prune (or is suspended) deletes nothing and is left out.
func renamedKustomizations(old map[string][]byte, changes []treediff.Change) []renamed {
	var out []renamed
	for _, c := range changes {
		if c.Op != treediff.Changed || c.App == "" || c.Path != render.FluxFile(c.App) {
			continue
		}
		var was, is kustomizev1.Kustomization
		if yaml.Unmarshal(c.Old, &was) != nil || yaml.Unmarshal(c.New, &is) != nil ||
			was.Kind != kustomizev1.KustomizationKind || is.Kind != kustomizev1.KustomizationKind {
			continue
		}
		if was.Name == is.Name && was.Namespace == is.Namespace {
			continue
		}
		if !was.Spec.Prune || was.Spec.Suspend {
			continue
		}
		r := renamed{app: c.App, path: c.Path,
			old: diag.Object{Kind: was.Kind, Namespace: was.Namespace, Name: was.Name},
			new: diag.Object{Kind: is.Kind, Namespace: is.Namespace, Name: is.Name}}
		prefix := "apps/" + c.App + "/"
		for p, data := range old {
			if strings.HasPrefix(p, prefix) && treediff.IsObject(p) && finalizerDeletes(data, p) {
				r.objects++
			}
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].app < out[j].app })
	return out
}

// renamedWarnings warns of every app whose Kustomization is renamed
// (renamedKustomizations). The warnings name apps and Kustomizations,
// never values.
func renamedWarnings(renamed []renamed) []diag.Warning {
	var out []diag.Warning
	for _, r := range renamed {
		out = append(out, diag.Warning{File: r.path, App: r.app, Object: r.new,
			Msg: fmt.Sprintf("the app's Flux Kustomization is renamed from %s to %s (flux.name or flux.namespace changed): "+
				"Flux deletes %s, and its finalizer deletes the app's %s it applied (and with a Namespace everything in it, with a claim its volume, with a CustomResourceDefinition every custom resource of its kind) "+
				"unless %s has applied them first, which it does only once its dependencies are Ready; the app is then created again",
				nsName(r.old), nsName(r.new), nsName(r.old), words.Count(r.objects, "object"), nsName(r.new)),
			Hint: "to rename without deleting, first promote with flux.prune: false (the old Kustomization then leaves the objects when it goes), " +
				"then the new name, then flux.prune: true again (Flux's FAQ on moving resources between Kustomizations)"})
	}
	return out
}

// nsName is o's namespace/name, each quoted when odd: the old name is
// the manifests branch's, which nothing validated.
func nsName(o diag.Object) string {
	return diag.QuotePath(o.Namespace) + "/" + diag.QuotePath(o.Name)
}

// finalizerDeletes reports whether kustomize-controller's finalizer
// deletes the object in data: not when Flux's garbage collection leaves
// it (render.PruneDisabled: prune: disabled, or an object Flux does not
// apply; deleteObjects' exclusions).
func finalizerDeletes(data []byte, file string) bool {
	objs, err := objects.Parse(data, file, 0)
	return err != nil || len(objs) != 1 || !render.PruneDisabled(objs[0].Node)
}
