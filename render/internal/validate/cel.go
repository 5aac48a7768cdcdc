package validate

import (
	"context"
	"slices"
	"strings"
	"sync"

	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	fieldpath "k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
)

// celRules compiles the CEL rules (x-kubernetes-validations) of one CRD
// version, only those an object reaches: compiling a rule (parsing it,
// building its CEL environment from the schema, planning it) costs far
// more than running it, and most objects reach few of their CRD's rules
// (a Flux Kustomization without spec.kubeConfig none at all). The API
// server's CEL validator evaluates the rules of the schema nodes it walks
// to, which are the nodes holding a value of the object (cel.Validator's
// validate, validateMap, validateArray), so a validator compiled from the
// schema with the other nodes' rules left out finds, for that object,
// what the whole one finds (TestCELReachedRulesOnly). Validators are
// compiled once per set of reached rules.
type celRules struct {
	st   *structuralschema.Structural
	any  bool      // the schema has rules the API server's validator runs
	tree *ruleNode // where the rules are, for reach
	mu   sync.Mutex
	by   map[string]func() *cel.Validator // by reached set (reachKey)
}

func newCELRules(st *structuralschema.Structural) *celRules {
	return &celRules{st: st, any: hasRules(st), tree: ruleTree(st), by: map[string]func() *cel.Validator{}}
}

// wholeKey names the validator of every rule of the schema.
const wholeKey = "\x00whole"

// validate runs, on obj (pruned and defaulted), the CEL rules it reaches.
func (r *celRules) validate(ctx context.Context, st *structuralschema.Structural, obj map[string]any) fieldpath.ErrorList {
	return r.validateUpdate(ctx, st, obj, nil)
}

// validateUpdate runs, on obj (pruned and defaulted) as an update of old
// (nil: a create), the CEL rules obj reaches, transition rules included.
// The rules' programs look at ctx every few iterations of a
// comprehension (cel.InterruptCheckFrequency) and stop once it ends, each
// with an error saying so: a rule within the API server's cost estimate
// can still run for a second on one object (TestCELStopsWithContext).
// Objects drops what a check stopped this way found.
func (r *celRules) validateUpdate(ctx context.Context, st *structuralschema.Structural, obj, old map[string]any) fieldpath.ErrorList {
	v := r.validator(obj)
	if v == nil {
		return nil
	}
	errs, _ := v.Validate(ctx, nil, st, obj, old, celconfig.RuntimeCELCostBudget)
	return errs
}

// validator returns the CEL validator of the rules obj reaches, nil when
// it reaches none.
func (r *celRules) validator(obj map[string]any) *cel.Validator {
	if !r.any {
		return nil
	}
	key, reached := reachKey(r.tree, obj)
	if key == "" {
		return nil
	}
	r.mu.Lock()
	get, ok := r.by[key]
	if !ok {
		get = sync.OnceValue(func() *cel.Validator {
			st := r.st
			if key != wholeKey {
				st = keepRules(r.st, "", reached)
			}
			return cel.NewValidator(st, true, celconfig.PerCallLimit)
		})
		r.by[key] = get
	}
	r.mu.Unlock()
	return get()
}

// reachKey returns the paths of the schema nodes with rules that the CEL
// validator would walk to for obj, each ended by a separator (wholeKey
// when a node it walks to has rules inside an allOf, which are always run
// with all the rest), and the set of them; "" when there are none. The
// root's path is "": without its separator, an object reaching the
// root's rules alone read as reaching none, and passed what they refuse
// (Kong's KongPlugin with both config and configFrom).
func reachKey(tree *ruleNode, obj map[string]any) (string, map[string]bool) {
	var reached map[string]bool
	if reach(tree, obj, make([]byte, 0, 256), &reached) {
		return wholeKey, nil
	}
	if len(reached) == 0 {
		return "", nil
	}
	paths := make([]string, 0, len(reached))
	for p := range reached {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	var b strings.Builder
	for _, p := range paths {
		b.WriteString(p)
		b.WriteByte('\x01')
	}
	return b.String(), reached
}

// Path segments of a schema node: a property, the items, the additional
// properties. A property name holds no NUL (it is a JSON key of a
// Kubernetes object, which the API server would refuse); the separators
// keep two paths from reading alike anyway.
const (
	segProperty = "\x00p"
	segItems    = "\x00i"
	segAdditl   = "\x00a"
)

// ruleNode is a node of a schema that has rules at or below it: the
// schema with every subtree without rules left out, for reach to walk.
type ruleNode struct {
	rules  bool // the node has rules (x-kubernetes-validations)
	allOf  bool // the node has rules inside an allOf
	props  map[string]*ruleNode
	items  *ruleNode
	additl *ruleNode
}

// ruleTree returns the ruleNode of s, nil when s has no rule at or below it.
func ruleTree(s *structuralschema.Structural) *ruleNode {
	if s == nil {
		return nil
	}
	n := &ruleNode{
		rules: len(s.XValidations) > 0,
		allOf: s.ValueValidation != nil && nestedRules(s.ValueValidation.AllOf),
		items: ruleTree(s.Items),
	}
	if s.AdditionalProperties != nil {
		n.additl = ruleTree(s.AdditionalProperties.Structural)
	}
	for k, p := range s.Properties {
		if c := ruleTree(&p); c != nil {
			if n.props == nil {
				n.props = map[string]*ruleNode{}
			}
			n.props[k] = c
		}
	}
	if !n.rules && !n.allOf && n.items == nil && n.additl == nil && n.props == nil {
		return nil
	}
	return n
}

// reach adds to reached the path of each node with rules below n (at
// path) that the CEL validator walks to for the value v, as cel.Validator
// walks: a value that is not null, each entry of a mapping into its
// property and into the additional properties, each item of a list into
// the items. It reports whether one of those nodes has rules inside an
// allOf. Subtrees without rules, which ruleTree left out, add nothing.
//
// path is the node's path, built in one buffer as reach descends, and
// reached is made on the first node with rules: most objects reach none,
// and a fleet checks thousands.
func reach(n *ruleNode, v any, path []byte, reached *map[string]bool) bool {
	if n == nil || v == nil {
		return false
	}
	if n.rules {
		if *reached == nil {
			*reached = map[string]bool{}
		}
		(*reached)[string(path)] = true
	}
	if n.allOf {
		return true
	}
	switch v := v.(type) {
	case []any:
		if n.items == nil {
			return false
		}
		for _, item := range v {
			if reach(n.items, item, append(path, segItems...), reached) {
				return true
			}
		}
	case map[string]any:
		if n.props == nil && n.additl == nil {
			return false
		}
		for k, item := range v {
			if reach(n.additl, item, append(path, segAdditl...), reached) {
				return true
			}
			if c := n.props[k]; c != nil && reach(c, item, append(append(path, segProperty...), k...), reached) {
				return true
			}
		}
	}
	return false
}

// nestedRules reports whether any of the allOf schemas holds a rule.
func nestedRules(allOf []structuralschema.NestedValueValidation) bool {
	for i := range allOf {
		if nestedHasRules(&allOf[i]) {
			return true
		}
	}
	return false
}

func nestedHasRules(n *structuralschema.NestedValueValidation) bool {
	if n == nil {
		return false
	}
	if len(n.XValidations) > 0 || nestedRules(n.ValueValidation.AllOf) || nestedHasRules(n.Items) || nestedHasRules(n.AdditionalProperties) {
		return true
	}
	for _, p := range n.Properties {
		if nestedHasRules(&p) {
			return true
		}
	}
	return false
}

// hasRules reports whether cel.NewValidator would build a validator for
// s: whether a node of its structural spine has rules (its hasXValidations).
func hasRules(s *structuralschema.Structural) bool {
	if s == nil {
		return false
	}
	if len(s.XValidations) > 0 || hasRules(s.Items) {
		return true
	}
	if s.AdditionalProperties != nil && hasRules(s.AdditionalProperties.Structural) {
		return true
	}
	for _, p := range s.Properties {
		if hasRules(&p) {
			return true
		}
	}
	return false
}

// keepRules returns s (at path) with the rules of the nodes not in keep
// left out, sharing with s every subtree that has none. Nothing else of a
// node changes: the CEL types of the values, built from the schema
// without its rules, stay those of s.
func keepRules(s *structuralschema.Structural, path string, keep map[string]bool) *structuralschema.Structural {
	if !hasRules(s) {
		return s
	}
	c := *s
	if !keep[path] {
		c.XValidations = nil
	}
	c.Items = keepRules(s.Items, path+segItems, keep)
	if s.AdditionalProperties != nil && s.AdditionalProperties.Structural != nil {
		ap := *s.AdditionalProperties
		ap.Structural = keepRules(s.AdditionalProperties.Structural, path+segAdditl, keep)
		c.AdditionalProperties = &ap
	}
	if s.Properties != nil {
		c.Properties = make(map[string]structuralschema.Structural, len(s.Properties))
		for k, p := range s.Properties {
			c.Properties[k] = *keepRules(&p, path+segProperty+k, keep)
		}
	}
	return &c
}
