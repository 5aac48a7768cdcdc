package render

import (
	"fmt"
	"time"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/diag"
)

// kustomizeMinTimeout is the shortest timeout kustomize-controller waits
// for health checks, whatever spec.timeout says (Kustomization.GetTimeout).
const kustomizeMinTimeout = 30 * time.Second

// helmDefaultTimeout is a HelmRelease's timeout when it sets none
// (HelmRelease.GetTimeout).
const helmDefaultTimeout = 5 * time.Minute

// outlastHealthCheck warns, once per app at the first such object and
// counting the rest, about a HelmRelease or Kustomization of the app's
// output that its own controller may spend longer on than the app's
// Kustomization waits for it. The app's Kustomization health-checks every
// HelmRelease and Kustomization of its output (healthChecks, or all of
// them under wait) for its flux timeout only; kstatus reports such an
// object InProgress while its controller still works on it. A Helm
// upgrade allowed 15m that takes 8m, under the default 5m, fails the app's
// health check although the release succeeds: the Kustomization is not
// Ready until its next try an interval later, its failure lands as the
// commit status, and kiln promote --from stops at it. A user who raised a
// HelmRelease's timeout for a slow chart expects the app to wait as long.
//
// What the controller may spend, as it reads the object: a HelmRelease's
// install or upgrade timeout (spec.install.timeout, spec.upgrade.timeout,
// else spec.timeout, else 5m), plus its test timeout when tests are on,
// since helm-controller reports Ready only after them; a Kustomization's
// timeout (spec.timeout, else its interval less 30s, at least 30s), when
// it waits for health at all (wait, or healthChecks). Only a longer time
// is warned about: an equal one leaves the release its own timeout, as
// with both defaults (5m). Suspended objects are suspendedFlux's, objects
// Flux does not apply are not checked, and an unparsable duration is
// validation's to report.
func outlastHealthCheck(timeout string, run *appRun) []diag.Warning {
	limit, err := time.ParseDuration(timeout)
	if err != nil {
		return nil
	}
	limit = max(limit, kustomizeMinTimeout)
	var w diag.OnceEach
	var longest time.Duration
	for _, o := range run.objs {
		n := o.Node
		if n == nil || o.Raw != nil || !waiter(n) {
			continue
		}
		took, at, what := controllerTime(n)
		if took <= limit {
			continue
		}
		longest = max(longest, took)
		if w.Seen("") {
			continue
		}
		line := o.Line
		if at != nil {
			line = o.LineOf(at)
		}
		w.Add("", &diag.Warning{File: o.File, Line: line, App: run.app.Name, Object: objRef(o),
			Msg: fmt.Sprintf("its controller may work on it for up to %s (%s), but app %s's Kustomization health-checks it for %s (its flux timeout): "+
				"a rollout that takes longer but succeeds fails the app's health check, its commit status and the promotion gate, and Flux tries again only an interval later",
				took, what, run.app.Name, limit)})
	}
	warns := w.Warnings("object")
	for i := range warns {
		// The longest of the app's, not the first's: one timeout to set.
		warns[i].Hint = fmt.Sprintf("raise the app's flux.timeout to at least %s (apps[].flux.timeout in kiln.yaml, or apps.%s.flux.timeout in the env file), or lower the object's timeout", longest, run.app.Name)
	}
	return warns
}

// controllerTime is how long n's controller may take before it reports n
// Ready on a successful rollout, the node that decides it (nil for a
// default) and what it is, for a HelmRelease or a Kustomization; 0 when
// the Kustomization waits for no health check.
func controllerTime(n *kyaml.RNode) (time.Duration, *kyaml.Node, string) {
	dur := func(path ...string) (time.Duration, *kyaml.Node) {
		v := setScalar(n, path...)
		if v == nil {
			return 0, nil
		}
		d, err := time.ParseDuration(v.Value)
		if err != nil {
			return 0, nil
		}
		return d, v
	}
	if n.GetKind() == "Kustomization" {
		_, wait := boolAt(n, "spec", "wait")
		checks, err := n.Pipe(kyaml.Lookup("spec", "healthChecks"))
		if !wait && (err != nil || checks == nil || len(checks.YNode().Content) == 0) {
			return 0, nil, ""
		}
		if d, at := dur("spec", "timeout"); at != nil {
			return max(d, kustomizeMinTimeout), at, "spec.timeout"
		}
		interval, at := dur("spec", "interval")
		return max(interval-30*time.Second, kustomizeMinTimeout), at, "no spec.timeout: its interval less 30s"
	}
	base, baseAt := dur("spec", "timeout")
	what := "spec.timeout"
	if baseAt == nil {
		base, what = helmDefaultTimeout, "helm-controller's default timeout"
	}
	took, at := base, baseAt
	for _, action := range []string{"install", "upgrade"} {
		if d, a := dur("spec", action, "timeout"); a != nil && d > took {
			took, at, what = d, a, "spec."+action+".timeout"
		}
	}
	if _, on := boolAt(n, "spec", "test", "enable"); on {
		test := base
		if d, a := dur("spec", "test", "timeout"); a != nil {
			test = d
		}
		took += test
		what += " and its tests"
	}
	return took, at, what
}
