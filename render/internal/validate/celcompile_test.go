package validate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
)

// TestCRDRulesCompiled: a CRD the env renders is refused, as the API
// server refuses it on create, when one of its CEL rules does not compile
// (even a rule no object of the env reaches), when a rule's own fields
// are wrong, or when a rule's estimated cost is over the API server's
// budget; real CRDs full of rules (Gateway API, Flux's own) pass.
func TestCRDRulesCompiled(t *testing.T) {
	t.Parallel()
	gwc, err := os.ReadFile(filepath.Join(realDir, "gateway-api", "gatewayclasses-crd.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	const immutable = "- message: field is immutable\n                  rule: self == oldSelf\n"
	widget, err := os.ReadFile("testdata/widget-crd.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// A list of strings with a rule comparing every pair: without bounds
	// its cost is far over the budget; with maxItems and maxLength the
	// same rule is cheap.
	const ports = "                ports:\n                  type: array\n"
	const pairs = ports + "                  x-kubernetes-validations:\n                    - rule: \"self.all(x, self.all(y, x.name.startsWith(y.name)))\"\n"
	for _, tc := range []struct {
		name     string
		doc      []byte
		from, to string
		want     string // "" when the CRD is valid
	}{
		{"real: as written", gwc, "", "", ""},
		{"rule does not compile", gwc, "rule: self == oldSelf", "rule: self.size() == oldSelf.nosuch",
			`spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[controllerName].x-kubernetes-validations[0].rule: Invalid value: "self.size() == oldSelf.nosuch": compilation failed: ERROR: <input>:1:23: type 'string' does not support field selection`},
		{"rule's result not bool", gwc, "rule: self == oldSelf", "rule: self", "x-kubernetes-validations[0].rule: Invalid value: \"self\": cel expression must evaluate to a bool"},
		{"messageExpression does not compile", gwc, immutable, "- messageExpression: \"'was ' + oldSelf.nosuch\"\n                  rule: self == oldSelf\n",
			"x-kubernetes-validations[0].messageExpression: Invalid value"},
		{"line break without message", gwc, immutable, "- rule: \"self ==\\n oldSelf\"\n",
			"x-kubernetes-validations[0].message: Required value: message must be specified if rule contains line breaks"},
		{"empty rule", gwc, "rule: self == oldSelf", "rule: ' '", "x-kubernetes-validations[0].rule: Required value: rule is not specified"},
		{"fieldPath not in the schema", gwc, immutable, immutable + "                  fieldPath: .nosuch\n",
			`x-kubernetes-validations[0].fieldPath: Invalid value: ".nosuch": must be a valid path`},
		{"the same rule twice", gwc, immutable, immutable + "                - message: again\n                  rule: self == oldSelf\n",
			`properties[controllerName].x-kubernetes-validations[1].rule: Invalid value: "self == oldSelf": the same rule as an earlier entry: Flux's server-side apply refuses a rule twice in one list`},
		{"two rules differing in spaces", gwc, immutable, immutable + "                - message: again\n                  rule: self ==  oldSelf\n", ""},
		// Below an items or additionalProperties server-side apply keys
		// no list (the CRD type's OpenAPI leaves them untyped): a real
		// kube-apiserver 1.37 takes the same rule twice there.
		{"the same rule twice under a list's items", widget, "                      port: {type: integer}\n",
			"                      port: {type: integer}\n                    x-kubernetes-validations: [{rule: \"self.name != ''\"}, {rule: \"self.name != ''\"}]\n", ""},
		{"the same rule twice under additionalProperties", widget, "                email: {type: string, format: email}\n",
			"                email: {type: string, format: email}\n                labels: {type: object, additionalProperties: {type: string, x-kubernetes-validations: [{rule: \"self != ''\"}, {rule: \"self != ''\"}]}}\n", ""},
		{"the same rule twice below a property of a list's items", widget, "                      port: {type: integer}\n",
			"                      port: {type: integer, x-kubernetes-validations: [{rule: self > 0}, {rule: self > 0}]}\n", ""},
		{"widget: as written", widget, "", "", ""},
		{"rule over an unbounded list", widget, ports, pairs,
			"properties[ports].x-kubernetes-validations[0].rule: Forbidden: estimated rule cost exceeds budget by factor of more than 100x"},
		{"the same rule over a bounded list", widget, ports, pairs + "                  maxItems: 4\n" +
			"                  items:\n                    type: object\n                    required: [name]\n                    properties:\n                      name: {type: string, maxLength: 8}\n                      port: {type: integer}\n" +
			"                ignored:\n                  type: array\n", ""},
		// What the API server finds only with the rules compiled or run,
		// hidden from apiextensions' validation (crdCreateErrors).
		{"oldSelf under a list's items", widget, "                mode: {type: string, default: fast}\n",
			"                mode: {type: string, default: fast}\n                tags: {type: array, maxItems: 4, items: {type: string, maxLength: 8, x-kubernetes-validations: [{rule: self == oldSelf}]}}\n",
			`spec.versions[1].schema.openAPIV3Schema.properties[spec].properties[tags].items.x-kubernetes-validations[0].rule: Invalid value: "self == oldSelf": oldSelf cannot be used on the uncorrelatable portion of the schema within spec.versions[1].schema.openAPIV3Schema.properties[spec].properties[tags]`},
		{"oldSelf under a map list's items", gwc, "                  required:\n                  - lastTransitionTime\n",
			"                  x-kubernetes-validations: [{rule: self.type == oldSelf.type}]\n                  required:\n                  - lastTransitionTime\n", ""},
		{"a default a rule refuses", widget, "mode: {type: string, default: fast}", "mode: {type: string, default: fast, x-kubernetes-validations: [{rule: \"self != 'fast'\", message: not fast}]}",
			`spec.versions[1].schema.openAPIV3Schema.properties[spec].properties[mode].default: Invalid value: "fast": not fast`},
		{"a default a rule takes", widget, "mode: {type: string, default: fast}", "mode: {type: string, default: fast, x-kubernetes-validations: [{rule: \"self != 'slow'\", message: not slow}]}", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := mutatedCRD(t, "1.33.0", tc.doc, tc.from, tc.to, tc.want)
			if tc.want != "" && !strings.Contains(err.Error(), "fix the CRD's x-kubernetes-validations rules") {
				t.Errorf("no hint about the rules: %v", err)
			}
		})
	}
	// An API server of 1.24 compiled transition rules (oldSelf) before
	// compatibility versions existed.
	t.Run("transition rules at 1.24", func(t *testing.T) {
		t.Parallel()
		for _, kube := range []string{"1.24.0", "1.23.0", "1.25.0"} {
			if _, err := NewSchemas().Env(kube, parse(t, "gwc.yaml", string(gwc))); err != nil {
				t.Errorf("%s: GatewayClass CRD refused: %v", kube, err)
			}
		}
	})
	t.Run("flux CRDs rendered", func(t *testing.T) {
		t.Parallel()
		files, err := filepath.Glob("fluxcrds/*.yaml")
		if err != nil || len(files) == 0 {
			t.Fatalf("no Flux CRDs: %v", err)
		}
		var rules int
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			rules += strings.Count(string(data), "x-kubernetes-validations:")
			if _, err := NewSchemas().Env("1.33.0", parse(t, f, string(data))); err != nil {
				t.Errorf("%s refused: %v", f, err)
			}
		}
		if rules == 0 {
			t.Error("the Flux CRDs have no rules to compile")
		}
	})
}

// TestCRDRulesPerKubeVersion: the API server of a Kubernetes minor
// version compiles a new CRD's rules with the CEL libraries of the minor
// version before it. A rule calling isSemver (the semver library, 1.33) is
// refused by 1.33's API server and taken by 1.34's; format (1.31) by
// 1.31's and 1.32's. kiln used its own, newest environment for every
// kubeVersion. One Schemas and one run's knowledge (Clean, Seed) serve
// envs of several versions: a verdict of one is not another's.
func TestCRDRulesPerKubeVersion(t *testing.T) {
	t.Parallel()
	gwc, err := os.ReadFile(filepath.Join(realDir, "gateway-api", "gatewayclasses-crd.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	const rule = "rule: self == oldSelf"
	semver := strings.Replace(string(gwc), rule, "rule: isSemver(self) || self == oldSelf", 1)
	format := strings.Replace(string(gwc), rule, "rule: \"!format.dns1123Subdomain().validate(self).hasValue() || self == oldSelf\"", 1)
	if semver == string(gwc) || format == string(gwc) {
		t.Fatal("mutation not applied")
	}
	for _, tc := range []struct {
		doc, kube string
		refused   bool
	}{
		{semver, "1.33.0", true},
		{semver, "1.34.2", false},
		{format, "1.31.0", true},
		{format, "1.32.0", false},
		{format, "", false}, // no kubeVersion: kiln's newest
	} {
		_, err := NewSchemas().Env(tc.kube, parse(t, "crd.yaml", tc.doc))
		if refused := err != nil; refused != tc.refused {
			t.Errorf("kubeVersion %q: error %v, want refused %v", tc.kube, err, tc.refused)
		} else if refused && !strings.Contains(err.Error(), "undeclared reference") {
			t.Errorf("kubeVersion %q: error %v, want the undeclared function named", tc.kube, err)
		}
	}

	s := NewSchemas()
	newer, err := s.Env("1.34.0", parse(t, "crd.yaml", semver))
	if err != nil {
		t.Fatalf("1.34: %v", err)
	}
	if _, err := s.Env("1.33.0", parse(t, "crd.yaml", semver)); err == nil {
		t.Error("1.33 after 1.34 in one run: the CRD was taken")
	}
	// The next run knows the CRD compiled for 1.34; 1.33 must still refuse it.
	next := NewSchemas()
	next.Seed(newer.Clean())
	if _, err := next.Env("1.33.0", parse(t, "crd.yaml", semver)); err == nil {
		t.Error("1.33 in a run seeded by 1.34's: the CRD was taken")
	}
	if _, err := next.Env("1.34.0", parse(t, "crd.yaml", semver)); err != nil {
		t.Errorf("1.34 seeded: %v", err)
	}
}

// TestValidationPanicIsAnError: should the API server's code that kiln
// validates with panic on an object (it expects what its own decoder and
// defaulting made), the object is refused with an error at its line and
// the run goes on; the same for a CRD whose compiling panics.
func TestValidationPanicIsAnError(t *testing.T) {
	t.Parallel()
	e := testEnv(t)
	st := &structuralschema.Structural{Generic: structuralschema.Generic{Type: "object"}, Extensions: structuralschema.Extensions{XPreserveUnknownFields: true}}
	boom := &crd{group: "example.com", kind: "Boom", served: []string{"v1"}, versions: map[string]*crdVersion{
		"v1": {served: true, structural: st, checkers: func() checkers { panic("runtime error: invalid memory address") }},
	}}
	e.crds[groupKind{"example.com", "Boom"}] = &crdRef{get: func() *crd { return boom }}
	err := e.Objects("app", parse(t, "boom.yaml", "# a Boom\napiVersion: example.com/v1\nkind: Boom\nmetadata: {name: b}\n"))
	if err == nil || !strings.Contains(err.Error(), "boom.yaml:2: app app: Boom/b: kiln's validation failed unexpectedly on this object: runtime error: invalid memory address") {
		t.Errorf("got %v, want the object refused", err)
	}

	// A CRD whose compiling panics, first in the head start that
	// compiles the schemas the objects need, then for the object.
	e.crds[groupKind{"example.com", "Bang"}] = &crdRef{get: func() *crd { panic("runtime error: index out of range") }}
	err = e.Objects("app", parse(t, "bang.yaml", "apiVersion: example.com/v1\nkind: Bang\nmetadata: {name: b}\n"))
	if err == nil || !strings.Contains(err.Error(), "bang.yaml:1: app app: Bang/b: kiln's validation failed unexpectedly on this object: runtime error: index out of range") {
		t.Errorf("got %v, want the object refused", err)
	}
}

// TestCRDRuleTwiceUnderItems: Gateway API's experimental HTTPRoute CRD
// (v1.2.1 and v1.3.0, which charts such as bitnami's envoy-gateway and
// contour ship, and kserve's LLMInferenceService embeds) writes one rule
// twice on a list below spec.rules[].backendRefs[]. A real kube-apiserver
// 1.37 takes it on create and on every server-side apply after: below an
// items the apply keys no list. kiln refused the CRD, and with it every
// HTTPRoute of the env. The same two rules on a property of the root
// chain are still refused, as the API server refuses them.
func TestCRDRuleTwiceUnderItems(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("testdata", "gateway-api-experimental", "httproutes-filters-crd.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), "May specify either httpRouteFilterRequestRedirect"); n != 2 {
		t.Fatalf("the excerpt has the rule %d times, want 2", n)
	}
	mutatedCRD(t, "1.37.0", data, "", "", "")
	const rules = "x-kubernetes-validations: [{rule: \"self.size() < 17\"}, {rule: \"self.size() < 17\"}]\n"
	mutatedCRD(t, "1.37.0", data, "                maxItems: 16\n                type: array\n            type: object\n",
		"                maxItems: 16\n                type: array\n                "+rules+"            type: object\n",
		`properties[spec].properties[rules].x-kubernetes-validations[1].rule: Invalid value: "self.size() < 17": the same rule as an earlier entry`)
}
