package render

import (
	"fmt"
	"time"

	helmv2 "github.com/fluxcd/helm-controller/api/v2"
	kustomizev1 "github.com/fluxcd/kustomize-controller/api/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/diag"
)

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
	d, err := time.ParseDuration(timeout)
	if err != nil {
		return nil
	}
	// The app's Kustomization, as kustomize-controller reads its timeout.
	limit := kustomizationTimeout(0, &d)
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
			return kustomizationTimeout(0, &d), at, "spec.timeout"
		}
		interval, at := dur("spec", "interval")
		return kustomizationTimeout(interval, nil), at, "no spec.timeout: its interval less 30s"
	}
	// helm-controller's own defaults: an action's timeout, else the
	// release's, else 5m.
	var hr helmv2.HelmRelease
	base, baseAt := dur("spec", "timeout")
	what := "spec.timeout"
	if baseAt != nil {
		hr.Spec.Timeout = &metav1.Duration{Duration: base}
	} else {
		what = "helm-controller's default timeout"
	}
	release := hr.GetTimeout()
	took, at := release.Duration, baseAt
	for _, action := range []string{"install", "upgrade"} {
		d, a := dur("spec", action, "timeout")
		if a == nil {
			continue
		}
		t := &metav1.Duration{Duration: d}
		got := helmv2.Install{Timeout: t}.GetTimeout(release)
		if action == "upgrade" {
			got = helmv2.Upgrade{Timeout: t}.GetTimeout(release)
		}
		if got.Duration > took {
			took, at, what = got.Duration, a, "spec."+action+".timeout"
		}
	}
	if _, on := boolAt(n, "spec", "test", "enable"); on {
		var test helmv2.Test
		if d, a := dur("spec", "test", "timeout"); a != nil {
			test.Timeout = &metav1.Duration{Duration: d}
		}
		took += test.GetTimeout(release).Duration
		what += " and its tests"
	}
	return took, at, what
}

// kustomizationTimeout is how long kustomize-controller waits for a
// Kustomization's health checks (Kustomization.GetTimeout): its timeout
// when set, else its interval less 30s, at least 30s.
func kustomizationTimeout(interval time.Duration, timeout *time.Duration) time.Duration {
	k := kustomizev1.Kustomization{Spec: kustomizev1.KustomizationSpec{Interval: metav1.Duration{Duration: interval}}}
	if timeout != nil {
		k.Spec.Timeout = &metav1.Duration{Duration: *timeout}
	}
	return k.GetTimeout()
}
