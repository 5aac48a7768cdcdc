package kustomize

import (
	"bytes"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
	"k8s.io/apimachinery/pkg/labels"
	labelop "k8s.io/apimachinery/pkg/selection"
	"sigs.k8s.io/kustomize/api/types"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/templates"
)

// selection is an entry of a kustomization that acts on the objects it
// selects: a patch with a target, or an images entry. One that selects
// nothing does nothing, and `kustomize build` (so Flux) says nothing: a
// typo in an image's name or a patch's target leaves the tag or the
// change it was written for out of the output, unseen.
type selection struct {
	file  string // the kustomization, repository-relative
	dir   string // its folder, absolute
	line  int
	what  string // "patches[1]", "images[0]"
	patch *types.Selector
	image *types.Image
}

// selectionsOf returns k's selections; f is k's file.
func selectionsOf(f *kfile, k *types.Kustomization) []selection {
	var out []selection
	for _, field := range []struct {
		name    string
		patches []types.Patch
	}{{"patches", k.Patches}, {"patchesJson6902", k.PatchesJson6902}} {
		for i, p := range field.patches {
			if p.Target != nil {
				out = append(out, selection{file: f.path, line: f.itemLine(field.name, i), what: fmt.Sprintf("%s[%d]", field.name, i), patch: p.Target})
			}
		}
	}
	// FixKustomization put the deprecated imageTags after images.
	n := 0
	if fv := f.field([]string{"images"}); fv != nil && fv.value.Kind == yaml.SequenceNode {
		n = len(fv.value.Content)
	}
	for i := range k.Images {
		s := selection{file: f.path, dir: f.dir, line: f.itemLine("images", i), what: fmt.Sprintf("images[%d]", i), image: &k.Images[i]}
		if i >= n {
			s.line, s.what = f.itemLine("imageTags", i-n), fmt.Sprintf("imageTags[%d]", i-n)
		}
		out = append(out, s)
	}
	return out
}

// unselected returns a warning for each of sels that selects no object of
// objs, the build's output. The output is what the tree's kustomizations
// made of the objects after they selected them, so each test leans
// towards "selected": a name is matched anywhere in the object's name
// (later prefixes, suffixes and hashes), namespaces are not compared (a
// later namespace transformer moves objects), a label or annotation
// selector asks only for the keys it requires (a later layer may have
// changed their values), an image may bear the names later entries gave
// it, and what b says the tree may have renamed, deleted or re-imaged is
// not judged. What is left is a warning kustomize itself
// could have given: no object of the kind, no name like it, no image of
// the name.
//
// hidden adds to b what the tree's patches and replacements may hide
// (checker.hidden): it reads every patch file, work only a selection
// the output alone finds unselected needs, so it runs once, then. What
// hidden adds only makes a test lean further towards "selected", so a
// selection found selected before it ran stays so.
func unselected(sels []selection, objs []templates.Object, b blind, hidden func(blind) blind) []templates.Warning {
	var entries []selection
	for _, s := range sels {
		if s.image != nil {
			entries = append(entries, s)
		}
	}
	var images []string
	imagesRead := false
	warning := func(s selection, b blind) (templates.Warning, bool) {
		switch {
		case s.patch != nil && !b.kinds && !b.deletes:
			if !selectsAny(s.patch, objs, b) {
				return templates.Warning{File: s.file, Line: s.line,
					Msg:  fmt.Sprintf("%s: its target (%s) selects no object of the build, so kustomize applies the patch to nothing; kustomize build, which Flux runs, says nothing", s.what, describeTarget(s.patch)),
					Hint: "match the target to an object the kustomization builds (kind, group and version as the object has them; the name is a regular expression matched against the name before later prefixes and suffixes), or remove the patch"}, true
			}
		case s.image != nil && !b.images && s.image.Name != "":
			if !imagesRead {
				images, imagesRead = containerImages(objs), true
			}
			if !imageUsed(s.image, renamedTo(s, entries, b), images) {
				return templates.Warning{File: s.file, Line: s.line,
					Msg:  fmt.Sprintf("%s: no container of the build runs an image named %s, so kustomize changes no image; kustomize build, which Flux runs, says nothing", s.what, s.image.Name),
					Hint: "write the image's name as the containers give it, without tag or digest (nginx and docker.io/library/nginx are different names to kustomize), or remove the entry"}, true
			}
		}
		return templates.Warning{}, false
	}
	var ws []templates.Warning
	scanned := false
	for _, s := range sels {
		w, ok := warning(s, b)
		if ok && !scanned {
			b, scanned = hidden(b), true
			w, ok = warning(s, b)
		}
		if ok {
			ws = append(ws, w)
		}
	}
	return ws
}

// describeTarget is a selector in a few words: its fields that are set.
func describeTarget(t *types.Selector) string {
	var parts []string
	for _, f := range []struct{ k, v string }{
		{"group", t.Group}, {"version", t.Version}, {"kind", t.Kind}, {"name", t.Name}, {"namespace", t.Namespace},
		{"labelSelector", t.LabelSelector}, {"annotationSelector", t.AnnotationSelector},
	} {
		if f.v != "" {
			parts = append(parts, f.k+" "+f.v)
		}
	}
	if len(parts) == 0 {
		return "every object"
	}
	return strings.Join(parts, ", ")
}

// selectsAny reports whether t may have selected an object of objs, of a
// tree b tells of.
func selectsAny(t *types.Selector, objs []templates.Object, b blind) bool {
	m := compileTarget(t, b)
	for _, o := range objs {
		if o.Node != nil && m.matches(o.Node) {
			return true
		}
	}
	return false
}

// targetMatcher is a patch's target compiled once for all the objects:
// a nil field matches anything.
type targetMatcher struct {
	group, version, kind, name *regexp.Regexp
	labels, annotations        labels.Selector
	// whole is the name anchored, as kustomize matches it, for a name
	// unanchored misses: one with ^ or $ of its own. It is held against
	// the name without the tree's prefixes, suffixes and hash.
	whole              *regexp.Regexp
	prefixes, suffixes []string
}

// compileTarget compiles t as kustomize matches it: group, version and
// kind as anchored regular expressions, the name unanchored (later
// prefixes and suffixes) unless anyName. A pattern kustomize would refuse
// matches anything: the build failed then.
func compileTarget(t *types.Selector, b blind) targetMatcher {
	anchored := func(p string) *regexp.Regexp {
		if p == "" {
			return nil
		}
		re, _ := regexp.Compile("^(?:" + p + ")$")
		return re
	}
	m := targetMatcher{group: anchored(t.Group), version: anchored(t.Version), kind: anchored(t.Kind),
		prefixes: b.prefixes, suffixes: b.suffixes}
	if !b.labels {
		m.labels, m.annotations = setSelector(t.LabelSelector), setSelector(t.AnnotationSelector)
	}
	if t.Name != "" && !b.names {
		m.name, _ = regexp.Compile(t.Name)
		m.whole = anchored(t.Name)
	}
	return m
}

func (m targetMatcher) matches(n *kyaml.RNode) bool {
	ok := func(re *regexp.Regexp, s string) bool { return re == nil || re.MatchString(s) }
	if !ok(m.kind, n.GetKind()) || !ok(m.name, n.GetName()) && !m.wholeName(n.GetName()) {
		return false
	}
	group, version, cut := strings.Cut(n.GetApiVersion(), "/")
	if !cut {
		group, version = "", group
	}
	return ok(m.group, group) && ok(m.version, version) &&
		(m.labels == nil || m.labels.Matches(labels.Set(n.GetLabels()))) &&
		(m.annotations == nil || m.annotations.Matches(labels.Set(n.GetAnnotations())))
}

// hashRE is the suffix kustomize gives a generated object's name.
var hashRE = regexp.MustCompile(`-[a-z0-9]{10}$`)

// wholeName reports whether m.whole matches name without some of the
// prefixes and suffixes the tree's layers may have given it: each end is
// cut, in any order and as often as they fit, by the tree's namePrefix
// and nameSuffix values and a generator's hash.
func (m targetMatcher) wholeName(name string) bool {
	if m.whole == nil {
		return false
	}
	starts := []int{0}
	for i := 0; i < len(starts); i++ {
		for _, p := range m.prefixes {
			if at := starts[i] + len(p); strings.HasPrefix(name[starts[i]:], p) && !slices.Contains(starts, at) {
				starts = append(starts, at)
			}
		}
	}
	ends := []int{len(name)}
	for i := 0; i < len(ends); i++ {
		cut := func(at int) {
			if !slices.Contains(ends, at) {
				ends = append(ends, at)
			}
		}
		for _, sfx := range m.suffixes {
			if strings.HasSuffix(name[:ends[i]], sfx) {
				cut(ends[i] - len(sfx))
			}
		}
		if loc := hashRE.FindStringIndex(name[:ends[i]]); loc != nil {
			cut(loc[0])
		}
	}
	for _, i := range starts {
		for _, j := range ends {
			if i <= j && m.whole.MatchString(name[i:j]) {
				return true
			}
		}
	}
	return false
}

// setSelector is what the output can judge of the label selector sel:
// whether an object has the keys its requirements ask to be there (=,
// in, exists, gt, lt), whatever their values, as a later layer's labels
// or a patch may have changed a value the selector matched. nil when it
// asks for no key: none given, one kustomize refuses, or only negations
// (labels added later can make them fail where they matched).
func setSelector(sel string) labels.Selector {
	if sel == "" {
		return nil
	}
	s, err := labels.Parse(sel)
	if err != nil {
		return nil
	}
	reqs, _ := s.Requirements()
	keys := labels.NewSelector()
	for _, r := range reqs {
		switch r.Operator() {
		case labelop.Equals, labelop.DoubleEquals, labelop.In, labelop.Exists, labelop.GreaterThan, labelop.LessThan:
			req, err := labels.NewRequirement(r.Key(), labelop.Exists, nil)
			if err != nil {
				return nil
			}
			keys = keys.Add(*req)
		}
	}
	if keys.Empty() {
		return nil
	}
	return keys
}

// containerImages are the images of objs: every string under a key image
// or at image.reference, in any object but a CustomResourceDefinition (kustomize's images
// transformer looks in every containers and initContainers list but a
// CRD's).
func containerImages(objs []templates.Object) []string {
	var out []string
	var walk func(n *kyaml.Node)
	walk = func(n *kyaml.Node) {
		switch n.Kind {
		case kyaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i].Value, n.Content[i+1]
				if k == "image" && v.Kind == kyaml.ScalarNode {
					out = append(out, v.Value)
					continue
				}
				if k == "image" && v.Kind == kyaml.MappingNode {
					// An image volume (spec.volumes[].image.reference),
					// which kustomize's images fieldSpecs name.
					for j := 0; j+1 < len(v.Content); j += 2 {
						if v.Content[j].Value == "reference" && v.Content[j+1].Kind == kyaml.ScalarNode {
							out = append(out, v.Content[j+1].Value)
						}
					}
				}
				walk(n.Content[i+1])
			}
		case kyaml.SequenceNode, kyaml.DocumentNode:
			for _, c := range n.Content {
				walk(c)
			}
		}
	}
	for _, o := range objs {
		if o.Node != nil && o.Node.GetKind() != "CustomResourceDefinition" {
			walk(o.Node.YNode())
		}
	}
	return out
}

// renamedTo returns the names the images s's entry sets may have been
// given since by the entries that act after it (entries, s among them):
// an overlay's newName (a registry mirror, say) renames the image a
// base's entry gave a tag, and the output holds no image by the base's
// names. An entry acts after s's when it comes later in the same
// kustomization or its kustomization includes s's, at any depth
// (includedBy); in a tree with components, any entry (unordered). Each
// such entry whose name matches a name s's images
// may bear adds its newName, until none adds one.
func renamedTo(s selection, entries []selection, b blind) []string {
	later := map[string]bool{}
	for queue := slices.Clone(b.includedBy[s.dir]); len(queue) > 0; queue = queue[1:] {
		if d := queue[0]; !later[d] {
			later[d] = true
			queue = append(queue, b.includedBy[d]...)
		}
	}
	names := []string{s.image.Name}
	if s.image.NewName != "" {
		names = append(names, s.image.NewName)
	}
	for added := true; added; {
		added = false
		after := false // past s in entries
		for _, e := range entries {
			if e.image == s.image {
				after = true
				continue
			}
			acts := b.unordered || later[e.dir] || after && e.dir == s.dir
			if !acts || e.image.NewName == "" || slices.Contains(names, e.image.NewName) {
				continue
			}
			for _, n := range names {
				if imageMatched(n, e.image.Name) {
					names = append(names, e.image.NewName)
					added = true
					break
				}
			}
		}
	}
	return names[1:]
}

// imageRest is what kustomize's images transformer allows after the name
// it matches: a tag and a digest (api/internal/image.IsImageMatched).
const imageRest = `(:[a-zA-Z0-9_.{}-]*)?(@[a-zA-Z0-9]+([.+_-][a-zA-Z0-9]+)*:[a-zA-Z0-9_.{}-]*)?$`

// imageMatched reports whether the image s answers to the images entry's
// name, as kustomize matches it; a name kustomize cannot compile matches
// nothing there.
func imageMatched(s, name string) bool {
	re, err := regexp.Compile("^" + name + imageRest)
	return err == nil && re.MatchString(s)
}

// imageUsed reports whether an image of images is one im names, by its
// name or by a name it has been given since (renamed: its newName, and
// those of later entries), with any tag and digest: the name is a
// regular expression to kustomize, as here.
func imageUsed(im *types.Image, renamed []string, images []string) bool {
	var res []*regexp.Regexp
	// Not grouped, as kustomize has it: a name nginx|redis matches any
	// image that begins with nginx.
	if re, err := regexp.Compile("^" + im.Name + imageRest); err == nil {
		res = append(res, re)
	} else {
		return true
	}
	for _, n := range renamed {
		res = append(res, regexp.MustCompile("^"+regexp.QuoteMeta(n)+imageRest))
	}
	for _, s := range images {
		for _, re := range res {
			if re.MatchString(s) {
				return true
			}
		}
	}
	return false
}

// blind is what the build's output cannot tell about the selections of a
// tree (unselected): whether an object's name or kind now is the one a
// selection saw, whether an object a patch selected is still there, and
// whether a container's image now is the one an images entry saw.
type blind struct {
	names, kinds, deletes, images bool
	// labels: whether a label or annotation an object had may be gone.
	labels bool
	// prefixes and suffixes are the tree's namePrefix and nameSuffix
	// values, which a target's name did not see if they came later.
	prefixes, suffixes []string
	// includedBy is the tree's checker.includedBy; unordered: whether the
	// tree has components, when any entry may act after any other.
	includedBy map[string][]string
	unordered  bool
}

// metadataRE finds a JSON6902 path that replaces an object's metadata
// whole: "/metadata" at the end of a path.
var metadataRE = regexp.MustCompile(`/metadata["']?\s*($|[,}\n])`)

// unlabelRE finds a patch that may take a label or an annotation away: a
// JSON6902 operation on the whole /metadata/labels or
// /metadata/annotations map, or a remove in a patch that names one, or a
// strategic merge patch that sets one to null.
var unlabelRE = regexp.MustCompile(`/metadata/(labels|annotations)["']?\s*($|[,}\n])|(?s)remove.*/metadata/(labels|annotations)/|(?s)/metadata/(labels|annotations)/.*remove|(?s)(labels|annotations)["']?\s*:.*:\s*(null|Null|NULL|~)\s*($|[,}\n])`)

// imageRE finds where a patch may set a container's image: a key image
// (YAML or JSON) or a JSON6902 path ending in /image; imagePullPolicy is
// none.
var imageRE = regexp.MustCompile(`(^|[\s{,"'])image["']?\s*:|/image["']?\s*($|[,}\n])`)

// blindSpots notes in b what k's patches and replacements may do that
// the output hides: rename an object (a JSON6902 operation on
// /metadata/name, a patch allowed to change names, a replacement into
// metadata.name), change its kind or apiVersion, delete or replace it ($patch), or set
// a container's image. A patch file that cannot be read may do anything.
func (c *checker) blindSpots(b *blind, dir string, k *types.Kustomization) {
	texts := func(yield func(text string, opts *types.PatchArgs) bool) {
		for _, p := range slices.Concat(k.Patches, k.PatchesJson6902) {
			text := p.Patch
			if p.Path != "" {
				data, err := c.fsys.ReadFile(filepath.Join(dir, filepath.FromSlash(p.Path)))
				if err != nil {
					text = "$patch /metadata/name image"
				} else {
					text = string(data)
				}
			}
			if !yield(text, p.Options) {
				return
			}
		}
		for _, p := range k.PatchesStrategicMerge {
			text := string(p)
			if !inline(text) {
				data, err := c.fsys.ReadFile(filepath.Join(dir, filepath.FromSlash(text)))
				if err != nil {
					text = "$patch /metadata/name image"
				} else {
					text = string(data)
				}
			}
			if !yield(text, nil) {
				return
			}
		}
	}
	for text, opts := range texts {
		b.names = b.names || (opts != nil && opts.AllowNameChange) || strings.Contains(text, "/metadata/name") || metadataRE.MatchString(text)
		// A new apiVersion (autoscaling/v2beta2 to v2, say) hides the
		// group and version a base's target matched, as a new kind does.
		b.kinds = b.kinds || (opts != nil && opts.AllowKindChange) || strings.Contains(text, "/kind") || strings.Contains(text, "/apiVersion")
		b.deletes = b.deletes || strings.Contains(text, "$patch")
		b.labels = b.labels || metadataRE.MatchString(text) || unlabelRE.MatchString(text)
		b.images = b.images || imageRE.MatchString(text)
	}
	for _, r := range k.Replacements {
		if r.Path != "" {
			b.names, b.images = true, true
			continue
		}
		for _, t := range r.Targets {
			if t == nil {
				continue
			}
			for _, fp := range t.FieldPaths {
				b.names = b.names || fp == "metadata" || strings.HasPrefix(fp, "metadata.name")
				b.kinds = b.kinds || fp == "kind" || fp == "apiVersion"
				b.labels = b.labels || fp == "metadata" || fp == "metadata.labels" || fp == "metadata.annotations"
				b.images = b.images || strings.Contains(fp, "image")
			}
		}
	}
}

// kustAt is a kustomization of the tree and its folder, kept for hidden.
type kustAt struct {
	dir string
	k   *types.Kustomization
}

// hidden is b with what the tree's patches and replacements may do that
// the output hides (blindSpots), and, in a tree with replacements or
// vars, whether an object the output leaves out may have been selected:
// one annotated config.kubernetes.io/local-config is left out, yet a
// patch that targets it changes what a replacement or a var reads from
// it.
func (c *checker) hidden(b blind) blind {
	for _, kt := range c.kusts {
		c.blindSpots(&b, kt.dir, kt.k)
	}
	if c.replacements || c.vars {
		gone := c.localConfig
		for _, p := range c.resFiles {
			if gone {
				break
			}
			data, err := c.fsys.ReadFile(filepath.Join(c.root, filepath.FromSlash(p)))
			gone = err != nil || bytes.Contains(data, []byte("local-config"))
		}
		b.deletes = b.deletes || gone
	}
	return b
}
