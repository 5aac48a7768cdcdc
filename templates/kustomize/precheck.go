package kustomize

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"
	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/types"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/rootfs"
	"github.com/kiln-gitops/kiln/templates"
	"github.com/kiln-gitops/kiln/templates/internal/securefs"
)

// precheck walks the kustomization tree at dir, as krusty will, and
// reports what kiln refuses before krusty runs:
//
//   - remote bases, components and files. krusty has no option to turn
//     them off: its loader (api/internal/loader) clones any entry that
//     parses as a git URL by running `git` (git.ClonerUsingGitExec), and
//     fetches http(s) files with its own http.Client, neither through the
//     file system we give it. Refusing such entries before the build is the
//     only way to make sure neither happens.
//   - helmCharts, which would run the helm program (kustomize refuses it
//     too with plugins off, with a less helpful message).
//   - paths that lead outside the repository, so the error names the file,
//     line and entry (securefs refuses them during the build regardless).
//   - resources and components that do not exist, with a "did you mean".
//   - entries krusty refuses naming only a folder: a component that is a
//     file or a Kustomization, a resource that is a Component, a folder
//     without a kustomization, a kind or apiVersion that is no
//     kustomization's.
//   - generator data kustomize would quote or turn into plain text: a
//     literal that is not key=value, a secretGenerator .env line without
//     '=' (envLines).
//
// It follows only what it can read and parse; anything else (a malformed
// kustomization, a missing patch file) is left for krusty to report, so it
// never refuses a kustomization krusty accepts, other than for the reasons
// above.
//
// It also reports whether the build may change kyaml's global OpenAPI
// schema: some kustomization of the tree sets `openapi:`, or one could not
// be read (then it cannot tell, and says yes). Such a build runs alone
// (see schemaGuard).
//
// And it says whether the tree is plain (see plainKustomization) and, if
// so, which resource files it loads: then kiln can name each object's
// source without kustomize's origin annotations (sources.go).
//
// And whether some kustomization of the tree declares vars, about which
// krusty logs (see captureLog).
//
// And whether a replacement of the tree reads or writes an object's
// annotations whole (see annotationsWhole): then the origin annotation
// kiln asks for can make a build succeed that `kustomize build` fails.
//
// And the entries that select objects to act on (selections), which the
// build's output is held against (unselected), and warnings of what
// krusty builds other than as written (a key given twice).
func precheck(fsys *securefs.FS, dir string) *facts {
	c := &checker{fsys: fsys, root: fsys.Root(), seen: map[string]bool{}, plain: true}
	c.kustomization(dir, false)
	f := &facts{errs: c.errs, setsSchema: c.setsSchema, vars: c.vars, annotations: c.annotations,
		selections: c.selections, blind: c.blind, hidden: c.hidden, warns: c.warns}
	f.blind.includedBy = c.includedBy
	if c.plain && len(c.errs) == 0 {
		f.tree = &plainTree{files: c.resFiles}
	}
	return f
}

// facts are what precheck found in a kustomization tree.
type facts struct {
	errs                          []*diag.Error
	setsSchema, vars, annotations bool
	tree                          *plainTree
	selections                    []selection
	blind                         blind
	hidden                        func(blind) blind // checker.hidden
	// warns are about what kustomize builds without a word but not as
	// written: a key given twice in a kustomization.
	warns []templates.Warning
}

// walkTree walks the tree of the kustomization file kfile (absolute or
// repository-relative) as precheck does, for an error's place: what the
// walk found, not what it would report.
func walkTree(fsys *securefs.FS, kfile string) *checker {
	kf := kfile
	if !filepath.IsAbs(kf) {
		kf = filepath.Join(fsys.Root(), filepath.FromSlash(kfile))
	}
	c := &checker{fsys: fsys, root: fsys.Root(), seen: map[string]bool{}}
	c.kustomization(filepath.Dir(kf), false)
	return c
}

type checker struct {
	fsys *securefs.FS
	root string
	seen map[string]bool // kustomization folders walked
	// kinds are the kinds of the kustomizations of seen that parsed.
	kinds map[string]string
	// checked holds the .env files and plugin configurations read: its
	// reads are outside the build's bound (limits.BuildReads), and an entry
	// may name one large file thousands of times.
	checked    map[string]bool
	errs       []*diag.Error
	warns      []templates.Warning
	setsSchema bool // a kustomization sets openapi:, or one was not understood
	vars       bool // a kustomization declares vars, or one was not understood
	// annotations: a replacement names metadata.annotations whole, or
	// one could not be read (annotationsWhole).
	annotations bool
	// plain stays true while every kustomization walked is plain and every
	// resource entry leads where its path, joined lexically, says (no
	// symlink on the way): then the repository-relative path of each
	// resource file is the one kustomize's origin annotation would give.
	plain    bool
	resFiles []string // resource files, repository-relative, in walk order
	// patches are the strategic merge patches of the tree's
	// kustomizations, for an error that names only a patch's object.
	patches []patchEntry
	// jsonPatches are the tree's patches and patchesJson6902 entries,
	// for an error that names only a JSON6902 operation (failedOp).
	jsonPatches []jsonPatchEntry
	// selections are the tree's patches with a target and images
	// entries; blind is what the output cannot tell of them (unselected).
	selections []selection
	blind      blind
	// includedBy maps a kustomization's folder to the folders of the
	// kustomizations that list it (resources, components): their
	// entries act after its own.
	includedBy map[string][]string
	// replacements: whether the tree has any; localConfig: whether a
	// kustomization of it names config.kubernetes.io/local-config (a
	// generator's annotation). For unselected's local-config blind spot.
	replacements, localConfig bool
	// kusts are the tree's kustomizations, for hidden.
	kusts []kustAt
}

// patchEntry is one patch of a kustomization: a file or inline YAML.
type patchEntry struct {
	file string // the kustomization, repository-relative
	line int
	path string // the patch file, absolute; "" if inline
	data string // the inline patch
}

// twiceGivenKey returns the first key below n that a mapping holds twice
// (a merge key << aside, and a scalar given twice the same: nothing is
// dropped), with the lines of its two places; second is 0 if there is
// none.
func twiceGivenKey(n *yaml.Node) (key string, first, second int) {
	if n.Kind == yaml.MappingNode {
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode || k.Value == "<<" {
				continue
			}
			if j, ok := seen[k.Value]; ok {
				if w := n.Content[j+1]; v.Kind == yaml.ScalarNode && w.Kind == yaml.ScalarNode && v.Value == w.Value {
					continue
				}
				return k.Value, n.Content[j].Line, k.Line
			}
			seen[k.Value] = i
		}
	}
	for _, c := range n.Content {
		if key, first, second = twiceGivenKey(c); second > 0 {
			return key, first, second
		}
	}
	return "", 0, 0
}

// unknownKind is what checker.kustomization returns for a folder whose
// kustomization it could not read.
const unknownKind = "?"

// entryKind says how krusty treats an entry of a kustomization field.
type entryKind int

const (
	// loadOnly entries are files krusty reads with its loader (patches,
	// generator sources, crds, ...): an http(s) URL is fetched.
	loadOnly entryKind = iota
	// fileOrDir entries are tried as a file, then as a kustomization
	// folder, then as a git URL (resources, generators, transformers,
	// validators).
	fileOrDir
	// dirOnly entries are kustomization folders or git URLs (components).
	dirOnly
)

// kustomization checks the kustomization in dir. plugins says that its
// resources are generator or transformer configurations. It returns the
// kustomization's kind (Kustomization when it names none), "" when dir
// holds no kustomization file, and unknownKind when it cannot tell.
func (c *checker) kustomization(dir string, plugins bool) (kind string) {
	if c.seen[dir] {
		if k, ok := c.kinds[dir]; ok {
			return k
		}
		return unknownKind // krusty reports cycles
	}
	c.seen[dir] = true
	var name string
	for _, n := range konfig.RecognizedKustomizationFileNames() {
		p := filepath.Join(dir, n)
		info, err := c.fsys.Stat(p)
		if err == nil && info.Mode().IsRegular() {
			if name != "" {
				c.setsSchema, c.plain = true, false
				return unknownKind // more than one: krusty reports it
			}
			name = n
		}
	}
	if name == "" {
		c.plain = false
		return "" // krusty reports it, naming the folder
	}
	abs := filepath.Join(dir, name)
	data, err := c.fsys.ReadFile(abs)
	if err != nil {
		c.setsSchema, c.vars, c.plain, c.annotations = true, true, false, true
		return unknownKind
	}
	var k types.Kustomization
	if err := k.Unmarshal(data); err != nil {
		c.setsSchema, c.vars, c.plain, c.annotations = true, true, false, true
		f := &kfile{path: rootfs.Rel(c.root, filepath.Join(dir, name)), dir: dir, data: data}
		if !c.typeError(f, err) && !c.syntaxError(f, err) {
			c.unknownField(f, err)
		}
		return unknownKind // krusty reports any other error the same way
	}
	k.FixKustomization()
	if c.kinds == nil {
		c.kinds = map[string]string{}
	}
	c.kinds[dir] = k.Kind
	if !plainKustomization(&k) {
		c.plain = false
	}
	if len(k.Vars) > 0 {
		c.vars = true
	}
	if k.OpenAPI != nil {
		// Any openapi: (a custom schema file, or a built-in version, even
		// the default one) makes krusty's SetSchema mark the schema for a
		// re-parse.
		c.setsSchema = true
	}
	f := &kfile{path: rootfs.Rel(c.root, abs), dir: dir, data: data}
	if top := f.top(); top != nil {
		// kustomize reads a kustomization through JSON, where the last of
		// two equal keys wins: what the first one lists (literals, files,
		// resources) is dropped without a word, by Flux's build too
		// (kustomize's TestGeneratorRepeatsInKustomization).
		if key, first, second := twiceGivenKey(top); second > 0 {
			c.warns = append(c.warns, templates.Warning{File: f.path, Line: second,
				Msg:  fmt.Sprintf("%s is given twice in one mapping (first at line %d): kustomize reads only this one and drops what the first one says without a word; kustomize build, which Flux runs, says nothing", key, first),
				Hint: "merge the two into one " + key + ", or remove the one not meant"})
		}
	}
	// krusty checks these only when it builds the folder, and names the
	// folder ("Failed to read kustomization file under …"), not the key.
	for _, msg := range k.EnforceFields() {
		if strings.HasPrefix(msg, "kind") {
			c.fail(f.path, f.keyLine("kind"), fmt.Sprintf("kind %q is no kind of kustomization (kustomize: %s)", k.Kind, msg),
				"write kind: Kustomization (apiVersion: kustomize.config.k8s.io/v1beta1), or kind: Component (apiVersion: kustomize.config.k8s.io/v1alpha1)", nil)
			break // kustomize then wants the apiVersion of a Kustomization: the kind is what is wrong
		} else {
			c.fail(f.path, f.keyLine("apiVersion"), fmt.Sprintf("apiVersion %q does not go with kind %s (kustomize: %s)", k.APIVersion, k.Kind, msg),
				"a Kustomization's apiVersion is kustomize.config.k8s.io/v1beta1, a Component's kustomize.config.k8s.io/v1alpha1", nil)
		}
	}
	if len(k.HelmCharts) > 0 {
		c.fail(f.path, f.keyLine("helmCharts", "helmChartInflationGenerator"),
			"helmCharts is not supported: kustomize would run the helm program", hintHelm, nil)
	}
	for _, r := range k.Resources {
		c.entry(f, []string{"resources", "bases"}, r, fileOrDir, plugins)
	}
	for _, r := range k.Components {
		c.entry(f, []string{"components"}, r, dirOnly, false)
		// A component acts after every resource of the kustomization
		// that lists it, its siblings' trees included: includedBy does
		// not say what comes after what then.
		c.blind.unordered = true
	}
	for _, fl := range []struct {
		field string
		list  []string
	}{{"generators", k.Generators}, {"transformers", k.Transformers}, {"validators", k.Validators}} {
		for _, r := range fl.list {
			if inline(r) {
				// An inline configuration is a block scalar: its first
				// line is the one after the scalar's indicator.
				c.pluginConfigs(f, f.path, f.valueLine([]string{fl.field}, r), []byte(r))
				continue
			}
			c.entry(f, []string{fl.field}, r, fileOrDir, true)
		}
	}

	for _, p := range k.Crds {
		c.entry(f, []string{"crds"}, p, loadOnly, false)
	}
	for _, p := range k.Configurations {
		c.entry(f, []string{"configurations"}, p, loadOnly, false)
		c.blind.images = true // they may point the images transformer at any field
	}
	if len(k.Transformers) > 0 {
		// A transformer's configuration (an ImageTagTransformer, a
		// PatchTransformer, a function) may rename, re-kind, delete,
		// re-label or re-image any object.
		b := &c.blind
		b.names, b.kinds, b.deletes, b.labels, b.images = true, true, true, true, true
	}
	if k.NamePrefix != "" {
		c.blind.prefixes = append(c.blind.prefixes, k.NamePrefix)
	}
	if k.NameSuffix != "" {
		c.blind.suffixes = append(c.blind.suffixes, k.NameSuffix)
	}
	c.localConfig = c.localConfig || bytes.Contains(data, []byte("local-config"))
	c.selections = append(c.selections, selectionsOf(f, &k)...)
	c.replacements = c.replacements || len(k.Replacements) > 0
	c.kusts = append(c.kusts, kustAt{dir: dir, k: &k})
	if p := k.OpenAPI["path"]; p != "" {
		c.entry(f, []string{"openapi"}, p, loadOnly, false)
	}
	for _, p := range k.Patches {
		e := patchEntry{file: f.path, data: p.Patch}
		if p.Path != "" {
			e.path, e.line = filepath.Join(dir, filepath.FromSlash(p.Path)), f.valueLine([]string{"patches"}, p.Path)
		} else {
			e.line = f.keyLine("patches")
		}
		c.patches = append(c.patches, e)
	}
	for _, p := range k.PatchesStrategicMerge {
		e := patchEntry{file: f.path, line: f.keyLine("patchesStrategicMerge")}
		if s := string(p); inline(s) {
			e.data = s
		} else {
			e.path, e.line = filepath.Join(dir, filepath.FromSlash(s)), f.valueLine([]string{"patchesStrategicMerge"}, s)
		}
		c.patches = append(c.patches, e)
	}
	for _, p := range append(append([]types.Patch(nil), k.Patches...), k.PatchesJson6902...) {
		e := jsonPatchEntry{kf: f, data: p.Patch}
		if p.Path != "" {
			e.path = filepath.Join(dir, filepath.FromSlash(p.Path))
		}
		c.jsonPatches = append(c.jsonPatches, e)
	}
	for _, p := range append(append([]types.Patch(nil), k.Patches...), k.PatchesJson6902...) {
		if p.Path != "" {
			c.entry(f, []string{"patches", "patchesJson6902"}, p.Path, loadOnly, false)
		}
	}
	for _, p := range k.PatchesStrategicMerge {
		if s := string(p); !inline(s) {
			c.entry(f, []string{"patchesStrategicMerge"}, s, loadOnly, false)
		}
	}
	for _, r := range k.Replacements {
		if r.Path != "" {
			c.replacementFile(c.entry(f, []string{"replacements"}, r.Path, loadOnly, false))
			continue
		}
		if r.Source != nil && annotationsWhole(r.Source.FieldPath) {
			c.annotations = true
		}
		for _, t := range r.Targets {
			if t != nil && slices.ContainsFunc(t.FieldPaths, annotationsWhole) {
				c.annotations = true
			}
		}
	}
	generator := func(field string, g types.GeneratorArgs) {
		for _, lit := range g.LiteralSources {
			if strings.Index(lit, "=") <= 0 { // as kustomize's parseLiteralSource
				// kustomize's own error (api/kv) lists every literal of
				// the generator, passwords included; kiln names the line.
				c.fail(f.path, f.valueLine([]string{field}, lit),
					fmt.Sprintf("%s %s: a literal is not key=value (kiln does not show it: it may hold a secret)", field, g.Name),
					"write each literal as KEY=value; a value may contain = but the key may not", nil)
			}
		}
		for _, src := range g.FileSources {
			c.entry(f, []string{field}, fileSourcePath(src), loadOnly, false)
		}
		for _, src := range g.EnvSources {
			c.entry(f, []string{field}, src, loadOnly, false)
			if field == "secretGenerator" {
				c.envLines(f, g.Name, src)
			}
		}
	}
	for _, g := range k.ConfigMapGenerator {
		generator("configMapGenerator", g.GeneratorArgs)
	}
	for _, g := range k.SecretGenerator {
		generator("secretGenerator", g.GeneratorArgs)
	}
	return k.Kind
}

// entry checks one path entry of field in f and returns the path it leads
// to, "" when it is remote or leads outside the repository.
func (c *checker) entry(f *kfile, fields []string, value string, kind entryKind, plugins bool) (real string) {
	// The line is looked up only for an error: most trees have none, and
	// finding it parses the kustomization again, for its lines.
	line := func() int { return f.valueLine(fields, value) }
	field := fields[0]
	if remote(value) {
		c.fail(f.path, line(), fmt.Sprintf("%s: %q is remote; kiln does not fetch remote bases or files", field, value), hintRemote, nil)
		return ""
	}
	target := value
	if !filepath.IsAbs(target) {
		target = filepath.Join(f.dir, filepath.FromSlash(value))
	}
	real, err := c.fsys.Recorder().Resolve(c.root, target)
	if err != nil {
		c.plain = false
		var oe *rootfs.OutsideError
		if errors.As(err, &oe) {
			c.fail(f.path, line(), fmt.Sprintf("%s: %q leads outside the repository (to %s)", field, value, oe.Target), hintOutside, err)
		}
		return ""
	}
	if kind == loadOnly {
		// krusty reports a missing file too, but only the first, and
		// without the line that names it (or with the whole generator or
		// patch configuration around it).
		if _, err := c.fsys.Stat(real); errors.Is(err, os.ErrNotExist) {
			c.missing(f, line(), field, value, err)
		} else if err == nil {
			c.aboveRoot(f, line, field, value, real)
		}
		return
	}
	resource := field == "resources" || field == "bases"
	if resource && (filepath.IsAbs(value) || path.Join(rootfs.Rel(c.root, f.dir), filepath.ToSlash(value)) != rootfs.Rel(c.root, real)) {
		c.plain = false
	}
	info, err := c.fsys.Stat(real)
	if errors.Is(err, os.ErrNotExist) {
		c.missing(f, line(), field, value, err)
		return
	}
	if err != nil {
		c.plain = false
		return
	}
	if info.IsDir() {
		if c.includedBy == nil {
			c.includedBy = map[string][]string{}
		}
		c.includedBy[real] = append(c.includedBy[real], f.dir)
		switch kind := c.kustomization(real, plugins); {
		case kind == "":
			c.folderWithout(f, line(), field, value, real)
		case kind == unknownKind:
		case kind == types.ComponentKind && (field == "resources" || field == "bases"):
			// krusty: "expected kind != 'Component' for path …", naming
			// neither the entry nor the kustomization that lists it.
			c.fail(f.path, line(), fmt.Sprintf("%s: %q is a Component, which kustomize applies only from components:", field, value),
				"list it under components", nil)
		case kind == types.KustomizationKind && field == "components":
			c.fail(f.path, line(), fmt.Sprintf("components: %q is a %s, not a Component", value, kind),
				"list it under resources, or make it a component: apiVersion: kustomize.config.k8s.io/v1alpha1, kind: Component", nil)
		}
		return
	}
	if kind == dirOnly {
		// krusty names only the file ("must build at directory: …: file
		// is not directory"), not the entry that lists it.
		c.fail(f.path, line(), fmt.Sprintf("%s: %q is a file, and a component is a folder", field, value),
			"list the file under resources, or make the component a folder with a kustomization.yaml of apiVersion: kustomize.config.k8s.io/v1alpha1, kind: Component", nil)
		return ""
	}
	if c.aboveRoot(f, line, field, value, real) {
		return ""
	}
	if resource {
		c.resFiles = append(c.resFiles, rootfs.Rel(c.root, real))
	}
	// A configuration's .env files are read from f's folder: one file
	// is checked again for another kustomization.
	if plugins && kind == fileOrDir && c.first(f.dir+"\x00"+real) {
		data, err := c.fsys.ReadFile(real)
		if err == nil {
			c.pluginConfigs(f, rootfs.Rel(c.root, real), 0, data)
		}
	}
	return real
}

// folderWithout reports the entry value of f, which names real, a folder
// that holds no kustomization. krusty names the folder deep in its chain
// of wrappers, not the entry; and Flux writes a kustomization only for the
// folder its Kustomization's path names, so a folder of plain YAML files
// that works as an app's path fails as a base.
func (c *checker) folderWithout(f *kfile, line int, field, value, real string) {
	hint := "add a kustomization.yaml to the folder that lists its files, or list the files themselves"
	if names, err := c.fsys.ReadDir(real); err == nil {
		var files []string
		for _, n := range names {
			if ext := strings.ToLower(path.Ext(n)); ext == ".yaml" || ext == ".yml" || ext == ".json" {
				files = append(files, path.Join(filepath.ToSlash(value), n))
			}
		}
		slices.Sort(files)
		if len(files) > 3 {
			files = append(files[:3], "…")
		}
		if len(files) > 0 {
			hint += " (" + strings.Join(files, ", ") + ")"
		}
	}
	if field == "components" {
		hint = "add a kustomization.yaml of apiVersion: kustomize.config.k8s.io/v1alpha1, kind: Component to the folder"
	}
	c.fail(f.path, line, fmt.Sprintf("%s: %q is a folder without a kustomization.yaml, kustomization.yml or Kustomization", field, value), hint, nil)
}

// annotationsWhole reports whether a replacement's field path is an
// object's annotations as a whole. kiln builds with origin annotations
// (originFS), so every object has annotations while krusty runs: a
// replacement from or into metadata.annotations of an object that has
// none then succeeds, where `kustomize build` fails with "fieldPath
// metadata.annotations is missing for replacement source" or "unable to
// find field", and the removal of the origin annotation afterwards hides
// it. Such a tree is built again without them (annotatedBuild). A path
// into the map (metadata.annotations.team) fails alike with and without
// them, and a whole metadata always exists.
func annotationsWhole(fieldPath string) bool {
	return strings.TrimSpace(fieldPath) == "metadata.annotations"
}

// replacementFile sets c.annotations when the replacements file real
// (entry's resolution of its path) names metadata.annotations whole
// anywhere, or cannot be read (krusty reports why).
func (c *checker) replacementFile(real string) {
	if real == "" {
		c.annotations = true
		return
	}
	if !c.first("replacements\x00" + real) {
		return // a file named again says what it said
	}
	data, err := c.fsys.ReadFile(real)
	if err != nil {
		c.annotations = true
		return
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			if !errors.Is(err, io.EOF) {
				c.annotations = true
			}
			return
		}
		if hasScalar(&doc, annotationsWhole) {
			c.annotations = true
			return
		}
	}
}

// hasScalar reports whether a scalar below n satisfies match.
func hasScalar(n *yaml.Node, match func(string) bool) bool {
	if n.Kind == yaml.ScalarNode && match(n.Value) {
		return true
	}
	for _, c := range n.Content {
		if hasScalar(c, match) {
			return true
		}
	}
	return false
}

// aboveRoot reports value, an entry of field in f that leads to the file
// real, when real is not in or below f's folder, and says whether it did.
// kustomize build loads files with root-only load restrictions, as kiln
// does, and fails at the first such file with a message that names neither
// the kustomization nor the line ("security; file ... is not in or below
// ..."). kustomize-controller builds without them, so a repository Flux
// applies can have many (xunholy/k8s-gitops lists its apps' ks.yaml files
// from an overlay): each is named, with what to do.
func (c *checker) aboveRoot(f *kfile, line func() int, field, value, real string) bool {
	if rootfs.Within(f.dir, filepath.Dir(real)) {
		return false
	}
	// f.dir is symlink-free when krusty's loader root is: only the
	// top folder could be a link, resolved here, on the rare way to an error.
	if dir, err := rootfs.RealPath(f.dir); err != nil || rootfs.Within(dir, filepath.Dir(real)) {
		return false
	}
	c.plain = false
	hint := "move the file into " + rootfs.Rel(c.root, f.dir) + " or a folder below it"
	if field == "resources" || field == "bases" {
		hint = fmt.Sprintf("name a folder instead, whose kustomization lists the file (resources: [%s] in a kustomization.yaml of %s), or %s",
			filepath.Base(real), rootfs.Rel(c.root, filepath.Dir(real)), hint)
	}
	c.fail(f.path, line(), fmt.Sprintf("%s: %q is a file outside the kustomization's folder, which kustomize build refuses: it loads files only from a kustomization's folder and below (Flux's kustomize-controller does not restrict this)", field, value), hint, nil)
	return true
}

// missing reports value, an entry of field in f at line, as a path that
// does not exist.
func (c *checker) missing(f *kfile, line int, field, value string, err error) {
	hint := "check the path: it is relative to the folder of " + f.path
	if s := rootfs.Suggest(c.root, f.dir, value); s != "" && !filepath.IsAbs(value) {
		hint = fmt.Sprintf("did you mean %q?", s)
	}
	c.fail(f.path, line, fmt.Sprintf("%s: %q does not exist", field, value), hint, err)
}

// kustomizationSyntaxRe reads a YAML syntax error of a kustomization, as
// krusty's reader (sigs.k8s.io/yaml, go-yaml v2) words it.
var kustomizationSyntaxRe = regexp.MustCompile(`invalid Kustomization: yaml: line (\d+): (.*)$`)

// syntaxError reports a kustomization that is not valid YAML at the line
// the YAML reader names, which krusty leaves in its message, while kiln
// named only the top kustomization, even for a base's. It reports false
// when err is no such error.
func (c *checker) syntaxError(f *kfile, err error) bool {
	m := kustomizationSyntaxRe.FindStringSubmatch(err.Error())
	if m == nil {
		return false
	}
	line, _ := strconv.Atoi(m[1])
	if yamlParserErrorRe.MatchString(m[2]) && line < bytes.Count(f.data, []byte("\n")) {
		// go-yaml v2 names a parser's error (not a scanner's) by the
		// line before the one it stopped at, which is the culprit
		// more often (an indentation). At the end of the file, that
		// line before is (an unclosed bracket).
		line++
	}
	c.fail(f.path, line, "the kustomization is not valid YAML: "+m[2], diag.YAMLSyntaxHint(err), err)
	return true
}

// yamlParserErrorRe matches the errors of go-yaml v2's parser, whose line
// (parser.fail) is its mark's zero-based line; its scanner's errors are
// counted from one.
var yamlParserErrorRe = regexp.MustCompile(`^did not find expected (<document start>|node content|'-' indicator|key|',' or '\]'|',' or '\}')$`)

// unknownFieldRe reads the field encoding/json refuses in a
// kustomization (types.Kustomization.Unmarshal disallows unknown fields).
var unknownFieldRe = regexp.MustCompile(`json: unknown field "([^"]*)"`)

// unknownField reports a key of f that is no field of a Kustomization, at
// its line and with the field it is closest to; krusty names neither.
func (c *checker) unknownField(f *kfile, err error) {
	m := unknownFieldRe.FindStringSubmatch(err.Error())
	if m == nil {
		return
	}
	hint := "see the fields of a Kustomization and its entries: https://kubectl.docs.kubernetes.io/references/kustomize/kustomization/"
	line := f.keyLine(m[1])
	if line > 0 {
		if s := diag.Closest(m[1], kustomizationFields()); s != "" {
			hint = fmt.Sprintf("did you mean %q?", s)
		}
	} else if n := f.top(); n != nil {
		// A field of an entry (a patch's, a generator's): json does not
		// say which entry, so name the first key of that name.
		line = findKey(n, m[1])
	}
	c.fail(f.path, line, fmt.Sprintf("unknown field %q in a kustomization", m[1]), hint, err)
}

// findKey returns the line of the first mapping key below n named key,
// matched without case as encoding/json does; 0 if none.
func findKey(n *yaml.Node, key string) int {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if strings.EqualFold(n.Content[i].Value, key) {
				return n.Content[i].Line
			}
		}
	}
	for _, c := range n.Content {
		if l := findKey(c, key); l > 0 {
			return l
		}
	}
	return 0
}

// kustomizationFields are the JSON names of a Kustomization's fields.
func kustomizationFields() []string {
	var names []string
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			switch {
			case sf.Anonymous && name == "":
				walk(sf.Type)
			case name != "" && name != "-":
				names = append(names, name)
			}
		}
	}
	walk(reflect.TypeOf(types.Kustomization{}))
	return names
}

// pluginConfigs checks generator and transformer configurations: builtin
// plugins load files named in them (PatchTransformer's path,
// ConfigMapGenerator's files, ...) through the same loader, which fetches
// http(s) URLs, and HelmChartInflationGenerator would run helm; a
// SecretGenerator's .env files get envLines' check. f is the
// kustomization that lists them.
func (c *checker) pluginConfigs(f *kfile, file string, lineOffset int, data []byte) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			return // io.EOF, or a parse error krusty reports
		}
		if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
			continue
		}
		m := doc.Content[0]
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == "kind" && m.Content[i+1].Value == "HelmChartInflationGenerator" {
				c.fail(file, lineOffset+m.Content[i+1].Line, "HelmChartInflationGenerator is not supported: kustomize would run the helm program", hintHelm, nil)
			}
			if m.Content[i].Value == "kind" && m.Content[i+1].Value == "ReplacementTransformer" {
				// Its replacements may be inline or in files: rarer than
				// a kustomization's own, so assumed to name annotations.
				c.annotations = true
			}
		}
		c.scanPaths(file, lineOffset, m, "")
		// A builtin SecretGenerator reads its .env files from the
		// kustomization's folder, as secretGenerator does.
		var g struct {
			Kind     string `yaml:"kind"`
			Metadata struct {
				Name string `yaml:"name"`
			} `yaml:"metadata"`
			Envs []string `yaml:"envs"`
			Env  string   `yaml:"env"`
		}
		if m.Decode(&g) == nil && g.Kind == "SecretGenerator" {
			for _, src := range append(g.Envs, g.Env) {
				if src != "" {
					c.envLines(f, g.Metadata.Name, src)
				}
			}
		}
	}
}

// pathKeys are the fields of builtin plugin configurations that name files.
var pathKeys = map[string]bool{"path": true, "paths": true, "files": true, "envs": true, "env": true}

// scanPaths reports remote URLs in the values of pathKeys below n; key is
// the path key n is the value of, "" if none.
func (c *checker) scanPaths(file string, lineOffset int, n *yaml.Node, key string) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			if !pathKeys[key] {
				key = ""
			}
			c.scanPaths(file, lineOffset, n.Content[i+1], key)
		}
	case yaml.SequenceNode:
		for _, e := range n.Content {
			c.scanPaths(file, lineOffset, e, key)
		}
	case yaml.ScalarNode:
		if key != "" && remote(fileSourcePath(n.Value)) {
			c.fail(file, lineOffset+n.Line, fmt.Sprintf("%s: %q is remote; kiln does not fetch remote bases or files", key, n.Value), hintRemote, nil)
		}
	}
}

// envLines refuses each line of a secretGenerator's .env file src that is
// not KEY=value. kustomize (api/kv) makes such a line one key with an
// empty value, so a password written alone on its line ("hunter2!", or
// "PASSWORD hunter2") would become a key of the Secret: keys are written
// in plain text (SOPS encrypts values), shown in diffs and quoted by
// validation. The error names the line, never its text. A file that
// cannot be read is left to entry and krusty.
func (c *checker) envLines(f *kfile, generator, src string) {
	p := src
	if !filepath.IsAbs(p) {
		p = filepath.Join(f.dir, filepath.FromSlash(src))
	}
	real, err := c.fsys.Recorder().Resolve(c.root, p)
	if err != nil || !c.first(real) {
		return
	}
	data, err := c.fsys.ReadFile(real)
	if err != nil {
		return
	}
	for i, line := range strings.Split(string(data), "\n") {
		// As kustomize reads them: a BOM on the first line, leading
		// blanks, blank lines and comments skipped.
		if i == 0 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		line = strings.TrimLeftFunc(strings.TrimSuffix(line, "\r"), unicode.IsSpace)
		if line == "" || line[0] == '#' || strings.Contains(line, "=") {
			continue
		}
		c.fail(rootfs.Rel(c.root, real), i+1,
			fmt.Sprintf("secretGenerator %s: a line is not KEY=value, so kustomize would make the whole line a key of the Secret, in plain text (kiln does not show it: it may hold a secret)", generator),
			"write the line as KEY=value, or remove it", nil)
	}
}

// first reports whether key is checked for the first time.
func (c *checker) first(key string) bool {
	if c.checked[key] {
		return false
	}
	if c.checked == nil {
		c.checked = map[string]bool{}
	}
	c.checked[key] = true
	return true
}

func (c *checker) fail(file string, line int, msg, hint string, err error) {
	if line < 0 {
		line = 0
	}
	c.errs = append(c.errs, &diag.Error{File: file, Line: line, Msg: msg, Hint: hint, Err: err})
}

// scpUser matches the user@ that makes kustomize read an entry as an
// scp-style git URL (git@github.com:org/repo).
var scpUser = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]*@`)

// remote reports whether krusty could treat s as a remote location. It
// covers everything kustomize's git.NewRepoSpecFromURL accepts (an
// optional git:: prefix, then a scheme, a user@, or github.com/ or
// github.com:) and http(s) files, and errs on the side of refusing: any
// "scheme://" counts.
func remote(s string) bool {
	l := strings.ToLower(strings.TrimSpace(s))
	l = strings.TrimPrefix(l, "git::")
	return strings.Contains(l, "://") ||
		scpUser.MatchString(l) ||
		strings.HasPrefix(l, "github.com/") || strings.HasPrefix(l, "github.com:")
}

// inline reports whether a generators/transformers/patchesStrategicMerge
// entry is an inline YAML object rather than a path, as kustomize decides:
// a path parses as a plain scalar.
func inline(s string) bool {
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(s), &n); err != nil {
		return strings.Contains(s, "\n")
	}
	return len(n.Content) == 1 && n.Content[0].Kind != yaml.ScalarNode
}

// fileSourcePath returns the path of a generator file source, which is
// "path" or "key=path".
func fileSourcePath(src string) string {
	if _, p, ok := strings.Cut(src, "="); ok {
		return p
	}
	return src
}

// kfile is a kustomization file being checked.
type kfile struct {
	path   string     // repo-relative
	dir    string     // absolute folder
	data   []byte     // its content
	parsed bool       // node is set
	node   *yaml.Node // top-level mapping, nil if unparsable
}

// top returns the file's top-level node, parsing it on first use.
func (f *kfile) top() *yaml.Node {
	if !f.parsed {
		f.parsed = true
		var doc yaml.Node
		if yaml.Unmarshal(f.data, &doc) == nil && len(doc.Content) == 1 {
			f.node = doc.Content[0]
		}
	}
	return f.node
}

// keyLine returns the line of the first of keys present (matched without
// case, as kustomize's JSON decoding does), 0 if none.
func (f *kfile) keyLine(keys ...string) int {
	if n := f.field(keys); n != nil {
		return n.key.Line
	}
	return 0
}

// valueLine returns the line of value under the first of fields that
// holds it, else the line of the field, else 0.
func (f *kfile) valueLine(fields []string, value string) int {
	first := 0
	for _, k := range fields {
		fv := f.field([]string{k})
		if fv == nil {
			continue
		}
		if first == 0 {
			first = fv.key.Line
		}
		if l := findScalar(fv.value, value); l > 0 {
			return l
		}
	}
	return first
}

// itemLine returns the line of the i-th item of the list under key, else
// the line of key, else 0.
func (f *kfile) itemLine(key string, i int) int {
	fv := f.field([]string{key})
	switch {
	case fv == nil:
		return 0
	case fv.value.Kind == yaml.SequenceNode && i < len(fv.value.Content):
		return fv.value.Content[i].Line
	}
	return fv.key.Line
}

type keyValue struct{ key, value *yaml.Node }

func (f *kfile) field(keys []string) *keyValue {
	n := f.top()
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for _, k := range keys {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if strings.EqualFold(n.Content[i].Value, k) {
				return &keyValue{key: n.Content[i], value: n.Content[i+1]}
			}
		}
	}
	return nil
}

// findScalar returns the line of the first scalar below n whose value is
// value or ends in "=value" (a generator's key=path).
func findScalar(n *yaml.Node, value string) int {
	if n.Kind == yaml.ScalarNode && (n.Value == value || strings.HasSuffix(n.Value, "="+value)) {
		return n.Line
	}
	for _, c := range n.Content {
		if l := findScalar(c, value); l > 0 {
			return l
		}
	}
	return 0
}
