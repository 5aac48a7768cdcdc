package kustomize

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/api/builtins"
	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/limits"
	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/internal/redact"
	"github.com/kiln-gitops/kiln/templates"
)

// originFS serves the top kustomization file with originAnnotations added
// to its buildMetadata, so that kustomize records, on every object, the
// file it came from (config.kubernetes.io/origin), as `kustomize build`
// does when a kustomization asks for it. kiln reads the annotation to name
// each object's source file in errors, then removes it again unless the
// kustomization asked for it, so the output is what `kustomize build`
// writes. Everything else is the wrapped file system's.
type originFS struct {
	filesys.FileSystem
	kustomization string // absolute path of the top kustomization file
	asked         bool   // the kustomization lists originAnnotations itself
	managedBy     bool   // the kustomization lists managedByLabel
}

func (o *originFS) ReadFile(p string) ([]byte, error) {
	data, err := o.FileSystem.ReadFile(p)
	if err != nil || filepath.Clean(p) != o.kustomization {
		return data, err
	}
	rn, perr := kyaml.Parse(string(data))
	if perr != nil || rn.YNode().Kind != kyaml.MappingNode {
		return data, nil // kustomize reports it
	}
	var meta []string
	if f := rn.Field("buildMetadata"); f != nil && f.Value != nil {
		if err := f.Value.YNode().Decode(&meta); err != nil {
			return data, nil // kustomize reports it
		}
	}
	o.managedBy = slices.Contains(meta, types.ManagedByLabelOption)
	if slices.Contains(meta, types.OriginAnnotations) {
		o.asked = true
		return data, nil
	}
	meta = append(meta, types.OriginAnnotations)
	if err := rn.PipeE(kyaml.SetField("buildMetadata", kyaml.NewListRNode(meta...))); err != nil {
		return data, nil
	}
	out, err := rn.String()
	if err != nil {
		return data, nil
	}
	return []byte(out), nil
}

// kustomizeVersion is the release of the kustomize program built from the
// kustomize api module kiln links (go.mod), and the one `make refbin`
// installs: kustomize v5.M.P links api v0.(M+13).P.
// TestKustomizeVersionMatchesModule keeps the three in step.
const kustomizeVersion = "v5.8.2"

// managedByLabel sets the label buildMetadata: [managedByLabel] asks for
// to what `kustomize build` writes, kustomize-v5.8.2. krusty takes the
// version from the running binary's build information (api/provenance),
// which in kiln is kiln's own module version, or "(devel)": a value that
// changes with how kiln was built, and "kustomize-(devel)" is not even a
// valid label value. Like krusty, it sets the label on every object, at
// metadata.labels.
func managedByLabel(m resmap.ResMap) error {
	t := builtins.LabelTransformerPlugin{
		Labels:     map[string]string{konfig.ManagedbyLabelKey: "kustomize-" + kustomizeVersion},
		FieldSpecs: []types.FieldSpec{{Path: "metadata/labels", CreateIfNotPresent: true}},
	}
	return t.Transform(m)
}

// objectsOf turns kustomize's result into objects that name the file and
// line each came from (srcs, one per resource). kfile, the kustomization
// built, names the output in a bound's error.
//
// The output is bounded as a whole, like every engine's (limits.OutputSize,
// and one Counter for its documents and nodes), not object by object: a
// build's output need not be the size of its input. A replacement copies
// a value of one object into any number of fields of any number of
// objects, and krusty shares the string, but each copy is serialised
// here: a 2 MiB value copied into 100 fields came to 200 MB of YAML and
// a gigabyte of memory in kiln's own process. The size is checked before
// anything is serialised, from the scalars' lengths, which no YAML
// spelling of them is shorter than.
func objectsOf(m resmap.ResMap, srcs []source, kfile string) ([]templates.Object, error) {
	if err := checkOutputSize(m, kfile, limits.OutputSize); err != nil {
		return nil, err
	}
	c := &limits.Counter{Input: kfile}
	var out []templates.Object
	var errs []error
	for i, r := range m.Resources() {
		y, err := r.AsYAML()
		if err != nil {
			errs = append(errs, serialiseError(r, srcs[i], err))
			continue
		}
		objs, err := objects.ParseCounted(y, srcs[i].file, max(srcs[i].line-1, 0), c)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for j := range objs {
			if srcs[i].line == 0 {
				objs[j].Line = 0 // no line of a source file: name the file only
			}
		}
		if len(objs) == 1 && srcs[i].doc != nil {
			reline(objs[0].Node.YNode(), srcs[i].doc)
		}
		out = append(out, objs...)
	}
	return out, errors.Join(errs...)
}

// serialiseError is the error of an object kustomize cannot write as
// YAML: a value YAML cannot decode under its tag (pw: !!int hunter2),
// whose decoder's message quotes the value, or a character kustomize's
// JSON round trip hands to its YAML reader raw (U+007F, a C1 control,
// U+FFFE, U+FFFF), which kustomize build, and so Flux's, fails on too.
func serialiseError(r *resource.Resource, src source, err error) error {
	de := &diag.Error{File: src.file, Line: src.line, Object: diag.Object{Kind: r.GetKind(), Namespace: r.GetNamespace(), Name: r.GetName()},
		Msg:  "kustomize cannot serialise the object: " + redact.YAML(strings.TrimPrefix(err.Error(), "yaml: ")),
		Hint: "remove the tag, or write a value of its type", Err: err}
	if strings.Contains(err.Error(), "already defined at line") {
		// The decoder's lines count from the document kustomize wrote, not
		// the file; the source document still has both keys.
		de.Msg = "kustomize cannot serialise the object: a mapping has a key twice, which kustomize build, and so Flux's, fails on (yaml: mapping key already defined)"
		de.Hint = "remove one of the two keys, or merge what they hold under one: kustomize keeps no silent choice between them"
		if src.doc != nil {
			if key, first, second := duplicateKey(src.doc); second > 0 {
				// A key that is no name (a passphrase a Secret's data was
				// keyed by by mistake) is not quoted.
				what := "a key"
				if keyNameRe.MatchString(key) {
					what = fmt.Sprintf("the key %q", key)
				}
				de.Line = second
				de.Msg = fmt.Sprintf("kustomize cannot serialise the object: it has %s twice in one mapping (first at line %d), which kustomize build, and so Flux's, fails on (yaml: mapping key already defined)", what, first)
			}
		}
	}
	if strings.Contains(err.Error(), "control characters are not allowed") {
		de.Msg = "kustomize cannot serialise the object: a value holds U+007F, a C1 control (U+0080 to U+009F) or U+FFFE/U+FFFF, which kustomize build, and so Flux's, fails on (yaml: control characters are not allowed)"
		de.Hint = "remove the character (a C1 control is often a Windows-1252 quote or dash read as Latin-1: type it again), or write the value base64-encoded, in a Secret's data or a ConfigMap's binaryData"
		if src.doc != nil {
			if line := controlLine(src.doc); line > 0 {
				de.Line = line
			}
		}
	}
	return de
}

// keyNameRe matches what a field's name or a ConfigMap's or Secret's key
// may be.
var keyNameRe = regexp.MustCompile(`^[-._a-zA-Z0-9]{1,253}$`)

// duplicateKey returns the first key below n that a mapping holds twice
// (a merge key << aside, which YAML allows more than once), with the
// lines of its two places; second is 0 if there is none.
func duplicateKey(n *kyaml.Node) (key string, first, second int) {
	if n.Kind == kyaml.MappingNode {
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != kyaml.ScalarNode || k.Value == "<<" {
				continue
			}
			if line, ok := seen[k.Value]; ok {
				return k.Value, line, k.Line
			}
			seen[k.Value] = k.Line
		}
	}
	for _, c := range n.Content {
		if key, first, second = duplicateKey(c); second > 0 {
			return key, first, second
		}
	}
	return "", 0, 0
}

// controlLine returns the line of the first scalar below n that holds a
// character serialiseError names, 0 if none does.
func controlLine(n *kyaml.Node) int {
	if n.Kind == kyaml.ScalarNode && strings.ContainsFunc(n.Value, func(c rune) bool {
		return c == 0x7f || c >= 0x80 && c <= 0x9f || c == 0xfffe || c == 0xffff
	}) {
		return n.Line
	}
	for _, c := range n.Content {
		if line := controlLine(c); line > 0 {
			return line
		}
	}
	return 0
}

// checkOutputSize refuses m when its scalars (keys and values, an alias
// counted as the alias, as YAML writes it) add up to more than limit
// bytes: its YAML would be longer still.
//
// It counts the nodes too, against limits.Nodes: a replacement that
// copies a list of 100,000 numbers (200 KB) into 100 fields makes 10
// million nodes of 10 MB of scalars, which serialising and parsing again
// took gigabytes for.
func checkOutputSize(m resmap.ResMap, kfile string, limit int) error {
	size, nodes := 0, 0
	var walk func(n *kyaml.Node)
	walk = func(n *kyaml.Node) {
		if n == nil || size > limit || nodes > limits.Nodes {
			return
		}
		size += len(n.Value)
		nodes++
		if n.Kind == kyaml.AliasNode {
			return
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	for _, r := range m.Resources() {
		walk(r.RNode.YNode())
		if nodes > limits.Nodes {
			le := &limits.Error{What: "the number of YAML nodes of the kustomize build's output", Limit: fmt.Sprint(limits.Nodes)}
			return &diag.Error{File: kfile, Msg: le.Describe(), Err: le,
				Hint: "a replacement may copy a large list or mapping into many fields or objects; " + limits.Hint}
		}
		if size > limit {
			le := &limits.Error{What: "the size of the kustomize build's output", Limit: limits.Bytes(int64(limit))}
			return &diag.Error{File: kfile, Msg: le.Describe(), Err: le,
				Hint: "a replacement or generator may copy a large value into many fields or objects; " + limits.Hint}
		}
	}
	return nil
}

// docAt is one document of a resource file: its kind, name and first line,
// and its root node, with the file's lines.
type docAt struct {
	kind, name string
	line       int
	node       *kyaml.Node
}

// docNode returns the root node of the document of docs at line, nil for
// none.
func docNode(docs []docAt, line int) *kyaml.Node {
	for _, d := range docs {
		if line > 0 && d.line == line {
			return d.node
		}
	}
	return nil
}

// reline gives the nodes of out, an object as kustomize wrote it, the
// lines of the same fields in src, the document of the resource file it
// came from, and line 0 (the object's own line, to templates.Object.LineOf)
// to every node src does not hold: a field a transformer or patch added.
// kustomize writes an object through JSON, with its keys sorted and
// without the file's blank lines, so the lines of its text are no lines
// of the file. Fields are matched by key, list items by position, or by
// name where the items are named (a patch may add a container before
// the others).
func reline(out, src *kyaml.Node) {
	if out.Kind != src.Kind {
		zeroLines(out)
		return
	}
	out.Line, out.Column = src.Line, src.Column
	switch out.Kind {
	case kyaml.MappingNode:
		for i := 0; i+1 < len(out.Content); i += 2 {
			k, v := out.Content[i], out.Content[i+1]
			sk, sv := objects.Field(src, k.Value)
			if sk == nil {
				zeroLines(k)
				zeroLines(v)
				continue
			}
			k.Line, k.Column = sk.Line, sk.Column
			reline(v, sv)
		}
	case kyaml.SequenceNode:
		for i, item := range out.Content {
			if s := counterpart(src, item, i); s != nil {
				reline(item, s)
			} else {
				zeroLines(item)
			}
		}
	}
}

// counterpart returns the item of the list src that item, at index i of
// a list kustomize wrote, came from: the item with its name when it has
// one, else the item at i, nil for none.
func counterpart(src, item *kyaml.Node, i int) *kyaml.Node {
	if name := objects.ItemName(item); name != "" {
		for _, s := range src.Content {
			if objects.ItemName(s) == name {
				return s
			}
		}
		return nil
	}
	if i < len(src.Content) {
		return src.Content[i]
	}
	return nil
}

func zeroLines(n *kyaml.Node) {
	n.Line, n.Column = 0, 0
	for _, c := range n.Content {
		zeroLines(c)
	}
}

// documents lists the mapping documents of a YAML stream.
func documents(data []byte) []docAt {
	var out []docAt
	for _, n := range patchDocs(data) {
		if n.Kind == kyaml.MappingNode {
			rn := kyaml.NewRNode(n)
			out = append(out, docAt{kind: rn.GetKind(), name: rn.GetName(), line: n.Line, node: n})
		}
	}
	return out
}

// lineOf finds the line of the document an output object came from: the
// one of its kind with its name, or whose name kustomize extended with a
// prefix or suffix (the longest such), or the only one of its kind.
func lineOf(docs []docAt, kind, name string) int {
	best, bestLen, ofKind, n := 0, -1, 0, 0
	for _, d := range docs {
		if d.kind != kind {
			continue
		}
		n++
		ofKind = d.line
		if d.name == name {
			return d.line
		}
		if d.name != "" && strings.Contains(name, d.name) && len(d.name) > bestLen {
			best, bestLen = d.line, len(d.name)
		}
	}
	switch {
	case best > 0:
		return best
	case n == 1:
		return ofKind
	}
	return 0
}
