package sopsyaml_test

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/google/go-cmp/cmp"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
	"sigs.k8s.io/yaml"

	"github.com/kiln-gitops/kiln/internal/sopstest"
	"github.com/kiln-gitops/kiln/internal/sopsyaml"
)

// newKey generates a real age identity for one test.
func newKey(t *testing.T) (identity, recipient string) {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id.String(), id.Recipient().String()
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func node(t *testing.T, data []byte) *kyaml.Node {
	t.Helper()
	rn, err := kyaml.Parse(string(data))
	if err != nil {
		t.Fatal(err)
	}
	return rn.YNode()
}

func jsonOf(t *testing.T, y []byte) string {
	t.Helper()
	js, err := yaml.YAMLToJSON(y)
	if err != nil {
		t.Fatal(err)
	}
	return string(js)
}

var now = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// TestEncryptDecryptsLikeFlux encrypts an object with strings, numbers,
// booleans, an empty string and a list, then decrypts it with the sops
// library as kustomize-controller does (JSON) and as `sops --decrypt` does
// (YAML), MAC checked, and with Decrypt: all give the object back.
func TestEncryptDecryptsLikeFlux(t *testing.T) {
	t.Parallel()
	plain := readFile(t, "plain.yaml")
	for _, regex := range []string{"^(data|stringData)$", "."} {
		t.Run(regex, func(t *testing.T) {
			t.Parallel()
			identity, recipient := newKey(t)
			enc, err := sopsyaml.Encrypt(node(t, plain), sopsyaml.Options{Age: []string{recipient}, EncryptedRegex: regex, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(enc), "correct-horse") || strings.Contains(string(enc), "c2VjcmV0LXRva2Vu") {
				t.Fatalf("a secret value is readable in the encrypted document:\n%s", enc)
			}
			fluxJSON, err := sopstest.FluxDecrypt(enc, identity)
			if err != nil {
				t.Fatalf("kustomize-controller's decryption: %v\n%s", err, enc)
			}
			if diff := cmp.Diff(jsonOf(t, plain), jsonOf(t, fluxJSON)); diff != "" {
				t.Errorf("Flux decrypts to (-want +got):\n%s", diff)
			}
			sopsYAML, err := sopstest.Decrypt(enc, identity)
			if err != nil {
				t.Fatalf("sops --decrypt: %v", err)
			}
			if diff := cmp.Diff(jsonOf(t, plain), jsonOf(t, sopsYAML)); diff != "" {
				t.Errorf("sops decrypts to (-want +got):\n%s", diff)
			}
			ids, err := sopsyaml.ParseIdentities(identity)
			if err != nil {
				t.Fatal(err)
			}
			p, err := sopsyaml.Decrypt(enc, ids)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(jsonOf(t, plain), jsonOf(t, []byte(kyaml.NewRNode(p.Object).MustString()))); diff != "" {
				t.Errorf("Decrypt (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDecryptsTheSopsProgram reads files the sops program (v3.13.3)
// encrypted, with the default rule (every value) and with
// --encrypted-regex, and finds a change made after encryption.
func TestDecryptsTheSopsProgram(t *testing.T) {
	t.Parallel()
	ids, err := sopsyaml.ParseIdentities(string(readFile(t, "test-age-key.txt")))
	if err != nil {
		t.Fatal(err)
	}
	plain := jsonOf(t, readFile(t, "plain.yaml"))
	for _, name := range []string{"all-values.enc.yaml", "regex.enc.yaml"} {
		enc := readFile(t, name)
		p, err := sopsyaml.Decrypt(enc, ids)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if diff := cmp.Diff(plain, jsonOf(t, []byte(kyaml.NewRNode(p.Object).MustString()))); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
	tampered := strings.Replace(string(readFile(t, "regex.enc.yaml")), "note: kept readable", "note: changed", 1)
	if _, err := sopsyaml.Decrypt([]byte(tampered), ids); err == nil || !strings.Contains(err.Error(), "MAC mismatch") {
		t.Errorf("Decrypt of a changed document = %v, want a MAC mismatch", err)
	}
}

func encValues(doc []byte) []string {
	return regexp.MustCompile(`ENC\[[^\]]*\]`).FindAllString(string(doc), -1)
}

// TestReuseKeepsUnchangedCiphertext re-encrypts with the earlier
// document's key: unchanged values keep their ciphertext, a changed one
// does not, and the result still decrypts with the sops library.
func TestReuseKeepsUnchangedCiphertext(t *testing.T) {
	t.Parallel()
	identity, recipient := newKey(t)
	ids, err := sopsyaml.ParseIdentities(identity)
	if err != nil {
		t.Fatal(err)
	}
	opts := sopsyaml.Options{Age: []string{recipient}, EncryptedRegex: "^(data|stringData)$", Now: now}
	plain := readFile(t, "plain.yaml")
	first, err := sopsyaml.Encrypt(node(t, plain), opts)
	if err != nil {
		t.Fatal(err)
	}
	earlier, err := sopsyaml.Decrypt(first, ids)
	if err != nil {
		t.Fatal(err)
	}
	opts.Reuse = earlier
	again, err := sopsyaml.Encrypt(node(t, plain), opts)
	if err != nil {
		t.Fatal(err)
	}
	// The MAC is the last ENC value; the data values come first.
	a, b := encValues(first), encValues(again)
	if diff := cmp.Diff(a[:len(a)-1], b[:len(b)-1]); diff != "" {
		t.Errorf("same plaintext, reused key: values differ (-first +again):\n%s", diff)
	}
	changed := strings.Replace(string(plain), "correct-horse-battery-staple", "new-password-value", 1)
	third, err := sopsyaml.Encrypt(node(t, []byte(changed)), opts)
	if err != nil {
		t.Fatal(err)
	}
	c := encValues(third)
	// password, token, mac
	if len(c) != 3 || c[0] == a[0] || c[1] != a[1] || c[2] == a[2] {
		t.Errorf("after changing the password: want password and MAC changed, token kept; got\n%q\nwas\n%q", c, a)
	}
	if _, err := sopstest.FluxDecrypt(third, identity); err != nil {
		t.Errorf("kustomize-controller's decryption of the re-encrypted document: %v", err)
	}
	// Another recipient set means another data key: nothing is kept.
	_, other := newKey(t)
	opts.Age = append(opts.Age, other)
	fourth, err := sopsyaml.Encrypt(node(t, plain), opts)
	if err != nil {
		t.Fatal(err)
	}
	if d := encValues(fourth); d[0] == a[0] {
		t.Errorf("a new recipient kept the old data key")
	}
}

func TestDecryptWithoutTheKey(t *testing.T) {
	t.Parallel()
	_, recipient := newKey(t)
	enc, err := sopsyaml.Encrypt(node(t, readFile(t, "plain.yaml")), sopsyaml.Options{Age: []string{recipient}, EncryptedRegex: "^data$", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sopsyaml.Decrypt(enc, nil); !errors.Is(err, sopsyaml.ErrNoKey) {
		t.Errorf("Decrypt without identities = %v, want ErrNoKey", err)
	}
	otherID, _ := newKey(t)
	ids, err := sopsyaml.ParseIdentities(otherID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sopsyaml.Decrypt(enc, ids); !errors.Is(err, sopsyaml.ErrNoKey) {
		t.Errorf("Decrypt with another identity = %v, want ErrNoKey", err)
	}
}

func TestEncryptRefuses(t *testing.T) {
	t.Parallel()
	_, recipient := newKey(t)
	plain := node(t, readFile(t, "plain.yaml"))
	tests := []struct {
		name string
		obj  *kyaml.Node
		opts sopsyaml.Options
		want string
	}{
		{name: "no recipients", obj: plain, opts: sopsyaml.Options{EncryptedRegex: "."}, want: "sops: no age or pgp recipients"},
		{name: "plugin recipient", obj: plain, opts: sopsyaml.Options{Age: []string{"age1yubikey1qwt50d05nh5vutpdzmlg5wn80xq5negm4uj9ghv0snvdd3yysf5yw3rhl3t"}, EncryptedRegex: "."},
			want: "sops: age1yubikey1qwt50d05nh5vutpdzmlg5wn80xq5negm4uj9ghv0snvdd3yysf5yw3rhl3t is not an X25519 age recipient (age-keygen's age1…); plugin recipients are not supported"},
		{name: "already encrypted", obj: node(t, readFile(t, "regex.enc.yaml")), opts: sopsyaml.Options{Age: []string{recipient}, EncryptedRegex: "."},
			want: "sops: the object already has a top-level sops key"},
		{name: "bad regex", obj: plain, opts: sopsyaml.Options{Age: []string{recipient}, EncryptedRegex: "("}, want: `sops: encryptedRegex "(" is not a regular expression`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sopsyaml.Encrypt(tt.obj, tt.opts)
			if err == nil || err.Error() != tt.want {
				t.Errorf("Encrypt = %v, want %s", err, tt.want)
			}
		})
	}
}

// TestEncryptPGP encrypts to a PGP key made in the test (sops's pgp
// package finds its public key in $GNUPGHOME/pubring.gpg, without the gpg
// program) and decrypts with the sops library the way `sops --decrypt`
// does, the data key unwrapped with the PGP secret key and the MAC
// checked. Together with an age recipient, either key opens the document.
// Not parallel: GNUPGHOME is the process's environment.
func TestEncryptPGP(t *testing.T) {
	home := t.TempDir()
	fp, err := sopstest.NewPGPHome(home)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("GNUPGHOME", home)
	identity, recipient := newKey(t)
	for _, tc := range []struct {
		name string
		age  []string
	}{
		{name: "pgp only"},
		{name: "pgp and age", age: []string{recipient}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obj := "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: pgp-protected-value\n"
			enc, err := sopsyaml.Encrypt(node(t, []byte(obj)), sopsyaml.Options{PGP: []string{fp}, Age: tc.age, EncryptedRegex: "^(data|stringData)$", Now: now})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(enc), "pgp-protected-value") || !strings.Contains(string(enc), "fp: "+fp) {
				t.Fatalf("not encrypted to %s:\n%s", fp, enc)
			}
			plain, err := sopstest.DecryptPGP(enc, home)
			if err != nil {
				t.Fatalf("the PGP key does not open it: %v\n%s", err, enc)
			}
			if diff := cmp.Diff(jsonOf(t, []byte(obj)), jsonOf(t, plain)); diff != "" {
				t.Errorf("PGP round trip (-want +got):\n%s", diff)
			}
			if tc.age != nil {
				if _, err := sopstest.Decrypt(enc, identity); err != nil {
					t.Errorf("the age key does not open it: %v", err)
				}
			}
		})
	}
	// A fingerprint the keyring lacks is an error naming it, not a
	// document nobody can open.
	_, err = sopsyaml.Encrypt(node(t, []byte("apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  a: b\n")),
		sopsyaml.Options{PGP: []string{"0000000000000000000000000000000000000000"}, EncryptedRegex: ".", Now: now})
	if err == nil || !strings.Contains(err.Error(), "0000000000000000000000000000000000000000") {
		t.Errorf("unknown PGP key: err = %v", err)
	}
}

// TestDecryptMACMismatch: values moved after encryption (as kustomize's
// sorting does) still decrypt without the MAC check, as Flux decrypts
// them, and fail Decrypt with ErrMAC, as sops --decrypt fails.
func TestDecryptMACMismatch(t *testing.T) {
	t.Parallel()
	identity, recipient := newKey(t)
	ids, err := sopsyaml.ParseIdentities(identity)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := sopsyaml.Encrypt(node(t, []byte("apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  b: second\n  a: first\n")),
		sopsyaml.Options{Age: []string{recipient}, EncryptedRegex: "^(data|stringData)$", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(enc), "\n")
	for i := range lines {
		if strings.HasPrefix(lines[i], "  b: ") {
			lines[i], lines[i+1] = lines[i+1], lines[i]
			break
		}
	}
	moved := []byte(strings.Join(lines, ""))
	if _, err := sopsyaml.Decrypt(moved, ids); !errors.Is(err, sopsyaml.ErrMAC) {
		t.Errorf("Decrypt of a reordered document: %v, want ErrMAC", err)
	}
	p, err := sopsyaml.DecryptUnchecked(moved, ids)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"stringData:a:": "first", "stringData:b:": "second"}, p.Values); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
}

// TestDecryptRefusesWhatSopsRefuses: a sops key sops refuses before it
// decrypts anything (a second rule beside encrypted_regex, a lastmodified
// that is no time) is refused by Decrypt and DecryptUnchecked too. kiln
// verify compared such a document by its plaintext and called it equal to
// the render, while Flux's sops could not decrypt it; render kept its
// ciphertext.
func TestDecryptRefusesWhatSopsRefuses(t *testing.T) {
	t.Parallel()
	identity, recipient := newKey(t)
	ids, err := sopsyaml.ParseIdentities(identity)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := sopsyaml.Encrypt(node(t, []byte("apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  a: first\n")),
		sopsyaml.Options{Age: []string{recipient}, EncryptedRegex: "^(data|stringData)$", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sopsyaml.Decrypt(enc, ids); err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string]func(string) string{
		"two rules": func(s string) string {
			return strings.Replace(s, "\n  encrypted_regex:", "\n  unencrypted_regex: ^metadata$\n  encrypted_regex:", 1)
		},
		"lastmodified no time": func(s string) string {
			i := strings.Index(s, "\n  lastmodified: ") + 1
			j := strings.Index(s[i:], "\n") + i
			return s[:i] + "  lastmodified: yesterday" + s[j:]
		},
	} {
		doc := edit(string(enc))
		if doc == string(enc) {
			t.Fatalf("%s: the edit changed nothing:\n%s", name, enc)
		}
		if _, err := sopsyaml.Decrypt([]byte(doc), ids); err == nil {
			t.Errorf("%s: Decrypt took a document sops refuses", name)
		}
		if _, err := sopsyaml.DecryptUnchecked([]byte(doc), ids); err == nil {
			t.Errorf("%s: DecryptUnchecked took a document sops refuses", name)
		}
	}
}

// TestSkeleton: the skeleton of a document the sops program encrypted with
// every value of every type encrypted has the decrypted object's shape
// and types, no sops key, no ciphertext, and lists the encrypted paths.
func TestSkeleton(t *testing.T) {
	t.Parallel()
	skel, encrypted := sopsyaml.Skeleton(node(t, readFile(t, "all-values.enc.yaml")))
	got, err := kyaml.NewRNode(skel).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"apiVersion":"","data":{"token":""},"immutable":false,"kind":"","metadata":{"annotations":{"note":""},"name":"","namespace":""},` +
		`"spec":{"enabled":false,"list":["",0,false],"ratio":0,"replicas":0},"stringData":{"empty":"","password":""}}`
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("skeleton (-want +got):\n%s", diff)
	}
	wantPaths := []string{"apiVersion", "kind", "metadata.name", "metadata.namespace", "metadata.annotations.note", "immutable",
		"stringData.password", "data.token", "spec.replicas", "spec.ratio", "spec.enabled", "spec.list[0]", "spec.list[1]", "spec.list[2]"}
	if diff := cmp.Diff(wantPaths, encrypted); diff != "" {
		t.Errorf("encrypted paths (-want +got):\n%s", diff)
	}
}

// TestDecryptErrorsShowNoPlaintext: a value whose recorded type was edited
// (type:str to type:int) decrypts to text that is no int; the error names
// the path and the type, never the plaintext.
func TestDecryptErrorsShowNoPlaintext(t *testing.T) {
	t.Parallel()
	identity, recipient := newKey(t)
	enc, err := sopsyaml.Encrypt(node(t, []byte("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {password: Sup3rS3cretPlain}\n")),
		sopsyaml.Options{Age: []string{recipient}, EncryptedRegex: "^stringData$", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	edited := regexp.MustCompile(`type:str\]`).ReplaceAll(enc, []byte("type:int]"))
	ids, err := sopsyaml.ParseIdentities(identity)
	if err != nil {
		t.Fatal(err)
	}
	_, err = sopsyaml.DecryptUnchecked(edited, ids)
	if err == nil || strings.Contains(err.Error(), "S3cret") || !strings.Contains(err.Error(), "stringData.password") {
		t.Errorf("DecryptUnchecked() error = %v, want one naming stringData.password without the plaintext", err)
	}
}

// TestParseIdentitiesQuotesNoKey: age's bech32 decoder quotes a character
// of a damaged key, or a group of its bits ("invalid character data part:
// s[20]=98"), in its error; kiln's names the line only.
func TestParseIdentitiesQuotesNoKey(t *testing.T) {
	t.Parallel()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	key := id.String()
	const want = "not age identities (AGE-SECRET-KEY-1…, one a line, # comments), or a key is damaged"
	// 'B' is no bech32 character; a changed last character fails the
	// checksum (changed: a key that ends in Q gets a P).
	last := "Q"
	if strings.HasSuffix(key, last) {
		last = "P"
	}
	for _, text := range []string{"# keys\n" + key[:30] + "B" + key[31:] + "\n", key[:len(key)-1] + last} {
		_, err := sopsyaml.ParseIdentities(text)
		if err == nil || err.Error() != want {
			t.Errorf("ParseIdentities() = %v, want %q", err, want)
		}
	}
}
