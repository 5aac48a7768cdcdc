package validate

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	fieldpath "k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apimachinery/pkg/util/version"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/render/internal/validate/apirules"
	"github.com/kiln-gitops/kiln/templates"
)

// lacks reports whether missing holds a field of the entry at path.
func lacks(missing map[string]bool, path string) bool {
	for m := range missing {
		if strings.HasPrefix(m, path+".") {
			return true
		}
	}
	return false
}

// checkRules applies the API server's hand-written rules (package
// apirules) to a built-in object that decoded without error, each
// problem at the line of its field. A rule's problem with a field the
// schema found missing (missing, by path) is left out: the rule is there
// for a field present but empty or zero ("Required value", a port of 0),
// which the typed object cannot tell from one left out, and the schema
// has said it already. dups are the
// keyed lists' entries server-side apply refuses (applyKeys).
func checkRules(app string, o templates.Object, gvk schema.GroupVersionKind, typed runtime.Object, missing map[string]bool, dups []applyDup, kube *version.Version, dropped *droppedFields) []error {
	problems := apirules.Check(typed, apirules.Options{KubeVersion: kube})
	// The API server's rules never see a field it drops; server-side
	// apply, which refuses a key twice, runs before the drop.
	problems = slices.DeleteFunc(problems, func(p apirules.Problem) bool { return dropped.has(DottedPath(p.Field)) })
	problems = append(problems, applyKeyProblems(dups, problems)...)
	if len(problems) == 0 {
		return nil
	}
	idx := &encoder{index: map[string]*field{}}
	if err := idx.encode(o.Node.YNode(), nil); err != nil {
		return nil // reported by the decoding
	}
	base := diag.Error{File: o.File, App: app, Object: objectOf(o.Node)}
	against := fmt.Sprintf("the API server's validation of %s %s", gvk.GroupVersion(), gvk.Kind)
	var errs []error
	for _, p := range problems {
		// A duplicate of entries that lack a required key ("0/TCP" of two
		// Service ports without a port) is that missing key, told once.
		if path := DottedPath(p.Field); missing[path] || p.Type == fieldpath.ErrorTypeDuplicate && lacks(missing, path) {
			continue
		}
		err := fieldError(o, base, idx, nil, against, p.Error)
		if d, ok := err.(*diag.Error); ok {
			if p.Hint != "" {
				d.Hint = p.Hint
			}
			if p.Key != "" {
				if f := idx.index[objects.JoinPath(append(splitPath(p.Field), p.Key))]; f != nil {
					d.Line = o.LineOf(f.key)
				}
				// A key the problem does not show (a Secret's) is told
				// by its line: the .env line or literal that wrote it.
				if f, ok := o.WrittenAt(objects.JoinPath(append(splitPath(p.Field), p.Key))); ok && f.Generator != "" && len(o.Patches) == 0 {
					err = writtenAt(d, f, o)
				}
			}
		}
		errs = append(errs, err)
	}
	return errs
}
