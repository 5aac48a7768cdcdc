package render_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/redact"
	"github.com/kiln-gitops/kiln/render"
)

// formsRepo is a repository whose jsonnet app writes the secret var PW in
// every form jsonnet can produce, one ConfigMap per form, and whose yaml
// app substitutes it into a JSON document and a comment.
func formsRepo(t *testing.T, allow, plain bool) string {
	t.Helper()
	dir := t.TempDir()
	env := "vars:\n  USER: admin\nsecretVars:\n  PW: TEST_PW\n"
	if allow {
		env += "allowPlainSecrets: true\n"
	}
	files := map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\n" +
			"apps:\n  - name: js\n    namespace: forms\n    jsonnet: js/main.jsonnet\n  - name: plain\n    namespace: forms\n    yaml: plain\n",
		"envs/dev.yaml": env,
		"js/main.jsonnet": `function(vars) [
  {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: f.name}, data: {v: f.v}}
  for f in [
    {name: 'raw', v: 'pw=' + vars.PW},
    {name: 'base64', v: std.base64(std.encodeUTF8(vars.PW))},
    {name: 'base64-env-file', v: std.base64(std.encodeUTF8('USER=admin\nPASSWORD=' + vars.PW + '\n'))},
    {name: 'manifest-json', v: std.manifestJson({password: vars.PW})},
    {name: 'manifest-json-minified', v: std.manifestJsonMinified({password: vars.PW})},
    {name: 'manifest-yaml', v: std.manifestYamlDoc({password: vars.PW})},
    {name: 'json-in-json', v: std.manifestJsonMinified({config: std.manifestJsonMinified({password: vars.PW})})},
    {name: 'bash', v: std.escapeStringBash(vars.PW)},
    {name: 'xml', v: std.escapeStringXML(vars.PW)},
    {name: 'dollars', v: std.escapeStringDollars(vars.PW)},
    {name: 'hex', v: std.join('', [std.format('%02x', b) for b in std.encodeUTF8(vars.PW)])},
    {name: 'md5', v: std.md5(vars.PW)},
    {name: 'sha256', v: std.sha256(vars.PW)},
    {name: 'lines', v: std.join('\n', ['  ' + l for l in std.split(vars.PW, '\n')])},
    {name: 'docker-config', v: std.base64(std.manifestJsonMinified({auths: {'ghcr.io': {auth: std.base64('kiln-bot:' + vars.PW)}}}))},
  ]
] + [
  {apiVersion: 'v1', kind: 'Secret', metadata: {name: 'creds'}, data: {password: std.base64(std.encodeUTF8(vars.PW))}, stringData: {raw: vars.PW}},
]
`,
		// The yaml engine leaves the comments of a document YAML reads
		// as written (as Flux never sees them); the [${USER}] makes this
		// one YAML only once substituted, so its comment is substituted
		// as text and the gate must look at comments.
		"plain/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain-json\n  # rotated on ${PW}\ndata:\n  config.json: '{\"user\": \"${USER}\"}'\n  users: [${USER}]\n",
	}
	if !plain {
		// A value of several lines cannot be substituted into a YAML
		// comment without breaking the file.
		files["plain/cm.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain-json\n"
	}
	for name, content := range files {
		writeFile(t, filepath.Join(dir, name), content)
	}
	return dir
}

// secretValues are values that exercise JSON's HTML-safe escapes, tabs,
// several lines and a dictionary word.
var secretValues = map[string]string{
	"html-ish":  "P@ss<w0rd>&1",
	"tab":       "tab\tsecret",
	"dict word": "Winter2024!",
	"pem": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n" +
		"MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\n-----END PRIVATE KEY-----",
}

// TestGateFindsEveryForm is the values × forms table of the plain-secret
// gate with the real engines: every form is refused, naming the var and
// the object, never showing the value; allowPlainSecrets lets the Secret
// through and nothing else.
func TestGateFindsEveryForm(t *testing.T) {
	t.Parallel()
	forms := []string{"raw", "base64", "base64-env-file", "manifest-json", "manifest-json-minified", "manifest-yaml",
		"json-in-json", "bash", "xml", "dollars", "hex", "md5", "sha256", "lines", "docker-config"}
	for name, value := range secretValues {
		for _, allow := range []bool{false, true} {
			t.Run(name+map[bool]string{false: "", true: "/allowPlainSecrets"}[allow], func(t *testing.T) {
				t.Parallel()
				plain := !strings.Contains(value, "\n")
				er := renderForms(t, formsRepo(t, allow, plain), value)
				if er.Err == nil {
					t.Fatal("secret values in ConfigMaps were accepted")
				}
				msg := er.Err.Error()
				for _, f := range forms {
					if !strings.Contains(msg, "ConfigMap/forms/"+f+": contains the value of secret var PW") {
						t.Errorf("form %s not refused:\n%s", f, msg)
					}
				}
				if plain && !strings.Contains(msg, "ConfigMap/forms/plain-json: contains the value of secret var PW") {
					t.Errorf("the value in a comment was not refused:\n%s", msg)
				}
				if got := strings.Contains(msg, "Secret/forms/creds"); got == allow {
					t.Errorf("allowPlainSecrets=%v, but the Secret refused=%v:\n%s", allow, got, msg)
				}
				if found := redact.New(map[string]string{"PW": value}).Found(msg); found != nil {
					t.Errorf("the error shows the value:\n%s", msg)
				}
			})
		}
	}
}

func renderForms(t *testing.T, repo, value string) *render.EnvResult {
	t.Helper()
	opts := testOptions()
	opts.LookupEnv = func(k string) (string, bool) { return value, k == "TEST_PW" }
	r, err := render.New(load(t, repo), opts)
	if err != nil {
		t.Fatal(err)
	}
	results, err := r.Render(context.Background(), []string{"dev"})
	if err != nil {
		t.Fatal(err)
	}
	return results[0]
}

// TestLockHoldsNoSecretDigest: kiln.lock.json's input digests cover secret
// vars by name, so the lock is the same whatever the value (stable across
// runs, useless to a guesser), and no file of the tree holds a digest of
// the value. Before, Winter2024! was recovered from the lock offline.
func TestLockHoldsNoSecretDigest(t *testing.T) {
	t.Parallel()
	repo := t.TempDir()
	for name, content := range map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\n" +
			"apps:\n  - name: js\n    namespace: forms\n    jsonnet: js/main.jsonnet\n  - name: plain\n    namespace: forms\n    yaml: plain\n",
		"envs/dev.yaml":   "secretVars:\n  PW: TEST_PW\nallowPlainSecrets: true\n",
		"js/main.jsonnet": "function(vars) [{apiVersion: 'v1', kind: 'Secret', metadata: {name: 'js'}, stringData: {pw: vars.PW}}]\n",
		"plain/s.yaml":    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: plain\nstringData:\n  pw: ${PW}\n",
	} {
		writeFile(t, filepath.Join(repo, name), content)
	}
	locks := map[string][]byte{}
	for _, value := range []string{"Winter2024!", "Summer2025!"} {
		er := renderForms(t, repo, value)
		if er.Err != nil {
			t.Fatal(er.Err)
		}
		lock := er.Files["kiln.lock.json"]
		locks[value] = lock
		sum := sha256.Sum256([]byte(value))
		for p, data := range er.Files {
			if bytes.Contains(data, []byte(hex.EncodeToString(sum[:]))) {
				t.Errorf("%s holds the SHA-256 of the secret value", p)
			}
			if strings.HasPrefix(p, "high-level/") && bytes.Contains(data, []byte(value)) {
				t.Errorf("%s shows the secret value", p)
			}
		}
	}
	// The Secrets hold the value, as allowed, but no digest covers it:
	// the lock is the same for both values.
	if !bytes.Equal(locks["Winter2024!"], locks["Summer2025!"]) {
		t.Errorf("kiln.lock.json depends on the secret value:\n%s\n%s", locks["Winter2024!"], locks["Summer2025!"])
	}
}

// TestShortSecretWarns: a value under redact.MinLength is not searched for,
// and the render says so, naming the var and never the value.
func TestShortSecretWarns(t *testing.T) {
	t.Parallel()
	er := renderForms(t, formsRepo(t, true, false), "x9Q")
	var got []string
	for _, w := range er.Warnings {
		got = append(got, w.String())
	}
	all := strings.Join(got, "\n")
	if !strings.Contains(all, "secret var PW is shorter than 4 characters") || !strings.Contains(all, "envs/dev.yaml") {
		t.Errorf("no warning naming PW and its line:\n%s", all)
	}
	if strings.Contains(all, "x9Q") {
		t.Errorf("the warning shows the value:\n%s", all)
	}
}

// TestHighLevelMasksEverySecretVar: high-level/ shows the vars a yaml app
// used and the arguments a jsonnet file was given, each secret var masked
// by its name, however short its value: the redactor does not search for a
// value under redact.MinLength, and before, vars.yaml and args.json held
// such a secret in plain text (in an env with sops: too).
func TestHighLevelMasksEverySecretVar(t *testing.T) {
	t.Parallel()
	const pin = "x9Q"
	dir := writeProject(t, map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\napps:\n" +
			"  - name: plain\n    namespace: demo\n    yaml: plain\n" +
			"  - name: lib\n    namespace: demo\n    jsonnet: lib/main.jsonnet\n" +
			"  - name: fn\n    namespace: demo\n    jsonnet: fn/main.jsonnet\n",
		"envs/dev.yaml":     "vars:\n  MODE: fast\nsecretVars:\n  PIN: TEST_PIN\nallowPlainSecrets: true\n",
		"plain/cm.yaml":     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\ndata:\n  mode: ${MODE}\n",
		"plain/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: plain\nstringData:\n  pin: ${PIN}\n",
		"lib/main.jsonnet":  "[{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'lib'}, data: {mode: std.extVar('vars').MODE}}]\n",
		"fn/main.jsonnet":   "function(vars) [{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'fn'}, data: {mode: vars.MODE}}]\n",
	})
	opts := testOptions()
	opts.LookupEnv = func(k string) (string, bool) { return pin, k == "TEST_PIN" }
	er := renderAll(t, load(t, dir), opts)[0]
	if er.Err != nil {
		t.Fatal(er.Err)
	}
	for _, p := range []string{"high-level/plain/vars.yaml", "high-level/lib/args.json", "high-level/fn/args.json"} {
		data := er.Files[p]
		if !bytes.Contains(data, []byte(redact.Mask)) || !bytes.Contains(data, []byte("fast")) {
			t.Errorf("%s does not mask PIN or lacks MODE:\n%s", p, data)
		}
		if bytes.Contains(data, []byte(pin)) {
			t.Errorf("%s holds the secret var's value:\n%s", p, data)
		}
	}
}

// TestSecretVarReadAsCollectionRefused: a secret var substituted into a
// plain scalar whose value YAML reads as a list or a mapping (a JSON
// credential, a password starting with "[") becomes the collection's
// pieces, which are no form of the value: the gate passed the object and
// kiln wrote the secret readable, in a Deployment's args.
func TestSecretVarReadAsCollectionRefused(t *testing.T) {
	t.Parallel()
	const value = "[S3cretPart,Passw0rdPart]"
	dir := writeProject(t, map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\napps:\n" +
			"  - name: plain\n    namespace: demo\n    yaml: plain\n",
		"envs/dev.yaml": "secretVars:\n  PW: TEST_PW\n",
		"plain/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n" +
			"  selector:\n    matchLabels: {app: app}\n  template:\n    metadata:\n      labels: {app: app}\n" +
			"    spec:\n      containers:\n      - name: app\n        image: app:1\n        args: ${PW}\n",
	})
	opts := testOptions()
	opts.LookupEnv = func(k string) (string, bool) { return value, k == "TEST_PW" }
	er := renderAll(t, load(t, dir), opts)[0]
	for p, data := range er.Files {
		if bytes.Contains(data, []byte("S3cretPart")) || bytes.Contains(data, []byte("Passw0rdPart")) {
			t.Errorf("%s holds the secret var's pieces:\n%s", p, data)
		}
	}
	if er.Err == nil {
		t.Fatal("the secret var read as a list was accepted")
	}
	msg := er.Err.Error()
	if !strings.Contains(msg, "plain/deploy.yaml:15") || !strings.Contains(msg, "${PW}") {
		t.Errorf("the error does not name the placeholder and its line:\n%s", msg)
	}
	if strings.Contains(msg, "S3cretPart") || strings.Contains(msg, "Passw0rdPart") {
		t.Errorf("the error shows the value:\n%s", msg)
	}
}
