package validate

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/diag"
)

// TestCRDNewerFields: a CRD's fields that a release after 1.24 added are
// errors below that release (Flux's server-side apply fails on a field
// the API server does not know), and warnings for the release whose gate
// drops them; a rule's own property named like one of them is no such
// field. The CRD is Gateway API's GatewayClass, its first rule written as
// controller-gen writes a ratcheting rule with a message expression and
// reason, and its v1 version given a selectable field, as cert-manager's
// CRDs have (selectableFields from 1.30).
func TestCRDNewerFields(t *testing.T) {
	t.Parallel()
	// crdNewerErrors stops looking from selectableFieldsSince on.
	for _, f := range crdRuleFields {
		if f.since > selectableFieldsSince {
			t.Fatalf("%s (1.%d) is newer than selectableFields: crdNewerErrors would stop too early", f.key, f.since)
		}
	}
	data, err := os.ReadFile(filepath.Join(realDir, "gateway-api", "gatewayclasses-crd.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	for _, m := range []struct{ from, to string }{
		{"                - message: field is immutable\n                  rule: self == oldSelf\n",
			"                - message: field is immutable\n                  messageExpression: \"'controllerName is immutable'\"\n                  reason: FieldValueForbidden\n" +
				"                  optionalOldSelf: true\n                  rule: '!oldSelf.hasValue() || self == oldSelf.value()'\n"},
		{"    served: true\n", "    selectableFields:\n    - jsonPath: .spec.controllerName\n    served: true\n"},
		// A property of the custom resource named messageExpression: not a
		// rule's field.
		{"              description:\n", "              messageExpression: {type: string}\n              description:\n"},
	} {
		if !strings.Contains(doc, m.from) {
			t.Fatalf("mutation %q not applied", m.from)
		}
		doc = strings.Replace(doc, m.from, m.to, 1)
	}
	rule := "spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[controllerName].x-kubernetes-validations[0]"
	for _, tc := range []struct {
		kube    string
		errs    []string // field@release
		dropped []string // field gate
	}{
		{"1.26.0", []string{rule + ".messageExpression@27", rule + ".reason@28", rule + ".optionalOldSelf@29", "selectableFields@30"}, nil},
		{"1.28.0", []string{rule + ".optionalOldSelf@29", "selectableFields@30"}, nil},
		{"1.29.0", []string{"selectableFields@30"}, []string{rule + ".optionalOldSelf CRDValidationRatcheting"}},
		{"1.30.0", nil, []string{"spec.versions[0].selectableFields CustomResourceFieldSelectors"}},
		{"1.31.0", nil, nil},
		{"", nil, nil},
	} {
		t.Run(tc.kube, func(t *testing.T) {
			objs := parse(t, "crd.yaml", doc)
			e, err := NewSchemas().Env(tc.kube, objs)
			var got []string
			for _, err := range diag.Flatten(err) {
				d, ok := err.(*diag.Error)
				if ok && strings.Contains(d.Msg, "cannot be served") && strings.Contains(d.Msg, "oldSelf") && tc.kube != "" && tc.kube < "1.30" {
					// Without optionalOldSelf (unknown, or dropped at
					// 1.29), the rule's oldSelf is not optional: the
					// API server of that release refuses the CRD too.
					continue
				}
				if !ok || !strings.Contains(d.Msg, "is not in the API of Kubernetes") {
					t.Errorf("unexpected error: %v", err)
					continue
				}
				f := d.Field
				if strings.HasSuffix(f, "selectableFields") {
					f = "selectableFields"
				}
				got = append(got, fmt.Sprintf("%s@%s", f, d.Msg[strings.Index(d.Msg, "from 1.")+len("from 1."):][:2]))
				if d.Line == 0 {
					t.Errorf("%s: no line", d.Field)
				}
			}
			if !slices.Equal(got, tc.errs) {
				t.Errorf("errors %q, want %q", got, tc.errs)
			}
			var dropped []string
			for _, d := range e.Dropped(objs[0]) {
				dropped = append(dropped, d.Path+" "+d.Gate)
			}
			if !slices.Equal(dropped, tc.dropped) {
				t.Errorf("dropped %q, want %q", dropped, tc.dropped)
			}
		})
	}
}
