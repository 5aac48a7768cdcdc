package validate

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	fieldpath "k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apimachinery/pkg/util/version"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	kjson "sigs.k8s.io/json"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/builtinkinds"
	"github.com/kiln-gitops/kiln/internal/carry"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/internal/redact"
	"github.com/kiln-gitops/kiln/templates"
)

// scheme knows the Go type of every checked kind: what the checks ask of
// one kind they ask of its group version's scheme (gvScheme), and this one
// only when looking for the versions that define a kind. It is built once, on
// first use, into a scheme of our own (client-go's scheme.Scheme is a
// shared global we must not add to); a built scheme is only read, which is
// safe for concurrent use.
var scheme = sync.OnceValue(func() *runtime.Scheme {
	s := runtime.NewScheme()
	// client-go's built-in kinds, CustomResourceDefinitions and
	// APIServices. Flux's
	// kinds are checked against the pinned Flux CRDs instead (crd.go),
	// which also know the versions Flux no longer serves.
	addToScheme := []func(*runtime.Scheme) error{
		clientgoscheme.AddToScheme,
		apiextensionsv1.AddToScheme,
		apiregistrationv1.AddToScheme,
	}
	// Registering fixed, known types cannot fail; a failure is a bug in
	// the dependencies, caught by every test of this package.
	for _, add := range addToScheme {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return s
})

// Objects is ObjectsContext with a context that never ends.
func (e *Env) Objects(app string, objs []templates.Object) error {
	return e.ObjectsContext(context.Background(), app, objs)
}

// ObjectsContext checks every object of objs and returns one *diag.Error
// per problem, joined. app names the app in the errors. An object whose group
// and kind a CRD of the env (or a pinned Flux CRD) defines is validated
// against that CRD as the API server would; an object of a kind client-go
// knows is decoded strictly into its Go type (unknown and duplicate fields,
// wrong types); objects of other kinds pass.
//
// Objects are checked in parallel (up to GOMAXPROCS at once); the errors
// come in the order of objs.
//
// Once ctx ends (--timeout, a signal) no further object is checked and a
// CEL rule being evaluated stops: a CRD's rules, or a few hundred
// thousand entries, can keep one object's checks busy for seconds, and an
// env holds up to 100,000 objects. What the checks found is then dropped
// for the one error Stopped returns: a check cut short may have found
// nothing, or only its own interruption.
func (e *Env) ObjectsContext(ctx context.Context, app string, objs []templates.Object) error {
	// First what each object is and whether it was found clean before;
	// then the schemas that the objects to check need, each compiled once
	// and distinct ones side by side, before the checks themselves: a
	// chart's custom resources come in runs of one kind, whose checks
	// would otherwise wait, one core idle, for the first of them to
	// compile the kind's validators (kube-prometheus-stack's CEL rules).
	preps := make([]prepared, len(objs))
	carry.Each(len(objs), func(i int) {
		if ctx.Err() == nil {
			preps[i] = e.prepare(objs[i])
		}
	})
	var needs []func()
	if ctx.Err() == nil {
		needs = e.needs(preps)
	}
	perObject := make([][]error, len(objs))
	carry.Each(len(needs)+len(objs), func(i int) {
		if ctx.Err() != nil {
			return
		}
		if i < len(needs) {
			// Only a head start: a compile that panics panics again for
			// the object that needs it, which reports it (object).
			defer func() { _ = recover() }()
			needs[i]()
			return
		}
		i -= len(needs)
		perObject[i] = notePatches(inPatch(e.object(ctx, app, objs[i], preps[i]), objs[i]), objs[i].Patches)
	})
	if err := ctx.Err(); err != nil {
		return Stopped(app, err)
	}
	var errs []error
	for _, oe := range perObject {
		errs = append(errs, oe...)
	}
	return diag.Join(errs...)
}

// ErrStopped is, beside the context's error, the cause of the error of a
// validation whose context ended before it checked every object.
var ErrStopped = errors.New("validation stopped")

// Stopped is the error of app's validation stopped by err, its context's
// error: errors.Is finds both ErrStopped and err in it.
func Stopped(app string, err error) error {
	return &diag.Error{App: app, Msg: "validation stopped before it checked every object: " + err.Error(),
		Err: fmt.Errorf("%w: %w", ErrStopped, err)}
}

// inPatch points each error about a field that a patch of o's kustomize
// tree wrote (o.Fields) at the patch: o's resource file does not hold the
// field as it was built, and a reviewer sent there would edit a base the
// patch overrides again. The hint's note that the field is not in the
// file as written goes: the patch is named instead. Left alone when an
// env patch applies to o, which may have written the field after
// kustomize (notePatches names those).
func inPatch(errs []error, o templates.Object) []error {
	if len(o.Fields) == 0 || len(o.Patches) > 0 {
		return errs
	}
	for i, err := range errs {
		var d *diag.Error
		if !errors.As(err, &d) || d.Field == "" || d.File != o.File {
			continue
		}
		f, ok := o.WrittenAt(DottedPath(d.Field))
		if !ok {
			continue
		}
		errs[i] = writtenAt(d, f, o)
	}
	return errs
}

// writtenAt returns d pointed at f, where a patch or a generator wrote
// its field.
func writtenAt(d *diag.Error, f templates.FieldAt, o templates.Object) *diag.Error {
	c := *d
	c.File, c.Line = f.File, f.Line
	if at := strings.Index(c.Hint, overlayPrefix); at >= 0 {
		c.Hint = c.Hint[:at]
	}
	if f.Generator != "" {
		c.Hint += "; " + f.Generator + " (" + o.File + ":" + strconv.Itoa(o.Line) + ") makes the key from this line"
	} else {
		c.Hint += "; the patch writes the field over " + o.File + ", the object's resource file"
	}
	return &c
}

// notePatches adds to the hint of each error about an object the env
// patches that apply to it: a field a patch set or changed has no line of
// the object's file (the error points at the object, or at the field it
// replaced), and the fix belongs in the env file.
func notePatches(errs []error, patches []string) []error {
	if len(patches) == 0 {
		return errs
	}
	note := "the env patch at " + patches[0] + " applies to this object: the field may come from it"
	if len(patches) > 1 {
		note = "the env patches at " + strings.Join(patches, ", ") + " apply to this object: the field may come from one of them"
	}
	for i, err := range errs {
		var d *diag.Error
		if !errors.As(err, &d) {
			continue
		}
		hint := note
		if d.Hint != "" {
			hint = d.Hint + "; " + note
		}
		errs[i] = d.WithHint(hint)
	}
	return errs
}

// prepared is what Objects knows of an object before checking it.
type prepared struct {
	check   bool // false: nothing to check, or remembered clean
	gvk     schema.GroupVersionKind
	ref     *crdRef // the CRD of its kind, nil for none
	enc     encoded
	key     cleanKey
	persist bool     // its CleanKey may be kept
	pk      CleanKey // its CleanKey, when persist
}

// prepare reads o's kind and encoding. An object whose JSON encoding this
// run has already found clean under the same CRD (or none) and
// kubeVersion is not checked again: every check reads the object only
// through that encoding (TestCleanObjectsRemembered), and envs of one run
// share most of their objects, each checked by the kube-openapi
// validator, which is most of what validating costs. The same holds
// across runs, through CleanKey (Schemas.Seed): the CRD then named by its
// content. The app, the file and the line only go into error messages.
// Objects with problems are always checked, so their errors name their
// own file, line and app.
func (e *Env) prepare(o templates.Object) prepared {
	if o.Node == nil {
		return prepared{}
	}
	gv, err := schema.ParseGroupVersion(o.Node.GetApiVersion())
	if err != nil {
		return prepared{} // refused when the object was read
	}
	p := prepared{check: true, gvk: gv.WithKind(o.Node.GetKind())}
	p.ref = e.ref(gv.Group, p.gvk.Kind)
	p.enc = e.encode(o)
	p.key = cleanKey{sum: p.enc.sum, kube: e.kubeVersion}
	if p.ref != nil {
		p.key.crd, p.key.hasCRD = p.ref.sum, true
	}
	// Nothing about a Secret leaves the run, not even a digest: a Secret
	// with a guessable value could be found by hashing guesses. The test
	// is on the encoding, so a List holding a Secret counts too.
	p.persist = p.enc.err == nil && o.Raw == nil && !bytes.Contains(p.enc.data, []byte(`"Secret"`))
	if p.persist {
		p.pk = p.key.persistent()
	}
	if p.enc.err == nil && e.schemas.wasClean(p.key, p.persist, p.pk) {
		if p.persist {
			e.noteClean(p.pk)
		}
		p.check = false
	}
	return p
}

// needs returns what the checks of the prepared objects will compile,
// each once, in the order the objects first need them: a CRD and the
// validators of one of its versions. Compiling ahead changes nothing the
// checks find: each is compiled once per content whoever asks first
// (TestCompileAheadChangesNothing). A built-in kind's schema is compiled
// by the checks, for the shape of their objects (kindSchemas).
func (e *Env) needs(preps []prepared) []func() {
	type need struct {
		ref *crdRef
		gvk schema.GroupVersionKind
	}
	seen := map[need]bool{}
	var out []func()
	for _, p := range preps {
		if !p.check || p.enc.err != nil {
			continue
		}
		n := need{ref: p.ref, gvk: p.gvk}
		if seen[n] {
			continue
		}
		seen[n] = true
		if ref, version := p.ref, p.gvk.Version; ref != nil {
			out = append(out, func() { ref.get().compileVersion(version) })
		}
	}
	return out
}

// object checks one prepared object.
func (e *Env) object(ctx context.Context, app string, o templates.Object, p prepared) (errs []error) {
	if !p.check {
		return nil
	}
	defer func() {
		// The API server's packages expect objects its decoder and
		// defaulting made; should one fail on what a template wrote, the
		// object is refused and the run goes on.
		if r := recover(); r != nil {
			errs = []error{&diag.Error{File: o.File, Line: o.Line, App: app, Object: objectOf(o.Node),
				Msg:  "kiln's validation failed unexpectedly on this object: " + redact.Operands(fmt.Sprint(r)),
				Hint: "this is a bug in kiln or in the Kubernetes code it validates with; please report it with the object (its values removed)"}}
		}
	}()
	if e.schemas != nil {
		e.schemas.checks.Add(1)
	}
	var c *crd
	if p.ref != nil {
		c = p.ref.get()
	}
	errs = HideSecretKeys(o, e.check(ctx, app, o, p.gvk, c, p.enc))
	// A check that ctx cut short may have found nothing for not looking.
	if len(errs) == 0 && p.enc.err == nil && ctx.Err() == nil {
		e.schemas.markClean(p.key)
		if p.persist {
			e.noteClean(p.pk)
		}
	}
	return errs
}

// check runs every check of one object, whose encoding is enc, and whose
// CRD is c (nil for none). Its schema and rules are not checked once ctx
// ends, nor when the object is too large to store: that refusal stands
// whatever else is wrong, and checking every field of a 27 MB ConfigMap
// took 80 s and 3 GB.
func (e *Env) check(ctx context.Context, app string, o templates.Object, gvk schema.GroupVersionKind, c *crd, enc encoded) []error {
	errs := checkMeta(app, o, gvk, enc, e.kube, clusterScoped(gvk, c))
	typed := newTyped(gvk)
	// What is not a built-in kind is a custom resource (or served by an
	// aggregated API server, which kiln cannot tell apart): stored as JSON.
	sizeErrs := checkSize(app, o, c != nil || typed == nil, enc)
	errs = append(errs, sizeErrs...)
	if c != nil {
		if len(sizeErrs) > 0 {
			return append(errs, crNotServed(app, o, c, gvk)...)
		}
		return append(errs, checkCR(ctx, app, o, c, gvk, enc, e.rules, celCompat(e.kube))...)
	}
	if msg, hint := servedError(e.kube, gvk, typed); msg != "" {
		return append(errs, &diag.Error{File: o.File, Line: o.LineOf(keyNode(o, "apiVersion")), App: app, Object: objectOf(o.Node), Msg: msg, Hint: hint, Err: ErrNotServed})
	}
	if typed != nil {
		if msg, hint := unstored(gvk); msg != "" {
			return append(errs, &diag.Error{File: o.File, Line: o.LineOf(keyNode(o, "kind")), App: app, Object: objectOf(o.Node), Msg: msg, Hint: hint, Err: ErrNotServed})
		}
	}
	if typed == nil {
		if msg, hint := e.notServed(gvk); msg != "" {
			errs = append(errs, &diag.Error{File: o.File, Line: o.LineOf(keyNode(o, "apiVersion")), App: app, Object: objectOf(o.Node), Err: ErrNotServed, Msg: msg, Hint: hint})
		}
		// Of a kind kiln cannot check, but kustomize build refuses the
		// tag or key whatever the kind, and with it the app's whole
		// folder.
		base := diag.Error{File: o.File, Line: o.Line, App: app, Object: objectOf(o.Node)}
		var te *tagError
		if errors.As(enc.err, &te) {
			errs = append(errs, encodeError(o, base, enc.err))
		}
		return append(errs, duplicateKeys(o, base, enc)...)
	}
	if len(sizeErrs) > 0 || ctx.Err() != nil {
		return errs
	}
	decodeErrs, reported, decoded := decode(app, o, gvk, typed, e.schemas, enc)
	errs = append(errs, decodeErrs...)
	if len(decodeErrs) == 0 {
		sizeErrs = checkStoredSize(app, o, gvk, typed, decoded, enc)
		errs = append(errs, sizeErrs...)
	}
	if len(sizeErrs) > 0 || ctx.Err() != nil {
		return errs
	}
	// What the API server drops before it validates, it does not refuse:
	// the schema's and the rules' problems below those fields are left
	// out (the dropped-field warnings tell of the fields).
	dropped := &droppedFields{e: e, o: o}
	schemaErrs, missing, dups := checkBuiltin(app, o, gvk, reported, enc, e.kube, dropped)
	// A CRD whose compiling decoded it cleanly is not decoded into typed
	// again, and apirules has no rules for CRDs (TestRulesSkipCRDs).
	var ruleErrs []error
	if len(decodeErrs) == 0 && decoded && ctx.Err() == nil {
		ruleErrs = checkRules(app, o, gvk, typed, missing, dups, e.kube, dropped)
	}
	return slices.Concat(errs, withoutRuled(schemaErrs, ruleErrs), ruleErrs)
}

// withoutRuled leaves out of the schema's errors each one that a rule of
// the API server's tells too, of the same field and of the same type:
// one mistake, one error, and the rule's is the one that knows the kind
// (a Deployment's restartPolicy: "supported values: Always", where the
// pod schema's enum lists Never and OnFailure too).
func withoutRuled(schemaErrs, ruleErrs []error) []error {
	type told struct {
		field string
		typ   fieldpath.ErrorType
	}
	key := func(err error) (told, bool) {
		var d *diag.Error
		var fe *fieldpath.Error
		if !errors.As(err, &d) || !errors.As(d.Err, &fe) {
			return told{}, false
		}
		return told{DottedPath(d.Field), fe.Type}, true
	}
	ruled := map[told]bool{}
	for _, err := range ruleErrs {
		if k, ok := key(err); ok {
			ruled[k] = true
		}
	}
	return slices.DeleteFunc(schemaErrs, func(err error) bool {
		k, ok := key(err)
		return ok && ruled[k]
	})
}

// duplicateKeys reports each key written twice in a mapping of o, an
// object of a kind kiln cannot check (the strict decoding of every other
// kind reports them, in the same words): kustomize build, which Flux runs
// on the app's folder, refuses a key twice ("mapping key already
// defined") whatever the kind, and with it the app's whole folder.
func duplicateKeys(o templates.Object, base diag.Error, enc encoded) []error {
	if enc.err != nil {
		return nil
	}
	dups := objects.DuplicateKeys(o.Node.YNode())
	errs := make([]error, 0, len(dups))
	for _, d := range dups {
		e := base
		e.Line, e.Field = o.LineOf(d.Key), d.Path
		e.Msg, e.Hint = fmt.Sprintf("duplicate field %q", d.Path), "remove one of the two"
		errs = append(errs, &e)
	}
	return errs
}

// encoded is an object's JSON encoding, made once and read by each check.
type encoded struct {
	data []byte
	sum  [32]byte // sha256 of data
	err  error    // why the object cannot be encoded (data is nil then)
}

// encode is the package's encode, taking the encoding Env made of a CRD
// object instead of making it again.
func (e *Env) encode(o templates.Object) encoded {
	e.mu.Lock()
	enc, ok := e.encoded[o.Node.YNode()]
	delete(e.encoded, o.Node.YNode())
	e.mu.Unlock()
	if ok {
		return enc
	}
	return encode(o)
}

func encode(o templates.Object) encoded {
	e := &encoder{}
	hint := sizeHint(o.Node.YNode())
	e.buf.Grow(hint + hint/16)
	if err := e.encode(o.Node.YNode(), nil); err != nil {
		return encoded{err: err}
	}
	return encoded{data: e.buf.Bytes(), sum: sha256.Sum256(e.buf.Bytes())}
}

// indexed encodes o again, remembering where each field went: only an
// object with a problem to locate needs it.
func indexed(o templates.Object) *encoder {
	idx := &encoder{index: map[string]*field{}}
	_ = idx.encode(o.Node.YNode(), nil) // encodable: the checks that call this had its encoding
	return idx
}

// ErrNotServed is the cause of every error about an apiVersion and kind
// the cluster does not serve, or serves but does not store (unstored).
var ErrNotServed = errors.New("API version not served")

// apiRelease is the Kubernetes release of the pinned k8s.io/api.
const apiRelease = "1.37"

// apiReleaseMinor is apiRelease's minor release.
var apiReleaseMinor = version.MustParseGeneric(apiRelease).Minor()

func groupName(g string) string {
	if g == "" {
		return "the core group"
	}
	return g
}

// notServed says why no cluster serves gvk, a kind k8s.io/api has no type
// for, and "" when a cluster might (a custom resource):
//   - its group is one of Kubernetes' own (apps/v2 Deployment, v1
//     Deployment, apps/v1 Service);
//   - its group has no dot and is no Kubernetes group, and its kind is a
//     Kubernetes kind: a group or version written wrong (core/v1
//     ConfigMap, networking/v1 Ingress, rbac/v1 Role). No
//     CustomResourceDefinition can define such a group (the API server
//     wants a dot in spec.group), and an aggregated API that serves a
//     Kubernetes kind under a name like a Kubernetes group is not one a
//     cluster has;
//   - its group is one of Flux's and no embedded Flux CRD defines it
//     (notFlux).
//
// Flux's dry run refuses such an object, and with it the app's whole
// Kustomization; kiln would otherwise only warn that it does not know
// the kind.
func (e *Env) notServed(gvk schema.GroupVersionKind) (msg, hint string) {
	// The cheap tests first: an unknown custom resource of a dotted group
	// (most of what comes here) scans no scheme.
	if !builtinGroup(gvk.Group) && strings.Contains(gvk.Group, ".") {
		return e.notFlux(gvk)
	}
	if _, ok := removedBeforeAPI[gvk]; ok {
		// A kind k8s.io/api no longer defines: servedError refuses it
		// from the release that stopped serving it, and kubeVersion is
		// older.
		return "", ""
	}
	same, other := servedVersions(scheme(), e.kube, gvk)
	switch {
	case builtinGroup(gvk.Group):
		msg = fmt.Sprintf("%s %s is not a kind Kubernetes serves: %s is a Kubernetes API group, and no version of Kubernetes up to %s defines this kind in %s", gvk.GroupVersion(), gvk.Kind, groupName(gvk.Group), apiRelease, gvk.GroupVersion())
	case len(other) > 0:
		msg = fmt.Sprintf("%s %s is not a kind Kubernetes serves: %s is not an API group (a CustomResourceDefinition's group has a dot), and %s is a Kubernetes kind", gvk.GroupVersion(), gvk.Kind, gvk.Group, gvk.Kind)
	default:
		return "", ""
	}
	switch {
	case len(same) > 0:
		return msg, "use apiVersion " + strings.Join(same, " or ")
	case len(other) > 0:
		return msg, fmt.Sprintf("%s is served as %s: use apiVersion %s", gvk.Kind, strings.Join(other, " or "), other[0])
	}
	hint = "check the kind's spelling and apiVersion"
	if c := diag.Closest(gvk.Kind, groupKinds(gvk.Group)); c != "" {
		hint = fmt.Sprintf("did you mean %q? ", c) + hint
	}
	return msg, hint
}

// groupKinds returns the kinds of group's versions kiln knows that one
// writes, sorted: resources k8s.io/api has a client for (not Scale or
// RangeAllocation), and the kinds of the two groups kiln adds to
// client-go's (CustomResourceDefinition, APIService).
func groupKinds(group string) []string {
	addedGroup := group == "apiextensions.k8s.io" || group == "apiregistration.k8s.io"
	var kinds []string
	for gv := range groupVersions {
		if gv.Group != group {
			continue
		}
		s := gvScheme(gv)
		for k := range s.AllKnownTypes() {
			// Lists and the options every group version registers
			// (ListOptions, WatchEvent) are not objects one writes.
			obj, err := s.New(k)
			if _, ok := obj.(metav1.Object); err != nil || !ok || strings.HasSuffix(k.Kind, "List") || slices.Contains(kinds, k.Kind) ||
				!addedGroup && !builtinkinds.Builtin(group, k.Kind) {
				continue
			}
			kinds = append(kinds, k.Kind)
		}
	}
	sort.Strings(kinds)
	return kinds
}

// notFlux says why gvk, of one of Flux's groups, is no kind of the Flux
// release kiln embeds ("" for a group that is not Flux's). No CRD of the
// env defines it: check looks there first.
func (e *Env) notFlux(gvk schema.GroupVersionKind) (msg, hint string) {
	if e.schemas == nil {
		return "", ""
	}
	kinds := e.schemas.fluxKinds(gvk.Group)
	if len(kinds) == 0 {
		return "", ""
	}
	msg = fmt.Sprintf("%s %s is not a kind of the Flux release kiln checks against: no CustomResourceDefinition of %s defines it", gvk.GroupVersion(), gvk.Kind, gvk.Group)
	hint = "check the kind's spelling; if the cluster runs a newer Flux that has this kind, list its CustomResourceDefinition under validation.crds in kiln.yaml"
	if c := diag.Closest(gvk.Kind, kinds); c != "" {
		hint = fmt.Sprintf("did you mean %q? ", c) + hint
	}
	return msg, hint
}

// NotServed reports whether validation refuses apiVersion and kind, of no
// type kiln knows, as no kind any cluster serves (notServed) or a kind
// kubeVersion no longer serves (servedError); render then does not also
// warn that it guessed the object's scope.
func (e *Env) NotServed(apiVersion, kind string) bool {
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil || e.ref(gv.Group, kind) != nil || newTyped(gv.WithKind(kind)) != nil {
		return false
	}
	if msg, _ := servedError(e.kube, gv.WithKind(kind), nil); msg != "" {
		return true
	}
	msg, _ := e.notServed(gv.WithKind(kind))
	return msg != ""
}

// ServedError says why the API server of kubeVersion serves no built-in
// apiVersion kind (apps/v1beta1 Deployment from 1.16 on, a Kubernetes
// kind in a group that does not have it), with the apiVersion to use
// instead; "" when it serves it, or when the kind is a custom one (a
// CRD's, whose versions objects of the kind are checked against). For
// what names a kind without being an object of it: a Flux health check.
func (e *Env) ServedError(apiVersion, kind string) (msg, hint string) {
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return "", ""
	}
	if r := e.ref(gv.Group, kind); r != nil {
		// A CRD's kind (Flux's own included): the versions it serves.
		c := r.get()
		if c == nil || c.err != nil {
			return "", "" // refused where the CRD is checked
		}
		if v := c.versions[gv.Version]; v != nil && v.served {
			return "", ""
		}
		return fmt.Sprintf("%s does not serve apiVersion %s for kind %s (it serves %s)", c.where, apiVersion, kind, servedList(c)), servedHint(c)
	}
	gvk := gv.WithKind(kind)
	typed := newTyped(gvk)
	if msg, hint := servedError(e.kube, gvk, typed); msg != "" {
		return msg, hint
	}
	if typed == nil && builtinGroup(gv.Group) {
		return e.notServed(gvk)
	}
	return "", ""
}

// KindServed reports whether the env's Kubernetes (or the CRD of the
// kind, Flux's embedded ones included) serves kind in group in some
// version. Flux's health checks look an object up by group and kind alone
// (kustomize-controller's inventory.ReferenceToObjMetadataSet keeps no
// version; kstatus's poller maps the GroupKind to the version the cluster
// prefers), so a check written with a version no longer served still
// finds its object when this is true.
func (e *Env) KindServed(group, kind string) bool {
	if r := e.ref(group, kind); r != nil {
		c := r.get()
		return c != nil && c.err == nil && len(c.served) > 0
	}
	if e.kube == nil {
		return false
	}
	same, _ := servedVersions(scheme(), e.kube, schema.GroupVersionKind{Group: group, Kind: kind})
	return len(same) > 0
}

// servedVersions returns the versions of gvk's kind that kube serves,
// sorted: same in gvk's group, other in the other groups.
func servedVersions(s *runtime.Scheme, kube *version.Version, gvk schema.GroupVersionKind) (same, other []string) {
	for k := range s.AllKnownTypes() {
		if k.Kind != gvk.Kind || k.Version == runtime.APIVersionInternal {
			continue
		}
		typed, err := s.New(k)
		if err != nil {
			continue
		}
		if msg, _ := servedError(kube, k, typed); msg != "" {
			continue
		}
		if k.Group == gvk.Group {
			same = append(same, k.GroupVersion().String())
		} else {
			other = append(other, k.GroupVersion().String())
		}
	}
	return preferStable(same), preferStable(other)
}

// preferStable sorts versions and keeps only the stable ones (v1, apps/v1)
// when there are any: a hint names what to write, and a cluster serves an
// alpha version only when its operator turned it on.
func preferStable(versions []string) []string {
	sort.Strings(versions)
	stable := slices.DeleteFunc(slices.Clone(versions), func(gv string) bool {
		return strings.ContainsAny(gv[strings.LastIndex(gv, "/")+1:], "ab")
	})
	if len(stable) > 0 {
		return stable
	}
	return versions
}

// decode decodes one object, encoded as enc, into typed. It returns the
// errors, the field paths they are about (nil when the object cannot be
// encoded) and whether typed holds the object. A CustomResourceDefinition
// that s compiled was decoded strictly then; it is not decoded again when
// that found nothing (the decoding of a large CRD's schema is most of what
// compiling it costs), and typed stays empty.
func decode(app string, o templates.Object, gvk schema.GroupVersionKind, typed runtime.Object, s *Schemas, enc encoded) ([]error, map[string]bool, bool) {
	if enc.err != nil {
		return []error{encodeError(o, diag.Error{File: o.File, Line: o.Line, App: app, Object: objectOf(o.Node)}, enc.err)}, nil, false
	}
	reported := map[string]bool{}
	bad := bytesNotStrings(o.Node.YNode(), reflect.TypeOf(typed))
	if gvk == crdGVK && len(bad) == 0 && s.decodedClean(enc.sum) {
		return nil, reported, false
	}
	strict, err := kjson.UnmarshalStrict(enc.data, typed)
	if err == nil && len(strict) == 0 && len(bad) == 0 {
		return nil, reported, true
	}
	// The decoder reports one bad value per run (the first of the wrong
	// type, or the one whose own decoder fails, after which it stops), so
	// decode again with each bad value found so far written as null, until
	// a run finds no new one: every error of the object, together. Encoding
	// again with an index locates each; objects without problems never pay.
	base := diag.Error{File: o.File, App: app, Object: objectOf(o.Node)}
	against := gvk.GroupVersion().String() + " " + gvk.Kind
	var errs []error
	seen := map[string]bool{}
	nulls := map[string]bool{}
	// A []byte field that is not a string is written as null from the
	// start: encoding/json would take a list of numbers for it, and tell
	// a list of anything else as a wrong element.
	for _, b := range bad {
		errs = append(errs, bytesError(o, base, b))
		nulls[b.path] = true
		reported[b.path] = true
	}
	for round := 0; round < maxRounds; round++ {
		idx := &encoder{index: map[string]*field{}, nulls: nulls}
		_ = idx.encode(o.Node.YNode(), nil)
		if round > 0 || len(bad) > 0 {
			fresh := newTyped(gvk)
			strict, err = kjson.UnmarshalStrict(idx.buf.Bytes(), fresh)
		}
		for _, se := range strict {
			if seen[se.Error()] {
				continue
			}
			seen[se.Error()] = true
			errs = append(errs, strictError(o, base, idx, typed, against, se))
			var fe kjson.FieldError
			if errors.As(se, &fe) {
				reported[fe.FieldPath()] = true
			}
		}
		if err == nil {
			break
		}
		d, bad := valueError(o, base, idx, typed, against, err)
		errs = append(errs, d)
		if bad == nil || nulls[bad.path] {
			break
		}
		nulls[bad.path] = true
		reported[bad.path] = true
	}
	return errs, reported, true
}

// maxRounds bounds the decoding rounds of one object: a hostile object
// with thousands of bad values gets its first ones reported, in bounded time.
const maxRounds = 32

// strictError locates an unknown or duplicate field.
func strictError(o templates.Object, base diag.Error, idx *encoder, typed runtime.Object, against string, se error) error {
	d := base
	d.Msg, d.Err = se.Error(), se
	d.Line = o.LineOf(nil)
	var fe kjson.FieldError
	if !errors.As(se, &fe) {
		return &d
	}
	d.Field = fe.FieldPath()
	f := idx.index[fe.FieldPath()]
	duplicate := strings.HasPrefix(se.Error(), "duplicate field")
	if f != nil {
		n := f.key
		if duplicate && f.dup != nil {
			n = f.dup
		}
		d.Line = o.LineOf(n)
	}
	switch {
	case duplicate:
		d.Hint = "remove one of the two"
	default:
		d.Hint = fmt.Sprintf("check the spelling against %s, or remove the field", against)
		if f != nil && typed != nil {
			if c := closestField(typed, f.segments); c != "" {
				d.Hint = fmt.Sprintf("did you mean %q? check the spelling against %s, or remove the field", c, against)
			}
		}
		if f != nil {
			d.Hint += overlayNote(o, f.key)
		}
	}
	return &d
}

// valueError locates a value the decoder refused: one of the wrong type
// (the error gives its byte offset), or one whose type's own decoder
// failed (a quantity, a timestamp: no offset, so each value is tried
// against the Go type at its path). It returns the field, nil when it
// cannot be found.
func valueError(o templates.Object, base diag.Error, idx *encoder, typed runtime.Object, against string, err error) (error, *field) {
	d := base
	d.Err = err
	d.Line = o.LineOf(nil)
	if te, ok := typeError(err); ok {
		v := idx.at(te.offset)
		path := "the object"
		if v != nil {
			path = fmt.Sprintf("field %q", v.path)
			d.Line = o.LineOf(v.key)
			d.Field = v.path
		}
		d.Msg = fmt.Sprintf("wrong type for %s: got %s, want %s", path, jsonKind(te.value), typeName(te.typ))
		d.Hint = fmt.Sprintf("check the field's type in %s", against)
		if jsonKind(te.value) == "bool" && typeName(te.typ) == "string" {
			// The template may say `on`: kiln writes a chart's YAML 1.1
			// booleans as helm install reads them (objects.ResolveYAML11Bools).
			d.Hint = "quote the value if text is meant: in a Helm chart's output an unquoted yes, no, on, off, y or n is a boolean too, as helm install reads it (use | quote in the template)"
		}
		if r := outOfRange(te); r != "" {
			d.Msg = fmt.Sprintf("%s: %s is out of the %s range (%s)", path, strings.TrimPrefix(te.value, "number "), te.typ.Kind(), r)
			d.Hint = fmt.Sprintf("write a number in range: the field's Go type cannot hold it, and the API server refuses the object (\"cannot unmarshal number … of type %s\")", te.typ.Kind())
		}
		if v != nil {
			d.Hint += overlayNote(o, v.key)
		}
		return &d, v
	}
	// A type's own decoder quotes the value it refused, or a piece of it
	// (time.Parse: `cannot parse "rest of the value" as "01"`), and the
	// value may be a secret: a secret var that the redactor masks only
	// whole, or a Secret's data from a values file no redactor knows. So
	// the message keeps its words and no operand (redact.Operands); the
	// field and line say where the value is. errors.Unwrap still gives the
	// decoder's own error.
	what := redact.Operands(err.Error())
	hint := fmt.Sprintf("check the field's value against %s", against)
	var corrupt base64.CorruptInputError
	if errors.As(err, &corrupt) {
		// Its byte offset says where the first character outside base64
		// is in the value: no offset, and what to do instead.
		what = "not valid base64"
		hint = "the field holds bytes, which the API reads as base64: encode the value (base64 -w0 < file)"
	}
	d.Msg = "invalid value: " + what
	d.Hint = fmt.Sprintf("check the object against %s", against)
	v := idx.refused(reflect.TypeOf(typed))
	if v != nil {
		d.Msg = fmt.Sprintf("invalid value for field %q: %s", v.path, what)
		d.Line = o.LineOf(v.key)
		d.Field = v.path
		if what == "not valid base64" {
			hint = base64Hint(o.Node.GetKind(), v.path, hint)
		}
		d.Hint = hint + overlayNote(o, v.key)
	}
	return &d, v
}

// base64Hint says how to write a byte field's value: a Secret's data and
// a ConfigMap's binaryData have a text field beside them; another (a
// webhook's or a CRD conversion's caBundle) takes only base64. The
// Secret's hint was given for every field, a CRD's caBundle included.
func base64Hint(kind, path, other string) string {
	switch {
	case kind == "Secret" && strings.HasPrefix(path, "data"):
		return "the values of a Secret's data are base64-encoded: encode the value, or put it in plain text under stringData"
	case kind == "ConfigMap" && strings.HasPrefix(path, "binaryData"):
		return "the values of a ConfigMap's binaryData are base64-encoded: encode the value, or put text under data"
	}
	return other
}

// typeErr is what sigs.k8s.io/json says about a value of the wrong type.
type typeErr struct {
	value  string
	typ    reflect.Type
	offset int64
}

// typeError reads sigs.k8s.io/json's UnmarshalTypeError. The type lives in
// an internal package of that module, so errors.As cannot name it; its
// exported fields are read by reflection instead of parsing the message.
func typeError(err error) (typeErr, bool) {
	v := reflect.ValueOf(err)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct || v.Elem().Type().Name() != "UnmarshalTypeError" {
		return typeErr{}, false
	}
	s := v.Elem()
	value, typ, off := s.FieldByName("Value"), s.FieldByName("Type"), s.FieldByName("Offset")
	if value.Kind() != reflect.String || off.Kind() != reflect.Int64 || !typ.IsValid() {
		return typeErr{}, false
	}
	t, _ := typ.Interface().(reflect.Type)
	return typeErr{value: value.String(), typ: t, offset: off.Int()}, t != nil
}

// outOfRange returns the range of the integer type te wanted, "" unless
// te's value is an integer, which is then out of it: 99999999999 for an
// int32 is an integer all the same, not of the wrong type.
func outOfRange(te typeErr) string {
	n, ok := strings.CutPrefix(te.value, "number ")
	if !ok {
		return ""
	}
	if _, ok := new(big.Int).SetString(n, 10); !ok {
		return "" // a fraction or an exponent: not an integer as written
	}
	t := te.typ
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		low := int64(-1) << (t.Bits() - 1)
		return fmt.Sprintf("%d to %d", low, ^low)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return fmt.Sprintf("0 to %d", ^uint64(0)>>(64-t.Bits()))
	}
	return ""
}

// typeName names a Go type the way a manifest author thinks of it.
func typeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.String() {
	case "resource.Quantity":
		return "a quantity (string or number)"
	case "intstr.IntOrString":
		return "an integer or a string"
	case "v1.Time", "v1.MicroTime":
		return "a timestamp string"
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return "base64 string"
		}
		return "list"
	case reflect.Map, reflect.Struct:
		return "mapping"
	}
	return t.String()
}

// jsonKind names what the JSON decoder found in YAML terms: "array" is a
// list and "object" a mapping; "number 3" and "string" stay.
func jsonKind(v string) string {
	switch v {
	case "array":
		return "list"
	case "object":
		return "mapping"
	}
	return v
}

// typeAt returns the Go type at a field path below t, nil when the path
// leaves the type (an unknown field) or goes through an interface.
func typeAt(t reflect.Type, segments []string) reflect.Type {
	for _, s := range segments {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		switch {
		case strings.HasPrefix(s, "["):
			if t.Kind() != reflect.Slice && t.Kind() != reflect.Array {
				return nil
			}
			t = t.Elem()
		case t.Kind() == reflect.Map:
			t = t.Elem()
		case t.Kind() == reflect.Struct:
			f, ok := jsonFields(t)[s]
			if !ok {
				return nil
			}
			t = f
		default:
			return nil
		}
	}
	return t
}

// closestField suggests the field of the struct around an unknown field
// whose name is closest to it, walking typed's Go type along segments.
func closestField(typed runtime.Object, segments []string) string {
	if len(segments) == 0 {
		return ""
	}
	t := typeAt(reflect.TypeOf(typed), segments[:len(segments)-1])
	if t == nil {
		return ""
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return ""
	}
	var names []string
	for n := range jsonFields(t) {
		names = append(names, n)
	}
	return diag.Closest(segments[len(segments)-1], names)
}

// jsonFields maps the JSON names of a struct's fields, inlined embedded
// structs included, to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if f.Anonymous && name == "" {
			et := f.Type
			for et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				for k, v := range jsonFields(et) {
					out[k] = v
				}
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

func objectOf(n *kyaml.RNode) diag.Object {
	return diag.Object{Kind: n.GetKind(), Namespace: n.GetNamespace(), Name: n.GetName()}
}
