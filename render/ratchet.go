package render

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	fieldpath "k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/render/internal/validate"
	"github.com/kiln-gitops/kiln/templates"
)

// appliedTree is the env's tree that the cluster applied
// (Options.Applied), read on first use: only a custom resource that
// validation refuses needs it.
type appliedTree struct {
	once   sync.Once
	read   func() (map[string][]byte, error)
	env    func(crds []templates.Object) *validate.Env
	objs   map[string]templates.Object // by objectKey
	apps   map[string]string           // the app of each, by objectKey
	before *validate.Env               // its CRDs: what its objects were stored under
}

func (r *Renderer) appliedTreeOf(env string, listed []templates.Object) *appliedTree {
	if r.opts.Applied == nil {
		return nil
	}
	return &appliedTree{
		read: func() (map[string][]byte, error) { return r.opts.Applied(env) },
		env: func(crds []templates.Object) *validate.Env {
			e, err := r.schemas.EnvWith(r.p.KubeVersion, listed, crds)
			if err != nil {
				return nil
			}
			return e
		},
	}
}

// lookup returns the object of the applied tree that o, an object of app,
// updates. One another app held is none: Flux gives an object to one
// Kustomization at a time, and the old app's may prune it before the new
// one takes it over (the race of promote's moved-object warning), after
// which Flux creates it anew, a create the CRD refuses.
func (a *appliedTree) lookup(app string, o templates.Object) (templates.Object, *validate.Env, bool) {
	a.once.Do(func() {
		files, err := a.read()
		if err != nil {
			return // without the tree, the create's verdict stands
		}
		a.objs, a.apps = map[string]templates.Object{}, map[string]string{}
		trusted := keptAsWritten(files)
		paths := make([]string, 0, len(files))
		for p := range files {
			app, _, _ := strings.Cut(strings.TrimPrefix(p, "apps/"), "/")
			if strings.HasPrefix(p, "apps/") && strings.HasSuffix(p, ".yaml") && trusted[app] {
				paths = append(paths, p)
			}
		}
		sort.Strings(paths)
		var crds []templates.Object
		for _, p := range paths {
			objs, err := objects.Parse(files[p], p, 0)
			if err != nil {
				continue
			}
			for _, x := range objs {
				if x.Node == nil {
					continue
				}
				if x.Node.GetKind() == "CustomResourceDefinition" {
					crds = append(crds, x)
				}
				k := objectKey(group(x.Node.GetApiVersion()), x.Node.GetKind(), x.Node.GetNamespace(), x.Node.GetName())
				a.objs[k] = x
				a.apps[k], _, _ = strings.Cut(strings.TrimPrefix(p, "apps/"), "/")
			}
		}
		a.before = a.env(crds)
	})
	k := objectKey(group(o.Node.GetApiVersion()), o.Node.GetKind(), o.Node.GetNamespace(), o.Node.GetName())
	old, ok := a.objs[k]
	return old, a.before, ok && a.apps[k] == app
}

// keptAsWritten returns the apps of an applied tree whose object files
// are those its kiln.lock.json records: kiln wrote them, after checking
// each object as a create or as an update the API server takes of what
// the tree held before, so the cluster holds them if Flux applied the
// tree. A file edited on the branch by hand may hold a value the API
// server refused (Flux's apply of it failing since), which ratcheting
// against it would pass on; a tree without a lock, nothing is kiln's.
// The files holding a secret var's value are compared by name only, as
// kiln verify does without the values.
func keptAsWritten(files map[string][]byte) map[string]bool {
	lock, err := ParseLock(files[LockFile])
	if files[LockFile] == nil || err != nil {
		return nil
	}
	objFiles := map[string]map[string][]byte{}
	for p, data := range files {
		rest, ok := strings.CutPrefix(p, "apps/")
		app, name, found := strings.Cut(rest, "/")
		if !ok || !found || name == "kustomization.yaml" {
			continue
		}
		if objFiles[app] == nil {
			objFiles[app] = map[string][]byte{}
		}
		objFiles[app][name] = data
	}
	out := map[string]bool{}
	for app, fs := range objFiles {
		if la, ok := lock.Apps[app]; ok && sameOutput(fs, la, nil) == outputSame {
			out[app] = true
		}
	}
	return out
}

// ratcheted turns validation's errors about a custom resource that the
// cluster holds already (the applied tree) into a warning, when every one
// of them is its CRD's (schema or rule) and the API server of the env's
// kubeVersion takes the object as an update of the one it holds
// (validate's UpdateAccepted): from 1.30 it lets a value its CRD now
// refuses stay when the update leaves it as it was. Refused as a create,
// such an object would stop every promotion, though Flux's apply
// succeeds; where the field is immutable too (CloudNativePG's
// serviceAccountName), no change of the manifests could get it through.
// A new cluster refuses the object all the same: the warning says so.
// Without an applied tree (kiln render, kiln validate) err is returned as
// it is.
func ratcheted(ctx context.Context, venv *validate.Env, applied *appliedTree, app string, objs []templates.Object, err error) ([]diag.Warning, error) {
	if err == nil || applied == nil || venv == nil {
		return nil, err
	}
	type found struct {
		leaves  []int
		fields  []string
		foreign bool // an error that is not the CRD's: nothing ratchets it
	}
	leaves := diag.Flatten(err)
	by := map[string]*found{}
	keyOf := func(file string, o diag.Object) string {
		return file + "\x00" + o.Kind + "\x00" + o.Namespace + "\x00" + o.Name
	}
	for i, e := range leaves {
		var d *diag.Error
		if !errors.As(e, &d) || d.Object.Kind == "" {
			continue
		}
		k := keyOf(d.File, d.Object)
		f := by[k]
		if f == nil {
			f = &found{}
			by[k] = f
		}
		f.leaves = append(f.leaves, i)
		var fe *fieldpath.Error
		if !errors.As(d, &fe) || fe.Type == fieldpath.ErrorTypeNotFound || fe.Type == fieldpath.ErrorTypeInternal {
			f.foreign = true
			continue
		}
		named := *fe
		// The value may be anything the object holds: the field and the
		// CRD's words say what is wrong.
		named.BadValue = fieldpath.OmitValueType{}
		field := d.Field
		if field == "" {
			field = fe.Field
		}
		f.fields = append(f.fields, fmt.Sprintf("field %q: %s", field, named.ErrorBody()))
	}
	drop := map[int]bool{}
	var w diag.OnceEach
	for _, o := range objs {
		if o.Node == nil || o.Raw != nil || !strings.Contains(o.Node.GetApiVersion(), ".") {
			continue
		}
		f := by[keyOf(o.File, objRef(o))]
		if f == nil || f.foreign || len(f.fields) == 0 {
			continue
		}
		old, before, ok := applied.lookup(app, o)
		if !ok || !venv.UpdateAccepted(ctx, before, old, o) {
			continue
		}
		for _, i := range f.leaves {
			drop[i] = true
		}
		var first *diag.Error
		errors.As(leaves[f.leaves[0]], &first)
		msg := fmt.Sprintf("%s, which its CustomResourceDefinition refuses now: the cluster takes this update only because the object holds the value already and the update leaves it as it was (CRD validation ratcheting, Kubernetes 1.30 and later); a new cluster (a rebuild, a restore into another) refuses to create the object",
			strings.Join(f.fields, "; "))
		if key := app + "\x00" + msg; !w.Seen(key) {
			w.Add(key, &diag.Warning{File: first.File, Line: first.Line, App: app, Object: first.Object, Msg: msg,
				Hint: "change the value to one the CRD takes; where the field cannot change on an existing object, create the object anew under another name with such a value and move what it holds to it, before a new cluster needs it"})
		}
	}
	if len(drop) == 0 {
		return nil, err
	}
	var rest []error
	for i, e := range leaves {
		if !drop[i] {
			rest = append(rest, e)
		}
	}
	return w.Warnings("object"), diag.Join(rest...)
}
