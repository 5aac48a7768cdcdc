package validate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/diag"
)

// costlyCRD is testdata/costly-crd.yaml (render's tests read it too), whose
// rule compares each item of spec.l with every other: within the API
// server's cost estimate at 990 items of 8 characters, and a second of
// evaluation per such object.
func costlyCRD(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("testdata/costly-crd.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// costlyFoos are n Foos of costlyCRD with lists of items strings each, as
// one YAML stream.
func costlyFoos(n, items int) string {
	l := make([]string, items)
	for i := range l {
		l[i] = fmt.Sprintf("s%d", i)
	}
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "---\napiVersion: ex.com/v1\nkind: Foo\nmetadata: {name: f%d, namespace: apps}\nspec: {l: [%s]}\n", i, strings.Join(l, ", "))
	}
	return b.String()
}

// TestCELStopsWithContext: the API server's CEL validator gets the run's
// context, and its programs stop once the context ends, each rule with
// an error saying so: 40 Foos of costlyCRD held a render half a minute
// past --timeout 3s, and 200 of them three minutes, when it got a context
// that never ends.
func TestCELStopsWithContext(t *testing.T) {
	t.Parallel()
	env := testEnv(t, parse(t, "crd.yaml", costlyCRD(t))...)
	doc := costlyFoos(1, 200)
	v := env.lookup("ex.com", "Foo").versions["v1"]
	rules := v.checkers().cel
	if errs := rules.validate(context.Background(), v.structural, celInput(t, doc, v)); len(errs) != 0 {
		t.Fatalf("the Foo breaks no rule, got %v", errs)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	errs := rules.validate(ctx, v.structural, celInput(t, doc, v))
	if got := strings.Join(errorTexts(errs), "\n"); !strings.Contains(got, "operation interrupted") {
		t.Fatalf("the rule ran with its context ended: got %q, want it interrupted", got)
	}
}

// TestObjectsStopWithContext: once the run's context has ended (--timeout,
// a signal), Objects checks no further object and returns one error that
// names the app and holds the context's error, for the render to say
// where it stopped; nothing the stopped checks found is reported, and no
// object is remembered clean.
func TestObjectsStopWithContext(t *testing.T) {
	t.Parallel()
	s := NewSchemas()
	env, err := s.Env("1.31.0", parse(t, "crd.yaml", costlyCRD(t)))
	if err != nil {
		t.Fatal(err)
	}
	objs := parse(t, "foo.yaml", costlyFoos(20, 50)+"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: apps}\ndata: {a: 1}\n")
	cleanBefore := len(env.Clean()) // the CRD's, checked as the env was made
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = env.ObjectsContext(ctx, "big", objs)
	if !errors.Is(err, context.Canceled) || !errors.Is(err, ErrStopped) {
		t.Fatalf("got %v, want the context's error and ErrStopped", err)
	}
	errs := diag.Flatten(err)
	var d *diag.Error
	if len(errs) != 1 || !errors.As(errs[0], &d) || d.App != "big" {
		t.Fatalf("got %q, want one error naming app big (not the ConfigMap's wrong type)", errs)
	}
	if n := s.Checks(); n != 0 {
		t.Errorf("%d objects checked after the context ended", n)
	}
	if clean := len(env.Clean()) - cleanBefore; clean != 0 {
		t.Errorf("%d objects remembered clean", clean)
	}
	// The same objects with a context that does not end: all checked.
	if err := env.Objects("big", objs); err == nil || !strings.Contains(err.Error(), "data.a") {
		t.Fatalf("got %v, want the ConfigMap's wrong type", err)
	}
	if n := s.Checks(); n != int64(len(objs)) {
		t.Errorf("%d objects checked, want %d", n, len(objs))
	}
}

// TestTooLargeNotCheckedFurther: an object refused for its size is not
// checked against its schema or rules: the refusal stands whatever else is
// wrong with it, and the checks of every field of a 27 MB ConfigMap took
// 80 s and 3 GB. Under the size bound, the same mistakes are reported.
func TestTooLargeNotCheckedFurther(t *testing.T) {
	t.Parallel()
	env := testEnv(t, readObjects(t, "testdata/widget-crd.yaml")...)
	configMap := func(kiB int) string {
		return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big, namespace: apps}\nbogus: 1\ndata: {a: " + strings.Repeat("x", kiB<<10) + "}\n"
	}
	podTemplate := func(kiB int) string {
		return "apiVersion: v1\nkind: PodTemplate\nmetadata: {name: big, namespace: apps}\ntemplate:\n  spec:\n    restartPolicy: Sometimes\n    containers:\n" +
			"      - name: app\n        image: nginx:1.27\n        env:\n          - {name: BIG, value: " + strings.Repeat("x", kiB<<10) + "}\n"
	}
	customResource := func(kiB int) string {
		return strings.Replace(strings.Replace(widget, "size: small", "size: medium", 1),
			"extra: {anything: [goes]}", "extra: {dashboard: "+strings.Repeat("x", kiB<<10)+"}", 1)
	}
	for _, tc := range []struct {
		name        string
		doc         func(kiB int) string
		kiB         int
		size, other string
	}{
		{"ConfigMap over 3 MiB", configMap, 3100, "reads at most 3145728", `unknown field "bogus"`},
		{"built-in kind over 1.5 MiB in protobuf", podTemplate, 1600, "bytes in protobuf", "restartPolicy"},
		{"custom resource over 1.5 MiB", customResource, 1600, "etcd stores at most", "spec.size"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := env.Objects("demo", parse(t, "big.yaml", tc.doc(tc.kiB)))
			if err == nil || !strings.Contains(err.Error(), tc.size) {
				t.Fatalf("got %.300v, want the size refused (%q)", err, tc.size)
			}
			if n := len(diag.Flatten(err)); n != 1 || strings.Contains(err.Error(), tc.other) {
				t.Errorf("got %d errors, want the size's alone: %.600v", n, err)
			}
			if err := env.Objects("demo", parse(t, "small.yaml", tc.doc(1))); err == nil || !strings.Contains(err.Error(), tc.other) {
				t.Errorf("under the bound, got %.300v, want %q", err, tc.other)
			}
		})
	}
}
