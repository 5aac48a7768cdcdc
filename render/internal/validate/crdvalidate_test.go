package validate

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/diag"
)

// TestCRDCreateValidation: a CRD the API server's create validation
// (apiextensions' ValidateCustomResourceDefinition) refuses is refused,
// in the API server's words, at the line of the field it names: what
// kiln's restatement of that validation (names and versions only) let
// through before. Each case mutates a real CRD in one place.
func TestCRDCreateValidation(t *testing.T) {
	t.Parallel()
	gwc, err := os.ReadFile(filepath.Join(realDir, "gateway-api", "gatewayclasses-crd.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	widget, err := os.ReadFile("testdata/widget-crd.yaml")
	if err != nil {
		t.Fatal(err)
	}
	certs, err := os.ReadFile("../../../testdata/manifests/cert-manager/cert-manager.io_certificates.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const (
		widgetV1        = "spec.versions[1].schema.openAPIV3Schema.properties[spec]"
		listMapKeyItems = "                    required: [name]\n"
		scope           = "  scope: Namespaced\n"
		gwcStored       = "    served: true\n    storage: true\n"
	)
	// Errors the API server gives besides want for the same mistake.
	more := map[string]int{
		"conversion webhook without a client": 1, // conversionReviewVersions required too
		"preserveUnknownFields":               1, // "must be false in order to use defaults"
	}
	for _, tc := range []struct {
		name     string
		doc      []byte
		from, to string
		want     string // the API server's error
		at       string // the text of the line the error is at; "" for the CRD's first
	}{
		{"type misspelled", widget, "email: {type: string", "email: {type: strin",
			widgetV1 + `.properties[email].type: Unsupported value: "strin": supported values: "array", "boolean", "integer", "number", "object", "string"`, "email: {type: strin,"},
		{"uniqueItems", widget, "                  type: array\n", "                  type: array\n                  uniqueItems: true\n",
			widgetV1 + ".properties[ports].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic", "uniqueItems: true"},
		{"list-map key neither required nor defaulted", widget, listMapKeyItems, "",
			widgetV1 + ".properties[ports].items.properties[name].default: Required value: this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property", "name: {type: string}"},
		{"set of objects not atomic", widget, "x-kubernetes-list-type: map\n                  x-kubernetes-list-map-keys: [name]\n", "x-kubernetes-list-type: set\n",
			widgetV1 + ".properties[ports].items.x-kubernetes-map-type: Invalid value: null: must be atomic as item of a list with x-kubernetes-list-type=set", "items:"},
		{"map type on a string", widget, "mode: {type: string, default: fast}", "mode: {type: string, default: fast, x-kubernetes-map-type: atomic}",
			widgetV1 + `.properties[mode].type: Invalid value: "string": must be object if x-kubernetes-map-type is specified`, "x-kubernetes-map-type: atomic"},
		{"default not in the enum", widget, "size: {type: string, enum: [small, large]}", "size: {type: string, enum: [small, large], default: medium}",
			widgetV1 + `.properties[size].default: Unsupported value: "medium": supported values: "small", "large"`, "default: medium"},
		{"default over the maximum", widget, "maximum: 10, default: 3", "maximum: 10, default: 30",
			widgetV1 + ".properties[maxReplicas].default: Invalid value: 30:  in body should be less than or equal to 10", "default: 30"},
		{"rule's reason", widget, "message: minReplicas must not exceed maxReplicas\n", "message: minReplicas must not exceed maxReplicas\n                  reason: FieldValueWrong\n",
			widgetV1 + `.x-kubernetes-validations[0].reason: Unsupported value: "FieldValueWrong": supported values: "FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired"`, "reason: FieldValueWrong"},
		{"conversion webhook without a client", widget, scope, scope + "  conversion: {strategy: Webhook}\n",
			"spec.conversion.webhookClientConfig: Required value: required when strategy is set to Webhook", "conversion: {strategy: Webhook}"},
		{"version without a schema", widget, "      schema:\n        openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}\n", "",
			"spec.versions[0].schema.openAPIV3Schema: Required value", "- name: v1alpha1"},
		{"deprecationWarning of a version not deprecated", widget, "      served: false\n", "      served: false\n      deprecationWarning: old\n",
			`spec.versions[0].deprecationWarning: Invalid value: "old": can only be set for deprecated versions`, "deprecationWarning: old"},
		{"preserveUnknownFields", widget, scope, scope + "  preserveUnknownFields: true\n",
			"spec.preserveUnknownFields: Invalid value: true: cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead", "preserveUnknownFields: true"},
		{"printer column type", gwc, "      type: date\n", "      type: time\n",
			`spec.versions[0].additionalPrinterColumns[2].type: Invalid value: "time": must be one of boolean,date,integer,number,string`, "type: time"},
		{"printer column jsonPath", gwc, "- jsonPath: .spec.controllerName", "- jsonPath: '{.spec.controllerName'",
			`spec.versions[0].additionalPrinterColumns[0].JSONPath: Invalid value: "{.spec.controllerName": must be a simple json path starting with .`, "jsonPath: '{.spec.controllerName'"},
		{"scale replicas outside spec", gwc, gwcStored + "    subresources:\n", gwcStored + "    subresources:\n      scale: {specReplicasPath: .replicas, statusReplicasPath: .status.replicas}\n",
			`spec.versions[0].subresources.scale.specReplicasPath: Invalid value: ".replicas": should be a json path under .spec`, "scale: {specReplicasPath"},
		{"selectable field not in the schema", gwc, gwcStored, gwcStored + "    selectableFields:\n    - jsonPath: .spec.nope\n",
			`spec.versions[0].selectableFields[0].jsonPath: Invalid value: ".spec.nope": is an invalid path: does not refer to a valid field`, "- jsonPath: .spec.nope"},
		{"k8s.io group without API approval", gwc, "    api-approved.kubernetes.io: https://github.com/kubernetes-sigs/gateway-api/pull/4530\n", "",
			`metadata.annotations[api-approved.kubernetes.io]: Required value: protected groups must have approval annotation "api-approved.kubernetes.io"`, "annotations:"},
		// One version: its schema is spec.validation's to the API server,
		// and the line is still found in spec.versions[0].
		{"one version's type misspelled", certs, "                type: string\n              dnsNames:\n", "                type: strin\n              dnsNames:\n",
			`spec.validation.openAPIV3Schema.properties[spec].properties[commonName].type: Unsupported value: "strin"`, "type: strin\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := mutatedCRD(t, "1.37.0", tc.doc, tc.from, tc.to, tc.want)
			doc := strings.Replace(string(tc.doc), tc.from, tc.to, 1)
			var found bool
			for _, e := range diag.Flatten(err) {
				var de *diag.Error
				if !errors.As(e, &de) || !strings.Contains(de.Msg, tc.want) {
					continue
				}
				found = true
				if line := lineOf(doc, tc.at); de.Line != line {
					t.Errorf("at line %d, want %d (%q): %v", de.Line, line, tc.at, de)
				}
				if !strings.Contains(de.Hint, "no object of its kind can be applied") {
					t.Errorf("hint %q does not say what the refusal costs", de.Hint)
				}
			}
			if !found {
				t.Errorf("no error of its own: %v", err)
			}
			if n := len(diag.Flatten(err)); n != 1+more[tc.name] {
				t.Errorf("%d errors for one mistake: %v", n, err)
			}
		})
	}
}

// lineOf is the line of doc holding s first, 1 for "".
func lineOf(doc, s string) int {
	i := strings.Index(doc, s)
	if s == "" || i < 0 {
		return 1
	}
	return strings.Count(doc[:i], "\n") + 1
}

// TestCRDMetadataOnce: a CRD's metadata the metadata checks of every
// object refuse (a label value) is not refused a second time by the CRD's
// create validation, which checks the same.
func TestCRDMetadataOnce(t *testing.T) {
	t.Parallel()
	widget, err := os.ReadFile("testdata/widget-crd.yaml")
	if err != nil {
		t.Fatal(err)
	}
	doc := strings.Replace(string(widget), "  name: widgets.example.com\n", "  name: widgets.example.com\n  labels: {app: -bad-}\n", 1)
	objs := parse(t, "crd.yaml", doc)
	e, err := NewSchemas().Env("1.37.0", objs)
	if err != nil {
		t.Fatalf("the CRD refused for its label: %v", err)
	}
	err = e.Objects("app", objs)
	if n := len(diag.Flatten(err)); n != 1 || !strings.Contains(err.Error(), "metadata.labels") {
		t.Errorf("got %d errors, want the label once: %v", n, err)
	}
}

// TestRealCRDsPassCreateValidation: every real CRD the tests know
// (Flux's, cert-manager's, argo-cd's, Gateway API's, kube-prometheus-
// stack's, a kubebuilder scaffold) passes the API server's create
// validation, as each was applied to clusters.
func TestRealCRDsPassCreateValidation(t *testing.T) {
	t.Parallel()
	crds, err := realCRDs()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	for _, c := range crds {
		if strings.HasPrefix(c.name, "testdata/invalid.yaml:") {
			continue // wrong on purpose
		}
		n++
		doc, err := decodeCRD(c.data)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if errs := crdCreateErrors(doc); len(errs) > 0 {
			t.Errorf("%s refused: %v", c.name, errs.ToAggregate())
		}
	}
	if n < 30 {
		t.Errorf("%d real CRDs, want every one the tests know", n)
	}
}

// TestCreateValidationKeepsRules: the rules hidden from apiextensions'
// validation are back after it, for the CEL checks and objects.
func TestCreateValidationKeepsRules(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join(realDir, "gateway-api", "gatewayclasses-crd.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	objs := parse(t, "crd.yaml", string(data))
	before, err := decodeCRD(encode(objs[0]).data)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := decodeCRD(encode(objs[0]).data)
	if errs := crdCreateErrors(after); len(errs) > 0 {
		t.Fatal(errs)
	}
	for i := range before.schemas {
		if !reflect.DeepEqual(before.schemas[i], after.schemas[i]) {
			t.Errorf("version %d: the schema changed", i)
		}
	}
}

// TestEmbeddedFluxCRDsPassCreate: every embedded Flux CRD passes the API
// server's create validation, which compileCRD leaves out for them at
// run time. Should a Flux release kiln pins ship a CRD the API server
// refuses, this fails and says why, before any user's render trusts it.
func TestEmbeddedFluxCRDsPassCreate(t *testing.T) {
	t.Parallel()
	for gk, file := range fluxFiles {
		doc, err := decodeCRD(fluxJSON(file))
		if err != nil {
			t.Errorf("%s (%s): %v", file, gk.kind, err)
			continue
		}
		if errs := crdCreateErrors(doc); len(errs) > 0 {
			t.Errorf("%s (%s): the API server refuses it: %v", file, gk.kind, errs.ToAggregate())
		}
		if c := compileCRD(fluxJSON(file), false); c.err != nil {
			t.Errorf("%s (%s): compiled as a rendered CRD: %v", file, gk.kind, c.err)
		}
	}
}
