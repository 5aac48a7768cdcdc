package render_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/diag"
)

// TestSOPSErrorsShowNoSecretKey: a Secret's key that is no valid key may
// be a password (a .env line without '=' becomes one whole key), so no
// error shows any piece of it (validate's TestSecretKeyErrorsShowNoKey).
// kiln's own checks of SOPS documents name keys too: a key written twice,
// a value added in the clear by hand, and a file sops encrypted under a
// plain Secret's stringData. Each names the key by its position.
func TestSOPSErrorsShowNoSecretKey(t *testing.T) {
	t.Parallel()
	src := filepath.Join("testdata", "sops", "invalid-repo")
	dir := t.TempDir()
	for f, edit := range map[string]func(string) string{
		"kiln.yaml": func(s string) string { return s },
		"apps/web/dup-key.enc.yaml": func(s string) string {
			return strings.ReplaceAll(s, "    password: ENC", "    PASSWORD hunter2: ENC")
		},
		"apps/web/hand-added.enc.yaml": func(s string) string {
			return strings.ReplaceAll(s, "    extra: Sup3r", "    Word rest of passphrase: Sup3r")
		},
	} {
		b, err := os.ReadFile(filepath.Join(src, filepath.FromSlash(f)))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, filepath.FromSlash(f)), edit(string(b)))
	}
	writeFile(t, filepath.Join(dir, "apps", "web", "file.yaml"),
		"apiVersion: v1\nkind: Secret\nmetadata: {name: file, namespace: demo}\nstringData:\n  Word rest of phrase: 'A=ENC[AES256_GCM,data:eA==,type:str]\n\n    sops_mac=ENC[AES256_GCM,data:eA==,type:str]'\n")
	results := renderAll(t, load(t, dir), checkOptions(false))
	text := errText(results)
	for _, want := range []string{
		`key "stringData.(key 1 of 2 in sorted order)" is written twice in this SOPS document`,
		`the value of "stringData.(key 1 of 3 in sorted order)" is not encrypted`,
		`apps/web/file.yaml:5: app web: Secret/demo/file: holds a file the sops program encrypted`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the errors lack %q:\n%s", want, text)
		}
	}
	var fields []string
	for _, er := range results {
		for _, e := range diag.Flatten(er.Err) {
			var d *diag.Error
			if errors.As(e, &d) {
				fields = append(fields, d.Field)
			}
		}
	}
	all := text + strings.Join(fields, "\n")
	for _, piece := range []string{"PASSWORD", "hunter2", "Word", "passphrase", "phrase"} {
		if strings.Contains(all, piece) {
			t.Errorf("the errors show %q of a key:\n%s\nfields: %q", piece, text, fields)
		}
	}
	if !slices.Contains(fields, "stringData.(key 1 of 1 in sorted order)") {
		t.Errorf("fields %q lack the encrypted file's key by its position", fields)
	}
}

// TestGateErrorShowsNoSecretKey: the plain-secret gate names the field
// that holds a secret var; under a Secret's key that is no valid key, the
// key is named by its position, as validation names it.
func TestGateErrorShowsNoSecretKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, content := range map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\n" +
			"apps:\n  - name: plain\n    namespace: forms\n    yaml: plain\n",
		"envs/dev.yaml": "secretVars:\n  PW: TEST_PW\n",
		"plain/s.yaml":  "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  Word rest of passphrase: ${PW}\n",
	} {
		writeFile(t, filepath.Join(dir, filepath.FromSlash(name)), content)
	}
	er := renderForms(t, dir, "gate-s3cret-value")
	if er.Err == nil {
		t.Fatal("a secret var in a Secret was accepted without allowPlainSecrets")
	}
	msg := er.Err.Error()
	if !strings.Contains(msg, "Secret/forms/s: contains the value of secret var PW (raw or encoded) in stringData.(key 1 of 1 in sorted order)") {
		t.Errorf("the gate's error does not name the field by the key's position:\n%s", msg)
	}
	for _, piece := range []string{"Word", "passphrase", "gate-s3cret"} {
		if strings.Contains(msg, piece) {
			t.Errorf("the error shows %q:\n%s", piece, msg)
		}
	}
}
