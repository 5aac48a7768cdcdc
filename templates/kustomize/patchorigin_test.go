package kustomize

import (
	"context"
	"testing"

	"github.com/kiln-gitops/kiln/templates"
)

// TestPatchFields: a field a patch wrote is placed in the patch, not in
// the resource file the object came from, for a strategic merge patch
// that names its object (kustomize's wordpress example, whose base gets a
// name prefix) and a JSON 6902 patch with a target (kubebuilder's
// metrics patch); the fields the base holds as built are not. The
// fixtures are upstream's files (testdata/repo/apps/real-patches).
func TestPatchFields(t *testing.T) {
	t.Parallel()
	const wp = "apps/real-patches/wordpress/patch.yaml"
	const kb = "apps/real-patches/kubebuilder/config/default/manager_metrics_patch.yaml"
	for _, tc := range []struct {
		path, object string
		want         map[string]templates.FieldAt
		not          []string
	}{
		{
			path: "apps/real-patches/wordpress", object: "demo-wordpress",
			want: map[string]templates.FieldAt{
				"spec.template.spec.initContainers":                                  {File: wp, Line: 8, Whole: true},
				"spec.template.spec.initContainers[0].image":                         {File: wp, Line: 10, Whole: true},
				"spec.template.spec.initContainers[0].args[1]":                       {File: wp, Line: 12, Whole: true},
				"spec.template.spec.containers[0].env":                               {File: wp, Line: 15, Whole: true},
				"spec.template.spec.containers[0].env[0].value":                      {File: wp, Line: 17, Whole: true},
				"spec.template.spec.containers[0].env[1].valueFrom.secretKeyRef.key": {File: wp, Line: 22, Whole: true},
			},
			not: []string{"spec.template.spec.containers[0].image", "spec.template.spec.containers[0].name", "metadata.name"},
		},
		{
			path: "apps/real-patches/kubebuilder/config/default", object: "project-v4-controller-manager",
			want: map[string]templates.FieldAt{
				"spec.template.spec.containers[0].args[0]": {File: kb, Line: 4},
			},
			not: []string{"spec.template.spec.containers[0].args[1]", "spec.template.spec.containers[0].args", "spec.replicas"},
		},
	} {
		t.Run(tc.object, func(t *testing.T) {
			t.Parallel()
			res, err := New(Options{}).Render(context.Background(), &templates.Request{Root: repoRoot(t), App: "demo", Path: tc.path})
			if err != nil {
				t.Fatal(err)
			}
			var dep *templates.Object
			for i, o := range res.Objects {
				if o.Node.GetKind() == "Deployment" && o.Node.GetName() == tc.object {
					dep = &res.Objects[i]
				}
			}
			if dep == nil {
				t.Fatalf("no Deployment %s", tc.object)
			}
			for p, want := range tc.want {
				got, ok := dep.WrittenAt(p)
				want.Path = got.Path // a field below one the patch added whole is found at that one
				if !ok || got != want {
					t.Errorf("%s written at %+v (%v), want %+v", p, got, ok, want)
				}
			}
			for _, p := range tc.not {
				if got, ok := dep.WrittenAt(p); ok {
					t.Errorf("%s is the resource file's, placed at %+v", p, got)
				}
			}
		})
	}
}

// TestGeneratorFields: each key of a generated ConfigMap is placed where
// it was written, the key an overlay's behavior: merge generator
// overrides at the overlay's literal, the base's file at its files:
// entry, and the object itself at the base generator's entry, which its
// origin names.
func TestGeneratorFields(t *testing.T) {
	t.Parallel()
	res, err := New(Options{}).Render(context.Background(), &templates.Request{Root: repoRoot(t), App: "guestbook", Path: "apps/guestbook/overlays/dev"})
	if err != nil {
		t.Fatal(err)
	}
	const base, dev = "apps/guestbook/base/kustomization.yaml", "apps/guestbook/overlays/dev/kustomization.yaml"
	for _, o := range res.Objects {
		if o.Node.GetKind() != "ConfigMap" {
			continue
		}
		if o.File != base || o.Line != 11 {
			t.Errorf("ConfigMap at %s:%d, want %s:11", o.File, o.Line, base)
		}
		for p, want := range map[string]templates.FieldAt{
			"data.LOG_LEVEL":      {Path: "data.LOG_LEVEL", File: dev, Line: 17, Generator: "configMapGenerator guestbook-config"},
			"data.app.properties": {Path: "data.app.properties", File: base, Line: 15, Generator: "configMapGenerator guestbook-config"},
		} {
			if got, ok := o.WrittenAt(p); !ok || got != want {
				t.Errorf("%s written at %+v (%v), want %+v", p, got, ok, want)
			}
		}
		return
	}
	t.Fatal("no ConfigMap")
}
