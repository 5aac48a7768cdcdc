package render

import (
	"errors"
	"sync/atomic"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/carry"
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
// the env has secret values. A file found clean in this run or a kept
// earlier one, byte for byte, is not parsed or checked again
// (emittedKey): in an env that is not reused whole, most apps' Flux
// objects are the same as last time, and parsing them back was a tenth of
// a one-app-changed render.
func (r *Renderer) checkEmittedKeeping(res *envconfig.Resolved, er *EnvResult, files tree.Files, emitted map[string]string) error {
	env, err := r.schemas.Env("", nil)
	if err != nil {
		return err
	}
	if len(res.Secrets) > 0 {
		env.HoldsSecrets()
	}
	keep := len(res.Secrets) == 0 && r.clean != nil
	names := tree.SortedKeys(emitted)
	keys := make([]validate.CleanKey, len(names))
	known := make([]bool, len(names))
	if keep {
		for i, name := range names {
			keys[i] = emittedKey(files[name])
			known[i] = r.knownClean(keys[i])
		}
	}
	fileErrs := checkEmittedFiles(env, names, known, files, emitted)
	var errs []error
	var fileKeys []validate.CleanKey
	for i := range names {
		if keep && (known[i] || len(fileErrs[i]) == 0) {
			fileKeys = append(fileKeys, keys[i])
		}
		errs = append(errs, fileErrs[i]...)
	}
	cleanKeys := append(env.Clean(), fileKeys...)
	er.clean = append(er.clean, cleanKeys...)
	r.noteClean(cleanKeys)
	return diag.Join(errs...)
}

// checkEmittedIn is checkEmitted in env.
func checkEmittedIn(env *validate.Env, files tree.Files, emitted map[string]string) error {
	names := tree.SortedKeys(emitted)
	var errs []error
	for _, fe := range checkEmittedFiles(env, names, make([]bool, len(names)), files, emitted) {
		errs = append(errs, fe...)
	}
	return diag.Join(errs...)
}

// checkEmittedFiles checks the files names[i] not skipped, side by side:
// most hold one object (an app's Kustomization), so checking them one
// after another left a core idle through a tenth of a fleet's cold
// render. The errors are by index of names, for the caller to report in
// the order of names whatever the scheduling.
func checkEmittedFiles(env *validate.Env, names []string, skip []bool, files tree.Files, emitted map[string]string) [][]error {
	out := make([][]error, len(names))
	carry.Each(len(names), func(i int) {
		if !skip[i] {
			out[i] = checkEmittedFile(env, names[i], emitted[names[i]], files[names[i]])
		}
	})
	return out
}

// emittedChecked counts the emitted files parsed and checked, for the
// tests that prove files found clean earlier are not.
var emittedChecked atomic.Int64

// checkEmittedFile checks the file name of app, data, in env.
func checkEmittedFile(env *validate.Env, name, app string, data []byte) []error {
	emittedChecked.Add(1)
	var errs []error
	objs, err := objects.Parse(data, name, 0)
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
	return errs
}
