package promote

import (
	"fmt"
	"sort"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/immutable"
	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/promote/internal/treediff"
)

// prunedWarnings returns a warning for every object that leaves the env
// (an app removed, a manifest deleted or renamed) and whose deleting
// takes more with it (immutable.Destroys: a CRD's custom resources, a
// Namespace's objects, a claim's data). Its app's Kustomization prunes
// what it no longer holds, all of it through its finalizer when the app
// is gone, so the merge deletes them from the cluster. Objects another app
// takes over are movedWarnings', and objects the old Kustomization does
// not prune (prune: false, or the object annotated for Flux to leave it)
// are left out. old is the env's current tree. The warnings name objects,
// never values.
func prunedWarnings(old map[string][]byte, changes []treediff.Change) []diag.Warning {
	added := objectsBy(changes, treediff.Added)
	prunes := pruning(old)
	var out []diag.Warning
	for id, c := range objectsBy(changes, treediff.Removed) {
		if _, moved := added[id]; moved {
			continue
		}
		objs, err := objects.Parse(c.Old, c.Path, 0)
		if err != nil || len(objs) != 1 {
			continue
		}
		what := immutable.Destroys(objs[0].Node)
		if what == "" || pruneDisabledNode(objs[0].Node) || !prunes(c.App) {
			continue
		}
		out = append(out, diag.Warning{File: c.Path, App: c.App, Object: treediff.ObjectOf(c.Old),
			Msg:  fmt.Sprintf("leaves app %s, whose Kustomization prunes what it no longer holds: Flux deletes it from the cluster, and %s", c.App, what),
			Hint: fmt.Sprintf("to keep it in the cluster, first promote it with the annotation %s: disabled, then remove it", pruneAnnotation)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].File < out[j].File })
	return out
}
