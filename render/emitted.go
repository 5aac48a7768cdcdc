package render

import (
	"errors"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/render/internal/tree"
	"github.com/kiln-gitops/kiln/render/internal/validate"
)

// emittedHint is the hint of every error about an object kiln wrote
// itself: the user cannot edit it, only the settings it comes from.
const emittedHint = "kiln wrote this object from kiln.yaml (flux:, notifications:, the app's helm: and dependsOn) and the env file; " +
	"correct the setting the field comes from, or report a bug in kiln if none does"

// checkEmitted validates the Flux objects kiln wrote into an env's tree
// (flux/<app>.yaml, flux/notifications.yaml, high-level/<app>/
// helmrelease.yaml and source.yaml), as given by emitted (file → app, ""
// for objects of no one app), against the pinned Flux CRDs, as the API
// server of a cluster running those controllers would. The tests check
// every golden Flux object the same way; this makes an object a new
// combination of settings breaks an error of the render, naming the app
// and the file, instead of a tree Flux refuses after the merge.
func (r *Renderer) checkEmitted(files tree.Files, emitted map[string]string) error {
	// Flux kinds only: the env's own CRDs play no part, so a Flux an app
	// installs cannot lower the bar, and kubeVersion does not matter.
	env, err := r.schemas.Env("", nil)
	if err != nil {
		return err
	}
	return checkEmittedIn(env, files, emitted)
}

// checkEmittedKeeping is checkEmitted for the env res, whose result er
// keeps the objects found clean for the next run (validcache.go), unless
// the env has secret values.
func (r *Renderer) checkEmittedKeeping(res *envconfig.Resolved, er *EnvResult, files tree.Files, emitted map[string]string) error {
	env, err := r.schemas.Env("", nil)
	if err != nil {
		return err
	}
	if len(res.Secrets) > 0 {
		env.HoldsSecrets()
	}
	err = checkEmittedIn(env, files, emitted)
	keys := env.Clean()
	er.clean = append(er.clean, keys...)
	r.noteClean(keys)
	return err
}

// checkEmittedIn is checkEmitted in env.
func checkEmittedIn(env *validate.Env, files tree.Files, emitted map[string]string) error {
	var errs []error
	for _, name := range tree.SortedKeys(emitted) {
		app := emitted[name]
		objs, err := objects.Parse(files[name], name, 0)
		if err == nil {
			err = env.Objects(app, objs)
		}
		for _, e := range diag.Flatten(err) {
			var de *diag.Error
			if !errors.As(e, &de) {
				de = &diag.Error{File: name, App: app, Msg: e.Error(), Err: e}
			}
			errs = append(errs, de.WithHint(emittedHint))
		}
	}
	return diag.Join(errs...)
}
