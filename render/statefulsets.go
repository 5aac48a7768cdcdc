package render

import (
	"fmt"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/render/internal/flux"
)

// statefulSetNameMax is the longest StatefulSet name whose pods can always
// be created. The StatefulSet controller labels each pod
// controller-revision-hash: <name>-<hash>, the name of the revision it
// runs (kubernetes pkg/controller/history ControllerRevisionName), whose
// hash is a 32-bit FNV sum written in decimal and made safe
// (HashControllerRevision: up to 10 characters); a label value has at
// most 63 characters. The API server accepts the longer name on the
// StatefulSet and refuses every pod it makes (kubernetes/kubernetes#64023).
const statefulSetNameMax = 63 - 1 - 10

// longStatefulSetNames warns about the app's StatefulSets whose name is
// longer than statefulSetNameMax, once per app at the first, counting the
// rest: the StatefulSet is created, Flux reports it applied, and it never
// gets a pod (FailedCreate events), so a health check of it waits until
// its timeout. A name up to 10 characters over may work by chance of the
// hash, and breaks with a later revision. A StatefulSet Flux does not
// apply is left out.
func longStatefulSetNames(run *appRun) []diag.Warning {
	var w diag.OnceEach
	for _, o := range run.objs {
		n := o.Node
		if n == nil || o.Raw != nil || n.GetKind() != "StatefulSet" || group(n.GetApiVersion()) != "apps" {
			continue
		}
		name := setScalar(n, "metadata", "name")
		if name == nil || len(name.Value) <= statefulSetNameMax || flux.NotApplied(n) || w.Seen("") {
			continue
		}
		w.Add("", &diag.Warning{File: o.File, Line: o.LineOf(name), App: run.app.Name, Object: objRef(o),
			Msg: fmt.Sprintf("the StatefulSet's name has %d characters: the StatefulSet controller labels each of its pods controller-revision-hash: <name>-<hash>, with a hash of up to 10 characters, "+
				"and a label value has at most 63, so the API server refuses the pods of any revision whose hash makes the label longer (it accepts the StatefulSet, and Flux reports it applied)", len(name.Value)),
			Hint: fmt.Sprintf("shorten the StatefulSet's name to at most %d characters", statefulSetNameMax)})
	}
	return w.Warnings("StatefulSet")
}
