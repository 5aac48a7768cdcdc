package patch

import (
	"errors"
	"fmt"
	"slices"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	"sigs.k8s.io/kustomize/api/filters/patchjson6902"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
	k8syaml "sigs.k8s.io/yaml"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/limits"
	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/internal/redact"
	"github.com/kiln-gitops/kiln/templates"
)

// ops lists JSON6902 operations and the fields each needs besides path.
var ops = map[string]string{"add": "value", "remove": "", "replace": "value", "move": "from", "copy": "from", "test": "value"}

// checkOps checks the operations before any object is touched, so that a
// misspelt op is reported even when the target matches nothing, and with
// the operation's index.
func checkOps(p Patch, list *kyaml.RNode) error {
	var errs []error
	for i, op := range list.YNode().Content {
		bad := func(format string, args ...any) {
			errs = append(errs, p.errorf("JSON6902 operation %d: "+format, append([]any{i + 1}, args...)...).
				WithHint("write each operation as {op: add|remove|replace|move|copy|test, path: /a/b, value: …}"))
		}
		if op.Kind != kyaml.MappingNode {
			bad("not a mapping")
			continue
		}
		o := kyaml.NewRNode(op)
		name := scalar(o, "op")
		need, ok := ops[name]
		switch {
		case name == "":
			bad("no op")
			continue
		case !ok:
			keys := []string{"add", "remove", "replace", "move", "copy", "test"}
			if c := diag.Closest(name, keys); c != "" {
				bad("unknown op %q (did you mean %q?)", name, c)
			} else {
				bad("unknown op %q", name)
			}
			continue
		}
		if f := o.Field("path"); f == nil || f.Value.YNode().Kind != kyaml.ScalarNode {
			bad("%s has no path", name)
		}
		if need != "" && o.Field(need) == nil {
			bad("%s has no %s", name, need)
		}
	}
	return diag.Join(errs...)
}

func scalar(o *kyaml.RNode, key string) string {
	f := o.Field(key)
	if f == nil || f.Value.YNode().Kind != kyaml.ScalarNode {
		return ""
	}
	return f.Value.YNode().Value
}

// A JSON6902 copy operation duplicates a value of the object: a list of
// them copying a 2 MiB value 200 times made a 400 MB ConfigMap, and took
// 3.4 GB in kiln's process, from an env file of 10 KB. json-patch bounds
// what one patch's copies add to an object by this global, unbounded by
// default; kustomize's own JSON6902 patches go through the same library
// (templates/kustomize sets the same bound).
func init() { jsonpatch.AccumulatedCopySizeLimit = limits.OutputSize }

// applyJSON applies a JSON6902 patch to every object sel matches, with
// kustomize's patchjson6902 filter.
func applyJSON(objs []templates.Object, p Patch, sel *selector) ([]templates.Object, []diag.Warning, error) {
	// The filter reads text starting with "[" as JSON and anything else as
	// YAML, so a YAML flow list ("[{op: add, …}]") would fail; hand it JSON.
	js, err := k8syaml.YAMLToJSON([]byte(p.Patch))
	if err != nil {
		e := p.errorf("invalid patch: %v", err)
		e.Err = err
		return nil, nil, e.WithHint("check the YAML of the patch text")
	}
	ops := string(js)
	matched := 0
	var errs []error
	objs = slices.Clone(objs) // Patches is set on the copies
	for i, o := range objs {
		if !sel.match(o.Node) {
			continue
		}
		matched++
		objs[i].Patches = append(slices.Clip(o.Patches), p.where())
		// The filter reads the object with yaml.v3, which makes a plain
		// 2024-01-01 a time that JSON writes back as 2024-01-01T00:00:00Z,
		// in every field, not only the ones the patch names. Quoted, as
		// kiln writes such a scalar anyway, it stays the string it was.
		objects.QuoteTimestamps(o.Node.YNode())
		// The filter goes through JSON and back, which sorts keys and
		// drops comments, styles and line numbers; keep the original to
		// restore them where the patch left things unchanged.
		old := o.Node.Copy()
		if _, err := (patchjson6902.Filter{Patch: ops}).Filter([]*kyaml.RNode{o.Node}); err != nil {
			if ce := (*jsonpatch.AccumulatedCopySizeError)(nil); errors.As(err, &ce) {
				le := &limits.Error{What: "what the patch's copy operations add to the object", Limit: limits.Bytes(limits.OutputSize)}
				errs = append(errs, &diag.Error{File: p.File, Line: p.Line, Object: objectOf(old), Msg: le.Describe(), Err: errors.Join(le, err),
					Hint: "copy a value fewer times; " + limits.Hint})
				continue
			}
			errs = append(errs, &diag.Error{File: p.File, Line: p.Line, Object: objectOf(old), Msg: "JSON6902 patch failed: " + redact.Nodes(err.Error()), Err: err,
				Hint: "check each path against the rendered object: add and replace need the parent to exist, remove and test the field itself"})
			continue
		}
		restore(old.YNode(), o.Node.YNode())
		if err := renamedGenerated(p, sel.bases, old, o.Node); err != nil {
			errs = append(errs, err)
		}
	}
	if err := diag.Join(errs...); err != nil {
		return nil, nil, err
	}
	if matched == 0 {
		return objs, []diag.Warning{p.noMatch(objs, nil)}, nil
	}
	return objs, nil, nil
}

// restore copies layout from old to the matching nodes of new, the object
// the JSON round trip rebuilt: keys go back to their old order (new keys
// last), and unchanged scalars get back their style; every node that
// existed before gets back its line and comments. Nodes the patch added
// keep line 0, so messages about them fall back to the object's line.
func restore(old, new *kyaml.Node) {
	zeroLines(new)
	copyLayout(old, new)
}

func copyLayout(old, new *kyaml.Node) {
	new.Line, new.Column = old.Line, old.Column
	new.HeadComment, new.LineComment, new.FootComment = old.HeadComment, old.LineComment, old.FootComment
	if old.Kind != new.Kind {
		return
	}
	switch new.Kind {
	case kyaml.ScalarNode:
		if old.Value == new.Value && old.ShortTag() == new.ShortTag() {
			new.Style, new.Tag = old.Style, old.Tag
		}
	case kyaml.MappingNode:
		type pair struct{ k, v *kyaml.Node }
		byKey := map[string]pair{}
		var order []string
		for i := 0; i+1 < len(new.Content); i += 2 {
			k := new.Content[i].Value
			byKey[k] = pair{new.Content[i], new.Content[i+1]}
			order = append(order, k)
		}
		content := make([]*kyaml.Node, 0, len(new.Content))
		seen := map[string]bool{}
		for i := 0; i+1 < len(old.Content); i += 2 {
			k := old.Content[i].Value
			p, ok := byKey[k]
			if !ok || seen[k] {
				continue
			}
			seen[k] = true
			copyLayout(old.Content[i], p.k)
			copyLayout(old.Content[i+1], p.v)
			content = append(content, p.k, p.v)
		}
		for _, k := range order {
			if !seen[k] {
				content = append(content, byKey[k].k, byKey[k].v)
			}
		}
		new.Content = content
		new.Style = old.Style
	case kyaml.SequenceNode:
		new.Style = old.Style
		for i, n := range new.Content {
			if o := counterpart(old, new, i); o != nil {
				copyLayout(o, n)
			}
		}
	}
}

// counterpart finds the old item that new.Content[i] was: by name for
// lists of named things (containers, ports, env), else by position when
// the list kept its length, else an equal scalar.
func counterpart(old, new *kyaml.Node, i int) *kyaml.Node {
	n := new.Content[i]
	if name := objects.ItemName(n); name != "" {
		for _, o := range old.Content {
			if objects.ItemName(o) == name {
				return o
			}
		}
		return nil
	}
	if len(old.Content) == len(new.Content) {
		return old.Content[i]
	}
	if n.Kind == kyaml.ScalarNode {
		for _, o := range old.Content {
			if o.Kind == kyaml.ScalarNode && o.Value == n.Value {
				return o
			}
		}
	}
	return nil
}

// renamedGenerated refuses a JSON6902 patch that moved a generated
// ConfigMap or Secret (bases) to another name or namespace: kiln gives a
// changed generated object its new hash and renames its users itself
// (rehash), by the name and namespace it had; a patch's own rename would
// leave every Pod that uses the object naming one that no longer exists.
func renamedGenerated(p Patch, bases map[genKey]string, old, new *kyaml.RNode) error {
	base, ok := bases[genKey{old.GetKind(), old.GetNamespace(), old.GetName()}]
	if !ok || (new.GetName() == old.GetName() && new.GetNamespace() == old.GetNamespace()) {
		return nil
	}
	gen := "configMapGenerator"
	if old.GetKind() == "Secret" {
		gen = "secretGenerator"
	}
	return &diag.Error{File: p.File, Line: p.Line, Object: objectOf(old),
		Msg:  fmt.Sprintf("JSON6902 patch renames %s %s, which kustomize's %s %s made: the objects that use it would keep its old name", old.GetKind(), old.GetName(), gen, base),
		Hint: fmt.Sprintf("rename it in the overlay's %s (name:, namespace:), where kustomize renames its users too; a patch of its data alone gives it a new hash and renames its users", gen)}
}
