package promote

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/sopstest"
	"github.com/kiln-gitops/kiln/promote/internal/gittest"
	"github.com/kiln-gitops/kiln/render"
)

// encryptingFixture is the test project with kiln encrypting the cache
// app's Secret (it holds the secret var API_KEY) to a new age key in
// every env, instead of allowing it in plain text.
func encryptingFixture(t *testing.T) (f *fixture, identity string) {
	t.Helper()
	identity, recipient := ageKey(t)
	f = newFixture(t)
	files := map[string]string{}
	for _, env := range []string{"dev", "staging", "prod"} {
		files["envs/"+env+".yaml"] = "vars:\n  GREETING: hello-" + env + "\nsecretVars:\n  API_KEY: TEST_API_KEY\nsops:\n  age: [" + recipient + "]\n"
	}
	f.commitCode(t, files, "encrypt secrets")
	return f, identity
}

// TestPromoteSOPSNoChurn: SOPS encryption is randomised, yet a promotion
// whose Secret plaintext is unchanged must leave its file alone. On a real
// manifests repository: the rerun of an open pull request pushes nothing
// (the branch's ciphertext is kept), a promotion after the merge finds
// nothing to do, a change elsewhere leaves the Secret's file out of the
// commit, and what lands still decrypts (MAC checked) to the secret value.
func TestPromoteSOPSNoChurn(t *testing.T) {
	t.Parallel()
	f, identity := encryptingFixture(t)
	opts := func() Options {
		o := f.opts(t, "staging", &bytes.Buffer{})
		o.Render.SOPSIdentities = identity
		return o
	}
	const secretFile = "clusters/staging/apps/cache/secret_cache.yaml"

	res, err := promote(t, f, opts())
	if err != nil {
		t.Fatal(err)
	}
	if !res.Changed || res.PRNumber != 1 {
		t.Fatalf("first promotion = %+v", res)
	}
	tip := gittest.Git(t, f.remote, "rev-parse", "kiln/staging")
	enc := gittest.Files(t, f.remote, "kiln/staging")[secretFile]
	plain, err := sopstest.Decrypt([]byte(enc), identity)
	if err != nil || !strings.Contains(string(plain), secretValue) {
		t.Fatalf("the promoted Secret does not decrypt to the secret value: %v", err)
	}

	// Rerun with the PR open and main without the env: the PR branch's
	// ciphertext is kept, so nothing is pushed.
	res, err = promote(t, f, opts())
	if err != nil {
		t.Fatal(err)
	}
	if got := gittest.Git(t, f.remote, "rev-parse", "kiln/staging"); got != tip || res.Commit != tip {
		t.Errorf("a rerun re-encrypted the Secret and pushed %s (result %s), was %s", got, res.Commit, tip)
	}

	// Merged: a promotion of the same source changes nothing.
	gittest.Git(t, f.remote, "update-ref", "refs/heads/main", "refs/heads/kiln/staging")
	res, err = promote(t, f, opts())
	if err != nil {
		t.Fatal(err)
	}
	if res.Changed {
		t.Errorf("an unchanged Secret made a change: %+v", res.Files)
	}
	// kiln diff agrees: nothing to show.
	o := opts()
	d, err := Diff(context.Background(), f.pipeline(t), DiffOptions{Env: "staging", Render: o.Render, GitEnv: o.GitEnv, WorkDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if d.Changed {
		t.Errorf("kiln diff shows an unchanged Secret:\n%s", d.Unified(false))
	}

	// A change elsewhere: the commit leaves the Secret's file alone.
	f.commitCode(t, map[string]string{"apps/web/service.yaml": strings.Replace(project("")["apps/web/service.yaml"], "port: 80", "port: 8080", 1)}, "port")
	res, err = promote(t, f, opts())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Files {
		if strings.HasPrefix(c.Path, "apps/cache/") {
			t.Errorf("the unchanged Secret's app changed: %+v", c)
		}
	}
	if got := gittest.Files(t, f.remote, "kiln/staging")[secretFile]; got != enc {
		t.Errorf("the Secret's file was rewritten:\n%s\nwas\n%s", got, enc)
	}

	// Without the key kiln cannot tell: the Secret is encrypted anew, and
	// the log says why once.
	var log bytes.Buffer
	o = opts()
	o.Render.SOPSIdentities = ""
	o.Log = &log
	res, err = promote(t, f, o)
	if err != nil {
		t.Fatal(err)
	}
	changed := false
	for _, c := range res.Files {
		changed = changed || c.Path == "apps/cache/secret_cache.yaml"
	}
	if !changed || strings.Count(log.String(), "encrypted anew") != 1 {
		t.Errorf("without the key: Secret changed %v, log:\n%s", changed, log.String())
	}
}

// TestPromoteSOPSPushNoChurn: push mode, twice from the same source: the
// second promotion finds the manifests branch as it would write it.
func TestPromoteSOPSPushNoChurn(t *testing.T) {
	t.Parallel()
	f, identity := encryptingFixture(t)
	o := f.opts(t, "dev", &bytes.Buffer{})
	o.Render.SOPSIdentities = identity
	if _, err := promote(t, f, o); err != nil {
		t.Fatal(err)
	}
	before := gittest.Git(t, f.remote, "rev-parse", "main")
	res, err := promote(t, f, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Changed || gittest.Git(t, f.remote, "rev-parse", "main") != before {
		t.Errorf("a second push of an unchanged Secret changed %+v", res.Files)
	}
}

// TestReviewSOPS: a rotated secret in a Secret kiln encrypts. kiln diff
// and the pull request body show which keys of the Secret changed (by
// plaintext, with the age key; by ciphertext only, and said so, without),
// and neither the old value, the new one nor any ciphertext.
func TestReviewSOPS(t *testing.T) {
	t.Parallel()
	f, identity := encryptingFixture(t)
	o := f.opts(t, "dev", &bytes.Buffer{})
	o.Render.SOPSIdentities = identity
	if _, err := promote(t, f, o); err != nil {
		t.Fatal(err)
	}
	const rotated = "r0tated-s3cret-value"
	o = f.opts(t, "staging", &bytes.Buffer{})
	o.Env = "dev"
	o.Render.SOPSIdentities = identity
	o.Render.LookupEnv = func(k string) (string, bool) {
		if k == "TEST_API_KEY" {
			return rotated, true
		}
		return "", false
	}
	o.DryRun = true
	for _, tc := range []struct {
		name, identity string
		want           []string
	}{
		{name: "with the key", identity: identity, want: []string{
			"+# kiln: SOPS-encrypted; values compared by plaintext",
			"+# changed: stringData.key\n+# unchanged: stringData.size\n",
			"-  key: '**encrypted: previous value**'\n+  key: '**encrypted: new value**'\n",
		}},
		{name: "without the key", want: []string{
			"+# kiln: SOPS-encrypted; values compared by ciphertext only",
			"+# ciphertext changed: stringData.size, stringData.key\n",
		}},
	} {
		o.Render.SOPSIdentities = tc.identity
		res, err := promote(t, f, o)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		d, err := Diff(context.Background(), f.pipeline(t), DiffOptions{Env: "dev", Render: o.Render, GitEnv: o.GitEnv, WorkDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		diff := d.Unified(false)
		for _, text := range []string{res.Body, diff} {
			for _, want := range tc.want {
				if !strings.Contains(text, want) {
					t.Errorf("%s: lacks %q:\n%s", tc.name, want, text)
				}
			}
			for _, bad := range []string{rotated, secretValue, "ENC[", "mac:"} {
				if strings.Contains(text, bad) {
					t.Errorf("%s: shows %q:\n%s", tc.name, bad, text)
				}
			}
		}
	}
}

// TestPromoteRenderedSOPSNoChurn: CI renders in a fresh checkout (no
// earlier tree, so every Secret is encrypted anew) and promotes with
// --rendered. With the age key the promotion keeps the manifests branch's
// ciphertext of an unchanged Secret, lock included, so nothing changes;
// the Secret still decrypts to the secret value.
func TestPromoteRenderedSOPSNoChurn(t *testing.T) {
	t.Parallel()
	f, identity := encryptingFixture(t)
	renderTo := func() string {
		o := f.opts(t, "dev", &bytes.Buffer{})
		out := t.TempDir()
		writeRender(t, f, o.Render, out)
		return out
	}
	var log bytes.Buffer
	o := f.opts(t, "dev", &log)
	o.Render = render.Options{Version: "test", LookupEnv: lookup, SOPSIdentities: identity}
	o.Rendered = renderTo()
	if _, err := promote(t, f, o); err != nil {
		t.Fatal(err)
	}
	before := gittest.Git(t, f.remote, "rev-parse", "main")
	o.Rendered = renderTo()
	res, err := promote(t, f, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Changed || gittest.Git(t, f.remote, "rev-parse", "main") != before {
		t.Errorf("a fresh render of an unchanged Secret changed %+v\nlog:\n%s", res.Files, log.String())
	}
	if !strings.Contains(log.String(), "kept the ciphertext of 1 SOPS-encrypted file whose values did not change") {
		t.Errorf("log:\n%s", log.String())
	}
	enc := gittest.Files(t, f.remote, "main")["clusters/dev/apps/cache/secret_cache.yaml"]
	if plain, err := sopstest.Decrypt([]byte(enc), identity); err != nil || !strings.Contains(string(plain), secretValue) {
		t.Errorf("the Secret does not decrypt to the secret value: %v", err)
	}

	// A job with the key but not the secret vars keeps it too: the app's
	// only file holding the secret var's value is the encrypted Secret,
	// which holds it in no plain form, so its digests mask nothing.
	log.Reset()
	o.Render.LookupEnv = nil
	o.Rendered = renderTo()
	if res, err = promote(t, f, o); err != nil {
		t.Fatal(err)
	}
	if res.Changed || gittest.Git(t, f.remote, "rev-parse", "main") != before {
		t.Errorf("without the secret vars, a fresh render of an unchanged Secret changed %+v\nlog:\n%s", res.Files, log.String())
	}
	o.Render.LookupEnv = lookup

	// Without the key the fresh ciphertext is promoted.
	o.Render.SOPSIdentities = ""
	o.Rendered = renderTo()
	if res, err = promote(t, f, o); err != nil {
		t.Fatal(err)
	}
	if !res.Changed {
		t.Errorf("without the key, a fresh encryption cannot be told from a change, yet nothing changed")
	}
}

// TestReviewStartEncrypting: the first promotion after an env starts
// encrypting (sops: added to an env that had allowPlainSecrets) compares a
// plain Secret on the manifests branch with an encrypted one. Neither side
// is a pair of SOPS documents, and before, the encrypted side was shown as
// plain YAML: its wrapped data key and its MAC's ciphertext were in the
// diff and the pull request body. Now each side is masked on its own, the
// encrypted one as a review shows it, saying its values are not compared.
func TestReviewStartEncrypting(t *testing.T) {
	t.Parallel()
	identity, recipient := ageKey(t)
	f := newFixture(t)
	if _, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{})); err != nil {
		t.Fatal(err)
	}
	f.commitCode(t, map[string]string{
		"envs/dev.yaml": "vars:\n  GREETING: hello-dev\nsecretVars:\n  API_KEY: TEST_API_KEY\nsops:\n  age: [" + recipient + "]\n",
	}, "encrypt secrets")
	o := f.opts(t, "dev", &bytes.Buffer{})
	o.Render.SOPSIdentities = identity
	o.DryRun = true
	res, err := promote(t, f, o)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Diff(context.Background(), f.pipeline(t), DiffOptions{Env: "dev", Render: o.Render, GitEnv: o.GitEnv, WorkDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{"PR body": res.Body, "diff": d.Unified(false)} {
		if !strings.Contains(text, "kiln: SOPS-encrypted on this side only") || !strings.Contains(text, "'**encrypted**'") {
			t.Errorf("%s does not show the encrypted Secret as a review:\n%s", name, text)
		}
		for _, bad := range []string{secretValue, "ENC[", "mac:", "BEGIN AGE ENCRYPTED FILE", "lastmodified"} {
			if strings.Contains(text, bad) {
				t.Errorf("%s shows %q:\n%s", name, bad, text)
			}
		}
	}
}

// TestKeepCiphertextWithoutSecretVars: KeepCiphertext told that the
// env's secret vars are unknown (rd nil) keeps an unchanged Secret's
// earlier ciphertext in an app none of whose files holds a secret var's
// value in plain form, its digests computed masking nothing, as the
// render's are; but not in an app whose lock entry names such a file:
// that app's output digest would be computed over the unmasked value.
func TestKeepCiphertextWithoutSecretVars(t *testing.T) {
	t.Parallel()
	f, identity := encryptingFixture(t)
	o := f.opts(t, "dev", &bytes.Buffer{})
	earlier := renderDev(t, f, o.Render).Files
	er := renderDev(t, f, o.Render)
	const secret = "apps/cache/secret_cache.yaml"
	if bytes.Equal(earlier[secret], er.Files[secret]) {
		t.Fatal("two encryptions gave the same ciphertext: the test tests nothing")
	}
	out, kept, err := render.KeepCiphertext(er.Files, identity, nil, earlier)
	if err != nil || kept != 1 || !bytes.Equal(out[secret], earlier[secret]) || !bytes.Equal(out["kiln.lock.json"], earlier["kiln.lock.json"]) {
		t.Errorf("no plain secret, secret vars unknown: kept %d (%v); want the earlier ciphertext and lock", kept, err)
	}

	// The same tree, its lock naming a file of the cache app that holds a
	// secret var's value.
	lock := *er.Lock
	lock.Apps = maps.Clone(lock.Apps)
	cache := lock.Apps["cache"]
	cache.SecretFiles, cache.PlainDigest = []string{"configmap_plain.yaml"}, "sha256:0"
	lock.Apps["cache"] = cache
	lj, err := json.Marshal(&lock)
	if err != nil {
		t.Fatal(err)
	}
	files := maps.Clone(er.Files)
	files["kiln.lock.json"] = lj
	out, kept, err = render.KeepCiphertext(files, identity, nil, earlier)
	if err != nil || kept != 0 || !bytes.Equal(out[secret], er.Files[secret]) || !bytes.Equal(out["kiln.lock.json"], lj) {
		t.Errorf("a plain secret it cannot mask: kept %d (%v); want nothing kept, the lock as it was", kept, err)
	}
}

// TestRenderedKeepsOnlyTheSecretsCiphertext: promote --rendered checks the
// tree it reads (each object file holds exactly the one object its lock
// records), then keeps the ciphertext of each unchanged SOPS-encrypted
// Secret from kiln/<env> or the manifests branch. A file there that holds
// more than the encrypted Secret (a ClusterRoleBinding appended after
// "---" in a commit that carries kiln's trailer, which kiln takes for its
// own and replaces) decrypts all the same, since sops reads the first
// document; kept whole, the appended object went into kiln's commit
// unchecked, and the bootstrap Kustomization would apply it.
func TestRenderedKeepsOnlyTheSecretsCiphertext(t *testing.T) {
	t.Parallel()
	f, identity := encryptingFixture(t)
	renderStaging := func(image string) string {
		ro := render.Options{Version: "test", Source: render.Source{Repo: "https://github.com/acme/shop", Commit: f.head(t)},
			LookupEnv: lookup, SOPSIdentities: identity, Images: render.Images{Refs: []string{image}}}
		r, err := render.New(f.pipeline(t), ro)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		results, err := r.Render(context.Background(), []string{"staging"})
		if err != nil || results[0].Err != nil {
			t.Fatal(err, results[0].Err)
		}
		out := t.TempDir()
		if err := render.WriteEnv(out, results[0]); err != nil {
			t.Fatal(err)
		}
		return out
	}
	opts := func(rendered string) Options {
		o := f.opts(t, "staging", &bytes.Buffer{})
		o.Render = render.Options{Version: "test", LookupEnv: lookup, SOPSIdentities: identity}
		o.Rendered = rendered
		return o
	}
	if _, err := promote(t, f, opts(renderStaging("ghcr.io/acme/web:1.2.3"))); err != nil {
		t.Fatal(err)
	}
	const secretFile = "clusters/staging/apps/cache/secret_cache.yaml"
	const extra = "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: planted\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\nsubjects: [{kind: Group, name: system:authenticated, apiGroup: rbac.authorization.k8s.io}]\n"
	planted := gittest.Files(t, f.remote, "kiln/staging")[secretFile] + extra
	gittest.Update(t, f.remote, "kiln/staging", map[string]string{secretFile: planted}, nil, "kiln: staging ← amended\n\nKiln-Env: staging\n")

	if _, err := promote(t, f, opts(renderStaging("ghcr.io/acme/web:1.2.4"))); err != nil {
		t.Fatal(err)
	}
	got := gittest.Files(t, f.remote, "kiln/staging")[secretFile]
	if strings.Contains(got, "ClusterRoleBinding") {
		t.Errorf("kiln/staging's %s holds the object appended to the Secret's file on the branch:\n%s", secretFile, got)
	}
	if plain, err := sopstest.Decrypt([]byte(got), identity); err != nil || !strings.Contains(string(plain), secretValue) {
		t.Errorf("the Secret does not decrypt to the secret value: %v", err)
	}
}
