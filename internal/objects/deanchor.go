package objects

import (
	"errors"
	"fmt"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/limits"
)

// deAnchor is kyaml's RNode.DeAnchor (kustomize/kyaml v0.21.2,
// yaml/rnode.go: deAnchor, removeMergeTags, findMergeValues, mergeAll),
// the same tree for every input, in time linear in the mapping sizes
// instead of quadratic. kyaml merges every mapping of an aliased document,
// merge key or not, by looking up each of its keys from the mapping's
// start (VisitFields, then MapEntrySetter): one `data:` of 80,000 keys
// beside a single alias took 75 s, and the node bound let through a
// document of hours. Here each mapping's keys are indexed once. kustomize
// (so Flux) reads an aliased resource with kyaml's version, so every
// quirk of it is kept: the mapping is copied before its fields are set,
// later merge sources win over earlier ones, a sequence of sources is read
// back to front, a key written "<<" as a plain string is dropped along with
// the merge, and a null key is looked up by "" (GetValue).
func deAnchor(yn *kyaml.Node) (*kyaml.Node, error) {
	d := &deAnchorer{}
	return d.node(yn)
}

// deAnchorAll is deAnchor, then again while a merge key is left: kyaml
// merges what an alias names as it was written, so a merged mapping's own
// merge key is copied in unexpanded (`<<: *o` where o has `<<: *b`), and
// kustomize's build expands it when it turns the object into JSON
// (yaml.v3, whose rule is kyaml's: the mapping's own keys win). kiln
// writes and validates the object as that build gives it. Each pass
// expands one such level; the passes share one bound of work.
func deAnchorAll(yn *kyaml.Node) (*kyaml.Node, error) {
	d := &deAnchorer{}
	res, err := d.node(yn)
	for err == nil && res != nil && hasMergeKey(res) {
		res, err = d.node(res)
	}
	return res, err
}

// hasMergeKey reports whether a mapping of n's tree has a merge key.
func hasMergeKey(n *kyaml.Node) bool {
	if n.Kind == kyaml.MappingNode {
		for i := 0; i < len(n.Content); i += 2 {
			if isMergeKey(n.Content[i]) {
				return true
			}
		}
	}
	for _, c := range n.Content {
		if hasMergeKey(c) {
			return true
		}
	}
	return false
}

// deAnchorer holds what bounds one document's de-anchoring.
type deAnchorer struct {
	// nullWork counts the keys indexed again for null keys.
	nullWork int
	// work counts the nodes visited and copied: merge keys copy their
	// sources, merges and aliases included, so a document within
	// limits.Nodes, aliases expanded, made kyaml copy until memory ran
	// out (300 bytes ended kiln).
	work int
	// active holds the nodes being de-anchored: an alias that led back
	// to one would make kyaml recurse until the stack runs out.
	active map[*kyaml.Node]bool
}

// maxNullWork bounds the keys indexed again for null keys (`~: x`): kyaml
// looks a null key up by "", and setting one where an empty key was
// changes that position's text, which the index follows only by indexing
// the mapping again. No Kubernetes object has a null key; a document that
// alternates thousands of them with empty ones is hostile.
const maxNullWork = 1 << 24

// errAliasLoop is a document whose aliases, merged, lead back into the
// node being read: kyaml (so kustomize, so Flux) never finishes reading it.
var errAliasLoop = errors.New("its aliases and merge keys lead back into the node that holds them, which kustomize (so Flux) would read without end")

func (d *deAnchorer) node(yn *kyaml.Node) (*kyaml.Node, error) {
	if yn == nil {
		return nil, nil
	}
	if d.active[yn] {
		return nil, errAliasLoop
	}
	if d.work++; d.work > limits.Nodes {
		return nil, d.tooMuch()
	}
	if d.active == nil {
		d.active = map[*kyaml.Node]bool{}
	}
	d.active[yn] = true
	defer delete(d.active, yn)
	if yn.Anchor != "" {
		if yn.Kind == kyaml.AliasNode {
			return nil, fmt.Errorf("anchor %q defined using alias %v", yn.Anchor, yn.Alias)
		}
		yn.Anchor = ""
	}
	switch yn.Kind {
	case kyaml.ScalarNode:
		return yn, nil
	case kyaml.AliasNode:
		res, err := d.node(yn.Alias)
		if err != nil {
			return nil, err
		}
		return d.copy(res), nil
	case kyaml.MappingNode:
		toMerge, err := removeMergeTags(yn)
		if err != nil {
			return nil, err
		}
		if err := d.mergeAll(yn, toMerge); err != nil {
			return nil, err
		}
		fallthrough
	case kyaml.DocumentNode, kyaml.SequenceNode:
		for i := range yn.Content {
			var err error
			if yn.Content[i], err = d.node(yn.Content[i]); err != nil {
				return nil, err
			}
		}
		return yn, nil
	default:
		return nil, fmt.Errorf("cannot deAnchor kind %d", yn.Kind)
	}
}

// removeMergeTags is kyaml's: the sources of the mapping's merge key, and
// the first key whose text is "<<" (merge-tagged or not) removed.
func removeMergeTags(yn *kyaml.Node) ([]*kyaml.Node, error) {
	if yn.Content == nil {
		return nil, nil
	}
	var value *kyaml.Node
	for i := 0; i+1 < len(yn.Content); i += 2 {
		if yn.Content[i].Tag == kyaml.MergeTag {
			if value != nil {
				return nil, errors.New("duplicate merge key")
			}
			value = yn.Content[i+1]
		}
	}
	toMerge, err := findMergeValues(value)
	if err != nil {
		return nil, err
	}
	for i := 0; i+1 < len(yn.Content); i += 2 {
		if yn.Content[i].Value == "<<" {
			yn.Content = append(yn.Content[:i:i], yn.Content[i+2:]...)
			break
		}
	}
	return toMerge, nil
}

// findMergeValues is kyaml's: the mappings a merge key's value names, a
// sequence's back to front.
func findMergeValues(yn *kyaml.Node) ([]*kyaml.Node, error) {
	if yn == nil {
		return []*kyaml.Node{}, nil
	}
	switch yn.Kind {
	case kyaml.MappingNode:
		return []*kyaml.Node{yn}, nil
	case kyaml.AliasNode:
		if yn.Alias == nil || yn.Alias.Kind != kyaml.MappingNode {
			return nil, errors.New("invalid map merge: received alias for a non-map value")
		}
		return []*kyaml.Node{yn.Alias}, nil
	case kyaml.SequenceNode:
		out := []*kyaml.Node{}
		for _, c := range yn.Content {
			if c.Kind == kyaml.SequenceNode {
				return nil, errors.New("invalid map merge: received a nested sequence")
			}
			vals, err := findMergeValues(c)
			if err != nil {
				return nil, err
			}
			out = append(vals, out...)
		}
		return out, nil
	default:
		return nil, errors.New("map merge requires map or sequence of maps as the value")
	}
}

// mergeAll is kyaml's: a copy of yn, then every field of a copy of each
// source and of yn itself set on it in turn, each field as the first of
// its name in its source (Field), replacing the first of its name in the
// copy (MapEntrySetter) or appended.
func (d *deAnchorer) mergeAll(yn *kyaml.Node, toMerge []*kyaml.Node) error {
	rn := d.copy(yn)
	if d.work > limits.Nodes {
		return d.tooMuch()
	}
	at := firstKeys(rn.Content)
	for _, src := range append(toMerge, yn) {
		c := d.copy(src)
		if d.work > limits.Nodes {
			return d.tooMuch()
		}
		first := firstKeys(c.Content)
		for i := 0; i+1 < len(c.Content); i += 2 {
			j := first[c.Content[i].Value]
			key, val := c.Content[j], c.Content[j+1]
			name := key.Value
			if key.Tag == kyaml.NodeTagNull {
				// GetValue reads a null key as "": kyaml looks for a key
				// whose text is "", and setting this one there changes
				// that position's text, which the index cannot follow.
				name = ""
				if k, ok := at[name]; ok {
					rn.Content[k], rn.Content[k+1] = key, val
					if key.Value != name {
						if d.nullWork += len(rn.Content); d.nullWork > maxNullWork {
							return &limits.Error{What: "the work of the null mapping keys of a document with YAML aliases", Limit: fmt.Sprint(maxNullWork)}
						}
						at = firstKeys(rn.Content)
					}
				} else {
					rn.Content = append(rn.Content, key, val)
					if _, ok := at[key.Value]; !ok {
						at[key.Value] = len(rn.Content) - 2
					}
				}
				continue
			}
			if k, ok := at[name]; ok {
				rn.Content[k], rn.Content[k+1] = key, val
				continue
			}
			at[name] = len(rn.Content)
			rn.Content = append(rn.Content, key, val)
		}
	}
	*yn = *rn
	return nil
}

// tooMuch is the error of a document past limits.Nodes of work.
func (d *deAnchorer) tooMuch() error {
	return &limits.Error{What: "the YAML nodes the document's aliases and merge keys expand to", Limit: fmt.Sprint(limits.Nodes)}
}

// copy is kyaml.CopyYNode, each node copied counted as work.
func (d *deAnchorer) copy(n *kyaml.Node) *kyaml.Node {
	if n == nil {
		return nil
	}
	d.work++
	c := *n
	if len(n.Content) > 0 && d.work <= limits.Nodes {
		c.Content = make([]*kyaml.Node, len(n.Content))
		for i, item := range n.Content {
			c.Content[i] = d.copy(item)
		}
	}
	return &c
}

// firstKeys maps each key text of a mapping's content to the index of its
// first key.
func firstKeys(content []*kyaml.Node) map[string]int {
	at := make(map[string]int, len(content)/2)
	for i := 0; i+1 < len(content); i += 2 {
		if _, ok := at[content[i].Value]; !ok {
			at[content[i].Value] = i
		}
	}
	return at
}
