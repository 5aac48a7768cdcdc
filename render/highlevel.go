package render

import (
	"fmt"
	"path"

	"sigs.k8s.io/yaml"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/redact"
	"github.com/kiln-gitops/kiln/render/internal/flux"
)

// fluxHighLevel names the files of high-level/<app>/ that
// (*Renderer).helmReleaseFiles writes: Flux objects.
var fluxHighLevel = map[string]bool{"helmrelease.yaml": true, "source.yaml": true}

// helmReleaseFiles returns high-level/<app>/helmrelease.yaml (and
// source.yaml for a remote chart): the Flux HelmRelease that would deploy
// what kiln rendered. It is for reviewers; no Kustomization applies it.
func (r *Renderer) helmReleaseFiles(res *envconfig.Resolved, run *appRun) (map[string][]byte, error) {
	app := run.app
	values, err := r.userValues(run)
	if err != nil {
		return nil, fmt.Errorf("app %s: %w", app.Name, err)
	}
	h := flux.HelmRelease{
		Name: app.Name, Namespace: app.Namespace, App: app.Name, Env: res.Env.Name,
		Interval: r.appInterval(&app), Timeout: r.appTimeout(&app),
		// The HelmRepository goes to the manifests repository: its URL
		// without the user, password or query that let kiln fetch it.
		Chart: app.Helm.Chart, Repo: redact.PublicURL(app.Helm.Repo), Version: app.Helm.Version,
		GitSource: r.sourceRef(),
		DependsOn: helmDeps(res, app, r.ownKustomizations(res)),
		Values:    values,
	}
	hr, source, err := flux.BuildHelmRelease(h)
	if err != nil {
		return nil, fmt.Errorf("app %s: %w", app.Name, err)
	}
	out := map[string][]byte{}
	if out["helmrelease.yaml"], err = flux.Marshal(hr); err != nil {
		return nil, err
	}
	if source != nil {
		if out["source.yaml"], err = flux.Marshal(source); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// helmDeps returns the HelmReleases app's HelmRelease depends on. Only
// HelmReleases can be dependencies of a HelmRelease, so a dependency that
// is not a helm app is looked through to the helm apps it depends on: the
// HelmReleases keep the order the app graph gives them. External
// dependencies are Kustomizations and are left to the app's Kustomization,
// but for one naming the Kustomization kiln writes for an app of the env
// (own: "namespace/name" to app), which is that app.
func helmDeps(res *envconfig.Resolved, app envconfig.ResolvedApp, own map[string]string) []flux.Ref {
	byName := make(map[string]*envconfig.ResolvedApp, len(res.Apps))
	for i := range res.Apps {
		byName[res.Apps[i].Name] = &res.Apps[i]
	}
	var out []flux.Ref
	seen := map[string]bool{app.Name: true}
	var walk func(a *envconfig.ResolvedApp)
	walk = func(a *envconfig.ResolvedApp) {
		for _, d := range a.DependsOn {
			name := d.Name
			if d.External {
				name = own[d.Namespace+"/"+d.Name]
			}
			dep, ok := byName[name]
			if !ok || seen[name] {
				continue
			}
			seen[name] = true
			if dep.Engine == envconfig.EngineHelm {
				out = append(out, flux.Ref{Name: dep.Name, Namespace: dep.Namespace})
				continue
			}
			walk(dep)
		}
	}
	walk(&app)
	return out
}

// userValues returns what the HelmRelease's values hold: the app's values
// files merged in order, then the env's values, the way `helm template -f`
// merges them (maps key by key, anything else replaced). Not the chart's
// defaults: helm-controller adds those itself, and high-level/<app>/values.yaml
// shows the full result.
func (r *Renderer) userValues(run *appRun) (map[string]any, error) {
	app := run.app
	merged := map[string]any{}
	for _, f := range app.Helm.Values {
		data, err := r.layoutValues(run, f)
		if err != nil {
			return nil, fmt.Errorf("reading values file %s: %w", path.Clean(f), err)
		}
		var m map[string]any
		if err := yaml.Unmarshal(data, &m); err != nil {
			return nil, fmt.Errorf("values file %s: %w", path.Clean(f), err)
		}
		merged = mergeValues(merged, m)
	}
	if app.Values != nil {
		// A JSON round trip gives env values the types a values file's have.
		data, err := yaml.Marshal(app.Values)
		if err != nil {
			return nil, fmt.Errorf("env values: %w", err)
		}
		var m map[string]any
		if err := yaml.Unmarshal(data, &m); err != nil {
			return nil, fmt.Errorf("env values: %w", err)
		}
		merged = mergeValues(merged, m)
	}
	return merged, nil
}

// mergeValues merges b into a copy of a like Helm's -f flags.
func mergeValues(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if bm, ok := v.(map[string]any); ok {
			if am, ok := out[k].(map[string]any); ok {
				out[k] = mergeValues(am, bm)
				continue
			}
		}
		out[k] = v
	}
	return out
}
