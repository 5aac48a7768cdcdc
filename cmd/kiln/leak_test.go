package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/redact"
)

// leakRepo has four envs rendering the same jsonnet app: dev renders a
// Secret holding the secret var PW (allowPlainSecrets), gate also puts it,
// base64- and JSON-encoded, into a ConfigMap (refused), fail makes the
// template fail with the value in its error message, and name makes it the
// name of an object of a kind kiln does not know (an error naming the
// object, and a warning), and part of the name of another, longer than
// errors show a name (diag.MaxName), cut inside the value.
func leakRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	env := func(mode string) string {
		return "vars:\n  MODE: " + mode + "\nsecretVars:\n  PW: TEST_PW\nallowPlainSecrets: true\n"
	}
	for name, content := range map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\n  - name: gate\n  - name: fail\n" +
			"  - name: name\n" +
			"apps:\n  - name: js\n    namespace: x\n    jsonnet: main.jsonnet\n",
		"envs/dev.yaml":  env("ok"),
		"envs/name.yaml": env("name"),
		"envs/gate.yaml": env("gate"),
		"envs/fail.yaml": env("fail"),
		"main.jsonnet": fmt.Sprintf(`function(vars)
  if vars.MODE == 'fail' then error 'cannot use ' + vars.PW + ' b64 ' + std.base64(vars.PW) + ' json ' + std.manifestJsonMinified({pw: vars.PW})
  else [{apiVersion: 'v1', kind: 'Secret', metadata: {name: 'creds'}, stringData: {pw: vars.PW}}] +
    (if vars.MODE == 'gate' then [{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'leak'},
      data: {b: std.base64(vars.PW), j: std.manifestJson({pw: vars.PW}), h: std.escapeStringXML(vars.PW)}}] else []) +
    (if vars.MODE == 'name' then [{apiVersion: 'example.com/v1', kind: 'Foo', metadata: {name: vars.PW}},
      {apiVersion: 'example.com/v1', kind: 'Foo', metadata: {name: std.repeat('a', %d) + vars.PW + std.repeat('b', 100000)}}] else [])
`, diag.MaxName-6),
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestNoSinkLeaks drives every command that renders, in text and JSON,
// inside GitHub Actions, with a secret var in several forms reaching
// errors, the gate, files and diffs, and greps every byte it produced:
// stdout, stderr (but the ::add-mask:: lines), the job summary, the step
// outputs and the written trees. A new sink that bypasses the redactor
// fails here.
func TestNoSinkLeaks(t *testing.T) {
	t.Parallel()
	const value, previous = "P@ss<w0rd>&1", "0ld-r0tated-Value!"
	repo := leakRepo(t)
	config := filepath.Join(repo, "kiln.yaml")
	both := redact.New(map[string]string{"PW": value, "OLD": previous})

	// The tree of dev as rendered before the secret was rotated.
	prev := t.TempDir()
	renderWithPW(t, config, previous, prev)

	out := t.TempDir()
	for _, args := range [][]string{
		{"render", "--config", config, "--all", "--out", filepath.Join(out, "text")},
		{"render", "--config", config, "--all", "--out", filepath.Join(out, "json"), "--output", "json"},
		{"render", "--config", config, "--env", "dev", "--out", filepath.Join(out, "strict"), "--strict"},
		{"validate", "--config", config, "--all"},
		{"validate", "--config", config, "--all", "--output", "json"},
		{"diff", "--config", config, "--env", "dev", "--against", prev},
		{"diff", "--config", config, "--env", "dev", "--against", prev, "--output", "json"},
		{"graph", "--config", config, "--env", "dev"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			ws := t.TempDir()
			summary, output := filepath.Join(ws, "summary.md"), filepath.Join(ws, "output")
			lookup := inActions(map[string]string{"TEST_PW": value, "GITHUB_STEP_SUMMARY": summary, "GITHUB_OUTPUT": output, "GITHUB_WORKSPACE": repo})
			stdout, stderr, _ := runLeak(t, lookup, nil, args...)
			var shown []string
			masks, other := 0, false
			for _, l := range strings.SplitAfter(stderr, "\n") {
				if strings.HasPrefix(l, "::add-mask::") {
					masks++
					if other {
						t.Errorf("::add-mask:: after another line: %q\n%s", l, stderr)
					}
					continue
				}
				if l != "" {
					other = true
				}
				shown = append(shown, l)
			}
			if masks == 0 && args[0] != "graph" {
				t.Error("no ::add-mask:: line")
			}
			sinks := map[string]string{"stdout": stdout, "stderr": strings.Join(shown, ""),
				"summary": readIf(t, summary), "output": readIf(t, output)}
			for name, text := range sinks {
				if found := both.Found(text); found != nil {
					t.Errorf("%s shows %v:\n%s", name, found, text)
				}
				// A spelling no form covers, such as the job summary's
				// markdown escaping ("P@ss\<w0rd\>\&1"), still holds
				// the value's plain middle; a long name cut for showing,
				// its start.
				for _, piece := range []string{"w0rd", "r0tated", "P@ss"} {
					if strings.Contains(text, piece) {
						t.Errorf("%s shows a piece of a value, %q:\n%s", name, piece, text)
					}
				}
			}
		})
	}
	// The written trees: only the allowed Secret holds the value.
	err := filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if found := both.FoundBytes(data); found != nil && filepath.Base(p) != "secret_creds.yaml" {
			t.Errorf("%s holds %v", p, found)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// renderWithPW renders env dev of config into out with the secret var
// TEST_PW set to pw: the tree as it was before the secret was rotated.
func renderWithPW(t *testing.T, config, pw, out string) {
	t.Helper()
	if _, stderr, code := runLeak(t, func(k string) (string, bool) {
		if k == "TEST_PW" {
			return pw, true
		}
		return "", false
	}, nil,
		"render", "--config", config, "--env", "dev", "--out", out); code != exitOK {
		t.Fatalf("rendering the previous tree: exit %d\n%s", code, stderr)
	}
}

// runLeak runs kiln as main does: errors reported through the app's
// redacting stderr, everything flushed.
func runLeak(t *testing.T, lookup env, _ []string, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	app := newApp(&stdout, &stderr, lookup, "test")
	err := runApp(context.Background(), app, append([]string{"kiln"}, args...))
	s := sinksOf(app)
	code := report(s.stderr, err)
	s.flush()
	return stdout.String(), stderr.String(), code
}

func readIf(t *testing.T, p string) string {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(data)
}

// TestEngineErrorsShowNoInputValue drives validate through every sink, in
// GitHub Actions, on apps whose engines fail on a value no redactor knows:
// a Helm values file's password given to tpl, a secretGenerator whose
// literal next to a malformed one is a password, an env file's Helm value
// under a wrong tag. The errors reach stderr, JSON, annotations and the job
// summary; none of them shows the values.
func TestEngineErrorsShowNoInputValue(t *testing.T) {
	t.Parallel()
	repo := t.TempDir()
	writeFiles(t, repo, map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\n  - name: qa\napps:\n" +
			"  - name: chart\n    namespace: x\n    helm: {chart: c, values: [values.yaml]}\n" +
			"  - name: kust\n    namespace: x\n    kustomize: k\n",
		"envs/qa.yaml":         "apps:\n  chart:\n    values: {pw: !!int Qa-Sup3rS3cret}\n",
		"values.yaml":          "pw: 'Chart-Sup3r{{S3cret'\n",
		"c/Chart.yaml":         "apiVersion: v2\nname: c\nversion: 0.1.0\n",
		"c/templates/s.yaml":   "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {pw: {{ tpl .Values.pw . | quote }}}\n",
		"k/kustomization.yaml": "secretGenerator:\n- name: s\n  literals: [password=Kust-Sup3rS3cret, oops]\n",
	})
	for _, args := range [][]string{
		{"validate", "--config", filepath.Join(repo, "kiln.yaml"), "--all"},
		{"validate", "--config", filepath.Join(repo, "kiln.yaml"), "--all", "--output", "json"},
	} {
		t.Run(strings.Join(args[3:], " "), func(t *testing.T) {
			ws := t.TempDir()
			summary := filepath.Join(ws, "summary.md")
			lookup := inActions(map[string]string{"GITHUB_STEP_SUMMARY": summary, "GITHUB_WORKSPACE": repo})
			stdout, stderr, code := runLeak(t, lookup, nil, args...)
			if code != exitFailure {
				t.Errorf("exit %d, want %d", code, exitFailure)
			}
			all := stdout + stderr + readIf(t, summary)
			for _, want := range []string{"tpl: the string it was given does not parse", "a literal is not key=value", "cannot decode !!str `**redacted**` as a !!int"} {
				if !strings.Contains(all, want) {
					t.Errorf("no %q in the output:\n%s", want, all)
				}
			}
			if strings.Contains(all, "S3cret") {
				t.Errorf("a value is shown:\n%s", all)
			}
		})
	}
}

// TestCutErrorShowsNoValue: a chart's fail message over 4 KiB is cut
// between words before render learns the values of the env's Secrets,
// and a value holding blanks and quotes can be cut in two there; what is
// left of it is masked in every sink, wherever the cut falls.
func TestCutErrorShowsNoValue(t *testing.T) {
	t.Parallel()
	repo := t.TempDir()
	files := map[string]string{
		"values.yaml":        "pw: 'correct horse \"battery\" staple'\n",
		"c/Chart.yaml":       "apiVersion: v2\nname: c\nversion: 0.1.0\n",
		"c/templates/x.yaml": "{{ fail (printf \"%s %s\" (repeat (int .Values.pad) \"x\") (toJson (dict \"pw\" .Values.pw))) }}\n",
		"s/secret.yaml":      "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {pw: 'correct horse \"battery\" staple'}\n",
	}
	pipeline := "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n"
	// "chart refused to render: ", the padding, ` {"pw":"`: cuts at 4 KiB
	// fall inside the value's JSON spelling.
	for pad := 4034; pad <= 4058; pad += 4 {
		env := fmt.Sprintf("p%d", pad)
		pipeline += "  - name: " + env + "\n"
		files["envs/"+env+".yaml"] = fmt.Sprintf("apps:\n  chart:\n    values: {pad: %d}\n", pad)
	}
	files["kiln.yaml"] = pipeline + "apps:\n  - name: chart\n    namespace: x\n    helm: {chart: c, values: [values.yaml]}\n" +
		"  - name: s\n    namespace: x\n    yaml: s\n"
	writeFiles(t, repo, files)
	ws := t.TempDir()
	summary := filepath.Join(ws, "summary.md")
	lookup := inActions(map[string]string{"GITHUB_STEP_SUMMARY": summary})
	for _, format := range []string{"text", "json"} {
		stdout, stderr, code := runLeak(t, lookup, nil, "validate", "--config", filepath.Join(repo, "kiln.yaml"), "--all", "--output", format)
		if code != exitFailure {
			t.Errorf("%s: exit %d, want %d", format, code, exitFailure)
		}
		all := stdout + stderr + readIf(t, summary)
		if n := strings.Count(all, "more bytes of the message"); n < 7 {
			t.Errorf("%s: %d cut messages, want one an env:\n%s", format, n, all)
		}
		for _, piece := range []string{"correct", "horse", "battery"} {
			if strings.Contains(all, piece) {
				t.Errorf("%s: a piece of the value, %q, is shown:\n%s", format, piece, all)
			}
		}
	}
}

// TestEngineErrorsShowCode drives validate on errors whose operands are
// code (the name of a template include does not find, a plain var in the
// paths an import was looked for), next to a secret var and a values
// value in the same errors: the code is shown, the values are not.
func TestEngineErrorsShowCode(t *testing.T) {
	t.Parallel()
	repo := t.TempDir()
	writeFiles(t, repo, map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\napps:\n" +
			"  - name: chart\n    namespace: x\n    helm: {chart: c}\n" +
			"  - name: named\n    namespace: x\n    helm: {chart: n}\n" +
			"  - name: lib\n    namespace: x\n    jsonnet: {file: j/main.jsonnet}\n" +
			"  - name: pw\n    namespace: x\n    jsonnet: {file: p/main.jsonnet}\n",
		"envs/dev.yaml":       "vars: {LIB_DIR: jlib}\nsecretVars: {PW: TEST_PW}\n",
		"c/Chart.yaml":        "apiVersion: v2\nname: c\nversion: 0.1.0\n",
		"c/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels: {{ include \"c.labels\" . | nindent 4 }}\n",
		"n/Chart.yaml":        "apiVersion: v2\nname: n\nversion: 0.1.0\n",
		"n/values.yaml":       "name: Values-Sup3rS3cret\n",
		"n/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels: {{ include .Values.name . | nindent 4 }}\n",
		"j/main.jsonnet":      "import 'jlib/k.libsonnet'\n",
		"p/main.jsonnet":      "error 'cannot connect with ' + std.extVar('vars').PW\n",
	})
	lookup := func(k string) (string, bool) {
		if k == "TEST_PW" {
			return "Var-Sup3rS3cret", true
		}
		return "", false
	}
	_, stderr, code := runLeak(t, lookup, nil, "validate", "--config", filepath.Join(repo, "kiln.yaml"), "--all")
	if code != exitFailure {
		t.Errorf("exit %d, want %d", code, exitFailure)
	}
	for _, want := range []string{
		`error calling include: template: no template "c.labels" associated with template "gotpl"`,
		`error calling include: template: no template "**redacted**" associated with template "gotpl"`,
		"looked for j/jlib/k.libsonnet",
		"cannot connect with ",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("no %q in the output:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "S3cret") {
		t.Errorf("a value is shown:\n%s", stderr)
	}
}

// TestSecretKeyShowsNoValue: a secretGenerator .env line without '='
// would become one Secret key, value and all: such a line is an error at
// its line that does not quote it, a name and value as well as a password
// alone. A Secret's invalid key from elsewhere is named by its position
// and line, never by any piece of it: a passphrase's first word is a
// piece of the passphrase.
func TestSecretKeyShowsNoValue(t *testing.T) {
	t.Parallel()
	const pipeline = "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\napps:\n"
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  string
		count int
	}{
		{name: "env file", files: map[string]string{
			"kiln.yaml":            pipeline + "  - name: envfile\n    namespace: x\n    kustomize: e\n",
			"e/kustomization.yaml": "secretGenerator:\n- name: s\n  envs: [secret.env]\n",
			"e/secret.env":         "PASSWORD Env-Sup3rS3cret\nEnvSup3rS3cretAlone!\nUSER=admin\n",
		}, want: "secretGenerator s: a line is not KEY=value", count: 2},
		{name: "key", files: map[string]string{
			"kiln.yaml":     pipeline + "  - name: plain\n    namespace: x\n    yaml: y\n",
			"y/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: k}\nstringData:\n  'KeySup3rS3cret!': x\n  'S3cretWord rest of passphrase': y\n",
		}, want: `Invalid value: key `, count: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			repo := t.TempDir()
			writeFiles(t, repo, tc.files)
			for format, all := range failedValidations(t, repo) {
				want := tc.want
				if format == "text" {
					want = strings.ReplaceAll(want, `\"`, `"`)
				}
				if n := strings.Count(all, want); n < tc.count {
					t.Errorf("%s: %d errors with %s, want %d:\n%s", format, n, want, tc.count, all)
				}
				if strings.Contains(all, "S3cret") {
					t.Errorf("%s: the value is shown:\n%s", format, all)
				}
			}
		})
	}
}

// TestCopiedSecretValueNotShown: a replacement or a template copies a
// Secret's value into a field validation refuses. The value came from a
// secretGenerator literal or a values file, which no redactor knows by
// name, yet the API server's message quotes it ("Invalid value: …"). The
// error keeps its words and location with the value masked, in its plain
// and its base64 form, and in the base64 kustomize breaks into lines of 70
// characters, as it writes a value of more than 52 bytes: whole, and after
// the text a replacement's delimiter keeps before it on its first line.
func TestCopiedSecretValueNotShown(t *testing.T) {
	t.Parallel()
	repo := t.TempDir()
	const kust, chart = "Kust-Sup3rS3cret", "Chart-Sup3rS3cret"
	token := "Token-Sup3rS3cret-" + strings.Repeat("0123456789", 10)
	wrapped := base64.StdEncoding.EncodeToString([]byte(token))
	writeFiles(t, repo, map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\napps:\n" +
			"  - name: kust\n    namespace: x\n    kustomize: k\n" +
			"  - name: chart\n    namespace: x\n    helm: {chart: c}\n",
		"k/kustomization.yaml": "resources: [cm.yaml]\nsecretGenerator:\n- name: s\n  literals: [password=" + kust + ", token=" + token + "]\n" +
			"replacements:\n- source: {kind: Secret, fieldPath: data.password}\n  targets:\n  - select: {kind: ConfigMap}\n    fieldPaths: [metadata.labels.pw]\n" +
			"- source: {kind: Secret, fieldPath: data.token}\n  targets:\n  - select: {kind: ConfigMap}\n    fieldPaths: [metadata.labels.token]\n" +
			"  - select: {kind: ConfigMap}\n    fieldPaths: [metadata.labels.app]\n    options: {delimiter: '-', index: 1}\n",
		"k/cm.yaml":           "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  labels: {pw: x, token: x, app: app-x}\n",
		"c/Chart.yaml":        "apiVersion: v2\nname: c\nversion: 0.1.0\n",
		"c/values.yaml":       "pw: " + chart + "!\n",
		"c/templates/s.yaml":  "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {pw: {{ .Values.pw | quote }}}\n",
		"c/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  labels: {pw: {{ .Values.pw | quote }}}\n",
	})
	for format, all := range failedValidations(t, repo) {
		// The token's labels are too long as well as invalid: two errors
		// each.
		if n := strings.Count(all, `field \"metadata.labels\": Invalid value: \"**redacted**`) + strings.Count(all, `field "metadata.labels": Invalid value: "**redacted**`); n != 6 {
			t.Errorf("%s: %d masked label errors, want 6:\n%s", format, n, all)
		}
		// Each line of the token's base64 on its own: its first, its
		// second, its last.
		for _, v := range []string{kust, chart, base64.StdEncoding.EncodeToString([]byte(kust)), wrapped[:20], wrapped[70:90], wrapped[140:]} {
			if strings.Contains(all, v) || strings.Contains(all, "S3cret") {
				t.Errorf("%s: a value is shown:\n%s", format, all)
			}
		}
	}
}

// failedValidations runs kiln validate on the repository at repo, as text
// and as JSON, with no environment, expects each to fail, and returns
// what each printed (stdout and stderr) by format.
func failedValidations(t *testing.T, repo string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, format := range []string{"text", "json"} {
		stdout, stderr, code := runLeak(t, func(string) (string, bool) { return "", false }, nil,
			"validate", "--config", filepath.Join(repo, "kiln.yaml"), "--output", format)
		if code != exitFailure {
			t.Errorf("%s: exit %d, want %d", format, code, exitFailure)
		}
		out[format] = stdout + stderr
	}
	return out
}

// TestPastedSecretVarNameNotShown: users paste the secret itself where
// secretVars wants an environment variable's name. Unset, it is an error
// that names the place (secretVars.DB_PASSWORD) and never the text, in
// every sink of a simulated GitHub Actions job: the log, the annotations,
// the job summary and --output json.
func TestPastedSecretVarNameNotShown(t *testing.T) {
	t.Parallel()
	const pasted = "Xk9pLm2Qz7Pasted"
	repo := t.TempDir()
	writeFiles(t, repo, map[string]string{
		"kiln.yaml":     "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\napps:\n  - name: plain\n    namespace: x\n    yaml: y\n",
		"y/cm.yaml":     "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n",
		"envs/dev.yaml": "secretVars:\n  DB_PASSWORD: " + pasted + "\n",
	})
	config := filepath.Join(repo, "kiln.yaml")
	for _, args := range [][]string{
		{"render", "--config", config, "--env", "dev", "--out", filepath.Join(t.TempDir(), "out")},
		{"validate", "--config", config, "--env", "dev", "--output", "json"},
	} {
		ws := t.TempDir()
		summary, output := filepath.Join(ws, "summary.md"), filepath.Join(ws, "output")
		lookup := inActions(map[string]string{"GITHUB_STEP_SUMMARY": summary, "GITHUB_OUTPUT": output, "GITHUB_WORKSPACE": repo})
		stdout, stderr, code := runLeak(t, lookup, nil, args...)
		if code == exitOK {
			t.Fatalf("%s: exit 0 with an unset secret var", args[0])
		}
		all := stdout + stderr + readIf(t, summary) + readIf(t, output)
		if strings.Contains(all, pasted) {
			t.Errorf("%s: the pasted secret is shown:\n%s", args[0], all)
		}
		if !strings.Contains(all, "secretVars.DB_PASSWORD") {
			t.Errorf("%s: the error does not name the place:\n%s", args[0], all)
		}
	}
}

// inActions is the environment of a GitHub Actions step: GITHUB_ACTIONS
// set, and vars.
func inActions(vars map[string]string) env {
	return func(k string) (string, bool) {
		if k == "GITHUB_ACTIONS" {
			return "true", true
		}
		v, ok := vars[k]
		return v, ok
	}
}

// TestCopiedSecretValueNotShownWhere: a Secret's value a replacement or a
// template copied into an object's name or a map's key, which validation
// refuses. A render that passes never writes such a name or key, so the
// file, the object and the field path of the error, which keep a Secret's
// value that could be a name (database: nginx), mask this one as the
// message does, in every sink.
func TestCopiedSecretValueNotShownWhere(t *testing.T) {
	t.Parallel()
	repo := t.TempDir()
	const kust, chart = "Kust-Sup3rS3cret", "Chart_Sup3rS3cret!"
	writeFiles(t, repo, map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\napps:\n" +
			"  - name: kust\n    namespace: x\n    kustomize: k\n" +
			"  - name: chart\n    namespace: x\n    helm: {chart: c}\n",
		"k/kustomization.yaml": "resources: [cm.yaml]\nsecretGenerator:\n- name: s\n  literals: [password=" + kust + "]\n" +
			"replacements:\n- source: {kind: Secret, fieldPath: data.password}\n  targets:\n  - select: {kind: ConfigMap}\n    fieldPaths: [metadata.name]\n",
		"k/cm.yaml":           "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata: {a: b}\n",
		"c/Chart.yaml":        "apiVersion: v2\nname: c\nversion: 0.1.0\n",
		"c/values.yaml":       "pw: " + chart + "\n",
		"c/templates/s.yaml":  "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {pw: {{ .Values.pw | quote }}}\n",
		"c/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  labels: {{ dict .Values.pw \"x\" | toJson }}\n",
	})
	for format, all := range failedValidations(t, repo) {
		if !strings.Contains(all, "Invalid value") {
			t.Errorf("%s: no validation error:\n%s", format, all)
		}
		for _, v := range []string{kust, chart, base64.StdEncoding.EncodeToString([]byte(kust)), "Sup3rS3cret"} {
			if strings.Contains(all, v) {
				t.Errorf("%s: a value is shown:\n%s", format, all)
			}
		}
	}
}
