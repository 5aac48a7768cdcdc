package render

import (
	"fmt"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/render/internal/flux"
)

// autoscaledReplicas warns about the workloads of the env that a
// HorizontalPodAutoscaler (or a KEDA ScaledObject, which makes one)
// of the env scales while their manifests set spec.replicas: once per
// app, at its first such workload, counting the rest (a chart whose
// autoscaling value leaves replicas in every Deployment makes one
// warning, not one per workload).
// kustomize-controller applies each app's objects with server-side apply
// and forced ownership at every reconcile, so it sets spec.replicas back
// to the manifest's value each interval, undoing the autoscaler's scaling,
// and the autoscaler scales again: the workload flaps. A workload that
// Flux does not apply, or whose replicas the autoscaler cannot own, is
// left out. Warnings name objects, never values.
func autoscaledReplicas(runs []*appRun) []diag.Warning {
	type scaler struct {
		app, what string
	}
	scaled := map[string]scaler{} // objectKey of a target → its autoscaler
	for _, run := range runs {
		for _, o := range run.objs {
			n := o.Node
			if n == nil || o.Raw != nil {
				continue
			}
			g, kind := group(n.GetApiVersion()), n.GetKind()
			var apiVersion, targetKind, name string
			switch {
			case g == "autoscaling" && kind == "HorizontalPodAutoscaler":
			case g == "keda.sh" && kind == "ScaledObject":
				apiVersion, targetKind = "apps/v1", "Deployment" // KEDA's defaults
			default:
				continue
			}
			if flux.NotApplied(n) {
				continue
			}
			ref, err := n.Pipe(kyaml.Lookup("spec", "scaleTargetRef"))
			if err != nil || ref == nil {
				continue
			}
			str := func(f string) string {
				if v := ref.Field(f); v != nil && v.Value.YNode().Kind == kyaml.ScalarNode {
					return v.Value.YNode().Value
				}
				return ""
			}
			if v := str("apiVersion"); v != "" {
				apiVersion = v
			}
			if v := str("kind"); v != "" {
				targetKind = v
			}
			name = str("name")
			if name == "" || targetKind == "" {
				continue
			}
			scaled[objectKey(group(apiVersion), targetKind, n.GetNamespace(), name)] = scaler{app: run.app.Name, what: fmt.Sprintf("%s/%s/%s", kind, n.GetNamespace(), n.GetName())}
		}
	}
	if len(scaled) == 0 {
		return nil
	}
	var out []diag.Warning
	for _, run := range runs {
		var w diag.OnceEach
		for _, o := range run.objs {
			n := o.Node
			if n == nil || o.Raw != nil {
				continue
			}
			s, ok := scaled[objectKey(group(n.GetApiVersion()), n.GetKind(), n.GetNamespace(), n.GetName())]
			if !ok || flux.NotApplied(n) {
				continue
			}
			r := setScalar(n, "spec", "replicas")
			if r == nil || w.Seen("") {
				continue
			}
			by := s.what
			if s.app != run.app.Name {
				by += " of app " + s.app
			}
			w.Add("", &diag.Warning{File: o.File, Line: o.LineOf(r), App: run.app.Name, Object: objRef(o),
				Msg: fmt.Sprintf("spec.replicas is set while %s scales it: Flux's server-side apply sets it back to %s at every reconcile, undoing the autoscaling, and the autoscaler scales again",
					by, r.Value),
				Hint: "leave spec.replicas out of the manifest (a chart usually does when its autoscaling value is on), so that the autoscaler alone owns it"})
		}
		out = append(out, w.Warnings("workload")...)
	}
	return out
}
