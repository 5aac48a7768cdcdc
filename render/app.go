package render

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/deps"
	"github.com/kiln-gitops/kiln/internal/detach"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/limits"
	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/render/internal/patch"
	"github.com/kiln-gitops/kiln/templates"
	"github.com/kiln-gitops/kiln/templates/kustomize"
)

// request turns a resolved app into an engine request.
func (r *Renderer) request(env *envconfig.Resolved, app envconfig.ResolvedApp) *templates.Request {
	req := &templates.Request{
		Root:        r.p.Root,
		App:         app.Name,
		Namespace:   app.Namespace,
		Env:         env.Env.Name,
		KubeVersion: r.p.KubeVersion,
	}
	// Each engine gets only what it reads: the render cache keys on the
	// whole request, and a Helm chart must not miss because CI built a new
	// image of another app. Helm and Kustomize never see vars or images
	// (CI's images are applied after every engine); plain YAML substitutes
	// vars, and jsonnet is given vars and images as ext vars.
	switch app.Engine {
	case "yaml", "jsonnet":
		req.Vars, req.SecretVars = env.Vars, secretNames(env.Secrets)
	}
	if app.Engine == "jsonnet" {
		req.Images = r.images.Refs()
	}
	switch app.Engine {
	case "helm":
		req.Path = app.Helm.Chart
		req.ChartRepo = app.Helm.Repo
		req.ChartVersion = app.Helm.Version
		req.ValuesFiles = app.Helm.Values
		req.SkipCRDs = app.Helm.SkipCRDs
		req.Values = app.Values
		req.APIVersions = r.listedAPIVersions(env.Env.Name)
	case "kustomize":
		req.Path = app.Kustomize
	case "jsonnet":
		req.Path = app.Jsonnet.File
		req.JPath = app.Jsonnet.JPath
		req.ExtVars, req.TLAs = app.Jsonnet.ExtVars, app.Jsonnet.TLAs
	case "yaml":
		req.Path = app.YAML
	}
	return req
}

// renderApp runs the engine and the per-app steps that need nothing from
// other apps: env patches, then image tags.
func (r *Renderer) renderApp(ctx context.Context, env *envconfig.Resolved, run *appRun) {
	app := run.app
	eng, ok := r.engines[app.Engine]
	if !ok {
		run.err = &diag.Error{File: r.p.File, Line: app.Line, Msg: fmt.Sprintf("unknown engine %q", app.Engine)}
		return
	}
	if err := checkAppPaths(r.p.Root, env.Env.Name, &app); err != nil {
		run.err = err
		return
	}
	req := r.request(env, app)
	res, err := eng.Render(ctx, req)
	if app.Engine == "jsonnet" {
		if cerr := r.secretComputed(ctx, eng, env, app.Name, req, res, err); cerr != nil {
			run.err = cerr
			return
		}
	}
	if err != nil {
		run.err = err
		return
	}
	run.res = res
	markSOPS(res.Objects)
	for _, o := range res.Objects {
		if o.Raw == nil && o.Node != nil {
			run.secretValues = append(run.secretValues, objects.SecretValues(o.Node)...)
		}
	}
	engineObjs := res.Objects
	snap := snapshotSOPS(engineObjs)

	patches, err := r.patches(app.Patches, run.reads)
	if err != nil {
		run.err = err
		return
	}
	run.patches = patchesInput(app.Patches, patches)
	var objs []templates.Object
	var warns []diag.Warning
	// Strategic merge patches read kyaml's schema globals, which a
	// kustomization with openapi: rewrites; kustomize.Shared keeps such a
	// build out while patches run. An app without patches needs neither
	// the schema nor its parse.
	//
	// kyaml's strategic merge is quadratic in a list's length (merging
	// lists of 2,000 containers by name took 6 s, of 10,000 minutes) and
	// cannot be interrupted, so the patches run detached, and the app ends
	// when ctx does; the abandoned merge ends with kiln, which exits once a
	// render has failed.
	objs = res.Objects
	if len(patches) > 0 {
		type patched struct {
			objs  []templates.Object
			warns []diag.Warning
			err   error
		}
		p, lockErr := detach.Run(ctx, func() (patched, error) {
			var p patched
			err := kustomize.Shared(ctx, func() error {
				p.objs, p.warns, p.err = patch.Apply(res.Objects, patches)
				return nil
			})
			return p, err
		}, func(v any) error {
			return &diag.Error{File: patches[0].File, Line: patches[0].Line, App: app.Name, Msg: fmt.Sprintf("applying the env's patches failed unexpectedly: %v", v),
				Hint: "this is a bug in kiln or kustomize; please report it with the patches and the app's templates"}
		})
		switch {
		case lockErr != nil && ctx.Err() != nil:
			run.err = &diag.Error{File: patches[0].File, Line: patches[0].Line, App: app.Name, Msg: "applying the env's patches stopped: " + ctx.Err().Error(), Err: ctx.Err(),
				Hint: "a strategic merge patch of a long list (thousands of items) takes long; raise --timeout if the patches are just large"}
			return
		case lockErr != nil:
			run.err = lockErr
			return
		}
		objs, warns, err = p.objs, p.warns, p.err
	}
	for i := range warns {
		warns[i].App = app.Name
	}
	run.warns = append(run.warns, warns...)
	if err != nil {
		run.err = err
		return
	}
	if ch := snap.changed(engineObjs, objs); len(ch) > 0 {
		run.err = patchedSOPSErrors(app, ch)
		return
	}
	// SOPS documents get no image tags; a tag CI gives for one of their
	// images is refused. A copy finds that out: an encrypted image (ENC[…])
	// is no image reference, and that is no error here.
	var plain, sopsCopies []templates.Object
	for _, o := range objs {
		if o.Raw == nil {
			plain = append(plain, o)
			continue
		}
		c := o
		c.Node = o.Node.Copy()
		sopsCopies = append(sopsCopies, c)
	}
	used, stale, err := r.images.Apply(app.Name, plain)
	if err != nil {
		run.err = err
		return
	}
	run.warns = append(run.warns, stale...)
	sopsUsed, _, _ := r.images.Apply(app.Name, sopsCopies)
	if ch := snap.changed(sopsCopies, sopsCopies); len(ch) > 0 {
		run.err = imagedSOPSErrors(app.Name, ch)
		return
	}
	// A SOPS document that already runs the image CI gave (as the error
	// above says to do: set the tag before encrypting) uses it: counted
	// as unused, --strict failed the render it asked for.
	maps.Copy(used, sopsUsed)
	run.objs, run.used = objs, used
}

// patches reads patch files and converts env-file patches to the patch
// package's type.
func (r *Renderer) patches(in []envconfig.Patch, reads *deps.Recorder) ([]patch.Patch, error) {
	var out []patch.Patch
	var errs []error
	for _, p := range in {
		pp := patch.Patch{Patch: p.Patch, File: p.File, Line: p.Line, TextLine: p.TextLine}
		if p.Path != "" {
			data, err := reads.ReadFile(r.p.Root, p.Path)
			if err != nil {
				errs = append(errs, &diag.Error{File: p.File, Line: p.Line, Msg: fmt.Sprintf("cannot read patch file %s%s", p.Path, limits.Reason(err)), Err: err,
					Hint: "patch paths are relative to the repository root and must stay inside it"})
				continue
			}
			pp.Patch, pp.File, pp.Line, pp.TextLine, pp.FromFile = string(data), p.Path, 1, 1, true
		}
		if t := p.Target; t != nil {
			pp.Target = &patch.Selector{Group: t.Group, Version: t.Version, Kind: t.Kind, Name: t.Name,
				Namespace: t.Namespace, LabelSelector: t.LabelSelector, AnnotationSelector: t.AnnotationSelector}
		}
		out = append(out, pp)
	}
	return out, diag.Join(errs...)
}

// patchesInput is an app's env patches as its lock's inputDigest and its
// laid-out key hold them: each as the env file writes it and, for one
// read from a file (path:), the file's content as well, which changes
// the output as much as an inline patch's text does. read are those
// patches as r.patches resolved them, in the same order.
func patchesInput(in []envconfig.Patch, read []patch.Patch) []byte {
	type entry struct {
		envconfig.Patch
		// Content is omitted for inline patches, so their JSON, and the
		// digests of apps without patch files, are as before.
		Content string `json:",omitempty"`
	}
	var out []entry // nil for none: "null", as before
	for i, p := range in {
		e := entry{Patch: p}
		if p.Path != "" && i < len(read) {
			e.Content = read[i].Patch
		}
		out = append(out, e)
	}
	data, _ := json.Marshal(out)
	return data
}

// secretNames is the set of secret var names.
func secretNames(secrets map[string]string) map[string]bool {
	out := make(map[string]bool, len(secrets))
	for n := range secrets {
		out[n] = true
	}
	return out
}
