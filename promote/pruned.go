package promote

import (
	"fmt"
	"sort"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/immutable"
	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/promote/internal/treediff"
	"github.com/kiln-gitops/kiln/render"
)

// prunedWarnings returns a warning for the objects that leave the env
// (an app removed, a manifest deleted or renamed) and whose deleting
// takes more with it (immutable.Destroys: a CRD's custom resources, a
// Namespace's objects, a claim's data), once per app and what is lost, at
// the first object in file order, counting the rest: removing an app with
// 300 CRDs makes one warning, not 300. Its app's Kustomization prunes
// what it no longer holds, all of it through its finalizer when the app
// is gone, so the merge deletes them from the cluster. Objects another app
// takes over are movedWarnings', and objects the old Kustomization does
// not prune (prune: false, or the object annotated for Flux to leave it)
// are left out. old is the env's current tree. The warnings name objects,
// never values.
func prunedWarnings(old map[string][]byte, changes []treediff.Change) []diag.Warning {
	added := objectsBy(changes, treediff.Added)
	leaving := objectsBy(changes, treediff.Removed)
	// A file that stays while its object becomes another (the app's
	// namespace changed, so every object of the app gets the new one):
	// Flux applies the new object and prunes the old one as it would a
	// removed file's.
	other := map[string]string{} // path → the object it holds now
	for _, c := range changes {
		was, ok := became(c)
		if !ok || !treediff.IsObject(c.Path) {
			continue
		}
		gone := c
		gone.Object = treediff.ObjectOf(c.Old).String()
		leaving[was] = gone
		added[identity(c.New, c.Object)] = c
		other[c.Path] = c.Object
	}
	prunes := pruning(old, changes)
	ids := make([]string, 0, len(leaving))
	for id := range leaving {
		ids = append(ids, id)
	}
	// The first of each cause in file order: the map's order is random.
	sort.Slice(ids, func(i, j int) bool { return leaving[ids[i]].Path < leaving[ids[j]].Path })
	var w diag.OnceEach
	for _, id := range ids {
		c := leaving[id]
		if _, moved := added[id]; moved {
			continue
		}
		objs, err := objects.Parse(c.Old, c.Path, 0)
		if err != nil || len(objs) != 1 {
			continue
		}
		what := immutable.Destroys(objs[0].Node)
		if what == "" || render.PruneDisabled(objs[0].Node) || !prunes(c.App) {
			continue
		}
		now, becomes := other[c.Path]
		becomes = becomes && c.Op == treediff.Changed
		key := fmt.Sprintf("%s\x00%t\x00%s", c.App, becomes, what)
		if w.Seen(key) {
			continue
		}
		msg := fmt.Sprintf("leaves app %s, whose Kustomization prunes what it no longer holds: Flux deletes it from the cluster, and %s", treediff.Quoted(c.App), what)
		hint := fmt.Sprintf("to keep it in the cluster, first promote it with the annotation %s: disabled, then remove it", objects.PruneAnnotation)
		if becomes {
			msg = fmt.Sprintf("becomes %s, another object, so app %s's Kustomization no longer holds it and prunes it: Flux deletes it from the cluster, and %s", now, treediff.Quoted(c.App), what)
			hint = fmt.Sprintf("to keep it in the cluster, first promote it with the annotation %s: disabled, then make the change; or keep its namespace and name", objects.PruneAnnotation)
		}
		w.Add(key, &diag.Warning{File: c.Path, App: c.App, Object: treediff.ObjectOf(c.Old),
			Msg: msg, Hint: hint})
	}
	out := w.Warnings("object")
	sort.Slice(out, func(i, j int) bool { return out[i].File < out[j].File })
	return out
}
