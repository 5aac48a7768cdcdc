package promote

import (
	"fmt"

	kustomizev1 "github.com/fluxcd/kustomize-controller/api/v1"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/immutable"
	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/promote/internal/treediff"
	"github.com/kiln-gitops/kiln/render"
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
	added := map[string]bool{}
	for _, c := range changes {
		if c.Op == treediff.Added && treediff.IsObject(c.Path) {
			added[identity(c.New, c.Object)] = true
		}
	}
	prunes := map[string]bool{}
	var out []diag.Warning
	for _, c := range changes {
		if c.Op != treediff.Removed || c.Object == "" || !treediff.IsObject(c.Path) || added[identity(c.Old, c.Object)] {
			continue
		}
		objs, err := objects.Parse(c.Old, c.Path, 0)
		if err != nil || len(objs) != 1 {
			continue
		}
		what := immutable.Destroys(objs[0].Node)
		if what == "" || objs[0].Node.GetAnnotations()[pruneAnnotation] == kustomizev1.DisabledValue {
			continue
		}
		p, known := prunes[c.App]
		if !known {
			p = prunesOnRemoval(old[render.FluxFile(c.App)])
			prunes[c.App] = p
		}
		if !p {
			continue
		}
		out = append(out, diag.Warning{File: c.Path, App: c.App, Object: treediff.ObjectOf(c.Old),
			Msg:  fmt.Sprintf("leaves app %s, whose Kustomization prunes what it no longer holds: Flux deletes it from the cluster, and %s", c.App, what),
			Hint: fmt.Sprintf("to keep it in the cluster, first promote it with the annotation %s: disabled, then remove it", pruneAnnotation)})
	}
	return out
}
