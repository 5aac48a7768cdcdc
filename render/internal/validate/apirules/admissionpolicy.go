package apirules

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/google/cel-go/cel"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	admissionregistrationv1alpha1 "k8s.io/api/admissionregistration/v1alpha1"
	admissionregistrationv1beta1 "k8s.io/api/admissionregistration/v1beta1"
	"k8s.io/apimachinery/pkg/api/validate/content"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apimachinery/pkg/util/version"
	plugincel "k8s.io/apiserver/pkg/admission/plugin/cel"
	apiservercel "k8s.io/apiserver/pkg/cel"
	"k8s.io/apiserver/pkg/cel/environment"
)

// The create validation of k8s.io/kubernetes v1.37
// pkg/apis/admissionregistration/validation for admission policies
// (ValidateValidatingAdmissionPolicy, ValidateValidatingAdmissionPolicyBinding,
// ValidateMutatingAdmissionPolicy, ValidateMutatingAdmissionPolicyBinding),
// read after the API server's defaults (failurePolicy Fail, matchPolicy
// Equivalent, empty selectors; v1alpha1's parameterNotFoundAction Deny).
// A policy whose CEL does not compile is refused on create, and Flux's
// apply fails with it; kiln used to pass such policies. Every expression
// is compiled with the API server's own admission compiler
// (k8s.io/apiserver's plugin/cel), in the environment the API server
// uses for it and at its CEL compatibility version (cel.go). The
// accessor types below re-state those of plugin/policy/validating and
// plugin/policy/mutating/patch: importing them would link the admission
// plugins with client-go's informers, gRPC and OpenTelemetry (some 480
// packages) or a module kiln does not have (fsnotify). The schema checks
// the enums (failurePolicy, matchPolicy, operations, scope,
// validationActions, patchType, reinvocationPolicy).

// admissionPolicy checks obj if it is an admission policy or binding of
// any version, read as v1: the versions' fields are the same, and the
// API server validates them all in its internal form with the same code.
func (c *checker) admissionPolicy(obj runtime.Object) {
	switch o := obj.(type) {
	case *admissionregistrationv1.ValidatingAdmissionPolicy:
		c.validatingPolicy(o.Name, &o.Spec)
	case *admissionregistrationv1beta1.ValidatingAdmissionPolicy:
		viaV1(o.Spec, func(s *admissionregistrationv1.ValidatingAdmissionPolicySpec) { c.validatingPolicy(o.Name, s) })
	case *admissionregistrationv1alpha1.ValidatingAdmissionPolicy:
		viaV1(o.Spec, func(s *admissionregistrationv1.ValidatingAdmissionPolicySpec) { c.validatingPolicy(o.Name, s) })
	case *admissionregistrationv1.ValidatingAdmissionPolicyBinding:
		c.validatingBinding(&o.Spec)
	case *admissionregistrationv1beta1.ValidatingAdmissionPolicyBinding:
		viaV1(o.Spec, c.validatingBinding)
	case *admissionregistrationv1alpha1.ValidatingAdmissionPolicyBinding:
		viaV1(o.Spec, func(s *admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec) {
			defaultAlphaParamRef(s.ParamRef)
			c.validatingBinding(s)
		})
	case *admissionregistrationv1.MutatingAdmissionPolicy:
		c.mutatingPolicy(&o.Spec)
	case *admissionregistrationv1beta1.MutatingAdmissionPolicy:
		viaV1(o.Spec, c.mutatingPolicy)
	case *admissionregistrationv1alpha1.MutatingAdmissionPolicy:
		viaV1(o.Spec, c.mutatingPolicy)
	case *admissionregistrationv1.MutatingAdmissionPolicyBinding:
		c.mutatingBinding(&o.Spec)
	case *admissionregistrationv1beta1.MutatingAdmissionPolicyBinding:
		viaV1(o.Spec, c.mutatingBinding)
	case *admissionregistrationv1alpha1.MutatingAdmissionPolicyBinding:
		viaV1(o.Spec, func(s *admissionregistrationv1.MutatingAdmissionPolicyBindingSpec) {
			defaultAlphaParamRef(s.ParamRef)
			c.mutatingBinding(s)
		})
	}
}

// staticSuffix is the name suffix kube-apiserver keeps for admission
// configurations it loads from manifest files at start
// (ManifestBasedAdmissionControlConfig): from 1.37 the REST API refuses
// to create a policy, binding or webhook configuration named so.
const staticSuffix = ".static.k8s.io"

// staticName refuses an admission configuration's reserved name
// (ValidateStaticSuffix, in each kind's create strategy).
func (c *checker) staticName(obj runtime.Object) {
	switch obj.(type) {
	case *admissionregistrationv1.ValidatingAdmissionPolicy, *admissionregistrationv1beta1.ValidatingAdmissionPolicy, *admissionregistrationv1alpha1.ValidatingAdmissionPolicy,
		*admissionregistrationv1.ValidatingAdmissionPolicyBinding, *admissionregistrationv1beta1.ValidatingAdmissionPolicyBinding, *admissionregistrationv1alpha1.ValidatingAdmissionPolicyBinding,
		*admissionregistrationv1.MutatingAdmissionPolicy, *admissionregistrationv1beta1.MutatingAdmissionPolicy, *admissionregistrationv1alpha1.MutatingAdmissionPolicy,
		*admissionregistrationv1.MutatingAdmissionPolicyBinding, *admissionregistrationv1beta1.MutatingAdmissionPolicyBinding, *admissionregistrationv1alpha1.MutatingAdmissionPolicyBinding,
		*admissionregistrationv1.ValidatingWebhookConfiguration, *admissionregistrationv1.MutatingWebhookConfiguration:
	default:
		return
	}
	m, ok := obj.(metav1.Object)
	if !ok || !c.on("ManifestBasedAdmissionControlConfig") || !strings.HasSuffix(m.GetName(), staticSuffix) {
		return
	}
	c.add(field.Invalid(field.NewPath("metadata", "name"), m.GetName(),
		fmt.Sprintf("names ending with %q are reserved for static manifest-based configurations and cannot be managed via the API", staticSuffix)),
		"name it otherwise: the API server loads configurations named *"+staticSuffix+" only from its own manifest files")
}

// viaV1 runs check on spec, of another version, read as v1's T through
// JSON: the fields and their names are the same in every version. A spec
// that does not read so is left to the decoding's errors.
func viaV1[T any](spec any, check func(*T)) {
	b, err := json.Marshal(spec)
	if err != nil {
		return
	}
	out := new(T)
	if json.Unmarshal(b, out) == nil {
		check(out)
	}
}

// defaultAlphaParamRef applies v1alpha1's default to a binding's paramRef
// read as v1 (a copy: the object itself is not changed), a default later
// versions dropped (there the field is required).
func defaultAlphaParamRef(p *admissionregistrationv1.ParamRef) {
	if p != nil && p.ParameterNotFoundAction == nil {
		deny := admissionregistrationv1.DenyAction
		p.ParameterNotFoundAction = &deny
	}
}

const (
	policyHint = "see https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/"
	mutateHint = "see https://kubernetes.io/docs/reference/access-authn-authz/mutating-admission-policy/"
	// compiledHint ends the hint of an expression that does not compile.
	compiledHint = "the API server compiles every expression of a policy when it is created and refuses the policy if one does not compile; "
	celExprHint  = compiledHint + policyHint
)

// Return types of the expressions, as the API server's accessors declare
// them (plugin/policy/validating, plugin/policy/mutating/patch).
var (
	boolResult        = []*cel.Type{cel.BoolType}
	stringResult      = []*cel.Type{cel.StringType}
	auditResult       = []*cel.Type{cel.StringType, cel.NullType}
	variableResult    = []*cel.Type{cel.AnyType, cel.DynType}
	jsonPatchResult   = []*cel.Type{cel.ListType(cel.ObjectType("JSONPatch"))}
	applyConfigResult = []*cel.Type{cel.ObjectType("Object")}
)

const (
	maxAuditAnnotation = 20
	// The API server keeps an audit annotation's expression under 5 KiB
	// (the value may be 10 KiB).
	maxAuditValueExpression = 5 * 1024
)

// policyExpr is an expression as the admission compiler takes it.
type policyExpr struct {
	expr    string
	returns []*cel.Type
	name    string // a variable's
}

func (e *policyExpr) GetExpression() string    { return e.expr }
func (e *policyExpr) ReturnTypes() []*cel.Type { return e.returns }
func (e *policyExpr) GetName() string          { return e.name }

// policyCompiler compiles a policy's expressions as
// validateValidatingAdmissionPolicySpec's compiler does: a policy with
// variables gets a compiler of its own that declares them as it goes
// (variables.<name>, typed by each variable's expression, in order), one
// without shares the stateless compiler of match conditions.
type policyCompiler struct {
	composited *plugincel.CompositedCompiler
	plain      plugincel.Compiler
}

func (c *checker) newPolicyCompiler(variables bool) *policyCompiler {
	pc := &policyCompiler{plain: matchConditionCompiler(c.celCompat)}
	if variables {
		comp, err := newCompositedCompiler(c.celCompat)
		if err == nil {
			pc.composited = comp
			pc.plain = comp
		}
		// The API server falls back to the stateless compiler too, and
		// then refuses every variable as "variable composition is not
		// allowed"; an environment that does not build is kiln's
		// problem, not the manifest's, so variables are then skipped.
	}
	return pc
}

func newCompositedCompiler(compat *version.Version) (comp *plugincel.CompositedCompiler, err error) {
	defer func() {
		if r := recover(); r != nil {
			comp, err = nil, fmt.Errorf("%v", r)
		}
	}()
	return plugincel.NewCompositedCompiler(environment.MustBaseEnvSet(compat))
}

// compile compiles e, a new expression, recovering from a panic of the
// compiler (which the API server's handler turns into a refusal).
func (pc *policyCompiler) compile(e *policyExpr, decls plugincel.OptionalVariableDeclarations, store bool) (res plugincel.CompilationResult) {
	defer func() {
		if r := recover(); r != nil {
			res = plugincel.CompilationResult{Error: &apiservercel.Error{Type: apiservercel.ErrorTypeInvalid, Detail: "compilation failed: the CEL compiler failed on this expression"}}
		}
	}()
	if store {
		return pc.composited.CompileAndStoreVariable(e, decls, environment.NewExpressions)
	}
	return pc.plain.CompileCELExpression(e, decls, environment.NewExpressions)
}

// validatingPolicy is validateValidatingAdmissionPolicySpec.
func (c *checker) validatingPolicy(name string, s *admissionregistrationv1.ValidatingAdmissionPolicySpec) {
	spec := field.NewPath("spec")
	hasParams := s.ParamKind != nil
	if hasParams {
		c.paramKind(s.ParamKind, spec.Child("paramKind"))
	}
	c.policyMatch(s.MatchConstraints, spec.Child("matchConstraints"), false, policyHint)
	c.policyMatchConditions(s.MatchConditions, hasParams, spec.Child("matchConditions"), policyHint)
	pc := c.newPolicyCompiler(len(s.Variables) > 0)
	c.policyVariables(pc, s.Variables, hasParams, spec.Child("variables"), policyHint)
	if len(s.Validations) == 0 && len(s.AuditAnnotations) == 0 {
		const msg = "validations or auditAnnotations must contain at least one item"
		const hint = "a policy checks something: give it a validation (expression: a CEL expression that is true for a valid object) or an audit annotation; " + policyHint
		c.add(field.Required(spec.Child("validations"), msg), hint)
		c.add(field.Required(spec.Child("auditAnnotations"), msg), hint)
		return
	}
	for i := range s.Validations {
		c.policyValidation(pc, &s.Validations[i], hasParams, spec.Child("validations").Index(i))
	}
	ap := spec.Child("auditAnnotations")
	if len(s.AuditAnnotations) > maxAuditAnnotation {
		c.add(field.Invalid(ap, len(s.AuditAnnotations), fmt.Sprintf("must not have more than %d auditAnnotations", maxAuditAnnotation)), "a policy has at most 20 audit annotations")
	}
	keys := map[string]bool{}
	for i := range s.AuditAnnotations {
		a := &s.AuditAnnotations[i]
		c.auditAnnotation(pc, name, a, hasParams, ap.Index(i))
		if keys[a.Key] {
			c.add(field.Duplicate(ap.Index(i).Child("key"), a.Key), "give each audit annotation its own key")
		}
		keys[a.Key] = true
	}
}

// paramKind is validateParamKind: an apiVersion of the form
// [group/]version and a kind.
func (c *checker) paramKind(pk *admissionregistrationv1.ParamKind, p *field.Path) {
	const hint = "paramKind names the kind of the policy's parameters, such as apiVersion: v1, kind: ConfigMap"
	vp := p.Child("apiVersion")
	switch {
	case pk.APIVersion == "":
		c.add(field.Required(vp, ""), hint)
	case strings.Count(pk.APIVersion, "/") > 1:
		c.add(field.Invalid(vp, pk.APIVersion, "unexpected GroupVersion string: "+pk.APIVersion), hint)
	default:
		group, ver, ok := strings.Cut(pk.APIVersion, "/")
		if !ok {
			group, ver = "", pk.APIVersion
		}
		if group != "" {
			if errs := validation.IsDNS1123Subdomain(group); len(errs) > 0 {
				c.add(field.Invalid(vp, group, strings.Join(errs, ",")), hint)
			}
		}
		if ver == "" {
			c.add(field.Invalid(vp, pk.APIVersion, "version must be specified"), hint)
		} else if errs := validation.IsDNS1035Label(ver); len(errs) > 0 {
			c.add(field.Invalid(vp, ver, strings.Join(errs, ",")), hint)
		}
	}
	if pk.Kind == "" {
		c.add(field.Required(p.Child("kind"), ""), hint)
	} else if errs := validation.IsDNS1035Label(strings.ToLower(pk.Kind)); len(errs) > 0 {
		c.add(field.Invalid(p.Child("kind"), pk.Kind, "may have mixed case, but should otherwise match: "+strings.Join(errs, ",")), hint)
	}
}

// policyMatch is validateMatchResources, after defaults (match policy,
// selectors), for a policy's matchConstraints (required, with at least
// one resource rule, which gives the expressions their types) or, with
// binding, a binding's optional matchResources.
func (c *checker) policyMatch(m *admissionregistrationv1.MatchResources, p *field.Path, binding bool, hint string) {
	if m == nil {
		if !binding {
			c.add(field.Required(p, ""), "say which requests the policy applies to: matchConstraints.resourceRules; "+hint)
		}
		return
	}
	if m.NamespaceSelector != nil {
		c.selector(m.NamespaceSelector, p.Child("namespaceSelector"))
	}
	if m.ObjectSelector != nil {
		c.selector(m.ObjectSelector, p.Child("objectSelector"))
	}
	for i := range m.ResourceRules {
		c.namedRule(&m.ResourceRules[i], p.Child("resourceRules").Index(i))
	}
	for i := range m.ExcludeResourceRules {
		c.namedRule(&m.ExcludeResourceRules[i], p.Child("excludeResourceRules").Index(i))
	}
	if !binding && len(m.ResourceRules) == 0 {
		c.add(field.Required(p.Child("resourceRules"), ""), "list the resources the policy applies to (apiGroups, apiVersions, operations, resources): the API server types the policy's expressions by them; "+hint)
	}
}

// namedRule is validateNamedRuleWithOperations: resource names that are
// path segments, each once, and the rule as a webhook's.
func (c *checker) namedRule(r *admissionregistrationv1.NamedRuleWithOperations, p *field.Path) {
	seen := map[string]bool{}
	for i, n := range r.ResourceNames {
		np := p.Child("resourceNames").Index(i)
		for _, msg := range content.IsPathSegmentName(n) {
			c.add(field.Invalid(np, n, msg), "a resource name may not be '.' or '..' nor hold '/' or '%'")
		}
		if seen[n] {
			c.add(field.Duplicate(np, n), "list each resource name once")
		}
		seen[n] = true
	}
	c.webhookRule(&r.RuleWithOperations, p)
}

// policyMatchConditions is validateMatchConditions for a policy: at most
// 64, named once, each expression compiled by the stateless compiler
// (variables are not declared there), with params when the policy has a
// paramKind.
func (c *checker) policyMatchConditions(conds []admissionregistrationv1.MatchCondition, hasParams bool, mp *field.Path, doc string) {
	hint := "a match condition is a CEL expression on object, oldObject, request, namespaceObject, authorizer (and params with a paramKind) that evaluates to true or false; " + doc
	pc := &policyCompiler{plain: matchConditionCompiler(c.celCompat)}
	c.matchConditions(conds, mp, "a policy", func(expr string, p *field.Path) {
		res := pc.compile(&policyExpr{expr: expr, returns: boolResult}, plugincel.OptionalVariableDeclarations{HasParams: hasParams, HasAuthorizer: true}, false)
		c.celProblem(res, expr, p, hint)
	})
}

// celIdentifier is CEL's IDENT: a name a variable can have.
var celIdentifier = regexp.MustCompile(`^[_a-zA-Z][_a-zA-Z0-9]*$`)

var celReserved = map[string]bool{"true": true, "false": true, "null": true, "in": true,
	"as": true, "break": true, "const": true, "continue": true, "else": true,
	"for": true, "function": true, "if": true, "import": true, "let": true,
	"loop": true, "package": true, "namespace": true, "return": true,
	"var": true, "void": true, "while": true}

// policyVariables is validateVariable for each variable, in order: each
// compiled and declared for those after it and for the policy's other
// expressions.
func (c *checker) policyVariables(pc *policyCompiler, vars []admissionregistrationv1.Variable, hasParams bool, vp *field.Path, doc string) {
	for i, v := range vars {
		p := vp.Index(i)
		if strings.TrimSpace(v.Name) == "" {
			c.add(field.Required(p.Child("name"), "name is not specified"), "name the variable: its expression's value is variables.<name>")
		} else if !celIdentifier.MatchString(v.Name) || celReserved[v.Name] {
			c.add(field.Invalid(p.Child("name"), v.Name, "must be a valid CEL identifier"), "a variable's name is letters, digits and '_', not starting with a digit, and not a CEL keyword")
		}
		if strings.TrimSpace(v.Expression) == "" {
			c.add(field.Required(p.Child("expression"), "expression is not specified"), "give the variable a CEL expression")
			continue
		}
		if pc.composited == nil {
			continue
		}
		res := pc.compile(&policyExpr{expr: v.Expression, returns: variableResult, name: v.Name}, plugincel.OptionalVariableDeclarations{HasParams: hasParams, HasAuthorizer: true}, true)
		c.celProblem(res, v.Expression, p.Child("expression"), "a variable may use object, oldObject, request, namespaceObject, authorizer, params with a paramKind, and the variables before it; "+compiledHint+doc)
	}
}

// newlines are the line breaks of CEL's grammar.
var newlines = regexp.MustCompile(`[\n\r]+`)

// policyValidation is validateValidation.
func (c *checker) policyValidation(pc *policyCompiler, v *admissionregistrationv1.Validation, hasParams bool, p *field.Path) {
	if strings.TrimSpace(v.Expression) == "" {
		c.add(field.Required(p.Child("expression"), "expression is not specified"), "give the validation a CEL expression that is true for a valid object, such as object.spec.replicas <= 5")
	} else {
		res := pc.compile(&policyExpr{expr: v.Expression, returns: boolResult}, plugincel.OptionalVariableDeclarations{HasParams: hasParams, HasAuthorizer: true}, false)
		c.celProblem(res, v.Expression, p.Child("expression"), "a validation is a CEL expression that evaluates to true or false; "+celExprHint)
	}
	if me := v.MessageExpression; me != "" && strings.TrimSpace(me) == "" {
		c.add(field.Invalid(p.Child("messageExpression"), me, "must be non-empty if specified"), "remove messageExpression, or give it a CEL expression")
	} else if me != "" {
		// No authorizer here: a message is built after the decision.
		res := pc.compile(&policyExpr{expr: me, returns: stringResult}, plugincel.OptionalVariableDeclarations{HasParams: hasParams}, false)
		c.celProblem(res, me, p.Child("messageExpression"), "a messageExpression is a CEL expression that evaluates to a string; "+celExprHint)
	}
	msg := strings.TrimSpace(v.Message)
	if v.Message != "" && msg == "" {
		c.add(field.Invalid(p.Child("message"), v.Message, "must be non-empty if specified"), "remove message, or write one")
	} else if newlines.MatchString(msg) {
		c.add(field.Invalid(p.Child("message"), v.Message, "must not contain line breaks"), "write the message on one line (a YAML block scalar keeps its line breaks: use >- or a quoted string)")
	}
	if v.Reason != nil {
		switch *v.Reason {
		case "Forbidden", "Invalid", "RequestEntityTooLarge":
		default:
			c.add(field.NotSupported(p.Child("reason"), *v.Reason, []string{"Forbidden", "Invalid", "RequestEntityTooLarge"}), "use reason Forbidden, Invalid or RequestEntityTooLarge, or leave it out for Invalid")
		}
	}
}

// auditAnnotation is validateAuditAnnotation: a key that, after the
// policy's name and '/', is a qualified name, and an expression of a
// string or null.
func (c *checker) auditAnnotation(pc *policyCompiler, policy string, a *admissionregistrationv1.AuditAnnotation, hasParams bool, p *field.Path) {
	kp := p.Child("key")
	if policy == "" {
		c.add(field.Invalid(kp, a.Key, "requires metadata.name be non-empty"), "name the policy")
	} else {
		for _, msg := range validation.IsQualifiedName(policy + "/" + a.Key) {
			c.add(field.Invalid(kp, policy+"/"+a.Key, msg), "the audit annotation is named <policy name>/<key>, which must have the form of a label key: the key is at most 63 letters, digits, '-', '_' and '.'")
		}
	}
	vp := p.Child("valueExpression")
	switch expr := strings.TrimSpace(a.ValueExpression); {
	case expr == "":
		c.add(field.Required(vp, "valueExpression is not specified"), "give the annotation a CEL expression that evaluates to a string, or null to leave it out")
	case len(expr) > maxAuditValueExpression:
		c.add(field.Required(vp, fmt.Sprintf("must not exceed %d bytes in length", maxAuditValueExpression)), "shorten the expression")
	default:
		res := pc.compile(&policyExpr{expr: expr, returns: auditResult}, plugincel.OptionalVariableDeclarations{HasParams: hasParams, HasAuthorizer: true}, false)
		c.celProblem(res, a.ValueExpression, vp, "an audit annotation's valueExpression evaluates to a string or null; "+celExprHint)
	}
}

// validatingBinding is validateValidatingAdmissionPolicyBindingSpec.
func (c *checker) validatingBinding(s *admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec) {
	spec := field.NewPath("spec")
	c.policyName(s.PolicyName, spec.Child("policyName"), policyHint)
	c.paramRef(s.ParamRef, spec.Child("paramRef"), policyHint)
	c.policyMatch(s.MatchResources, spec.Child("matchResources"), true, policyHint)
	c.validationActions(s.ValidationActions, spec.Child("validationActions"))
}

func (c *checker) policyName(name string, p *field.Path, hint string) {
	if name == "" {
		c.add(field.Required(p, ""), "name the policy the binding applies; "+hint)
		return
	}
	for _, msg := range apimachineryvalidation.NameIsDNSSubdomain(name, false) {
		c.add(field.Invalid(p, name, msg), "a policy's name is a DNS subdomain; "+hint)
	}
}

// paramRef is validateParamRef: exactly one of a name and a selector,
// and what to do when no parameter is found.
func (c *checker) paramRef(pr *admissionregistrationv1.ParamRef, p *field.Path, hint string) {
	if pr == nil {
		return
	}
	const exclusive = "name and selector are mutually exclusive"
	if pr.Name != "" {
		for _, msg := range content.IsPathSegmentName(pr.Name) {
			c.add(field.Invalid(p.Child("name"), pr.Name, msg), "a parameter's name may not be '.' or '..' nor hold '/' or '%'")
		}
		if pr.Selector != nil {
			c.add(field.Forbidden(p.Child("name"), exclusive), "name one parameter object, or select them by label, not both")
		}
	}
	if pr.Selector != nil {
		c.selector(pr.Selector, p.Child("selector"))
		if pr.Name != "" {
			c.add(field.Forbidden(p.Child("selector"), exclusive), "name one parameter object, or select them by label, not both")
		}
	}
	if pr.Name == "" && pr.Selector == nil {
		c.add(field.Required(p, "one of name or selector must be specified"), "name the parameter object, or select parameter objects by label; "+hint)
	}
	switch a := pr.ParameterNotFoundAction; {
	case a == nil || *a == "":
		c.add(field.Required(p.Child("parameterNotFoundAction"), ""), "say what to do when no parameter is found: Deny or Allow")
	case *a != admissionregistrationv1.DenyAction && *a != admissionregistrationv1.AllowAction:
		c.add(field.NotSupported(p.Child("parameterNotFoundAction"), *a, []string{"Deny", "Allow"}), "use Deny or Allow")
	}
}

// validationActions is validateValidationActions (the schema checks each
// value): at least one, each once, not both Deny and Warn.
func (c *checker) validationActions(va []admissionregistrationv1.ValidationAction, p *field.Path) {
	seen := map[admissionregistrationv1.ValidationAction]bool{}
	for i, a := range va {
		if seen[a] {
			c.add(field.Duplicate(p.Index(i), a), "list each action once")
		}
		seen[a] = true
	}
	if seen[admissionregistrationv1.Deny] && seen[admissionregistrationv1.Warn] {
		c.add(field.Invalid(p, va, "must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)"),
			"keep Deny (refuse, with the failure in the response), or Warn (accept, with a warning)")
	}
	if len(seen) == 0 {
		c.add(field.Required(p, "at least one validation action is required"), "list what a failed validation does: [Deny], [Warn], [Audit] or [Warn, Audit]; "+policyHint)
	}
}

// mutatingPolicy is validateMutatingAdmissionPolicySpec, whose
// expressions always have a compiler of their own.
func (c *checker) mutatingPolicy(s *admissionregistrationv1.MutatingAdmissionPolicySpec) {
	spec := field.NewPath("spec")
	hasParams := s.ParamKind != nil
	if hasParams {
		c.paramKind(s.ParamKind, spec.Child("paramKind"))
	}
	mp := spec.Child("matchConstraints")
	c.policyMatch(s.MatchConstraints, mp, false, mutateHint)
	if s.MatchConstraints != nil {
		c.mutatingOperations(s.MatchConstraints.ResourceRules, mp)
	}
	c.policyMatchConditions(s.MatchConditions, hasParams, spec.Child("matchConditions"), mutateHint)
	pc := c.newPolicyCompiler(true)
	c.policyVariables(pc, s.Variables, hasParams, spec.Child("variables"), mutateHint)
	if len(s.Mutations) == 0 {
		c.add(field.Required(spec.Child("mutations"), "mutations must contain at least one item"), "give the policy a mutation; "+mutateHint)
	}
	for i := range s.Mutations {
		c.mutation(pc, &s.Mutations[i], hasParams, spec.Child("mutations").Index(i))
	}
	if s.ReinvocationPolicy == "" {
		c.add(field.Required(spec.Child("reinvocationPolicy"), ""), "set reinvocationPolicy: Never or IfNeeded")
	}
}

// mutatingOperations refuses DELETE: only what is created or updated
// can be mutated. The API server names the list, not the entry.
func (c *checker) mutatingOperations(rules []admissionregistrationv1.NamedRuleWithOperations, mp *field.Path) {
	for _, r := range rules {
		for _, op := range r.Operations {
			switch op {
			case "*", "CREATE", "UPDATE", "CONNECT":
			default:
				c.add(field.NotSupported(mp.Child("resourceRules", "operations"), op, []string{"*", "CONNECT", "CREATE", "UPDATE"}), "a mutating policy applies to CREATE, UPDATE or CONNECT: a deleted object cannot be mutated")
			}
		}
	}
}

// mutation is validateMutation: the patch its patchType names, and not
// the other.
func (c *checker) mutation(pc *policyCompiler, m *admissionregistrationv1.Mutation, hasParams bool, p *field.Path) {
	decls := plugincel.OptionalVariableDeclarations{HasParams: hasParams, HasAuthorizer: true, HasPatchTypes: true}
	compile := func(expr string, returns []*cel.Type, ep *field.Path, hint string) {
		expr = strings.TrimSpace(expr)
		if expr == "" {
			c.add(field.Required(ep, ""), "give the mutation a CEL expression")
			return
		}
		c.celProblem(pc.compile(&policyExpr{expr: expr, returns: returns}, decls, false), expr, ep, hint+"; "+compiledHint+mutateHint)
	}
	switch m.PatchType {
	case admissionregistrationv1.PatchTypeJSONPatch:
		if m.JSONPatch == nil {
			c.add(field.Required(p.Child("jsonPatch"), "must be specified when patchType is JSONPatch"), "add jsonPatch.expression, or use patchType ApplyConfiguration")
		} else {
			compile(m.JSONPatch.Expression, jsonPatchResult, p.Child("jsonPatch", "expression"), "a jsonPatch expression evaluates to a list of JSONPatch{op: ..., path: ..., value: ...}")
		}
		if m.ApplyConfiguration != nil {
			c.add(field.Invalid(p.Child("applyConfiguration"), "{applyConfiguration}", "must not be specified when patchType is JSONPatch"), "remove applyConfiguration, or use patchType ApplyConfiguration")
		}
	case admissionregistrationv1.PatchTypeApplyConfiguration:
		if m.ApplyConfiguration == nil {
			c.add(field.Required(p.Child("applyConfiguration"), "must be specified when patchType is ApplyConfiguration"), "add applyConfiguration.expression, or use patchType JSONPatch")
		} else {
			compile(m.ApplyConfiguration.Expression, applyConfigResult, p.Child("applyConfiguration", "expression"), "an applyConfiguration expression evaluates to Object{...}, the fields to set")
		}
		if m.JSONPatch != nil {
			c.add(field.Invalid(p.Child("jsonPatch"), "{jsonPatch}", "must not be specified when patchType is ApplyConfiguration"), "remove jsonPatch, or use patchType JSONPatch")
		}
	case "":
		c.add(field.Required(p.Child("patchType"), ""), "set patchType: ApplyConfiguration or JSONPatch")
	}
	// Another patchType is the schema's enum's to refuse.
}

// mutatingBinding is validateMutatingAdmissionPolicyBindingSpec.
func (c *checker) mutatingBinding(s *admissionregistrationv1.MutatingAdmissionPolicyBindingSpec) {
	spec := field.NewPath("spec")
	c.policyName(s.PolicyName, spec.Child("policyName"), mutateHint)
	c.paramRef(s.ParamRef, spec.Child("paramRef"), mutateHint)
	mp := spec.Child("matchResources")
	c.policyMatch(s.MatchResources, mp, true, mutateHint)
	if s.MatchResources != nil {
		c.mutatingOperations(s.MatchResources.ResourceRules, mp)
	}
}
