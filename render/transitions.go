package render

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/deps"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/immutable"
	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/render/internal/validate"
	"github.com/kiln-gitops/kiln/templates"
)

// ObjectChange is one object of an env's tree (apps/<app>/*.yaml) in two
// versions: changed in place, or moved to Path (another app's, or another
// file name).
type ObjectChange struct {
	Path, App string
	Old, New  []byte
}

// Transitions returns a warning for the changed custom resources whose
// CRD refuses the change on an existing object, once per app and rule at
// the first such object, counting the rest (a chart upgrade that changes
// one immutable field of its 300 custom resources makes one warning): its transition rules, the
// x-kubernetes-validations that read oldSelf ("field is immutable" on a
// Gateway API GatewayClass's controllerName, on many of Karpenter's,
// CloudNativePG's and MetalLB's fields). A render sees only the new
// object and passes it; Flux's apply fails on the cluster until someone
// deletes the object. tree is the env's new tree (as kiln writes it); the
// CRDs are its, validation.crds' (read from the repository, when they can
// be) and Flux's. Objects
// annotated for Flux to recreate them are left out, as for the immutable
// fields of built-in kinds. The warnings name the field and the CRD's
// message. An object that moves to another version of its CRD while the
// CRD drops the old one is warned about too (validate's DroppedVersion):
// its apply fails whatever changes, annotated for Flux to recreate it or
// not (the API server's error is no "Invalid" one, which alone makes
// Flux recreate).
func Transitions(ctx context.Context, p *envconfig.Pipeline, env string, tree map[string][]byte, changed []ObjectChange) []diag.Warning {
	type pair struct {
		app      string
		old, cur templates.Object
		forced   bool
	}
	var pairs []pair
	for _, c := range changed {
		before, err1 := objects.Parse(c.Old, c.Path, 0)
		after, err2 := objects.Parse(c.New, c.Path, 0)
		if err1 != nil || err2 != nil || len(before) != 1 || len(after) != 1 ||
			!strings.Contains(after[0].Node.GetApiVersion(), ".") {
			continue // the core group and its like have no CRD
		}
		pairs = append(pairs, pair{c.App, before[0], after[0], immutable.Forced(after[0].Node)})
	}
	if len(pairs) == 0 {
		return nil
	}
	listed, crds := treeCRDs(p, env, tree)
	schemas := validate.NewSchemas()
	venv, err := schemas.EnvWith(p.KubeVersion, listed, crds)
	if err != nil {
		return nil // the render reported it
	}
	// The CRDs the old objects were applied under, when the promotion
	// changes some: their defaults are what the cluster stored.
	var before *validate.Env
	if old := crdsBefore(crds, changed); old != nil {
		if b, err := schemas.EnvWith(p.KubeVersion, listed, old); err == nil {
			before = b
		}
	}
	var w diag.OnceEach
	for _, pr := range pairs {
		if name := venv.DroppedVersion(pr.old, pr.cur); name != "" {
			from, to := pr.old.Node.GetApiVersion(), pr.cur.Node.GetApiVersion()
			if key := pr.app + "\x00dropped\x00" + name + "\x00" + from; !w.Seen(key) {
				w.Add(key, &diag.Warning{File: pr.cur.File, Line: pr.cur.Line, App: pr.app,
					Object: diag.Object{Kind: pr.cur.Node.GetKind(), Namespace: pr.cur.Node.GetNamespace(), Name: pr.cur.Node.GetName()},
					Msg: fmt.Sprintf("moves from %s to %s while its CustomResourceDefinition %s no longer lists %s, the version Flux last applied it as: the API server refuses every server-side apply of the object (\"request to convert CR to an invalid group/version\", kubernetes/kubernetes#111937) until the entry of that version leaves its metadata.managedFields",
						from, to, name, from),
					Hint: fmt.Sprintf("promote the move to %s first, with a CRD that still lists %s (served: false is enough), and drop %s from the CRD in a later promotion, once Flux has applied the object; or turn on kustomize-controller's MigrateAPIVersion feature gate (from 1.8.4), which rewrites the entries before each apply; or remove the entry from the object's metadata.managedFields on the cluster",
						to, from, from)})
			}
		}
		if pr.forced {
			continue
		}
		errs := venv.TransitionsSince(ctx, pr.app, before, pr.old, pr.cur)
		if ctx.Err() != nil {
			// The promotion stops on the context's error; a rule the
			// context cut short reads as refusing the change.
			return nil
		}
		for _, err := range errs {
			d, ok := err.(*diag.Error)
			if !ok {
				continue
			}
			key := pr.app + "\x00" + d.Msg
			if w.Seen(key) {
				continue
			}
			w.Add(key, &diag.Warning{File: d.File, Line: d.Line, App: d.App, Object: d.Object,
				Msg: fmt.Sprintf("%s, a rule of its CustomResourceDefinition that the API server applies to changes of an existing object: Flux's apply will fail until the object is deleted", d.Msg),
				Hint: fmt.Sprintf("keep the value as it was, or give the object a new name; %s: enabled makes Flux delete and recreate it, which its controller may take as deleting what it made for it",
					immutable.ForceAnnotation)})
		}
	}
	return w.Warnings("object")
}

// crdsBefore returns crds with each CRD that changed replaced by its old
// version, nil when none changed.
func crdsBefore(crds []templates.Object, changed []ObjectChange) []templates.Object {
	var old map[string]templates.Object
	for _, c := range changed {
		if !bytes.Contains(c.New, []byte("\nkind: CustomResourceDefinition\n")) {
			continue
		}
		before, err1 := objects.Parse(c.Old, c.Path, 0)
		after, err2 := objects.Parse(c.New, c.Path, 0)
		if err1 != nil || err2 != nil || len(before) != 1 || len(after) != 1 ||
			before[0].Node.GetKind() != "CustomResourceDefinition" || before[0].Node.GetName() != after[0].Node.GetName() {
			continue
		}
		if old == nil {
			old = map[string]templates.Object{}
		}
		old[after[0].Node.GetName()] = before[0]
	}
	if old == nil {
		return nil
	}
	out := make([]templates.Object, len(crds))
	for i, c := range crds {
		out[i] = c
		if o, ok := old[c.Node.GetName()]; ok && c.Node.GetKind() == "CustomResourceDefinition" {
			out[i] = o
		}
	}
	return out
}

// treeCRDs returns the CustomResourceDefinitions of validation.crds (for
// env, those that can be read: a render reports the others) and those of
// an env's tree: a CRD of the env for the same kind takes precedence, as
// in a render, since the cluster serves what the env applies.
func treeCRDs(p *envconfig.Pipeline, env string, tree map[string][]byte) (listed, crds []templates.Object) {
	listed, _ = listedCRDs(p, env, deps.New(p.Root))
	paths := make([]string, 0, len(tree))
	for path, data := range tree {
		// kiln writes each object's kind on a line of its own; most files
		// hold no CRD and are not parsed.
		if strings.HasPrefix(path, "apps/") && bytes.Contains(data, []byte("\nkind: CustomResourceDefinition\n")) {
			paths = append(paths, path)
		}
	}
	sort.Strings(paths)
	for _, path := range paths {
		objs, err := objects.Parse(tree[path], path, 0)
		if err != nil {
			continue
		}
		for _, o := range objs {
			if o.Node.GetKind() == "CustomResourceDefinition" {
				crds = append(crds, o)
			}
		}
	}
	return listed, crds
}
