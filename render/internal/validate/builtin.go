package validate

import (
	"compress/gzip"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"

	apiextensionsinternal "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/runtime/schema"
	fieldpath "k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/templates"
)

// builtinOpenAPI is the OpenAPI v3 schema of every kind of client-go's
// scheme, as kube-apiserver of the pinned k8s.io/api publishes it, without
// descriptions (see k8sopenapi/README.md).
//
//go:embed k8sopenapi/schemas.json.gz k8sopenapi/versions.txt
var builtinOpenAPI embed.FS

// builtinSchema is one built-in kind's schema, compiled: every reference
// inlined, a validator and, for defaulting, a structural schema.
type builtinSchema struct {
	validator  apiservervalidation.SchemaValidator
	structural *structuralschema.Structural // nil when the schema has no structural form
}

// builtins compiles the schemas of built-in kinds, each on first use: a
// run that validates Deployments and Services never pays for the rest.
type builtins struct {
	once sync.Once
	// raw holds each component's JSON until a kind that uses it is
	// compiled: decoded, the whole document is some 3.5 MiB of maps kept
	// for the life of the process, for the few dozen components a fleet's
	// kinds reach.
	raw   map[string]json.RawMessage         // component name → schema
	kinds map[schema.GroupVersionKind]string // kind → component name
	mu    sync.Mutex
	cache map[schema.GroupVersionKind]func() *builtinSchema // compiled once per kind; others wait
	// defs are the components decoded so far (def), guarded by defsMu.
	defsMu sync.Mutex
	defs   map[string]any
}

var builtinSchemas = &builtins{}

func (b *builtins) load() {
	b.once.Do(func() {
		f, err := builtinOpenAPI.Open("k8sopenapi/schemas.json.gz")
		if err != nil {
			panic(err) // embedded: cannot fail
		}
		zr, err := gzip.NewReader(f)
		if err != nil {
			panic(err) // embedded and tested
		}
		data, err := io.ReadAll(zr)
		if err != nil {
			panic(err) // embedded and tested
		}
		var doc struct {
			Components struct {
				Schemas map[string]json.RawMessage `json:"schemas"`
			} `json:"components"`
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			panic(err) // embedded and tested
		}
		b.raw = doc.Components.Schemas
		b.defs = map[string]any{}
		b.kinds = map[schema.GroupVersionKind]string{}
		b.cache = map[schema.GroupVersionKind]func() *builtinSchema{}
		for name, raw := range b.raw {
			var d struct {
				GVKs []struct{ Group, Version, Kind string } `json:"x-kubernetes-group-version-kind"`
			}
			if err := json.Unmarshal(raw, &d); err != nil {
				panic(fmt.Errorf("built-in schema %s: %w", name, err)) // embedded and tested
			}
			for _, g := range d.GVKs {
				b.kinds[schema.GroupVersionKind{Group: g.Group, Version: g.Version, Kind: g.Kind}] = name
			}
		}
	})
}

// def is the component name decoded, its required fields as the API
// server serves them (requiredAsServed); nil when there is none. Callers
// only read it: inline copies.
func (b *builtins) def(name string) any {
	b.defsMu.Lock()
	defer b.defsMu.Unlock()
	if d, ok := b.defs[name]; ok {
		return d
	}
	raw, ok := b.raw[name]
	if !ok {
		return nil
	}
	var d any
	if err := json.Unmarshal(raw, &d); err != nil {
		panic(fmt.Errorf("built-in schema %s: %w", name, err)) // embedded and tested
	}
	if m, ok := d.(map[string]any); ok {
		requiredAsServed(name, m)
	}
	b.defs[name] = d
	return d
}

// schemaFor returns the compiled schema of gvk, nil when the embedded
// schema has none.
func (b *builtins) schemaFor(gvk schema.GroupVersionKind) *builtinSchema {
	b.load()
	name, ok := b.kinds[gvk]
	if !ok {
		return nil
	}
	b.mu.Lock()
	get, ok := b.cache[gvk]
	if !ok {
		get = sync.OnceValue(func() *builtinSchema { return b.compile(name) })
		b.cache[gvk] = get
	}
	b.mu.Unlock()
	return get()
}

// compile inlines the references of one kind's schema and builds the
// API server's validator for it, as apiextensions-apiserver does for a CRD.
func (b *builtins) compile(name string) *builtinSchema {
	resolved := b.inline(b.def(name), 0)
	data, err := json.Marshal(resolved)
	if err != nil {
		panic(err) // generic JSON: cannot fail
	}
	var v1 apiextensionsv1.JSONSchemaProps
	if err := json.Unmarshal(data, &v1); err != nil {
		panic(fmt.Errorf("built-in schema %s: %w", name, err)) // embedded and tested
	}
	internal := &apiextensionsinternal.JSONSchemaProps{}
	if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(&v1, internal, nil); err != nil {
		panic(fmt.Errorf("built-in schema %s: %w", name, err)) // embedded and tested
	}
	val, _, err := apiservervalidation.NewSchemaValidator(internal)
	if err != nil {
		panic(fmt.Errorf("built-in schema %s: %w", name, err)) // embedded and tested
	}
	s := &builtinSchema{validator: val}
	if st, err := structuralschema.NewStructural(internal); err == nil {
		s.structural = st
	}
	return s
}

// zeroAllowed lists the required fields of built-in kinds whose zero value
// the API server accepts, so that an absent one (which its decoder turns
// into that zero value) is not missing: an iSCSI LUN 0, a sleep of 0
// seconds, a PriorityClass of value 0.
var zeroAllowed = map[string]bool{
	"io.k8s.api.core.v1.ISCSIVolumeSource.lun":           true,
	"io.k8s.api.core.v1.ISCSIPersistentVolumeSource.lun": true,
	"io.k8s.api.core.v1.SleepAction.seconds":             true,
	"io.k8s.api.scheduling.v1.PriorityClass.value":       true,
	"io.k8s.api.scheduling.v1beta1.PriorityClass.value":  true,
	"io.k8s.api.scheduling.v1alpha1.PriorityClass.value": true,
}

// requiredAsServed adapts the required fields of one component to what the
// API server refuses. Kubernetes publishes a default for every field its Go
// type cannot leave out (openapi-gen's zero values: "", 0, false, {}):
//   - a required field with an object default ({}: a PodTemplateSpec) is
//     not missing when absent, the decoder makes it empty, but its own
//     required fields are: the default stays, so defaulting fills it in and
//     validation descends into it (a Deployment without template lacks
//     spec.template.spec.containers, as the API server says);
//   - a required field with a scalar zero default ("", 0, false) stays
//     required and its default is dropped: the API server's validation
//     refuses the zero value the decoder would give it (an empty container
//     name, port 0, an empty CronJob schedule), except for zeroAllowed;
//   - a required field with any other default (a protocol "TCP") is not
//     required: the API server fills it in.
func requiredAsServed(name string, m map[string]any) {
	props, _ := m["properties"].(map[string]any)
	req, _ := m["required"].([]any)
	var keep []any
	for _, r := range req {
		field, _ := r.(string)
		p, _ := props[field].(map[string]any)
		d, has := p["default"]
		switch {
		case !has:
			keep = append(keep, r)
		case zeroAllowed[name+"."+field]:
		case d == "" || d == float64(0) || d == false:
			delete(p, "default")
			keep = append(keep, r)
		}
	}
	for field, p := range props {
		// A zero default outside required adds nothing the validator needs.
		if pm, ok := p.(map[string]any); ok && (pm["default"] == "" || pm["default"] == float64(0) || pm["default"] == false) && !zeroAllowed[name+"."+field] {
			delete(pm, "default")
		}
	}
	switch {
	case len(keep) > 0:
		m["required"] = keep
	case req != nil:
		delete(m, "required")
	}
}

// maxInline bounds reference inlining: no built-in kind nests deeper, and
// a recursive type (none today) must not loop.
const maxInline = 64

const (
	refPrefix   = "#/components/schemas/"
	intOrString = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
	quantity    = "io.k8s.apimachinery.pkg.api.resource.Quantity"
)

// inline returns a copy of the schema v with every reference replaced by
// the schema it names, adapted to the validator apiextensions-apiserver
// provides (it was written for CRDs):
//   - Kubernetes wraps a reference that has a default or description in a
//     one-element allOf; the wrapper's default is kept on the inlined copy.
//   - IntOrString is published as oneOf integer/string; CRDs say
//     x-kubernetes-int-or-string, which the validator understands.
//   - Quantity (a string or a number) is left unconstrained: strict
//     decoding into the Go type already refuses a malformed quantity.
func (b *builtins) inline(v any, depth int) any {
	switch v := v.(type) {
	case map[string]any:
		ref := refOf(v)
		if ref != "" {
			out := map[string]any{}
			switch {
			case ref == intOrString:
				out["x-kubernetes-int-or-string"] = true
			case ref == quantity:
			case depth >= maxInline:
				out["x-kubernetes-preserve-unknown-fields"] = true
			default:
				if r, ok := b.inline(b.def(ref), depth+1).(map[string]any); ok {
					out = r
				}
			}
			if d, ok := v["default"]; ok && ref != intOrString && ref != quantity {
				out["default"] = d
			}
			return out
		}
		out := make(map[string]any, len(v))
		for k, c := range v {
			switch k {
			case "x-kubernetes-group-version-kind", "x-kubernetes-unions":
				continue
			case "properties", "patternProperties", "definitions":
				props, _ := c.(map[string]any)
				m := make(map[string]any, len(props))
				for pk, pv := range props {
					m[pk] = b.inline(pv, depth)
				}
				out[k] = m
				continue
			}
			out[k] = b.inline(c, depth)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, c := range v {
			out[i] = b.inline(c, depth)
		}
		return out
	}
	return v
}

// refOf returns the component a schema refers to, directly or through a
// one-element allOf, "" for none.
func refOf(m map[string]any) string {
	if r, ok := m["$ref"].(string); ok {
		return strings.TrimPrefix(r, refPrefix)
	}
	if all, ok := m["allOf"].([]any); ok && len(all) == 1 {
		if inner, ok := all[0].(map[string]any); ok {
			if r, ok := inner["$ref"].(string); ok {
				return strings.TrimPrefix(r, refPrefix)
			}
		}
	}
	return ""
}

// validate checks a built-in object (decoded JSON) against its OpenAPI
// schema as the API server would see it after decoding into its Go type:
// status is dropped (the API server resets it on create), nulls are
// removed (the Go decoder turns them into the zero value), the schema's
// object defaults (the empty structs the decoder gives absent fields) are
// applied, then the validator runs: required fields, enums, formats,
// min/max. An empty string where the schema lists the allowed values is
// not refused: the API server defaults an empty optional value (an
// imagePullPolicy: "" becomes IfNotPresent).
func (s *builtinSchema) validate(obj map[string]any) fieldpath.ErrorList {
	delete(obj, "status")
	dropNulls(obj)
	if s.structural != nil {
		structuraldefaulting.Default(obj, s.structural)
		delete(obj, "status") // defaulted back to {}
	}
	var errs fieldpath.ErrorList
	for _, fe := range apiservervalidation.ValidateCustomResource(nil, obj, s.validator) {
		if fe.Type == fieldpath.ErrorTypeNotSupported && fe.BadValue == "" {
			continue
		}
		errs = append(errs, fe)
	}
	return errs
}

// dropNulls removes mapping entries whose value is null, in place. List
// elements stay, so that indexes in field paths keep matching the file.
func dropNulls(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, c := range v {
			if c == nil {
				delete(v, k)
				continue
			}
			dropNulls(c)
		}
	case []any:
		for _, c := range v {
			dropNulls(c)
		}
	}
}

// builtinVersion returns the k8s.io/api version the embedded schemas are of.
func builtinVersion() string {
	data, _ := builtinOpenAPI.ReadFile("k8sopenapi/versions.txt")
	for line := range strings.Lines(string(data)) {
		if mod, ver, ok := strings.Cut(strings.TrimSpace(line), " "); ok && mod == "k8s.io/api" {
			return ver
		}
	}
	return ""
}

// checkBuiltin validates a built-in object against the OpenAPI schema of
// its kind. Fields strict decoding already reported (reported; nil when the
// object could not be encoded) and type errors, which strict decoding
// reports for every field, are left out so that no problem is told twice.
func checkBuiltin(app string, o templates.Object, gvk schema.GroupVersionKind, reported map[string]bool, enc encoded) []error {
	if reported == nil || enc.err != nil {
		return nil
	}
	s := builtinSchemas.schemaFor(gvk)
	if s == nil {
		return nil
	}
	var obj map[string]any
	if err := json.Unmarshal(enc.data, &obj); err != nil {
		return nil // reported by the decoding
	}
	base := diag.Error{File: o.File, App: app, Object: objectOf(o.Node)}
	against := fmt.Sprintf("%s %s (the OpenAPI schema of Kubernetes %s)", gvk.GroupVersion(), gvk.Kind, apiRelease)
	var errs []error
	var idx *encoder
	for _, fe := range s.validate(obj) {
		path := joinPath(splitPath(fe.Field))
		if fe.Type == fieldpath.ErrorTypeTypeInvalid || reported[path] {
			continue
		}
		if idx == nil {
			idx = indexed(o)
		}
		err := fieldError(o, base, idx, nil, against, fe)
		if d, ok := err.(*diag.Error); ok && fe.Type == fieldpath.ErrorTypeRequired {
			d.Msg = fmt.Sprintf("missing required field %q", path)
			d.Hint = fmt.Sprintf("add %s: Kubernetes %s requires it in %s %s", path, apiRelease, gvk.GroupVersion(), gvk.Kind)
		}
		errs = append(errs, err)
	}
	return errs
}
