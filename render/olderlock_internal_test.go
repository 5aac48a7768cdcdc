package render

import (
	"slices"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/redact"
)

// TestWithSecretFilesOnlyWhatTheDigestCovers: withSecretFiles names an
// older entry's secretFiles and plainDigest only when its outputDigest is
// that of the files as they are. Every caller holds the files to the
// digest first (keep, CheckTree), but the entry it writes is what a job
// without the secret values checks the files by from then on: made of
// files the digest does not cover, it would vouch, as kiln's, for bytes
// nobody checked.
func TestWithSecretFilesOnlyWhatTheDigestCovers(t *testing.T) {
	t.Parallel()
	rd := redact.New(map[string]string{"DB_PASSWORD": "fixture-pw-not-a-secret"})
	files := map[string][]byte{
		"apps/db/secret_db.yaml":     []byte("apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData: {pw: fixture-pw-not-a-secret}\n"),
		"apps/db/configmap_db.yaml":  []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: db}\n"),
		"apps/db/kustomization.yaml": []byte("resources: [configmap_db.yaml, secret_db.yaml]\n"),
		"flux/db.yaml":               []byte("kind: Kustomization\n"),
	}
	obj := map[string][]byte{}
	for p, data := range files {
		if name, ok := strings.CutPrefix(p, "apps/db/"); ok && name != "kustomization.yaml" {
			obj[name] = data
		}
	}
	var older LockApp
	setOutputDigests(&older, obj, rd)
	older.SecretFiles, older.PlainDigest = nil, "" // as a kiln before them wrote it

	got := withSecretFiles(older, files, "apps/db/", rd)
	if !slices.Equal(got.SecretFiles, []string{"secret_db.yaml"}) || got.PlainDigest == "" {
		t.Fatalf("files the digest covers: secretFiles %q, plainDigest %q", got.SecretFiles, got.PlainDigest)
	}

	// The ConfigMap edited after the older kiln wrote the entry: its
	// digest no longer covers the files, and nothing is added to it.
	edited := map[string][]byte{}
	for p, data := range files {
		edited[p] = data
	}
	edited["apps/db/configmap_db.yaml"] = append(slices.Clone(files["apps/db/configmap_db.yaml"]), "data: {edited: x}\n"...)
	if got := withSecretFiles(older, edited, "apps/db/", rd); got.SecretFiles != nil || got.PlainDigest != "" {
		t.Errorf("files the digest does not cover: secretFiles %q, plainDigest %q; want none", got.SecretFiles, got.PlainDigest)
	}
}

// TestLockImagesRunOlderOnlyForCase: only a key that differs from its
// repository normalised in case is an older kiln's; any other key that
// ParseRef normalises ("redis") no kiln wrote, and its error still says
// the lock was edited rather than blaming an upgrade.
func TestLockImagesRunOlderOnlyForCase(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ key, want string }{
		{"GHCR.io/acme/web", `kiln "v1" wrote the lock, which matched a registry with regard to case`},
		{"redis", "the lock was edited after kiln wrote it"},
	} {
		lock := &Lock{KilnVersion: "v1", Images: map[string]string{tc.key: tc.key + ":2.0"},
			Apps: map[string]LockApp{"a": {Images: []string{"ghcr.io/acme/web:1.0", "docker.io/library/redis:1.0"}}}}
		err := lockImagesRun(lock, "dev/kiln.lock.json", "")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("key %s: %v\nwant it to say: %s", tc.key, err, tc.want)
		}
	}
}
