//go:build sopse2e

package render_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/kiln-gitops/kiln/internal/sopstest"
)

// These tests run the real sops and age-keygen programs (make sops-e2e
// builds them from the Go module proxy at the versions go.mod pins and puts
// them first on PATH): whatever kiln encrypts, `sops --decrypt` opens with
// an age key and with a PGP key; whatever sops encrypts, kiln passes
// through byte for byte and `sops --decrypt` still opens (MAC intact).

// tool runs a program with only the environment given (and PATH, for
// sops's gpg fallback), in dir.
func tool(t *testing.T, dir string, env []string, name string, args ...string) []byte {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not on PATH (run make sops-e2e): %v", name, err)
	}
	cmd := exec.Command(path, args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return out
}

type e2eKeys struct {
	ageFile, recipient string // age-keygen's key file and its public key
	gnupgHome, fp      string // a GnuPG home with one PGP key
	noPGP              string // an empty GnuPG home
}

func newE2EKeys(t *testing.T) e2eKeys {
	t.Helper()
	dir := t.TempDir()
	k := e2eKeys{ageFile: filepath.Join(dir, "age.txt"), gnupgHome: filepath.Join(dir, "gnupg"), noPGP: filepath.Join(dir, "empty")}
	tool(t, dir, nil, "age-keygen", "-o", k.ageFile)
	data, err := os.ReadFile(k.ageFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if r, ok := strings.CutPrefix(l, "# public key: "); ok {
			k.recipient = r
		}
	}
	if k.recipient == "" {
		t.Fatalf("age-keygen wrote no public key:\n%s", data)
	}
	if k.fp, err = sopstest.NewPGPHome(k.gnupgHome); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(k.noPGP, 0o700); err != nil {
		t.Fatal(err)
	}
	return k
}

// sopsDecrypt runs sops --decrypt on doc with the age key only and with the
// PGP key only, and returns the plaintext's stringData.
func sopsDecrypt(t *testing.T, k e2eKeys, doc []byte) map[string]string {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "secret.yaml")
	if err := os.WriteFile(file, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	var first map[string]string
	for _, env := range [][]string{
		{"SOPS_AGE_KEY_FILE=" + k.ageFile, "GNUPGHOME=" + k.noPGP},
		{"GNUPGHOME=" + k.gnupgHome},
	} {
		out := tool(t, dir, env, "sops", "--decrypt", file)
		var obj struct {
			StringData map[string]string `json:"stringData"`
		}
		if err := yaml.Unmarshal(out, &obj); err != nil {
			t.Fatalf("sops --decrypt gave %s: %v", out, err)
		}
		if first != nil && !equalMaps(first, obj.StringData) {
			t.Errorf("age and PGP decrypt differently: %v, %v", first, obj.StringData)
		}
		first = obj.StringData
	}
	return first
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// e2eRepo is encryptRepo with the env encrypting to both keys.
func e2eRepo(t *testing.T, k e2eKeys) string {
	t.Helper()
	dir := encryptRepo(t, k.recipient, "")
	env := "secretVars:\n  DB_PASSWORD: TEST_DB_PASSWORD\nsops:\n  age: [" + k.recipient + "]\n  pgp: [" + k.fp + "]\n"
	if err := os.WriteFile(filepath.Join(dir, "envs", "dev.yaml"), []byte(env), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestE2ESopsDecryptsKilnOutput: kiln encrypts a Secret to an age and a
// PGP recipient (sops's pgp package reads the key from GNUPGHOME, as in
// CI); the real sops program decrypts it with either key to exactly the
// secret var's value.
func TestE2ESopsDecryptsKilnOutput(t *testing.T) {
	k := newE2EKeys(t)
	t.Setenv("GNUPGHOME", k.gnupgHome) // for kiln's encryption to the PGP key
	er := renderAll(t, load(t, e2eRepo(t, k)), encryptOptions("", nil))[0]
	if er.Err != nil {
		t.Fatal(er.Err)
	}
	got := sopsDecrypt(t, k, er.Files["apps/db/secret_db.yaml"])
	if want := map[string]string{"password": dbPassword, "user": "app"}; !equalMaps(got, want) {
		t.Errorf("sops --decrypt gave stringData %v, want %v", got, want)
	}
}

// TestE2EKilnPassesSopsOutput: a Secret the real sops program encrypted
// (to both keys) reaches kiln's output byte for byte, and sops still
// decrypts it there, MAC checked.
func TestE2EKilnPassesSopsOutput(t *testing.T) {
	k := newE2EKeys(t)
	t.Setenv("GNUPGHOME", k.gnupgHome)
	dir := e2eRepo(t, k)
	plain := filepath.Join(t.TempDir(), "sealed.yaml")
	if err := os.WriteFile(plain, []byte("apiVersion: v1\nkind: Secret\nmetadata:\n  name: sealed\n  namespace: demo\ntype: Opaque\nstringData:\n  token: made-by-the-sops-program\n  port: \"5432\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	enc := tool(t, filepath.Dir(plain), []string{"GNUPGHOME=" + k.gnupgHome}, "sops", "--encrypt",
		"--age", k.recipient, "--pgp", k.fp, "--encrypted-regex", "^(data|stringData)$", plain)
	if err := os.WriteFile(filepath.Join(dir, "apps", "db", "sealed.yaml"), enc, 0o644); err != nil {
		t.Fatal(err)
	}
	er := renderAll(t, load(t, dir), encryptOptions("", nil))[0]
	if er.Err != nil {
		t.Fatal(er.Err)
	}
	out := er.Files["apps/db/secret_sealed.yaml"]
	if !bytes.Equal(out, enc) {
		t.Errorf("kiln changed the sops program's output:\n%s\nwant\n%s", out, enc)
	}
	got := sopsDecrypt(t, k, out)
	if want := map[string]string{"token": "made-by-the-sops-program", "port": "5432"}; !equalMaps(got, want) {
		t.Errorf("sops --decrypt gave stringData %v, want %v", got, want)
	}
}
