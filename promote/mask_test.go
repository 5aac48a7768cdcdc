package promote

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/redact"
	"github.com/kiln-gitops/kiln/internal/sopsyaml"
	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

// TestDiffRotatedSecret: under allowPlainSecrets the tree holds the secret
// in a Secret. After a rotation kiln diff must show that the key changed,
// but neither the new value (a secret var kiln knows) nor the previous one
// (which no redactor knows any more).
func TestDiffRotatedSecret(t *testing.T) {
	t.Parallel()
	const previous = "pr3vious-r0tated-value"
	f := newFixture(t)
	out := t.TempDir()
	o := f.opts(t, "dev", nil)
	lookup := o.Render.LookupEnv
	o.Render.LookupEnv = func(k string) (string, bool) {
		if k == "TEST_API_KEY" {
			return previous, true
		}
		return lookup(k)
	}
	writeRender(t, f, o.Render, out)

	o = f.opts(t, "dev", nil)
	res, err := Diff(context.Background(), f.pipeline(t), DiffOptions{Env: "dev", Against: out, Render: o.Render, GitEnv: gittest.Env(), WorkDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Changed {
		t.Fatal("a rotated secret is a change")
	}
	if len(res.Changes) != 1 || res.Changes[0].Path != "apps/cache/secret_cache.yaml" {
		t.Errorf("changes = %+v, want the Secret only (no digest in the lock may follow the value)", res.Changes)
	}
	diff := res.Unified(false)
	both := redact.New(map[string]string{"NEW": secretValue, "OLD": previous})
	if found := both.Found(diff); found != nil {
		t.Errorf("the diff shows %v:\n%s", found, diff)
	}
	for _, want := range []string{"-  key: '" + maskBefore + "'", "+  key: '" + maskChanged + "'", "   size: '" + maskSame + "'"} {
		if !strings.Contains(diff, want) {
			t.Errorf("diff lacks %q:\n%s", want, diff)
		}
	}
}

func TestMaskSecretPairLeavesOtherFiles(t *testing.T) {
	t.Parallel()
	cm := []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Secret\ndata:\n  a: b\n")
	o, n := maskSecretPair(cm, cm, nil)
	if string(o) != string(cm) || string(n) != string(cm) {
		t.Errorf("a ConfigMap was rewritten: %q %q", o, n)
	}
}

// TestMaskSecretPairMetadataNoMapping: a Secret whose metadata or
// annotations are a list (a hand edit of the manifests repository, which
// the old side of a diff is) made kyaml's writer index past the end of
// the list: kiln diff and promote panicked. Such a file is shown as one
// kiln cannot mask, saying so, and no value of it.
func TestMaskSecretPairMetadataNoMapping(t *testing.T) {
	t.Parallel()
	for name, doc := range map[string]string{
		"annotations": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  annotations: [a]\nstringData:\n  password: hand-3dited-value\n",
		"metadata":    "apiVersion: v1\nkind: Secret\nmetadata: [a]\nstringData:\n  password: hand-3dited-value\n",
		// kyaml's writer refuses these; its message was masked as a
		// comment of the Secret.
		"annotations a string": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  annotations: hand-3dited-value\nstringData:\n  password: hand-3dited-value\n",
		"in a list":            "apiVersion: v1\nkind: SecretList\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata: {name: db, annotations: [a, b, c]}\n  stringData: {password: hand-3dited-value}\n",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			o, n := maskSecretPair([]byte(doc), []byte(doc+"# changed\n"), nil)
			for side, b := range map[string][]byte{"old": o, "new": n} {
				if strings.Contains(string(b), "hand-3dited") || !strings.Contains(string(b), "kiln could not mask") {
					t.Errorf("the %s side is not shown as a file kiln cannot mask:\n%s", side, b)
				}
			}
		})
	}
}

// TestMaskSecretPairHandEdited: the old side of a diff is whatever the
// manifests repository holds, hand edits included. However its Secret is
// written, none of its values may reach the diff or the PR body.
func TestMaskSecretPairHandEdited(t *testing.T) {
	t.Parallel()
	const head = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: ns\n"
	newer := []byte(head + "stringData:\n  password: n3w-s3cret-value\n")
	for _, tc := range []struct{ name, old string }{
		{"does not parse", head + "stringData:\n  password: 0ld-s3cret-value\n\tx: y\n"},
		{"a later document does not parse", head + "stringData:\n  password: 0ld-s3cret-value\n---\n: bad: [\n"},
		{"stringData twice", head + "stringData:\n  password: 0ld-s3cret-value\nstringData:\n  password: 0ld-s3cret-value2\n"},
		{"data twice", head + "data:\n  password: MGxkLXMzY3JldC12YWx1ZQ==\ndata:\n  token: MGxkLXMzY3JldC12YWx1ZTI=\n"},
		{"kind escaped", "apiVersion: v1\nkind: \"Secr\\x65t\"\nmetadata: {name: s, namespace: ns}\nstringData:\n  password: 0ld-s3cret-value\n"},
		{"kind twice", "apiVersion: v1\nkind: ConfigMap\nkind: Secret\nmetadata: {name: s, namespace: ns}\nstringData:\n  password: 0ld-s3cret-value\n"},
		{"stringData a string", head + "stringData: 0ld-s3cret-value\n"},
		{"data a list", head + "data:\n- 0ld-s3cret-value\n"},
		{"a List", "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata: {name: s, namespace: ns}\n  stringData:\n    password: 0ld-s3cret-value\n"},
		// A value kept in a comment: a rotated one by hand, one a
		// template wrote ("# from values: …"), at any place.
		{"comments", "# generated: 0ld-s3cret-value\n" + head + "stringData: # 0ld-s3cret-value\n  # old: MGxkLXMzY3JldC12YWx1ZQ== (0ld-s3cret-value)\n  password: x # 0ld-s3cret-value\n  # 0ld-s3cret-value at the end\n"},
		{"JSON", `{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "ns"}, "stringData": {"password": "0ld-s3cret-value"}}` + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o, n := maskSecretPair([]byte(tc.old), newer, nil)
			for side, b := range map[string][]byte{"old": o, "new": n} {
				if strings.Contains(string(b), "s3cret-value") || strings.Contains(string(b), "MGxkLXMzY3JldC12YWx1Z") {
					t.Errorf("the %s side shows a value:\n%s", side, b)
				}
			}
			if !strings.Contains(string(n), "password: '"+maskChanged+"'") && !strings.Contains(string(n), "password: '"+maskSame+"'") {
				t.Errorf("the new side lost its masked key:\n%s", n)
			}
			// Alone, as a deleted file is shown.
			if o, _ := maskSecretPair([]byte(tc.old), nil, nil); strings.Contains(string(o), "s3cret-value") {
				t.Errorf("the deleted file shows a value:\n%s", o)
			}
		})
	}
}

// TestShownTreesMasksInputsOfSecrets: a Helm value, a secretGenerator
// literal or an .env file that a Secret's data came from sits in
// high-level/, next to the masked Secret. It is masked there too, old and
// new, and a change that masking hides still shows as a change. So is a
// value a chart put into a Secret's value with other text around it (a
// database URL holding the password): the password alone is no form of
// that value.
func TestShownTreesMasksInputsOfSecrets(t *testing.T) {
	t.Parallel()
	secret := func(name, field, value string) string {
		return "apiVersion: v1\nkind: Secret\nmetadata:\n  name: " + name + "\n  namespace: ns\n" + field + ":\n  password: " + value + "\n"
	}
	old := map[string][]byte{
		"apps/h/secret_hs.yaml":           []byte(secret("hs", "stringData", "helm-0ld-passw0rd")),
		"high-level/h/values.yaml":        []byte("image: redis\npassword: helm-0ld-passw0rd\n"),
		"apps/k/secret_ks.yaml":           []byte(secret("ks", "data", base64.StdEncoding.EncodeToString([]byte("kust-0ld-passw0rd")))),
		"high-level/k/kustomization.yaml": []byte("secretGenerator:\n- name: ks\n  literals: [password=kust-0ld-passw0rd]\n"),
		"high-level/k/creds.env":          []byte("password=kust-0ld-passw0rd\n"),
		"high-level/k/unrelated.yaml":     []byte("a: b\n"),
		"apps/k/configmap_unrelated.yaml": []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: kust-0ld-passw0rd}\n"),
		// A chart that builds the Secret's value around the password.
		"apps/c/secret_cs.yaml":         []byte(secret("cs", "stringData", "postgres://app:Zq7xWv9pLk3m@db:5432/app")),
		"high-level/c/values.yaml":      []byte("db:\n  host: db\n  password: Zq7xWv9pLk3m\n  tls: true\n"),
		"high-level/c/helmrelease.yaml": []byte("spec:\n  values:\n    db: {password: Zq7xWv9pLk3m, port: 5432}\n"),
		// A .env file reads as YAML too (one plain scalar): its lines are
		// what counts.
		"high-level/c/db.env":        []byte("PW=Zq7xWv9pLk3m\nUSER=app\n"),
		"high-level/c/db-quoted.env": []byte("export PW=\"Zq7xWv9pLk3m\"\n"),
	}
	new := map[string][]byte{
		"apps/h/secret_hs.yaml":           []byte(secret("hs", "stringData", "helm-n3w-passw0rd")),
		"high-level/h/values.yaml":        []byte("image: redis\npassword: helm-n3w-passw0rd\n"),
		"apps/k/secret_ks.yaml":           []byte(secret("ks", "data", base64.StdEncoding.EncodeToString([]byte("kust-n3w-passw0rd")))),
		"high-level/k/kustomization.yaml": []byte("secretGenerator:\n- name: ks\n  literals: [password=kust-n3w-passw0rd]\n"),
		"high-level/k/creds.env":          []byte("password=kust-n3w-passw0rd\n"),
		"high-level/k/unrelated.yaml":     []byte("a: c\n"),
		"apps/k/configmap_unrelated.yaml": []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: kust-0ld-passw0rd}\n"),
		"apps/c/secret_cs.yaml":           []byte(secret("cs", "stringData", "postgres://app:Qm4rTy8uIo2p@db:5432/app")),
		"high-level/c/values.yaml":        []byte("db:\n  host: db\n  password: Qm4rTy8uIo2p\n  tls: true\n"),
		"high-level/c/helmrelease.yaml":   []byte("spec:\n  values:\n    db: {password: Qm4rTy8uIo2p, port: 5432}\n"),
		"high-level/c/db.env":             []byte("PW=Qm4rTy8uIo2p\nUSER=app\n"),
		"high-level/c/db-quoted.env":      []byte("export PW=\"Qm4rTy8uIo2p\"\n"),
	}
	so, sn := shownTrees(redact.New(nil), sopsyaml.Identities{}, nil, old, new)
	values := redact.New(map[string]string{"1": "helm-0ld-passw0rd", "2": "helm-n3w-passw0rd", "3": "kust-0ld-passw0rd", "4": "kust-n3w-passw0rd",
		"5": "Zq7xWv9pLk3m", "6": "Qm4rTy8uIo2p"})
	for side, tree := range map[string]map[string][]byte{"old": so, "new": sn} {
		for p, data := range tree {
			if found := values.FoundBytes(data); found != nil && p != "apps/k/configmap_unrelated.yaml" {
				t.Errorf("%s side of %s shows %v:\n%s", side, p, found, data)
			}
		}
	}
	for _, p := range []string{"high-level/h/values.yaml", "high-level/k/kustomization.yaml", "high-level/k/creds.env", "high-level/c/values.yaml", "high-level/c/helmrelease.yaml", "high-level/c/db.env", "high-level/c/db-quoted.env"} {
		if !strings.HasSuffix(string(sn[p]), maskedInputChange) || strings.Contains(string(so[p]), maskedInputChange) {
			t.Errorf("%s: the masked change is not shown:\nold %q\nnew %q", p, so[p], sn[p])
		}
	}
	if string(sn["high-level/k/unrelated.yaml"]) != "a: c\n" || string(so["high-level/k/unrelated.yaml"]) != "a: b\n" {
		t.Errorf("a file without Secret values was changed: %q %q", so["high-level/k/unrelated.yaml"], sn["high-level/k/unrelated.yaml"])
	}
}

// TestShownTreesMasksEscapedInputs: a template puts an input into a
// Secret's value trimmed (a block scalar's line break dropped by trim) or
// escaped (toJson of a password with a quote, of a service account key of
// several lines): the input as values.yaml holds it is then no substring
// of the Secret's value, and was shown beside the masked Secret.
func TestShownTreesMasksEscapedInputs(t *testing.T) {
	t.Parallel()
	const (
		blockPW  = "Bl0ck-sc4lar-pw"
		quotedPW = `Qu0te"d\pw-42`
		keyLine  = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7Xy3kPqZq7xW"
	)
	pem := "-----BEGIN PRIVATE KEY-----\n" + keyLine + "\n-----END PRIVATE KEY-----\n"
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	j, err := json.Marshal(map[string]string{"type": "service_account", "private_key": pem})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := json.Marshal(map[string]string{"password": quotedPW})
	if err != nil {
		t.Fatal(err)
	}
	dcj := `{"auths":{"gcr.io":{"auth":"` + b64("_json_key:"+string(j)) + `"}}}`
	secret := func(name, data string) []byte {
		return []byte("apiVersion: v1\nkind: Secret\nmetadata: {name: " + name + ", namespace: ns}\ndata:\n" + data)
	}
	new := map[string][]byte{
		"apps/c/secret_url.yaml":  secret("url", "  url: "+b64("postgres://app:"+blockPW+"@db/app")+"\n"),
		"apps/c/secret_cfg.yaml":  secret("cfg", "  config.json: "+b64(string(cfg))+"\n"),
		"apps/c/secret_pull.yaml": secret("pull", "  .dockerconfigjson: "+b64(dcj)+"\n"),
		"high-level/c/values.yaml": []byte("db:\n  password: |\n    " + blockPW + "\n" +
			"image: redis-server-7\napp:\n  password: '" + strings.ReplaceAll(quotedPW, "'", "''") + "'\n" +
			"gcp:\n  type: service_account\n  private_key: |\n    " + strings.ReplaceAll(strings.TrimSuffix(pem, "\n"), "\n", "\n    ") + "\n"),
	}
	_, sn := shownTrees(redact.New(nil), sopsyaml.Identities{}, nil, nil, new)
	shown := string(sn["high-level/c/values.yaml"])
	for _, v := range []string{blockPW, quotedPW, keyLine} {
		if strings.Contains(shown, v) {
			t.Errorf("values.yaml shows %q:\n%s", v, shown)
		}
	}
	if !strings.Contains(shown, "image: redis-server-7") {
		t.Errorf("values.yaml lost a value no Secret holds:\n%s", shown)
	}
}

// TestMaskSecretPairInvalidKey: a Secret's key that is not a valid key
// may be a password or a passphrase (a secretGenerator .env line without
// '=' is one whole key); kiln refuses to write one, but the old side is
// whatever the manifests repository holds. The diff shows such a key as a
// numbered mask, the same on both sides, so that its removal shows, and
// valid keys as they are.
func TestMaskSecretPairInvalidKey(t *testing.T) {
	t.Parallel()
	const head = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: ns\n"
	old := []byte(head + "stringData:\n  password: x\n  Word rest of passphrase: ''\ndata:\n  'PASSWORD hunter2': ''\n")
	newer := []byte(head + "stringData:\n  password: x\n  Word rest of passphrase: ''\n")
	o, n := maskSecretPair(old, newer, nil)
	for side, b := range map[string][]byte{"old": o, "new": n} {
		for _, piece := range []string{"Word", "passphrase", "hunter2"} {
			if strings.Contains(string(b), piece) {
				t.Errorf("the %s side shows %q of a key:\n%s", side, piece, b)
			}
		}
		if !strings.Contains(string(b), "password: ") {
			t.Errorf("the %s side lost a valid key:\n%s", side, b)
		}
	}
	// "PASSWORD hunter2" sorts first: invalid key 1, on the old side only.
	if !strings.Contains(string(o), "'**redacted: invalid key 1**'") || strings.Contains(string(n), "invalid key 1") {
		t.Errorf("the removed key does not show as removed:\nold:\n%s\nnew:\n%s", o, n)
	}
	if !strings.Contains(string(o), "'**redacted: invalid key 2**'") || !strings.Contains(string(n), "'**redacted: invalid key 2**'") {
		t.Errorf("the kept key is not the same mask on both sides:\nold:\n%s\nnew:\n%s", o, n)
	}
}

// TestMaskSecretPairLastApplied: a Secret committed from a cluster's dump
// carries kubectl apply's last-applied-configuration annotation, the
// object in JSON, its data included. The annotation is masked as a value
// is: the same mask on both sides when it did not change.
func TestMaskSecretPairLastApplied(t *testing.T) {
	t.Parallel()
	const head = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: ns\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: |\n      " +
		`{"apiVersion":"v1","kind":"Secret","data":{"password":"MGxkLXMzY3JldC12YWx1ZQ=="},"stringData":{"token":"0ld-s3cret-value"}}` + "\n"
	old := []byte(head + "stringData:\n  token: 0ld-s3cret-value\n")
	for name, newer := range map[string][]byte{
		"removed": []byte("apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: ns\nstringData:\n  token: n3w-s3cret-value\n"),
		"kept":    old,
	} {
		o, n := maskSecretPair(old, newer, nil)
		for side, b := range map[string][]byte{"old": o, "new": n} {
			if strings.Contains(string(b), "s3cret-value") || strings.Contains(string(b), "MGxkLXMzY3JldC12YWx1Z") {
				t.Errorf("%s: the %s side shows a value:\n%s", name, side, b)
			}
		}
		if name == "kept" && string(o) != string(n) {
			t.Errorf("an unchanged annotation shows as changed:\n%s\n%s", o, n)
		}
	}
}

// TestShownTreesMasksSecretComments: every comment of a file holding a
// Secret is masked, those kyaml keeps outside the object too (a head
// comment before a blank line, one after the last key), and a file whose
// only change is such a comment still shows as changed.
func TestShownTreesMasksSecretComments(t *testing.T) {
	t.Parallel()
	const secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: ns}\n# rotate: COMMENT\nstringData:\n  pw: x\n"
	old := map[string][]byte{
		"apps/a/secret_s.yaml": []byte("# old password: Tr0ub4dor&3xyz\n\n" + strings.Replace(secret, "COMMENT", "monthly", 1) + "# after: Tr0ub4dor&3xyz\n"),
		"apps/a/secret_t.yaml": []byte(strings.Replace(secret, "COMMENT", "monthly", 1)),
	}
	new := map[string][]byte{
		"apps/a/secret_s.yaml": []byte(strings.Replace(secret, "COMMENT", "monthly", 1)),
		"apps/a/secret_t.yaml": []byte(strings.Replace(secret, "COMMENT", "weekly", 1)),
	}
	so, sn := shownTrees(redact.New(nil), sopsyaml.Identities{}, nil, old, new)
	for _, tree := range []map[string][]byte{so, sn} {
		for p, data := range tree {
			for _, s := range []string{"Tr0ub4dor", "monthly", "weekly"} {
				if strings.Contains(string(data), s) {
					t.Errorf("%s shows %q:\n%s", p, s, data)
				}
			}
		}
	}
	if string(so["apps/a/secret_t.yaml"]) == string(sn["apps/a/secret_t.yaml"]) || !strings.HasSuffix(string(sn["apps/a/secret_t.yaml"]), maskedChange) {
		t.Errorf("a comment-only change vanished:\nold %q\nnew %q", so["apps/a/secret_t.yaml"], sn["apps/a/secret_t.yaml"])
	}
}

// TestSecretRedactorPartial: a promoting job that lacks one of the env's
// secret vars (promote --rendered reads a tree rendered in another job)
// still masks the others it has.
func TestSecretRedactorPartial(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.commitCode(t, map[string]string{"envs/dev.yaml": "vars:\n  GREETING: hello-dev\nsecretVars:\n  API_KEY: TEST_API_KEY\n  DB_PASSWORD: TEST_DB_PASSWORD\nallowPlainSecrets: true\n"}, "a second secret var")
	o := f.opts(t, "dev", nil)
	r := &run{p: f.pipeline(t), opts: o}
	rd, known := r.secretRedactor("dev")
	if known {
		t.Error("TEST_DB_PASSWORD is not set, yet every secret var is known")
	}
	if found := rd.Found("key " + secretValue); len(found) == 0 {
		t.Errorf("API_KEY, which is set, is not masked")
	}
}

// BenchmarkInputsInSecrets: a values file of 100,000 distinct values
// beside a 1 MiB Secret value. Matching each value against the joined
// Secret values one by one took 19.6 s (an attacker's measurement); a
// suffix array answers each in time of its length.
func BenchmarkInputsInSecrets(b *testing.B) {
	var values strings.Builder
	for i := range 100_000 {
		fmt.Fprintf(&values, "k%d: v%08d\n", i, i)
	}
	tree := map[string][]byte{"high-level/a/values.yaml": []byte(values.String())}
	secrets := map[string]string{"big": strings.Repeat("x", 1<<20) + "v00000042"}
	for b.Loop() {
		if got := inputsInSecrets(secrets, tree); len(got) != 1 {
			b.Fatalf("found %v, want v00000042", got)
		}
	}
}

// TestMaskSecretPairOwnCopies: a Secret's annotation or label may hold one
// of its own values: a template's annotation quoting the password, a note
// kept by hand, an alias of a data value (kustomize, kiln and kyaml expand
// it, so the copy is what Flux applies). It is masked as the value is,
// marked as changed when it changed, in every form the redactor knows (a
// data value's base64); annotations and labels that hold no value of the
// Secret stay.
func TestMaskSecretPairOwnCopies(t *testing.T) {
	t.Parallel()
	const head = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: ns\n"
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		name, old, new string
		// want are lines of the masked new side.
		want []string
	}{
		{
			name: "annotation quotes the value",
			new:  head + "  labels: {app: db}\n  annotations:\n    note: 'password is 0wn-c0py-value'\nstringData:\n  password: 0wn-c0py-value\n",
			want: []string{"labels: {app: db}", "note: '" + maskSame + "'"},
		},
		{
			name: "label holds a data value's base64",
			new:  head + "  labels:\n    hint: " + b64("0wn-c0py-value") + "\ndata:\n  password: " + b64("0wn-c0py-value") + "\n",
			want: []string{"hint: '" + maskSame + "'"},
		},
		{
			name: "alias of a value",
			new:  "apiVersion: v1\nkind: Secret\nstringData:\n  password: &p 0wn-c0py-value\nmetadata:\n  name: db\n  namespace: ns\n  annotations: {copy: *p}\n",
			want: []string{"copy: '" + maskSame + "'"},
		},
		{
			name: "data merged from the annotations",
			new:  head + "  annotations: &c {password: 0wn-c0py-value}\nstringData: *c\n",
			want: []string{"password: '" + maskSame + "'"},
		},
		{
			name: "rotated with its copy",
			old:  head + "  annotations: {note: 0ld-0wn-c0py-value}\nstringData:\n  password: 0ld-0wn-c0py-value\n",
			new:  head + "  annotations: {note: 0wn-c0py-value}\nstringData:\n  password: 0wn-c0py-value\n",
			want: []string{"note: '" + maskChanged + "'", "password: '" + maskChanged + "'"},
		},
		{
			// echo pw | base64 writes one: the value's forms include it
			// trimmed, which is shorter than the value.
			name: "a value that ends in a line break",
			new:  head + "  annotations:\n    note: 0wn-c0py-value\ndata:\n  password: " + b64("0wn-c0py-value\n") + "\n",
			want: []string{"note: '" + maskSame + "'"},
		},
		{
			name: "a line of a value of several lines",
			new:  head + "  annotations:\n    note: pass=0wn-c0py-value\nstringData:\n  config: |\n    user=app\n    pass=0wn-c0py-value\n",
			want: []string{"note: '" + maskSame + "'"},
		},
		{
			// The old side is whatever the repository holds; a JSON
			// decoder keeps the last of each, a diff shows both.
			name: "annotations written twice",
			new:  head + "  annotations:\n    note: 0wn-c0py-value\n  annotations:\n    other: kept-annotation\nstringData:\n  password: 0wn-c0py-value\n",
			want: []string{"note: '" + maskSame + "'", "other: kept-annotation"},
		},
		{
			// No valid annotation, but the old side is whatever the
			// repository holds.
			name: "an annotation that is no string",
			new:  head + "  annotations:\n    note:\n      pw: 0wn-c0py-value\nstringData:\n  password: 0wn-c0py-value\n",
			want: []string{"note: '" + maskSame + "'"},
		},
		{
			name: "labels that are no mapping",
			new:  head + "  labels: 0wn-c0py-value\nstringData:\n  password: 0wn-c0py-value\n",
			want: []string{"labels: '" + maskSame + "'"},
		},
		{
			name: "metadata written twice",
			new:  "apiVersion: v1\nkind: Secret\nmetadata:\n  labels: {hint: 0wn-c0py-value}\nmetadata:\n  name: db\n  namespace: ns\nstringData:\n  password: 0wn-c0py-value\n",
			want: []string{"hint: '" + maskSame + "'"},
		},
		{
			name: "the copy of the previous value",
			old:  head + "stringData:\n  password: 0ld-0wn-c0py-value\n",
			new:  head + "  annotations: {rotated-from: 0ld-0wn-c0py-value}\nstringData:\n  password: 0wn-c0py-value\n",
			want: []string{"rotated-from: '" + maskSame + "'"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var old []byte
			if tc.old != "" {
				old = []byte(tc.old)
			}
			o, n := maskSecretPair(old, []byte(tc.new), nil)
			for side, b := range map[string][]byte{"old": o, "new": n} {
				if strings.Contains(string(b), "c0py-value") || strings.Contains(string(b), b64("0wn-c0py-value")[:12]) {
					t.Errorf("the %s side shows a value:\n%s", side, b)
				}
			}
			for _, w := range tc.want {
				if !strings.Contains(string(n), w) {
					t.Errorf("the new side lacks %q:\n%s", w, n)
				}
			}
			if !strings.Contains(string(n), "name: db\n") || !strings.Contains(string(n), "namespace: ns\n") {
				t.Errorf("the Secret's name was masked:\n%s", n)
			}
		})
	}
}

// TestShownTreesPairsMovedSecrets: a secretGenerator's Secret changes its
// name, and so its file, with its content (the hash suffix), and a Secret
// moved to another app changes folder. Its removed and added files are
// masked as one Secret: a rotated key shows as changed and a kept one as
// kept, as in a Secret whose file stays, not every value as kept.
func TestShownTreesPairsMovedSecrets(t *testing.T) {
	t.Parallel()
	secret := func(name, user, pw string) []byte {
		return []byte("apiVersion: v1\nkind: Secret\nmetadata:\n  name: " + name + "\n  namespace: ns\ntype: Opaque\ndata:\n  user: " +
			base64.StdEncoding.EncodeToString([]byte(user)) + "\n  password: " + base64.StdEncoding.EncodeToString([]byte(pw)) + "\n")
	}
	old := map[string][]byte{
		"apps/k/secret_db-5t7m9c2f8h.yaml": secret("db-5t7m9c2f8h", "app-user", "0ld-generated-pw"),
		"apps/a/secret_moved.yaml":         secret("moved", "app-user", "0ld-moved-pw"),
		// Two generators of one name: which became which cannot be told.
		"apps/x/secret_twice-5t7m9c2f8h.yaml": secret("twice-5t7m9c2f8h", "app-user", "0ld-twice-pw"),
		"apps/x/secret_twice-9c2f8h5t7m.yaml": secret("twice-9c2f8h5t7m", "app-user", "0ld-twice-pw"),
	}
	new := map[string][]byte{
		"apps/k/secret_db-b2k4m6t8g9.yaml":    secret("db-b2k4m6t8g9", "app-user", "n3w-generated-pw"),
		"apps/b/secret_moved.yaml":            secret("moved", "app-user", "n3w-moved-pw"),
		"apps/x/secret_twice-b2k4m6t8g9.yaml": secret("twice-b2k4m6t8g9", "app-user", "n3w-twice-pw"),
	}
	so, sn := shownTrees(redact.New(nil), sopsyaml.Identities{}, nil, old, new)
	for _, pair := range [][2]string{
		{"apps/k/secret_db-5t7m9c2f8h.yaml", "apps/k/secret_db-b2k4m6t8g9.yaml"},
		{"apps/a/secret_moved.yaml", "apps/b/secret_moved.yaml"},
	} {
		o, n := string(so[pair[0]]), string(sn[pair[1]])
		if !strings.Contains(o, "password: '"+maskBefore+"'") || !strings.Contains(n, "password: '"+maskChanged+"'") ||
			!strings.Contains(o, "user: '"+maskSame+"'") || !strings.Contains(n, "user: '"+maskSame+"'") {
			t.Errorf("%s → %s: the rotated key does not show as changed, or the kept one as kept:\n%s\n%s", pair[0], pair[1], o, n)
		}
	}
	for p, data := range sn {
		if strings.Contains(p, "twice") && strings.Contains(string(data), maskChanged) {
			t.Errorf("%s was paired with one of two removed Secrets of its name:\n%s", p, data)
		}
	}
	values := redact.New(map[string]string{"1": "app-user", "2": "0ld-generated-pw", "3": "n3w-generated-pw", "4": "0ld-moved-pw", "5": "n3w-moved-pw", "6": "0ld-twice-pw", "7": "n3w-twice-pw"})
	for side, tree := range map[string]map[string][]byte{"old": so, "new": sn} {
		for p, data := range tree {
			if found := values.FoundBytes(data); found != nil {
				t.Errorf("%s side of %s shows %v:\n%s", side, p, found, data)
			}
		}
	}
	if len(so) != len(old) || len(sn) != len(new) {
		t.Errorf("files lost: %d of %d old, %d of %d new", len(so), len(old), len(sn), len(new))
	}
}

// BenchmarkShownTreesSecrets: an env of 1,000 Secrets, each with a label
// and an annotation, unchanged. The redactor of the high-level/ files,
// of every Secret value, was built twice (a Set builds each Redactor
// added, then all again): 4.5 s, 2.2 s built once.
func BenchmarkShownTreesSecrets(b *testing.B) {
	tree := map[string][]byte{}
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	for i := range 1000 {
		tree[fmt.Sprintf("apps/a/secret_s%d.yaml", i)] = fmt.Appendf(nil, "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s%d\n  namespace: ns\n"+
			"  labels: {app.kubernetes.io/name: app-%d}\n  annotations: {meta.helm.sh/release-name: release-name-%d}\ndata:\n  user: %s\n  password: %s\n  url: %s\n",
			i, i, i, b64(fmt.Sprintf("user-%d", i)), b64(fmt.Sprintf("password-%d-xyz", i)), b64(fmt.Sprintf("postgres://user-%d:password-%d-xyz@db/app", i, i)))
	}
	for b.Loop() {
		shownTrees(redact.New(map[string]string{"A": "some-secret-var"}), sopsyaml.Identities{}, nil, tree, tree)
	}
}

// BenchmarkShownTreesBigSecret: a Secret value of 1 MiB (a config of many
// lines) beside a values file of 5,000 values. The high-level/ files'
// redactor held every form of the value whole, an automaton of some
// 40 MiB: 13 s; bounded by the longest high-level/ file, 2.6 s.
func BenchmarkShownTreesBigSecret(b *testing.B) {
	var cfg, vals strings.Builder
	for i := 0; cfg.Len() < 1<<20; i++ {
		fmt.Fprintf(&cfg, "line-%d=%s\n", i, base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "user%d:pw%d", i, i)))
	}
	for i := range 5000 {
		fmt.Fprintf(&vals, "k%d: value-%08d\n", i, i)
	}
	secret := func(v string) []byte {
		return []byte("apiVersion: v1\nkind: Secret\nmetadata:\n  name: big\n  namespace: ns\ndata:\n  cfg: " + base64.StdEncoding.EncodeToString([]byte(v)) + "\n")
	}
	old := map[string][]byte{"apps/a/secret_big.yaml": secret(cfg.String()), "high-level/a/values.yaml": []byte(vals.String())}
	new := map[string][]byte{"apps/a/secret_big.yaml": secret(cfg.String() + "x\n"), "high-level/a/values.yaml": []byte(vals.String() + "z: y\n")}
	for b.Loop() {
		shownTrees(redact.New(nil), sopsyaml.Identities{}, nil, old, new)
	}
}
