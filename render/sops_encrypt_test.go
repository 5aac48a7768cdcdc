package render_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/sopstest"
	"github.com/kiln-gitops/kiln/render"
)

// encryptRepo writes a repository whose dev env encrypts to recipient: a
// Secret takes the secret var DB_PASSWORD, a ConfigMap does not.
func encryptRepo(t *testing.T, recipient, extra string) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"kiln.yaml": `apiVersion: kiln/v1alpha1
kind: Pipeline
environments:
  - name: dev
apps:
  - name: db
    namespace: demo
    yaml: apps/db
`,
		"envs/dev.yaml": "secretVars:\n  DB_PASSWORD: TEST_DB_PASSWORD\nsops:\n  age: [" + recipient + "]\n",
		"apps/db/secret.yaml": `apiVersion: v1
kind: Secret
metadata:
  name: db
stringData:
  password: ${DB_PASSWORD}
  user: app
`,
		"apps/db/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: db-settings\ndata:\n  mode: fast\n" + extra,
	}
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const dbPassword = "s3cret-db-password-value"

// newIdentity is a new age key pair for a test.
func newIdentity(t *testing.T) *age.X25519Identity {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func encryptOptions(identity string, earlier map[string][]byte) render.Options {
	opts := checkOptions(false)
	opts.LookupEnv = func(k string) (string, bool) {
		if k == "TEST_DB_PASSWORD" {
			return dbPassword, true
		}
		return "", false
	}
	opts.SOPSIdentities = identity
	if earlier != nil {
		opts.Earlier = func(string) (map[string][]byte, error) { return earlier, nil }
	}
	return opts
}

// TestKilnEncrypts renders a Secret holding a secret var with sops: in the
// env file. The Secret is written encrypted, the value appears nowhere,
// Flux's way of decrypting gives it back, and the Kustomization decrypts.
// Rendering again with the age key changes no byte; without it the
// Secret's file changes and one warning says why.
func TestKilnEncrypts(t *testing.T) {
	t.Parallel()
	id := newIdentity(t)
	dir := encryptRepo(t, id.Recipient().String(), "")
	first := renderAll(t, load(t, dir), encryptOptions(id.String(), nil))[0]
	if first.Err != nil {
		t.Fatal(first.Err)
	}
	const secret = "apps/db/secret_db.yaml"
	for p, data := range first.Files {
		if bytes.Contains(sopstest.Readable(data), []byte(dbPassword)) {
			t.Errorf("%s holds the secret value", p)
		}
	}
	plain, err := sopstest.FluxDecrypt(first.Files[secret], id.String())
	if err != nil {
		t.Fatalf("Flux cannot decrypt %s: %v\n%s", secret, err, first.Files[secret])
	}
	if !strings.Contains(string(plain), `"password": "`+dbPassword+`"`) || !strings.Contains(string(plain), `"namespace": "demo"`) {
		t.Errorf("decrypted Secret = %s", plain)
	}
	if _, err := sopstest.Decrypt(first.Files[secret], id.String()); err != nil {
		t.Errorf("sops --decrypt (MAC checked): %v", err)
	}
	if !strings.Contains(string(first.Files["flux/db.yaml"]), "decryption:\n    provider: sops\n    secretRef:\n      name: sops-age\n") {
		t.Errorf("flux/db.yaml lacks decryption:\n%s", first.Files["flux/db.yaml"])
	}

	again := renderAll(t, load(t, dir), encryptOptions(id.String(), first.Files))[0]
	if again.Err != nil {
		t.Fatal(again.Err)
	}
	for p, data := range first.Files {
		if !bytes.Equal(again.Files[p], data) {
			t.Errorf("with the age key, re-rendering changed %s", p)
		}
	}
	if len(again.Warnings) != 0 {
		t.Errorf("with the age key: warnings %v", again.Warnings)
	}

	noKey := renderAll(t, load(t, dir), encryptOptions("", first.Files))[0]
	if noKey.Err != nil {
		t.Fatal(noKey.Err)
	}
	if bytes.Equal(noKey.Files[secret], first.Files[secret]) {
		t.Errorf("without the age key the Secret kept its bytes; it cannot know they are still right")
	}
	if _, err := sopstest.FluxDecrypt(noKey.Files[secret], id.String()); err != nil {
		t.Errorf("re-encrypted Secret: %v", err)
	}
	if len(noKey.Warnings) != 1 || !strings.Contains(noKey.Warnings[0].Msg, "encrypted anew") {
		t.Errorf("without the age key: warnings %v, want one about re-encrypting", noKey.Warnings)
	}
}

// TestSOPSKeepsOtherSecretVarsOut: a secret value outside a Secret cannot
// be encrypted and stays an error with sops: in the env file.
func TestSOPSKeepsOtherSecretVarsOut(t *testing.T) {
	t.Parallel()
	id := newIdentity(t)
	dir := encryptRepo(t, id.Recipient().String(), "  password: ${DB_PASSWORD}\n")
	var msgs []string
	for _, e := range diag.Flatten(renderAll(t, load(t, dir), encryptOptions("", nil))[0].Err) {
		msgs = append(msgs, e.Error())
	}
	got := strings.Join(msgs, "\n")
	if !strings.Contains(got, "apps/db/configmap.yaml") || !strings.Contains(got, "DB_PASSWORD") || strings.Contains(got, dbPassword) {
		t.Errorf("errors = %s; want the ConfigMap refused, naming DB_PASSWORD and not its value", got)
	}
}

// TestEncryptRefusesReadableLastApplied: a Secret kiln would encrypt that
// carries kubectl's last-applied-configuration annotation with its data
// is refused at the annotation: sops would encrypt stringData and leave
// the annotation's copy readable (here its user, which no secret var
// holds, so the check for secret values left readable would miss it).
func TestEncryptRefusesReadableLastApplied(t *testing.T) {
	t.Parallel()
	id := newIdentity(t)
	dir := encryptRepo(t, id.Recipient().String(), "")
	secret := "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  annotations:\n" +
		"    kubectl.kubernetes.io/last-applied-configuration: '{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"stringData\":{\"user\":\"svc-ledger-admin\"}}'\n" +
		"stringData:\n  password: ${DB_PASSWORD}\n  user: svc-ledger-admin\n"
	if err := os.WriteFile(filepath.Join(dir, "apps", "db", "secret.yaml"), []byte(secret), 0o644); err != nil {
		t.Fatal(err)
	}
	errs := diag.Flatten(renderAll(t, load(t, dir), encryptOptions("", nil))[0].Err)
	want := "apps/db/secret.yaml:6: app db: Secret/demo/db: this encrypted Secret's kubectl.kubernetes.io/last-applied-configuration annotation holds its data in the clear"
	if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), want) || strings.Contains(errs[0].Error(), "svc-ledger-admin") {
		t.Fatalf("errors = %v; want one starting %q, without the data", errs, want)
	}
}

// TestEncryptRefusesDecryptDisabled: a Secret kiln would encrypt that is
// annotated kustomize.toolkit.fluxcd.io/decrypt: disabled is refused at
// the annotation: kustomize-controller would apply kiln's ciphertext, sops
// field and all, which the API server refuses in a v1 Secret, and no
// decryption would be asked for it. It used to be encrypted, and the app
// never reconciled.
func TestEncryptRefusesDecryptDisabled(t *testing.T) {
	t.Parallel()
	id := newIdentity(t)
	dir := encryptRepo(t, id.Recipient().String(), "")
	secret := "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  annotations:\n    kustomize.toolkit.fluxcd.io/decrypt: disabled\n" +
		"stringData:\n  password: ${DB_PASSWORD}\n"
	if err := os.WriteFile(filepath.Join(dir, "apps", "db", "secret.yaml"), []byte(secret), 0o644); err != nil {
		t.Fatal(err)
	}
	errs := diag.Flatten(renderAll(t, load(t, dir), encryptOptions("", nil))[0].Err)
	want := "apps/db/secret.yaml:6: app db: Secret/demo/db: kiln would encrypt this Secret with SOPS (it holds the value of secret var DB_PASSWORD), " +
		"but its annotation kustomize.toolkit.fluxcd.io/decrypt: disabled tells kustomize-controller not to decrypt it"
	if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), want) || strings.Contains(errs[0].Error(), dbPassword) {
		t.Fatalf("errors = %v; want one starting %q", errs, want)
	}
}

// TestValidateAcceptsEncryptedSecrets: two renders encrypt a Secret
// differently (SOPS is randomised); validate compares plaintext with the
// key and everything but the ciphertext without it, and reports nothing.
func TestValidateAcceptsEncryptedSecrets(t *testing.T) {
	t.Parallel()
	id := newIdentity(t)
	dir := encryptRepo(t, id.Recipient().String(), "")
	for name, identity := range map[string]string{"with key": id.String(), "without key": ""} {
		r, err := render.New(load(t, dir), encryptOptions(identity, nil))
		if err != nil {
			t.Fatal(err)
		}
		results, err := r.Validate(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if results[0].Err != nil {
			t.Errorf("%s: validate: %v", name, results[0].Err)
		}
	}
}

// TestEncryptsSecretVarsAsYAMLReadsThem: a yaml app's secret var is
// substituted into text that YAML parses afterwards, so in a plain scalar
// the Secret holds the value trimmed; in a quoted one it holds the value
// as it is, escapes and quotes included, as Flux gives it (the engine
// escapes it for its quotes). Such a Secret is still encrypted, Flux
// decrypts it to that value, no file holds it readable, and the same value
// in a ConfigMap is refused. Before, kiln did not recognise the parsed
// value: it wrote the Secret unencrypted and let the ConfigMap through.
func TestEncryptsSecretVarsAsYAMLReadsThem(t *testing.T) {
	t.Parallel()
	id := newIdentity(t)
	tests := []struct {
		name, value, scalar, parsed string
	}{
		{name: "trailing blank", value: "s3cret-db-password \t", scalar: "${DB_PASSWORD}", parsed: "s3cret-db-password"},
		{name: "leading blank", value: " s3cret-db-password", scalar: "${DB_PASSWORD}", parsed: "s3cret-db-password"},
		{name: "escape in double quotes", value: `s3cret\x41db-password`, scalar: `"${DB_PASSWORD}"`, parsed: `s3cret\x41db-password`},
		{name: "quote in single quotes", value: "s3cret''db-password", scalar: "'${DB_PASSWORD}'", parsed: "s3cret''db-password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := encryptRepo(t, id.Recipient().String(), "")
			writeFile(t, filepath.Join(dir, "apps/db/secret.yaml"),
				"apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: "+tt.scalar+"\n  user: app\n")
			opts := encryptOptions(id.String(), nil)
			opts.LookupEnv = func(k string) (string, bool) { return tt.value, k == "TEST_DB_PASSWORD" }
			er := renderAll(t, load(t, dir), opts)[0]
			if er.Err != nil {
				t.Fatal(er.Err)
			}
			for p, data := range er.Files {
				if bytes.Contains(sopstest.Readable(data), []byte(tt.parsed)) {
					t.Errorf("%s holds the secret value readable:\n%s", p, data)
				}
			}
			plain, err := sopstest.FluxDecrypt(er.Files["apps/db/secret_db.yaml"], id.String())
			if err != nil {
				t.Fatalf("Flux cannot decrypt the Secret: %v", err)
			}
			quoted, _ := json.Marshal(tt.parsed)
			if want := `"password": ` + string(quoted); !strings.Contains(string(plain), want) {
				t.Errorf("decrypted Secret = %s, want %s", plain, want)
			}

			writeFile(t, filepath.Join(dir, "apps/db/configmap.yaml"),
				"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: db-settings\ndata:\n  mode: fast\n  password: "+tt.scalar+"\n")
			refused := renderAll(t, load(t, dir), opts)[0]
			if refused.Err == nil {
				t.Fatal("the secret value in a ConfigMap was accepted")
			}
			msg := refused.Err.Error()
			if !strings.Contains(msg, "ConfigMap/demo/db-settings: contains the value of secret var DB_PASSWORD") || strings.Contains(msg, tt.parsed) {
				t.Errorf("error = %s; want the ConfigMap refused, naming DB_PASSWORD and not its value", msg)
			}
		})
	}
}

// TestEncryptsShortSecretVars: a secret var shorter than redact.MinLength
// is not searched for (it would match everywhere), but a Secret whose value
// is exactly it, in stringData or base64 in data, is still encrypted in an
// env with sops:, and the short var is still warned about. Before, kiln
// wrote such a Secret readable, and into git, with only the warning.
func TestEncryptsShortSecretVars(t *testing.T) {
	t.Parallel()
	id := newIdentity(t)
	const short = "p4s"
	for name, secret := range map[string]string{
		"stringData":   "stringData:\n  password: ${DB_PASSWORD}\n  user: app\n",
		"data, base64": "data:\n  password: cDRz\n",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := encryptRepo(t, id.Recipient().String(), "")
			writeFile(t, filepath.Join(dir, "apps/db/secret.yaml"), "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n"+secret)
			opts := encryptOptions(id.String(), nil)
			opts.LookupEnv = func(k string) (string, bool) { return short, k == "TEST_DB_PASSWORD" }
			er := renderAll(t, load(t, dir), opts)[0]
			if er.Err != nil {
				t.Fatal(er.Err)
			}
			got := er.Files["apps/db/secret_db.yaml"]
			if !bytes.Contains(got, []byte("\nsops:\n")) || bytes.Contains(sopstest.Readable(got), []byte(short)) || bytes.Contains(sopstest.Readable(got), []byte("cDRz")) {
				t.Fatalf("the Secret holding the short secret var is not encrypted:\n%s", got)
			}
			plain, err := sopstest.FluxDecrypt(got, id.String())
			if err != nil {
				t.Fatalf("Flux cannot decrypt the Secret: %v", err)
			}
			if !strings.Contains(string(plain), `"password": "`) {
				t.Errorf("decrypted Secret = %s", plain)
			}
			if len(er.Warnings) != 1 || !strings.Contains(er.Warnings[0].Msg, "DB_PASSWORD is shorter than") {
				t.Errorf("warnings = %v, want the one about the short secret var", er.Warnings)
			}
			if !bytes.Contains(er.Files["flux/db.yaml"], []byte("provider: sops")) {
				t.Errorf("flux/db.yaml lacks decryption:\n%s", er.Files["flux/db.yaml"])
			}
			if bytes.Contains(er.Files["apps/db/configmap_db-settings.yaml"], []byte("sops:")) {
				t.Error("the ConfigMap was encrypted")
			}
		})
	}
}

// encValues are the ENC[…] values of a SOPS document, the MAC's included.
func encValues(doc []byte) []string {
	return regexp.MustCompile(`ENC\[AES256_GCM,[^\]]*\]`).FindAllString(string(doc), -1)
}

// TestChangedSecretGetsANewDataKey: the earlier tree a render keeps
// ciphertext from is a branch of the manifests repository (kiln/<env>, the
// manifests branch), which anyone who can push there writes. The data key
// of a document in it may be one the pusher chose and wrapped to the env's
// public recipients: reusing it for a changed value would hand them the
// new value (a rotated password), which they can then decrypt from the
// pull request. So a Secret whose plaintext changed is encrypted with a
// new data key, no ciphertext of the earlier file carried over; only an
// unchanged one keeps its bytes, whose values the earlier file's author
// knew already. Before, kiln kept the earlier data key and nonces.
func TestChangedSecretGetsANewDataKey(t *testing.T) {
	t.Parallel()
	id := newIdentity(t)
	dir := encryptRepo(t, id.Recipient().String(), "")
	const secret = "apps/db/secret_db.yaml"
	// The planted file: the env's Secret with a value its author chose,
	// "user: app" as it is, encrypted to the env's recipient.
	planted := encryptOptions(id.String(), nil)
	planted.LookupEnv = func(k string) (string, bool) { return "chosen-by-whoever-pushed", k == "TEST_DB_PASSWORD" }
	earlier := renderAll(t, load(t, dir), planted)[0]
	if earlier.Err != nil {
		t.Fatal(earlier.Err)
	}

	er := renderAll(t, load(t, dir), encryptOptions(id.String(), earlier.Files))[0]
	if er.Err != nil {
		t.Fatal(er.Err)
	}
	got := er.Files[secret]
	for _, v := range encValues(earlier.Files[secret]) {
		if bytes.Contains(got, []byte(v)) {
			t.Errorf("the changed Secret carries over the earlier file's ciphertext %s: its data key was reused", v)
		}
	}
	plain, err := sopstest.Decrypt(got, id.String())
	if err != nil {
		t.Fatalf("sops --decrypt (MAC checked): %v", err)
	}
	if !strings.Contains(string(plain), dbPassword) {
		t.Errorf("decrypted Secret = %s", plain)
	}

	// Unchanged: the bytes are kept, no churn.
	again := renderAll(t, load(t, dir), encryptOptions(id.String(), er.Files))[0]
	if again.Err != nil {
		t.Fatal(again.Err)
	}
	if !bytes.Equal(again.Files[secret], got) {
		t.Error("an unchanged Secret did not keep its bytes")
	}
}

// TestEncryptsJsonnetSecrets: jsonnet is given every secret var and can
// transform it past what the redactor recognises (upper-cased here). In an
// env with sops:, every Secret a jsonnet app renders is therefore
// encrypted, and Flux decrypts it to what the template made. Before, a
// Secret holding std.asciiUpper(vars.DB_PASSWORD) was written readable.
func TestEncryptsJsonnetSecrets(t *testing.T) {
	t.Parallel()
	id := newIdentity(t)
	dir := encryptRepo(t, id.Recipient().String(), "")
	writeFile(t, filepath.Join(dir, "kiln.yaml"), `apiVersion: kiln/v1alpha1
kind: Pipeline
environments:
  - name: dev
apps:
  - name: db
    namespace: demo
    yaml: apps/db
  - name: lib
    namespace: demo
    jsonnet: apps/lib/main.jsonnet
`)
	writeFile(t, filepath.Join(dir, "apps/lib/main.jsonnet"), `local vars = std.extVar('vars');
[
  {apiVersion: 'v1', kind: 'Secret', metadata: {name: 'upper'}, stringData: {password: std.asciiUpper(vars.DB_PASSWORD)}},
  {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'settings'}, data: {mode: 'fast'}},
]
`)
	er := renderAll(t, load(t, dir), encryptOptions(id.String(), nil))[0]
	if er.Err != nil {
		t.Fatal(er.Err)
	}
	upper := strings.ToUpper(dbPassword)
	for p, data := range er.Files {
		if bytes.Contains(sopstest.Readable(data), []byte(upper)) {
			t.Errorf("%s holds the upper-cased secret readable:\n%s", p, data)
		}
	}
	plain, err := sopstest.FluxDecrypt(er.Files["apps/lib/secret_upper.yaml"], id.String())
	if err != nil {
		t.Fatalf("Flux cannot decrypt the Secret: %v\n%s", err, er.Files["apps/lib/secret_upper.yaml"])
	}
	if !strings.Contains(string(plain), `"password": "`+upper+`"`) {
		t.Errorf("decrypted Secret = %s", plain)
	}
	if !bytes.Contains(er.Files["flux/lib.yaml"], []byte("provider: sops")) {
		t.Errorf("flux/lib.yaml lacks decryption:\n%s", er.Files["flux/lib.yaml"])
	}
	if bytes.Contains(er.Files["apps/lib/configmap_settings.yaml"], []byte("sops:")) {
		t.Error("the ConfigMap was encrypted")
	}
}

// TestEncryptRefusesSecretLeftReadable: a secret var in a field that
// sops.encryptedRegex leaves readable is refused, whatever characters it
// holds. A value with U+2028 or U+2029 (line breaks to YAML 1.1) is
// written as a single-quoted scalar over two lines, the second indented,
// which is no form of the value: looking at the encrypted file's text
// alone, kiln wrote such a value readable in git.
func TestEncryptRefusesSecretLeftReadable(t *testing.T) {
	t.Parallel()
	id := newIdentity(t)
	for _, value := range []string{"s3cret-db-password", "s3cret\u2028db-password", "s3cret\u2029db-password"} {
		dir := writeProject(t, map[string]string{
			"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\napps:\n" +
				"  - name: js\n    namespace: demo\n    jsonnet: js/main.jsonnet\n",
			"envs/dev.yaml":   "secretVars:\n  PW: TEST_PW\nsops:\n  age: [" + id.Recipient().String() + "]\n  encryptedRegex: ^data$\n",
			"js/main.jsonnet": "function(vars) [{apiVersion: 'v1', kind: 'Secret', metadata: {name: 'db'}, stringData: {password: vars.PW}}]\n",
		})
		opts := checkOptions(false)
		opts.LookupEnv = func(k string) (string, bool) { return value, k == "TEST_PW" }
		er := renderAll(t, load(t, dir), opts)[0]
		for p, data := range er.Files {
			if bytes.Contains(sopstest.Readable(data), []byte("db-password")) {
				t.Errorf("%q: %s holds the secret readable:\n%s", value, p, data)
			}
		}
		want := "holds the value of secret var PW in a field sops.encryptedRegex (^data$) leaves readable"
		if er.Err == nil || !strings.Contains(er.Err.Error(), want) {
			t.Errorf("%q: error = %v; want %q", value, er.Err, want)
		}
	}
}

// TestEncryptRefusesComputedLeftReadable: a value a jsonnet program
// computed from a secret var (std.asciiUpper) in a Secret's stringData
// was let through as SOPS's to encrypt, but under an encryptedRegex that
// does not match its key sops left it readable: written in git as it was.
// It is refused as a field that changes with the secret; the key the
// regex matches stays allowed.
func TestEncryptRefusesComputedLeftReadable(t *testing.T) {
	t.Parallel()
	id := newIdentity(t)
	dir := writeProject(t, map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\napps:\n" +
			"  - name: js\n    namespace: demo\n    jsonnet: js/main.jsonnet\n",
		"envs/dev.yaml":   "secretVars:\n  PW: TEST_PW\nsops:\n  age: [" + id.Recipient().String() + "]\n  encryptedRegex: ^password$\n",
		"js/main.jsonnet": "function(vars) [{apiVersion: 'v1', kind: 'Secret', metadata: {name: 'db'}, stringData: {password: std.asciiUpper(vars.PW), token: std.asciiUpper(vars.PW)}}]\n",
	})
	opts := checkOptions(false)
	opts.LookupEnv = func(k string) (string, bool) { return "s3cret-db-password", k == "TEST_PW" }
	er := renderAll(t, load(t, dir), opts)[0]
	for p, data := range er.Files {
		if bytes.Contains(sopstest.Readable(data), []byte("S3CRET-DB")) {
			t.Errorf("%s holds the computed value readable:\n%s", p, data)
		}
	}
	want := "Secret/db: holds a value computed from secret var PW in stringData.token:"
	if er.Err == nil || !strings.Contains(er.Err.Error(), want) || strings.Contains(er.Err.Error(), "stringData.password") {
		t.Errorf("error = %v; want %q only", er.Err, want)
	}
}
