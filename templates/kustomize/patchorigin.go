package kustomize

import (
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
	"sigs.k8s.io/kustomize/api/types"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/internal/rootfs"
	"github.com/kiln-gitops/kiln/templates"
	"github.com/kiln-gitops/kiln/templates/internal/securefs"
)

// An object's origin annotation names the resource file it came from, and
// kiln points a field's error at that field's line there (reline). A
// field a patch added or changed is not in that file as written: pointed
// at the document's line of the base, a reviewer edits the base, where
// the patch wins again. kustomize keeps no record of which patch wrote a
// field (its transformations annotation names the kustomization, not the
// patch), so kiln reads the tree's patches once more and matches each
// against the output: a field counts as the patch's only where the
// output holds what the patch writes (the same scalar, the key the patch
// adds), so a patch that matched another object, or whose value a later
// layer replaced, attributes nothing.

// patchText is one patch of the tree: its text and where that text
// stands (file, and the file's line of the text's first line).
type patchText struct {
	file   string // repository-relative
	line   int    // line of the text's first line in file, minus one
	text   []byte
	target *types.Selector // nil: a strategic merge patch names its object
	json   bool            // a JSON 6902 patch (patchesJson6902, or a list of operations)
}

// patchFields sets the Fields of objs, the output of the tree whose top
// kustomization is kfile. Kustomizations are read top last, so that where
// two patches write one field the top one, applied last, is named.
func patchFields(fsys *securefs.FS, kfile string, objs []templates.Object) {
	kfs := treeKustomizations(fsys, kfile)
	if len(kfs) == 0 {
		return
	}
	kfs = append(kfs[1:], kfs[0])
	found := make([]map[string]templates.FieldAt, len(objs))
	files := map[string][]docAt{}
	base := func(i int) *kyaml.Node {
		o := objs[i]
		if o.File == "" || o.Line <= 0 {
			return nil
		}
		docs, ok := files[o.File]
		if !ok {
			if data, err := fsys.ReadFile(filepath.Join(fsys.Root(), filepath.FromSlash(o.File))); err == nil {
				docs = documents(data)
			}
			files[o.File] = docs
		}
		return docNode(docs, o.Line)
	}
	// Generators first: a patch applies to what a generator made.
	generatorFields(fsys, kfs, objs, found)
	for _, kf := range kfs {
		for _, p := range treePatches(fsys, kf) {
			applyPatch(p, objs, found, base)
		}
	}
	for i, m := range found {
		if len(m) == 0 {
			continue
		}
		fields := make([]templates.FieldAt, 0, len(m))
		for _, f := range m {
			fields = append(fields, f)
		}
		slices.SortFunc(fields, func(a, b templates.FieldAt) int { return strings.Compare(a.Path, b.Path) })
		objs[i].Fields = fields
	}
}

// treePatches lists the patches of one kustomization: patches,
// patchesStrategicMerge and patchesJson6902, from their files or inline.
// A patch kiln cannot read or place is left out: its fields keep the
// object's line.
func treePatches(fsys *securefs.FS, kf *kfile) []patchText {
	top := kf.top()
	if top == nil || top.Kind != yaml.MappingNode {
		return nil
	}
	var out []patchText
	fromFile := func(p string, target *types.Selector, json bool) {
		if p == "" || remote(p) {
			return
		}
		abs := filepath.Join(kf.dir, filepath.FromSlash(p))
		data, err := fsys.ReadFile(abs)
		if err != nil {
			return
		}
		out = append(out, patchText{file: rootfs.Rel(fsys.Root(), abs), text: data, target: target, json: json})
	}
	inline := func(v *yaml.Node, target *types.Selector, json bool) {
		line, ok := inlineStart(v)
		if !ok {
			return
		}
		out = append(out, patchText{file: kf.path, line: line, text: []byte(v.Value), target: target, json: json})
	}
	for i := 0; i+1 < len(top.Content); i += 2 {
		key, list := top.Content[i].Value, top.Content[i+1]
		if list.Kind != yaml.SequenceNode {
			continue
		}
		for _, item := range list.Content {
			switch key {
			case "patchesStrategicMerge":
				if item.Kind != yaml.ScalarNode {
					continue
				}
				if strings.Contains(item.Value, "\n") || strings.HasPrefix(strings.TrimSpace(item.Value), "{") {
					inline(item, nil, false)
				} else {
					fromFile(item.Value, nil, false)
				}
			case "patches", "patchesJson6902":
				if item.Kind != yaml.MappingNode {
					continue
				}
				var target *types.Selector
				var file string
				var text *yaml.Node
				for j := 0; j+1 < len(item.Content); j += 2 {
					k, v := item.Content[j].Value, item.Content[j+1]
					switch k {
					case "target":
						var t types.Selector
						if v.Decode(&t) == nil {
							target = &t
						}
					case "path":
						file = v.Value
					case "patch":
						if v.Kind == yaml.ScalarNode {
							text = v
						}
					}
				}
				json := key == "patchesJson6902"
				if text != nil {
					inline(text, target, json)
				} else {
					fromFile(file, target, json)
				}
			}
		}
	}
	return out
}

// inlineStart returns the line of the kustomization before the first line
// of an inline patch's text: a literal block's text starts on the line
// after its indicator and keeps its lines; a text on one line is on the
// value's own line. Any other style folds or escapes lines: no line.
func inlineStart(v *yaml.Node) (int, bool) {
	switch {
	case v.Style&yaml.LiteralStyle != 0:
		return v.Line, true
	case !strings.Contains(strings.TrimRight(v.Value, "\n"), "\n"):
		return v.Line - 1, true
	}
	return 0, false
}

// applyPatch records in found the fields of objs that p wrote.
// base(i) is the document of the resource file objs[i] came from.
func applyPatch(p patchText, objs []templates.Object, found []map[string]templates.FieldAt, base func(int) *kyaml.Node) {
	rec := func(i int) func(path string, line int, whole bool) {
		return func(path string, line int, whole bool) {
			if found[i] == nil {
				found[i] = map[string]templates.FieldAt{}
			}
			found[i][path] = templates.FieldAt{Path: path, File: p.file, Line: p.line + line, Whole: whole}
		}
	}
	docs := patchDocs(p.text)
	if len(docs) == 1 && docs[0].Kind == kyaml.SequenceNode {
		p.json = true
	}
	if p.json {
		if len(docs) != 1 || docs[0].Kind != kyaml.SequenceNode || p.target == nil {
			return
		}
		for _, i := range targeted(p.target, objs) {
			jsonOps(docs[0], objs[i].Node.YNode(), rec(i))
		}
		return
	}
	for _, d := range docs {
		if d.Kind != kyaml.MappingNode {
			continue
		}
		var idx []int
		if p.target != nil {
			idx = targeted(p.target, objs)
		} else {
			idx = named(kyaml.NewRNode(d), objs)
		}
		for _, i := range idx {
			merged(d, objs[i].Node.YNode(), base(i), "", rec(i))
		}
	}
}

// patchDocs returns the root nodes of the documents of a YAML stream (a
// patch's, a resource file's), up to the first it cannot read.
func patchDocs(data []byte) []*kyaml.Node {
	dec := kyaml.NewDecoder(bytes.NewReader(data))
	var out []*kyaml.Node
	for {
		var n kyaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) || err != nil {
			return out
		}
		if n.Kind == kyaml.DocumentNode && len(n.Content) == 1 {
			out = append(out, n.Content[0])
		}
	}
}

// targeted returns the objects a patch's target selects. The test leans
// towards "selected" (compileTarget), which the output's check in merged
// and jsonOps makes up for.
func targeted(t *types.Selector, objs []templates.Object) []int {
	m := compileTarget(t, blind{})
	var out []int
	for i, o := range objs {
		if o.Node != nil && m.matches(o.Node) {
			out = append(out, i)
		}
	}
	return out
}

// named returns the object a strategic merge patch without a target
// applies to: of its kind, named as it or, failing one, the only one whose
// name holds it (a prefix or suffix a later layer added). None when that
// is not one object: kustomize applies the patch to exactly one.
func named(d *kyaml.RNode, objs []templates.Object) []int {
	kind, name := d.GetKind(), d.GetName()
	if kind == "" || name == "" {
		return nil
	}
	var exact, within []int
	for i, o := range objs {
		if o.Node == nil || o.Node.GetKind() != kind {
			continue
		}
		switch n := o.Node.GetName(); {
		case n == name:
			exact = append(exact, i)
		case strings.Contains(n, name):
			within = append(within, i)
		}
	}
	switch {
	case len(exact) == 1:
		return exact
	case len(exact) == 0 && len(within) == 1:
		return within
	}
	return nil
}

// merged records the fields of out, the output object (or a part of it at
// path), that the strategic merge patch p (the same part of it) wrote: a
// key of p that out holds with no line of the resource file (reline gave
// it none: the base has not the key), with everything below it, and a
// scalar of p that out holds as p writes it where src, the same part of
// the resource file's document (nil when unknown), holds another value
// (a list item's name that the patch repeats to say which item it
// changes is the base's).
func merged(p, out, src *kyaml.Node, at string, rec func(string, int, bool)) {
	switch p.Kind {
	case kyaml.MappingNode:
		if out.Kind != kyaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(p.Content); i += 2 {
			pk, pv := p.Content[i], p.Content[i+1]
			if strings.HasPrefix(pk.Value, "$") || pv.Tag == "!!null" {
				continue // directives and deletions write no field
			}
			ok, ov := objects.Field(out, pk.Value)
			if ok == nil || ov.Kind != pv.Kind || pv.Kind == kyaml.ScalarNode && ov.Value != pv.Value {
				continue
			}
			path := joinField(at, pk.Value)
			var sv *kyaml.Node
			if src != nil && src.Kind == kyaml.MappingNode {
				_, sv = objects.Field(src, pk.Value)
			}
			switch {
			case ok.Line == 0:
				rec(path, pk.Line, true)
			case pv.Kind == kyaml.ScalarNode && (sv == nil || sv.Kind != kyaml.ScalarNode || sv.Value != pv.Value):
				rec(path, pk.Line, false)
			}
			merged(pv, ov, sv, path, rec)
		}
	case kyaml.SequenceNode:
		if out.Kind != kyaml.SequenceNode {
			return
		}
		for _, item := range p.Content {
			j := itemIn(out, item)
			if j < 0 {
				continue
			}
			path := at + "[" + strconv.Itoa(j) + "]"
			if out.Content[j].Line == 0 && item.Kind == kyaml.MappingNode {
				rec(path, item.Line, true)
			}
			var si *kyaml.Node
			if src != nil && src.Kind == kyaml.SequenceNode {
				si = counterpart(src, out.Content[j], j)
			}
			merged(item, out.Content[j], si, path, rec)
		}
	}
}

// itemIn returns the index of the item of the output list out that the
// patch's list item came to be: the one with its name, else the only one
// holding every scalar it writes; -1 for none or several.
func itemIn(out, item *kyaml.Node) int {
	if name := objects.ItemName(item); name != "" {
		for j, o := range out.Content {
			if objects.ItemName(o) == name {
				return j
			}
		}
		return -1
	}
	at := -1
	for j, o := range out.Content {
		if holds(o, item) {
			if at >= 0 {
				return -1
			}
			at = j
		}
	}
	return at
}

// holds reports whether out holds what p writes: every scalar of p, at
// its place, with p's value. A list item of p may be anywhere in out's
// list (a strategic merge keeps the base's items beside it).
func holds(out, p *kyaml.Node) bool {
	switch p.Kind {
	case kyaml.ScalarNode:
		return out.Kind == kyaml.ScalarNode && out.Value == p.Value
	case kyaml.MappingNode:
		if out.Kind != kyaml.MappingNode {
			return false
		}
		for i := 0; i+1 < len(p.Content); i += 2 {
			pk, pv := p.Content[i], p.Content[i+1]
			if strings.HasPrefix(pk.Value, "$") || pv.Tag == "!!null" {
				continue
			}
			_, ov := objects.Field(out, pk.Value)
			if ov == nil || !holds(ov, pv) {
				return false
			}
		}
		return true
	case kyaml.SequenceNode:
		if out.Kind != kyaml.SequenceNode {
			return false
		}
		for _, item := range p.Content {
			if !slices.ContainsFunc(out.Content, func(o *kyaml.Node) bool { return holds(o, item) }) {
				return false
			}
		}
		return true
	}
	return false
}

// jsonOps records the fields of out, the output object, that the JSON
// 6902 operations ops wrote: an add, replace, copy or move whose value
// the output holds at its path, with everything below it when the value
// is a mapping or a list (the operation wrote it whole).
func jsonOps(ops, out *kyaml.Node, rec func(string, int, bool)) {
	for _, op := range ops.Content {
		if op.Kind != kyaml.MappingNode {
			continue
		}
		_, verb := objects.Field(op, "op")
		_, ptr := objects.Field(op, "path")
		if verb == nil || ptr == nil {
			continue
		}
		switch verb.Value {
		case "add", "replace":
		default:
			continue // remove and test write nothing; copy and move write what another field holds
		}
		vk, value := objects.Field(op, "value")
		if value == nil {
			continue
		}
		path, node := pointerAt(out, ptr.Value)
		if node == nil || !holds(node, value) {
			continue
		}
		rec(path, vk.Line, value.Kind != kyaml.ScalarNode)
		if value.Kind != kyaml.ScalarNode {
			wrote(value, node, path, rec)
		}
	}
}

// wrote records every field below value, a JSON 6902 operation's value,
// at its own line: the operation wrote them all.
func wrote(value, out *kyaml.Node, at string, rec func(string, int, bool)) {
	switch value.Kind {
	case kyaml.MappingNode:
		for i := 0; i+1 < len(value.Content); i += 2 {
			k, v := value.Content[i], value.Content[i+1]
			_, ov := objects.Field(out, k.Value)
			if ov == nil {
				continue
			}
			path := joinField(at, k.Value)
			rec(path, k.Line, v.Kind != kyaml.ScalarNode)
			wrote(v, ov, path, rec)
		}
	case kyaml.SequenceNode:
		for j, item := range value.Content {
			if j < len(out.Content) && item.Kind != kyaml.ScalarNode {
				path := at + "[" + strconv.Itoa(j) + "]"
				rec(path, item.Line, true)
				wrote(item, out.Content[j], path, rec)
			}
		}
	}
}

// pointerAt follows the JSON pointer ptr in out and returns the field
// path it names and the node there; "-" (after the end of a list) is the
// list's last item, where an add appends. nil when out has no such node.
func pointerAt(out *kyaml.Node, ptr string) (string, *kyaml.Node) {
	if !strings.HasPrefix(ptr, "/") {
		return "", nil
	}
	at, n := "", out
	for _, seg := range strings.Split(ptr[1:], "/") {
		seg = strings.ReplaceAll(strings.ReplaceAll(seg, "~1", "/"), "~0", "~")
		switch n.Kind {
		case kyaml.MappingNode:
			_, v := objects.Field(n, seg)
			if v == nil {
				return "", nil
			}
			at, n = joinField(at, seg), v
		case kyaml.SequenceNode:
			j, err := strconv.Atoi(seg)
			if seg == "-" {
				j, err = len(n.Content)-1, nil
			}
			if err != nil || j < 0 || j >= len(n.Content) {
				return "", nil
			}
			at, n = at+"["+strconv.Itoa(j)+"]", n.Content[j]
		default:
			return "", nil
		}
	}
	if at == "" {
		return "", nil
	}
	return at, n
}

// joinField adds key to the field path at, as validation errors write
// paths (map keys joined by dots).
func joinField(at, key string) string {
	if at == "" {
		return key
	}
	return at + "." + key
}
