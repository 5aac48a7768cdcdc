package validate

import (
	"os"
	"slices"
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
	// Another kubeVersion: checked against it. (Without the CRD, whose
	// x-kubernetes-validations 1.18's API has not.)
	old, err := s.Env("1.18.0", nil)
	if err != nil {
		t.Fatal(err)
	}
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

// TestCleanObjectsPersisted: the CleanKeys of one run's clean objects,
// seeded into the next run's Schemas, spare those objects their checks;
// an object changed by a byte, under a CRD of other content or another
// kubeVersion is checked again; a Secret never has a key and is checked
// every run; an env that holds secrets reports no key.
func TestCleanObjectsPersisted(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("testdata/widget-crd.yaml")
	if err != nil {
		t.Fatal(err)
	}
	crd := string(raw)
	stricter := strings.Replace(crd, "size: {type: string, enum: [small, large]}", "size: {type: string, enum: [small, large, medium]}", 1)
	if stricter == crd {
		t.Fatal("mutation not applied")
	}
	ingress := "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web, namespace: apps}\nspec: {defaultBackend: {service: {name: web, port: {number: 80}}}}\n"
	secret := "apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: apps}\nstringData: {password: hunter2}\n"
	list := "apiVersion: v1\nkind: List\nitems:\n- " + strings.ReplaceAll(strings.TrimSuffix(strings.Replace(secret, "name: db", "name: db2", 1), "\n"), "\n", "\n  ") + "\n"
	docs := widget + "---\n" + ingress + "---\n" + secret + "---\n" + list

	// run validates docs in a fresh Schemas seeded with seed and returns
	// the env's keys and how many objects were checked.
	var compiled int
	run := func(seed []CleanKey, kube, crd, docs string, private bool) ([]CleanKey, int64) {
		t.Helper()
		s := NewSchemas()
		s.Seed(seed)
		e, err := s.Env(kube, parse(t, "crd.yaml", crd))
		if err != nil {
			t.Fatal(err)
		}
		if private {
			e.HoldsSecrets()
		}
		if err := e.Objects("demo", parse(t, "all.yaml", docs)); err != nil {
			t.Fatalf("the valid objects: %v", err)
		}
		s.mu.Lock()
		compiled = len(s.cache)
		s.mu.Unlock()
		return e.Clean(), s.Checks()
	}

	first, checked := run(nil, "1.31.0", crd, docs, false)
	if checked != 4 {
		t.Fatalf("a cold run checked %d objects, want 4", checked)
	}
	// The widget, the ingress and the CRD's compiling; never the Secret,
	// nor the List holding one.
	if len(first) != 3 {
		t.Fatalf("%d clean keys, want 3 (no Secret, no List of Secrets)", len(first))
	}
	if _, checked := run(first, "1.31.0", crd, docs, false); checked != 2 {
		t.Errorf("a seeded run checked %d objects, want 2 (the Secret and the List, every run)", checked)
	}
	// No object of the CRD's kind was checked: it was not compiled.
	if compiled != 0 {
		t.Errorf("a seeded run compiled %d CRDs, want none", compiled)
	}
	// The second run reports the same keys, so that they are kept.
	if again, _ := run(first, "1.31.0", crd, docs, false); !slices.Equal(again, first) {
		t.Errorf("a seeded run reported %d keys, want the %d it was seeded with", len(again), len(first))
	}

	oneByte := strings.Replace(widget, "size: small", "size: large", 1)
	if oneByte == widget {
		t.Fatal("mutation not applied")
	}
	for _, tc := range []struct {
		name, kube, crd, docs string
		want                  int64
	}{
		{"a widget changed", "1.31.0", crd, oneByte + "---\n" + ingress, 1},
		{"the CRD's content changed", "1.31.0", stricter, widget + "---\n" + ingress, 1},
		{"kubeVersion changed", "1.32.0", crd, widget + "---\n" + ingress, 2},
	} {
		if _, checked := run(first, tc.kube, tc.crd, tc.docs, false); checked != tc.want {
			t.Errorf("%s: %d objects checked, want %d", tc.name, checked, tc.want)
		}
		if compiled != 1 {
			t.Errorf("%s: %d CRDs compiled, want the one the widget is checked against", tc.name, compiled)
		}
	}

	// A seed never hides a problem: a widget the seeded CRD refuses.
	s := NewSchemas()
	s.Seed(first)
	e, err := s.Env("1.31.0", parse(t, "crd.yaml", crd))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Objects("demo", parse(t, "w.yaml", strings.Replace(widget, "size: small", "size: huge", 1))); err == nil {
		t.Error("a bad widget passed in a seeded run")
	}

	if keys, _ := run(nil, "1.31.0", crd, docs, true); len(keys) != 0 {
		t.Errorf("an env holding secrets reported %d clean keys, want none", len(keys))
	}
}
