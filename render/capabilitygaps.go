package render

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/carry"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/words"
	"github.com/kiln-gitops/kiln/templates"
)

// capabilityGaps warns of each Helm app whose chart tests, with
// .Capabilities.APIVersions.Has, an API version that a CRD another app of
// the env renders serves, where the chart renders other objects once the
// cluster serves it. kiln renders a chart for a cluster without the CRDs
// other apps apply (docs/templates.md: the output must not depend on the
// order apps render in), as helm template does; a chart that renders its
// ServiceMonitor only where monitoring.coreos.com/v1 is served (velero,
// karpenter) then silently loses it beside kube-prometheus-stack, where
// the HelmRelease it replaces had it: helm-controller reads the cluster's
// discovery. Such an app is rendered a second time with those versions
// (the engine's cache keeps both), and only a difference is said. A
// chart's checks of versions validation.crds lists already count as
// served. ctx carries the env's secrets (withSecrets), as renderApp's.
func (r *Renderer) capabilityGaps(ctx context.Context, env *envconfig.Resolved, runs []*appRun) []diag.Warning {
	checks := func(run *appRun) bool {
		return run.err == nil && run.res != nil && run.kept == nil && run.app.Engine == "helm" && len(run.res.APIChecks) > 0
	}
	if !slices.ContainsFunc(runs, checks) {
		return nil // the usual env: no object of it need be looked at
	}
	servedBy := map[string][]string{} // API version → apps whose CRDs serve it
	for _, run := range runs {
		if run.err != nil {
			continue
		}
		for _, v := range crdAPIVersions(crdsOf(run.objs)) {
			servedBy[v] = append(servedBy[v], run.app.Name)
		}
	}
	if len(servedBy) == 0 {
		return nil
	}
	warns := make([][]diag.Warning, len(runs))
	var wg sync.WaitGroup
	var panics carry.Panics
	for i, run := range runs {
		if !checks(run) {
			continue
		}
		req := r.request(env, run.app)
		var add, owners []string
		for _, v := range run.res.APIChecks {
			j := slices.IndexFunc(servedBy[v], func(a string) bool { return a != run.app.Name })
			if j < 0 || slices.Contains(req.APIVersions, v) {
				continue
			}
			add = append(add, v)
			owners = append(owners, servedBy[v][j])
		}
		if len(add) == 0 {
			continue
		}
		req.APIVersions = append(slices.Clone(req.APIVersions), add...)
		slices.Sort(req.APIVersions)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer panics.Catch()
			select {
			case r.sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-r.sem }()
			with, err := r.engines["helm"].Render(ctx, req)
			if err != nil {
				// A chart that fails only where the API is served fails
				// there too, but that is not this env's error: the env
				// renders it without.
				return
			}
			if w, ok := capabilityGap(r.configFile(), run, run.res.Objects, with.Objects, add, owners); ok {
				warns[i] = append(warns[i], w)
			}
		}()
	}
	wg.Wait()
	panics.Raise()
	return slices.Concat(warns...)
}

// capabilityGap is the warning for app run's chart rendered without (objs)
// and with (with) the API versions add, which apps owners serve; false
// when the two renders hold the same objects. Objects are compared by
// apiVersion, kind, namespace and name, not content: a chart's random
// values (a generated password or certificate) differ between any two
// renders.
func capabilityGap(configFile string, run *appRun, objs, with []templates.Object, add, owners []string) (diag.Warning, bool) {
	ids := func(os []templates.Object) map[string]bool {
		m := map[string]bool{}
		for _, o := range os {
			if o.Node != nil {
				m[identity(o)] = true
			}
		}
		return m
	}
	before, after := ids(objs), ids(with)
	only := func(os []templates.Object, notIn map[string]bool) []templates.Object {
		var out []templates.Object
		for _, o := range os {
			if o.Node != nil && !notIn[identity(o)] {
				out = append(out, o)
			}
		}
		return out
	}
	missing, instead := only(with, before), only(objs, after)
	if len(missing) == 0 && len(instead) == 0 {
		return diag.Warning{}, false
	}
	first := slices.Concat(missing, instead)[0]
	names := func(os []templates.Object) []string {
		var out []string
		for _, o := range os {
			out = append(out, o.Node.GetKind()+"/"+o.Node.GetName())
		}
		return out
	}
	var what []string
	if len(missing) > 0 {
		what = append(what, "it leaves out "+words.First(names(missing), 3)+", which helm-controller installs on a cluster that has them")
	}
	if len(instead) > 0 {
		what = append(what, "it renders "+words.First(names(instead), 3)+", which helm-controller does not install there")
	}
	owners = slices.Compact(slices.Sorted(slices.Values(owners)))
	quoted := make([]string, len(add))
	for i, v := range add {
		quoted[i] = fmt.Sprintf("%q", v)
	}
	w := diag.Warning{File: first.File, Line: first.Line, App: run.app.Name, Object: objRef(first),
		Msg: fmt.Sprintf("its chart tests .Capabilities.APIVersions.Has %s, which the CRDs of %s %s serve in this env; kiln renders the chart for a cluster without them, as helm template does: %s",
			strings.Join(quoted, ", "), words.Noun(len(owners), "app"), words.And(owners), strings.Join(what, "; ")),
		Hint: fmt.Sprintf("if the cluster has the CRDs when this app is applied (%s in its dependsOn), list their files under validation.crds in kiln.yaml, and kiln renders the chart for a cluster with them; if not, turn off the chart's value that asks for it",
			words.And(owners)),
	}
	if w.File == "" {
		w.File, w.Line = configFile, run.app.Line
	}
	return w, true
}

// identity names an engine's object: apiVersion, kind, namespace, name.
func identity(o templates.Object) string {
	return strings.Join([]string{o.Node.GetApiVersion(), o.Node.GetKind(), o.Node.GetNamespace(), o.Node.GetName()}, "\x00")
}

// crdsOf are the CustomResourceDefinitions of objs.
func crdsOf(objs []templates.Object) []templates.Object {
	var out []templates.Object
	for _, o := range objs {
		if o.Node != nil && o.Node.GetKind() == "CustomResourceDefinition" && o.Node.GetApiVersion() == "apiextensions.k8s.io/v1" {
			out = append(out, o)
		}
	}
	return out
}
