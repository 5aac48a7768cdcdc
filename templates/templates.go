// Package templates defines the one interface every rendering engine
// implements, and the types that cross it.
//
// An engine turns an app's deployment templates (a Helm chart, a Kustomize
// overlay, a Jsonnet file, a folder of plain YAML) into Kubernetes objects,
// in process, reading nothing outside the repository root. Engines know
// nothing about kiln.yaml, environments files or the output tree: package
// render resolves those into a Request and post-processes the Result. The
// engines live in the sub-packages helm, kustomize, jsonnet and plain.
package templates

import (
	"context"
	"slices"
	"strings"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// Engine renders one app. Implementations must be safe for concurrent use:
// kiln renders apps and environments in parallel.
type Engine interface {
	Render(ctx context.Context, req *Request) (*Result, error)
}

// Request is everything an engine may use. Paths are slash-separated and
// relative to Root; {env} has already been replaced.
type Request struct {
	// Root is the absolute, symlink-free path of the repository root.
	// Engines read nothing outside it.
	Root string
	// App is the app's name: Helm's release name.
	App string
	// Namespace is the app's namespace: Helm's release namespace.
	Namespace string
	// Env is the environment's name (jsonnet's ext var `env`).
	Env string
	// KubeVersion is what Helm's .Capabilities.KubeVersion reports, e.g. "1.31.0".
	KubeVersion string

	// Path is what the engine renders: a chart folder or .tgz, or the chart's
	// name when ChartRepo is set (helm); a kustomization folder (kustomize);
	// a .jsonnet file (jsonnet); a folder of YAML files (plain).
	Path string

	// ChartRepo is an http(s) chart repository URL or an oci:// reference
	// prefix; empty for a chart inside the repository. Helm only.
	ChartRepo string
	// ChartVersion is the chart version constraint for a remote chart. Helm only.
	ChartVersion string
	// ValuesFiles are values files merged in order over the chart's defaults. Helm only.
	ValuesFiles []string
	// Values are the environment's values, merged last. Helm only.
	Values map[string]any
	// APIVersions are added to what .Capabilities.APIVersions lists, as
	// helm template's --api-versions adds them: the custom resources'
	// "group/version" and "group/version/Kind" the cluster serves besides
	// Kubernetes' own (validation.crds). Sorted. Helm only.
	APIVersions []string
	// SkipCRDs leaves out the CRD files of the chart's crds/ folders (its
	// subcharts' too), as helm template does without --include-crds.
	// Helm only.
	SkipCRDs bool

	// JPath lists import search folders, like jsonnet -J. Jsonnet only.
	JPath []string
	// ExtVars and TLAs are the user's external variables and top-level
	// arguments besides env, vars and images: a string is passed as a
	// string, any other value as its JSON. Jsonnet only.
	ExtVars, TLAs map[string]any

	// Vars are the ${VAR} values (plain) and jsonnet's `vars` object. Those
	// SecretVars names hold secret values: engines must not put them in
	// errors (SecretVarValues).
	Vars map[string]string
	// SecretVars are the names of the Vars that hold secret values.
	// Result.InputDigest covers their names only, never their values: the
	// digest is published in kiln.lock.json, and an unsalted hash of a
	// low-entropy secret can be guessed offline. Use DigestVars.
	SecretVars map[string]bool
	// Images maps a normalised image repository to the full reference CI
	// built (jsonnet's `images` object).
	Images map[string]string
}

// Object is one rendered Kubernetes object and where it came from.
type Object struct {
	// Node is the object. Engines hand over ownership: the caller may mutate it.
	Node *kyaml.RNode
	// File is the repository-relative file the object came from (for Helm,
	// the chart template named by "# Source:"), "" when unknown.
	File string
	// Line is the 1-based line of the object's first line in File, 0 when unknown.
	Line int
	// Raw is set for a SOPS-encrypted document (one with a top-level sops
	// key): the document's bytes exactly as the engine produced them. Its
	// MAC covers every value, so kiln writes Raw, never Node, and must not
	// change the object.
	Raw []byte
	// Patches name the env patches that apply to the object, where they
	// are written ("envs/dev.yaml:12"), in the order applied. kiln sets
	// them after the engine ran; an engine leaves them nil. A field a patch
	// set has no line in File, so errors about the object name them too.
	Patches []string
	// Overlay is, for an object of a kustomize build, the kustomization
	// file the build started from (repository-relative), when File is
	// another file: a field File does not hold was set by that
	// kustomization or one it includes (a patch, a replacement, a
	// transformer), so errors about such a field name it. "" otherwise.
	Overlay string
	// Fields are, for an object of a kustomize build, the fields a patch
	// of the tree (strategic merge or JSON 6902) wrote, each with the
	// place in the patch that wrote it: such a field is not in File as
	// written, or not with the value the build gave it, so an error
	// about it names the patch. kustomize records no such thing (its
	// origin annotation names the resource file only); the engine finds
	// it by reading the tree's patches against the output. Sorted by Path.
	Fields []FieldAt
	// Path is, for an object of a jsonnet output, where in the main file's
	// output it stands ("frontend.deployment", "[2].items[0]"): the line
	// of an object built by a function call is where the call starts, so
	// two objects of one call share File and Line and only Path tells
	// them apart. "" for other engines and an object that is the output.
	Path string
}

// FieldAt is where a field of an object was written outside the
// object's own file. Path is the field as validation errors name it, map
// keys joined by dots and list items as [i]
// ("spec.template.spec.containers[0].image"); File is
// repository-relative; Line is 1-based. Whole says the field was not in
// the object before the patch: everything below it is the patch's too.
type FieldAt struct {
	Path  string
	File  string
	Line  int
	Whole bool
	// Generator is, for a key of a ConfigMap or Secret a kustomize
	// generator made, the generator ("secretGenerator db"); "" for a
	// field a patch wrote.
	Generator string
}

// WrittenAt returns where path, a field of the object in FieldAt's form,
// was written outside File: its own entry of Fields, or that of the
// nearest field above it that a patch added whole (a field the API server
// finds missing in a container a patch added is the patch's to give).
func (o Object) WrittenAt(path string) (FieldAt, bool) {
	for p, whole := path, false; p != ""; p, whole = parentPath(p), true {
		i, found := slices.BinarySearchFunc(o.Fields, p, func(f FieldAt, p string) int { return strings.Compare(f.Path, p) })
		if found && (!whole || o.Fields[i].Whole) {
			return o.Fields[i], true
		}
	}
	return FieldAt{}, false
}

// parentPath cuts the last key or list index off a path in FieldAt's
// form, "" at the top.
func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}

// LineOf returns the line of n, a node of the object, in the object's
// file: the object's line plus n's offset from the object's node when
// both are known, the object's own line when n has none (it came from a patch), 0
// when the object's line is unknown.
func (o Object) LineOf(n *kyaml.Node) int {
	root := o.Node.YNode()
	if o.Line <= 0 || n == nil || n.Line <= 0 || root.Line <= 0 {
		return o.Line
	}
	// A field may stand above its object: a jsonnet object's field whose
	// value a local defined before it (jsonnet's fieldLines).
	if l := o.Line + n.Line - root.Line; l > 0 {
		return l
	}
	return o.Line
}

// Result is what an engine produced.
type Result struct {
	// Objects in the engine's output order.
	Objects []Object
	// Inputs are the repository-relative files the render read, sorted
	// and unique. For remote charts it also names the chart reference. A
	// kustomize build names a file it read through a symlink both as it
	// asked for it and as the link's target (securefs's Opened).
	Inputs []string
	// InputDigest is "sha256:<hex>" over every input (file paths and
	// contents, parameters); equal digests mean equal inputs.
	InputDigest string
	// Params are the effective parameters, for reviewers: Helm's merged
	// values, jsonnet's ext vars or top-level arguments, plain's vars used.
	// They may hold secret values; the caller redacts.
	Params map[string]any
	// Cacheable says Deps name everything on disk the output depends on,
	// so that kiln may reuse this Result while the Request and every Dep
	// are unchanged (package render's cache). An engine sets it only when
	// it recorded every observation (reads, listings, lookups that found
	// nothing, symlink resolutions) and the output depends on no secret
	// value and nothing off the disk, such as a remote chart. False is
	// always safe.
	Cacheable bool
	// Deps are the observations the render made, recorded with package
	// internal/deps, sorted and unique. Meaningful only when Cacheable.
	Deps []Dep
	// Warnings are what the engine noticed without failing, as its
	// program prints them on stderr (helm template's values warnings), in
	// the order noticed, without duplicates. They never hold a value.
	Warnings []Warning
	// APIChecks are the API versions ("group/version" or
	// "group/version/Kind") a Helm chart's templates, its subcharts'
	// among them, test with .Capabilities.APIVersions.Has as a literal
	// string: what of a cluster's APIs the output may depend on, beyond
	// Request.APIVersions. Sorted, unique; nil for other engines.
	APIChecks []string
}

// Warning is one thing an engine noticed without failing. File names the
// file it is about (repository-relative), "" for the app as a whole, and
// Line the line in it (1-based), 0 for the whole file.
type Warning struct {
	File      string
	Line      int
	Msg, Hint string
}

// Dep is one observation of the repository a render depended on: Kind
// says what was looked at, Path where (repository-relative, slash
// separated, as the engine asked for it) and Sum what was seen. The
// cache reuses a render only when observing every Dep again gives the
// same Sum (internal/deps.Observe).
type Dep struct {
	Kind string
	Path string
	Sum  string
}

// SecretVarValues returns the Vars that SecretVars names: what an engine
// masks in a message it does not write itself (a Jsonnet error, a YAML
// parser's complaint about substituted text). A plain var is written in
// the clear in the env file, and masking it would hide what to fix: a
// var's value is often a name, and shows up in paths and fields.
func (r *Request) SecretVarValues() map[string]string {
	out := make(map[string]string, len(r.SecretVars))
	for k := range r.SecretVars {
		if v, ok := r.Vars[k]; ok {
			out[k] = v
		}
	}
	return out
}

// DigestVars returns Vars as an input digest may cover them: each secret
// var's value replaced by a marker naming it, so that the digest changes
// when a secret var is added or removed but reveals nothing of its value.
// A rotated secret therefore leaves the digest as it was.
func (r *Request) DigestVars() map[string]string {
	out := make(map[string]string, len(r.Vars))
	for k, v := range r.Vars {
		if r.SecretVars[k] {
			v = "\x00kiln-secret-var:" + k
		}
		out[k] = v
	}
	return out
}
