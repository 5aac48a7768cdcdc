package render

import (
	"errors"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/redact"
)

// TestRedactErrMasksACutValue: a chart's fail or a jsonnet error prints a
// text the engine cuts to diag.MaxMessage without knowing the values of
// the Secrets the env rendered; a cut between words can still split such
// a value at a blank or a quote, and what is left of it is no form a
// redactor searches for. redactErr masks the kept text's end as well as
// every whole value.
func TestRedactErrMasksACutValue(t *testing.T) {
	t.Parallel()
	const value = `correct horse "battery" staple`
	rd := redact.New(map[string]string{"0": value})
	pad := strings.Repeat("x", 40)
	for _, tc := range []struct{ name, msg, hidden string }{
		{name: "json", msg: `chart refused to render: ` + pad + ` {"pw":"correct horse \"battery\" staple"} and more`, hidden: "horse"},
		{name: "plain", msg: `jsonnet error: ` + pad + ` pw: correct horse "battery" staple`, hidden: "horse"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for cut := len(pad); cut < len(tc.msg); cut++ {
				in := &diag.Error{File: "c/templates/x.yaml", Line: 3, App: "a", Msg: diag.Cut(tc.msg, cut), Hint: "set the values"}
				got := redactErr(rd, errors.Join(in)).Error()
				if strings.Contains(got, tc.hidden) || strings.Contains(got, "correct ho") {
					t.Fatalf("cut at %d shows a piece of the value: %s", cut, got)
				}
				if !strings.Contains(got, "c/templates/x.yaml:3: app a: ") || !strings.Contains(got, "more bytes of the message") && len(tc.msg) > cut {
					t.Errorf("cut at %d lost its location or its note: %s", cut, got)
				}
			}
		})
	}
}

// TestRedactErrMasksTheObject: an object named by a value (a template
// that put a Secret's value into a name) is masked where the error names
// it too, not only in the message: sinks that escape the text before
// masking it, or print the object as a field of its own (--output json),
// get the error's parts. Each part is judged whole: in a name longer than
// the bound the error prints (diag.MaxName), the value may lie past the
// cut, or straddle it, and so not show in the error's text at all.
func TestRedactErrMasksTheObject(t *testing.T) {
	t.Parallel()
	const value = "Sup3r_S3cret_Value"
	rd := redact.New(map[string]string{"0": value})
	// The value's first 4 bytes are the last the error's text shows.
	long := strings.Repeat("n", diag.MaxName-4)
	past := strings.Repeat("n", 2*diag.MaxName)
	for _, tc := range []struct {
		name  string
		in    diag.Object
		field string
		want  diag.Object
	}{
		{name: "short", in: diag.Object{Kind: "Foo", Namespace: value, Name: "n-" + value}, field: "data." + value,
			want: diag.Object{Kind: "Foo", Namespace: redact.Mask, Name: "n-" + redact.Mask}},
		{name: "cut inside the value", in: diag.Object{Kind: "Foo", Namespace: "x", Name: long + value + past}, field: "data",
			want: diag.Object{Kind: "Foo", Namespace: "x", Name: long + redact.Mask + past}},
		{name: "past the cut", in: diag.Object{Kind: "Foo", Name: past + value}, field: "data",
			want: diag.Object{Kind: "Foo", Name: past + redact.Mask}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := &diag.Error{File: "x.yaml", Line: 3, App: "a", Object: tc.in, Field: tc.field, Msg: "invalid", Hint: "fix it"}
			var de *diag.Error
			if !errors.As(redactErr(rd, errors.Join(in)), &de) {
				t.Fatal("redactErr did not keep a *diag.Error")
			}
			b := de.Bounded()
			for _, part := range []string{de.Object.Kind, de.Object.Namespace, de.Object.Name, de.Field, de.Msg, de.Hint, de.Error(), b.Object.String(), b.Field} {
				if strings.Contains(part, "S3cret") || strings.Contains(part, "Sup3") {
					t.Errorf("the error keeps the value, or its start, in %q", part)
				}
			}
			if de.File != "x.yaml" || de.Line != 3 || de.Object != tc.want {
				t.Errorf("the error lost where it is: %+v", de)
			}
		})
	}
}

// TestRedactWarningsMasksTheObject: in a failed env the warnings are
// shown next to the errors, about the same objects: an object named by a
// Secret's value is masked in both.
func TestRedactWarningsMasksTheObject(t *testing.T) {
	t.Parallel()
	const value = "Sup3r_S3cret_Value"
	rd := redact.New(map[string]string{"0": value})
	in := []diag.Warning{
		{File: "x.yaml", Line: 1, App: "a", Object: diag.Object{Kind: "Foo", Name: value}, Msg: "kind Foo is unknown", Hint: "list its CRD"},
		{File: "y.yaml", Msg: "nothing to hide"},
	}
	got := redactWarnings(rd, in)
	if len(got) != 2 || got[0].Object.Name != redact.Mask || got[0].File != "x.yaml" || got[0].Object.Kind != "Foo" || got[1] != in[1] {
		t.Errorf("redactWarnings() = %+v", got)
	}
	if in[0].Object.Name != value {
		t.Error("redactWarnings changed its argument")
	}
}
