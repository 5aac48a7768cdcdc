package validate

import (
	"strings"
	"testing"
)

// TestDeprecated: a version a CRD deprecates draws its warning (or the API
// server's default text) whether the CRD was compiled in the run or only
// named, as a seeded run names a CRD an earlier run found clean; a
// built-in version deprecated by kubeVersion draws one naming its
// replacement, and one already removed draws none (validation refuses it).
func TestDeprecated(t *testing.T) {
	t.Parallel()
	const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  scope: Namespaced
  versions:
  - {name: v1alpha1, served: true, storage: false, deprecated: true, deprecationWarning: "use v1", schema: {openAPIV3Schema: {type: object}}}
  - {name: v1beta1, served: true, storage: false, deprecated: true, schema: {openAPIV3Schema: {type: object}}}
  - {name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}
`
	s := NewSchemas()
	first, err := s.Env("1.31.0", parse(t, "crd.yaml", crd))
	if err != nil {
		t.Fatal(err)
	}
	seeded := NewSchemas()
	seeded.Seed(first.Clean())
	second, err := seeded.Env("1.31.0", parse(t, "crd.yaml", crd))
	if err != nil {
		t.Fatal(err)
	}
	for name, e := range map[string]*Env{"compiled": first, "named": second} {
		for _, tc := range []struct{ apiVersion, kind, msg, hint string }{
			{"example.com/v1alpha1", "Widget", "use v1", "use apiVersion example.com/v1,"},
			{"example.com/v1beta1", "Widget", "example.com/v1beta1 Widget is deprecated", "use apiVersion example.com/v1,"},
			{"example.com/v1", "Widget", "", ""},
			{"flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema", "flowcontrol.apiserver.k8s.io/v1beta3 FlowSchema is deprecated since Kubernetes 1.29 and is not served from 1.32", "use apiVersion flowcontrol.apiserver.k8s.io/v1 kind FlowSchema"},
			{"flowcontrol.apiserver.k8s.io/v1", "FlowSchema", "", ""},
			{"apps/v1", "Deployment", "", ""},
			{"kustomize.toolkit.fluxcd.io/v1", "Kustomization", "", ""},
		} {
			msg, hint := e.Deprecated(tc.apiVersion, tc.kind)
			if msg != tc.msg || !strings.HasPrefix(hint, tc.hint) {
				t.Errorf("%s: Deprecated(%s, %s) = %q, %q; want %q, %q…", name, tc.apiVersion, tc.kind, msg, hint, tc.msg, tc.hint)
			}
		}
	}
	if len(first.Clean()) == 0 {
		t.Error("the CRD was not kept clean, so the named path went untested")
	}
	// Not served any more at 1.32: the served check's error, no warning.
	later, _ := s.Env("1.32.0", nil)
	if msg, _ := later.Deprecated("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema"); msg != "" {
		t.Errorf("a removed version drew a warning: %s", msg)
	}
}
