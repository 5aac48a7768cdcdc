package validate

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"

	apiextensionsvalidation "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/validation"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel/model"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	fieldpath "k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apimachinery/pkg/util/version"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	apiservercel "k8s.io/apiserver/pkg/cel"
	"k8s.io/apiserver/pkg/cel/environment"

	"github.com/kiln-gitops/kiln/render/internal/validate/apirules"
)

// celCompat is the CEL compatibility version of the API server of kube,
// the one a CRD's new rules compile in (apirules.CELCompatibility, which
// webhooks' match conditions compile in too).
func celCompat(kube *version.Version) *version.Version {
	return apirules.CELCompatibility(kube)
}

// baseEnvSets holds one environment per compatibility version: building
// one costs milliseconds.
var baseEnvSets sync.Map // "major.minor" → *environment.EnvSet

func baseEnvSet(compat *version.Version) *environment.EnvSet {
	key := compat.String()
	if e, ok := baseEnvSets.Load(key); ok {
		return e.(*environment.EnvSet)
	}
	e, _ := baseEnvSets.LoadOrStore(key, environment.MustBaseEnvSet(compat))
	return e.(*environment.EnvSet)
}

// celByCompat is a CRD's cel: celCompileErrors of its rules, once per
// compatibility version.
func celByCompat(rules []celVersion) func(*version.Version) fieldpath.ErrorList {
	var mu sync.Mutex
	done := map[string]func() fieldpath.ErrorList{}
	return func(compat *version.Version) fieldpath.ErrorList {
		mu.Lock()
		f, ok := done[compat.String()]
		if !ok {
			f = sync.OnceValue(func() fieldpath.ErrorList { return celCompileErrors(rules, compat) })
			done[compat.String()] = f
		}
		mu.Unlock()
		return f()
	}
}

// The API server's limits on the estimated cost of a CRD's rules.
const (
	ruleCostLimit = apiextensionsvalidation.StaticEstimatedCostLimit
	crdCostLimit  = apiextensionsvalidation.StaticEstimatedCRDCostLimit
)

// crdCELError is why the API server refuses a CRD for its CEL rules.
type crdCELError struct{ errs fieldpath.ErrorList }

func (e *crdCELError) Error() string { return e.errs.ToAggregate().Error() }

// celVersion is one served version's schema, for celCompileErrors.
type celVersion struct {
	index int
	st    *structuralschema.Structural
}

// celCompileErrors is the CEL part of the API server's create validation
// of a CRD (ValidateCustomResourceDefinitionOpenAPISchema with its
// CELSchemaContext): every x-kubernetes-validations rule of every
// version must compile, with its messageExpression, in the environment of
// new expressions, and stay within the estimated cost limits per rule and
// per version. Object validation compiles only the rules an object
// reaches (celRules), so a rule that does not compile would pass until an
// object reached it, while the API server refuses the whole CRD, and
// with it every object of the kind, at apply.
func celCompileErrors(versions []celVersion, compat *version.Version) (errs fieldpath.ErrorList) {
	defer func() {
		if r := recover(); r != nil {
			errs = append(errs, fieldpath.InternalError(fieldpath.NewPath("spec", "versions"), fmt.Errorf("compiling the CEL rules failed unexpectedly (a bug in kiln or in the Kubernetes code it uses; please report it): %v", r)))
		}
	}()
	for _, v := range versions {
		if !hasRules(v.st) {
			continue
		}
		c := &celCompile{compat: compat}
		root := fieldpath.NewPath("spec", "versions").Index(v.index).Child("schema", "openAPIV3Schema")
		one := uint64(1)
		c.walk(v.st, nil, true, root, &one, nil, true)
		if len(c.errs) == 0 && defaultsUnderRules(v.st) {
			// The API server runs the rules on each default at or above
			// them (ValidateDefaults, in its create validation): a default
			// a rule refuses is refused with the CRD. crdCreateErrors hid
			// the rules from that run; the rest of it found the defaults
			// valid, so only the rules' errors are new here.
			derrs, err := structuraldefaulting.ValidateDefaults(context.Background(), root, v.st, true, true)
			if err != nil {
				derrs = append(derrs, fieldpath.InternalError(root, err))
			}
			c.errs = append(c.errs, derrs...)
		}
		errs = append(errs, c.errs...)
		if c.total > crdCostLimit {
			sort.SliceStable(c.expensive, func(i, j int) bool { return c.expensive[i].cost > c.expensive[j].cost })
			for i, e := range c.expensive {
				if i == 4 {
					break
				}
				errs = append(errs, fieldpath.Forbidden(e.path, "contributed to estimated rule cost total exceeding cost limit for entire OpenAPIv3 schema"))
			}
			errs = append(errs, fieldpath.Forbidden(root, costMessage("x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema", c.total, crdCostLimit)))
		}
	}
	return errs
}

type ruleCost struct {
	path *fieldpath.Path
	cost uint64
}

type celCompile struct {
	compat    *version.Version
	env       *environment.EnvSet
	errs      fieldpath.ErrorList
	total     uint64
	expensive []ruleCost
}

// walk visits s at path, whose CEL type is decl (nil: not known from the
// parent, converted from s), where card is how many values s may have
// (nil: unbounded), as the API server's CELSchemaContext counts them, and
// uncorr is the highest node above whose old and new values the API
// server cannot pair (the items of a list that is not a map), nil for none.
// keyed is whether server-side apply knows s's x-kubernetes-validations as
// a list keyed by rule: only down a chain of properties from the root. An
// items or additionalProperties is a JSONSchemaPropsOrArray or
// JSONSchemaPropsOrBool, which the CRD type's OpenAPI leaves untyped, so
// the apply deduces everything below it and keys no list there.
func (c *celCompile) walk(s *structuralschema.Structural, decl *apiservercel.DeclType, root bool, path *fieldpath.Path, card *uint64, uncorr *fieldpath.Path, keyed bool) {
	if !hasRules(s) {
		return
	}
	if decl == nil {
		if decl = model.SchemaDeclType(s, root || s.XEmbeddedResource); decl == nil {
			c.errs = append(c.errs, fieldpath.InternalError(path.Child("x-kubernetes-validations"), fmt.Errorf("unable to convert structural schema to CEL declarations")))
			return
		}
	}
	if len(s.XValidations) > 0 {
		c.rules(s, decl, path, card, uncorr, keyed)
	}
	// What a child's values multiply by (extractMaxElements).
	var child *uint64
	if card != nil {
		switch {
		case s.Type == "array" && s.ValueValidation != nil && s.ValueValidation.MaxItems != nil:
			child = mul(*card, uint64(max(*s.ValueValidation.MaxItems, 0)))
		case s.Type == "object" && s.AdditionalProperties != nil && s.ValueValidation != nil && s.ValueValidation.MaxProperties != nil:
			child = mul(*card, uint64(max(*s.ValueValidation.MaxProperties, 0)))
		case s.Type == "array", s.Type == "object" && s.AdditionalProperties != nil:
		default:
			child = card
		}
	}
	propsUncorr := uncorr
	if propsUncorr == nil && !cel.MapIsCorrelatable(s.XMapType) {
		propsUncorr = path
	}
	names := make([]string, 0, len(s.Properties))
	for n := range s.Properties {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := s.Properties[n]
		var d *apiservercel.DeclType
		if esc, ok := apiservercel.Escape(n); ok {
			if f, ok := decl.Fields[esc]; ok {
				d = f.Type
			}
		}
		c.walk(&p, d, false, path.Child("properties").Key(n), child, propsUncorr, keyed)
	}
	if s.Items != nil {
		itemsUncorr := uncorr
		if itemsUncorr == nil && (s.XListType == nil || *s.XListType != "map") {
			itemsUncorr = path
		}
		c.walk(s.Items, decl.ElemType, false, path.Child("items"), child, itemsUncorr, false)
	}
	if s.AdditionalProperties != nil && s.AdditionalProperties.Structural != nil {
		c.walk(s.AdditionalProperties.Structural, decl.ElemType, false, path.Child("additionalProperties"), child, uncorr, false)
	}
}

// rules checks the rules of one node as the API server does.
func (c *celCompile) rules(s *structuralschema.Structural, decl *apiservercel.DeclType, path *fieldpath.Path, card *uint64, uncorr *fieldpath.Path, keyed bool) {
	at := func(i int) *fieldpath.Path { return path.Child("x-kubernetes-validations").Index(i) }
	before := len(c.errs)
	seen := make(map[string]bool, len(s.XValidations))
	for i, r := range s.XValidations {
		// The list is keyed by rule (x-kubernetes-list-map-keys), so
		// server-side apply, as Flux applies the CRD, refuses a rule
		// twice ("duplicate entries for key"), where a create takes it;
		// not under an items or additionalProperties (see walk), where
		// Gateway API's experimental HTTPRoute CRD (v1.2.1, v1.3.0) has
		// one twice and a real kube-apiserver 1.37 takes it.
		if seen[r.Rule] && keyed {
			c.errs = append(c.errs, fieldpath.Invalid(at(i).Child("rule"), r.Rule, "the same rule as an earlier entry: Flux's server-side apply refuses a rule twice in one list (\"duplicate entries for key\"); keep one, or change one's rule"))
		}
		seen[r.Rule] = true
		rule, msg := strings.TrimSpace(r.Rule), strings.TrimSpace(r.Message)
		switch {
		case rule == "":
			c.errs = append(c.errs, fieldpath.Required(at(i).Child("rule"), "rule is not specified"))
		case r.Message != "" && msg == "":
			c.errs = append(c.errs, fieldpath.Invalid(at(i).Child("message"), r.Message, "must be non-empty if specified"))
		case strings.ContainsAny(msg, "\n\r"):
			c.errs = append(c.errs, fieldpath.Invalid(at(i).Child("message"), r.Message, "must not contain line breaks"))
		case strings.ContainsAny(rule, "\n\r") && msg == "":
			c.errs = append(c.errs, fieldpath.Required(at(i).Child("message"), "message must be specified if rule contains line breaks"))
		}
		if r.MessageExpression != "" && strings.TrimSpace(r.MessageExpression) == "" {
			c.errs = append(c.errs, fieldpath.Required(at(i).Child("messageExpression"), "messageExpression must be non-empty if specified"))
		}
		if r.FieldPath != "" {
			if strings.TrimSpace(r.FieldPath) == "" {
				c.errs = append(c.errs, fieldpath.Invalid(at(i).Child("fieldPath"), r.FieldPath, "must be non-empty if specified"))
			}
			if strings.ContainsAny(r.FieldPath, "\n\r") {
				c.errs = append(c.errs, fieldpath.Invalid(at(i).Child("fieldPath"), r.FieldPath, "must not contain line breaks"))
			}
			if _, _, err := cel.ValidFieldPath(r.FieldPath, s); err != nil {
				c.errs = append(c.errs, fieldpath.Invalid(at(i).Child("fieldPath"), r.FieldPath, "must be a valid path"))
			}
		}
	}
	if len(c.errs) > before {
		return // as the API server: no compiling where the rules' own fields are wrong
	}
	if c.env == nil {
		c.env = baseEnvSet(c.compat)
	}
	results, err := cel.Compile(s, decl, celconfig.PerCallLimit, c.env, cel.NewExpressionsEnvLoader())
	if err != nil {
		c.errs = append(c.errs, fieldpath.InternalError(path.Child("x-kubernetes-validations"), err))
		return
	}
	for i, r := range results {
		cost := r.MaxCost
		if card != nil {
			cost = mulCost(r.MaxCost, *card)
		} else {
			cost = mulCost(r.MaxCost, r.MaxCardinality)
		}
		if cost > ruleCostLimit {
			c.errs = append(c.errs, fieldpath.Forbidden(at(i).Child("rule"), costMessage("estimated rule cost", cost, ruleCostLimit)))
		}
		c.observe(at(i).Child("rule"), cost)
		if r.Error != nil {
			if r.Error.Type == apiservercel.ErrorTypeRequired {
				c.errs = append(c.errs, fieldpath.Required(at(i).Child("rule"), r.Error.Detail))
			} else {
				c.errs = append(c.errs, fieldpath.Invalid(at(i).Child("rule"), s.XValidations[i].Rule, r.Error.Detail))
			}
		}
		if r.UsesOldSelf && uncorr != nil {
			c.errs = append(c.errs, fieldpath.Invalid(at(i).Child("rule"), s.XValidations[i].Rule, fmt.Sprintf("oldSelf cannot be used on the uncorrelatable portion of the schema within %v", uncorr)))
		}
		if !r.UsesOldSelf && s.XValidations[i].OptionalOldSelf != nil {
			c.errs = append(c.errs, fieldpath.Invalid(at(i).Child("optionalOldSelf"), *s.XValidations[i].OptionalOldSelf, "may not be set if oldSelf is not used in rule"))
		}
		if r.MessageExpressionError != nil {
			c.errs = append(c.errs, fieldpath.Invalid(at(i).Child("messageExpression"), s.XValidations[i].MessageExpression, r.MessageExpressionError.Detail))
		} else if r.MessageExpression != nil {
			if r.MessageExpressionMaxCost > ruleCostLimit {
				c.errs = append(c.errs, fieldpath.Forbidden(at(i).Child("messageExpression"), costMessage("estimated messageExpression cost", r.MessageExpressionMaxCost, ruleCostLimit)))
			}
			c.observe(at(i).Child("messageExpression"), r.MessageExpressionMaxCost)
		}
	}
}

// observe adds one expression's cost to the version's total (TotalCost).
func (c *celCompile) observe(path *fieldpath.Path, cost uint64) {
	if math.MaxUint64-c.total < cost {
		c.total = math.MaxUint64
	} else {
		c.total += cost
	}
	if cost >= crdCostLimit/100 {
		c.expensive = append(c.expensive, ruleCost{path, cost})
	}
}

func mul(a, b uint64) *uint64 {
	v := mulCost(a, b)
	return &v
}

// mulCost is the API server's multiplyWithOverflowGuard.
func mulCost(base, card uint64) uint64 {
	if base == 0 {
		return 0
	}
	if math.MaxUint64/base < card {
		return math.MaxUint64
	}
	return base * card
}

// costMessage is the API server's getCostErrorMessage.
func costMessage(name string, cost, limit uint64) string {
	f := float64(cost) / float64(limit)
	factor := fmt.Sprintf("%.1fx", f)
	switch {
	case f > 100:
		factor = "more than 100x"
	case f < 1.5:
		factor = fmt.Sprintf("%fx", f)
	}
	return fmt.Sprintf("%s exceeds budget by factor of %s (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)", name, factor)
}

// defaultsUnderRules reports whether a default of s is at or above a rule,
// where the API server runs the rule on it (additionalProperties have no
// defaults).
func defaultsUnderRules(s *structuralschema.Structural) bool {
	if s == nil {
		return false
	}
	if s.Default.Object != nil && hasRules(s) {
		return true
	}
	if defaultsUnderRules(s.Items) {
		return true
	}
	for _, p := range s.Properties {
		if defaultsUnderRules(&p) {
			return true
		}
	}
	return false
}
