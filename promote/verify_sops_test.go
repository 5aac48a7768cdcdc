package promote

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/google/go-cmp/cmp"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/sopsyaml"
	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

// sealed encrypts a Secret holding password to recipient with real age
// and AES-GCM: every call draws a new data key and new nonces, so two
// encryptions of one plaintext never share a byte of ciphertext.
func sealed(t *testing.T, recipient, password string) string {
	t.Helper()
	rn, err := kyaml.Parse("apiVersion: v1\nkind: Secret\nmetadata:\n  name: sealed\n  namespace: shop\nstringData:\n  password: " + password + "\n")
	if err != nil {
		t.Fatal(err)
	}
	out, err := sopsyaml.Encrypt(rn.YNode(), sopsyaml.Options{Age: []string{recipient}, EncryptedRegex: "^(data|stringData)$",
		Now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func ageKey(t *testing.T) (identity, recipient string) {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id.String(), id.Recipient().String()
}

// TestVerifySOPS renders a source that passes a SOPS-encrypted Secret
// through, then replaces it on the manifests branch with another
// encryption: with the key, verify compares plaintext (equal when only the
// ciphertext changed, different when a value did); without it, the file
// cannot be verified.
func TestVerifySOPS(t *testing.T) {
	t.Parallel()
	identity, recipient := ageKey(t)
	ids, err := sopsyaml.ParseIdentities(identity)
	if err != nil {
		t.Fatal(err)
	}
	otherIdentity, _ := ageKey(t)
	other, err := sopsyaml.ParseIdentities(otherIdentity)
	if err != nil {
		t.Fatal(err)
	}
	// setup promotes dev with an encrypted Secret in the cache app, then
	// commits replace(original) in its place on the manifests branch.
	setup := func(t *testing.T, replace func(orig string) string) *fixture {
		t.Helper()
		f := newFixture(t)
		f.commitCode(t, map[string]string{"apps/cache/sealed.yaml": sealed(t, recipient, "hunter2")}, "a sealed secret")
		if _, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{})); err != nil {
			t.Fatal(err)
		}
		files := gittest.Files(t, f.remote, "main")
		found := ""
		for p, content := range files {
			if strings.HasPrefix(p, "clusters/dev/apps/cache/") && strings.Contains(content, "\nsops:") {
				found = p
			}
		}
		if found == "" {
			t.Fatal("the encrypted Secret did not reach the manifests branch")
		}
		files[found] = replace(files[found])
		gittest.Commit(t, f.remote, "main", files, "another encryption")
		return f
	}
	verify := func(t *testing.T, f *fixture, ids sopsyaml.Identities) *VerifyResult {
		t.Helper()
		res, err := Verify(context.Background(), f.pipeline(t), VerifyOptions{
			Env: "dev", LookupEnv: lookup, Version: "test",
			GitEnv: gittest.Env(), WorkDir: t.TempDir(), Log: &bytes.Buffer{}, SOPSIdentities: ids,
		})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	reencrypt := func(password string) func(string) string {
		return func(orig string) string {
			s := sealed(t, recipient, password)
			if s == orig {
				t.Fatal("two encryptions gave the same bytes")
			}
			return s
		}
	}

	t.Run("same plaintext, new ciphertext", func(t *testing.T) {
		t.Parallel()
		f := setup(t, reencrypt("hunter2"))
		if res := verify(t, f, ids); !res.Equal || len(res.Files) != 0 || len(res.Unverifiable) != 0 {
			t.Errorf("result = %+v, want equal", res)
		}
	})
	t.Run("changed plaintext", func(t *testing.T) {
		t.Parallel()
		f := setup(t, reencrypt("letmein"))
		res := verify(t, f, ids)
		if res.Equal || len(res.Unverifiable) != 0 || len(res.Files) != 1 || res.Files[0].Op != "changed" || !strings.HasPrefix(res.Files[0].Path, "apps/cache/") {
			t.Errorf("result = %+v, want the encrypted file changed", res)
		}
	})
	t.Run("changed ciphertext", func(t *testing.T) {
		t.Parallel()
		// One value's ciphertext altered by hand: the MAC no longer holds.
		f := setup(t, func(orig string) string {
			i := strings.Index(orig, "ENC[AES256_GCM,data:") + len("ENC[AES256_GCM,data:")
			c := byte('A')
			if orig[i] == 'A' {
				c = 'B'
			}
			return orig[:i] + string(c) + orig[i+1:]
		})
		if res := verify(t, f, ids); res.Equal || len(res.Files) != 1 {
			t.Errorf("result = %+v, want the encrypted file changed", res)
		}
	})
	for name, keys := range map[string]sopsyaml.Identities{"no key": nil, "another key": other} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := setup(t, reencrypt("hunter2"))
			res := verify(t, f, keys)
			if res.Equal || len(res.Files) != 0 || len(res.Unverifiable) != 1 || !strings.HasPrefix(res.Unverifiable[0], "apps/cache/") {
				t.Errorf("result = %+v, want the encrypted file unverifiable", res)
			}
		})
	}
}

// TestSamePlaintext compares files of several documents.
func TestSamePlaintext(t *testing.T) {
	t.Parallel()
	identity, recipient := ageKey(t)
	ids, err := sopsyaml.ParseIdentities(identity)
	if err != nil {
		t.Fatal(err)
	}
	plain := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"
	a := plain + "---\n" + sealed(t, recipient, "x")
	tests := []struct {
		name string
		b    string
		ids  sopsyaml.Identities
		want plainResult
	}{
		{"same", plain + "---\n" + sealed(t, recipient, "x"), ids, plainEqual},
		{"plain document differs", strings.Replace(plain, "name: a", "name: b", 1) + "---\n" + sealed(t, recipient, "x"), ids, plainDiffer},
		{"plain document differs, no key", strings.Replace(plain, "name: a", "name: b", 1) + "---\n" + sealed(t, recipient, "x"), nil, plainDiffer},
		{"secret differs", plain + "---\n" + sealed(t, recipient, "y"), ids, plainDiffer},
		{"no key", plain + "---\n" + sealed(t, recipient, "x"), nil, plainUnknown},
		{"a document fewer", sealed(t, recipient, "x"), ids, plainDiffer},
		{"decrypted in the folder", plain + "---\n" + "apiVersion: v1\nkind: Secret\nmetadata:\n  name: sealed\n  namespace: shop\nstringData:\n  password: x\n", ids, plainDiffer},
	}
	for _, tt := range tests {
		if got := samePlaintext([]byte(a), []byte(tt.b), tt.ids); got != tt.want {
			t.Errorf("%s: samePlaintext = %v, want %v", tt.name, got, tt.want)
		}
	}
	if diff := cmp.Diff(plainEqual, samePlaintext([]byte(a), []byte(a), nil)); diff != "" {
		t.Error(diff)
	}
}

// TestVerifyKilnEncrypted: an env whose Secret kiln encrypts (a secret
// var, sops: in the env file) verifies with the key. The render in verify
// encrypts anew; it must keep the folder's ciphertext of the same
// plaintext, as promote does, or the lock's output digest (taken over the
// ciphertext) differs and verify reports kiln.lock.json changed.
func TestVerifyKilnEncrypted(t *testing.T) {
	t.Parallel()
	f, identity := encryptingFixture(t)
	ids, err := sopsyaml.ParseIdentities(identity)
	if err != nil {
		t.Fatal(err)
	}
	o := f.opts(t, "dev", &bytes.Buffer{})
	o.Render.SOPSIdentities = identity
	if _, err := promote(t, f, o); err != nil {
		t.Fatal(err)
	}
	res, err := Verify(context.Background(), f.pipeline(t), VerifyOptions{
		Env: "dev", LookupEnv: lookup, Version: "test",
		GitEnv: gittest.Env(), WorkDir: t.TempDir(), Log: &bytes.Buffer{}, SOPSIdentities: ids,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Equal || len(res.Files) != 0 || len(res.Unverifiable) != 0 {
		t.Errorf("result = %+v, want equal", res)
	}

	// Without the key, the Secret cannot be compared: it is unverifiable,
	// and the lock, whose output digest for its app differs for that
	// reason alone, is not reported changed beside it.
	res, err = Verify(context.Background(), f.pipeline(t), VerifyOptions{
		Env: "dev", LookupEnv: lookup, Version: "test",
		GitEnv: gittest.Env(), WorkDir: t.TempDir(), Log: &bytes.Buffer{},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Equal || len(res.Files) != 0 || len(res.Unverifiable) != 1 {
		t.Errorf("without the key: result = %+v, want the encrypted Secret unverifiable and nothing else", res)
	}
}
