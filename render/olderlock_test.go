package render_test

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/render"
)

// olderLockValue is the secret var's value the older kiln rendered
// testdata/olderlock/tree-36e14a4f with (README there).
const olderLockValue = "fixture-pw-not-a-secret"

func olderTree(t *testing.T) (map[string][]byte, *render.Lock) {
	t.Helper()
	files, err := render.ReadTree("testdata/olderlock/tree-36e14a4f")
	if err != nil {
		t.Fatal(err)
	}
	lock, err := render.ParseLock(files[render.LockFile])
	if err != nil {
		t.Fatal(err)
	}
	if la := lock.Apps["db"]; la.SecretFiles != nil || la.PlainDigest != "" || la.HighLevelDigest != "" {
		t.Fatalf("the fixture's db entry is not an older kiln's: %+v", la)
	}
	return files, lock
}

// TestOlderLockKeptAppGetsSecretFiles: after an upgrade, kiln render --app
// web keeps db as the older kiln wrote it, entry and all. That entry has
// no secretFiles: its outputDigest covers db's Secret with the value
// masked. The render has the value and checks the digest; the lock it
// writes kept the entry without secretFiles, so the gate of kiln promote
// --from, which reads no secret value, could never check db's files again
// and refused the env as edited by others, though nobody had touched it.
func TestOlderLockKeptAppGetsSecretFiles(t *testing.T) {
	t.Parallel()
	earlier, _ := olderTree(t)
	opts := testOptions()
	opts.LookupEnv = func(k string) (string, bool) { return olderLockValue, k == "DEV_DB_PASSWORD" }
	opts.Apps = []string{"web"}
	opts.Earlier = func(string) (map[string][]byte, error) { return earlier, nil }
	er := renderAll(t, load(t, "testdata/olderlock/project"), opts)[0]
	if er.Err != nil {
		t.Fatal(er.Err)
	}
	lock, err := render.ParseLock(er.Files[render.LockFile])
	if err != nil {
		t.Fatal(err)
	}
	db := lock.Apps["db"]
	if !slices.Equal(db.SecretFiles, []string{"secret_db.yaml"}) || db.PlainDigest == "" {
		t.Errorf("kept db's entry: secretFiles %q, plainDigest %q; want secret_db.yaml named and a plainDigest", db.SecretFiles, db.PlainDigest)
	}
	// A hand edit would fail this; a kiln that wrote the tree must not.
	if err := render.CheckTree(er.Files, lock, nil, nil, "clusters/dev", ""); err != nil {
		t.Errorf("the tree as a job without the secret values checks it: %v", err)
	}
}

// TestOlderLockCheckSaysWhy: a job without the secret values (the gate of
// kiln promote --from) cannot check an older kiln's entry of an app whose
// file holds a secret value in plain. It refused the folder as "removed,
// added or edited after kiln wrote it", which after an upgrade reads as
// tampering; the error says that the older lock may be why, and an edit
// of a file under a lock of this kiln is still called only an edit.
func TestOlderLockCheckSaysWhy(t *testing.T) {
	t.Parallel()
	files, lock := olderTree(t)
	err := render.CheckTree(files, lock, nil, nil, "clusters/dev", "")
	if err == nil {
		t.Fatal("an older kiln's entry over a plain secret value passed a check without the value")
	}
	if msg := err.Error(); !strings.Contains(msg, `app db:`) || !strings.Contains(msg, `the entry names no secretFiles (an older kiln wrote it; the lock names kiln "36e14a4f")`) {
		t.Errorf("error does not say that the older lock may be why:\n%s", msg)
	}
	if strings.Contains(err.Error(), olderLockValue) {
		t.Errorf("error holds the secret value")
	}

	opts := testOptions()
	opts.LookupEnv = func(k string) (string, bool) { return olderLockValue, k == "DEV_DB_PASSWORD" }
	er := renderAll(t, load(t, "testdata/olderlock/project"), opts)[0]
	if er.Err != nil {
		t.Fatal(er.Err)
	}
	newer, err := render.ParseLock(er.Files[render.LockFile])
	if err != nil {
		t.Fatal(err)
	}
	edited := maps.Clone(er.Files)
	edited["apps/db/secret_db.yaml"] = append(slices.Clone(edited["apps/db/secret_db.yaml"]), "# edited\n"...)
	edited["apps/db/configmap_db.yaml"] = append(slices.Clone(edited["apps/db/configmap_db.yaml"]), "# edited\n"...)
	err = render.CheckTree(edited, newer, nil, nil, "clusters/dev", "")
	if err == nil || strings.Contains(err.Error(), "names no secretFiles") {
		t.Errorf("an edit under this kiln's lock: %v", err)
	}
}

// TestOlderLockImageAppliedToNothing: kiln 36e14a4f matched registries
// with regard to case, so CI's GHCR.io/acme/web:2.0 reached no container
// (web runs ghcr.io/acme/web:1.0), and its lock records it all the same.
// This kiln finds lock images by the repository normalised, so kiln
// promote --from handed 2.0 on to the next env as the image dev ran. The
// check of the tree (the gate's, --rendered's) now refuses it, saying
// that the older kiln is why.
func TestOlderLockImageAppliedToNothing(t *testing.T) {
	t.Parallel()
	files, lock := olderTree(t)
	err := render.CheckTree(files, lock, nil, nil, "clusters/dev", "")
	want := `kiln.lock.json gives GHCR.io/acme/web as "GHCR.io/acme/web:2.0", which no object of the tree runs: kiln "36e14a4f" wrote the lock, which matched a registry with regard to case and applied it to no object, where this kiln matches it to ghcr.io/acme/web`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("check of the older tree: %v\nwant it to say: %s", err, want)
	}
}
