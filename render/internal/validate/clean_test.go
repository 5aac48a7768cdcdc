package validate

import (
	"os"
	"strings"
	"testing"
)

// TestCleanObjectsRemembered: an object checked without a problem is not
// checked again in the run for the same content, CRD and kubeVersion, and
// is checked again when any of them differs, so a result never carries
// over to an env where it would be wrong.
func TestCleanObjectsRemembered(t *testing.T) {
	t.Parallel()
	s := NewSchemas()
	raw, err := os.ReadFile("testdata/widget-crd.yaml")
	if err != nil {
		t.Fatal(err)
	}
	crd := string(raw)
	// The same kind, with a CRD that refuses what the other accepts.
	stricter := strings.Replace(crd, "size: {type: string, enum: [small, large]}", "size: {type: string, enum: [large]}", 1)
	if stricter == crd {
		t.Fatal("mutation not applied")
	}
	ingress := "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web, namespace: apps}\nspec: {defaultBackend: {service: {name: web, port: {number: 80}}}}\n"

	env := func(kube, crd string) *Env {
		t.Helper()
		e, err := s.Env(kube, parse(t, "crd.yaml", crd))
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	check := func(e *Env, app, file, doc string) error {
		t.Helper()
		return e.Objects(app, parse(t, file, doc))
	}

	dev := env("1.31.0", crd)
	if err := check(dev, "demo", "w.yaml", widget); err != nil {
		t.Fatalf("the valid widget: %v", err)
	}
	if err := check(dev, "demo", "ingress.yaml", ingress); err != nil {
		t.Fatalf("the valid ingress: %v", err)
	}
	if len(s.clean) != 2 {
		t.Fatalf("%d clean objects remembered, want 2", len(s.clean))
	}

	// Same CRD content in another env (compiled once), another app and file:
	// remembered, nothing new.
	staging := env("1.31.0", crd)
	if err := check(staging, "other", "elsewhere.yaml", widget); err != nil {
		t.Fatalf("the valid widget in staging: %v", err)
	}
	if len(s.clean) != 2 {
		t.Errorf("%d clean objects remembered after staging, want still 2", len(s.clean))
	}

	// Another CRD for the kind: checked against it.
	strict := env("1.31.0", stricter)
	if err := check(strict, "demo", "w.yaml", widget); err == nil || !strings.Contains(err.Error(), "spec.size") {
		t.Errorf("the widget under a CRD refusing its size: got %v, want an error about spec.size", err)
	}
	// Another kubeVersion: checked against it.
	old := env("1.18.0", crd)
	if err := check(old, "demo", "ingress.yaml", ingress); err == nil || !strings.Contains(err.Error(), "not served") {
		t.Errorf("networking.k8s.io/v1 Ingress under Kubernetes 1.18: got %v, want not served", err)
	}

	// An object with a problem is checked every time, its errors naming
	// its own file and app.
	bad := strings.Replace(widget, "size: small", "size: huge", 1)
	for _, tc := range []struct{ app, file string }{{"a", "one.yaml"}, {"b", "two.yaml"}} {
		err := check(dev, tc.app, tc.file, bad)
		if err == nil || !strings.Contains(err.Error(), tc.file) || !strings.Contains(err.Error(), "spec.size") {
			t.Errorf("the bad widget in %s: got %v", tc.file, err)
		}
	}
}

// TestSameCRDCompiledOnceAcrossEnvs: envs whose CRD has the same content,
// parsed from different files, share one compiled CRD (issue 14: compile
// each CRD's schema once per run).
func TestSameCRDCompiledOnceAcrossEnvs(t *testing.T) {
	t.Parallel()
	s := NewSchemas()
	raw, err := os.ReadFile("testdata/widget-crd.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var compiled []*crd
	for _, file := range []string{"dev/crd.yaml", "staging/crd.yaml", "prod/crd.yaml"} {
		e, err := s.Env("1.31.0", parse(t, file, string(raw)))
		if err != nil {
			t.Fatal(err)
		}
		compiled = append(compiled, e.lookup("example.com", "Widget"))
	}
	if compiled[0] == nil || compiled[0] != compiled[1] || compiled[1] != compiled[2] {
		t.Errorf("the envs' CRDs were compiled separately: %p %p %p", compiled[0], compiled[1], compiled[2])
	}
	if len(s.cache) != 1 {
		t.Errorf("%d CRDs compiled, want 1", len(s.cache))
	}
}
