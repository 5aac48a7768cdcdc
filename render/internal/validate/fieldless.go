package validate

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"

	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/templates"
)

// Fields of a fieldless object. A schema node of type object that
// declares no properties and no additionalProperties (an empty Go struct
// to controller-gen: Envoy Gateway's `gzip: {}`, a hand-written CRD's
// `spec: {type: object}`) is a map of anything to server-side apply's
// type converter, which then takes any field there; pruning drops each
// one before validation, and the apply succeeds. Only where properties
// are declared does the apply refuse an undeclared field ("field not
// declared in schema"). The root and embedded resources are not
// fieldless however they are written: the API server's OpenAPI adds
// apiVersion, kind and metadata to them. A value of
// `additionalProperties: true` has no schema at all: the apply takes it
// whole, and pruning drops every field of an object in it. A real
// kube-apiserver 1.37 takes `spec.compressor[0].gzip.zzUnknown` in an
// Envoy Gateway BackendTrafficPolicy, applied as Flux applies
// (internal/apiservercheck); kiln used to refuse it as an unknown field.

// hasFieldless reports whether st, a resource root, has a fieldless
// object node where an object's fields can be, so that objects of a
// schema without one skip the walk. The metadata of the root and of
// embedded resources does not count: ObjectMeta's decoding prunes it, not
// the schema (controller-gen writes `metadata: {type: object}` in every
// CRD).
func hasFieldless(st *structuralschema.Structural) bool {
	return fieldlessBelow(st, true)
}

func fieldlessBelow(st *structuralschema.Structural, embedded bool) bool {
	if st == nil {
		return false
	}
	embedded = embedded || st.XEmbeddedResource
	if !embedded && isFieldless(st) {
		return true
	}
	if st.Items != nil && fieldlessBelow(st.Items, false) {
		return true
	}
	if ap := st.AdditionalProperties; ap != nil && (ap.Structural == nil && ap.Bool || fieldlessBelow(ap.Structural, false)) {
		return true
	}
	for k := range st.Properties {
		if embedded && (k == "apiVersion" || k == "kind" || k == "metadata") {
			continue
		}
		p := st.Properties[k]
		if fieldlessBelow(&p, false) {
			return true
		}
	}
	return false
}

func isFieldless(st *structuralschema.Structural) bool {
	return st.Type == "object" && len(st.Properties) == 0 && st.AdditionalProperties == nil &&
		!st.XEmbeddedResource && !st.XPreserveUnknownFields
}

// fieldlessFields returns the paths, written as pruning writes them
// (pruning.PruneWithOptions), of the fields of obj that pruning drops
// from a fieldless object. It walks as pruning walks, obj being a
// resource root.
func fieldlessFields(obj map[string]any, st *structuralschema.Structural) map[string]bool {
	out := map[string]bool{}
	walkFieldless(obj, st, "", true, out)
	return out
}

func walkFieldless(x any, st *structuralschema.Structural, path string, embedded bool, out map[string]bool) {
	key := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	if st == nil {
		// A value of `additionalProperties: true`, which has no schema:
		// the apply takes anything, and pruning drops every field of an
		// object there, at any depth below lists.
		switch x := x.(type) {
		case map[string]any:
			for k := range x {
				out[key(k)] = true
			}
		case []any:
			for i, v := range x {
				walkFieldless(v, nil, path+"["+strconv.Itoa(i)+"]", false, out)
			}
		}
		return
	}
	switch x := x.(type) {
	case map[string]any:
		embedded = embedded || st.XEmbeddedResource
		fieldless := !embedded && isFieldless(st)
		for k, v := range x {
			if embedded && (k == "apiVersion" || k == "kind" || k == "metadata") {
				continue
			}
			if p, ok := st.Properties[k]; ok {
				walkFieldless(v, &p, key(k), false, out)
			} else if st.AdditionalProperties != nil {
				walkFieldless(v, st.AdditionalProperties.Structural, key(k), false, out)
			} else if fieldless {
				out[key(k)] = true
			}
		}
	case []any:
		for i, v := range x {
			walkFieldless(v, st.Items, path+"["+strconv.Itoa(i)+"]", false, out)
		}
	}
}

// fieldlessDropped returns the fields of o, a custom resource of a CRD
// of the env, that pruning drops from a fieldless object: Flux's apply
// succeeds without them and says nothing, so a field written for a
// newer release of the CRD (or into a hand-written CRD's bare
// `spec: {type: object}`) never reaches the controller. A warning, not an
// error: the API server takes the object.
func (e *Env) fieldlessDropped(o templates.Object) []Dropped {
	gvk := schema.FromAPIVersionAndKind(o.Node.GetApiVersion(), o.Node.GetKind())
	ref := e.ref(gvk.Group, gvk.Kind)
	if ref == nil {
		return nil
	}
	c := ref.get()
	if c == nil || c.err != nil {
		return nil
	}
	v := c.versions[gvk.Version]
	if v == nil || !v.served || !v.fieldless || v.structural == nil {
		return nil
	}
	enc := encode(o)
	if enc.err != nil {
		return nil
	}
	var obj map[string]any
	if err := json.Unmarshal(enc.data, &obj); err != nil {
		return nil
	}
	if v.status {
		delete(obj, "status") // dropped whole before pruning
	}
	found := fieldlessFields(obj, v.structural)
	if len(found) == 0 {
		return nil
	}
	paths := make([]string, 0, len(found))
	for p := range found {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	idx := indexed(o)
	against := fmt.Sprintf("%s %s (%s)", gvk.GroupVersion(), gvk.Kind, c.where)
	out := make([]Dropped, 0, len(paths))
	for _, p := range paths {
		segs := splitPath(p)
		line := o.LineOf(nil)
		if f := idx.index[objects.JoinPath(segs)]; f != nil {
			line = o.LineOf(f.key)
		}
		parent := objects.JoinPath(segs[:len(segs)-1])
		out = append(out, Dropped{Path: p, Line: line,
			Msg: fmt.Sprintf("field %q is dropped by the API server: %s declares no fields under %q, so pruning removes it and Flux applies the object without it",
				p, against, parent),
			Hint: "remove the field, or install the release of the CRD that declares it"})
	}
	return out
}
