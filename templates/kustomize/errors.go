package kustomize

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	"gopkg.in/yaml.v3"
	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/kio"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/limits"
	"github.com/kiln-gitops/kiln/internal/redact"
	"github.com/kiln-gitops/kiln/internal/rootfs"
	"github.com/kiln-gitops/kiln/templates"
	"github.com/kiln-gitops/kiln/templates/internal/securefs"
)

const (
	hintOutside = "kiln reads only files inside the repository: move or vendor what it names into the repository and refer to it by a relative path"
	hintRemote  = "kiln renders kustomizations offline: vendor the base or file into the repository (copy it, or use git subtree) and refer to it by a relative path"
	hintHelm    = "kiln does not run the helm program: render the chart as its own app with helm: in kiln.yaml, or commit the rendered manifests and list them in resources"
	hintPlugins = "kiln runs only kustomize's builtin generators and transformers; exec, container and Go plugins are off"
	hintBuild   = "fix the kustomization or the file the message names; paths are relative to the repository root"
)

// buildError turns a krusty error into a *diag.Error naming the app and the
// kustomization file, wrapping the original.
func buildError(req *templates.Request, fsys *securefs.FS, kfile string, err error) error {
	de := &diag.Error{File: kfile, App: req.App, Err: err}

	// kustomize wraps most errors with %w, but formats some (components)
	// with %q, which cuts the chain; the file system remembers what it
	// refused, so an escape is named either way.
	var oe *rootfs.OutsideError
	if !errors.As(err, &oe) {
		if denied := fsys.Denied(); len(denied) > 0 {
			oe = denied[0]
			de.Err = errors.Join(err, oe)
		}
	}
	refused := fsys.Refused()
	switch {
	case oe != nil:
		de.Msg, de.Hint = oe.Error(), hintOutside
	case len(refused) > 0:
		// A bound or an irregular file: name the file, not kustomize's
		// chain of wrappers around it.
		de.File, de.Err = refused[0].File, errors.Join(err, refused[0].Err)
		de.Msg, de.Hint = "kustomize cannot read this file: "+limits.Describe(refused[0].Err), limits.Hint
	case errors.As(err, new(*jsonpatch.AccumulatedCopySizeError)):
		le := &limits.Error{What: "what a JSON6902 patch's copy operations add to an object", Limit: limits.Bytes(limits.OutputSize)}
		de.Msg, de.Hint, de.Err = le.Describe(), "copy a value fewer times; "+limits.Hint, errors.Join(err, le)
		if f := failingKustomization(fsys, err); f != "" {
			de.File = f
		}
	case types.IsErrOnlyBuiltinPluginsAllowed(err):
		de.Msg, de.Hint = "kustomize build failed: "+withoutData(relMessage(req.Root, err)), hintPlugins
		if f := failingKustomization(fsys, err); f != "" {
			de.File = f
		}
		de.Line = pluginEntryLine(fsys, de.File, err.Error())
	default:
		msg := withoutInlinePatches(relMessage(req.Root, err), fsys, kfile)
		de.Msg, de.Hint = "kustomize build failed: "+withoutData(msg), hintBuild
		if strings.Contains(msg, "found multiple possible referrals") {
			if m := nameRefRe.FindStringSubmatch(msg); m != nil {
				de.Object = resID(m[1])
			}
			de.Hint = "a name this object refers to could mean each of the objects listed (the same name before their bases' namePrefix or nameSuffix): give them different names, or build the bases in different apps"
		}
		if strings.Contains(msg, separatorMsg) {
			de.Hint = "write nothing but a comment after --- on its line: kustomize (and so Flux) takes a line that starts with --- for a separator of documents, and a document begins on the line after it"
		}
		if strings.Contains(msg, "namespace transformation produces ID conflict") {
			de.Hint = "the kustomization's namespace: moves objects of one kind and name from different namespaces into one: keep one of them, or rename one (a namePrefix on its base)"
		}
		if f := failingKustomization(fsys, err); f != "" {
			de.File = f
		}
		if f, line := failingResource(fsys, err); f != "" {
			de.File, de.Line = f, line
		} else if b := failingBuiltin(err.Error()); b != "" {
			de.Line = builtinLine(fsys, de.File, b)
			if strings.Contains(err.Error(), "unable to parse SM or JSON patch") {
				de.Hint = "check the patch's YAML (indentation, quotes): it parses neither as a strategic merge patch nor as a list of JSON6902 operations"
			} else if b == "PatchStrategicMergeTransformer" && strings.Contains(msg, inlineShown) {
				de.Hint = "check the inline patch's YAML (indentation, quotes): kustomize took it for a file name because it does not parse"
			}
		}
		if m := builtinKindRe.FindStringSubmatch(msg); m != nil {
			unknownBuiltin(de, fsys, err.Error(), m[1])
		}
		if replacementError(de, fsys, msg) {
			// At the replacement's source or target, with what to do.
		} else if failedOp(de, fsys, kfile, msg) {
			// At the operation, in the patch file or the kustomization.
		} else if entryError(de, fsys, kfile, msg) {
			// At the generator or replicas entry.
		} else if m := noPatchTargetRe.FindStringSubmatch(err.Error()); m != nil {
			unmatchedPatch(de, fsys, kfile, m[1]+m[2], multipleTargetsRe.MatchString(err.Error()))
		} else if m := duplicateIDRe.FindStringSubmatch(msg); m != nil {
			duplicateResource(de, fsys, kfile, msg, m[1])
		} else if m := varCollisionRe.FindStringSubmatch(err.Error()); m != nil {
			varCollision(de, fsys, m[1], m[2])
		} else if m := cycleRe.FindStringSubmatch(msg); m != nil {
			cycle(de, fsys, msg, m[1])
		} else if m := malformedRe.FindStringSubmatch(err.Error()); m != nil {
			malformedResource(de, fsys, kfile, m[1])
		} else if m := blankSubjectRe.FindStringSubmatch(msg); m != nil {
			blankSubjectNamespace(de, fsys, kfile, m[1])
		} else if m := generatorBehaviorRe().FindStringSubmatch(strings.ReplaceAll(err.Error(), `\"`, `"`)); m != nil {
			// (A component's error comes Go-quoted, its quotes escaped.)
			generatorBehavior(de, fsys, m)
		}
	}
	return de
}

// recursedRe reads the folders of the bases and components krusty was
// building when it failed (api/internal/target/kusttarget.go
// accumulateDirectory wraps each such error with one of these phrases,
// naming the folder's absolute path).
var recursedRe = regexp.MustCompile(`(?:recursed accumulation of|couldn't make target for) path '([^']*)'`)

// failingKustomization returns the repository path of the kustomization
// file of the innermost base or component err says krusty was building
// when it failed, "" when err names none (the top kustomization failed)
// or it cannot be found. A base's patch, replacement or generator that
// fails is that base's to fix, not the overlay's.
func failingKustomization(fsys *securefs.FS, err error) string {
	all := recursedRe.FindAllStringSubmatch(err.Error(), -1)
	if len(all) == 0 {
		return ""
	}
	if file := kustomizationIn(fsys, all[len(all)-1][1]); file != "" {
		return rootfs.Rel(fsys.Root(), file)
	}
	return ""
}

// kustomizationIn returns the kustomization file of dir, an absolute
// path krusty names, resolved inside the root; "" when dir is not
// absolute, leads outside or has none.
func kustomizationIn(fsys *securefs.FS, dir string) string {
	if !filepath.IsAbs(dir) {
		return ""
	}
	dir, err := rootfs.Resolve(fsys.Root(), dir)
	if err != nil {
		return ""
	}
	for _, name := range konfig.RecognizedKustomizationFileNames() {
		file := filepath.Join(dir, name)
		if info, err := fsys.Stat(file); err == nil && info.Mode().IsRegular() {
			return file
		}
	}
	return ""
}

// inlineShown says where an inline patch's text was in a message.
const inlineShown = "(an inline patch; kiln does not show it: it may hold a secret)"

// withoutInlinePatches replaces in msg the text of every inline patch of
// the tree at kfile, as written or Go-quoted once or more. krusty prints a patch it
// cannot use in places patchTexts does not know: an inline
// patchesStrategicMerge entry that does not parse is tried as a file
// path, and the file system's error quotes that "path".
func withoutInlinePatches(msg string, fsys *securefs.FS, kfile string) string {
	c := walkTree(fsys, kfile)
	var texts []string
	for _, p := range c.patches {
		if t := strings.TrimSpace(p.data); p.path == "" && len(t) >= 8 {
			// Tried as a path, the text is joined to a folder and cleaned.
			for _, f := range []string{p.data, t, filepath.Clean(t)} {
				// Each component between the patch and the top quotes
				// the message once more (accumulateDirectory: %q).
				for range 4 {
					texts = append(texts, f)
					q := strconv.Quote(f)
					f = q[1 : len(q)-1]
				}
			}
		}
	}
	// Longest first, so that a patch's text goes whole before a shorter
	// one inside it.
	sort.Slice(texts, func(i, j int) bool { return len(texts[i]) > len(texts[j]) })
	for _, t := range texts {
		msg = strings.ReplaceAll(msg, t, inlineShown)
	}
	return msg
}

// notDirRe reads the resource file krusty could not load: it tries a
// resources entry as a file, then as a folder, and when both fail it
// reports the file's error ("missing metadata.name", a repeated object)
// followed by this, with the file's absolute path.
var notDirRe = regexp.MustCompile(`must build at directory: '([^']+)': file is not directory`)

// failingResource returns the repository path of the resource file err
// says krusty could not load, and the line of its first document without
// a kind or a name when that is what err says; "" when err names none.
func failingResource(fsys *securefs.FS, err error) (string, int) {
	all := notDirRe.FindAllStringSubmatch(err.Error(), -1)
	if len(all) == 0 {
		return "", 0
	}
	file := all[len(all)-1][1]
	if !filepath.IsAbs(file) {
		return "", 0
	}
	file, rerr := rootfs.Resolve(fsys.Root(), file)
	if rerr != nil {
		return "", 0
	}
	info, serr := fsys.Stat(file)
	if serr != nil || !info.Mode().IsRegular() {
		return "", 0
	}
	rel, line := rootfs.Rel(fsys.Root(), file), 0
	msg := err.Error()
	noKind, noName := strings.Contains(msg, "missing kind in object"), strings.Contains(msg, "missing metadata.name in object")
	if data, rerr := fsys.ReadFile(file); rerr == nil && strings.Contains(msg, separatorMsg) {
		line = badSeparator(data)
	} else if rerr == nil && (noKind || noName) {
		for _, d := range documents(data) {
			if (noKind && d.kind == "") || (noName && d.kind != "" && d.name == "" && !strings.HasSuffix(d.kind, "List")) {
				line = d.line
				break
			}
		}
	}
	return rel, line
}

// separatorMsg is kyaml's (kio/byteio_reader.go splitDocuments) for a
// line that starts with --- and holds more than a comment: it prints the
// line, which may be a whole document in flow style, a Secret's
// stringData included.
const separatorMsg = "invalid document separator: "

// badSeparator returns the line of data kyaml refuses as a document
// separator, 0 when there is none: a line after the first that starts
// with --- and holds more than a comment after it.
func badSeparator(data []byte) int {
	for i, l := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(l, "---"); ok && i > 0 {
			if rest = strings.TrimSpace(rest); rest != "" && rest[0] != '#' {
				return i + 1
			}
		}
	}
	return 0
}

// builtinRe reads the builtin plugin whose configuration krusty refused
// (api/internal/target/kusttarget.go configureBuiltinPlugin).
var builtinRe = regexp.MustCompile("trouble configuring builtin (\\w+) with config")

// transformErrors are messages of builtin plugins that refuse their
// configuration only when they transform, not while krusty configures
// them, with the plugin.
var transformErrors = []struct{ text, builtin string }{
	{"must specify a target for JSON patch", "PatchTransformer"},
	{"Multiple Strategic-Merge Patches in one `patches` entry", "PatchTransformer"},
	{"must specify a target for patch ", "PatchJson6902Transformer"},
}

// failingBuiltin returns the builtin plugin msg says refused its
// configuration, "" if none.
func failingBuiltin(msg string) string {
	if m := builtinRe.FindStringSubmatch(msg); m != nil {
		return m[1]
	}
	for _, e := range transformErrors {
		if strings.Contains(msg, e.text) {
			return e.builtin
		}
	}
	return ""
}

// builtinFields are the kustomization fields each builtin plugin is
// configured from.
var builtinFields = map[string][]string{
	"PatchTransformer":               {"patches"},
	"PatchStrategicMergeTransformer": {"patchesStrategicMerge"},
	"PatchJson6902Transformer":       {"patchesJson6902"},
	"ReplacementTransformer":         {"replacements"},
	"ConfigMapGenerator":             {"configMapGenerator"},
	"SecretGenerator":                {"secretGenerator"},
	"ImageTagTransformer":            {"images", "imageTags"},
	"ReplicaCountTransformer":        {"replicas"},
	"LabelTransformer":               {"labels", "commonLabels"},
	"AnnotationsTransformer":         {"commonAnnotations"},
	"NamespaceTransformer":           {"namespace"},
	"PrefixTransformer":              {"namePrefix"},
	"SuffixTransformer":              {"nameSuffix"},
}

// builtinLine returns the line of the field of file (a kustomization's
// repository path) that configures the builtin plugin named; 0 if unknown.
func builtinLine(fsys *securefs.FS, file, builtin string) int {
	fields, ok := builtinFields[builtin]
	if !ok {
		return 0
	}
	data, err := fsys.ReadFile(filepath.Join(fsys.Root(), filepath.FromSlash(file)))
	if err != nil {
		return 0
	}
	return (&kfile{data: data}).keyLine(fields...)
}

// nameRefRe reads the object whose reference krusty's name reference
// transformer was updating (api/filters/nameref).
var nameRefRe = regexp.MustCompile(`updating name reference in '[^']*' field of '([^'/]+/[^']+)'`)

// pluginRe reads the kind of the plugin krusty refused
// (api/internal/plugins/loader: "unable to load external plugin 'K'", or
// "unable to load builtin K.builtin.[noGrp]" for a configuration of
// apiVersion builtin whose kind is no builtin it loads from a field).
var pluginRe = regexp.MustCompile(`unable to load (?:external plugin '([^']*)'|builtin ([^.\s]+)\.)`)

// builtinKindRe reads the kind of an apiVersion: builtin configuration
// krusty has no builtin plugin for.
var builtinKindRe = regexp.MustCompile(`unable to load builtin ([^.\s]+)\.builtin\b`)

// builtinKinds are the builtin plugins krusty loads from a generators or
// transformers entry (api/internal/plugins/builtinhelpers/builtins.go,
// GeneratorFactories and TransformerFactories, kustomize v5.8.2).
var builtinKinds = []string{
	"AnnotationsTransformer", "ConfigMapGenerator", "HashTransformer", "HelmChartInflationGenerator",
	"IAMPolicyGenerator", "ImageTagTransformer", "LabelTransformer", "NamespaceTransformer",
	"PatchJson6902Transformer", "PatchStrategicMergeTransformer", "PatchTransformer",
	"PrefixSuffixTransformer", "PrefixTransformer", "ReplacementTransformer",
	"ReplicaCountTransformer", "SecretGenerator", "SuffixTransformer", "ValueAddTransformer",
}

// unknownBuiltin points de at the entry configuring kind, which no
// builtin plugin of krusty's is, with the kind meant.
func unknownBuiltin(de *diag.Error, fsys *securefs.FS, msg, kind string) {
	de.Line = pluginEntryLine(fsys, de.File, msg)
	switch c := diag.Closest(kind, builtinKinds); {
	case kind == "SortOrderTransformer":
		// kubernetes-sigs/kustomize#3913: the top kustomization's only.
		de.Hint = "kustomize runs SortOrderTransformer only from the top kustomization's sortOptions field: set sortOptions there instead"
	case c != "":
		de.Hint = fmt.Sprintf("no builtin plugin is named %s: did you mean %q? (apiVersion: builtin, kind: one of kustomize's builtin generators or transformers)", kind, c)
	}
}

// pluginEntryLine returns the line, in file (a kustomization's
// repository path), of the generators, transformers or validators entry
// whose configuration is of the plugin kind msg says krusty refused; the
// line of the first such field when no entry is found, 0 when none is.
// krusty names neither the entry nor the kustomization that lists it.
func pluginEntryLine(fsys *securefs.FS, file, msg string) int {
	m := pluginRe.FindStringSubmatch(msg)
	abs := filepath.Join(fsys.Root(), filepath.FromSlash(file))
	data, err := fsys.ReadFile(abs)
	if m == nil || err != nil {
		return 0
	}
	kind := m[1] + m[2]
	var k types.Kustomization
	if k.Unmarshal(data) != nil {
		return 0
	}
	f := &kfile{data: data}
	fields := []string{"transformers", "validators", "generators"}
	if strings.Contains(msg, "loading generator plugins") {
		fields = []string{"generators"}
	}
	entries := map[string][]string{"generators": k.Generators, "transformers": k.Transformers, "validators": k.Validators}
	for _, field := range fields {
		for _, e := range entries[field] {
			config := []byte(e)
			if !inline(e) {
				if config, err = fsys.ReadFile(filepath.Join(filepath.Dir(abs), filepath.FromSlash(e))); err != nil {
					continue
				}
			}
			for _, d := range documents(config) {
				if d.kind != kind {
					continue
				}
				return f.valueLine([]string{field}, e)
			}
		}
	}
	return f.keyLine(fields...)
}

// noPatchTargetRe reads the object kustomize's PatchTransformer looked for
// (api/internal/builtins/PatchTransformer.go): "Kind.version.group/name.namespace";
// or its PatchStrategicMergeTransformer, for patchesStrategicMerge
// (api/internal/builtins/PatchStrategicMergeTransformer.go, through
// resmap's GetById).
var noPatchTargetRe = regexp.MustCompile(`no resource matches strategic merge patch "([^"/]+/[^"]+)"|(?:no|multiple) matches for Id ([^\s;/]+/[^\s;]+); failed to find unique target for patch`)

// multipleTargetsRe says that more than one object has the patch's id:
// kustomize says it through the same "no resource matches strategic
// merge patch" for patches (resmap's GetById).
var multipleTargetsRe = regexp.MustCompile(`multiple matches for Id [^\s;/]+/[^\s;]+; failed to find unique target for patch`)

// resID reads an object's id as kustomize prints it,
// "Kind.version.group/name.namespace" ([noGrp] and [noNs] for none).
func resID(id string) diag.Object {
	left, right, _ := strings.Cut(id, "/")
	kind, _, _ := strings.Cut(left, ".")
	name, ns := right, ""
	if i := strings.LastIndexByte(right, '.'); i >= 0 {
		name, ns = right[:i], right[i+1:]
	}
	if ns == "[noNs]" {
		ns = ""
	}
	return diag.Object{Kind: kind, Namespace: ns, Name: name}
}

// unmatchedPatch points de at the patch entry whose object, id, no
// resource has, or more than one has (multiple): kustomize names neither
// the patch nor its kustomization.
func unmatchedPatch(de *diag.Error, fsys *securefs.FS, kfile, id string, multiple bool) {
	o := resID(id)
	kind, name := o.Kind, o.Name
	de.Object = diag.Object{Kind: kind, Name: name}
	de.Hint = fmt.Sprintf("no resource of this kustomization (its resources and their bases) is a %s named %s: fix the patch's apiVersion, kind and metadata.name (and namespace) to match one, or give the patch entry a target", kind, name)
	if multiple {
		de.Hint = fmt.Sprintf("more than one resource of this kustomization is a %s named %s (in other namespaces, or a base included twice under another namePrefix or nameSuffix), and a strategic merge patch must name one: give the patch the metadata.namespace (or the prefixed name) of the one meant, or make it a patches entry whose target selects the ones meant", kind, name)
	}
	c := walkTree(fsys, kfile)
	for _, p := range c.patches {
		data := []byte(p.data)
		if p.path != "" {
			b, err := fsys.ReadFile(p.path)
			if err != nil {
				continue
			}
			data = b
		}
		if patchNames(data, kind, name) {
			de.File, de.Line = p.file, p.line
			return
		}
	}
}

// duplicateIDRe reads the object kustomize's accumulator found twice
// (api/resmap/reswrangler.go Append): a resources entry, a file or a
// base, adds an object an earlier entry added. The id ends at a quote:
// a component's message comes Go-quoted, its closing quote right after.
var duplicateIDRe = regexp.MustCompile(`may not add resource with an already registered id: ([^\s'"\\]+)`)

// varCollisionRe reads krusty's error for a var that a base declares
// when an earlier base of the same kustomization declared it already
// (api/internal/accumulator: vars are one set for the whole build).
var varCollisionRe = regexp.MustCompile(`recursed merging from path '([^']*)': var '([^']*)' already encountered`)

// varCollision points de at the vars entry of the base in dir (an
// absolute path) that declares name again. kustomize names the var and
// the base's folder, not the entry.
func varCollision(de *diag.Error, fsys *securefs.FS, dir, name string) {
	de.Hint = fmt.Sprintf("an earlier base of the kustomization declares var %s too, and vars are one set for the whole build: rename the var in one base (and its $(%s) references), or declare it once, in a base both use", name, name)
	file := kustomizationIn(fsys, dir)
	if file == "" {
		return
	}
	if data, err := fsys.ReadFile(file); err == nil {
		if line := namedEntry(&kfile{data: data}, "vars", name); line > 0 {
			de.File, de.Line = rootfs.Rel(fsys.Root(), file), line
		}
	}
}

// cycleRe reads krusty's error for a kustomization that includes itself,
// directly or through its bases (api/internal/target: the folder it was
// about to build is one it is building already).
var cycleRe = regexp.MustCompile(`cycle detected: candidate root '([^']*)' contains visited root '[^']*'`)

// cycle names the resources entry that leads back to a kustomization being
// built: the last one krusty followed, in the kustomization that lists it
// (de.File). kustomize names neither the entry nor its line.
func cycle(de *diag.Error, fsys *securefs.FS, msg, root string) {
	entries := entryRe.FindAllStringSubmatch(msg, -1)
	if len(entries) == 0 {
		return
	}
	entry := entries[len(entries)-1][1]
	if data, err := fsys.ReadFile(filepath.Join(fsys.Root(), filepath.FromSlash(de.File))); err == nil {
		de.Line, _ = resourceEntry(&kfile{data: data}, entry)
	}
	de.Msg = fmt.Sprintf("kustomize build failed: resources entry %s leads back to %s, which is being built already: a kustomization includes itself (kustomize: cycle detected)", entry, root)
	de.Hint = "a kustomization cannot include itself, directly or through its bases: remove the entry, or move what both need into a base of its own"
}

// entryRe reads the resources entries krusty was adding, outermost first
// (api/internal/target/kusttarget.go accumulateResources: a file is
// "merged", a folder "accumulated"), as the kustomization wrote them.
var entryRe = regexp.MustCompile(`(?:accumulating|merging) resources from '([^']*)'`)

// duplicateResource says which resources entry of which kustomization
// added an object a second time. kustomize's own text names the id and
// ends in its try of the entry as a folder ("'base2' must resolve to a
// file", "file is not directory"), and kiln named the resource file,
// which is not at fault: the listing is.
func duplicateResource(de *diag.Error, fsys *securefs.FS, top, msg, id string) {
	entries := entryRe.FindAllStringSubmatch(msg, -1)
	if len(entries) == 0 {
		return
	}
	entry := entries[len(entries)-1][1]
	if f := failingKustomization(fsys, de.Err); f != "" {
		top = f
	}
	de.File, de.Line, de.Object = top, 0, resID(id)
	kf := filepath.Join(fsys.Root(), filepath.FromSlash(top))
	if file := filepath.Join(filepath.Dir(kf), filepath.FromSlash(entry)); !filepath.IsAbs(entry) {
		if data, err := fsys.ReadFile(file); err == nil {
			if line := secondCopy(documents(data), de.Object); line > 0 {
				de.File, de.Line = rootfs.Rel(fsys.Root(), file), line
				de.Msg = "kustomize build failed: this file holds the object twice (kustomize: may not add resource with an already registered id)"
				de.Hint = "keep one of the two documents, or give them different names"
				return
			}
		}
	}
	twice := false
	if data, err := fsys.ReadFile(kf); err == nil {
		de.Line, twice = resourceEntry(&kfile{data: data}, entry)
	}
	if twice {
		de.Msg = fmt.Sprintf("kustomize build failed: resources lists %s more than once, which adds the object again (kustomize: may not add resource with an already registered id)", entry)
		de.Hint = "list " + entry + " once"
		return
	}
	de.Msg = fmt.Sprintf("kustomize build failed: resources entry %s adds the object a second time: the kustomization's resources, bases or components have it already (kustomize: may not add resource with an already registered id)", entry)
	de.Hint = "keep one copy: drop it from one of the files or bases that bring it, or tell the copies apart (a namePrefix or nameSuffix, or another namespace, in one base)"
}

// secondCopy returns the line of the second document of docs that is o,
// 0 if there is none.
func secondCopy(docs []docAt, o diag.Object) int {
	seen := false
	for _, d := range docs {
		if d.kind != o.Kind || d.name != o.Name || kyaml.NewRNode(d.node).GetNamespace() != o.Namespace {
			continue
		}
		if seen {
			return d.line
		}
		seen = true
	}
	return 0
}

// resourceEntry returns the line of entry in f's resources (or bases,
// which kustomize adds after them), its second one when it is listed
// more than once (the first was added), and whether it is.
func resourceEntry(f *kfile, entry string) (int, bool) {
	var lines []int
	for _, field := range []string{"resources", "bases"} {
		kv := f.field([]string{field})
		if kv == nil || kv.value.Kind != yaml.SequenceNode {
			continue
		}
		for _, e := range kv.value.Content {
			if e.Kind == yaml.ScalarNode && e.Value == entry {
				lines = append(lines, e.Line)
			}
		}
	}
	switch len(lines) {
	case 0:
		return 0, false
	case 1:
		return lines[0], false
	}
	return lines[1], true
}

// generatorBehaviorRe reads the object a generator's output clashed with
// (api/resmap/reswrangler.go appendReplaceOrMerge, which prints the id
// with %#v): it exists and the generator neither merges nor replaces it,
// or it does not and the generator would. Groups: kind, name, namespace,
// and the behavior when the object exists.
var generatorBehaviorRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`id resid\.ResId\{Gvk:resid\.Gvk\{Group:"[^"]*", Version:"[^"]*", Kind:"([^"]*)", isClusterScoped:(?:true|false)\}, Name:"([^"]*)", Namespace:"([^"]*)"\} (?:does not exist; cannot merge or replace|exists; can not use behavior: '([^']*)')`)
})

// generatorBehavior rewrites de, krusty's error about a generator whose
// object clashes with one of the resources, bases or components of its
// kustomization (de.File), as the generator's entry, its object and what
// to do: kustomize prints Go structs and a pointer that changes on every
// run, and neither the entry nor the fix.
func generatorBehavior(de *diag.Error, fsys *securefs.FS, m []string) {
	kind, name, ns, behavior := m[1], m[2], m[3], m[4]
	exists := strings.Contains(m[0], " exists; ")
	de.Object = diag.Object{Kind: kind, Namespace: ns, Name: name}
	field := map[string]string{"ConfigMap": "configMapGenerator", "Secret": "secretGenerator"}[kind]
	if field == "" {
		field = "generator"
	}
	de.Line, de.Field = 0, ""
	given := "merge or replace"
	if data, err := fsys.ReadFile(filepath.Join(fsys.Root(), filepath.FromSlash(de.File))); err == nil {
		if line, b := generatorEntry(&kfile{data: data}, field, name, ns); line > 0 {
			de.Line = line
			if b != "" {
				given = b
			}
		}
	}
	if exists {
		without := "has no behavior: merge or replace"
		if behavior != "" && behavior != "unspecified" {
			without = "has behavior: " + behavior
		}
		de.Msg = fmt.Sprintf("kustomize build failed: %s %s makes a %s that the kustomization's resources, bases or components already have, and %s", field, name, kind, without)
		de.Hint = fmt.Sprintf("to change that %s, set behavior: merge (add or override keys) or behavior: replace (replace its data) on the generator; to make another object, give the generator another name", kind)
		return
	}
	de.Msg = fmt.Sprintf("kustomize build failed: %s %s has behavior: %s, but the kustomization's resources, bases and components have no %s %s to %s", field, name, given, kind, name, strings.ReplaceAll(given, " or ", " or to "))
	de.Hint = fmt.Sprintf("check the generator's name (and namespace) against the %s of the base, as written there before any namePrefix or nameSuffix; or remove behavior: to create the %s here", kind, kind)
}

// generatorEntry returns the line of the entry of f's field (a generator
// list) named name in namespace ns, and its behavior; 0 if none.
func generatorEntry(f *kfile, field, name, ns string) (int, string) {
	kv := f.field([]string{field})
	if kv == nil || kv.value.Kind != yaml.SequenceNode {
		return 0, ""
	}
	for _, e := range kv.value.Content {
		var g struct {
			Name      string `yaml:"name"`
			Namespace string `yaml:"namespace"`
			Behavior  string `yaml:"behavior"`
		}
		if e.Kind == yaml.MappingNode && e.Decode(&g) == nil && g.Name == name && g.Namespace == ns {
			return e.Line, g.Behavior
		}
	}
	return 0, ""
}

// malformedRe reads the file kustomize's resource loader could not parse
// (api/internal/kusterr.MalformedYamlError, an internal type that
// errors.As cannot reach): "... MalformedYAMLError: yaml: line 6: ... in
// File: r.yaml", the path as the kustomization listing it wrote it.
var malformedRe = regexp.MustCompile(`MalformedYAMLError: .* in File: (.+)$`)

// yamlLineRe reads the line of a YAML syntax error.
var yamlLineRe = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// blankSubjectRe reads the RoleBinding whose ServiceAccount subject has a
// namespace that is no string (api/resmap/reswrangler.go
// getNamespacesForRoleBinding, which the name reference transformer of
// every build runs): kustomize names the binding by its id after the
// transformers, not the file or the subject.
var blankSubjectRe = regexp.MustCompile(`namespace is blank for resource "([^"]+)"`)

// blankSubjectNamespace points de at the subject of the RoleBinding id
// whose namespace: is null (written with nothing after it) or another
// value than a string, in the resource file of the tree that holds it.
// A binding whose name a namePrefix or nameSuffix changed is found by the
// name it has in its file; without such a subject in any file (a patch
// set it) de stays at the kustomization.
func blankSubjectNamespace(de *diag.Error, fsys *securefs.FS, kfile, id string) {
	o := resID(id)
	de.Object = o
	de.Msg = "kustomize build failed: a ServiceAccount subject of this RoleBinding has a namespace that is empty or no string (kustomize: namespace is blank for resource)"
	de.Hint = "write the ServiceAccount's namespace after the subject's namespace: (with nothing after it, it is null), or remove the key for a ServiceAccount in the RoleBinding's own namespace"
	c := walkTree(fsys, kfile)
	for _, f := range c.resFiles {
		data, err := fsys.ReadFile(filepath.Join(fsys.Root(), filepath.FromSlash(f)))
		if err != nil {
			continue
		}
		for _, d := range documents(data) {
			if d.kind != o.Kind || d.name == "" || !strings.Contains(o.Name, d.name) {
				continue
			}
			if i, line := blankSubject(d.node); line > 0 {
				de.File, de.Line = f, line
				de.Field = fmt.Sprintf("subjects[%d].namespace", i)
				de.Msg = fmt.Sprintf("kustomize build failed: field %q of a ServiceAccount subject is empty or no string (kustomize: namespace is blank for resource)", de.Field)
				return
			}
		}
	}
}

// blankSubject returns the index and the namespace key's line of the
// ServiceAccount subject of binding whose namespace kustomize takes for
// blank: present and, decoded, no string. A namespace: transformer gives
// a subject named default its namespace first, so another one is the
// culprit when there is one. 0 for none.
func blankSubject(binding *kyaml.Node) (int, int) {
	subjects := kyaml.NewRNode(binding).Field("subjects")
	if subjects == nil || subjects.Value.YNode().Kind != kyaml.SequenceNode {
		return 0, 0
	}
	first, firstLine := 0, 0
	for i, s := range subjects.Value.YNode().Content {
		sr := kyaml.NewRNode(s)
		kind, ns := sr.Field("kind"), sr.Field("namespace")
		if kind == nil || ns == nil || kind.Value.YNode().Value != "ServiceAccount" {
			continue
		}
		v := ns.Value.YNode()
		if v.Kind == kyaml.AliasNode && v.Alias != nil {
			v = v.Alias
		}
		if v.Kind == kyaml.ScalarNode && v.ShortTag() == "!!str" {
			continue
		}
		if name := sr.Field("name"); name == nil || name.Value.YNode().Value != "default" {
			return i, ns.Key.YNode().Line
		}
		if firstLine == 0 {
			first, firstLine = i, ns.Key.YNode().Line
		}
	}
	return first, firstLine
}

// malformedResource points de at the resource file kustomize could not
// parse, named listed by its kustomization, and the line of the error:
// kustomize names the top kustomization, a path relative to some
// kustomization of the tree, and a line counted from the start of the
// file's document, not of the file.
func malformedResource(de *diag.Error, fsys *securefs.FS, kfile, listed string) {
	c := walkTree(fsys, kfile)
	for _, f := range c.resFiles {
		if f != listed && !strings.HasSuffix(f, "/"+path.Clean(listed)) {
			continue
		}
		data, err := fsys.ReadFile(filepath.Join(fsys.Root(), filepath.FromSlash(f)))
		if err != nil {
			continue
		}
		if _, err := kio.FromBytes(data); err == nil {
			continue // not the file kustomize failed on
		}
		de.File, de.Line = f, 0
		de.Msg = "kustomize cannot parse this resource file as YAML"
		de.Hint = "fix the YAML syntax of the file (indentation, a missing ':' or quote), or remove it from the kustomization's resources"
		// Decoding the whole stream gives the line in the file.
		dec := kyaml.NewDecoder(bytes.NewReader(data))
		for {
			var n kyaml.Node
			err := dec.Decode(&n)
			if err == nil {
				continue
			}
			if m := yamlLineRe.FindStringSubmatch(err.Error()); m != nil {
				de.Line, _ = strconv.Atoi(m[1])
				de.Msg += ": " + withoutData(m[2])
			}
			if diag.YAMLUnknownEscape(err) {
				// A regular expression in double quotes: the generic
				// hint says nothing of the backslash (objects' parser
				// and Helm's values say it).
				de.Hint = diag.YAMLSyntaxHint(err)
			}
			return
		}
	}
}

// patchNames reports whether a document of data, a strategic merge patch,
// has kind and metadata.name name.
func patchNames(data []byte, kind, name string) bool {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc struct {
			Kind     string `yaml:"kind"`
			Metadata struct {
				Name string `yaml:"name"`
			} `yaml:"metadata"`
		}
		if err := dec.Decode(&doc); err != nil {
			return false
		}
		if doc.Kind == kind && doc.Metadata.Name == name {
			return true
		}
	}
}

// kustomize quotes generator data and values in a few messages
// (api/kv/kv.go, filters/replacement/replacement.go, kyaml's
// GetValidatedMetadata): on one malformed literal it lists every literal
// of the generator, passwords included; a line of an .env file that is
// not UTF-8 it prints twice, as bytes and as text; a replacement's index
// out of bounds prints the source value, a Secret's as well; an object
// without a kind or a name is printed with its labels and annotations; a
// name reference two objects could answer prints them whole.
// Most such messages are innermost, so they run to the end of the text;
// their data goes, their words stay.
var dataMessages = sync.OnceValue(func() []struct {
	re   *regexp.Regexp
	with string
} {
	return []struct {
		re   *regexp.Regexp
		with string
	}{
		{regexp.MustCompile(`(?s)literal sources \[.*, expected key=value$`),
			"literal sources: a literal is not key=value (kiln does not show the literals: they may hold secrets)"},
		{regexp.MustCompile(`(?s)line \[[0-9 ]*\] has invalid utf8 bytes : .*$`),
			"a line is not UTF-8 (kiln does not show it: it may hold a secret)"},
		// The separator's line runs to krusty's "': must build at
		// directory" after it, or to the end of the line.
		{regexp.MustCompile(`(?m)(` + separatorMsg + `---).*?('?: must build at directory: |$)`),
			"${1} (kiln does not show the rest of the line: it may hold a secret)${2}"},
		{regexp.MustCompile(`(?s)(options\.index -?\d+ is out of bounds for )value .*$`),
			"${1}the source value (kiln does not show it: it may be a secret)"},
		// kyaml's GetValidatedMetadata prints the object's metadata with
		// its labels and annotations (a last-applied-configuration holds
		// a Secret's data); it runs to the quote that ends krusty's
		// "accumulation err='...'", or to the end.
		{regexp.MustCompile(`(?s)(missing (?:kind|metadata\.name) in object )\{\{.*\}\}('|$)`),
			"${1}(kiln does not show its labels and annotations: they may hold a secret)${2}"},
		// api/filters/nameref, on a reference more than one object could
		// answer (a Secret a base prefixed and one it did not), prints the
		// referrer and each candidate as YAML after their ids, a
		// Secret's data included.
		{regexp.MustCompile(`(?s)(found multiple possible referrals: (?:[^\n\\]|\\[^n])*)(?:\n|\\n).*$`),
			"${1} (kiln does not show the objects: they may hold a secret)"},
	}
})

// patchTexts are the places where krusty prints a patch or a builtin
// plugin's whole configuration, in the middle of its message: a patch
// sets a Secret's password as often as a replica count, and a generator's
// configuration lists its literals.
var patchTexts = sync.OnceValue(func() []struct {
	re   *regexp.Regexp
	with string
} {
	const hidden = "(kiln does not show it: it may hold a secret)"
	return []struct {
		re   *regexp.Regexp
		with string
	}{
		// configureBuiltinPlugin: "with config: `\n<yaml>`: <error>".
		{regexp.MustCompile("(?s)(with config: )`\n.*\n`"), "${1}" + hidden},
		// PatchTransformer's patchSource: [patch: "<Go-quoted text>"].
		{regexp.MustCompile(`\[patch: "(?:[^"\\]|\\.)*"\]`), "[patch: " + hidden + "]"},
		// PatchTransformer: the configuration follows on the next lines.
		{regexp.MustCompile(`(?s)(patch and path can't be set at the same time)\n.*$`), "${1}"},
		// PatchJson6902Transformer prints its operations as JSON.
		{regexp.MustCompile(`(?s)(decoding )[\[{].*?(: json: |: invalid character |: unexpected end of JSON input)`), "${1}the patch " + hidden + "${2}"},
		{regexp.MustCompile(`(?s)(decoding )[\[{].*$`), "${1}the patch " + hidden},
		{regexp.MustCompile(`(?s)(must specify a target for patch ).*$`), "${1}" + hidden},
	}
})

// quotedErrRe finds where krusty puts the error of a component (or of
// the loader of one) inside its own message with %q
// (api/internal/target/kusttarget.go "accumulateDirectory: %q",
// "loader.New %q"). The rules of withoutData read a message as krusty
// writes it; inside those quotes its newlines and quotes are escaped, so
// none matched, and a component's inline patch or builtin configuration,
// a Secret's password in it, reached the log whole.
var quotedErrRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(accumulateDirectory: |loader\.New )("(?:[^"\\]|\\.)*")`)
})

func withoutData(msg string) string {
	var b strings.Builder
	for {
		loc := quotedErrRe().FindStringSubmatchIndex(msg)
		if loc == nil {
			break
		}
		b.WriteString(msg[:loc[3]])
		if inner, err := strconv.Unquote(msg[loc[4]:loc[5]]); err == nil {
			// Quoted again, as krusty prints it, once its data is gone; a
			// component inside a component is the same rule once more.
			b.WriteString(strconv.Quote(withoutData(inner)))
		} else {
			b.WriteString(`"(kiln does not show it: it may hold a secret)"`)
		}
		msg = msg[loc[5]:]
	}
	b.WriteString(msg)
	msg = b.String()
	msg = withoutObjects(redact.Nodes(msg))
	for _, d := range patchTexts() {
		msg = d.re.ReplaceAllString(msg, d.with)
	}
	for _, d := range dataMessages() {
		msg = d.re.ReplaceAllString(msg, d.with)
	}
	return msg
}

// goPointerRe reads the Go value krusty prints of a generator or
// transformer ("merging from generator &{0xc000a1b2c0 <nil>}"): pointers,
// which differ on every run.
var goPointerRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`((?:generator|transformer)) &\{(?:0x[0-9a-f]+|<nil>)(?: (?:0x[0-9a-f]+|<nil>))*\}`)
})

// objectListRe finds where krusty prints a list of whole objects, each as
// its JSON, data and all: a namespace: that puts two objects of one kind
// and name into one namespace (api/internal/builtins/NamespaceTransformer
// "produces ID conflict: %+v"), and a generator with behavior: merge or
// replace that more than one object could take (api/resmap/reswrangler.go
// "found multiple objects %v"). A Secret's values, from a SOPS document
// or a secretGenerator's .env file that CI wrote, would reach the log.
var objectListRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?:produces ID conflict: |found multiple objects )\[`)
})

// withoutObjects replaces in msg each list of objects objectListRe finds
// by the objects' kinds, namespaces and names, with the namespace an
// object had before krusty's namespace: changed it; a list it cannot read
// (Go-quoted inside a component's message) is hidden whole, as is
// everything after it.
func withoutObjects(msg string) string {
	var b strings.Builder
	for {
		loc := objectListRe().FindStringIndex(msg)
		if loc == nil {
			b.WriteString(msg)
			return b.String()
		}
		b.WriteString(msg[:loc[1]])
		ids, n, ok := objectIDs(msg[loc[1]:])
		if !ok {
			b.WriteString("(kiln does not show the objects: they may hold a secret)]")
			return b.String()
		}
		b.WriteString(strings.Join(ids, ", ") + "]")
		msg = msg[loc[1]+n:]
	}
}

// objectIDs reads s, the JSON objects of a list krusty printed with %v
// (space-separated, up to the closing bracket), and returns each one's
// kind/namespace/name and how much of s the list took, bracket included.
func objectIDs(s string) (ids []string, n int, ok bool) {
	for {
		for n < len(s) && s[n] == ' ' {
			n++
		}
		if n < len(s) && s[n] == ']' {
			return ids, n + 1, len(ids) > 0
		}
		var o struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name        string            `json:"name"`
				Namespace   string            `json:"namespace"`
				Annotations map[string]string `json:"annotations"`
			} `json:"metadata"`
		}
		dec := json.NewDecoder(strings.NewReader(s[n:]))
		if n >= len(s) || s[n] != '{' || dec.Decode(&o) != nil {
			return nil, 0, false
		}
		n += int(dec.InputOffset())
		id := diag.Object{Kind: o.Kind, Namespace: o.Metadata.Namespace, Name: o.Metadata.Name}.String()
		if prev := o.Metadata.Annotations["internal.config.kubernetes.io/previousNamespaces"]; prev != "" && prev != o.Metadata.Namespace && o.Metadata.Namespace != "" {
			id += " (from namespace " + prev + ")"
		}
		ids = append(ids, id)
	}
}

// relMessage is err's message with the repository root cut from the
// absolute paths kustomize prints and without the pointers it prints, so
// that it reads the same on every machine, checkout and run.
func relMessage(root string, err error) string {
	msg := goPointerRe().ReplaceAllString(err.Error(), "${1}")
	msg = strings.ReplaceAll(msg, root+string(filepath.Separator), "")
	msg = strings.ReplaceAll(msg, root, ".")
	return strings.TrimSpace(msg)
}
