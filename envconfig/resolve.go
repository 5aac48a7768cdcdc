package envconfig

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/kiln-gitops/kiln/internal/diag"
)

// Resolved is the effective configuration of one environment.
type Resolved struct {
	// Env is the environment.
	Env Environment
	// Vars are the plain vars and the secret vars' values.
	Vars map[string]string
	// Secrets maps each secret var to its value, for redaction and the
	// plain-secret check. Never print it.
	Secrets map[string]string
	// AllowPlainSecrets lets secret values land in the output unencrypted.
	AllowPlainSecrets bool
	// SOPS is the environment's encryption configuration, nil when absent.
	SOPS *SOPS
	// ManifestsPath is manifests.path with {env} replaced.
	ManifestsPath string
	// Apps are the enabled apps, in kiln.yaml order, overrides applied.
	Apps []ResolvedApp
	// Disabled names the apps the environment disables, in kiln.yaml
	// order, so that a dependsOn naming one can say so.
	Disabled []string
}

// ResolvedApp is an app with its environment's overrides applied and
// {env} replaced in its paths.
type ResolvedApp struct {
	App
	// Values are the environment's Helm values, nil when none.
	Values map[string]any
	// Patches apply to the app's rendered objects.
	Patches []Patch
	// NamespaceAt is where the environment's file sets the app's
	// namespace; zero when kiln.yaml does.
	NamespaceAt At
}

// SecretValues returns ef's secret vars that are set, by name, each read
// with lookup (given the environment variable's name). An empty secret
// counts as unset: GitHub Actions passes a missing secret as "". Resolve
// reads secrets with it, and so may a caller that must mask what is set
// even when Resolve fails: both then agree on what a secret is.
func (ef *EnvFile) SecretValues(lookup func(string) (string, bool)) map[string]string {
	values, _ := ef.readSecrets(lookup)
	return values
}

// readSecrets is SecretValues, and for each secret var it leaves out,
// whether its environment variable is set but empty (Resolve's error
// tells the two apart).
func (ef *EnvFile) readSecrets(lookup func(string) (string, bool)) (values map[string]string, empty map[string]bool) {
	values, empty = map[string]string{}, map[string]bool{}
	if ef == nil || lookup == nil {
		return values, empty
	}
	for name, envVar := range ef.SecretVars {
		v, ok := lookup(envVar)
		switch {
		case ok && v != "":
			values[name] = v
		case ok:
			empty[name] = true
		}
	}
	return values, empty
}

// Resolve returns the effective configuration of environment env: the
// enabled apps with ef's overrides applied, "{env}" replaced in every path
// (chart, values files, kustomize, jsonnet file and jpath, yaml folder,
// patch paths, manifests.path), and each secret var read with lookup
// (which is given the environment variable's name; libraries never read
// the process environment themselves). ef may be nil for no overrides. An
// empty secret counts as unset: GitHub Actions passes a missing secret as "".
func (p *Pipeline) Resolve(env string, ef *EnvFile, lookup func(string) (string, bool)) (*Resolved, error) {
	e, err := p.Env(env)
	if err != nil {
		return nil, err
	}
	if ef == nil {
		ef = &EnvFile{}
	}
	d := &decoder{file: ef.File}
	r := &Resolved{
		Env:               *e,
		Vars:              map[string]string{},
		Secrets:           map[string]string{},
		AllowPlainSecrets: ef.AllowPlainSecrets,
		ManifestsPath:     manifestsPath(p.Manifests.Path, e.Name),
	}
	if ef.SOPS != nil {
		s := *ef.SOPS
		s.Age = slices.Clone(s.Age)
		s.PGP = slices.Clone(s.PGP)
		r.SOPS = &s
	}
	maps.Copy(r.Vars, ef.Vars)
	secrets, empty := ef.readSecrets(lookup)
	for _, name := range slices.Sorted(maps.Keys(ef.SecretVars)) {
		envVar := ef.SecretVars[name]
		v, ok := secrets[name]
		if !ok {
			state := "is not set"
			if empty[name] {
				state = "is empty"
			}
			e := &diag.Error{File: ef.File, Line: ef.Lines[name], Field: "secretVars." + name,
				Msg: fmt.Sprintf("secret var %s: environment variable %s %s", name, envVar, state),
				Hint: fmt.Sprintf("set %s before running kiln; in GitHub Actions add \"%s: ${{ secrets.%s }}\" to the step's env (a secret that does not exist reads as empty)",
					envVar, envVar, envVar)}
			if !quotableEnvName(envVar) {
				// What is written there may be the secret itself, pasted in
				// place of a name: the place is named, never the text.
				e.Msg = fmt.Sprintf("secret var %s: the environment variable that secretVars.%s names %s", name, name, state)
				e.Hint = "set that environment variable before running kiln; in GitHub Actions add it to the step's env from secrets (a secret that does not exist reads as empty). " +
					"kiln quotes only upper-case names (A-Z, 0-9 and _, such as DEV_" + strings.ToUpper(name) + "): if the text written there is the secret itself, " +
					"put such a name there instead and rotate the secret, since the env file is committed"
			}
			d.errs = append(d.errs, e)
			continue
		}
		if !utf8.ValidString(v) {
			// The engines read text: YAML and Jsonnet would have put
			// U+FFFD in place of the bytes, giving the object another
			// value than the secret, without a word.
			where := "environment variable " + envVar
			if !quotableEnvName(envVar) {
				where = "the environment variable that secretVars." + name + " names"
			}
			d.errs = append(d.errs, &diag.Error{File: ef.File, Line: ef.Lines[name], Field: "secretVars." + name,
				Msg:  fmt.Sprintf("secret var %s: %s holds bytes that are not UTF-8 text", name, where),
				Hint: "YAML, Jsonnet and a Kubernetes object's strings hold only UTF-8: give the secret as UTF-8 text (binary data as its base64, for a Secret's data field)"})
			continue
		}
		r.Vars[name] = v
		r.Secrets[name] = v
	}

	names := make([]string, len(p.Apps))
	for i, a := range p.Apps {
		names[i] = a.Name
	}
	for _, name := range slices.Sorted(maps.Keys(ef.Apps)) {
		if !slices.Contains(names, name) {
			msg := fmt.Sprintf("app %q: no such app in kiln.yaml", name)
			if c := diag.Closest(name, names); c != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", c)
			}
			d.errs = append(d.errs, &diag.Error{File: ef.File, Line: ef.Apps[name].Line, Field: "apps." + name, Msg: msg,
				Hint: "overrides name apps of kiln.yaml: " + listNames(names)})
		}
	}

	for _, a := range p.Apps {
		o, has := ef.Apps[a.Name]
		if has && o.Enabled != nil && !*o.Enabled {
			r.Disabled = append(r.Disabled, a.Name)
			continue
		}
		ra := ResolvedApp{App: cloneApp(a)}
		if has {
			d.appName = a.Name
			d.apply(&ra, o)
			d.appName = ""
		}
		expandEnv(&ra, e.Name)
		r.Apps = append(r.Apps, ra)
	}
	if err := d.err(); err != nil {
		return nil, err
	}
	return r, nil
}

// maxNamesListed bounds the apps a hint lists: a pipeline of thousands of
// apps gave each misspelt override a hint of every name (200 KB in the
// log for two typos with 10,000 apps), where the closest one is named in
// the message already.
const maxNamesListed = 10

// listNames is names joined with commas, the first maxNamesListed of them
// and how many more there are.
func listNames(names []string) string {
	if len(names) <= maxNamesListed {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more (kiln graph lists them)", strings.Join(names[:maxNamesListed], ", "), len(names)-maxNamesListed)
}

// apply applies override o to ra, checking the result where keys of kiln.yaml
// and of the override combine (a switched engine, a changed chart source).
func (d *decoder) apply(ra *ResolvedApp, o Override) {
	at := &yaml.Node{Line: o.Line}
	if o.Namespace != nil {
		ra.Namespace, ra.NamespaceAt = *o.Namespace, o.NamespaceAt
	}
	switch {
	case o.Helm != nil:
		if ra.Engine == EngineHelm {
			// chart names the chart's source: with it, repo and version
			// come from the override too (absent: a chart in this repo).
			h := ra.Helm
			if o.Helm.Chart != "" {
				h.Chart, h.ChartAt, h.Repo, h.Version = o.Helm.Chart, o.Helm.ChartAt, o.Helm.Repo, o.Helm.Version
			} else {
				if o.Helm.Repo != "" {
					h.Repo = o.Helm.Repo
				}
				if o.Helm.Version != "" {
					h.Version = o.Helm.Version
				}
			}
			if o.Helm.Values != nil {
				h.Values, h.ValuesAt = slices.Clone(o.Helm.Values), slices.Clone(o.Helm.ValuesAt)
			}
			if o.Helm.SkipCRDsAt.Line != 0 {
				h.SkipCRDs, h.SkipCRDsAt = o.Helm.SkipCRDs, o.Helm.SkipCRDsAt
			}
		} else {
			h := *o.Helm
			h.Values, h.ValuesAt = slices.Clone(h.Values), slices.Clone(h.ValuesAt)
			setEngine(&ra.App, EngineHelm)
			ra.Helm = &h
		}
		if ra.Helm.Chart == "" {
			d.errAt(at, "helm: missing chart", "an override that switches the app to helm gives helm.chart")
		} else {
			d.chart(at, ra.Helm.Chart, ra.Helm.Repo)
			d.checkHelm(at, ra.Helm)
		}
	case o.Kustomize != nil:
		setEngine(&ra.App, EngineKustomize)
		ra.Kustomize, ra.PathAt = *o.Kustomize, o.PathAt
	case o.Jsonnet != nil:
		if ra.Engine == EngineJsonnet {
			if o.Jsonnet.File != "" {
				ra.Jsonnet.File, ra.Jsonnet.FileAt = o.Jsonnet.File, o.Jsonnet.FileAt
			}
			if o.Jsonnet.JPath != nil {
				ra.Jsonnet.JPath = slices.Clone(o.Jsonnet.JPath)
			}
			// Key by key, as env values override an app's.
			ra.Jsonnet.ExtVars = mergeArgs(ra.Jsonnet.ExtVars, o.Jsonnet.ExtVars)
			ra.Jsonnet.TLAs = mergeArgs(ra.Jsonnet.TLAs, o.Jsonnet.TLAs)
		} else {
			j := Jsonnet{File: o.Jsonnet.File, FileAt: o.Jsonnet.FileAt, JPath: slices.Clone(o.Jsonnet.JPath), ExtVars: o.Jsonnet.ExtVars, TLAs: o.Jsonnet.TLAs}
			setEngine(&ra.App, EngineJsonnet)
			ra.Jsonnet = &j
			if j.File == "" {
				d.errAt(at, "jsonnet: missing file", "an override that switches the app to jsonnet gives jsonnet.file")
			}
		}
	case o.YAML != nil:
		setEngine(&ra.App, EngineYAML)
		ra.YAML, ra.PathAt = *o.YAML, o.PathAt
	}
	if o.DependsOnSet {
		ra.DependsOn = slices.Clone(o.DependsOn)
	}
	if o.Flux != nil {
		f := &ra.Flux
		if o.Flux.Interval != "" {
			f.Interval = o.Flux.Interval
		}
		if o.Flux.Timeout != "" {
			f.Timeout = o.Flux.Timeout
		}
		if o.Flux.DecryptionSecret != "" {
			f.DecryptionSecret = o.Flux.DecryptionSecret
		}
		if o.Flux.Wait != nil {
			w := *o.Flux.Wait
			f.Wait = &w
		}
		if o.Flux.HealthChecks != nil {
			f.HealthChecks = slices.Clone(o.Flux.HealthChecks)
		}
		if o.Flux.HealthCheckExprs != nil {
			f.HealthCheckExprs = slices.Clone(o.Flux.HealthCheckExprs)
		}
	}
	if o.Values != nil {
		if ra.Engine != EngineHelm {
			d.errAt(at, fmt.Sprintf("values are Helm values, but the app renders with %s", ra.Engine),
				"change the output of other engines with patches, or vars for yaml and jsonnet apps")
		}
		ra.Values = cloneValue(o.Values).(map[string]any)
	}
	for _, pt := range o.Patches {
		if pt.Target != nil {
			t := *pt.Target
			pt.Target = &t
		}
		ra.Patches = append(ra.Patches, pt)
	}
}

// setEngine switches a to engine e, clearing the other engines' fields.
func setEngine(a *App, e string) {
	a.Engine, a.Helm, a.Kustomize, a.Jsonnet, a.YAML = e, nil, "", nil, ""
}

// expandEnv replaces {env} in every path of ra.
func expandEnv(ra *ResolvedApp, env string) {
	x := func(s string) string { return strings.ReplaceAll(s, "{env}", env) }
	if h := ra.Helm; h != nil {
		if h.Repo == "" {
			h.Chart = x(h.Chart)
		}
		for i := range h.Values {
			h.Values[i] = x(h.Values[i])
		}
	}
	ra.Kustomize = x(ra.Kustomize)
	ra.YAML = x(ra.YAML)
	if j := ra.Jsonnet; j != nil {
		j.File = x(j.File)
		for i := range j.JPath {
			j.JPath[i] = x(j.JPath[i])
		}
	}
	for i := range ra.Patches {
		ra.Patches[i].Path = x(ra.Patches[i].Path)
	}
}

// cloneApp copies a deeply, so that resolving never changes the Pipeline.
func cloneApp(a App) App {
	if a.Helm != nil {
		h := *a.Helm
		h.Values, h.ValuesAt = slices.Clone(h.Values), slices.Clone(h.ValuesAt)
		a.Helm = &h
	}
	if a.Jsonnet != nil {
		j := *a.Jsonnet
		j.JPath = slices.Clone(j.JPath)
		j.ExtVars = maps.Clone(j.ExtVars)
		j.TLAs = maps.Clone(j.TLAs)
		a.Jsonnet = &j
	}
	a.DependsOn = slices.Clone(a.DependsOn)
	if a.Flux.Wait != nil {
		w := *a.Flux.Wait
		a.Flux.Wait = &w
	}
	a.Flux.HealthChecks = slices.Clone(a.Flux.HealthChecks)
	a.Flux.HealthCheckExprs = slices.Clone(a.Flux.HealthCheckExprs)
	return a
}

// cloneValue deep-copies decoded values, so that callers merging into
// them never change the EnvFile.
func cloneValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = cloneValue(x)
		}
		return m
	case []any:
		s := make([]any, len(t))
		for i, x := range t {
			s[i] = cloneValue(x)
		}
		return s
	}
	return v
}

// mergeArgs returns base with over's entries set over it; nil when both
// are empty.
func mergeArgs(base, over map[string]any) map[string]any {
	if len(over) == 0 {
		return base
	}
	out := maps.Clone(base)
	if out == nil {
		out = map[string]any{}
	}
	maps.Copy(out, over)
	return out
}

// manifestsPath is pattern with {env} replaced, cleaned as promote cleans
// it (ManifestsDir), so that a Flux Kustomization's path ("clusters//dev/",
// "./clusters/dev") names the folder promote writes, spelled one way.
// Parse refused a pattern ManifestsDir refuses; one built otherwise is
// kept as written.
func manifestsPath(pattern, env string) string {
	if dir, err := ManifestsDir(pattern, env); err == nil {
		return dir
	}
	return strings.ReplaceAll(pattern, "{env}", env)
}
