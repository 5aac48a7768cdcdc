package promote

import (
	"fmt"
	"strings"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/promote/internal/treediff"
)

// ssaKey is the label or annotation with which kustomize-controller's
// server-side apply is told how to treat an object.
const ssaKey = "kustomize.toolkit.fluxcd.io/ssa"

// ifNotPresentWarnings returns a warning for the changed objects whose
// new version is labelled or annotated kustomize.toolkit.fluxcd.io/ssa:
// IfNotPresent (any case, as fluxcd/pkg/ssa matches it). Flux creates
// such an object when it is missing and skips it once it exists
// (ResourceManager.shouldSkipApply): the object was in the env's tree, so
// it exists, and the change, which the diff and the pull request show,
// would never reach the cluster. It comes once per app, at the first such
// object, counting the rest (a chart that marks every object so makes one
// warning). The warnings name objects, never values.
func ifNotPresentWarnings(changes []treediff.Change) []diag.Warning {
	var out diag.OnceEach
	for _, c := range objectChanges(changes) {
		cur, err := objects.Parse(c.New, c.Path, 0)
		if err != nil || len(cur) != 1 {
			continue
		}
		n := cur[0].Node
		if !strings.EqualFold(n.GetLabels()[ssaKey], "IfNotPresent") && !strings.EqualFold(n.GetAnnotations()[ssaKey], "IfNotPresent") || out.Seen(c.App) {
			continue
		}
		out.Add(c.App, &diag.Warning{File: c.Path, App: c.App, Object: treediff.ObjectOf(c.New),
			Msg:  fmt.Sprintf("changes, but it is marked %s: IfNotPresent: Flux creates it only when it is missing, and it exists, so Flux skips it and the change never reaches the cluster", ssaKey),
			Hint: "delete the object on the cluster once the promotion is applied so that Flux creates it anew, or drop the mark for as long as the change should be applied"})
	}
	return out.Warnings("object")
}
