package patch

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/kustomize/api/filters/patchstrategicmerge"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/resid"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/redact"
	"github.com/kiln-gitops/kiln/templates"
)

// Selector picks the objects a patch applies to, like a kustomize patch
// target. Group, Version, Kind, Name and Namespace are regular expressions
// matched against the whole value (kustomize anchors them); LabelSelector
// and AnnotationSelector are Kubernetes label selectors. Empty fields match
// everything.
type Selector struct {
	Group              string
	Version            string
	Kind               string
	Name               string
	Namespace          string
	LabelSelector      string
	AnnotationSelector string
}

// Patch is one entry of an environment's patches.
type Patch struct {
	// Target selects the objects to patch; nil for a strategic merge patch
	// that names its object itself.
	Target *Selector
	// Patch is the patch text: a strategic merge patch (one or more YAML
	// documents) or a JSON6902 patch (a YAML or JSON list of operations).
	Patch string
	// File and Line say where the patch is written, for messages.
	File string
	Line int
	// TextLine is File's line at which Patch's text starts when the text is
	// laid out in File line for line (a patch file, 1; an inline literal
	// block), 0 otherwise: each document of a text of several is then
	// located at its own line, not all at the patch's.
	TextLine int
	// FromFile is set for a patch file's text (path:), which is read as it
	// is written; inline text is trimmed of surrounding blanks first. Both
	// as kustomize's PatchTransformer reads them.
	FromFile bool
}

// Apply applies patches, in order, to objs and returns the objects left
// (a strategic merge patch with "$patch: delete" removes its objects), in
// their original order. A patch that matches no object is a warning, which
// the caller turns into an error under --strict. Patch text that does not
// parse, and a JSON6902 operation that fails, are *diag.Error values located
// at the patch. The returned warnings and errors name no app: the caller
// adds it.
func Apply(objs []templates.Object, patches []Patch) ([]templates.Object, []diag.Warning, error) {
	var warnings []diag.Warning
	var errs []error
	bases := generated(objs)
	for _, p := range patches {
		out, ws, err := apply(objs, p, bases)
		warnings = append(warnings, ws...)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		objs = out
	}
	if err := diag.Join(errs...); err != nil {
		return nil, warnings, err
	}
	rehash(bases, objs)
	return objs, warnings, nil
}

// apply applies one patch entry.
func apply(objs []templates.Object, p Patch, bases map[genKey]string) ([]templates.Object, []diag.Warning, error) {
	docs, lines, err := parse(p)
	if err != nil {
		return nil, nil, err
	}
	var sel *selector
	if p.Target != nil {
		if sel, err = compile(p); err != nil {
			return nil, nil, err
		}
		sel.bases = bases
	}
	if len(docs) == 1 && docs[0].YNode().Kind == kyaml.SequenceNode {
		if sel == nil {
			return nil, nil, p.errorf("a JSON6902 patch needs a target").WithHint("add target: {kind: …, name: …}, or write a strategic merge patch (a mapping)")
		}
		if err := checkOps(p, docs[0]); err != nil {
			return nil, nil, err
		}
		return applyJSON(objs, p, sel)
	}
	for _, d := range docs {
		if d.YNode().Kind != kyaml.MappingNode {
			return nil, nil, p.errorf("patch is neither a strategic merge patch (a mapping) nor a JSON6902 patch (a list)").
				WithHint("write the fields to change as a mapping, or a list of {op, path, value} operations")
		}
	}
	if sel != nil {
		if len(docs) > 1 {
			return nil, nil, p.errorf("a patch with a target must be a single strategic merge patch, not %d documents", len(docs)).
				WithHint("split it into one patch per document, or drop the target so each document names its object")
		}
		return applySM(objs, p, docs[0], sel.match)
	}
	var warnings []diag.Warning
	for i, d := range docs {
		if p.TextLine > 0 && len(docs) > 1 {
			// One patch of several documents: each is located at its own
			// line; a patch of one stays at the entry that gives it.
			p.Line = p.TextLine - 1 + lines[i]
		}
		id, err := idOf(p, d)
		if err != nil {
			return nil, nil, err
		}
		id.bases = bases
		var ws []diag.Warning
		objs, ws, err = applySM(objs, p, d, id.match)
		if err != nil {
			return nil, nil, err
		}
		warnings = append(warnings, ws...)
	}
	return objs, warnings, nil
}

// parse splits the patch text into YAML documents, and returns the line
// of the text each starts at (its first key's).
func parse(p Patch) ([]*kyaml.RNode, []int, error) {
	text := strings.TrimSpace(p.Patch)
	if text == "" {
		return nil, nil, p.errorf("empty patch").WithHint("write a strategic merge patch or a list of JSON6902 operations")
	}
	// The lines TrimSpace took off the front.
	lead := strings.Count(p.Patch[:strings.Index(p.Patch, text)], "\n")
	if p.FromFile {
		// Trimmed, a file's last block scalar lost its final line break
		// ("script: |" read as "|-"), which kustomize build keeps.
		text, lead = p.Patch, 0
	}
	var lines []int
	dec := kyaml.NewDecoder(strings.NewReader(text))
	var docs []*kyaml.RNode
	for {
		var doc kyaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			e := p.errorf("invalid patch: %v", err)
			e.Err = err
			return nil, nil, e.WithHint("check the YAML of the patch text")
		}
		n := &doc
		if n.Kind == kyaml.DocumentNode && len(n.Content) == 1 {
			n = n.Content[0]
		}
		if n.Kind == kyaml.ScalarNode && (n.Tag == "!!null" || n.Value == "") {
			continue
		}
		lines = append(lines, lead+n.Line)
		// Lines inside the patch text mean nothing in the objects' files:
		// forget them, so that later messages fall back to the object.
		zeroLines(n)
		docs = append(docs, kyaml.NewRNode(n))
	}
	if len(docs) == 0 {
		return nil, nil, p.errorf("empty patch").WithHint("write a strategic merge patch or a list of JSON6902 operations")
	}
	return docs, lines, nil
}

// where says where the patch is written, for templates.Object.Patches.
func (p Patch) where() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return p.File
}

// errorf builds an error located at the patch.
func (p Patch) errorf(format string, args ...any) *diag.Error {
	return &diag.Error{File: p.File, Line: p.Line, Msg: fmt.Sprintf(format, args...)}
}

// matcher reports whether a patch applies to an object.
type matcher func(o *kyaml.RNode) bool

// selector is a compiled Selector, matching like kustomize's patch targets.
type selector struct {
	target      Selector
	re          *types.SelectorRegex
	labels      labels.Selector
	annotations labels.Selector
	// bases are the app's generated objects (generated): a target's name
	// matches one by its name before the hash too.
	bases map[genKey]string
}

func compile(p Patch) (*selector, error) {
	t := *p.Target
	re, err := types.NewSelectorRegex(&types.Selector{ResId: resid.ResId{
		// A literal Gvk: resid.NewGvk would look the kind up in kyaml's
		// openapi globals, which matching does not need.
		Gvk:       resid.Gvk{Group: t.Group, Version: t.Version, Kind: t.Kind},
		Name:      t.Name,
		Namespace: t.Namespace,
	}})
	if err != nil {
		e := p.errorf("invalid patch target: %v", err)
		e.Err = err
		return nil, e.WithHint("target fields are regular expressions (RE2 syntax)")
	}
	ls, err := labels.Parse(t.LabelSelector)
	if err != nil {
		e := p.errorf("invalid patch target labelSelector %q: %v", t.LabelSelector, err)
		e.Err = err
		return nil, e.WithHint("write a label selector like app=vote,tier!=cache")
	}
	as, err := labels.Parse(t.AnnotationSelector)
	if err != nil {
		e := p.errorf("invalid patch target annotationSelector %q: %v", t.AnnotationSelector, err)
		e.Err = err
		return nil, e.WithHint("write a selector like example.com/managed=true")
	}
	return &selector{target: t, re: re, labels: ls, annotations: as}, nil
}

// match is kustomize's resWrangler.Select for one object, except that
// namespaces are compared as written: patches run before the app's
// namespace is set, and kiln has no "default" namespace to assume.
func (s *selector) match(o *kyaml.RNode) bool {
	group, version := resid.ParseGroupVersion(o.GetApiVersion())
	return s.re.MatchNamespace(o.GetNamespace()) &&
		(s.re.MatchName(o.GetName()) || matchBase(s.bases, o, s.re.MatchName)) &&
		s.re.MatchGvk(resid.Gvk{Group: group, Version: version, Kind: o.GetKind()}) &&
		s.labels.Matches(labels.Set(o.GetLabels())) &&
		s.annotations.Matches(labels.Set(o.GetAnnotations()))
}

// String prints the target for messages, e.g. {kind: Deployment, name: vote}.
func (t Selector) String() string {
	var parts []string
	for _, f := range []struct{ k, v string }{
		{"group", t.Group}, {"version", t.Version}, {"kind", t.Kind}, {"name", t.Name}, {"namespace", t.Namespace},
		{"labelSelector", t.LabelSelector}, {"annotationSelector", t.AnnotationSelector},
	} {
		if f.v != "" {
			parts = append(parts, f.k+": "+f.v)
		}
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// id is what a strategic merge patch without target names.
type id struct {
	apiVersion, kind, name, namespace string
	bases                             map[genKey]string // as selector.bases
}

func idOf(p Patch, d *kyaml.RNode) (id, error) {
	i := id{apiVersion: d.GetApiVersion(), kind: d.GetKind(), name: d.GetName(), namespace: d.GetNamespace()}
	if i.apiVersion == "" || i.kind == "" || i.name == "" {
		return i, p.errorf("a strategic merge patch without target needs apiVersion, kind and metadata.name").
			WithHint("add them to the patch, or add target: {kind: …, name: …}")
	}
	return i, nil
}

// match is kustomize's match of a patch's own id, except that a patch
// without namespace matches whatever namespace the object has (an app's
// objects rarely share kind and name), and one with a namespace matches
// only objects that say that namespace.
func (i id) match(o *kyaml.RNode) bool {
	return o.GetApiVersion() == i.apiVersion && o.GetKind() == i.kind &&
		(o.GetName() == i.name || matchBase(i.bases, o, func(b string) bool { return b == i.name })) &&
		(i.namespace == "" || o.GetNamespace() == i.namespace)
}

// applySM applies one strategic merge patch document to the objects match
// selects, with kustomize's patchstrategicmerge filter.
func applySM(objs []templates.Object, p Patch, doc *kyaml.RNode, match matcher) ([]templates.Object, []diag.Warning, error) {
	var out []templates.Object
	matched := 0
	var selected []templates.Object
	for _, o := range objs {
		if match(o.Node) {
			selected = append(selected, o)
		}
	}
	if p.Target == nil && len(selected) > 1 {
		var names []string
		for _, o := range selected {
			names = append(names, objectOf(o.Node).String())
		}
		return nil, nil, p.errorf("strategic merge patch for %s %s matches %d objects: %s", doc.GetKind(), doc.GetName(), len(selected), strings.Join(names, ", ")).
			WithHint("add metadata.namespace to the patch, or give it a target")
	}
	for _, o := range objs {
		if !match(o.Node) {
			out = append(out, o)
			continue
		}
		matched++
		kind, name, ns := o.Node.GetKind(), o.Node.GetName(), o.Node.GetNamespace()
		pc := doc.Copy()
		// Like kustomize (resWrangler.ApplySmPatch, Resource.ApplySmPatch):
		// the patch takes the object's type, and the object keeps its
		// kind, name and namespace.
		pc.SetApiVersion(o.Node.GetApiVersion())
		pc.SetKind(kind)
		res, err := patchstrategicmerge.Filter{Patch: pc}.Filter([]*kyaml.RNode{o.Node})
		if err != nil {
			return nil, nil, p.objErr(o, err)
		}
		if len(res) == 0 || res[0].IsNilOrEmpty() {
			continue // "$patch: delete"
		}
		n := res[0]
		if n.GetName() != name {
			if err := n.SetName(name); err != nil {
				return nil, nil, p.objErr(o, err)
			}
		}
		if n.GetNamespace() != ns {
			if err := n.SetNamespace(ns); err != nil {
				return nil, nil, p.objErr(o, err)
			}
		}
		o.Node = n
		o.Patches = append(slices.Clip(o.Patches), p.where())
		out = append(out, o)
	}
	if matched == 0 {
		return out, []diag.Warning{p.noMatch(objs, doc)}, nil
	}
	return out, nil, nil
}

// objErr wraps the failure of a patch on one object.
func (p Patch) objErr(o templates.Object, err error) *diag.Error {
	return &diag.Error{File: p.File, Line: p.Line, Object: objectOf(o.Node), Msg: "patch failed: " + redact.Nodes(strings.TrimSpace(err.Error())), Err: err,
		Hint: "compare the patch with the rendered object"}
}

// noMatch is the warning for a patch that matched nothing, with a
// "did you mean" when an object of the kind has a close name.
func (p Patch) noMatch(objs []templates.Object, doc *kyaml.RNode) diag.Warning {
	w := diag.Warning{File: p.File, Line: p.Line, Msg: "patch matches no object"}
	kind, name := "", ""
	if p.Target != nil {
		w.Msg += " (target " + p.Target.String() + ")"
		kind, name = p.Target.Kind, p.Target.Name
		if regexp.QuoteMeta(kind) != kind {
			kind = ""
		}
		if regexp.QuoteMeta(name) != name {
			name = ""
		}
	} else {
		w.Object = objectOf(doc)
		kind, name = doc.GetKind(), doc.GetName()
	}
	w.Hint = "check kind, name and namespace; an object the templates leave without namespace has none while patches run, so leave namespace out"
	if name != "" {
		var names []string
		for _, o := range objs {
			if kind == "" || o.Node.GetKind() == kind {
				names = append(names, o.Node.GetName())
			}
		}
		if c := diag.Closest(name, names); c != "" && c != name {
			w.Hint = fmt.Sprintf("did you mean %q? ", c) + w.Hint
		}
	}
	return w
}

func objectOf(n *kyaml.RNode) diag.Object {
	return diag.Object{Kind: n.GetKind(), Namespace: n.GetNamespace(), Name: n.GetName()}
}

func zeroLines(n *kyaml.Node) {
	n.Line, n.Column = 0, 0
	for _, c := range n.Content {
		zeroLines(c)
	}
}
