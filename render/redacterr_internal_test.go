package render

import (
	"encoding/base64"
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
				got := redactErr(redact.New(nil), rd, errors.Join(in)).Error()
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

// TestRedactErrMasksTheObject: an object named by a secret var's value
// (a template that put it into a name) is masked where the error names
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
			if !errors.As(redactErr(rd, rd, errors.Join(in)), &de) {
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
// secret var's value is masked in both.
func TestRedactWarningsMasksTheObject(t *testing.T) {
	t.Parallel()
	const value = "Sup3r_S3cret_Value"
	rd := redact.New(map[string]string{"0": value})
	in := []diag.Warning{
		{File: "x.yaml", Line: 1, App: "a", Object: diag.Object{Kind: "Foo", Name: value}, Msg: "kind Foo is unknown", Hint: "list its CRD"},
		{File: "y.yaml", Msg: "nothing to hide"},
	}
	got := redactWarnings(rd, rd, in)
	if len(got) != 2 || got[0].Object.Name != redact.Mask || got[0].File != "x.yaml" || got[0].Object.Kind != "Foo" || got[1] != in[1] {
		t.Errorf("redactWarnings() = %+v", got)
	}
	if in[0].Object.Name != value {
		t.Error("redactWarnings changed its argument")
	}
}

// TestRedactErrKeepsWhereForSecretValues: the values of the env's Secrets
// are often common words (database: nginx); masked in the file, the
// object and the field path, they hid where every error of the env was
// (web/**redacted**-deployment.yaml:13, Deployment/shop/**redacted**),
// though a render that passes writes those names in plain text. Only the
// message and hint, which can quote a field's value copied from a Secret,
// mask them; a secret var stays masked everywhere.
func TestRedactErrKeepsWhereForSecretValues(t *testing.T) {
	t.Parallel()
	const word, secretVar = "nginx", "Sup3r_S3cret_Value"
	rd := redact.New(map[string]string{"PW": secretVar})
	mr := rd.With(map[string]string{"0": word}, 0)
	obj := diag.Object{Kind: "Deployment", Namespace: "shop", Name: word}
	in := &diag.Error{File: "web/nginx-deployment.yaml", Line: 13, App: "web", Object: obj, Field: "spec.template.metadata.labels.nginx",
		Msg: `Invalid value: "nginx": a copied value`, Hint: "fix nginx"}
	var de *diag.Error
	if !errors.As(redactErr(rd, mr, errors.Join(in)), &de) {
		t.Fatal("redactErr did not keep a *diag.Error")
	}
	if de.File != in.File || de.Object != obj || de.Field != in.Field || de.Line != 13 {
		t.Errorf("the error lost where it is: %+v", de)
	}
	if strings.Contains(de.Msg, word) || strings.Contains(de.Hint, word) {
		t.Errorf("the message or hint shows the Secret's value: %q, %q", de.Msg, de.Hint)
	}

	in = &diag.Error{File: "web/" + secretVar + ".yaml", Object: diag.Object{Kind: "Deployment", Name: secretVar}, Field: "data." + secretVar, Msg: "invalid"}
	if !errors.As(redactErr(rd, mr, errors.Join(in)), &de) {
		t.Fatal("redactErr did not keep a *diag.Error")
	}
	for _, part := range []string{de.File, de.Object.Name, de.Field, de.Error()} {
		if strings.Contains(part, "S3cret") {
			t.Errorf("a secret var shows in %q", part)
		}
	}

	warns := redactWarnings(rd, mr, []diag.Warning{{File: "web/nginx-deployment.yaml", Object: obj, Msg: "nginx is odd", Hint: "see nginx"}})
	if w := warns[0]; w.Object != obj || w.File != "web/nginx-deployment.yaml" || strings.Contains(w.Msg+w.Hint, word) {
		t.Errorf("redactWarnings() = %+v, want the object kept and the words masked", w)
	}
}

// TestErrRedactorsMaskWhatNoNameIs: a Secret's value that is a valid name
// (nginx) stays in the file, the object and the field path of an error,
// where a passing render would write it; one that is no name, or its
// base64, is there only because a replacement or a template put it where
// validation refused it, and is masked there as in the message.
func TestErrRedactorsMaskWhatNoNameIs(t *testing.T) {
	t.Parallel()
	// hex is a name of some kinds (a ConfigMap's), not of a Service,
	// which must start with a letter.
	const word, pw, hex = "nginx", "Sup3r!S3cret", "0f3cd9e1a2"
	b64 := base64.StdEncoding.EncodeToString([]byte(word))
	rd := redact.New(map[string]string{"PW": "Var_S3cret_Value"})
	mr, wr, _ := errRedactors(rd, []*appRun{{secretValues: []string{word, pw, hex}}}, 0)
	obj := diag.Object{Kind: "ConfigMap", Namespace: "shop", Name: word}
	for _, in := range []*diag.Error{
		{File: "k/cm.yaml", Object: diag.Object{Kind: "ConfigMap", Namespace: "shop", Name: pw}, Field: "metadata.name", Msg: "invalid"},
		{File: "k/cm.yaml", Object: obj, Field: "metadata.labels." + pw, Msg: "invalid"},
		{File: "k/" + pw + ".yaml", Object: obj, Msg: "invalid"},
		{File: "k/cm.yaml", Object: diag.Object{Kind: "ConfigMap", Namespace: "shop", Name: b64}, Msg: "invalid"},
		{File: "k/svc.yaml", Object: diag.Object{Kind: "Service", Namespace: "shop", Name: hex}, Field: "metadata.name", Msg: "invalid"},
	} {
		var de *diag.Error
		if !errors.As(redactErr(wr, mr, errors.Join(in)), &de) {
			t.Fatal("redactErr did not keep a *diag.Error")
		}
		for _, part := range []string{de.File, de.Object.String(), de.Field, de.Error()} {
			if strings.Contains(part, "S3cret") || strings.Contains(part, b64) || strings.Contains(part, hex) {
				t.Errorf("a Secret's value shows in %q", part)
			}
		}
	}
	in := &diag.Error{File: "web/nginx-deployment.yaml", Object: obj, Field: "spec.template.metadata.labels.nginx", Msg: `Invalid value: "nginx"`}
	var de *diag.Error
	if !errors.As(redactErr(wr, mr, errors.Join(in)), &de) {
		t.Fatal("redactErr did not keep a *diag.Error")
	}
	if de.File != in.File || de.Object != obj || de.Field != in.Field || strings.Contains(de.Msg, word) {
		t.Errorf("redactErr() = %+v, want where kept and the message masked", de)
	}
	w := redactWarnings(wr, mr, []diag.Warning{{File: "k/" + pw + ".yaml", Object: diag.Object{Kind: "ConfigMap", Name: pw}, Msg: "odd"}})[0]
	if strings.Contains(w.File+w.Object.String(), "S3cret") {
		t.Errorf("redactWarnings() = %+v, want the value masked", w)
	}
}

// TestErrFieldPathKeptInMessage: a Secret's value that is a name, also a
// key of the field path the message quotes, is kept there as it is in
// the error's field (kubernetes/examples' storageos: a Secret holding
// "storageos" masked every error about a storageos volume as
// spec.volumes[0].**redacted**.pool), and masked where the message
// quotes a value.
func TestErrFieldPathKeptInMessage(t *testing.T) {
	t.Parallel()
	mr, wr, _ := errRedactors(redact.New(nil), []*appRun{{secretValues: []string{"storageos", "Sup3r!S3cret", "secret"}}}, 0)
	for _, tc := range []struct{ field, msg, want string }{
		{"spec.volumes[0].storageos.pool", `unknown field "spec.volumes[0].storageos.pool"`, `unknown field "spec.volumes[0].storageos.pool"`},
		{"spec.volumes[0].storageos.pool", `field "spec.volumes[0].storageos.pool": Invalid value: "storageos"`, `field "spec.volumes[0].storageos.pool": Invalid value: "**redacted**"`},
		// Not the field where the message runs on into it: there the
		// whole token is masked (Tokens).
		{"storageos", `xstorageos storageos: storageos-1`, `**redacted** storageos: **redacted**`},
		// bitnami-labs/sealed-secrets' dashboards, with a Secret holding "secret".
		{`["sealed-secrets-controller.json"]`, `jsonnet output at ["sealed-secrets-controller.json"] is a string`, `jsonnet output at ["sealed-secrets-controller.json"] is a string`},
		{"metadata.labels.Sup3r!S3cret", `field "metadata.labels.Sup3r!S3cret": invalid`, `field "metadata.labels.**redacted**": invalid`},
	} {
		in := &diag.Error{File: "v/pod.yaml", Object: diag.Object{Kind: "Pod", Namespace: "s", Name: "p"}, Field: tc.field, Msg: tc.msg}
		var de *diag.Error
		if !errors.As(redactErr(wr, mr, errors.Join(in)), &de) {
			t.Fatal("redactErr did not keep a *diag.Error")
		}
		if de.Msg != tc.want {
			t.Errorf("%s: message %q, want %q", tc.msg, de.Msg, tc.want)
		}
	}
}

// TestErrRedactorsKeepATrimmedName: a Secret's value that is a name but
// for its line break ("secret\n", as kube-libsonnet's tests have it) is
// kept where an error names files, objects and fields, trimmed too, and
// masked in the message (bitnami-labs/sealed-secrets: another app's
// error named sealed-**redacted**s-controller.json).
func TestErrRedactorsKeepATrimmedName(t *testing.T) {
	t.Parallel()
	mr, wr, _ := errRedactors(redact.New(nil), []*appRun{{secretValues: []string{"secret\n"}}}, 0)
	in := &diag.Error{File: "d/sealed-secrets-controller.json", Object: diag.Object{Kind: "ConfigMap", Namespace: "d", Name: "secret"}, Msg: `holds "secret"`}
	var de *diag.Error
	if !errors.As(redactErr(wr, mr, errors.Join(in)), &de) {
		t.Fatal("redactErr did not keep a *diag.Error")
	}
	if de.File != in.File || de.Object.Name != "secret" {
		t.Errorf("the where-fields lost the name: %q, %q", de.File, de.Object.Name)
	}
	if strings.Contains(de.Msg, "secret") {
		t.Errorf("the message shows the value: %q", de.Msg)
	}
}

// TestErrFieldPathMasksAKeyMadeOfASecret: a Secret's value that is a name
// with a dash (a passphrase of words) and that a template made a map's key
// is masked where the field path holds it as a whole name, and in the
// message that quotes the path; it is kept inside a longer name, in the
// file and in the object's name, as a passing render writes them.
func TestErrFieldPathMasksAKeyMadeOfASecret(t *testing.T) {
	t.Parallel()
	const pass = "correct-horse-battery-staple"
	mr, wr, keys := errRedactors(redact.New(nil), []*appRun{{secretValues: []string{pass, "storageos", "sealed-secrets"}}}, 0)
	for _, tc := range []struct{ field, msg, wantField string }{
		{"spec.template.spec.nodeSelector." + pass, `wrong type for field "spec.template.spec.nodeSelector.` + pass + `": got number, want string`, "spec.template.spec.nodeSelector.**redacted**"},
		{"data[" + pass + "]", `invalid`, "data[**redacted**]"},
		{`["sealed-secrets-controller.json"]`, `jsonnet output at ["sealed-secrets-controller.json"] is a string`, `["sealed-secrets-controller.json"]`},
		{"spec.volumes[0].storageos.pool", `unknown field "spec.volumes[0].storageos.pool"`, "spec.volumes[0].storageos.pool"},
	} {
		in := &diag.Error{File: "c/" + pass + ".yaml", Object: diag.Object{Kind: "ConfigMap", Namespace: "s", Name: pass}, Field: tc.field, Msg: tc.msg}
		var de *diag.Error
		if !errors.As(redactErr(wr, mr, errors.Join(in), keys...), &de) {
			t.Fatal("redactErr did not keep a *diag.Error")
		}
		if de.Field != tc.wantField {
			t.Errorf("field %q, want %q", de.Field, tc.wantField)
		}
		if de.File != in.File || de.Object.Name != pass {
			t.Errorf("the file and object lost their names: %q, %q", de.File, de.Object.Name)
		}
		if tc.wantField != tc.field && strings.Contains(de.Msg+de.Hint, pass) {
			t.Errorf("the message shows the value: %q", de.Msg)
		}
	}
}

// TestErrRedactorsMaskTheWholeToken: a Secret's value is often a common
// word (a basic-auth Secret's username: postgres), and masked alone inside
// a longer word of a message it gave itself away: the warning "kind
// ScheduledBackup (**redacted**ql.cnpg.io/v1) is unknown" of a failed env
// told that a Secret holds "postgres". The message masks the whole token
// the value stands in; a value glued to other text by a template
// (k8x2mq9zt-suffix, which a name-like random value is) does not show
// either, and a quoted value is masked as before.
func TestErrRedactorsMaskTheWholeToken(t *testing.T) {
	t.Parallel()
	const word, random = "postgres", "k8x2mq9zt"
	mr, wr, _ := errRedactors(redact.New(nil), []*appRun{{secretValues: []string{word, random}}}, 0)
	obj := diag.Object{Kind: "ScheduledBackup", Namespace: "db", Name: "nightly"}
	w := redactWarnings(wr, mr, []diag.Warning{{File: "db/backup.yaml", Object: obj,
		Msg:  "kind ScheduledBackup (postgresql.cnpg.io/v1) is unknown to kiln, so it was given namespace \"db\"",
		Hint: "list the CRD of postgresql.cnpg.io, as for k8x2mq9zt-suffix"}})[0]
	if want := "kind ScheduledBackup (**redacted**) is unknown to kiln, so it was given namespace \"db\""; w.Msg != want {
		t.Errorf("message %q, want %q", w.Msg, want)
	}
	if want := "list the CRD of **redacted**, as for **redacted**"; w.Hint != want {
		t.Errorf("hint %q, want %q", w.Hint, want)
	}
	if w.Object != obj || w.File != "db/backup.yaml" {
		t.Errorf("where changed: %+v", w)
	}
	in := &diag.Error{File: "db/cm.yaml", Object: obj, Field: "data.user", Msg: `Invalid value: "postgres": too short; also (postgres.example`, Hint: "postgres,"}
	var de *diag.Error
	if !errors.As(redactErr(wr, mr, errors.Join(in)), &de) {
		t.Fatal("redactErr did not keep a *diag.Error")
	}
	if want := `Invalid value: "**redacted**": too short; also (**redacted**`; de.Msg != want || de.Hint != "**redacted**," {
		t.Errorf("redactErr() message %q, hint %q; want %q, \"**redacted**,\"", de.Msg, de.Hint, want)
	}
}
