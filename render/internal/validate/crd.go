package validate

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"embed"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	apiextensionsinternal "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	structurallisttype "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	fieldpath "k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apimachinery/pkg/util/version"
	"k8s.io/apiserver/pkg/cel/environment"
	"k8s.io/kube-openapi/pkg/validation/spec"
	kjson "sigs.k8s.io/json"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/carry"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/render/internal/validate/apirules"
	"github.com/kiln-gitops/kiln/templates"
)

// fluxCRDs are the CustomResourceDefinitions of the Flux controllers whose
// API modules go.mod pins (see fluxcrds/README.md), each as the JSON the
// checks read (encode), gzipped: TestFluxJSON derives them from the YAML
// files in fluxcrds/ (and rewrites them with -update), so that a run that
// validates a Kustomization neither parses its CRD's YAML nor encodes it.
//
//go:generate go test -run ^TestFluxJSON$ . -args -update
//go:embed fluxcrds/json/*.json.gz fluxcrds/versions.txt
var fluxCRDs embed.FS

// crd is one CustomResourceDefinition, compiled: a schema validator, a
// structural schema and a CEL validator per version.
type crd struct {
	name       string // metadata.name
	group      string
	kind       string
	namespaced bool
	// noConversion: the CRD's conversion strategy is None (the default),
	// so the API server reads an object stored under one version as any
	// other by rewriting its apiVersion alone.
	noConversion bool
	versions     map[string]*crdVersion
	served       []string // served version names, sorted
	where        string   // where the CRD came from, for errors
	err          error    // why the CRD cannot be used, if it cannot
	// clean: strict decoding into the CustomResourceDefinition type found
	// no unknown or duplicate field and no wrong type.
	clean bool
	// sum is the sha256 of the CRD's JSON encoding: what it was compiled
	// from, naming it across runs (CleanKey).
	sum [32]byte
	// lifecycle: its versions' deprecation.
	lifecycle crdLifecycle
	// cel compiles every CEL rule of every version, as the API server of a
	// CEL compatibility version (celCompat) does before it takes the CRD
	// (celCompileErrors); nil when a check before refused the CRD, or the
	// CRD has no rules. Only a CRD the env applies needs it (celChecked).
	cel func(compat *version.Version) fieldpath.ErrorList
}

// celChecked returns c, or a copy refused for the CEL rules the API
// server of CEL compatibility version compat would refuse it for; nil
// compat is an API server that drops the rules unread (before 1.25).
func celChecked(c *crd, compat *version.Version) *crd {
	if c.err != nil || c.cel == nil || compat == nil {
		return c
	}
	if errs := c.cel(compat); len(errs) > 0 {
		v := *c
		v.err = &crdCELError{errs: errs}
		return &v
	}
	return c
}

// crdGVK is the kind of a CustomResourceDefinition the API server serves.
var crdGVK = apiextensionsv1.SchemeGroupVersion.WithKind("CustomResourceDefinition")

type crdVersion struct {
	served bool
	status bool // the status subresource is on: the API server drops status on create
	// scale is the scale subresource, nil when it is off: the API server
	// then checks the replicas its paths name (scaleErrors).
	scale      *apiextensionsv1.CustomResourceSubresourceScale
	structural *structuralschema.Structural
	// fieldless: the schema has an object node that declares no fields
	// (fieldless.go), whose fields pruning drops without the apply
	// refusing them.
	fieldless bool
	// checkers builds the OpenAPI validator and the CEL validator on first
	// use: most of a CRD's compiling, which a version no object of the
	// env uses never needs. Everything that can refuse the CRD itself
	// (decoding, the structural checks, pruning defaults) runs before.
	checkers func() checkers
}

// compileVersion builds the checkers of c's served version, the costly
// part of checking its first object, so that later checks find them
// built. A version c does not serve, or that needs none, is left alone.
func (c *crd) compileVersion(version string) {
	if v := c.versions[version]; v != nil && v.served && v.checkers != nil {
		v.checkers()
	}
}

// checkers validate objects of one CRD version.
type checkers struct {
	validator apiservervalidation.SchemaValidator // at the library's compatibility version
	cel       *celRules
	err       error
	schema    *apiextensionsinternal.JSONSchemaProps
	formats   []string  // the string formats the schema names
	byCompat  *sync.Map // "major.minor" → func() (apiservervalidation.SchemaValidator, error)
}

// newCheckers builds the checkers of a version's schema; st is its
// structural form with defaults pruned.
func newCheckers(schema *apiextensionsinternal.JSONSchemaProps, st *structuralschema.Structural) checkers {
	val, _, err := apiservervalidation.NewSchemaValidator(schema)
	if err != nil {
		return checkers{err: fmt.Errorf("compiling the schema: %w", err)}
	}
	formats := map[string]bool{}
	stringFormats(schema, formats)
	return checkers{validator: val, cel: newCELRules(st), schema: schema, formats: slices.Sorted(maps.Keys(formats)), byCompat: &sync.Map{}}
}

// validatorAt is the schema validator of the API server whose
// compatibility version is compat (the minor version before its own, as
// for CEL): it checks only the string formats that version knows and
// ignores the others, as the CRD's author was warned when it was created.
// k8s-short-name and k8s-long-name are checked from compatibility
// version 1.34, so from kubeVersion 1.35; the library's validator checked
// them under every kubeVersion, refusing values an older cluster takes.
// A schema that names no format the two check differently (nearly all)
// keeps the library's validator.
func (ch checkers) validatorAt(compat *version.Version) (apiservervalidation.SchemaValidator, error) {
	latest := environment.DefaultCompatibilityVersion()
	if compat == nil || !slices.ContainsFunc(ch.formats, func(f string) bool { return formatChecked(f, compat) != formatChecked(f, latest) }) {
		return ch.validator, nil
	}
	f, _ := ch.byCompat.LoadOrStore(compat.String(), sync.OnceValues(func() (apiservervalidation.SchemaValidator, error) {
		val, _, err := apiservervalidation.NewSchemaValidatorForVersion(ch.schema, compat)
		return val, err
	}))
	return f.(func() (apiservervalidation.SchemaValidator, error))()
}

// formatChecked reports whether the API server of compatibility version
// compat checks a string's format f (its own post-processor decides).
func formatChecked(f string, compat *version.Version) bool {
	s := &spec.Schema{SchemaProps: spec.SchemaProps{Type: spec.StringOrArray{"string"}, Format: f}}
	if err := apiservervalidation.StripUnsupportedFormatsPostProcessorForVersion(compat)(s); err != nil {
		return true
	}
	return s.Format != ""
}

// stringFormats adds to out the format of each node of s that may be a
// string: the only formats that differ between compatibility versions.
func stringFormats(s *apiextensionsinternal.JSONSchemaProps, out map[string]bool) {
	if s == nil {
		return
	}
	if s.Format != "" && (s.Type == "" || s.Type == "string") {
		out[s.Format] = true
	}
	for _, p := range s.Properties {
		stringFormats(&p, out)
	}
	for _, p := range s.PatternProperties {
		stringFormats(&p, out)
	}
	for _, p := range s.Definitions {
		stringFormats(&p, out)
	}
	for _, list := range [][]apiextensionsinternal.JSONSchemaProps{s.AllOf, s.AnyOf, s.OneOf} {
		for i := range list {
			stringFormats(&list[i], out)
		}
	}
	stringFormats(s.Not, out)
	if s.Items != nil {
		stringFormats(s.Items.Schema, out)
		for i := range s.Items.JSONSchemas {
			stringFormats(&s.Items.JSONSchemas[i], out)
		}
	}
	if s.AdditionalProperties != nil {
		stringFormats(s.AdditionalProperties.Schema, out)
	}
	if s.AdditionalItems != nil {
		stringFormats(s.AdditionalItems.Schema, out)
	}
	for _, d := range s.Dependencies {
		stringFormats(d.Schema, out)
	}
}

// Schemas compiles CRDs, each once per content however many envs and runs
// use it: compiling a large CRD (its OpenAPI schema and CEL rules) costs far
// more than validating an object against it. Safe for concurrent use.
type Schemas struct {
	mu    sync.Mutex
	cache map[[32]byte]func() *crd
	// verdicts holds, by content, CRDs checked for an env none of whose
	// objects is of their kind: compiled, then kept without their schemas
	// (Schemas.check).
	verdicts map[[32]byte]func() *crd
	// clean holds the objects checked without a problem in this run.
	clean map[cleanKey]bool
	// known holds the objects an earlier run found clean (Seed).
	known map[CleanKey]bool
	// checks counts the objects checked, not remembered clean (Checks).
	checks atomic.Int64
	// flux compiles each embedded Flux CRD on first use.
	flux map[groupKind]func() *crd
	// fluxRefs name each embedded Flux CRD by content, without compiling it.
	fluxRefs map[groupKind]func() *crdRef
}

// crdRef is a CRD of an env: the sha256 of its JSON encoding, known before
// it is compiled, and the compiled CRD on demand. An env whose objects
// are all remembered clean never compiles its CRDs.
type crdRef struct {
	sum [32]byte
	get func() *crd
	// lifecycle is what the CRD says of its versions' deprecation, read
	// without compiling it.
	lifecycle crdLifecycle
}

// crdLifecycle is what a CRD says of its versions' deprecation: the
// served versions it marks deprecated, each with its deprecationWarning
// ("" for the API server's default), and its storage version.
type crdLifecycle struct {
	deprecated map[string]string
	storage    string
}

// crdLifecycleOf reads the versions a CRD's JSON encoding lists.
func crdLifecycleOf(versions []crdVersionMeta) crdLifecycle {
	var l crdLifecycle
	for _, v := range versions {
		if v.Storage {
			l.storage = v.Name
		}
		if v.Served && v.Deprecated {
			if l.deprecated == nil {
				l.deprecated = map[string]string{}
			}
			w := ""
			if v.DeprecationWarning != nil {
				w = *v.DeprecationWarning
			}
			l.deprecated[v.Name] = w
		}
	}
	return l
}

// crdVersionMeta is what crdNames reads of each version.
type crdVersionMeta struct {
	Name               string  `json:"name"`
	Served             bool    `json:"served"`
	Storage            bool    `json:"storage"`
	Deprecated         bool    `json:"deprecated"`
	DeprecationWarning *string `json:"deprecationWarning"`
}

type groupKind struct{ group, kind string }

// fluxFiles names the embedded file of each Flux kind, so that one kind's
// CRD is read and compiled without the others (TestFluxFiles checks it
// against the files).
var fluxFiles = map[groupKind]string{
	{"helm.toolkit.fluxcd.io", "HelmRelease"}:            "helm.toolkit.fluxcd.io_helmreleases.yaml",
	{"kustomize.toolkit.fluxcd.io", "Kustomization"}:     "kustomize.toolkit.fluxcd.io_kustomizations.yaml",
	{"notification.toolkit.fluxcd.io", "Alert"}:          "notification.toolkit.fluxcd.io_alerts.yaml",
	{"notification.toolkit.fluxcd.io", "Provider"}:       "notification.toolkit.fluxcd.io_providers.yaml",
	{"notification.toolkit.fluxcd.io", "Receiver"}:       "notification.toolkit.fluxcd.io_receivers.yaml",
	{"image.toolkit.fluxcd.io", "ImagePolicy"}:           "image.toolkit.fluxcd.io_imagepolicies.yaml",
	{"image.toolkit.fluxcd.io", "ImageRepository"}:       "image.toolkit.fluxcd.io_imagerepositories.yaml",
	{"image.toolkit.fluxcd.io", "ImageUpdateAutomation"}: "image.toolkit.fluxcd.io_imageupdateautomations.yaml",
	{"source.extensions.fluxcd.io", "ArtifactGenerator"}: "source.extensions.fluxcd.io_artifactgenerators.yaml",
	{"source.toolkit.fluxcd.io", "Bucket"}:               "source.toolkit.fluxcd.io_buckets.yaml",
	{"source.toolkit.fluxcd.io", "ExternalArtifact"}:     "source.toolkit.fluxcd.io_externalartifacts.yaml",
	{"source.toolkit.fluxcd.io", "GitRepository"}:        "source.toolkit.fluxcd.io_gitrepositories.yaml",
	{"source.toolkit.fluxcd.io", "HelmChart"}:            "source.toolkit.fluxcd.io_helmcharts.yaml",
	{"source.toolkit.fluxcd.io", "HelmRepository"}:       "source.toolkit.fluxcd.io_helmrepositories.yaml",
	{"source.toolkit.fluxcd.io", "OCIRepository"}:        "source.toolkit.fluxcd.io_ocirepositories.yaml",
}

// NewSchemas returns an empty CRD cache that knows the pinned Flux CRDs
// (each compiled on first use: a run that writes Kustomizations only
// never pays for the HelmRelease or source CRDs).
func NewSchemas() *Schemas {
	s := &Schemas{cache: map[[32]byte]func() *crd{}, verdicts: map[[32]byte]func() *crd{}, clean: map[cleanKey]bool{}, flux: map[groupKind]func() *crd{}, fluxRefs: map[groupKind]func() *crdRef{}}
	for gk, file := range fluxFiles {
		data := sync.OnceValue(func() []byte { return withOperatorKinds(file, fluxJSON(file)) })
		s.flux[gk] = sync.OnceValue(func() *crd { return s.compileFlux(gk, file, data()) })
		s.fluxRefs[gk] = sync.OnceValue(func() *crdRef {
			_, versions, _ := crdNames(data())
			return &crdRef{sum: sha256.Sum256(data()), get: s.flux[gk], lifecycle: crdLifecycleOf(versions)}
		})
	}
	return s
}

// compileFlux compiles the embedded Flux CRD of gk, in file, whose JSON
// encoding is data.
func (s *Schemas) compileFlux(gk groupKind, file string, data []byte) *crd {
	c := s.compileData(sha256.Sum256(data), data, true)
	if c.err != nil {
		panic(c.err) // embedded and tested
	}
	if (groupKind{c.group, c.kind}) != gk {
		panic(fmt.Sprintf("%s defines %s %s, not %s %s", file, c.group, c.kind, gk.group, gk.kind)) // embedded and tested
	}
	fc := *c
	fc.where = "the CRD of " + fluxVersion(c.group, c.kind)
	return &fc
}

// fluxJSON reads the JSON encoding of the embedded Flux CRD of file.
func fluxJSON(file string) []byte {
	f, err := fluxCRDs.Open("fluxcrds/json/" + strings.TrimSuffix(file, ".yaml") + ".json.gz")
	if err != nil {
		panic(err) // embedded: cannot fail
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		panic(err) // embedded and tested
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		panic(err) // embedded and tested
	}
	return data
}

// fluxControllers maps each Flux API group to the controller that serves
// it, as named in the API module paths of versions.txt.
var fluxControllers = map[string]string{
	"helm.toolkit.fluxcd.io":         "helm-controller",
	"kustomize.toolkit.fluxcd.io":    "kustomize-controller",
	"notification.toolkit.fluxcd.io": "notification-controller",
	"source.toolkit.fluxcd.io":       "source-controller",
	"source.extensions.fluxcd.io":    "source-watcher",
	"image.toolkit.fluxcd.io":        "image-reflector-controller",
}

// fluxKindControllers are the kinds served by another controller than
// their group's in fluxControllers: both image controllers share a group.
var fluxKindControllers = map[groupKind]string{
	{"image.toolkit.fluxcd.io", "ImageUpdateAutomation"}: "image-automation-controller",
}

// fluxVersion names the controller release that defines the CRD of group
// and kind.
func fluxVersion(group, kind string) string {
	data, _ := fluxCRDs.ReadFile("fluxcrds/versions.txt")
	ctrl, ok := fluxKindControllers[groupKind{group, kind}]
	if !ok {
		ctrl, ok = fluxControllers[group]
	}
	if !ok {
		return "Flux"
	}
	for line := range strings.Lines(string(data)) {
		mod, ver, _ := strings.Cut(strings.TrimSpace(line), " ")
		if strings.Contains(mod, "/"+ctrl+"/") {
			return ctrl + " " + ver
		}
	}
	return "Flux"
}

// compile decodes and compiles a CRD object, or returns the result for
// the same content compiled before (or being compiled by another
// goroutine: it waits for that one).
func (s *Schemas) compile(o templates.Object) *crd {
	enc := encode(o)
	if enc.err != nil {
		return &crd{err: enc.err}
	}
	return s.compileData(enc.sum, enc.data, false)
}

// compileData is compile for a CRD whose JSON encoding is data, of sha256
// key; embedded says that data is an embedded Flux CRD (compileCRD). A CRD
// object of the same content compiled before or after shares the result:
// the same bytes pass the same checks.
func (s *Schemas) compileData(key [32]byte, data []byte, embedded bool) *crd {
	s.mu.Lock()
	get, ok := s.cache[key]
	if !ok {
		get = sync.OnceValue(func() *crd { return compileKeyed(key, data, embedded) })
		s.cache[key] = get
	}
	s.mu.Unlock()
	return get()
}

// compileKeyed compiles the CRD whose JSON encoding is data, of sha256
// key, naming it in its errors.
func compileKeyed(key [32]byte, data []byte, embedded bool) (c *crd) {
	defer func() {
		// The API server's code on a CRD it would refuse before compiling
		// it, or a bug: the CRD is refused, the run goes on.
		if r := recover(); r != nil {
			c = &crd{err: fmt.Errorf("kiln could not compile the CRD (a bug in kiln or in the Kubernetes code it uses; please report it): %v", r)}
			c.sum = key
		}
	}()
	c = compileCRD(data, embedded)
	c.where = "CRD " + c.name
	c.sum = key
	return c
}

// check is compileData for an env that may not need the CRD's schemas:
// every check that can refuse the CRD runs, but when need says no object
// of the env is of the CRD's kind, the result leaves out its versions'
// schemas, the bulk of a compiled CRD (a chart ships CRDs for kinds it
// does not use: kube-prometheus-stack's ThanosRuler, PrometheusAgent, …),
// so that the memory is free for the rest of the run. The caller compiles
// such a CRD again (compileData) should an object of its kind turn up. A
// CRD compiled whole before is returned whole.
func (s *Schemas) check(key [32]byte, data []byte, need func(groupKind) bool, compat *version.Version) *crd {
	s.mu.Lock()
	if get, ok := s.cache[key]; ok {
		s.mu.Unlock()
		return celChecked(get(), compat)
	}
	get, ok := s.verdicts[key]
	if !ok {
		// Cached without the CEL verdict, which depends on the env's
		// kubeVersion: another env may apply the same CRD to another
		// Kubernetes.
		get = sync.OnceValue(func() *crd {
			c := compileKeyed(key, data, false)
			if c.err != nil || need(groupKind{c.group, c.kind}) {
				s.mu.Lock()
				if _, ok := s.cache[key]; !ok {
					s.cache[key] = func() *crd { return c }
				}
				s.mu.Unlock()
				return c
			}
			v := *c
			v.versions = nil
			return &v
		})
		s.verdicts[key] = get
	}
	s.mu.Unlock()
	return celChecked(get(), compat)
}

// decodedClean reports whether the CRD whose JSON encoding has the sha256
// key was compiled (or checked: Schemas.check) in this run and decoded
// strictly without a problem. A nil s knows none.
func (s *Schemas) decodedClean(key [32]byte) bool {
	if s == nil {
		return false
	}
	s.mu.Lock()
	get, ok := s.cache[key]
	if !ok {
		get, ok = s.verdicts[key]
	}
	s.mu.Unlock()
	return ok && get().clean
}

// cleanKey is what the checks of an object depend on: its JSON encoding
// (by sha256), the CRD that defines its kind in the env (nil for none:
// built-in and unknown kinds) and the env's kubeVersion.
type cleanKey struct {
	sum    [32]byte
	crd    [32]byte // the CRD's content, by sha256, when hasCRD
	hasCRD bool
	kube   string
}

// CleanKey names, across runs, an object found clean: a sha256 over the
// object's JSON encoding, the content of the CRD that defines its kind
// (or none) and kubeVersion, the inputs of every check (see Env.object).
// The build of kiln, whose checks and embedded schemas could differ, is
// the caller's to key on: render keeps one set per build.
type CleanKey [32]byte

// cleanKeyVersion changes whenever what CleanKey covers does.
const cleanKeyVersion = "kiln-validate-clean-v1\x00"

// persistent is k's CleanKey.
func (k cleanKey) persistent() CleanKey {
	h := sha256.New()
	h.Write([]byte(cleanKeyVersion))
	h.Write(k.sum[:])
	if k.hasCRD {
		h.Write([]byte{1})
		h.Write(k.crd[:])
	} else {
		h.Write([]byte{0})
	}
	fmt.Fprintf(h, "%d:%s", len(k.kube), k.kube)
	var out CleanKey
	copy(out[:], h.Sum(nil))
	return out
}

// crdKeyVersion names the other kind of CleanKey: a CRD that compiled
// without a problem (crdKey).
const crdKeyVersion = "kiln-validate-crd-v4\x00"

// crdKey is the CleanKey saying that the CRD whose JSON encoding has the
// sha256 sum compiles: decodes strictly without a problem, passes
// apiextensions' create validation (crdCreateErrors), is structural, its
// defaults prune and its CEL rules compile within their cost in the
// environment of CEL compatibility version compat (v4; v3 checked only the
// names and versions of the create validation; v2 compiled the rules in
// the newest environment kiln knows, whatever the kubeVersion; v1 did not
// compile them). An env that meets it again need not compile it unless an
// object of its kind is checked.
func crdKey(sum [32]byte, compat *version.Version) CleanKey {
	h := sha256.New()
	h.Write([]byte(crdKeyVersion))
	h.Write(sum[:])
	if compat == nil {
		h.Write([]byte("rules dropped"))
	} else {
		h.Write([]byte(compat.String()))
	}
	var out CleanKey
	copy(out[:], h.Sum(nil))
	return out
}

// knows reports whether k was seeded.
func (s *Schemas) knows(k CleanKey) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.known[k]
}

// Seed tells s the objects an earlier run found clean (Env.Clean of that
// run's envs), so that they are not checked again. A key is a digest of
// everything the checks read: a seed that does not match an object, or
// matches one under another CRD or kubeVersion, is never consulted.
func (s *Schemas) Seed(keys []CleanKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.known == nil {
		s.known = make(map[CleanKey]bool, len(keys))
	}
	for _, k := range keys {
		s.known[k] = true
	}
}

// Checks is how many objects s's envs checked so far, not counting those
// remembered clean from this run or from Seed.
func (s *Schemas) Checks() int64 {
	if s == nil {
		return 0
	}
	return s.checks.Load()
}

// wasClean reports whether an object with key was checked in this run
// without a problem, or, when persist allows, in an earlier run (Seed). A
// nil s knows none.
func (s *Schemas) wasClean(key cleanKey, persist bool, pk CleanKey) bool {
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clean[key] || (persist && s.known[pk])
}

// markClean remembers that an object with key has no problem.
func (s *Schemas) markClean(key cleanKey) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clean[key] = true
}

// crdReadError is a CRD that does not decode into its Go type: a value
// of the wrong type or encoding (a caBundle that is not base64, as the
// Kubernetes documentation's storage/test-crd.yaml has), which the
// object's own check reports at its field and line.
type crdReadError struct{ err error }

func (e *crdReadError) Error() string {
	return "reading the CustomResourceDefinition: " + e.err.Error()
}
func (e *crdReadError) Unwrap() error { return e.err }

// compileCRD builds what the API server builds to serve a CRD's versions
// (k8s.io/apiextensions-apiserver's customresource_handler): the internal
// schema, its structural form with defaults pruned, the OpenAPI validator
// and the CEL validator. embedded says that data is one of the Flux CRDs
// kiln embeds, which TestEmbeddedFluxCRDsPassCreate shows the API server's
// create validation accepts: that validation, about half of compiling a
// CRD, is not run again for them at every start (PrepareFlux compiles two
// while the sandbox worker renders).
func compileCRD(data []byte, embedded bool) *crd {
	doc, err := decodeCRD(data)
	if err != nil {
		return &crd{err: &crdReadError{err}}
	}
	v1 := &doc.v1
	c := &crd{
		clean:      doc.clean,
		name:       v1.Name,
		group:      v1.Spec.Group,
		kind:       v1.Spec.Names.Kind,
		namespaced: v1.Spec.Scope == apiextensionsv1.NamespaceScoped,
		noConversion: v1.Spec.Conversion == nil || v1.Spec.Conversion.Strategy == "" ||
			v1.Spec.Conversion.Strategy == apiextensionsv1.NoneConverter,
		versions: map[string]*crdVersion{},
	}
	for i, err := range doc.convErrs {
		if err != nil {
			c.err = fmt.Errorf("version %s: converting the schema: %w", v1.Spec.Versions[i].Name, err)
			return c
		}
	}
	if !embedded {
		if errs := crdCreateErrors(doc); len(errs) > 0 {
			c.err = &crdSpecError{errs: errs}
			return c
		}
	}
	meta := make([]crdVersionMeta, len(v1.Spec.Versions))
	for i, v := range v1.Spec.Versions {
		meta[i] = crdVersionMeta{Name: v.Name, Served: v.Served, Storage: v.Storage, Deprecated: v.Deprecated, DeprecationWarning: v.DeprecationWarning}
	}
	c.lifecycle = crdLifecycleOf(meta)
	var rules []celVersion
	for i, v := range v1.Spec.Versions {
		cv := &crdVersion{served: v.Served, status: v.Subresources != nil && v.Subresources.Status != nil}
		if v.Subresources != nil {
			cv.scale = v.Subresources.Scale
		}
		c.versions[v.Name] = cv
		if v.Served {
			c.served = append(c.served, v.Name)
		}
		schema := doc.schemas[i]
		if schema == nil {
			continue // the API server refuses such a v1 CRD: crdCreateErrors did
		}
		st, err := structuralschema.NewStructural(schema)
		if err != nil {
			c.err = fmt.Errorf("version %s: the schema is not structural: %w", v.Name, err)
			return c
		}
		// Not ValidateStructural: crdCreateErrors ran it on the same schema
		// (for an embedded CRD, TestEmbeddedFluxCRDsPassCreate did).
		rules = append(rules, celVersion{index: i, st: st})
		copyDefaults(st)
		if err := structuraldefaulting.PruneDefaults(st); err != nil {
			c.err = fmt.Errorf("version %s: pruning defaults: %w", v.Name, err)
			return c
		}
		cv.structural = st
		cv.fieldless = hasFieldless(st)
		cv.checkers = sync.OnceValue(func() checkers { return newCheckers(schema, st) })
	}
	if len(rules) > 0 {
		c.cel = celByCompat(rules)
	}
	sort.Strings(c.served)
	return c
}

// copyDefaults gives each default of st a copy of its own, as the API
// server's st.DeepCopy() does before PruneDefaults (customresource_handler):
// NewStructural shares the default values with the internal schema, which
// pruning would change too. Nothing else of st is shared that pruning
// changes, so the rest of a large schema is not copied; it visits what
// PruneDefaults visits.
func copyDefaults(st *structuralschema.Structural) {
	if st == nil {
		return
	}
	if st.Default.Object != nil {
		st.Default.Object = runtime.DeepCopyJSONValue(st.Default.Object)
	}
	if st.AdditionalProperties != nil {
		copyDefaults(st.AdditionalProperties.Structural)
	}
	copyDefaults(st.Items)
	for k, p := range st.Properties {
		copyDefaults(&p)
		st.Properties[k] = p
	}
}

// validate checks obj (decoded JSON, modified in place) against the
// version as the API server does when Flux applies it: type the status
// and drop it (statusApplyErrors), prune unknown fields (reported where
// server-side apply refuses them), apply defaults, then the OpenAPI schema, embedded
// objects' metadata, list-type invariants and, when rules is true, the CEL
// rules, which ctx ending stops. compat is the compatibility version of
// the env's API server (apirules.CELCompatibility), nil for the library's.
func (v *crdVersion) validate(ctx context.Context, obj map[string]any, rules bool, compat *version.Version) fieldpath.ErrorList {
	var errs fieldpath.ErrorList
	if st, ok := obj["status"]; ok && v.status {
		// Read before asDecoded drops it.
		errs = append(errs, statusApplyErrors(v.structural, st)...)
	}
	for _, p := range v.asDecoded(obj) {
		errs = append(errs, &fieldpath.Error{Type: fieldpath.ErrorTypeNotFound, Field: p, Detail: "unknown field"})
	}
	ch := v.checkers()
	if ch.err != nil {
		return append(errs, fieldpath.InternalError(nil, ch.err))
	}
	val, err := ch.validatorAt(compat)
	if err != nil {
		return append(errs, fieldpath.InternalError(nil, fmt.Errorf("compiling the schema: %w", err)))
	}
	schemaErrs := apiservervalidation.ValidateCustomResource(nil, obj, val)
	errs = append(errs, schemaErrs...)
	errs = append(errs, untold(scaleErrors(obj, v.scale), schemaErrs)...)
	errs = append(errs, schemaobjectmeta.Validate(ctx, nil, obj, v.structural, false)...)
	errs = append(errs, structurallisttype.ValidateListSetsAndMaps(nil, v.structural, obj)...)
	if rules && !blocking(errs) {
		errs = append(errs, ch.cel.validate(ctx, v.structural, obj)...)
	}
	return errs
}

// asDecoded makes obj, in place, what the API server makes of it before
// validation when Flux applies it: status dropped where the status
// subresource is on, unknown fields pruned (the paths of those the apply
// refuses returned: not those of a fieldless object, fieldless.go),
// defaults applied, a null included where the schema gives a default.
// A null the schema does not allow and gives no default stays, and is
// refused as a value of the wrong type: server-side apply does not
// decode the object as a create does, and so does not drop it
// (PruneNonNullableNullsWithoutDefaults, which kiln used to run). A
// kubebuilder sample's empty "spec:" is "spec in body must be of type
// object: \"null\"" to a real kube-apiserver 1.37, applied as Flux applies
// (internal/apiservercheck).
func (v *crdVersion) asDecoded(obj map[string]any) (pruned []string) {
	if v.status {
		delete(obj, "status")
	}
	// Pruning leaves metadata, the object's and an embedded object's, to
	// ObjectMeta's decoding, which drops an unknown field there too
	// (metadata.label for labels: the labels never reach the cluster).
	// An error of metadata's decoding (a label that is no string) is the
	// metadata checks' and the embedded objects' validation's to report.
	_, _, pruned, _ = schemaobjectmeta.GetObjectMetaWithOptions(obj, schemaobjectmeta.ObjectMetaOptions{ReturnUnknownFieldPaths: true})
	var taken map[string]bool
	if v.fieldless {
		taken = fieldlessFields(obj, v.structural)
	}
	for _, p := range pruning.PruneWithOptions(obj, v.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true}) {
		if !taken[p] {
			pruned = append(pruned, p)
		}
	}
	_, embedded := schemaobjectmeta.CoerceWithOptions(nil, obj, v.structural, false, schemaobjectmeta.CoerceOptions{ReturnUnknownFieldPaths: true})
	pruned = append(pruned, embedded...)
	structuraldefaulting.Default(obj, v.structural)
	return pruned
}

// blocking reports whether the API server would skip CEL rules
// (hasBlockingErr in apiextensions-apiserver's registry/customresource):
// it does when a value has the wrong type, is not one the enum allows, is
// too long or has too many items, or a required field is missing. The
// rules assume the schema holds, so on such an object they fail with
// errors that only repeat those ("no such key: sourceRef evaluating rule
// …" for a missing required sourceRef).
func blocking(errs fieldpath.ErrorList) bool {
	for _, e := range errs {
		switch e.Type {
		case fieldpath.ErrorTypeTypeInvalid, fieldpath.ErrorTypeTooMany, fieldpath.ErrorTypeTooLong,
			fieldpath.ErrorTypeNotSupported, fieldpath.ErrorTypeRequired:
			return true
		}
	}
	return false
}

// Env is what validation knows of one environment: the CRDs rendered in
// it or listed in kiln.yaml's validation.crds, and the pinned Flux CRDs.
type Env struct {
	schemas *Schemas
	// private: the env's objects may hold secret values; none of its
	// CleanKeys is reported (HoldsSecrets).
	private bool
	mu      sync.Mutex
	seen    map[CleanKey]bool // the env's objects found clean, for Clean
	crds    map[groupKind]*crdRef
	kube    *version.Version // kubeVersion; nil: any
	// celCompat is the CEL compatibility version of kube's API server;
	// nil when it drops a CRD's x-kubernetes-validations (rules false).
	celCompat *version.Version
	// rules: the API server of kube keeps a CRD's x-kubernetes-validations
	// and enforces them (CustomResourceValidationExpressions, on by
	// default from 1.25; before, it drops them from a new CRD).
	rules       bool
	kubeVersion string // as the env file spells it
	// encoded holds the JSON encoding Env made of each CRD object, by its
	// root node, for Objects to check the object by without encoding
	// megabytes of schema again; taken (and dropped) by the first check.
	encoded map[*kyaml.Node]encoded
}

// Env returns the validation context of an environment: built-in kinds
// must be served by kubeVersion ("" for any), custom kinds are defined by
// the
// CustomResourceDefinitions among objs. A CRD
// that cannot be compiled is an error naming it; a CRD of the env takes
// the place of a Flux CRD of the same kind (the cluster serves what is
// applied). The kinds of the other objects of objs tell which CRDs'
// schemas to keep compiled (Schemas.check); an object of another kind is
// still checked against its CRD, compiled when it is.
//
// A CRD object of objs is checked (Objects) as Env encoded it: it must
// not change in between (a CRD is cluster-scoped: setting the app's
// namespace leaves it alone).
func (s *Schemas) Env(kubeVersion string, objs []templates.Object) (*Env, error) {
	return s.EnvWith(kubeVersion, nil, objs)
}

// EnvWith is Env with CustomResourceDefinitions installed in the cluster
// by other means (validation.crds) besides the env's objects. Their kinds
// are checked against them as against the env's CRDs, and a CRD of objs
// for the same kind takes their place; but Flux does not apply them, so
// what the API server refuses only when it creates a CRD is no error of
// theirs: fields newer than kubeVersion (an older API server drops them
// from a CRD created without server-side apply, as Helm creates a
// chart's CRDs) and rules that do not compile at kubeVersion's CEL
// compatibility version (an API server compiles the rules of a CRD it
// holds with every library it has). A CRD the cluster cannot serve at all
// (its schema not structural, its names wrong) is still an error: no
// object of its kind could be checked against it.
func (s *Schemas) EnvWith(kubeVersion string, installed, objs []templates.Object) (*Env, error) {
	e := &Env{schemas: s, crds: map[groupKind]*crdRef{}, kubeVersion: kubeVersion, seen: map[CleanKey]bool{}, encoded: map[*kyaml.Node]encoded{}}
	var errs []error
	if kubeVersion != "" {
		v, err := version.ParseGeneric(kubeVersion)
		if err != nil {
			// envconfig checked it; without it, any version is served.
			errs = append(errs, fmt.Errorf("kubeVersion %q: %w", kubeVersion, err))
		}
		e.kube = v
	}
	if e.rules = apirules.GateOn("CustomResourceValidationExpressions", e.kube); e.rules {
		e.celCompat = celCompat(e.kube)
	}
	var crdObjs []templates.Object
	nInstalled := 0 // crdObjs[:nInstalled] are of installed
	// An installed CRD is not held to the CEL part of the API server's
	// create validation: it is checked as a CRD whose rules the API server
	// drops is (compatibility version nil).
	compatOf := func(i int) *version.Version {
		if i < nInstalled {
			return nil
		}
		return e.celCompat
	}
	used := map[groupKind]bool{}
	for i, o := range slices.Concat(installed, objs) {
		if o.Node == nil {
			continue
		}
		kind, apiVersion := o.Node.GetKind(), o.Node.GetApiVersion()
		if kind == "CustomResourceDefinition" && apiVersion == "apiextensions.k8s.io/v1" {
			crdObjs = append(crdObjs, o)
			if i < len(installed) {
				nInstalled++
			}
		}
		if gv, err := schema.ParseGroupVersion(apiVersion); err == nil {
			used[groupKind{gv.Group, kind}] = true
		}
	}
	// Compiled in parallel, then taken in order: a later CRD of the same
	// kind wins, as the later apply would. A CRD an earlier run compiled
	// without a problem (crdKey) is only named: compiled if an object of
	// its kind is checked.
	type prepared struct {
		ref  *crdRef
		gk   groupKind
		c    *crd // compiled now
		keep bool // crdKey of it kept for the next run
	}
	done := make([]prepared, len(crdObjs))
	encs := make([]encoded, len(crdObjs))
	carry.Each(len(crdObjs), func(i int) {
		enc := encode(crdObjs[i])
		encs[i] = enc
		if enc.err != nil {
			done[i].c = &crd{err: enc.err}
			return
		}
		sum, data := enc.sum, enc.data
		whole := func() *crd { return s.compileData(sum, data, false) }
		compat := compatOf(i)
		if s.knows(crdKey(enc.sum, compat)) {
			if gk, versions, ok := crdNames(enc.data); ok {
				done[i] = prepared{ref: &crdRef{sum: sum, get: whole, lifecycle: crdLifecycleOf(versions)}, gk: gk, keep: true}
				return
			}
		}
		c := s.check(enc.sum, enc.data, func(gk groupKind) bool { return used[gk] }, compat)
		get := whole
		if c.versions != nil {
			get = func() *crd { return c }
		}
		done[i] = prepared{ref: &crdRef{sum: enc.sum, get: get, lifecycle: c.lifecycle}, gk: groupKind{c.group, c.kind}, c: c}
		// Kept for the next run only when the names read without compiling
		// (crdNames) are the compiled ones. They are when the strict decode
		// found nothing: no key in another case, none twice, no wrong type,
		// so the case-sensitive read of the same two fields gives the same
		// values (TestCleanCRDNamesRead); reading them again would decode
		// megabytes of schema a second time.
		done[i].keep = c.clean && c.err == nil && c.group != "" && c.kind != ""
	})
	for i, o := range crdObjs {
		p := done[i]
		e.encoded[o.Node.YNode()] = encs[i]
		compat := compatOf(i)
		if i >= nInstalled {
			errs = append(errs, crdNewerErrors(o, e.kube)...)
		}
		if p.c != nil && p.c.err != nil {
			errs = append(errs, crdErrors(o, p.c.err)...)
			continue
		}
		if p.keep {
			e.noteClean(crdKey(p.ref.sum, compat))
		}
		e.crds[p.gk] = p.ref
	}
	return e, diag.Join(errs...)
}

// crdNames reads a CRD's group and kind from its JSON encoding without
// compiling it, as compileCRD's decoding reads them (case-sensitive).
func crdNames(data []byte) (groupKind, []crdVersionMeta, bool) {
	var v struct {
		Spec struct {
			Group string `json:"group"`
			Names struct {
				Kind string `json:"kind"`
			} `json:"names"`
			Versions []crdVersionMeta `json:"versions"`
		} `json:"spec"`
	}
	if err := kjson.UnmarshalCaseSensitivePreserveInts(data, &v); err != nil || v.Spec.Group == "" || v.Spec.Names.Kind == "" {
		return groupKind{}, nil, false
	}
	return groupKind{v.Spec.Group, v.Spec.Names.Kind}, v.Spec.Versions, true
}

// HoldsSecrets marks the env as one whose objects may hold secret values
// (its secret vars may be anywhere in the output): its objects are still
// remembered clean for the run, in memory, but Clean reports none of them.
// A digest of an object holding a guessable secret, kept in a cache
// folder that others can read, would let them test guesses offline.
func (e *Env) HoldsSecrets() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.private = true
	clear(e.seen)
}

// Clean returns the CleanKeys of the env's objects found clean so far,
// checked or remembered, sorted, for the caller to keep for the next
// run's Seed. Never one of a Secret (any object whose encoding holds the
// string "Secret", a List of Secrets included) or of an env that
// HoldsSecrets.
func (e *Env) Clean() []CleanKey {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]CleanKey, 0, len(e.seen))
	for k := range e.seen {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b CleanKey) int { return bytes.Compare(a[:], b[:]) })
	return out
}

// noteClean adds pk to the env's clean objects.
func (e *Env) noteClean(pk CleanKey) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.private {
		e.seen[pk] = true
	}
}

// Defines reports whether a CRD of the env or a pinned Flux CRD defines
// the kind of apiVersion.
func (e *Env) Defines(apiVersion, kind string) bool {
	gv, err := schema.ParseGroupVersion(apiVersion)
	return err == nil && e.ref(gv.Group, kind) != nil
}

// lookup returns the CRD defining group and kind, compiled, nil for none.
func (e *Env) lookup(group, kind string) *crd {
	if r := e.ref(group, kind); r != nil {
		return r.get()
	}
	return nil
}

// Kinds returns the kinds the env's CustomResourceDefinitions define in
// group, sorted: what a kind of that group that none defines was perhaps
// meant to be.
func (e *Env) Kinds(group string) []string { return kindsOf(e.crds, group) }

// fluxKinds returns the kinds the embedded Flux CRDs define in group,
// sorted; none for a group that is not Flux's.
func (s *Schemas) fluxKinds(group string) []string { return kindsOf(s.fluxRefs, group) }

// kindsOf returns the kinds of group among m's keys, sorted.
func kindsOf[V any](m map[groupKind]V, group string) []string {
	var kinds []string
	for gk := range m {
		if gk.group == group {
			kinds = append(kinds, gk.kind)
		}
	}
	slices.Sort(kinds)
	return kinds
}

// ref returns the CRD defining group and kind, not compiled, nil for none.
func (e *Env) ref(group, kind string) *crdRef {
	if r, ok := e.crds[groupKind{group, kind}]; ok {
		return r
	}
	if e.schemas == nil {
		return nil
	}
	if r, ok := e.schemas.fluxRefs[groupKind{group, kind}]; ok {
		return r()
	}
	return nil
}

// scaleErrors is what the API server checks of the replicas a CRD's scale
// subresource names, on every create and update: an integer from 0 to
// 2147483647 at specReplicasPath (and statusReplicasPath, where the status
// is kept), and a string at labelSelectorPath. The schema need not say so
// (prometheus-operator's Alertmanager has an int32 replicas without a
// minimum), so without this check "replicas: -1" passed and the cluster
// refused it: "spec.replicas: Invalid value: -1: should be a non-negative
// integer". Restated from apiextensions-apiserver's registry/customresource
// (customResourceValidator.ValidateScaleSpec and ValidateScaleStatus,
// v0.37): the validator is unexported, and its package links etcd's client; its
// messages are kept, its paths without their leading dot.
func scaleErrors(obj map[string]any, scale *apiextensionsv1.CustomResourceSubresourceScale) fieldpath.ErrorList {
	if scale == nil {
		return nil
	}
	errs := replicasErrors(obj, scale.SpecReplicasPath)
	errs = append(errs, replicasErrors(obj, scale.StatusReplicasPath)...)
	if scale.LabelSelectorPath != nil {
		p := strings.Split(strings.TrimPrefix(*scale.LabelSelectorPath, "."), ".")
		if v, _, err := unstructured.NestedString(obj, p...); err != nil {
			errs = append(errs, fieldpath.Invalid(fieldpath.NewPath(p[0], p[1:]...), v, err.Error()))
		}
	}
	return errs
}

// replicasErrors checks the replicas at one of the scale subresource's
// paths (".spec.replicas"); a missing one is 0 to the API server.
func replicasErrors(obj map[string]any, path string) fieldpath.ErrorList {
	p := strings.Split(strings.TrimPrefix(path, "."), ".")
	fp := fieldpath.NewPath(p[0], p[1:]...)
	n, _, err := unstructured.NestedInt64(obj, p...)
	switch {
	case err != nil:
		return fieldpath.ErrorList{fieldpath.Invalid(fp, n, err.Error())}
	case n < 0:
		return fieldpath.ErrorList{fieldpath.Invalid(fp, n, "should be a non-negative integer")}
	case n > math.MaxInt32:
		return fieldpath.ErrorList{fieldpath.Invalid(fp, n, fmt.Sprintf("should be less than or equal to %v", math.MaxInt32))}
	}
	return nil
}

// untold leaves out of errs each error about a field that one of told is
// about: a replicas of the wrong type or out of the int32 range is the
// schema's error, and the scale subresource's about it would only repeat
// it ("accessor error: 3 is of the type string, expected int64").
func untold(errs, told fieldpath.ErrorList) fieldpath.ErrorList {
	var out fieldpath.ErrorList
	for _, e := range errs {
		if !slices.ContainsFunc(told, func(t *fieldpath.Error) bool {
			f, _, _ := compositePath(t)
			return f == e.Field
		}) {
			out = append(out, e)
		}
	}
	return out
}
