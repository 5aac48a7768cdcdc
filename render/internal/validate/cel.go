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
	st  *structuralschema.Structural
	any bool // the schema has rules the API server's validator runs
	mu  sync.Mutex
	by  map[string]func() *cel.Validator // by reached set (reachKey)
}

func newCELRules(st *structuralschema.Structural) *celRules {
	return &celRules{st: st, any: hasRules(st), by: map[string]func() *cel.Validator{}}
}

// wholeKey names the validator of every rule of the schema.
const wholeKey = "\x00whole"

// validate runs, on obj (pruned and defaulted), the CEL rules it reaches.
func (r *celRules) validate(st *structuralschema.Structural, obj map[string]any) fieldpath.ErrorList {
	v := r.validator(obj)
	if v == nil {
		return nil
	}
	errs, _ := v.Validate(context.Background(), nil, st, obj, nil, celconfig.RuntimeCELCostBudget)
	return errs
}

// validator returns the CEL validator of the rules obj reaches, nil when
// it reaches none.
func (r *celRules) validator(obj map[string]any) *cel.Validator {
	if !r.any {
		return nil
	}
	key, reached := reachKey(r.st, obj)
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
// validator would walk to for obj, joined (wholeKey when a node it walks
// to has rules inside an allOf, which are always run with all the rest),
// and the set of them; "" when there are none.
func reachKey(st *structuralschema.Structural, obj map[string]any) (string, map[string]bool) {
	reached := map[string]bool{}
	if reach(st, obj, "", reached) {
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
	return strings.Join(paths, "\x01"), reached
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

// reach adds to reached the path of each node with rules below s (at
// path) that the CEL validator walks to for the value v, as cel.Validator
// walks: a value that is not null, each entry of a mapping into its
// property and into the additional properties, each item of a list into
// the items. It reports whether one of those nodes has rules inside an
// allOf.
func reach(s *structuralschema.Structural, v any, path string, reached map[string]bool) bool {
	if s == nil || v == nil {
		return false
	}
	if len(s.XValidations) > 0 {
		reached[path] = true
	}
	if s.ValueValidation != nil && nestedRules(s.ValueValidation.AllOf) {
		return true
	}
	switch v := v.(type) {
	case []any:
		for _, item := range v {
			if reach(s.Items, item, path+segItems, reached) {
				return true
			}
		}
	case map[string]any:
		for k, item := range v {
			if s.AdditionalProperties != nil && reach(s.AdditionalProperties.Structural, item, path+segAdditl, reached) {
				return true
			}
			if p, ok := s.Properties[k]; ok && reach(&p, item, path+segProperty+k, reached) {
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
