package validate

import (
	"os"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/diag"
)

// TestRulesDroppedBefore125: the API server of 1.24 drops a CRD's
// x-kubernetes-validations (CustomResourceValidationExpressions is alpha
// and off), so it enforces none of them and refuses no CRD for them.
// kiln does the same there, warning at the field's line; from 1.25 it
// enforces them. Before 1.23 the field is not in the API: an error.
func TestRulesDroppedBefore125(t *testing.T) {
	t.Parallel()
	crdDoc, err := os.ReadFile("testdata/widget-crd.yaml")
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(widget, "minReplicas: 1", "minReplicas: 5", 1)
	// A rule no CEL compiles: the API server of 1.25 refuses the CRD.
	uncompiled := strings.Replace(string(crdDoc), `"self.minReplicas <= self.maxReplicas"`, `"self.minReplicas <="`, 1)
	const rulesAt = "spec.versions[1].schema.openAPIV3Schema.properties[spec].x-kubernetes-validations"
	for _, tc := range []struct {
		kube, crd, cr string
		wantErr       string // "" for none
		dropped       bool
	}{
		{kube: "1.24.0", crd: string(crdDoc), cr: broken, dropped: true},
		{kube: "1.24.0", crd: uncompiled, cr: widget, dropped: true},
		{kube: "1.23.5", crd: string(crdDoc), cr: broken, dropped: true},
		// 1.22 has no such field: server-side apply refuses the CRD.
		{kube: "1.22.0", crd: string(crdDoc), cr: widget, wantErr: `field "` + rulesAt + `" is not in the API of Kubernetes 1.22 (apiextensions.k8s.io/v1 CustomResourceDefinition has it from 1.23)`},
		{kube: "1.25.0", crd: string(crdDoc), cr: broken, wantErr: "minReplicas must not exceed maxReplicas"},
		{kube: "1.25.0", crd: uncompiled, cr: widget, wantErr: "compil"},
		{kube: "", crd: string(crdDoc), cr: broken, wantErr: "minReplicas must not exceed maxReplicas"},
	} {
		t.Run(tc.kube+" "+tc.wantErr, func(t *testing.T) {
			t.Parallel()
			objs := append(parse(t, "crd.yaml", tc.crd), parse(t, "w.yaml", tc.cr)...)
			e, err := NewSchemas().Env(tc.kube, objs)
			if err == nil && e != nil {
				err = e.Objects("web", objs)
			}
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("errors at %s, whose API server drops the rules: %v", tc.kube, err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("err = %v, want one holding %q", err, tc.wantErr)
			}
			if e == nil {
				return
			}
			got := e.Dropped(objs[0])
			if !tc.dropped {
				if len(got) != 0 {
					t.Errorf("Dropped = %+v, want none", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("Dropped = %+v, want the rules", got)
			}
			d := got[0]
			want := Dropped{Path: rulesAt, Line: 28, Gate: "CustomResourceValidationExpressions"}
			if d.Path != want.Path || d.Line != want.Line || d.Gate != want.Gate {
				t.Errorf("Dropped = %+v, want %+v", d, want)
			}
			for _, s := range []string{"(1 CEL rule) is dropped by the API server of Kubernetes 1.", "on by default from 1.25", "kiln does not check custom resources against them either"} {
				if !strings.Contains(d.Msg, s) {
					t.Errorf("message %q lacks %q", d.Msg, s)
				}
			}
			for _, err := range diag.Flatten(err) {
				t.Errorf("unexpected error: %v", err)
			}
		})
	}
}
