package validate

import (
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/diag"
)

// The Kubernetes documentation's ValidatingAdmissionPolicy and its binding
// (https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/),
// and its MutatingAdmissionPolicy
// (https://kubernetes.io/docs/reference/access-authn-authz/mutating-admission-policy/).
const (
	demoPolicy = `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: "demo-policy.example.com"
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - apiGroups:   ["apps"]
      apiVersions: ["v1"]
      operations:  ["CREATE", "UPDATE"]
      resources:   ["deployments"]
  validations:
    - expression: "object.spec.replicas <= 5"
`
	demoBinding = `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: "demo-binding-test.example.com"
spec:
  policyName: "demo-policy.example.com"
  validationActions: [Deny]
  matchResources:
    namespaceSelector:
      matchLabels:
        environment: test
`
	sidecarPolicy = `apiVersion: admissionregistration.k8s.io/v1
kind: MutatingAdmissionPolicy
metadata:
  name: "sidecar-policy.example.com"
spec:
  paramKind:
    kind: Sidecar
    apiVersion: mutations.example.com/v1
  matchConstraints:
    resourceRules:
    - apiGroups:   [""]
      apiVersions: ["v1"]
      operations:  ["CREATE"]
      resources:   ["pods"]
  matchConditions:
    - name: does-not-already-have-sidecar
      expression: "!object.spec.initContainers.exists(ic, ic.name == \"mesh-proxy\")"
  failurePolicy: Fail
  reinvocationPolicy: IfNeeded
` + sidecarMutations
	sidecarMutations = `  mutations:
    - patchType: "ApplyConfiguration"
      applyConfiguration:
        expression: >
          Object{
            spec: Object.spec{
              initContainers: [
                Object.spec.initContainers{
                  name: "mesh-proxy",
                  image: "mesh/proxy:v1.0.0",
                  args: ["proxy", "sidecar"],
                  restartPolicy: "Always"
                }
              ]
            }
          }
`
	sidecarBinding = `apiVersion: admissionregistration.k8s.io/v1
kind: MutatingAdmissionPolicyBinding
metadata:
  name: "sidecar-binding-test.example.com"
spec:
  policyName: "sidecar-policy.example.com"
  paramRef:
    name: "meshproxy-v1.0.0"
    namespace: "default"
    parameterNotFoundAction: Deny
  matchResources:
    namespaceSelector:
      matchLabels:
        sidecar-mutation: enabled
`
)

// TestAdmissionPolicies seeds, one at a time, a mistake the API server's
// create validation of admission policies refuses into the documentation's
// policies, and expects exactly those errors, with the API server's words
// at the field's line. kiln used to pass them all: the CEL of a policy is
// compiled by the API server alone.
func TestAdmissionPolicies(t *testing.T) {
	t.Parallel()
	const vap, vapb, mapol, mapb = "policy.yaml", "binding.yaml", "mutating.yaml", "mutating-binding.yaml"
	docs := map[string]string{vap: demoPolicy, vapb: demoBinding, mapol: sidecarPolicy, mapb: sidecarBinding}
	const vapObj = "app policies: ValidatingAdmissionPolicy/demo-policy.example.com: "
	for _, tc := range []struct {
		name, file, from, to string
		want                 []string // nil: taken
	}{
		{"the documentation's policy", vap, "", "", nil},
		{"the documentation's binding", vapb, "", "", nil},
		{"the documentation's mutating policy", mapol, "", "", nil},
		{"the documentation's mutating binding", mapb, "", "", nil},

		// ValidatingAdmissionPolicy
		{"validation that does not parse", vap, "<= 5", "<= ", []string{
			`policy.yaml:14: ` + vapObj + `field "spec.validations[0].expression": Invalid value: "object.spec.replicas <= ": compilation failed: ERROR: <input>:1:25: Syntax error: mismatched input '<EOF>'`}},
		{"validation not a bool", vap, " <= 5", "", []string{
			`policy.yaml:14: ` + vapObj + `field "spec.validations[0].expression": Invalid value: "object.spec.replicas": must evaluate to bool but got dyn`}},
		{"validation of an unknown function", vap, "object.spec.replicas <= 5", "size(object.spec.containers) <= maxReplicas(5)", []string{
			`field "spec.validations[0].expression": Invalid value: "size(object.spec.containers) <= maxReplicas(5)": compilation failed: ERROR: <input>:1:44: undeclared reference to 'maxReplicas'`}},
		{"params without a paramKind", vap, "<= 5", "<= params.maxReplicas", []string{
			`field "spec.validations[0].expression": Invalid value: "object.spec.replicas <= params.maxReplicas": compilation failed: ERROR: <input>:1:25: undeclared reference to 'params'`}},
		{"params with a paramKind", vap, "  failurePolicy: Fail\n", "  failurePolicy: Fail\n  paramKind: {apiVersion: rules.example.com/v1, kind: ReplicaLimit}\n", nil},
		{"variables without variables", vap, "<= 5", "<= variables.max", []string{
			`field "spec.validations[0].expression": Invalid value: "object.spec.replicas <= variables.max": compilation failed: ERROR: <input>:1:25: undeclared reference to 'variables'`}},
		{"variables", vap, "  validations:\n    - expression: \"object.spec.replicas <= 5\"\n",
			"  variables:\n  - {name: max, expression: '5'}\n  - {name: replicas, expression: 'object.spec.replicas'}\n  validations:\n    - expression: \"variables.replicas <= variables.max\"\n      messageExpression: \"'at most ' + string(variables.max) + ' replicas'\"\n", nil},
		{"variable named with a dash", vap, "  validations:\n", "  variables:\n  - {name: max-replicas, expression: '5'}\n  validations:\n", []string{
			`policy.yaml:14: ` + vapObj + `field "spec.variables[0].name": Invalid value: "max-replicas": must be a valid CEL identifier`}},
		{"variable named by a keyword", vap, "  validations:\n", "  variables:\n  - {name: in, expression: '5'}\n  validations:\n", []string{
			`field "spec.variables[0].name": Invalid value: "in": must be a valid CEL identifier`}},
		{"variable of a later variable", vap, "  validations:\n", "  variables:\n  - {name: a, expression: 'variables.b'}\n  - {name: b, expression: '5'}\n  validations:\n", []string{
			`policy.yaml:14: ` + vapObj + `field "spec.variables[0].expression": Invalid value: "variables.b": compilation failed: ERROR: <input>:1:10: undefined field 'b'`}},
		{"message expression not a string", vap, "<= 5\"\n", "<= 5\"\n      messageExpression: \"object.spec.replicas\"\n", []string{
			`policy.yaml:15: ` + vapObj + `field "spec.validations[0].messageExpression": Invalid value: "object.spec.replicas": must evaluate to string but got dyn`}},
		{"message expression asking the authorizer", vap, "<= 5\"\n", "<= 5\"\n      messageExpression: \"authorizer.group('').resource('pods').check('get').reason()\"\n", []string{
			`field "spec.validations[0].messageExpression": Invalid value: "authorizer.group('').resource('pods').check('get').reason()": compilation failed: ERROR: <input>:1:1: undeclared reference to 'authorizer'`}},
		{"message on two lines", vap, "<= 5\"\n", "<= 5\"\n      message: \"too many\\nreplicas\"\n", []string{
			`policy.yaml:15: ` + vapObj + `field "spec.validations[0].message": Invalid value: "too many\nreplicas": must not contain line breaks`}},
		{"blank message", vap, "<= 5\"\n", "<= 5\"\n      message: \"  \"\n", []string{
			`field "spec.validations[0].message": Invalid value: "  ": must be non-empty if specified`}},
		{"reason", vap, "<= 5\"\n", "<= 5\"\n      reason: TooMany\n", []string{
			`policy.yaml:15: ` + vapObj + `field "spec.validations[0].reason": Unsupported value: "TooMany": supported values: "Forbidden", "Invalid", "RequestEntityTooLarge"`}},
		{"blank expression", vap, "\"object.spec.replicas <= 5\"", "\" \"", []string{
			`field "spec.validations[0].expression": Required value: expression is not specified`}},
		{"no validations", vap, "  validations:\n    - expression: \"object.spec.replicas <= 5\"\n", "", []string{
			`policy.yaml:5: ` + vapObj + `field "spec.auditAnnotations": Required value: validations or auditAnnotations must contain at least one item`,
			`policy.yaml:5: ` + vapObj + `field "spec.validations": Required value: validations or auditAnnotations must contain at least one item`}},
		{"audit annotation instead", vap, "  validations:\n    - expression: \"object.spec.replicas <= 5\"\n", "  auditAnnotations:\n  - {key: high-replica-count, valueExpression: \"'Deployment spec.replicas set to ' + string(object.spec.replicas)\"}\n", nil},
		{"audit annotation of a bool", vap, "  validations:\n", "  auditAnnotations:\n  - {key: high-replica-count, valueExpression: 'object.spec.replicas > 50'}\n  validations:\n", []string{
			`policy.yaml:14: ` + vapObj + `field "spec.auditAnnotations[0].valueExpression": Invalid value: "object.spec.replicas > 50": must evaluate to one of [string null_type] but got bool`}},
		{"audit annotation key", vap, "  validations:\n", "  auditAnnotations:\n  - {key: 'high replicas', valueExpression: \"'many'\"}\n  validations:\n", []string{
			`field "spec.auditAnnotations[0].key": Invalid value: "demo-policy.example.com/high replicas": name part must consist of alphanumeric characters`}},
		{"audit annotation keys twice", vap, "  validations:\n", "  auditAnnotations:\n  - {key: a, valueExpression: \"'x'\"}\n  - {key: a, valueExpression: \"'y'\"}\n  validations:\n", []string{
			`policy.yaml:15: ` + vapObj + `field "spec.auditAnnotations[1].key": Duplicate value: "a"`}},
		{"match condition not a bool", vap, "  validations:\n", "  matchConditions:\n  - {name: not-system, expression: 'request.userInfo.username'}\n  validations:\n", []string{
			`policy.yaml:14: ` + vapObj + `field "spec.matchConditions[0].expression": Invalid value: "request.userInfo.username": must evaluate to bool but got string`}},
		{"match condition of a variable", vap, "  validations:\n", "  variables:\n  - {name: sys, expression: 'true'}\n  matchConditions:\n  - {name: not-system, expression: 'variables.sys'}\n  validations:\n", []string{
			`field "spec.matchConditions[0].expression": Invalid value: "variables.sys": compilation failed: ERROR: <input>:1:1: undeclared reference to 'variables'`}},
		{"match condition names twice", vap, "  validations:\n", "  matchConditions:\n  - {name: a, expression: 'true'}\n  - {name: a, expression: 'true'}\n  validations:\n", []string{
			`field "spec.matchConditions[1].name": Duplicate value: "a"`}},
		{"no resource rules", vap, "    resourceRules:\n    - apiGroups:   [\"apps\"]\n      apiVersions: [\"v1\"]\n      operations:  [\"CREATE\", \"UPDATE\"]\n      resources:   [\"deployments\"]\n", "    namespaceSelector: {}\n", []string{
			`policy.yaml:7: ` + vapObj + `field "spec.matchConstraints.resourceRules": Required value`}},
		{"no match constraints", vap, "  matchConstraints:\n    resourceRules:\n    - apiGroups:   [\"apps\"]\n      apiVersions: [\"v1\"]\n      operations:  [\"CREATE\", \"UPDATE\"]\n      resources:   [\"deployments\"]\n", "", []string{
			`field "spec.matchConstraints": Required value`}},
		{"resource rule without resources", vap, "      resources:   [\"deployments\"]\n", "", []string{
			`field "spec.matchConstraints.resourceRules[0].resources": Required value`}},
		{"resource names twice", vap, "      resources:   [\"deployments\"]\n", "      resources:   [\"deployments\"]\n      resourceNames: [web, web]\n", []string{
			`field "spec.matchConstraints.resourceRules[0].resourceNames[1]": Duplicate value: "web"`}},
		{"paramKind without kind", vap, "  failurePolicy: Fail\n", "  failurePolicy: Fail\n  paramKind: {apiVersion: rules.example.com/v1}\n", []string{
			`field "spec.paramKind.kind": Required value`}},
		{"paramKind of no version", vap, "  failurePolicy: Fail\n", "  failurePolicy: Fail\n  paramKind: {apiVersion: rules.example.com/, kind: ReplicaLimit}\n", []string{
			`field "spec.paramKind.apiVersion": Invalid value: "rules.example.com/": version must be specified`}},
		{"failure policy left out", vap, "  failurePolicy: Fail\n", "", nil},

		// ValidatingAdmissionPolicyBinding
		{"no validation actions", vapb, "  validationActions: [Deny]\n", "", []string{
			`binding.yaml:5: app policies: ValidatingAdmissionPolicyBinding/demo-binding-test.example.com: missing required field "spec.validationActions"`}},
		// The schema requires the list, not an item in it.
		{"empty validation actions", vapb, "[Deny]", "[]", []string{
			`binding.yaml:7: app policies: ValidatingAdmissionPolicyBinding/demo-binding-test.example.com: field "spec.validationActions": Required value: at least one validation action is required`}},
		{"deny and warn", vapb, "[Deny]", "[Deny, Warn]", []string{
			`binding.yaml:7: app policies: ValidatingAdmissionPolicyBinding/demo-binding-test.example.com: field "spec.validationActions": Invalid value: ["Deny","Warn"]: must not contain both Deny and Warn`}},
		{"warn and audit", vapb, "[Deny]", "[Warn, Audit]", nil},
		{"deny twice", vapb, "[Deny]", "[Deny, Deny]", []string{
			`field "spec.validationActions[1]": Duplicate value: "Deny"`}},
		{"no policy name", vapb, "  policyName: \"demo-policy.example.com\"\n", "", []string{
			`missing required field "spec.policyName"`}},
		{"empty policy name", vapb, "\"demo-policy.example.com\"", "\"\"", []string{
			`field "spec.policyName": Required value`}},
		{"policy name", vapb, "\"demo-policy.example.com\"", "Demo_Policy", []string{
			`field "spec.policyName": Invalid value: "Demo_Policy": a lowercase RFC 1123 subdomain`}},
		{"paramRef without name or selector", vapb, "  matchResources:\n", "  paramRef: {parameterNotFoundAction: Deny}\n  matchResources:\n", []string{
			`binding.yaml:8: app policies: ValidatingAdmissionPolicyBinding/demo-binding-test.example.com: field "spec.paramRef": Required value: one of name or selector must be specified`}},
		{"paramRef with name and selector", vapb, "  matchResources:\n", "  paramRef: {name: limits, selector: {}, parameterNotFoundAction: Deny}\n  matchResources:\n", []string{
			`field "spec.paramRef.name": Forbidden: name and selector are mutually exclusive`,
			`field "spec.paramRef.selector": Forbidden: name and selector are mutually exclusive`}},
		{"paramRef without parameterNotFoundAction", vapb, "  matchResources:\n", "  paramRef: {name: limits}\n  matchResources:\n", []string{
			`field "spec.paramRef.parameterNotFoundAction": Required value`}},
		{"paramRef action", vapb, "  matchResources:\n", "  paramRef: {name: limits, parameterNotFoundAction: Ignore}\n  matchResources:\n", []string{
			`field "spec.paramRef.parameterNotFoundAction": Unsupported value: "Ignore": supported values: "Deny", "Allow"`}},
		{"match resources selector", vapb, "      matchLabels:\n        environment: test\n", "      matchExpressions: [{key: environment, operator: Equals, values: [test]}]\n", []string{
			`field "spec.matchResources.namespaceSelector.matchExpressions[0].operator": Invalid value: "Equals": not a valid selector operator`}},

		// MutatingAdmissionPolicy
		{"apply configuration that does not parse", mapol, "          Object{\n", "          Object{{\n", []string{
			`field "spec.mutations[0].applyConfiguration.expression": Invalid value: "Object{{`}},
		{"apply configuration of a bool", mapol, sidecarMutations, "  mutations:\n  - {patchType: ApplyConfiguration, applyConfiguration: {expression: '1 < 2'}}\n", []string{
			`mutating.yaml:21: app policies: MutatingAdmissionPolicy/sidecar-policy.example.com: field "spec.mutations[0].applyConfiguration.expression": Invalid value: "1 < 2": must evaluate to Object but got bool`}},
		{"JSON patch beside an apply configuration", mapol, "    - patchType: \"ApplyConfiguration\"\n", "    - patchType: \"ApplyConfiguration\"\n      jsonPatch: {expression: '[]'}\n", []string{
			`field "spec.mutations[0].jsonPatch": Invalid value: "{jsonPatch}": must not be specified when patchType is ApplyConfiguration`}},
		{"JSON patch", mapol, "    - patchType: \"ApplyConfiguration\"\n      applyConfiguration:\n", "    - patchType: JSONPatch\n      jsonPatch:\n", []string{
			`field "spec.mutations[0].jsonPatch.expression": Invalid value: "Object{`}},
		{"JSON patch of patches", mapol, sidecarMutations, "  mutations:\n  - patchType: JSONPatch\n    jsonPatch:\n      expression: \"[JSONPatch{op: 'add', path: '/metadata/labels/' + jsonpatch.escapeKey('example.com/mesh'), value: params.image}]\"\n", nil},
		{"no mutations", mapol, sidecarMutations, "", []string{
			`field "spec.mutations": Required value: mutations must contain at least one item`}},
		{"params without a paramKind", mapol, "  paramKind:\n    kind: Sidecar\n    apiVersion: mutations.example.com/v1\n", "  variables: [{name: image, expression: 'params.image'}]\n", []string{
			`mutating.yaml:6: app policies: MutatingAdmissionPolicy/sidecar-policy.example.com: field "spec.variables[0].expression": Invalid value: "params.image": compilation failed: ERROR: <input>:1:1: undeclared reference to 'params'`}},
		{"no reinvocation policy", mapol, "  reinvocationPolicy: IfNeeded\n", "", []string{
			`mutating.yaml:5: app policies: MutatingAdmissionPolicy/sidecar-policy.example.com: field "spec.reinvocationPolicy": Required value`}},
		{"JSON patch type without a JSON patch", mapol, sidecarMutations, "  mutations:\n  - patchType: JSONPatch\n", []string{
			`field "spec.mutations[0].jsonPatch": Required value: must be specified when patchType is JSONPatch`}},
		{"no patch type", mapol, sidecarMutations, "  mutations:\n  - applyConfiguration: {expression: 'Object{}'}\n", []string{
			`missing required field "spec.mutations[0].patchType"`}},
		{"variable in a mutation", mapol, sidecarMutations, "  variables: [{name: image, expression: 'params.image'}]\n  mutations:\n  - patchType: JSONPatch\n    jsonPatch: {expression: \"[JSONPatch{op: 'add', path: '/metadata/labels/image', value: variables.image}]\"}\n", nil},
		{"delete", mapol, "[\"CREATE\"]", "[\"CREATE\", \"DELETE\"]", []string{
			`field "spec.matchConstraints.resourceRules.operations": Unsupported value: "DELETE": supported values: "*", "CONNECT", "CREATE", "UPDATE"`}},

		// MutatingAdmissionPolicyBinding
		{"mutating binding without policy", mapb, "  policyName: \"sidecar-policy.example.com\"\n", "", []string{
			`field "spec.policyName": Required value`}},
		{"mutating binding of deletes", mapb, "  matchResources:\n", "  matchResources:\n    resourceRules: [{apiGroups: [''], apiVersions: [v1], operations: [DELETE], resources: [pods]}]\n", []string{
			`field "spec.matchResources.resourceRules.operations": Unsupported value: "DELETE"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc := docs[tc.file]
			if !strings.Contains(doc, tc.from) {
				t.Fatalf("%q is not in %s", tc.from, tc.file)
			}
			env, err := schemas().Env("1.37.0", nil)
			if err != nil {
				t.Fatal(err)
			}
			errs := diag.Flatten(env.Objects("policies", parse(t, tc.file, strings.Replace(doc, tc.from, tc.to, 1))))
			if len(errs) != len(tc.want) {
				t.Fatalf("got %d errors, want %d: %v", len(errs), len(tc.want), errs)
			}
			for i, want := range tc.want {
				if !strings.Contains(errs[i].Error(), want) {
					t.Errorf("error %d: got %v, want one containing %s", i, errs[i], want)
				}
			}
		})
	}
}

// TestAdmissionPoliciesByKubeVersion: the documentation's policy and
// binding pass wherever their version is served (v1 from 1.30, v1beta1
// from 1.28 to 1.33), and an expression is compiled at the CEL
// compatibility version of kubeVersion's API server: isSemver (1.33) is
// refused by an API server of 1.33, whose new expressions may use the
// libraries of 1.32, and taken by one of 1.34.
func TestAdmissionPoliciesByKubeVersion(t *testing.T) {
	t.Parallel()
	const semver = `policy.yaml:14: app policies: ValidatingAdmissionPolicy/demo-policy.example.com: field "spec.validations[0].expression": Invalid value: "isSemver(object.metadata.name)": compilation failed: ERROR: <input>:1:9: undeclared reference to 'isSemver'`
	beta := func(doc string) string {
		return strings.Replace(doc, "admissionregistration.k8s.io/v1\n", "admissionregistration.k8s.io/v1beta1\n", 1)
	}
	alpha := func(doc string) string {
		return strings.Replace(doc, "admissionregistration.k8s.io/v1\n", "admissionregistration.k8s.io/v1alpha1\n", 1)
	}
	for _, tc := range []struct {
		name, doc string
		want      map[string]string // by kubeVersion; "" when taken
	}{
		{"v1 policy", demoPolicy, map[string]string{"1.30.0": "", "1.37.0": "",
			"1.29.0": `admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy is not served by Kubernetes 1.29`}},
		{"v1 binding", demoBinding, map[string]string{"1.30.0": "", "1.37.0": ""}},
		{"v1beta1 policy", beta(demoPolicy), map[string]string{"1.28.0": "", "1.33.0": ""}},
		{"v1beta1 binding", beta(demoBinding), map[string]string{"1.28.0": "", "1.33.0": ""}},
		{"v1beta1 policy that does not compile", beta(strings.Replace(demoPolicy, "<= 5", "<=", 1)), map[string]string{
			"1.29.0": `policy.yaml:14: app policies: ValidatingAdmissionPolicy/demo-policy.example.com: field "spec.validations[0].expression": Invalid value: "object.spec.replicas <=": compilation failed`}},
		{"v1beta1 binding without actions", beta(strings.Replace(demoBinding, "[Deny]", "[]", 1)), map[string]string{
			"1.29.0": `field "spec.validationActions": Required value: at least one validation action is required`}},
		// v1alpha1 defaults parameterNotFoundAction to Deny.
		{"v1alpha1 binding with a parameter", alpha(strings.Replace(demoBinding, "  matchResources:\n", "  paramRef: {name: limits, namespace: default}\n  matchResources:\n", 1)), map[string]string{
			"1.27.0": ""}},
		{"v1beta1 binding with a parameter", beta(strings.Replace(demoBinding, "  matchResources:\n", "  paramRef: {name: limits, namespace: default}\n  matchResources:\n", 1)), map[string]string{
			"1.29.0": `field "spec.paramRef.parameterNotFoundAction": Required value`}},
		{"semver library", strings.Replace(demoPolicy, "object.spec.replicas <= 5", "isSemver(object.metadata.name)", 1), map[string]string{
			"1.33.0": semver, "1.34.0": ""}},
		{"v1beta1 mutating policy", beta(sidecarPolicy), map[string]string{"1.34.0": ""}},
		{"v1alpha1 mutating policy", alpha(sidecarPolicy), map[string]string{"1.32.0": ""}},
		{"v1alpha1 mutating policy that does not compile", alpha(strings.Replace(sidecarPolicy, "Object.spec{", "Object.spec{{", 1)), map[string]string{
			"1.32.0": `field "spec.mutations[0].applyConfiguration.expression": Invalid value: "Object{`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for kube, want := range tc.want {
				env, err := schemas().Env(kube, nil)
				if err != nil {
					t.Fatal(err)
				}
				errs := diag.Flatten(env.Objects("policies", parse(t, "policy.yaml", tc.doc)))
				switch {
				case want == "" && len(errs) > 0:
					t.Errorf("%s: refused: %v", kube, errs)
				case want != "" && (len(errs) != 1 || !strings.Contains(errs[0].Error(), want)):
					t.Errorf("%s: got %v, want one error containing %s", kube, errs, want)
				}
			}
		})
	}
}
