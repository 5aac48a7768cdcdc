package promote

import (
	"context"
	"fmt"
	"strings"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/immutable"
	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/promote/internal/prbody"
	"github.com/kiln-gitops/kiln/promote/internal/treediff"
	"github.com/kiln-gitops/kiln/render"
)

// immutableWarnings returns a warning for the changed objects whose
// immutable fields differ (package immutable): Flux would apply them and
// fail ("field is immutable") until someone deletes each object. It comes
// once per app and change (field, rule, what recreating destroys), at the
// first object, counting the rest: a chart upgrade that changes the
// selector of its 300 Deployments makes one warning, not 300. Objects
// annotated for Flux to recreate them are left out, unless recreating
// destroys something (a CRD's custom resources, a claim's data): then the
// annotation is what makes the change dangerous, and the warning says so.
// The warnings name fields, never values.
func immutableWarnings(changes []treediff.Change) []diag.Warning {
	var out diag.OnceEach
	for _, c := range objectChanges(changes) {
		old, errOld := objects.Parse(c.Old, c.Path, 0)
		cur, errNew := objects.Parse(c.New, c.Path, 0)
		if errOld != nil || errNew != nil || len(old) != 1 || len(cur) != 1 {
			continue
		}
		forced := immutable.Forced(cur[0].Node)
		for _, ch := range immutable.Changes(old[0].Node, cur[0].Node) {
			w := diag.Warning{File: c.Path, App: c.App, Object: treediff.ObjectOf(c.New)}
			switch {
			case forced && ch.Recreate == "":
				continue
			case forced:
				w.Msg = fmt.Sprintf("%s changes, which the API server refuses on an existing object (%s), and the object is annotated %s: enabled, so Flux will delete and recreate it: %s",
					ch.Field, ch.Rule, immutable.ForceAnnotation, ch.Recreate)
				w.Hint = fmt.Sprintf("keep the field as it was, or remove the %s annotation and move what the object holds to a new object of another name by hand", immutable.ForceAnnotation)
			case ch.Recreate != "":
				w.Msg = fmt.Sprintf("%s changes, which the API server refuses on an existing object (%s): Flux's apply will fail until the object is deleted, and %s",
					ch.Field, ch.Rule, ch.Recreate)
				w.Hint = fmt.Sprintf("keep the field as it was, or create a new object of another name and move what the old one holds by hand; do not annotate it with %s: enabled", immutable.ForceAnnotation)
			default:
				w.Msg = fmt.Sprintf("%s changes, which the API server refuses on an existing object (%s): Flux's apply will fail until the object is deleted",
					ch.Field, ch.Rule)
				w.Hint = fmt.Sprintf("annotate the object with %s: enabled so that Flux deletes and recreates it, or give the new version a new name", immutable.ForceAnnotation)
			}
			if ch.Hint != "" {
				w.Hint = ch.Hint
			}
			if key := c.App + "\x00" + w.Msg; !out.Seen(key) {
				out.Add(key, &w)
			}
		}
	}
	return out.Warnings("object")
}

// transitionWarnings returns a warning for every changed custom resource
// whose CRD's transition rules refuse the change on an existing object
// (render.Transitions): the custom resources' immutable fields.
func (r *run) transitionWarnings(ctx context.Context, tree map[string][]byte, changes []treediff.Change) []diag.Warning {
	return render.Transitions(ctx, r.p, r.env.Name, tree, objectChanges(changes))
}

// objectChanges returns each object of the env that changes: in place,
// or moved to another file (another app's, when an app is renamed or an
// object moves). Flux updates a moved object in place too, once the new
// app's Kustomization takes it over, so its immutable fields matter as
// much. It is at its new path, in its new app.
func objectChanges(changes []treediff.Change) []render.ObjectChange {
	removed := objectsBy(changes, treediff.Removed)
	var out []render.ObjectChange
	for _, c := range changes {
		if !treediff.IsObject(c.Path) {
			continue
		}
		switch c.Op {
		case treediff.Changed:
			if _, ok := became(c); ok {
				// Another object in the same file (the app's namespace
				// changed): Flux creates it and prunes the old one
				// (prunedWarnings), updating neither. It may be one moved
				// here from another file.
				if from, ok := removed[identity(c.New, c.Object)]; ok {
					out = append(out, render.ObjectChange{Path: c.Path, App: c.App, Old: from.Old, New: c.New})
				}
				continue
			}
			out = append(out, render.ObjectChange{Path: c.Path, App: c.App, Old: c.Old, New: c.New})
		case treediff.Added:
			if from, ok := removed[identity(c.New, c.Object)]; ok && c.Object != "" {
				out = append(out, render.ObjectChange{Path: c.Path, App: c.App, Old: from.Old, New: c.New})
			}
		}
	}
	return out
}

// bodyLines is the pull request body's lines for warnings of a plan
// (immutableWarnings, movedWarnings): one each, naming the file and the
// object. The object's name is the manifests' to choose (an RBAC or custom
// resource name may hold "@", "#", "<" and spaces), so it is a code span:
// as text it would mention people, link issues or open HTML in the body.
//
// The message quotes text kiln does not write either (a CRD's rule
// message, an app name of the branch's lock), and stays text: a
// "<details>" in it would fold away what follows (the apps table), and a
// tag would show as an image or a link, "@team" would notify a team.
//
// Markdown's own syntax for them is escaped too: "[text](url)" would show
// as a link whose text hides where it goes, "![x](url)" as an image. A
// backslash is escaped as well, so that a "\[" of the message cannot undo
// the escape of its bracket.
//
// mask runs before the lines are formatted: code spans, the escapes and
// the backticks replaced in the message would otherwise change a secret
// value's spelling so that the body's own masking no longer finds it. It
// sees each part whole, before the object's name and the message are
// bounded (diag.Object.String, diag.Bound), which may cut a value in two.
func bodyLines(ws []diag.Warning, mask func(string) string) []string {
	// A zero-width space after "@" and "#" keeps them as text: GitHub
	// turns "@team" into a mention (a notification to everyone in it)
	// and "#12" into a link, neither of which entities or backslashes
	// prevent; it is what Renovate does to the release notes it quotes.
	text := strings.NewReplacer("`", "'", "&", "&amp;", "<", "&lt;", ">", "&gt;", "@", "@&#8203;", "#", "#&#8203;",
		`\`, `\\`, "[", `\[`, "]", `\]`)
	var out []string
	for _, w := range ws {
		l := prbody.Code(mask(w.File)) + ": "
		if o := w.Object.Map(mask).String(); o != "" {
			l += prbody.Code(o) + ": "
		}
		out = append(out, l+text.Replace(diag.Bound(mask(w.Msg))))
	}
	return out
}
