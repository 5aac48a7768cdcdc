package promote

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	kustomizev1 "github.com/fluxcd/kustomize-controller/api/v1"
	"sigs.k8s.io/yaml"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/immutable"
	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/promote/internal/treediff"
	"github.com/kiln-gitops/kiln/render"
)

// movedWarnings returns a warning for the objects that leave one app's
// output for another's (an app renamed, or an object moved), once per pair
// of apps at the first object, counting the rest: renaming an app of 300
// objects makes one warning, not 300. Flux gives
// each object to one Kustomization at a time: the old app's Kustomization
// prunes what it no longer holds (all of it when the app is gone, through
// its finalizer), and whether that happens before the new one takes the
// object over is a race. When it loses, Flux deletes the object and then
// recreates it: downtime, and for a PersistentVolumeClaim or a Namespace,
// the data or everything in it. Objects the old Kustomization does not
// prune (prune: false, or the object annotated for Flux to leave it) are
// left out. old is the env's current tree. The warnings name objects and
// apps, never values.
func movedWarnings(old map[string][]byte, changes []treediff.Change) []diag.Warning {
	removed := objectsBy(changes, treediff.Removed)
	if len(removed) == 0 {
		return nil
	}
	prunes := pruning(old, changes)
	var w diag.OnceEach
	for _, c := range changes {
		if c.Op != treediff.Added || !treediff.IsObject(c.Path) {
			continue
		}
		from, ok := removed[identity(c.New, c.Object)]
		if !ok || from.App == c.App || !prunes(from.App) || pruneDisabled(from.Old, from.Path) {
			continue
		}
		// What a deletion takes with it keys a line of its own: renaming
		// an app moves all of it, and counted into the first object's
		// line (a ConfigMap's), a CRD would read as one more object to
		// recreate, not as every custom resource of its kind lost.
		what := ""
		if objs, err := objects.Parse(c.New, c.Path, 0); err == nil && len(objs) == 1 {
			what = immutable.Destroys(objs[0].Node)
		}
		key := from.App + "\x00" + c.App + "\x00" + what
		if w.Seen(key) {
			continue
		}
		msg := fmt.Sprintf("moves from app %s to app %s: Flux may delete it before it recreates it, since app %s's Kustomization prunes what it no longer holds and app %s's takes the object over only when it applies",
			treediff.Quoted(from.App), treediff.Quoted(c.App), treediff.Quoted(from.App), treediff.Quoted(c.App))
		if what != "" {
			msg += ", and " + what
		}
		w.Add(key, &diag.Warning{File: c.Path, App: c.App, Object: treediff.ObjectOf(c.New), Msg: msg,
			Hint: fmt.Sprintf("to keep it in place, first promote it with the annotation %s: disabled in app %s, then move it (Flux's FAQ, \"How can I safely move resources from one dir to another?\")", objects.PruneAnnotation, treediff.Quoted(from.App))})
	}
	out := w.Warnings("object")
	sort.Slice(out, func(i, j int) bool { return out[i].File < out[j].File })
	return out
}

// objectsBy returns the object files that changes add (op Added) or
// remove (Removed), by identity: what a move pairs.
func objectsBy(changes []treediff.Change, op string) map[string]treediff.Change {
	out := map[string]treediff.Change{}
	for _, c := range changes {
		if c.Op != op || c.Object == "" || !treediff.IsObject(c.Path) {
			continue
		}
		data := c.New
		if op == treediff.Removed {
			data = c.Old
		}
		out[identity(data, c.Object)] = c
	}
	return out
}

// pruning returns whether an app's Kustomization in old, the env's current
// tree, deletes the objects that leave it, reading each app's once: by
// spec.prune while it stays (prunesOnRemoval), and by what its finalizer
// does when changes remove it (deletesOnRemoval), which is how all of a
// removed app's objects go.
func pruning(old map[string][]byte, changes []treediff.Change) func(app string) bool {
	gone := leavingApps(changes)
	known := map[string]bool{}
	return func(app string) bool {
		p, ok := known[app]
		if !ok {
			if slices.Contains(gone, app) {
				p, _ = deletesOnRemoval(old[render.FluxFile(app)])
			} else {
				p = prunesOnRemoval(old[render.FluxFile(app)])
			}
			known[app] = p
		}
		return p
	}
}

// identity is the object in data as Flux's inventory tells objects apart:
// its API group with its Kind/namespace/name (object), the version left
// out. A Knative Service is not the core Service of the same name: one
// removed from an app and the other added to another move nothing.
func identity(data []byte, object string) string {
	var m struct {
		APIVersion string `json:"apiVersion"`
	}
	_ = yaml.Unmarshal(data, &m)
	return apiGroup(m.APIVersion) + "\x00" + object
}

// apiGroup is the API group of apiVersion, "" for the core group ("v1").
func apiGroup(apiVersion string) string {
	group, _, ok := strings.Cut(apiVersion, "/")
	if !ok {
		return ""
	}
	return group
}

// became reports whether the changed object file c holds another object
// than before (the app's namespace changed: the file's name stays, the
// object is new to Flux), and the identity of the one it held.
func became(c treediff.Change) (was string, ok bool) {
	if c.Op != treediff.Changed || c.Object == "" {
		return "", false
	}
	obj := treediff.ObjectOf(c.Old).String()
	if obj == "" {
		return "", false
	}
	was = identity(c.Old, obj)
	return was, was != identity(c.New, c.Object)
}

// prunesOnRemoval reports whether the Kustomization in data (an app's
// flux/<app>.yaml) garbage-collects its objects. Without a Kustomization
// that parses, kiln's default (flux.prune: true) is assumed: a warning too
// many is cheaper than a deleted volume.
func prunesOnRemoval(data []byte) bool {
	if data == nil {
		return true
	}
	var k kustomizev1.Kustomization
	if err := yaml.Unmarshal(data, &k); err != nil {
		return true
	}
	return k.Spec.Prune
}

// deletesOnRemoval reports whether deleting the Kustomization in data (an
// app's flux/<app>.yaml) deletes the objects it applied, as
// kustomize-controller's finalizer decides: spec.deletionPolicy Delete or
// WaitForTermination does whatever spec.prune says, Orphan does not,
// MirrorPrune (the default) follows spec.prune, and a suspended
// Kustomization's finalizer deletes nothing. When it does not, why says
// why. Without a Kustomization that parses, it does (prunesOnRemoval).
func deletesOnRemoval(data []byte) (deletes bool, why string) {
	if data == nil {
		return true, ""
	}
	var k kustomizev1.Kustomization
	if err := yaml.Unmarshal(data, &k); err != nil {
		return true, ""
	}
	switch {
	case k.Spec.Suspend:
		return false, "it is suspended (spec.suspend: true), and the finalizer of a suspended Kustomization deletes nothing"
	case k.Spec.DeletionPolicy == kustomizev1.DeletionPolicyOrphan:
		return false, "its deletionPolicy is Orphan"
	case k.Spec.DeletionPolicy == kustomizev1.DeletionPolicyDelete, k.Spec.DeletionPolicy == kustomizev1.DeletionPolicyWaitForTermination:
		return true, ""
	case !k.Spec.Prune:
		return false, "it does not prune (flux.prune: false)"
	}
	return true, ""
}

// pruneDisabled reports whether Flux's garbage collection skips the object
// in data (render.PruneDisabled: a prune: disabled label or annotation, in
// any case, or an object it does not apply).
func pruneDisabled(data []byte, file string) bool {
	objs, err := objects.Parse(data, file, 0)
	return err == nil && len(objs) == 1 && render.PruneDisabled(objs[0].Node)
}
