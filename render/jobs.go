package render

import (
	"fmt"
	"slices"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/words"
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
		hint := "remove ttlSecondsAfterFinished so that the finished Job stays (Flux then leaves it as it is); to run it again on a change, " +
			"give it a name that changes with its content, or use a CronJob for work that should repeat"
		if run.app.Engine == envconfig.EngineHelm {
			hint += chartTTLHint(run, n.GetName(), ttl.Value)
		}
		w.Add("", &diag.Warning{File: o.File, Line: o.LineOf(ttl), App: run.app.Name, Object: objRef(o),
			Msg: fmt.Sprintf("spec.ttlSecondsAfterFinished makes Kubernetes delete the Job once it has finished, and Flux creates it again at every reconcile of app %s (every %s, its flux interval): "+
				"the Job runs again and again, not once", run.app.Name, interval),
			Hint: hint})
	}
	return w.Warnings("Job")
}

// chartTTLHint says how to remove a chart's ttlSecondsAfterFinished, which
// a user cannot delete from the rendered file: with the values key that
// gives it (envoy-gateway's certgen.job.ttlSecondsAfterFinished), set to
// null, which Helm takes out of the values, so that a template printing it
// prints nothing or an empty field the API server drops; or, where the
// template writes it (ingress-nginx's admission Jobs), with a patch of the
// app in the env file. Only keys are named, never a value.
func chartTTLHint(run *appRun, job, ttl string) string {
	var keys []string
	if run.res != nil {
		keys = ttlKeys(run.res.Params, "", ttl, nil)
	}
	switch slices.Sort(keys); len(keys) {
	case 0:
	case 1:
		return fmt.Sprintf("; in this chart, set %s: null in the app's values", keys[0])
	default:
		return fmt.Sprintf("; in this chart, set the value that gives it to null in the app's values (one of %s)", words.First(keys, 3))
	}
	return fmt.Sprintf("; the chart writes it in the template: remove it with a patch of the app in the env file for each such Job, "+
		"patches: [{target: {kind: Job, name: %s}, patch: '[{op: remove, path: /spec/ttlSecondsAfterFinished}]'}]", job)
}

// ttlKeys lists the dotted paths of the values keys named
// ttlSecondsAfterFinished that hold ttl, the Job's.
func ttlKeys(v map[string]any, prefix, ttl string, out []string) []string {
	for k, x := range v {
		path := k
		if prefix != "" {
			path = prefix + "." + k
		}
		switch x := x.(type) {
		case map[string]any:
			out = ttlKeys(x, path, ttl, out)
		case nil:
		default:
			if k == "ttlSecondsAfterFinished" && fmt.Sprint(x) == ttl {
				out = append(out, path)
			}
		}
	}
	return out
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
