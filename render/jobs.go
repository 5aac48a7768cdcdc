package render

import (
	"fmt"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/render/internal/flux"
)

// rerunJobs warns about the Jobs of the app with
// spec.ttlSecondsAfterFinished, once per app at its first such Job,
// counting the rest: a chart whose Jobs all get the TTL from one value
// makes one warning, not one per Job. The TTL controller deletes the Job once it
// has finished; kustomize-controller's server-side apply creates every
// object of the app's folder that is missing, at every reconcile (each
// flux interval, and on each new revision), so the Job is created again
// and runs again: a database migration or a one-off script every interval,
// for good. Under Helm a hook Job ran once per release; kiln renders it as
// a plain object. A Job Flux does not apply (reconcile: disabled, ssa:
// Ignore) is left out; ssa: IfNotPresent does not help, as the Job is not
// present once deleted. Warnings name the Job, never its contents.
func rerunJobs(interval string, run *appRun) []diag.Warning {
	var w diag.OnceEach
	for _, o := range run.objs {
		n := o.Node
		if n == nil || o.Raw != nil || n.GetKind() != "Job" || group(n.GetApiVersion()) != "batch" {
			continue
		}
		ttl := setScalar(n, "spec", "ttlSecondsAfterFinished")
		if ttl == nil {
			continue
		}
		if flux.NotApplied(n) || w.Seen("") {
			continue
		}
		w.Add("", &diag.Warning{File: o.File, Line: o.LineOf(ttl), App: run.app.Name, Object: objRef(o),
			Msg: fmt.Sprintf("spec.ttlSecondsAfterFinished makes Kubernetes delete the Job once it has finished, and Flux creates it again at every reconcile of app %s (every %s, its flux interval): "+
				"the Job runs again and again, not once", run.app.Name, interval),
			Hint: "remove ttlSecondsAfterFinished so that the finished Job stays (Flux then leaves it as it is); to run it again on a change, " +
				"give it a name that changes with its content, or use a CronJob for work that should repeat"})
	}
	return w.Warnings("Job")
}

// setScalar returns n's scalar at path when it is set: present, and not
// null (which the API server reads as left out); nil otherwise.
func setScalar(n *kyaml.RNode, path ...string) *kyaml.Node {
	v, err := n.Pipe(kyaml.Lookup(path...))
	if err != nil || v == nil {
		return nil
	}
	if y := v.YNode(); y.Kind == kyaml.ScalarNode && y.Tag != kyaml.NodeTagNull && y.Value != "null" {
		return y
	}
	return nil
}
