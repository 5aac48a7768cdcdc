package apirules

import (
	"sync"

	"github.com/google/cel-go/cel"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apimachinery/pkg/util/version"
	plugincel "k8s.io/apiserver/pkg/admission/plugin/cel"
	apiservercel "k8s.io/apiserver/pkg/cel"
	"k8s.io/apiserver/pkg/cel/environment"
)

// CELCompatibility is the CEL compatibility version of the API server of
// kube: the minor version before it (EffectiveVersion.MinCompatibilityVersion),
// whose libraries a new expression may use. An API server of 1.31 refuses
// an expression calling the format library, which 1.31 introduced; the
// environment kiln's own apiserver packages default to is the newest. nil
// (no kubeVersion) is that default.
//
// The environments begin at 1.24, where oldSelf (a CRD's transition
// rules) entered them; an API server of 1.24 or older compiled its rules
// with it, before compatibility versions existed, so no compatibility
// version is older.
func CELCompatibility(kube *version.Version) *version.Version {
	if kube == nil || kube.Minor() == 0 {
		return environment.DefaultCompatibilityVersion()
	}
	if oldest := version.MajorMinor(1, 24); kube.Major() == 1 && kube.Minor() <= 25 {
		return oldest
	}
	return version.MajorMinor(kube.Major(), kube.Minor()-1)
}

// matchCompilers holds the admission plugins' CEL compiler per
// compatibility version: building one (eight environments) costs
// milliseconds, and only configurations with match conditions need one.
var matchCompilers sync.Map // "major.minor" → plugincel.Compiler

func matchConditionCompiler(compat *version.Version) plugincel.Compiler {
	key := compat.String()
	if c, ok := matchCompilers.Load(key); ok {
		return c.(plugincel.Compiler)
	}
	c, _ := matchCompilers.LoadOrStore(key, plugincel.NewCompiler(environment.MustBaseEnvSet(compat)))
	return c.(plugincel.Compiler)
}

// boolExpression is a match condition's expression as the compiler takes
// it: one that must evaluate to a bool (k8s.io/apiserver's
// matchconditions.MatchCondition, whose package kiln does not import).
type boolExpression string

func (e boolExpression) GetExpression() string    { return string(e) }
func (e boolExpression) ReturnTypes() []*cel.Type { return []*cel.Type{cel.BoolType} }

// matchConditionExpression compiles a webhook's match condition as
// validateMatchConditionsExpression in k8s.io/kubernetes
// (pkg/apis/admissionregistration/validation) does on create: in the
// admission environment of the API server's CEL compatibility version
// (object, oldObject, request, namespaceObject, authorizer; no params),
// for a new expression, to a bool.
func (c *checker) matchConditionExpression(expr string, p *field.Path) {
	res := matchConditionCompiler(c.celCompat).CompileCELExpression(boolExpression(expr), plugincel.OptionalVariableDeclarations{HasAuthorizer: true}, environment.NewExpressions)
	const hint = "a match condition is a CEL expression on object, oldObject, request, namespaceObject and authorizer that evaluates to true or false; see https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/#matching-requests-matchconditions"
	c.celProblem(res, expr, p, hint)
}

// celProblem reports a compilation error as convertCELErrorToValidationError
// does: the expression as the value of an invalid one.
func (c *checker) celProblem(res plugincel.CompilationResult, shown string, p *field.Path, hint string) {
	if res.Error == nil {
		return
	}
	switch res.Error.Type {
	case apiservercel.ErrorTypeInvalid:
		c.add(field.Invalid(p, shown, res.Error.Detail), hint)
	case apiservercel.ErrorTypeRequired:
		c.add(field.Required(p, res.Error.Detail), hint)
	}
	// An internal error (an environment that does not load) is kiln's,
	// not the manifest's: nothing is refused.
}
