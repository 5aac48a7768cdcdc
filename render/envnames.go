package render

import (
	"strings"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/render/internal/flux"
)

// EnvNames are the names kiln derives from an environment in its tree:
// the namespace each app's objects default to, and the values of the Flux
// objects under flux/ that depend on the env's name or its manifests.path
// folder. Two envs' EnvNames, matched key by key, say which differences
// between their trees come from the env alone (kiln diff --against-env).
type EnvNames struct {
	// Namespaces maps each enabled app to its namespace in the env.
	Namespaces map[string]string
	// Flux maps what a value stands for to the value kiln writes for this
	// env in the objects under flux/: "env" (the kiln/env label and the
	// Alerts' event metadata), "kustomization/<app>" (the app's
	// Kustomization name, flux.name with {env}), "path/<app>" (its
	// spec.path), "provider/commit-status" and "provider/dispatch" (the
	// Provider and Alert names), "commitStatusExpr" (the github Provider's
	// CEL expression).
	Flux map[string]string
}

// envNames returns the names of the resolved env res.
func (r *Renderer) envNames(res *envconfig.Resolved) EnvNames {
	env := res.Env.Name
	n := EnvNames{Namespaces: map[string]string{}, Flux: map[string]string{
		"env":                    env,
		"provider/commit-status": flux.CommitStatusName(env),
		"provider/dispatch":      flux.DispatchName(env),
		"commitStatusExpr":       flux.CommitStatusExpr(r.p.Flux.Name, env),
	}}
	for _, app := range res.Apps {
		n.Namespaces[app.Name] = app.Namespace
		n.Flux["kustomization/"+app.Name] = r.p.FluxName(app.Name, env)
		n.Flux["path/"+app.Name] = fluxPath(res.ManifestsPath, app.Name)
	}
	return n
}

// fluxPath is the spec.path of app's Kustomization: its apps/<app> folder
// in the manifests repository, "./…".
func fluxPath(manifestsPath, app string) string {
	return "./" + strings.TrimPrefix(pathJoin(manifestsPath, "apps", app), "./")
}
