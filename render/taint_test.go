package render_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kiln-gitops/kiln/render"
)

// computedRepo is a repository whose jsonnet app main.jsonnet is given the
// secret var PW in its env dev, whose env file adds extra.
func computedRepo(t *testing.T, program, extra string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\n" +
			"apps:\n  - name: js\n    namespace: forms\n    jsonnet: js/main.jsonnet\n",
		"envs/dev.yaml":   "secretVars:\n  PW: TEST_PW\n" + extra,
		"js/main.jsonnet": program,
	} {
		writeFile(t, filepath.Join(dir, name), content)
	}
	return dir
}

// TestComputedFromSecretVar: a jsonnet program can transform a secret var
// past what the gate recognises (a case change, a slice, a reversal), and
// such a value was written readable into a ConfigMap, or into a Secret
// that nothing encrypts. kiln renders the app again with other values of
// the secret vars and refuses what changes, naming fields, never values;
// what does not change with the value (its length) passes, and so does a
// transformed value in a Secret that sops encrypts.
func TestComputedFromSecretVar(t *testing.T) {
	t.Parallel()
	const value = "Winter2024!xyz"
	program := `function(vars) [
  {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'cm'}, data: {
    upper: std.asciiUpper(vars.PW),
    slice: vars.PW[2:9],
    reversed: std.join('', std.reverse(std.stringChars(vars.PW))),
    length: std.toString(std.length(vars.PW)),
    plain: 'nothing secret',
  }},
  {apiVersion: 'v1', kind: 'Secret', metadata: {name: 'creds'}, stringData: {upper: std.asciiUpper(vars.PW)}},
]
`
	leaks := []string{strings.ToUpper(value), value[2:9], "zyx!4202retniW"}
	check := func(t *testing.T, msg string) {
		t.Helper()
		for _, l := range leaks {
			if strings.Contains(msg, l) {
				t.Errorf("the error shows %q:\n%s", l, msg)
			}
		}
	}

	t.Run("no sops", func(t *testing.T) {
		t.Parallel()
		er := renderForms(t, computedRepo(t, program, ""), value)
		if er.Err == nil {
			t.Fatal("values computed from a secret var were written readable")
		}
		msg := er.Err.Error()
		check(t, msg)
		for _, want := range []string{
			"ConfigMap/cm: holds a value computed from secret var PW in data.reversed, data.slice, data.upper:",
			"Secret/creds: holds a value computed from secret var PW in stringData.upper:",
		} {
			if !strings.Contains(msg, want) {
				t.Errorf("missing %q in:\n%s", want, msg)
			}
		}
		if strings.Contains(msg, "data.length") || strings.Contains(msg, "data.plain") {
			t.Errorf("a value that does not change with the secret was refused:\n%s", msg)
		}
	})

	t.Run("allowPlainSecrets", func(t *testing.T) {
		t.Parallel()
		er := renderForms(t, computedRepo(t, program, "allowPlainSecrets: true\n"), value)
		if er.Err == nil {
			t.Fatal("values computed from a secret var were written readable into a ConfigMap")
		}
		msg := er.Err.Error()
		check(t, msg)
		if !strings.Contains(msg, "ConfigMap/cm: holds a value computed from secret var PW in data.reversed, data.slice, data.upper:") {
			t.Errorf("the ConfigMap was not refused:\n%s", msg)
		}
		if strings.Contains(msg, "Secret/creds") {
			t.Errorf("the Secret was refused though allowPlainSecrets lets its data through:\n%s", msg)
		}
	})

	t.Run("nothing computed", func(t *testing.T) {
		t.Parallel()
		er := renderForms(t, computedRepo(t, "function(vars) [{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'cm'}, data: {length: std.toString(std.length(vars.PW)), parts: std.toString(std.length(std.split(vars.PW, '!')))}}]\n", ""), value)
		if er.Err != nil {
			t.Fatalf("a program that computes nothing from the value was refused: %v", er.Err)
		}
	})
}

// TestErrorComputedFromSecretVar: a jsonnet error whose message is
// computed from a secret var (error 'bad password ' + std.asciiUpper(…))
// printed the transformed value, which the redactor cannot recognise. Its
// text is withheld now, its file and line kept; an error that does not
// change with the value is shown as it was.
func TestErrorComputedFromSecretVar(t *testing.T) {
	t.Parallel()
	const value = "Winter2024!xyz"
	er := renderForms(t, computedRepo(t, "function(vars)\n  error 'bad password ' + std.asciiUpper(vars.PW)\n", ""), value)
	if er.Err == nil {
		t.Fatal("the program's error was not reported")
	}
	msg := er.Err.Error()
	if strings.Contains(msg, strings.ToUpper(value)) || strings.Contains(msg, "bad password") {
		t.Errorf("the message computed from the secret is shown:\n%s", msg)
	}
	if !strings.Contains(msg, "js/main.jsonnet:2: app js: the jsonnet program failed with a message that changes with the value of secret var PW; kiln does not show it") {
		t.Errorf("error:\n%s", msg)
	}

	er = renderForms(t, computedRepo(t, "function(vars)\n  error 'PW has ' + std.length(vars.PW) + ' characters'\n", ""), value)
	if er.Err == nil || !strings.Contains(er.Err.Error(), "PW has 14 characters") {
		t.Errorf("an error that does not change with the value is not shown: %v", er.Err)
	}
}

// TestComputedErrorShowsNoValue: the error about a value computed from a
// secret var named the field by its path, and the object by its name,
// and a computed key or name is the value itself (data.WINTER2024!XYZ,
// ConfigMap/winter). Such parts are named by their place now.
func TestComputedErrorShowsNoValue(t *testing.T) {
	t.Parallel()
	const value = "Winter2024!xyz"
	for name, program := range map[string]string{
		"key":       "function(vars) [{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'cm'}, data: {[std.asciiUpper(vars.PW)]: 'x', plain: 'y'}}]\n",
		"name":      "function(vars) [{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: std.asciiUpper(vars.PW[0:6])}, data: {a: 'b'}}]\n",
		"namespace": "function(vars) [{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'cm', namespace: std.asciiUpper(vars.PW[0:6])}}]\n",
		"kind":      "function(vars) [{apiVersion: 'v1', kind: std.asciiUpper(vars.PW[0:6]), metadata: {name: 'cm'}}]\n",
		"shape":     "function(vars) [{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'cm'}, [std.asciiUpper(vars.PW[0:6])]: 'x'}]\n",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			er := renderForms(t, computedRepo(t, program, ""), value)
			if er.Err == nil {
				t.Fatal("a value computed from a secret var was written readable")
			}
			msg := er.Err.Error()
			if !strings.Contains(msg, "holds a value computed from secret var PW in ") {
				t.Errorf("error:\n%s", msg)
			}
			for _, l := range []string{"WINTER", "winter"} {
				if strings.Contains(msg, l) {
					t.Errorf("the error shows %q:\n%s", l, msg)
				}
			}
		})
	}
}

// TestComputedFromNonASCIISecretVar: the other value rotated only ASCII
// letters and digits, so a slice of a password's letters of another
// script was the same in both renders and written readable.
func TestComputedFromNonASCIISecretVar(t *testing.T) {
	t.Parallel()
	er := renderForms(t, computedRepo(t, "function(vars) [{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'cm'}, data: {s: std.substr(vars.PW, 0, 6)}}]\n", ""), "Пароль-Ünïcödé")
	if er.Err == nil || !strings.Contains(er.Err.Error(), "ConfigMap/cm: holds a value computed from secret var PW in data.s") {
		t.Fatalf("a slice of a non-ASCII secret var was not refused: %v", er.Err)
	}
	if strings.Contains(er.Err.Error(), "Пароль") {
		t.Errorf("the error shows the value: %v", er.Err)
	}
}

// TestComputedFromJSONSecretVar: a JSON secret var (a service account's
// key) was rotated whole, keys included, so a program reading a field of
// it failed with the other value and what it computed from the field
// went readable into a ConfigMap, unchecked.
func TestComputedFromJSONSecretVar(t *testing.T) {
	t.Parallel()
	const value = `{"client_email": "ci@acme.example", "private_key": "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"}`
	er := renderForms(t, computedRepo(t, "function(vars) [{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'cm'}, data: {k: std.asciiLower(std.parseJson(vars.PW).private_key)}}]\n", ""), value)
	if er.Err == nil || !strings.Contains(er.Err.Error(), "ConfigMap/cm: holds a value computed from secret var PW in data.k") {
		t.Fatalf("a value computed from a field of a JSON secret var was not refused: %v", er.Err)
	}
	if strings.Contains(er.Err.Error(), "miiev") {
		t.Errorf("the error shows the value: %v", er.Err)
	}
}

// TestComputedFromSymbolsSecretVar: a secret var of symbols only was
// its own other value, so nothing was checked and a slice of it went
// readable into a ConfigMap.
func TestComputedFromSymbolsSecretVar(t *testing.T) {
	t.Parallel()
	er := renderForms(t, computedRepo(t, "function(vars) [{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'cm'}, data: {s: std.substr(vars.PW, 1, 8)}}]\n", ""), "!@#$%^&*()")
	if er.Err == nil || !strings.Contains(er.Err.Error(), "ConfigMap/cm: holds a value computed from secret var PW in data.s") {
		t.Fatalf("a slice of a secret var of symbols was not refused: %v", er.Err)
	}
}

// TestComputedRenderStopped: a program that runs long only with the other
// values of the secret vars made the deadline end in the second render,
// which said nothing of it: the run was reported stopped while validating
// the app. It is reported stopped while rendering it, the second render
// named.
func TestComputedRenderStopped(t *testing.T) {
	t.Parallel()
	program := `function(vars)
  local r = std.range(1, 100000);
  local n = if vars.PW[0] == '5' then std.foldl(function(a, i) a + std.foldl(function(b, j) b + j, r, 0), r, 0) else 0;
  [{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'cm'}, data: {n: std.toString(n)}}]
`
	opts := testOptions()
	opts.LookupEnv = func(k string) (string, bool) { return "0winter", k == "TEST_PW" }
	r, err := render.New(load(t, computedRepo(t, program, "")), opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	results, err := r.Render(ctx, []string{"dev"})
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "env dev: stopped while rendering app js") {
		t.Fatalf("got %v, want the render stopped while rendering app js", err)
	}
	if len(results) == 0 || results[0].Err == nil || !strings.Contains(results[0].Err.Error(), "in the second render of the app, with other values of secret var PW") {
		t.Errorf("the app's error does not name the second render: %v", results)
	}
}

// TestComputedWithObjectsOfTheOtherValues: a program that gave one object
// more with the other values of the secret vars had none of its objects
// checked, matched by index: a value computed from the secret went
// readable into a ConfigMap. Objects are matched by their identity then.
func TestComputedWithObjectsOfTheOtherValues(t *testing.T) {
	t.Parallel()
	program := `function(vars)
  [{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'cm'}, data: {upper: std.asciiUpper(vars.PW), plain: 'x'}}] +
  (if std.startsWith(vars.PW, 'W') then [] else [{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'extra'}}])
`
	er := renderForms(t, computedRepo(t, program, ""), "Winter2024!xyz")
	if er.Err == nil || !strings.Contains(er.Err.Error(), "ConfigMap/cm: holds a value computed from secret var PW in data.upper:") {
		t.Fatalf("a value computed from a secret var was not refused: %v", er.Err)
	}
}

// TestComputedTypeOfValue: a value whose type alone changes with the
// secret (1 or "1") passed, the same text in both renders.
func TestComputedTypeOfValue(t *testing.T) {
	t.Parallel()
	program := "function(vars) [{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'cm'}, data: {a: 'b'}, x: if std.startsWith(vars.PW, 'W') then 1 else '1'}]\n"
	er := renderForms(t, computedRepo(t, program, ""), "Winter2024!xyz")
	if er.Err == nil || !strings.Contains(er.Err.Error(), "ConfigMap/cm: holds a value computed from secret var PW in x:") {
		t.Fatalf("a value whose type changes with the secret was not refused: %v", er.Err)
	}
}

// TestComputedOutputPathShowsNoValue: an object twice in a jsonnet app's
// output is named by its place in the output, and a place keyed by a
// value computed from a secret var (an upper-cased password) showed that
// value, which no redactor recognises. A place that changes with the
// secret values is left out of the message; the file and line remain.
func TestComputedOutputPathShowsNoValue(t *testing.T) {
	t.Parallel()
	const value = "Winter2024!xyz"
	program := "function(vars)\n  local cm = {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'cm'}};\n" +
		"  {[std.asciiUpper(vars.PW)]: cm, plain: cm}\n"
	er := renderForms(t, computedRepo(t, program, ""), value)
	if er.Err == nil {
		t.Fatal("an object twice in the output was not refused")
	}
	msg := er.Err.Error()
	if strings.Contains(msg, "WINTER") {
		t.Errorf("the error shows the computed value:\n%s", msg)
	}
	if !strings.Contains(msg, "produced twice by this app") || !strings.Contains(msg, "jsonnet output at plain") {
		t.Errorf("error:\n%s", msg)
	}
}
