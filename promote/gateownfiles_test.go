package promote

import (
	"bytes"
	"cmp"
	"strings"
	"testing"
	"time"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

// TestGateHoldsFluxFiles: dev's kiln.lock.json records digests of each
// app's objects, not of its Flux Kustomization, so a hand edit of dev's
// flux/web.yaml on the manifests branch (prune: false, another path, an
// object appended, which the bootstrap applies with cluster-admin's
// rights) passed the gate: dev's statuses vouched for a folder kiln never
// wrote, and staging was promoted from it. The gate now makes dev's flux/
// again at the commit dev's lock names and refuses a folder that differs,
// naming the file; the untouched folder, and Flux's own bootstrap files,
// still pass.
func TestGateHoldsFluxFiles(t *testing.T) {
	t.Parallel()
	const flux = "clusters/dev/flux/web.yaml"
	for _, tc := range []struct {
		name, file string
		edit       func(string) string
	}{
		{"notifications", "clusters/dev/flux/notifications.yaml", func(s string) string { return strings.Replace(s, "eventSeverity: info", "eventSeverity: error", 1) }},
		{"prune", "", func(s string) string { return strings.Replace(s, "prune: true", "prune: false", 1) }},
		{"path", "", func(s string) string {
			return strings.Replace(s, "path: ./clusters/dev/apps/web", "path: ./clusters/dev/apps/cache", 1)
		}},
		{"appended", "", func(s string) string {
			return s + "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: me\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\nsubjects: [{kind: User, name: me}]\n"
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			if _, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{})); err != nil {
				t.Fatal(err)
			}
			// Flux's bootstrap files are not kiln's: they pass. So does a
			// lock of another kiln version that wrote the same files (the
			// lock keeps it while a newer kiln writes them alike).
			const lockPath = "clusters/dev/kiln.lock.json"
			lock := gittest.Files(t, f.remote, "main")[lockPath]
			older := strings.Replace(lock, `"kilnVersion": "test"`, `"kilnVersion": "0.9.0"`, 1)
			if older == lock {
				t.Fatalf("no kilnVersion in:\n%s", lock)
			}
			gittest.Update(t, f.remote, "main", map[string]string{"clusters/dev/flux/flux-system/gotk-sync.yaml": "kind: Kustomization\n", lockPath: older}, nil, "flux bootstrap")
			successAll(t, f, "dev")
			o := f.fromDev(t, &bytes.Buffer{})
			o.DryRun = true
			if _, err := promote(t, f, o); err != nil {
				t.Fatalf("from an untouched dev: %v", err)
			}
			file := cmp.Or(tc.file, flux)
			old := gittest.Files(t, f.remote, "main")[file]
			edited := tc.edit(old)
			if edited == old {
				t.Fatalf("the edit changes nothing in:\n%s", old)
			}
			gittest.Update(t, f.remote, "main", map[string]string{file: edited}, nil, "hand edit of dev's Kustomization")
			successAll(t, f, "dev")
			for _, dry := range []bool{true, false} {
				o := f.fromDev(t, &bytes.Buffer{})
				o.DryRun = dry
				_, err := promote(t, f, o)
				if err == nil || !strings.Contains(err.Error(), "is not what kiln makes of its objects with kiln.yaml and the env file at ") || !strings.Contains(err.Error(), "in 1 file: "+file) {
					t.Errorf("dry run %v: error = %v, want %s named", dry, err, file)
				}
			}
			if f.gh.count() != 0 {
				t.Errorf("%d pull requests opened", f.gh.count())
			}
		})
	}
}

// TestGateFluxFilesWithSOPS: dev encrypts its Secrets with SOPS; making
// dev's flux/ again for the gate keeps their ciphertext as the folder has
// it, with dev's key or without (the job promoting staging may not hold
// it), and the untouched folder passes.
func TestGateFluxFilesWithSOPS(t *testing.T) {
	t.Parallel()
	f, identity := encryptingFixture(t)
	o := f.opts(t, "dev", &bytes.Buffer{})
	o.Render.SOPSIdentities = identity
	if _, err := promote(t, f, o); err != nil {
		t.Fatal(err)
	}
	successAll(t, f, "dev")
	for _, id := range []string{identity, ""} {
		o := f.fromDev(t, &bytes.Buffer{})
		o.Render.SOPSIdentities = id
		o.DryRun = true
		if _, err := promote(t, f, o); err != nil {
			t.Errorf("with the key %v: %v", id != "", err)
		}
	}
}

// TestGateHoldsFluxFilesOfTheNewestHead: through GitHub's API, under
// --wait, dev is pending on kiln's commit when someone pushes a hand edit
// of dev's flux/web.yaml (prune: false) and Flux reports success on that
// head. The gate judges the newest head, as it must, and its flux/ is
// held there: the promotion is refused, naming the file, though every
// status is green.
func TestGateHoldsFluxFilesOfTheNewestHead(t *testing.T) {
	t.Parallel()
	g := newGitHubGate(t)
	const flux = "clusters/dev/flux/web.yaml"
	o := g.from(time.Minute, func(sleeps int) error {
		if sleeps == 1 {
			old := gittest.Files(t, g.f.remote, "main")[flux]
			gittest.Update(t, g.f.remote, "main", map[string]string{flux: strings.Replace(old, "prune: true", "prune: false", 1)}, nil, "dev: no pruning")
			g.tip = gittest.Git(t, g.f.remote, "rev-parse", "main")
			g.set("success")
		}
		return nil
	})
	_, err := promote(t, g.f, o)
	if err == nil || !strings.Contains(err.Error(), "in 1 file: "+flux) {
		t.Fatalf("err = %v, want %s named\n%s", err, flux, g.log.String())
	}
	if testing.Verbose() {
		t.Log(err)
	}
	if !strings.Contains(err.Error(), "on commit "+g.tip[:7]) {
		t.Errorf("the gate did not judge the newest head %s:\n%s", g.tip[:7], g.log.String())
	}
}

// TestGateFluxFilesAllowDirty: dev was promoted from uncommitted changes
// (--allow-dirty), which may lay out its flux/ otherwise than its commit
// does. A promotion from it with --allow-dirty warns of the difference
// and goes ahead, as it goes ahead over the changes; without, refused.
func TestGateFluxFilesAllowDirty(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	o := f.opts(t, "dev", &bytes.Buffer{})
	o.Render.Source.Dirty, o.AllowDirty = true, true
	if _, err := promote(t, f, o); err != nil {
		t.Fatal(err)
	}
	const flux = "clusters/dev/flux/web.yaml"
	old := gittest.Files(t, f.remote, "main")[flux]
	gittest.Update(t, f.remote, "main", map[string]string{flux: strings.Replace(old, "prune: true", "prune: false", 1)}, nil, "as the uncommitted kiln.yaml had it")
	successAll(t, f, "dev")
	var log bytes.Buffer
	o = f.fromDev(t, &log)
	o.AllowDirty, o.DryRun = true, true
	if _, err := promote(t, f, o); err != nil {
		t.Fatalf("--allow-dirty: %v", err)
	}
	if !strings.Contains(log.String(), "in 1 file: "+flux) || !strings.Contains(log.String(), "promoting all the same: --allow-dirty") {
		t.Errorf("log:\n%s", log.String())
	}
}

// TestGateFluxFilesSaysNoWarningOfThePreviousEnv: making dev's flux/ again
// checks dev's objects, whose warnings (a Job of app cache that Flux runs
// again at every reconcile) were said when dev was promoted. The
// promotion of staging, which does not even enable app cache, said them
// again as its own: on stderr, and through OnWarning into the JSON
// document and the Actions annotations of env staging. It says none; and
// under --strict it refused, dev's warning an error of staging's
// promotion: it goes ahead.
func TestGateFluxFilesSaysNoWarningOfThePreviousEnv(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.commitCode(t, map[string]string{
		"apps/cache/job.yaml": "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: warm\nspec:\n  ttlSecondsAfterFinished: 60\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: warm, image: busybox:1.36}]\n",
		"envs/staging.yaml":   project("")["envs/staging.yaml"] + "apps:\n  cache:\n    enabled: false\n",
	}, "cache only in dev")
	var devLog bytes.Buffer
	if _, err := promote(t, f, f.opts(t, "dev", &devLog)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(devLog.String(), "ttlSecondsAfterFinished") {
		t.Fatalf("dev's promotion does not warn of the Job:\n%s", devLog.String())
	}
	successAll(t, f, "dev")
	var log bytes.Buffer
	o := f.fromDev(t, &log)
	o.DryRun, o.AllowMassDelete = true, true
	var warned []string
	o.OnWarning = func(env string, w diag.Warning) { warned = append(warned, env+": "+w.String()) }
	if _, err := promote(t, f, o); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(log.String(), "ttlSecondsAfterFinished") || len(warned) > 0 {
		t.Errorf("staging's promotion warns of dev's Job: %q\n%s", warned, log.String())
	}
	// Nor does --strict, given for staging, make dev's warning an error of
	// staging's promotion: staging's own render has none.
	o = f.fromDev(t, &bytes.Buffer{})
	o.DryRun, o.AllowMassDelete, o.Render.Strict = true, true, true
	if _, err := promote(t, f, o); err != nil {
		t.Errorf("--strict: %v", err)
	}
}
