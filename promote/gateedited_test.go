package promote

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/promote/internal/gittest"
	"github.com/kiln-gitops/kiln/render"
)

// TestGateRefusesAHandEditedFolder: dev was promoted with web 1.2.3, which
// crash-loops; someone pushes a hotfix onto the manifests branch that sets
// dev's web back to 1.2.2, leaving dev's lock as it was. Flux applies the
// hotfix and reports success on that commit, but dev never ran the release
// its lock records: the gate passed and handed 1.2.3 to staging. The gate
// now holds dev's folder on the commit it judges to the lock it promotes
// from, and refuses a folder that differs, naming the file.
func TestGateRefusesAHandEditedFolder(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if _, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{})); err != nil {
		t.Fatal(err)
	}
	// Another pipeline's env folder nested in dev's is not dev's to judge.
	gittest.Update(t, f.remote, "main", map[string]string{
		"clusters/dev/billing/kiln.lock.json":                 `{"env":"dev","source":{"repo":"https://github.com/acme/billing"},"apps":{"invoices":{}}}`,
		"clusters/dev/billing/apps/invoices/configmap_x.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
	}, nil, "billing's dev")
	successAll(t, f, "dev")
	o := f.fromDev(t, &bytes.Buffer{})
	o.DryRun = true
	if _, err := promote(t, f, o); err != nil {
		t.Fatalf("with another pipeline's env folder nested in dev's: %v", err)
	}
	const file = "clusters/dev/apps/web/deployment_web.yaml"
	deployment := gittest.Files(t, f.remote, "main")[file]
	if !strings.Contains(deployment, "ghcr.io/acme/web:1.2.3") {
		t.Fatalf("dev's web does not run 1.2.3:\n%s", deployment)
	}
	gittest.Update(t, f.remote, "main", map[string]string{file: strings.Replace(deployment, "web:1.2.3", "web:1.2.2", 1)}, nil, "hotfix: dev back to web 1.2.2")
	successAll(t, f, "dev")
	for _, dry := range []bool{true, false} {
		o := f.fromDev(t, &bytes.Buffer{})
		o.DryRun = dry
		_, err := promote(t, f, o)
		if err == nil || !strings.Contains(err.Error(), "apps/web") {
			t.Errorf("dry run %v: error = %v, want the hand-edited app of dev named", dry, err)
		}
		if testing.Verbose() {
			t.Log(err)
		}
	}
	if f.gh.count() != 0 {
		t.Errorf("%d pull requests opened", f.gh.count())
	}
	if files := gittest.Files(t, f.remote, "main"); strings.Contains(files["clusters/staging/apps/web/deployment_web.yaml"], "1.2.3") {
		t.Error("staging got the image dev did not run")
	}
}

// TestGateHoldsSecretFilesToTheirNames: staging's web holds the secret
// var API_KEY in plain (allowPlainSecrets), which the promoting job does
// not read for the gate: the file is held to its name, the others byte for
// byte, and an untouched folder passes.
func TestGateHoldsSecretFilesToTheirNames(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if _, err := promote(t, f, f.opts(t, "staging", &bytes.Buffer{})); err != nil {
		t.Fatal(err)
	}
	// Its pull request merged.
	gittest.Git(t, f.remote, "update-ref", "refs/heads/main", gittest.Git(t, f.remote, "rev-parse", "kiln/staging"))
	lock := gittest.Files(t, f.remote, "main")["clusters/staging/kiln.lock.json"]
	if !strings.Contains(lock, `"secretFiles"`) {
		t.Fatalf("staging's lock names no secret file:\n%s", lock)
	}
	// The fixture's file in prod's folder is no concern of the gate's.
	gittest.Update(t, f.remote, "main", nil, []string{"clusters/prod/apps/x/a.yaml"}, "prod's folder left to kiln")
	successAll(t, f, "staging")
	o := f.opts(t, "", &bytes.Buffer{})
	o.From, o.To = "staging", "prod"
	o.Render.Images = render.Images{}
	o.DryRun = true
	if _, err := promote(t, f, o); err != nil {
		t.Fatalf("promoting from an untouched staging: %v", err)
	}
}

// TestGateOlderLockRewritten: dev's lock was written by a kiln before
// secretFiles and plainDigest, over a Secret holding the secret var
// API_KEY in plain. The gate, which does not read the values, refuses
// dev's folder, and the refusal says to promote dev again. That promotion
// changes no file, and kept the older lock (render.KeepProvenance), so the
// gate refused dev for good; it now writes the lock with secretFiles, and
// the gate passes.
func TestGateOlderLockRewritten(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if _, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{})); err != nil {
		t.Fatal(err)
	}
	const lockPath = "clusters/dev/kiln.lock.json"
	stripped := false
	editRemoteLock(t, f, "dev", "an older kiln's lock", func(m map[string]any) {
		for _, a := range m["apps"].(map[string]any) {
			e := a.(map[string]any)
			_, had := e["secretFiles"]
			stripped = stripped || had
			delete(e, "secretFiles")
			delete(e, "plainDigest")
		}
	})
	if !stripped {
		t.Fatal("dev's lock names no secret file: the test tests nothing")
	}
	successAll(t, f, "dev")
	o := f.fromDev(t, &bytes.Buffer{})
	o.DryRun = true
	if _, err := promote(t, f, o); err == nil || !strings.Contains(err.Error(), "apps/cache") {
		t.Fatalf("from an older kiln's lock: error = %v, want app cache refused", err)
	}
	res, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{}))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Changed || !strings.Contains(gittest.Files(t, f.remote, "main")[lockPath], `"secretFiles"`) {
		t.Fatalf("promoting dev again kept the older lock (changed %v)", res.Changed)
	}
	successAll(t, f, "dev")
	o = f.fromDev(t, &bytes.Buffer{})
	o.DryRun = true
	if _, err := promote(t, f, o); err != nil {
		t.Errorf("after promoting dev again: %v", err)
	}
}

// TestGateOlderLockKeptByApp: dev's lock is as kiln 36e14a4f wrote it (no
// secretFiles, plainDigest or highLevelDigest; render/testdata/olderlock),
// over cache's Secret holding API_KEY in plain. The gate, which reads no
// secret value, cannot check cache's files: its refusal said that a
// commit of others changed the folder, and now says the older lock may be
// why. After the upgrade, a promotion of web alone keeps cache from the
// branch; it copied cache's entry without secretFiles, so the gate went
// on refusing a folder nobody had touched. The kept entry now gets them
// from the files its digest vouches for, and the gate passes.
func TestGateOlderLockKeptByApp(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if _, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{})); err != nil {
		t.Fatal(err)
	}
	const lockPath = "clusters/dev/kiln.lock.json"
	editRemoteLock(t, f, "dev", "kiln 36e14a4f's lock", func(m map[string]any) {
		m["kilnVersion"] = "36e14a4f"
		for _, a := range m["apps"].(map[string]any) {
			e := a.(map[string]any)
			delete(e, "secretFiles")
			delete(e, "plainDigest")
			delete(e, "highLevelDigest")
		}
	})
	successAll(t, f, "dev")
	o := f.fromDev(t, &bytes.Buffer{})
	o.DryRun = true
	_, err := promote(t, f, o)
	if err == nil || !strings.Contains(err.Error(), "app cache:") ||
		!strings.Contains(err.Error(), `names no secretFiles (an older kiln wrote it; the lock names kiln "36e14a4f")`) ||
		!strings.Contains(err.Error(), "or its lock is an older kiln's, which holds entries or image keys this kiln checks otherwise") {
		t.Fatalf("gate over an older kiln's lock: error = %v, want cache refused, saying the older lock may be why", err)
	}
	web := f.opts(t, "dev", &bytes.Buffer{})
	web.Render.Apps = []string{"web"}
	web.Render.Images = render.Images{Refs: []string{"ghcr.io/acme/web:1.2.4"}}
	if _, err := promote(t, f, web); err != nil {
		t.Fatal(err)
	}
	if lock := gittest.Files(t, f.remote, "main")[lockPath]; !strings.Contains(lock, `"secretFiles"`) {
		t.Fatalf("promoting web alone kept cache's entry without secretFiles:\n%s", lock)
	}
	successAll(t, f, "dev")
	o = f.fromDev(t, &bytes.Buffer{})
	o.DryRun = true
	if _, err := promote(t, f, o); err != nil {
		t.Errorf("gate after promoting web alone: %v", err)
	}
}

// TestGateOlderLockImageAppliedToNothing: a kiln before 5 December, 11:18
// (23354c94 here, which wrote secretFiles already) matched registries with
// regard to case, so CI's GHCR.IO/acme/web:9.9 reached no
// container of dev (web runs its template's ghcr.io/acme/web:1.0.0, and
// that kiln warned of it), and dev's lock records it all the same. This
// kiln finds a lock's images by the repository normalised, so the gate
// handed 9.9 on to staging as the image dev ran healthy. It refuses now,
// saying the older kiln is why.
func TestGateOlderLockImageAppliedToNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	dev := f.opts(t, "dev", &bytes.Buffer{})
	dev.Render.Images = render.Images{}
	if _, err := promote(t, f, dev); err != nil {
		t.Fatal(err)
	}
	// As kiln 23354c94 wrote it, given CI's image as kiln 36e14a4f was in
	// render/testdata/olderlock.
	editRemoteLock(t, f, "dev", "kiln 23354c94's lock", func(m map[string]any) {
		m["kilnVersion"] = "23354c94"
		m["images"] = map[string]any{"GHCR.IO/acme/web": "GHCR.IO/acme/web:9.9"}
	})
	successAll(t, f, "dev")
	_, err := promote(t, f, f.fromDev(t, &bytes.Buffer{}))
	for _, ref := range []string{"main", "kiln/staging"} {
		for p, s := range gittest.Files(t, f.remote, ref) {
			if strings.HasPrefix(p, "clusters/staging/") && strings.Contains(s, "web:9.9") {
				t.Errorf("%s: %s runs web:9.9, which dev never ran", ref, p)
			}
		}
	}
	if err == nil || !strings.Contains(err.Error(), `kiln "23354c94" wrote the lock, which matched a registry with regard to case and applied it to no object, where this kiln matches it to ghcr.io/acme/web`) ||
		!strings.Contains(err.Error(), "or its lock is an older kiln's, which holds entries or image keys this kiln checks otherwise") {
		t.Errorf("gate over an image dev's kiln applied to nothing: %v", err)
	}
}
