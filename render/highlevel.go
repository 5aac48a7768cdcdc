package render

import (
	"bytes"
	"fmt"
	"maps"
	"path"

	"sigs.k8s.io/yaml"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/redact"
	"github.com/kiln-gitops/kiln/render/internal/flux"
)

// fluxHighLevel names the files of high-level/<app>/ that
// (*Renderer).helmReleaseFiles writes: Flux objects.
var fluxHighLevel = map[string]bool{"helmrelease.yaml": true, "source.yaml": true}

// helmReleaseFiles returns high-level/<app>/helmrelease.yaml (and
// source.yaml for a remote chart): the Flux HelmRelease that would deploy
// what kiln rendered. It is for reviewers; no Kustomization applies it.
// Its values are masked with rd before they are serialised, as the
// app's values.yaml is: "**redacted**" masked into the bytes after would
// begin a plain scalar as an alias does, which is no YAML.
func (r *Renderer) helmReleaseFiles(res *envconfig.Resolved, run *appRun, rd *redact.Redactor) (map[string][]byte, error) {
	app := run.app
	raw, err := r.userValues(run)
	if err != nil {
		return nil, fmt.Errorf("app %s: %w", app.Name, err)
	}
	values, _ := rd.Value(raw).(map[string]any)
	h := flux.HelmRelease{
		Name: app.Name, Namespace: app.Namespace, App: app.Name, Env: res.Env.Name,
		// The HelmRepository goes to the manifests repository: its URL
		// without the user, password or query that let kiln fetch it.
		Chart: app.Helm.Chart, Repo: redact.PublicURL(app.Helm.Repo), Version: app.Helm.Version,
		Values: values, SkipCRDs: app.Helm.SkipCRDs,
	}
	r.setFluxSettings(&h, res, app)
	return helmReleaseFilesOf(h, app.Name)
}

// setFluxSettings sets the parts of h that kiln.yaml's flux: settings and
// the apps' dependsOn give, as they are now, for app of env res.
func (r *Renderer) setFluxSettings(h *flux.HelmRelease, res *envconfig.Resolved, app envconfig.ResolvedApp) {
	h.Interval, h.Timeout = r.appInterval(&app), r.appTimeout(&app)
	h.GitSource = r.sourceRef()
	h.DependsOn = helmDeps(res, app, r.ownKustomizations(res))
}

// helmReleaseFilesOf returns the files of high-level/<app>/ that h makes,
// by name: helmrelease.yaml, and source.yaml when it has a source.
func helmReleaseFilesOf(h flux.HelmRelease, app string) (map[string][]byte, error) {
	hr, source, err := flux.BuildHelmRelease(h)
	if err != nil {
		return nil, fmt.Errorf("app %s: %w", app, err)
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

// keptHighLevel returns the high-level/ files, by name in the app's
// folder, of a helm app kept from an earlier tree (run.kept): those of
// that tree, but for helmrelease.yaml and source.yaml, which are made
// again with kiln.yaml's flux settings and dependsOn of now, as the app's
// Flux Kustomization is, so that a change to them reaches every app as a
// whole render gives it. What describes the app's render (its chart,
// repository, version and values) is the kept HelmRelease's: the kept
// objects were rendered from it, and the app's inputs may have changed
// since. appFlag says the app is kept by --app (rather than taken from a
// shard or a rendered tree checked again), for the hint.
func (r *Renderer) keptHighLevel(res *envconfig.Resolved, run *appRun, rd *redact.Redactor, appFlag bool) (map[string][]byte, error) {
	kept := run.kept.highLevel
	if run.kept.lock.Engine != "helm" || kept["helmrelease.yaml"] == nil {
		return kept, nil
	}
	name := run.app.Name
	h, err := flux.ReadHelmRelease(kept["helmrelease.yaml"], kept["source.yaml"])
	keptHint := func() string {
		if !appFlag {
			return "render the env (or its shards) again from the current kiln.yaml"
		}
		return fmt.Sprintf("render the app too (--app %s), or the whole env", name)
	}
	if err != nil {
		return nil, &diag.Error{App: name, File: inTree(run.kept.dir, "high-level/"+name+"/helmrelease.yaml"),
			Msg:  fmt.Sprintf("kept from the earlier render, its HelmRelease cannot be read back to be made again with kiln.yaml's flux settings of now: %v", err),
			Err:  err,
			Hint: keptHint()}
	}
	was, err := helmReleaseFilesOf(h, name)
	if err != nil {
		return nil, err
	}
	r.setFluxSettings(&h, res, run.app)
	now, err := helmReleaseFilesOf(h, name)
	if err != nil {
		return nil, err
	}
	if maps.EqualFunc(was, now, bytes.Equal) {
		// The settings are those of the earlier render: its files stay as
		// they are, whose values were masked after they were serialised,
		// and a second serialisation of a masked value may quote it
		// otherwise.
		return kept, nil
	}
	// Made again with the earlier settings, the files must be the kept
	// ones: a field the read-back does not carry (a hand edit under an
	// older lock without highLevelDigest), or a masked value that a
	// second serialisation quotes otherwise, would change silently.
	for n := range fluxHighLevel {
		if !bytes.Equal(rd.Bytes(was[n]), kept[n]) {
			return nil, &diag.Error{App: name, File: inTree(run.kept.dir, "high-level/"+name+"/"+n),
				Msg:  "kept from the earlier render, its " + n + " cannot be made again exactly from what it says, to follow kiln.yaml's flux settings of now",
				Hint: keptHint()}
		}
	}
	out := maps.Clone(kept)
	delete(out, "source.yaml")
	for n, data := range now {
		out[n] = rd.Bytes(data)
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
