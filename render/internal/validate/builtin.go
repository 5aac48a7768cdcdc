package validate

import (
	"compress/gzip"
	_ "embed" // the built-in schemas
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"strconv"
	"strings"
	"sync"

	apiextensionsinternal "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/runtime/schema"
	fieldpath "k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apimachinery/pkg/util/version"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/templates"
)

// The OpenAPI v3 schema of every kind of client-go's scheme, as
// kube-apiserver of the pinned k8s.io/api publishes it, without
// descriptions (see k8sopenapi/README.md), ready for the validator: each
// kind's references inlined and its required fields as the API server
// serves them. TestBuiltinKinds derives them from k8sopenapi/schemas.json.gz
// (and rewrites them with -update): a run reads and decodes only the kinds
// it validates, not the whole 426 KB document.
//
// builtinIndex has one line per kind, "apiVersion kind offset length",
// sorted; builtinKinds holds at that offset the kind's schema as JSON,
// gzipped on its own.
//
//go:generate go test -run ^TestBuiltinKinds$ . -args -update
var (
	//go:embed k8sopenapi/kinds.txt
	builtinIndex string
	//go:embed k8sopenapi/kinds.bin
	builtinKinds string
	//go:embed k8sopenapi/versions.txt
	builtinVersions string
)

// builtinSchema is one built-in kind's schema, compiled: a validator and,
// for defaulting, a structural schema.
type builtinSchema struct {
	validator  apiservervalidation.SchemaValidator
	structural *structuralschema.Structural // nil when the schema has no structural form
}

// span is where one kind's gzipped schema is in builtinKinds.
type span struct{ off, n int }

// builtins compiles the schemas of built-in kinds, each on first use: a
// run that validates Deployments and Services never pays for the rest.
type builtins struct {
	once  sync.Once
	kinds map[schema.GroupVersionKind]span
	mu    sync.Mutex
	cache map[schema.GroupVersionKind]*kindSchemas
}

// kindSchemas are the compiled schemas of one kind. Compiling a kind's
// whole schema costs far more than checking an object (a Deployment's has
// 1,400 nodes, nearly all of them the pod's), and a small app checks one
// or two objects of a kind, which read a tenth of it: the first objects
// of a kind are checked against the schema read for their shape (see
// shape), each compiled once per shape; from the maxShapes+1st shape or
// the maxShaped+1st object on, against the whole schema, compiled once.
// Either finds the same.
type kindSchemas struct {
	whole  func() *builtinSchema // nil until wanted
	shaped map[string]func() *builtinSchema
	asked  int // objects that asked for a shaped schema
}

// maxShapes bounds the schemas compiled for shapes of one kind: a run with
// many objects of a kind compiles at most these and the whole one.
// maxShaped bounds the objects of a kind that ask for a shaped schema,
// each reading its shape (a walk and a hundred allocations): from the
// next one on, a kind with many objects is checked against its whole
// schema, read once.
const (
	maxShapes = 3
	maxShaped = 8
)

var builtinSchemas = &builtins{}

func (b *builtins) load() {
	b.once.Do(func() {
		b.kinds = map[schema.GroupVersionKind]span{}
		b.cache = map[schema.GroupVersionKind]*kindSchemas{}
		for line := range strings.Lines(builtinIndex) {
			gvk, sp, err := parseIndexLine(line)
			if err != nil {
				panic(err) // embedded and tested
			}
			b.kinds[gvk] = sp
		}
	})
}

// parseIndexLine reads one line of builtinIndex.
func parseIndexLine(line string) (schema.GroupVersionKind, span, error) {
	f := strings.Fields(line)
	if len(f) != 4 {
		return schema.GroupVersionKind{}, span{}, fmt.Errorf("k8sopenapi/kinds.txt: bad line %q", line)
	}
	gv, err := schema.ParseGroupVersion(f[0])
	off, errOff := strconv.Atoi(f[2])
	n, errN := strconv.Atoi(f[3])
	if err != nil || errOff != nil || errN != nil || off < 0 || n <= 0 || off+n > len(builtinKinds) {
		return schema.GroupVersionKind{}, span{}, fmt.Errorf("k8sopenapi/kinds.txt: bad line %q", line)
	}
	return gv.WithKind(f[1]), span{off, n}, nil
}

// schemaFor returns the compiled schema of gvk, nil when the embedded
// schema has none.
func (b *builtins) schemaFor(gvk schema.GroupVersionKind) *builtinSchema {
	return b.schemaOf(gvk, nil)
}

// schemaOf returns the compiled schema of gvk for checking obj (decoded
// JSON, as builtinInput leaves it; nil for any object), nil when the
// embedded schema has none.
func (b *builtins) schemaOf(gvk schema.GroupVersionKind, obj map[string]any) *builtinSchema {
	b.load()
	sp, ok := b.kinds[gvk]
	if !ok {
		return nil
	}
	var sh *shape
	b.mu.Lock()
	k := b.cache[gvk]
	if k == nil {
		k = &kindSchemas{shaped: map[string]func() *builtinSchema{}}
		b.cache[gvk] = k
	}
	whole := obj == nil || k.whole != nil || k.asked >= maxShaped
	if !whole {
		k.asked++
	}
	b.mu.Unlock()
	var key string
	if !whole {
		sh = shapeOf(obj)
		key = sh.String()
	}
	b.mu.Lock()
	var get func() *builtinSchema
	if !whole {
		get = k.shaped[key]
	}
	if get == nil && !whole && k.whole == nil && len(k.shaped) < maxShapes {
		get = sync.OnceValue(func() *builtinSchema { return compileBuiltin(gvk, kindSchema(sp), sh) })
		k.shaped[key] = get
	}
	if get == nil {
		if k.whole == nil {
			k.whole = sync.OnceValue(func() *builtinSchema { return compileBuiltin(gvk, kindSchema(sp), nil) })
		}
		get = k.whole
	}
	b.mu.Unlock()
	return get()
}

// has reports whether gvk has an embedded schema.
func (b *builtins) has(gvk schema.GroupVersionKind) bool {
	b.load()
	_, ok := b.kinds[gvk]
	return ok
}

// kindSchema returns the JSON of the kind at sp in builtinKinds.
func kindSchema(sp span) []byte {
	zr, err := gzip.NewReader(strings.NewReader(builtinKinds[sp.off : sp.off+sp.n]))
	if err != nil {
		panic(err) // embedded and tested
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		panic(err) // embedded and tested
	}
	return data
}

// compileBuiltin builds the API server's validator for one kind's schema
// (JSON, references inlined), as apiextensions-apiserver does for a CRD.
// Read for a shape (sh not nil), it holds what checking an object of that
// shape reads.
func compileBuiltin(gvk schema.GroupVersionKind, data []byte, sh *shape) *builtinSchema {
	internal, ok := readSchemaFor(data, sh)
	if !ok {
		internal = convertSchema(gvk, data)
	}
	val, _, err := apiservervalidation.NewSchemaValidator(internal)
	if err != nil {
		panic(fmt.Errorf("built-in schema of %s: %w", gvk, err)) // embedded and tested
	}
	s := &builtinSchema{validator: val}
	if st, err := structuralschema.NewStructural(internal); err == nil {
		s.structural = st
	}
	return s
}

// convertSchema reads a kind's schema (JSON) as the API server reads a
// CRD's: decoded into the v1 type, converted to the internal one.
func convertSchema(gvk schema.GroupVersionKind, data []byte) *apiextensionsinternal.JSONSchemaProps {
	var v1 apiextensionsv1.JSONSchemaProps
	if err := json.Unmarshal(data, &v1); err != nil {
		panic(fmt.Errorf("built-in schema of %s: %w", gvk, err)) // embedded and tested
	}
	internal := &apiextensionsinternal.JSONSchemaProps{}
	if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(&v1, internal, nil); err != nil {
		panic(fmt.Errorf("built-in schema of %s: %w", gvk, err)) // embedded and tested
	}
	return internal
}

// validate checks a built-in object (decoded JSON) against its OpenAPI
// schema as the API server would see it after decoding into its Go type:
// status is dropped (the API server resets it on create), nulls are
// removed (the Go decoder turns them into the zero value), the schema's
// object defaults (the empty structs the decoder gives absent fields) are
// applied, then the validator runs: required fields, enums, formats,
// min/max. An empty string where the schema lists the allowed values is
// refused only in the fields the generator marked (emptyTitle), with the
// API server's message: elsewhere the API server defaults it (an
// imagePullPolicy: "" becomes IfNotPresent) or accepts it.
func (s *builtinSchema) validate(obj map[string]any) fieldpath.ErrorList {
	builtinInput(obj)
	if s.structural != nil {
		structuraldefaulting.Default(obj, s.structural)
		delete(obj, "status") // defaulted back to {}
	}
	var errs fieldpath.ErrorList
	for _, fe := range apiservervalidation.ValidateCustomResource(nil, obj, s.validator) {
		if fe.Type == fieldpath.ErrorTypeNotSupported && fe.BadValue == "" {
			// Every embedded kind's schema has a structural form, and
			// NewStructural keeps the title emptyTitle is written in.
			at := schemaAt(s.structural, splitPath(fe.Field))
			if at == nil {
				continue
			}
			how, refused := strings.CutPrefix(at.Title, emptyTitle)
			if !refused {
				continue
			}
			fe = emptyError(fe, how)
		}
		errs = append(errs, fe)
	}
	return errs
}

// emptyTitle begins the title the generator gives an enum field whose
// empty value the API server refuses (emptyRefused in
// builtin_gen_test.go); the rest says how the API server tells it: "" for
// "Unsupported value" (the validator's), "required[:detail]" for
// "Required value", "invalid:detail" for "Invalid value".
const emptyTitle = "kiln:empty-refused:"

// emptyOrigin marks the errors of emptyError: a "Required value" that is
// no missing field.
const emptyOrigin = "kiln:empty-refused"

// emptyError is the API server's error for the empty value the schema
// refused in fe, how it says it (see emptyTitle).
func emptyError(fe *fieldpath.Error, how string) *fieldpath.Error {
	kind, detail, _ := strings.Cut(how, ":")
	switch kind {
	case "required":
		fe = fieldpath.Required(fieldpath.NewPath(fe.Field), detail)
	case "invalid":
		fe = fieldpath.Invalid(fieldpath.NewPath(fe.Field), "", detail)
	default:
		return fe
	}
	fe.Origin = emptyOrigin
	return fe
}

// builtinInput makes obj what the schema checks see, in place: status and
// nulls dropped. Doing it again changes nothing.
func builtinInput(obj map[string]any) {
	delete(obj, "status")
	dropNulls(obj)
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
	for line := range strings.Lines(builtinVersions) {
		if mod, ver, ok := strings.Cut(strings.TrimSpace(line), " "); ok && mod == "k8s.io/api" {
			return ver
		}
	}
	return ""
}

// checkBuiltin validates a built-in object against the OpenAPI schema of
// its kind. Fields strict decoding already reported (reported; nil when the
// object could not be encoded), type errors, which strict decoding
// reports for every field, and owner references' missing fields, which
// the metadata rules report, are left out so that no problem is told
// twice. It also returns the paths of the required fields it found
// missing, which the API server's rules (checkRules) then leave to it,
// and the entries of keyed lists that server-side apply would refuse
// (applyKeys), which checkRules tells unless one of its rules does.
func checkBuiltin(app string, o templates.Object, gvk schema.GroupVersionKind, reported map[string]bool, enc encoded, kube *version.Version, dropped *droppedFields) ([]error, map[string]bool, []applyDup) {
	if reported == nil || enc.err != nil {
		return nil, nil, nil
	}
	if !builtinSchemas.has(gvk) {
		return nil, nil, nil
	}
	var obj map[string]any
	if err := json.Unmarshal(enc.data, &obj); err != nil {
		return nil, nil, nil // reported by the decoding
	}
	// Server-side apply types the status with the rest before the API
	// server resets it: a condition type twice in a Deployment's status,
	// an address twice in a Node's, fails Flux's apply ("duplicate
	// entries for key") as one in the spec does.
	status, hasStatus := obj["status"]
	builtinInput(obj)
	keyed := obj // what applyKeys types: obj with its status
	if hasStatus {
		dropNulls(status)
		keyed = maps.Clone(obj)
		keyed["status"] = status
	}
	// One schema cut to keyed's shape serves both: validate reads obj,
	// which has no status, so the status's branch checks nothing there.
	s := builtinSchemas.schemaOf(gvk, keyed)
	base := diag.Error{File: o.File, App: app, Object: objectOf(o.Node)}
	against := fmt.Sprintf("%s %s (the OpenAPI schema of Kubernetes %s)", gvk.GroupVersion(), gvk.Kind, apiRelease)
	var errs []error
	var idx *encoder
	// A field kube's API lacks is that error alone: what is wrong inside
	// it matters only once the cluster knows it.
	newer := newerFields(gvk, obj, kube)
	for _, f := range newer {
		if idx == nil {
			idx = indexed(o)
		}
		err := fieldError(o, base, idx, nil, against, &fieldpath.Error{Type: fieldpath.ErrorTypeForbidden, Field: f.path})
		if d, ok := err.(*diag.Error); ok {
			d.Msg, d.Hint = newerMsg(gvk, f, kube)
		}
		errs = append(errs, err)
	}
	newerPaths := make([]string, len(newer))
	for i, f := range newer {
		newerPaths[i] = f.path
	}
	missing := map[string]bool{}
	for _, fe := range s.validate(obj) {
		// A number out of its field's range has its path in the detail;
		// the decoding, which cannot read it into its Go type either,
		// has told it.
		at, _, _ := compositePath(fe)
		path := DottedPath(at)
		if fe.Type == fieldpath.ErrorTypeTypeInvalid || reported[path] || below(path, newerPaths) || dropped.has(path) {
			continue
		}
		// An owner reference's apiVersion, kind, name and uid are the
		// metadata rules' (checkMeta), reported with the API server's
		// message; the schema's "required" would tell the same twice.
		if fe.Type == fieldpath.ErrorTypeRequired && strings.HasPrefix(path, "metadata.ownerReferences[") {
			continue
		}
		if idx == nil {
			idx = indexed(o)
		}
		err := fieldError(o, base, idx, nil, against, fe)
		if d, ok := err.(*diag.Error); ok && fe.Type == fieldpath.ErrorTypeRequired && fe.Origin != emptyOrigin {
			d.Msg = fmt.Sprintf("missing required field %q", path)
			d.Hint = fmt.Sprintf("add %s: the API server requires it in %s %s", path, gvk.GroupVersion(), gvk.Kind)
			missing[path] = true
		}
		errs = append(errs, err)
	}
	return errs, missing, s.applyKeys(keyed)
}
