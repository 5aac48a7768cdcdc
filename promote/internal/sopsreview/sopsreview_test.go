package sopsreview

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/golden"
	"github.com/kiln-gitops/kiln/internal/sopsyaml"
	"github.com/kiln-gitops/kiln/promote/internal/treediff"
)

var update = flag.Bool("update", false, "rewrite golden files")

// The values of the test Secrets: none may show in a review.
var values = []string{"hunter2-old-password", "hunter3-new-password", "app-user-name", "t0ken-to-be-removed", "fresh-added-value"}

type key struct {
	ids       sopsyaml.Identities
	recipient string
}

// testKey is the i-th of two fixed age keys (testdata/age-keys.txt, made
// for these tests only), so that the golden files name fixed recipients.
func testKey(t *testing.T, i int) key {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "age-keys.txt"))
	if err != nil {
		t.Fatal(err)
	}
	id, err := age.ParseX25519Identity(strings.Fields(string(data))[i])
	if err != nil {
		t.Fatal(err)
	}
	ids, err := sopsyaml.ParseIdentities(id.String())
	if err != nil {
		t.Fatal(err)
	}
	return key{ids: ids, recipient: id.Recipient().String()}
}

// encrypt returns a Secret holding stringData (YAML lines) encrypted to k;
// with reuse, unchanged values keep reuse's ciphertext, as kiln's render
// does with the age key.
func encrypt(t *testing.T, k key, stringData string, reuse []byte) []byte {
	t.Helper()
	rn, err := kyaml.Parse("apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: shop\ntype: Opaque\nstringData:\n" + stringData)
	if err != nil {
		t.Fatal(err)
	}
	opts := sopsyaml.Options{Age: []string{k.recipient}, EncryptedRegex: "^(data|stringData)$", Now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	if reuse != nil {
		p, err := sopsyaml.Decrypt(reuse, k.ids)
		if err != nil {
			t.Fatal(err)
		}
		opts.Reuse = p
	}
	out, err := sopsyaml.Encrypt(rn.YNode(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestPair shows each kind of change of an encrypted Secret as kiln diff
// and the pull request body print it (golden unified diffs): which values
// were added, removed, changed or not, by plaintext with the key and by
// ciphertext without, and never a value, a ciphertext, a wrapped key or
// the MAC.
func TestPair(t *testing.T) {
	t.Parallel()
	k := testKey(t, 0)
	other := testKey(t, 1)
	before := encrypt(t, k, "  user: app-user-name\n  password: hunter2-old-password\n  token: t0ken-to-be-removed\n", nil)
	after := encrypt(t, k, "  user: app-user-name\n  password: hunter3-new-password\n  extra: fresh-added-value\n", before)
	again := encrypt(t, k, "  user: app-user-name\n  password: hunter2-old-password\n  token: t0ken-to-be-removed\n", nil)
	reencrypted := encrypt(t, other, "  user: app-user-name\n  password: hunter2-old-password\n  token: t0ken-to-be-removed\n", nil)

	tests := []struct {
		name     string
		old, new []byte
		ids      sopsyaml.Identities
	}{
		{name: "changed-by-plaintext", old: before, new: after, ids: k.ids},
		{name: "changed-by-ciphertext", old: before, new: after},
		{name: "changed-wrong-key", old: before, new: after, ids: other.ids},
		{name: "encrypted-anew", old: before, new: again, ids: k.ids},
		{name: "new-recipient", old: before, new: reencrypted},
		// kustomize sorts keys: the values still decrypt, the MAC fails.
		{name: "mac-mismatch", old: reorder(t, before), new: reorder(t, after), ids: k.ids},
		{name: "added", new: after, ids: k.ids},
		{name: "removed", old: before, ids: k.ids},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o, n, ok := Pair(tc.old, tc.new, tc.ids, nil)
			if !ok {
				t.Fatal("a SOPS-encrypted Secret was not recognised")
			}
			c := treediff.Change{Path: "apps/db/secret_db.yaml", Op: treediff.Changed, Old: o, New: n}
			switch {
			case tc.old == nil:
				c.Op = treediff.Added
			case tc.new == nil:
				c.Op = treediff.Removed
			}
			diff := treediff.Unified(c, false)
			for _, bad := range append(values, "ENC[", "enc:", "mac:", "lastmodified", "BEGIN AGE") {
				if strings.Contains(diff, bad) {
					t.Errorf("the review shows %q:\n%s", bad, diff)
				}
			}
			golden.File(t, filepath.Join("testdata", tc.name+".diff"), []byte(diff), *update)
		})
	}
}

// reorder moves a Secret's first stringData value to the end, as a
// re-serialisation that sorts keys would: each value still decrypts (its
// path is unchanged), but the MAC over the values in order fails.
func reorder(t *testing.T, doc []byte) []byte {
	t.Helper()
	lines := strings.SplitAfter(string(doc), "\n")
	for i, l := range lines {
		if l == "stringData:\n" {
			first := lines[i+1]
			j := i + 1
			for j+1 < len(lines) && strings.HasPrefix(lines[j+1], "  ") {
				lines[j] = lines[j+1]
				j++
			}
			lines[j] = first
			return []byte(strings.Join(lines, ""))
		}
	}
	t.Fatalf("no stringData in\n%s", doc)
	return nil
}

// TestPairSame: an unchanged file shows no difference and no comment.
func TestPairSame(t *testing.T) {
	t.Parallel()
	k := testKey(t, 0)
	doc := encrypt(t, k, "  password: hunter2-old-password\n", nil)
	o, n, ok := Pair(doc, doc, k.ids, nil)
	if !ok || string(o) != string(n) || strings.Contains(string(n), "kiln:") {
		t.Errorf("ok %v; old\n%s\nnew\n%s", ok, o, n)
	}
}

// TestPairOthers: files that are not one SOPS document are left to the
// caller.
func TestPairOthers(t *testing.T) {
	t.Parallel()
	for _, data := range []string{
		"apiVersion: v1\nkind: Secret\nmetadata:\n  name: x\nstringData:\n  a: b\n",
		`{"version": 1, "sops": "not metadata"}`,
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  sops: yes\n",
	} {
		if _, _, ok := Pair([]byte(data), []byte(data+"\n"), nil, nil); ok {
			t.Errorf("Pair took %q", data)
		}
	}
}

// TestPairHandEdited: a SOPS document reaches the review as written (kiln
// passes it through and decodes none strictly; the manifests repository
// may hold hand edits), so its readable Secret values must be masked
// however they are written: a key twice, a data or stringData that is not
// a mapping, a kind written twice.
func TestPairHandEdited(t *testing.T) {
	t.Parallel()
	const sops = "sops:\n  age:\n  - recipient: age1xyz\n    enc: x\n  mac: ENC[AES256_GCM,data:aa,iv:bb,tag:cc,type:str]\n  encrypted_regex: ^password$\n  version: 3.9.0\n"
	const head = "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: ns}\n"
	for name, doc := range map[string]string{
		"key twice":            head + "stringData:\n  password: ENC[AES256_GCM,data:aa,iv:bb,tag:cc,type:str]\n  user: readable-value-1\n  user: readable-value-2\n" + sops,
		"stringData twice":     head + "stringData:\n  user: readable-value-1\nstringData:\n  user: readable-value-2\n" + sops,
		"stringData not a map": head + "stringData: readable-value-1\n" + sops,
		"kind twice":           "apiVersion: v1\nkind: ConfigMap\nkind: Secret\nmetadata: {name: s, namespace: ns}\nstringData:\n  user: readable-value-1\n" + sops,
		"data holds a list":    head + "data:\n- readable-value-1\n- readable-value-2\n" + sops,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			o, n, ok := Pair([]byte(doc), []byte(strings.Replace(doc, "readable-value", "readable-other", -1)), nil, nil)
			if !ok {
				t.Fatal("not reviewed as a SOPS document")
			}
			for _, side := range [][]byte{o, n} {
				if strings.Contains(string(side), "readable-") {
					t.Errorf("a value shows:\n%s", side)
				}
			}
		})
	}
}

// TestPairInvalidKey: SOPS leaves keys readable, and a Secret's key that
// is not a valid key may be a password or a passphrase (a secretGenerator
// .env line without '=' is one whole key). kiln refuses to write one, but
// the old side is whatever the manifests repository holds: such a key
// shows as a numbered mask, in the document and in the comment naming
// what changed, the same on both sides; valid keys as they are.
func TestPairInvalidKey(t *testing.T) {
	t.Parallel()
	const sops = "sops:\n  age:\n  - recipient: age1xyz\n    enc: x\n  mac: ENC[AES256_GCM,data:aa,iv:bb,tag:cc,type:str]\n  encrypted_regex: ^(data|stringData)$\n  version: 3.9.0\n"
	const head = "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: ns}\n"
	const enc = "ENC[AES256_GCM,data:aa,iv:bb,tag:cc,type:str]"
	old := head + "stringData:\n  password: " + enc + "\n  Word rest of passphrase: " + enc + "\n  'PASSWORD hunter2': " + enc + "\n" + sops
	newer := head + "stringData:\n  password: " + enc + "\n  Word rest of passphrase: " + enc + "\n" + sops
	o, n, ok := Pair([]byte(old), []byte(newer), nil, nil)
	if !ok {
		t.Fatal("not reviewed as a SOPS document")
	}
	for _, side := range [][]byte{o, n} {
		for _, piece := range []string{"Word", "passphrase", "hunter2"} {
			if strings.Contains(string(side), piece) {
				t.Errorf("%q of a key shows:\n%s", piece, side)
			}
		}
		if !strings.Contains(string(side), "password: ") || !strings.Contains(string(side), "**redacted: invalid key 2**") {
			t.Errorf("a key is not shown as it or its mask:\n%s", side)
		}
	}
	if !strings.Contains(string(n), "removed: stringData.**redacted: invalid key 1**") {
		t.Errorf("the removed key is not named by its mask:\n%s", n)
	}
	if a, ok := Alone([]byte(old)); !ok || strings.Contains(string(a), "Word") || strings.Contains(string(a), "hunter2") {
		t.Errorf("alone, a key shows:\n%s", a)
	}
}

// TestPairLastApplied: sops leaves metadata readable, and kubectl apply's
// last-applied-configuration annotation of a Secret dumped from a cluster
// holds its data in JSON: it is masked as a readable value is.
func TestPairLastApplied(t *testing.T) {
	t.Parallel()
	const sops = "sops:\n  age:\n  - recipient: age1xyz\n    enc: x\n  mac: ENC[AES256_GCM,data:aa,iv:bb,tag:cc,type:str]\n  encrypted_regex: ^(data|stringData)$\n  version: 3.9.0\n"
	doc := "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: ns\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: |\n      " +
		`{"apiVersion":"v1","kind":"Secret","stringData":{"password":"readable-value-1"}}` + "\n" +
		"stringData:\n  password: ENC[AES256_GCM,data:aa,iv:bb,tag:cc,type:str]\n" + sops
	o, n, ok := Pair([]byte(doc), []byte(strings.Replace(doc, "readable-value", "readable-other", 1)), nil, nil)
	if !ok {
		t.Fatal("not reviewed as a SOPS document")
	}
	for _, side := range [][]byte{o, n} {
		if strings.Contains(string(side), "readable-") {
			t.Errorf("a value shows:\n%s", side)
		}
	}
	if !strings.Contains(string(n), "changed: metadata.annotations.kubectl.kubernetes.io/last-applied-configuration") {
		t.Errorf("the changed annotation is not named:\n%s", n)
	}
	if a, ok := Alone([]byte(doc)); !ok || strings.Contains(string(a), "readable-") {
		t.Errorf("alone, a value shows:\n%s", a)
	}
}

// TestPairFound: the plaintext of each side the key decrypts reaches
// found, which the caller masks in the inputs beside the file, also when
// the other side is no SOPS document; without the key nothing does.
func TestPairFound(t *testing.T) {
	t.Parallel()
	k := testKey(t, 0)
	old := encrypt(t, k, "  password: hunter2-old-password\n", nil)
	cur := encrypt(t, k, "  password: hunter3-new-password\n  user: app-user-name\n", old)
	plain := []byte("apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: fresh-added-value\n")
	for _, tc := range []struct {
		name     string
		old, new []byte
		ids      sopsyaml.Identities
		want     []string
	}{
		{"both sides", old, cur, k.ids, []string{"hunter2-old-password", "hunter3-new-password", "app-user-name"}},
		{"added", nil, cur, k.ids, []string{"hunter3-new-password", "app-user-name"}},
		{"stops encrypting", old, plain, k.ids, []string{"hunter2-old-password"}},
		{"no key", old, cur, nil, nil},
	} {
		var got []string
		Pair(tc.old, tc.new, tc.ids, func(v string) { got = append(got, v) })
		slices.Sort(got)
		slices.Sort(tc.want)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: found %q, want %q", tc.name, got, tc.want)
		}
	}
}
