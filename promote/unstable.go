package promote

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/words"
	"github.com/kiln-gitops/kiln/promote/internal/treediff"
	"github.com/kiln-gitops/kiln/render"
)

// maxUnstableObjects is how many objects an unstable app's warning names.
const maxUnstableObjects = 3

// unstableWarnings returns a warning for each app whose objects change
// though its inputs did not: its inputDigest in the env's current lock
// (old) is the new render's, by the same kiln, its outputDigest is not,
// and only values changed (sameShape). A template that draws random
// values or reads the clock does that at every render, and kiln's render
// cache never keeps a render with a plain Secret, so a chart that generates a database password when none
// is given (Bitnami's, with their defaults) makes a new one at each
// promotion of the env, whatever app it is for: merged, the Secret no
// longer holds the password the database was initialised with. kiln
// validate refuses such output; this is what promote and diff can see
// without rendering twice. Files that change without their inputs by
// design are left out: SOPS documents (new nonces at each encryption)
// and the app's secretFiles (a secret var's value, which the inputDigest
// names but does not hash). The warnings name objects, never values.
func unstableWarnings(old, new *render.Lock, changes []treediff.Change) []diag.Warning {
	if old == nil || new == nil || old.KilnVersion != new.KilnVersion {
		return nil
	}
	byApp := objectsByApp(changes)
	var ws []diag.Warning
	for _, app := range slices.Sorted(maps.Keys(byApp)) {
		o, ok := old.Apps[app]
		n, ok2 := new.Apps[app]
		// An app kept from an earlier render (--app), in either lock,
		// was made by a run whose kiln the lock does not say: the lock's
		// kilnVersion is the last run's, and an upgrade changes output
		// with the same inputs.
		if !ok || !ok2 || o.InputDigest == "" || o.InputDigest != n.InputDigest || o.OutputDigest == n.OutputDigest ||
			n.Source != nil && !n.Source.SameCode(new.Source) || o.Source != nil && !o.Source.SameCode(old.Source) {
			continue
		}
		if !sameShape(byApp[app]) {
			continue
		}
		if w, ok := unstableWarning(app, byApp[app], "change", "changes",
			"though the app's inputs did not (its inputDigest and kiln's version are the env's current render's)", n.SecretFiles, o.SecretFiles); ok {
			ws = append(ws, w)
		}
	}
	return ws
}

// objectsByApp groups the changes of object files by their app.
func objectsByApp(changes []treediff.Change) map[string][]treediff.Change {
	byApp := map[string][]treediff.Change{}
	for _, c := range changes {
		if c.App != "" && treediff.IsObject(c.Path) {
			byApp[c.App] = append(byApp[c.App], c)
		}
	}
	return byApp
}

// unstableWarning is the warning about app's changes that random values
// can explain, at the first one's file, with what says how they were
// seen; false when none can. SOPS documents (new nonces at each
// encryption) and the app's secretFiles (a secret var's value, which the
// inputDigest names but does not hash) change without their inputs by
// design and are left out.
func unstableWarning(app string, changes []treediff.Change, verb, verbOne, seen string, secretFiles ...[]string) (diag.Warning, bool) {
	var objs []string
	first := ""
	for _, c := range changes {
		if sopsDocument(c.Old) || sopsDocument(c.New) || slices.ContainsFunc(secretFiles, func(fs []string) bool { return slices.Contains(fs, path.Base(c.Path)) }) {
			continue
		}
		if first == "" {
			first = c.Path
		}
		objs = append(objs, cmp.Or(c.Object, c.Path))
	}
	if len(objs) == 0 {
		return diag.Warning{}, false
	}
	if len(objs) == 1 {
		verb = verbOne
	}
	return diag.Warning{File: first,
		Msg:  fmt.Sprintf("app %s: %s %s %s: a template draws random values or reads the clock", app, namedObjects(objs), verb, seen),
		Hint: unstableHint}, true
}

// unstableHint is what to do about an app whose render differs each time.
const unstableHint = "run kiln validate, which names the template and the fields; make them inputs (a chart's generated password in the app's values, or an existing Secret): " +
	"a password made anew at each promotion no longer matches the one a database was initialised with"

// namedObjects names the first maxUnstableObjects of objs, counting the rest.
func namedObjects(objs []string) string {
	named := strings.Join(objs[:min(len(objs), maxUnstableObjects)], ", ")
	if more := len(objs) - maxUnstableObjects; more > 0 {
		named += " and " + words.Count(more, "more object")
	}
	return named
}

// sameShape reports whether changes, an app's, only change values: no
// object added or removed, none of another apiVersion. Random values
// change nothing else, while an input the inputDigest does not cover
// can: a CRD of another app that makes a kind cluster-scoped. (The API
// versions validation.crds gives a chart's .Capabilities, which change
// values too, are in a helm app's inputDigest.)
func sameShape(changes []treediff.Change) bool {
	for _, c := range changes {
		if c.Op != treediff.Changed || apiVersionOf(c.Old) != apiVersionOf(c.New) {
			return false
		}
	}
	return true
}

// apiVersionOf is the apiVersion line of an object file kiln wrote.
func apiVersionOf(data []byte) string {
	for line := range bytes.Lines(data) {
		if v, ok := bytes.CutPrefix(line, []byte("apiVersion:")); ok {
			return string(bytes.TrimSpace(v))
		}
	}
	return ""
}

// sopsDocument reports whether data, a file of the tree, is a SOPS
// document: a top-level sops key.
func sopsDocument(data []byte) bool {
	return bytes.HasPrefix(data, []byte("sops:")) || bytes.Contains(data, []byte("\nsops:"))
}

// rerenderWarnings renders once more, without the render cache, the Helm
// apps of the new tree whose objects changed with their inputs (new
// apps, a chart or values changed), and returns a warning for each whose
// objects differ between the two renders: what unstableWarnings cannot
// tell from a change of inputs. A Bitnami chart's generated password
// rotates at every render, so a promotion that bumps the chart or its
// values would replace it with the change, unseen. Only Helm apps: the
// other engines have no source of randomness or time. Nothing is said
// when the second render fails (the first one passed) or for a tree
// taken with --rendered (no render to repeat).
func (r *run) rerenderWarnings(ctx context.Context, src *source, changes []treediff.Change, oldLock *render.Lock) []diag.Warning {
	if r.opts.Rendered != "" || src.lock == nil {
		return nil
	}
	changed := map[string]bool{}
	for _, c := range changes {
		n, ok := src.lock.Apps[c.App]
		if c.App == "" || !treediff.IsObject(c.Path) || !ok || n.Engine != "helm" {
			continue
		}
		if oldLock != nil {
			if o, ok := oldLock.Apps[c.App]; ok && o.InputDigest == n.InputDigest {
				continue // unstableWarnings' case
			}
		}
		changed[c.App] = true
	}
	if len(changed) == 0 {
		return nil
	}
	apps := slices.Sorted(maps.Keys(changed))
	ro := r.opts.Render
	ro.Apps, ro.RenderCache, ro.Preview = apps, "", true
	ro.Earlier = func(string) (map[string][]byte, error) { return src.files, nil }
	ro.EarlierDir, ro.Log, ro.OnSecrets, ro.Progress = nil, io.Discard, nil, nil
	renderer, err := render.New(r.p, ro)
	if err != nil {
		return nil
	}
	defer renderer.Close()
	results, err := renderer.Render(ctx, []string{r.env.Name})
	if err != nil || results[0].Err != nil {
		return nil
	}
	// Every other app is the first render's, copied: only the apps
	// rendered again can differ.
	byApp := objectsByApp(treediff.Trees(src.files, results[0].Files))
	var ws []diag.Warning
	for _, app := range apps {
		if w, ok := unstableWarning(app, byApp[app], "differ", "differs", "between two renders of the same inputs", src.lock.Apps[app].SecretFiles); ok {
			ws = append(ws, w)
		}
	}
	return ws
}
