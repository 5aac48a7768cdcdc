package render

import (
	"fmt"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/templates"
)

// SOPS-encrypted documents pass through kiln byte for byte: their MAC
// covers every value, encrypted or not, so any change kiln made (a
// namespace, a patch, an image tag) would make Flux's decryption fail with
// a MAC mismatch. The steps below find the changes kiln would have to make
// and refuse them instead.

const hintBeforeEncrypting = "make the change in the document before encrypting it with sops (sops --encrypt), or keep the change away from this object"

// markSOPS gives every SOPS document an engine produced without its bytes
// (jsonnet builds objects, not text) the engine's serialisation as Raw.
func markSOPS(objs []templates.Object) {
	for i, o := range objs {
		if o.Raw == nil && objects.IsSOPS(o.Node) {
			objs[i].Raw = []byte(o.Node.MustString())
		}
	}
}

// sopsSnapshot remembers the serialisation of each SOPS object, by Raw's
// identity, so a later step can tell whether it changed one.
type sopsSnapshot map[*byte]string

func snapshotSOPS(objs []templates.Object) sopsSnapshot {
	s := sopsSnapshot{}
	for _, o := range objs {
		if len(o.Raw) > 0 {
			s[&o.Raw[0]] = o.Node.MustString()
		}
	}
	return s
}

// changed returns the SOPS objects of objs that differ from the snapshot
// or are missing from objs (deleted by a patch).
func (s sopsSnapshot) changed(before, after []templates.Object) []templates.Object {
	var out []templates.Object
	seen := map[*byte]bool{}
	for _, o := range after {
		if len(o.Raw) == 0 {
			continue
		}
		seen[&o.Raw[0]] = true
		if prev, ok := s[&o.Raw[0]]; ok && prev != o.Node.MustString() {
			out = append(out, o)
		}
	}
	for _, o := range before {
		if len(o.Raw) > 0 && !seen[&o.Raw[0]] {
			out = append(out, o)
		}
	}
	return out
}

// patchedSOPSErrors names each SOPS object an env patch changed.
func patchedSOPSErrors(app envconfig.ResolvedApp, objs []templates.Object) error {
	var errs []error
	where := "an env patch"
	if len(app.Patches) > 0 {
		p := app.Patches[0]
		where = fmt.Sprintf("an env patch (%s:%d)", p.File, p.Line)
		if len(app.Patches) > 1 {
			where = fmt.Sprintf("an env patch (from %s:%d on)", p.File, p.Line)
		}
	}
	for _, o := range objs {
		errs = append(errs, &diag.Error{File: o.File, Line: o.Line, App: app.Name, Object: objRef(o),
			Msg:  fmt.Sprintf("is SOPS-encrypted, and %s would change it: a change after encryption breaks its MAC", where),
			Hint: hintBeforeEncrypting})
	}
	return diag.Join(errs...)
}

// imagedSOPSErrors names each SOPS object whose image CI's tags would change.
func imagedSOPSErrors(app string, objs []templates.Object) error {
	var errs []error
	for _, o := range objs {
		errs = append(errs, &diag.Error{File: o.File, Line: o.Line, App: app, Object: objRef(o),
			Msg:  "is SOPS-encrypted, and the image tags CI gave (--image, --images, KILN_IMAGES) would change it: a change after encryption breaks its MAC",
			Hint: "set the image tag in the document before encrypting it with sops, or leave this image out of CI's image list"})
	}
	return diag.Join(errs...)
}

// namespacedSOPSErrors names each SOPS object that setting the app's
// default namespace changed.
func namespacedSOPSErrors(app, namespace string, objs []templates.Object) error {
	var errs []error
	for _, o := range objs {
		ref := objRef(o)
		ref.Namespace = "" // the one kiln set, not the document's
		errs = append(errs, &diag.Error{File: o.File, Line: o.Line, App: app, Object: ref,
			Msg: fmt.Sprintf("is SOPS-encrypted and has no metadata.namespace: kiln would set the app's namespace %s, "+
				"and a change after encryption breaks its MAC", namespace),
			Hint: fmt.Sprintf("add namespace: %s to its metadata before encrypting it with sops", namespace)})
	}
	return diag.Join(errs...)
}

// rawOf returns what kiln writes for o: Raw for a SOPS document, else the
// serialised node.
func rawOf(o templates.Object) ([]byte, error) {
	if o.Raw != nil {
		return o.Raw, nil
	}
	s, err := o.Node.String()
	return []byte(s), err
}

// sameSOPS reports whether raw still parses to the object kiln holds; a
// guard for the writer, should a step change a SOPS object unnoticed.
func sameSOPS(o templates.Object) bool {
	objs, err := objects.Parse(o.Raw, o.File, 0)
	if err != nil || len(objs) != 1 {
		return false
	}
	return objs[0].Node.MustString() == o.Node.MustString()
}
