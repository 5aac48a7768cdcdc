package render_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/render"
)

// envFiles renders every env with opts and returns each env's tree.
func envFiles(t *testing.T, opts render.Options) map[string]map[string][]byte {
	t.Helper()
	out := map[string]map[string][]byte{}
	for _, er := range renderAll(t, load(t, example), opts) {
		if er.Err != nil {
			t.Fatalf("env %s: %v", er.Env, er.Err)
		}
		out[er.Env] = er.Files
	}
	return out
}

// ofApp reports whether a tree path belongs to app.
func ofApp(p, app string) bool {
	return strings.HasPrefix(p, "apps/"+app+"/") || strings.HasPrefix(p, "high-level/"+app+"/") || p == "flux/"+app+".yaml"
}

// TestAppKeepsOtherApps renders the example, then re-renders only vote
// with a new vote image over that tree: vote's files are those of a full
// render with the new image, every other app's files and lock entry are
// the earlier ones.
func TestAppKeepsOtherApps(t *testing.T) {
	t.Parallel()
	before := envFiles(t, testOptions())
	newOpts := testOptions()
	// A new worker image too: worker is not re-rendered, so its files keep
	// the earlier image.
	newOpts.Images.Refs = []string{"ghcr.io/acme/vote:2.0.0", "ghcr.io/acme/worker:9.9.9", "docker.io/library/redis:7.2.5"}
	full := envFiles(t, newOpts)

	opts := newOpts
	opts.Apps = []string{"vote"}
	opts.Earlier = func(env string) (map[string][]byte, error) { return before[env], nil }
	for _, er := range renderAll(t, load(t, example), opts) {
		if er.Err != nil {
			t.Fatalf("env %s: %v", er.Env, er.Err)
		}
		b, f := before[er.Env], full[er.Env]
		want := map[string]string{}
		for p, data := range b {
			if !ofApp(p, "vote") {
				want[p] = string(data)
			}
		}
		for p, data := range f {
			if ofApp(p, "vote") {
				want[p] = string(data)
			}
		}
		got := map[string]string{}
		for p, data := range er.Files {
			got[p] = string(data)
		}
		delete(want, "kiln.lock.json")
		gotLock := got["kiln.lock.json"]
		delete(got, "kiln.lock.json")
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("env %s: tree (-want +got):\n%s", er.Env, diff)
		}
		var lb, lf, lg render.Lock
		for _, x := range []struct {
			data []byte
			into *render.Lock
		}{{b["kiln.lock.json"], &lb}, {f["kiln.lock.json"], &lf}, {[]byte(gotLock), &lg}} {
			if err := json.Unmarshal(x.data, x.into); err != nil {
				t.Fatal(err)
			}
		}
		for app, la := range lg.Apps {
			want := lb.Apps[app]
			if app == "vote" {
				want = lf.Apps[app]
			}
			if diff := cmp.Diff(want, la); diff != "" {
				t.Errorf("env %s: lock entry of %s (-want +got):\n%s", er.Env, app, diff)
			}
		}
		if len(lg.Apps) != len(lb.Apps) {
			t.Errorf("env %s: lock has %d apps, want %d", er.Env, len(lg.Apps), len(lb.Apps))
		}
		if got := lg.Images["ghcr.io/acme/vote"]; got != "ghcr.io/acme/vote:2.0.0" {
			t.Errorf("env %s: lock image of vote = %q, want the new one", er.Env, got)
		}
		if got, want := lg.Images["ghcr.io/acme/worker"], lb.Images["ghcr.io/acme/worker"]; got != want {
			t.Errorf("env %s: lock image of the kept worker = %q, want the earlier %q", er.Env, got, want)
		}
		for _, a := range er.Apps {
			if a.Kept == (a.Name == "vote") {
				t.Errorf("env %s: app %s Kept = %v", er.Env, a.Name, a.Kept)
			}
		}
	}
}

// TestAppChecksSeeKeptApps plants a copy of vote's Deployment in the
// earlier tree of redis: re-rendering vote alone must still find two
// apps owning one object, because the checks across apps read the kept
// apps' objects.
func TestAppChecksSeeKeptApps(t *testing.T) {
	t.Parallel()
	before := envFiles(t, testOptions())
	dev := map[string][]byte{}
	for p, data := range before["dev"] {
		dev[p] = data
	}
	if dev["apps/vote/deployment_vote.yaml"] == nil {
		t.Fatal("the example's dev tree has no apps/vote/deployment_vote.yaml")
	}
	if err := render.PlantObject(dev, "redis", "deployment_vote.yaml", dev["apps/vote/deployment_vote.yaml"]); err != nil {
		t.Fatal(err)
	}
	opts := testOptions()
	opts.Apps = []string{"vote"}
	opts.Earlier = func(string) (map[string][]byte, error) { return dev, nil }
	r, err := render.New(load(t, example), opts)
	if err != nil {
		t.Fatal(err)
	}
	results, err := r.Render(context.Background(), []string{"dev"})
	if err != nil {
		t.Fatal(err)
	}
	if err := results[0].Err; err == nil || !strings.Contains(err.Error(), "also produced by app") {
		t.Errorf("error = %v, want vote's Deployment reported as produced by two apps", err)
	}
}

// TestAppNeedsEarlierTree: --app without an earlier render, or with one
// that lacks an app or is another env's, is an error that says to render
// the whole env.
func TestAppNeedsEarlierTree(t *testing.T) {
	t.Parallel()
	before := envFiles(t, testOptions())
	noDB := map[string][]byte{}
	for p, data := range before["dev"] {
		if !ofApp(p, "db") {
			noDB[p] = data
		}
	}
	var lock render.Lock
	if err := json.Unmarshal(noDB["kiln.lock.json"], &lock); err != nil {
		t.Fatal(err)
	}
	delete(lock.Apps, "db")
	noDB["kiln.lock.json"], _ = json.Marshal(lock)
	for _, tc := range []struct {
		name    string
		earlier map[string][]byte
		want    string
	}{
		{name: "none", earlier: map[string][]byte{}, want: "no earlier render (no kiln.lock.json)"},
		{name: "app missing", earlier: noDB, want: "app db: not rendered now, and the earlier render has no entry for it"},
		// staging's tree where dev's should be: its apps' Flux
		// Kustomizations point at clusters/staging.
		{name: "another env's tree", earlier: before["staging"], want: `the earlier render in its place is of env "staging"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := testOptions()
			opts.Apps = []string{"vote"}
			opts.Earlier = func(string) (map[string][]byte, error) { return tc.earlier, nil }
			r, err := render.New(load(t, example), opts)
			if err != nil {
				t.Fatal(err)
			}
			results, err := r.Render(context.Background(), []string{"dev"})
			if err != nil {
				t.Fatal(err)
			}
			if err := results[0].Err; err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// TestCheckApps: unknown names are errors with the closest app.
func TestCheckApps(t *testing.T) {
	t.Parallel()
	p := load(t, example)
	if err := render.CheckApps(p, []string{"vote", "redis"}); err != nil {
		t.Errorf("CheckApps(vote, redis) = %v", err)
	}
	err := render.CheckApps(p, []string{"vot"})
	if err == nil || !strings.Contains(err.Error(), `no app "vot" in kiln.yaml (did you mean "vote"?)`) {
		t.Errorf("CheckApps(vot) = %v", err)
	}
}

// TestProgress: Progress hears each env start at 0 and count up to the
// apps it renders, one call at a time; apps kept by --app do not count.
func TestProgress(t *testing.T) {
	t.Parallel()
	before := envFiles(t, testOptions())
	for _, tc := range []struct {
		name string
		apps []string
	}{{"all apps", nil}, {"--app vote", []string{"vote"}}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			busy := false
			got := map[string][][2]int{}
			opts := testOptions()
			opts.Apps = tc.apps
			opts.Earlier = func(env string) (map[string][]byte, error) { return before[env], nil }
			opts.Progress = func(env string, done, total int) {
				mu.Lock()
				if busy {
					t.Error("Progress called while another call runs")
				}
				busy = true
				mu.Unlock()
				got[env] = append(got[env], [2]int{done, total})
				mu.Lock()
				busy = false
				mu.Unlock()
			}
			results := renderAll(t, load(t, example), opts)
			for _, er := range results {
				if er.Err != nil {
					t.Fatalf("env %s: %v", er.Env, er.Err)
				}
				rendered := 0
				for _, a := range er.Apps {
					if !a.Kept {
						rendered++
					}
				}
				var want [][2]int
				for i := 0; i <= rendered; i++ {
					want = append(want, [2]int{i, rendered})
				}
				if diff := cmp.Diff(want, got[er.Env]); diff != "" {
					t.Errorf("env %s progress (-want +got):\n%s", er.Env, diff)
				}
			}
			if len(got) != len(results) {
				t.Errorf("progress for %d envs, rendered %d", len(got), len(results))
			}
		})
	}
}

// TestEnvDone: each env's result is handed over as soon as the env is
// rendered, before the next env starts (kiln render writes it there and
// releases it), and Written drops the file contents but keeps the paths.
func TestEnvDone(t *testing.T) {
	t.Parallel()
	var events []string
	var handed []*render.EnvResult
	var want []string
	opts := testOptions()
	opts.Progress = func(env string, done, total int) {
		if done == 0 {
			events = append(events, "start "+env)
		}
	}
	opts.EnvDone = func(er *render.EnvResult) {
		events = append(events, "done "+er.Env)
		if er.Err != nil {
			t.Fatalf("env %s: %v", er.Env, er.Err)
		}
		handed = append(handed, er)
		er.Written()
	}
	results := renderAll(t, load(t, example), opts)
	for _, er := range results {
		want = append(want, "start "+er.Env, "done "+er.Env)
	}
	if diff := cmp.Diff(want, events); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	if len(handed) != len(results) {
		t.Fatalf("EnvDone got %d envs, Render returned %d", len(handed), len(results))
	}
	full := envFiles(t, testOptions())
	for i, er := range results {
		if handed[i] != er {
			t.Errorf("EnvDone got another result than Render returned for env %s", er.Env)
		}
		if len(er.Files) == 0 || len(er.Files) != len(full[er.Env]) {
			t.Errorf("env %s: %d paths after Written, want %d", er.Env, len(er.Files), len(full[er.Env]))
		}
		for p, data := range er.Files {
			if data != nil {
				t.Errorf("env %s: %s still holds its content after Written", er.Env, p)
			}
		}
		if er.Objects != nil {
			t.Errorf("env %s: the object index is still held after Written", er.Env)
		}
	}
}

// TestPreviewWarnsOfUnknownLockFields: kiln validate and kiln diff
// write no lock, so a kept entry with a field this kiln does not know
// (a newer kiln's) loses nothing there: one warning for the env, not an
// error per app, so that an older kiln still previews --app against a
// tree a newer one wrote.
func TestPreviewWarnsOfUnknownLockFields(t *testing.T) {
	t.Parallel()
	earlier := envFiles(t, testOptions())["dev"]
	earlier[render.LockFile] = []byte(strings.Replace(string(earlier[render.LockFile]), `"redis": {`, `"redis": {"note": "a newer kiln's",`, 1))
	opts := testOptions()
	opts.Apps = []string{"vote"}
	opts.Preview = true
	opts.Earlier = func(string) (map[string][]byte, error) { return earlier, nil }
	opts.EarlierDir = func(env string) string { return "rendered/" + env }
	r, err := render.New(load(t, example), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	results, err := r.Render(context.Background(), []string{"dev"})
	if err != nil {
		t.Fatal(err)
	}
	if err := results[0].Err; err != nil {
		t.Fatalf("a preview refused the kept entry: %v", err)
	}
	var warned int
	for _, w := range results[0].Warnings {
		if strings.Contains(w.Msg, "redis have fields this kiln does not know") && w.File == "rendered/dev/kiln.lock.json" {
			warned++
		}
	}
	if warned != 1 {
		t.Errorf("%d warnings of the unknown field, want 1: %v", warned, results[0].Warnings)
	}
}

// TestAppRefusesAKeptAppItsLockDoesNotDescribe: an earlier tree whose
// kept app's files are not the ones its kiln.lock.json entry records (one
// removed, added or edited by hand, its kustomization.yaml or Flux
// Kustomization changed or gone) must not be copied into the new tree as
// if kiln had written it: a file removed would be an object lost (its
// kustomization.yaml still names it), one added an object Flux never
// applies. The error names the app and says to render it again. The same
// holds for a shard folder given to Merge.
func TestAppRefusesAKeptAppItsLockDoesNotDescribe(t *testing.T) {
	t.Parallel()
	before := envFiles(t, testOptions())["dev"]
	for _, p := range []string{"apps/db/service_db.yaml", "apps/db/kustomization.yaml", "flux/db.yaml"} {
		if before[p] == nil {
			t.Fatalf("the example's dev tree has no %s", p)
		}
	}
	if !slices.ContainsFunc(slices.Collect(maps.Keys(before)), func(p string) bool { return strings.HasPrefix(p, "high-level/db/") }) {
		t.Fatal("the example's dev tree has no high-level/db/ file")
	}
	edited := func(change func(files map[string][]byte)) map[string][]byte {
		files := map[string][]byte{}
		for p, data := range before {
			files[p] = data
		}
		change(files)
		return files
	}
	cases := []struct {
		name    string
		earlier map[string][]byte
		app     string // the app refused: db when empty
	}{
		{name: "an object file removed", earlier: edited(func(f map[string][]byte) { delete(f, "apps/db/service_db.yaml") })},
		{name: "an object file added", earlier: edited(func(f map[string][]byte) {
			f["apps/db/configmap_extra.yaml"] = []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n  namespace: instavote\ndata: {a: b}\n")
		})},
		{name: "an object file edited", earlier: edited(func(f map[string][]byte) {
			f["apps/db/service_db.yaml"] = append(append([]byte(nil), f["apps/db/service_db.yaml"]...), "# edited\n"...)
		})},
		{name: "kustomization.yaml edited", earlier: edited(func(f map[string][]byte) {
			f["apps/db/kustomization.yaml"] = []byte(strings.Replace(string(f["apps/db/kustomization.yaml"]), "- service_db.yaml\n", "", 1))
		})},
		{name: "kustomization.yaml removed", earlier: edited(func(f map[string][]byte) { delete(f, "apps/db/kustomization.yaml") })},
		{name: "the Flux Kustomization removed", earlier: edited(func(f map[string][]byte) { delete(f, "flux/db.yaml") })},
		{name: "a high-level file edited", earlier: edited(func(f map[string][]byte) {
			for p, data := range f {
				if strings.HasPrefix(p, "high-level/db/") {
					f[p] = append(append([]byte(nil), data...), "# reviewed\n"...)
				}
			}
		})},
		{name: "a high-level file added", earlier: edited(func(f map[string][]byte) { f["high-level/db/notes.md"] = []byte("notes\n") })},
		// What the render makes again of kiln.yaml is still held to the
		// lock, as the values in it are copied.
		{name: "a HelmRelease edited", earlier: edited(func(f map[string][]byte) {
			f["high-level/redis/helmrelease.yaml"] = []byte(strings.Replace(string(f["high-level/redis/helmrelease.yaml"]), "maxmemory: 128mb", "maxmemory: 1gb", 1))
		}), app: "redis"},
		// Written by a newer kiln, or by hand: the lock this kiln writes
		// would drop it, or vouch for what it cannot check.
		{name: "a lock entry with a field this kiln does not know", earlier: edited(func(f map[string][]byte) {
			f[render.LockFile] = []byte(strings.Replace(string(f[render.LockFile]), `"redis": {`, `"redis": {"note": "a newer kiln's",`, 1))
		}), app: "redis"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := testOptions()
			opts.Apps = []string{"vote"}
			opts.Earlier = func(string) (map[string][]byte, error) { return tc.earlier, nil }
			opts.EarlierDir = func(env string) string { return "rendered/" + env }
			r, err := render.New(load(t, example), opts)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			results, err := r.Render(context.Background(), []string{"dev"})
			if err != nil {
				t.Fatal(err)
			}
			err = results[0].Err
			app := tc.app
			if app == "" {
				app = "db"
			}
			if err == nil {
				t.Fatalf("the render kept %s from a tree its lock does not describe", app)
			}
			if msg := err.Error(); !strings.Contains(msg, "app "+app+":") || !strings.Contains(msg, "kiln.lock.json") || !strings.Contains(msg, "--app "+app) {
				t.Errorf("error = %v, want it to name app %s, its lock entry, and --app %s", err, app, app)
			}
			// Named in the tree alone, apps/db/ would be the db app's
			// source folder, and an annotation would point there.
			for _, e := range diag.Flatten(err) {
				var de *diag.Error
				if !errors.As(e, &de) || !strings.HasPrefix(de.File, "rendered/dev/") {
					t.Errorf("error %v names no file in rendered/dev/", e)
				}
			}
		})
	}
	// The same holds for a shard folder given to Merge: a file removed,
	// or a lock field this kiln does not know, which the merged lock
	// would drop without a word.
	for name, edit := range map[string]func(tr map[string][]byte){
		"merge, a file removed": func(tr map[string][]byte) { delete(tr, "apps/db/service_db.yaml") },
		"merge, a lock field unknown": func(tr map[string][]byte) {
			tr[render.LockFile] = []byte(strings.Replace(string(tr[render.LockFile]), `"db": {`, `"db": {"note": "a newer kiln's",`, 1))
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			shards := renderShards(t, 3)["dev"]
			owner := -1
			for i, tr := range shards {
				if tr["apps/db/service_db.yaml"] != nil {
					owner = i
				}
			}
			if owner < 0 {
				t.Fatal("no shard rendered db")
			}
			edit(shards[owner])
			r, err := render.New(load(t, example), testOptions())
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			er := r.Merge(context.Background(), "dev", shards, dirsOf(3))
			if er.Err == nil {
				t.Fatal("Merge took db from a shard whose lock does not describe it")
			}
			if msg := er.Err.Error(); !strings.Contains(msg, "app db:") || !strings.Contains(msg, dirsOf(3)[owner]) {
				t.Errorf("Merge error = %v, want it to name app db and %s", er.Err, dirsOf(3)[owner])
			}
		})
	}
}

// TestAppValidatesKeptAppsAgainstTheEnvsCRDs: re-rendering only the app
// that ships a CRD, with a schema that the kept apps' custom resources no
// longer meet, is an error as a full render is: the kept objects are
// checked against the CRDs of the tree that is written, not only against
// those of the render that wrote them.
func TestAppValidatesKeptAppsAgainstTheEnvsCRDs(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	if err := os.CopyFS(root, os.DirFS(example)); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(filepath.Join(root, "rendered"))
	opts := testOptions()
	opts.RenderCache = filepath.Join(t.TempDir(), "renders")
	before := map[string]map[string][]byte{}
	for _, er := range renderAll(t, load(t, root), opts) {
		if er.Err != nil {
			t.Fatalf("env %s: %v", er.Env, er.Err)
		}
		before[er.Env] = er.Files
	}
	crd := filepath.Join(root, "platform/crd-backupschedules.yaml")
	data, err := os.ReadFile(crd)
	if err != nil {
		t.Fatal(err)
	}
	// db's BackupSchedule keeps 7 backups. The default moves with the
	// minimum: the API server refuses a CRD whose default its own schema
	// refuses.
	tightened := strings.Replace(string(data), "minimum: 1\n                  default: 7\n", "minimum: 10\n                  default: 10\n", 1)
	if tightened == string(data) {
		t.Fatal("the example's CRD has no minimum: 1 with default: 7")
	}
	if err := os.WriteFile(crd, []byte(tightened), 0o644); err != nil {
		t.Fatal(err)
	}
	full := renderAll(t, load(t, root), opts)[0]
	if full.Err == nil || !strings.Contains(full.Err.Error(), "spec.retention") {
		t.Fatalf("a full render after the change: error = %v, want db's BackupSchedule refused", full.Err)
	}
	opts.Apps = []string{"platform"}
	opts.Earlier = func(env string) (map[string][]byte, error) { return before[env], nil }
	er := renderAll(t, load(t, root), opts)[0]
	if er.Err == nil {
		t.Fatal("--app platform wrote a tree whose kept BackupSchedule its new CRD refuses")
	}
	if msg := er.Err.Error(); !strings.Contains(msg, "app db") || !strings.Contains(msg, "spec.retention") {
		t.Errorf("error = %v, want db's BackupSchedule refused for spec.retention", er.Err)
	}
}

// TestAppRemakesKeptAppsFluxObjects: a kept app's Flux Kustomization,
// and a kept helm app's high-level HelmRelease, are made again of
// kiln.yaml as it is now and the kept files, not copied: a hand edit of
// the earlier Kustomization does not survive, and a change to the Flux
// settings (interval, timeout, source) reaches every app. With no input
// of an app changed, the tree is the one a full render with the new
// kiln.yaml writes, byte for byte, the lock with its highLevelDigest
// included.
func TestAppRemakesKeptAppsFluxObjects(t *testing.T) {
	t.Parallel()
	before := envFiles(t, testOptions())
	for env, files := range before {
		edited := map[string][]byte{}
		for p, data := range files {
			edited[p] = data
			if strings.HasPrefix(p, "flux/") && !ofApp(p, "vote") {
				edited[p] = []byte(strings.Replace(string(data), "prune: true", "prune: false", 1))
			}
		}
		before[env] = edited
	}
	dir := copyExample(t)
	kilnYAML := filepath.Join(dir, "kiln.yaml")
	data, err := os.ReadFile(kilnYAML)
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.NewReplacer("  interval: 10m\n", "  interval: 7m\n", "  timeout: 5m\n", "  timeout: 4m\n",
		"sourceRef: {kind: GitRepository, name: flux-system}", "sourceRef: {kind: GitRepository, name: manifests}").Replace(string(data))
	if strings.Count(changed, "7m\n")+strings.Count(changed, "4m\n")+strings.Count(changed, "name: manifests}") != 3 {
		t.Fatal("the example's kiln.yaml has not flux: interval 10m, timeout 5m and sourceRef flux-system")
	}
	writeFile(t, kilnYAML, changed)
	p := load(t, dir)
	full := map[string]map[string][]byte{}
	for _, er := range renderAll(t, p, testOptions()) {
		if er.Err != nil {
			t.Fatalf("env %s: %v", er.Env, er.Err)
		}
		full[er.Env] = er.Files
	}

	opts := testOptions()
	opts.Apps = []string{"vote"}
	opts.Earlier = func(env string) (map[string][]byte, error) { return before[env], nil }
	n := 0
	for _, er := range renderAll(t, p, opts) {
		if er.Err != nil {
			t.Fatalf("env %s: %v", er.Env, er.Err)
		}
		for path, want := range full[er.Env] {
			if strings.HasPrefix(path, "flux/") || path == "high-level/redis/helmrelease.yaml" {
				if !strings.Contains(string(want), "interval: 7m") && path != "flux/notifications.yaml" {
					t.Errorf("env %s: the full render's %s has not the new interval", er.Env, path)
				}
				n++
			}
		}
		if diff := cmp.Diff(asStrings(full[er.Env]), asStrings(er.Files)); diff != "" {
			t.Errorf("env %s: tree (-full render +--app vote):\n%s", er.Env, diff)
		}
	}
	if n < 5 {
		t.Fatalf("compared %d Flux files, want the example's", n)
	}
}

// TestAppRemakesKeptHelmReleases: a kept helm app's high-level
// HelmRelease follows a dependsOn and a kind of flux.sourceRef given
// since (its chart folder is then read through an ArtifactGenerator in
// source.yaml), as a full render does, and keeps the values the kept
// objects were rendered from, though the app's values file changed.
func TestAppRemakesKeptHelmReleases(t *testing.T) {
	t.Parallel()
	chart := func(name string) string { return "apiVersion: v2\nname: " + name + "\nversion: 0.1.0\n" }
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Chart.Name }}}\ndata: {greeting: {{ .Values.greeting | quote }}}\n"
	kiln := func(flux, webDeps string) string {
		return "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\n" + flux + "apps:\n" +
			"  - name: db\n    namespace: ns\n    helm: {chart: db}\n" +
			"  - name: web\n    namespace: ns\n    helm: {chart: web, values: [web/dev.yaml]}\n" + webDeps +
			"  - name: cfg\n    namespace: ns\n    yaml: cfg\n"
	}
	dir := writeProject(t, map[string]string{
		"kiln.yaml":             kiln("", ""),
		"envs/dev.yaml":         "",
		"db/Chart.yaml":         chart("db"),
		"db/values.yaml":        "greeting: hi\n",
		"db/templates/cm.yaml":  cm,
		"web/Chart.yaml":        chart("web"),
		"web/values.yaml":       "greeting: hi\n",
		"web/dev.yaml":          "greeting: hello\n",
		"web/templates/cm.yaml": cm,
		"cfg/cm.yaml":           "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\n",
	})
	tree := func(opts render.Options) map[string][]byte {
		t.Helper()
		er := renderAll(t, load(t, dir), opts)[0]
		if er.Err != nil {
			t.Fatal(er.Err)
		}
		return er.Files
	}
	before := tree(testOptions())
	writeFile(t, filepath.Join(dir, "kiln.yaml"), kiln("flux:\n  sourceRef: {kind: OCIRepository, name: manifests}\n", "    dependsOn: [db]\n"))
	full := tree(testOptions())
	if hr := string(full["high-level/web/helmrelease.yaml"]); !strings.Contains(hr, "dependsOn:\n  - name: db\n") || full["high-level/web/source.yaml"] == nil || before["high-level/web/source.yaml"] != nil {
		t.Fatalf("the full render's web has no new dependsOn or source.yaml:\n%s", hr)
	}
	opts := testOptions()
	opts.Apps = []string{"cfg"}
	opts.Earlier = func(string) (map[string][]byte, error) { return before, nil }
	if diff := cmp.Diff(asStrings(full), asStrings(tree(opts))); diff != "" {
		t.Errorf("tree (-full render +--app cfg):\n%s", diff)
	}
	// web is kept: its objects, values.yaml and HelmRelease values are
	// those of the earlier render.
	writeFile(t, filepath.Join(dir, "web/dev.yaml"), "greeting: bonjour\n")
	if diff := cmp.Diff(asStrings(full), asStrings(tree(opts))); diff != "" {
		t.Errorf("after a change of the kept web's values, tree (-full render before it +--app cfg):\n%s", diff)
	}
	// An entry without highLevelDigest (an older kiln's) vouches for no
	// high-level file: a HelmRelease that cannot be read back is an
	// error, not carried on with the settings of then.
	lock, err := render.ParseLock(before[render.LockFile])
	if err != nil {
		t.Fatal(err)
	}
	web := lock.Apps["web"]
	web.HighLevelDigest = ""
	lock.Apps["web"] = web
	older := maps.Clone(before)
	if older[render.LockFile], err = json.Marshal(lock); err != nil {
		t.Fatal(err)
	}
	older["high-level/web/helmrelease.yaml"] = []byte(strings.Replace(string(before["high-level/web/helmrelease.yaml"]), "  releaseName: web\n", "  releaseName: web\n  notAField: 1\n", 1))
	opts.Earlier = func(string) (map[string][]byte, error) { return older, nil }
	er := renderAll(t, load(t, dir), opts)[0]
	if er.Err == nil || !strings.Contains(er.Err.Error(), "high-level/web/helmrelease.yaml") || !strings.Contains(er.Err.Error(), "--app web") {
		t.Errorf("error = %v, want one naming high-level/web/helmrelease.yaml and --app web", er.Err)
	}
	// So is one that reads back but would lose a field kiln does not
	// write (a review: suspend dropped silently when made again).
	older["high-level/web/helmrelease.yaml"] = []byte(strings.Replace(string(before["high-level/web/helmrelease.yaml"]), "  releaseName: web\n", "  releaseName: web\n  suspend: true\n", 1))
	er = renderAll(t, load(t, dir), opts)[0]
	if er.Err == nil || !strings.Contains(er.Err.Error(), "high-level/web/helmrelease.yaml: app web: kept from the earlier render, its helmrelease.yaml cannot be made again exactly") {
		t.Errorf("error = %v, want the kept HelmRelease that would lose suspend refused", er.Err)
	}
}

// TestAppKeptAppsHealthCheckOfANewObject: kiln.yaml now gives a kept app
// a health check of an object only a new render of that app has. The Flux
// Kustomization made of the kept objects cannot have it; the error says
// the app was kept, and to render it too, not to check the health check
// against objects that were never rendered from the kiln.yaml of now.
func TestAppKeptAppsHealthCheckOfANewObject(t *testing.T) {
	t.Parallel()
	before := envFiles(t, testOptions())
	dir := copyExample(t)
	kilnYAML := filepath.Join(dir, "kiln.yaml")
	data, err := os.ReadFile(kilnYAML)
	if err != nil {
		t.Fatal(err)
	}
	dbDeps := "    dependsOn: [platform]         # db's BackupSchedule needs platform's CRD\n"
	if !strings.Contains(string(data), dbDeps) {
		t.Fatal("the example's db has not the dependsOn line the test edits")
	}
	writeFile(t, kilnYAML, strings.Replace(string(data), dbDeps, dbDeps+"    flux:\n      healthChecks: [{kind: Service, name: db-replica}]\n", 1))
	writeFile(t, filepath.Join(dir, "apps/db/service-replica.yaml"), "apiVersion: v1\nkind: Service\nmetadata:\n  name: db-replica\nspec:\n  selector: {app: db}\n  ports: [{port: 5432}]\n")
	p := load(t, dir)
	for _, er := range renderAll(t, p, testOptions()) {
		if er.Err != nil {
			t.Fatalf("a full render: env %s: %v", er.Env, er.Err)
		}
	}
	opts := testOptions()
	opts.Apps = []string{"vote"}
	opts.Earlier = func(env string) (map[string][]byte, error) { return before[env], nil }
	er := renderAll(t, p, opts)[0]
	if er.Err == nil {
		t.Fatal("--app vote wrote db's Flux Kustomization without the health check kiln.yaml gives it")
	}
	if msg := er.Err.Error(); !strings.Contains(msg, "app db:") || !strings.Contains(msg, "db-replica") || !strings.Contains(msg, "--app db") {
		t.Errorf("error = %v, want it to name app db, the health check, and --app db", er.Err)
	}
}

// TestAppDisabledInTheEnv: --app naming an app the env disables renders
// nothing of it there; the env's other apps are kept as before, and a
// warning naming the app and the env file says so, once however often
// the app is named, instead of a run that reports success about
// everything but the app asked for.
func TestAppDisabledInTheEnv(t *testing.T) {
	t.Parallel()
	before := envFiles(t, testOptions())
	opts := testOptions()
	opts.Apps = []string{"worker", "worker", "vote"} // worker: enabled: false in dev
	opts.Earlier = func(string) (map[string][]byte, error) { return before["dev"], nil }
	r, err := render.New(load(t, example), opts)
	if err != nil {
		t.Fatal(err)
	}
	results, err := r.Render(context.Background(), []string{"dev"})
	if err != nil {
		t.Fatal(err)
	}
	er := results[0]
	if er.Err != nil {
		t.Fatal(er.Err)
	}
	var got []string
	for _, w := range er.Warnings {
		if strings.HasPrefix(w.Msg, "--app ") {
			got = append(got, w.String())
		}
	}
	want := []string{"envs/dev.yaml: --app worker: env dev does not enable this app, so nothing of it is rendered there\n" +
		"  hint: leave env dev out of this render, or enable the app in envs/dev.yaml"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(asStrings(before["dev"]), asStrings(er.Files)); diff != "" {
		t.Errorf("the tree changed (-want +got):\n%s", diff)
	}
}

// TestAppKeptFromAnotherKiln: --app keeps the other apps from a tree
// another kiln version rendered: it says so, once per env, since those
// apps' files are that kiln's output; the same version says nothing.
func TestAppKeptFromAnotherKiln(t *testing.T) {
	t.Parallel()
	old := testOptions()
	old.Version = "v0.9.0"
	before := envFiles(t, old)
	for _, version := range []string{"v0.9.0", "test"} {
		opts := testOptions()
		opts.Version = version
		opts.Apps = []string{"vote"}
		opts.Earlier = func(env string) (map[string][]byte, error) { return before[env], nil }
		opts.EarlierDir = func(env string) string { return "rendered/" + env }
		for _, er := range renderAll(t, load(t, example), opts) {
			if er.Err != nil {
				t.Fatalf("env %s: %v", er.Env, er.Err)
			}
			n := 0
			for _, w := range er.Warnings {
				if strings.Contains(w.Msg, "--app keeps the other apps as kiln") {
					n++
					if want := "rendered/" + er.Env + "/kiln.lock.json"; w.File != want {
						t.Errorf("warning names %q, want %q", w.File, want)
					}
					if want := fmt.Sprintf(`env %s: --app keeps the other apps as kiln "v0.9.0" rendered them, and this is kiln "test"`, er.Env); w.Msg != want {
						t.Errorf("warning %q, want %q", w.Msg, want)
					}
				}
			}
			if want := map[string]int{"v0.9.0": 0, "test": 1}[version]; n != want {
				t.Errorf("kiln %s, env %s: %d warnings about the version, want %d", version, er.Env, n, want)
			}
		}
	}
}

// TestAppKeptSource: apps --app keeps from an earlier render at another
// commit name it in their lock entry (source); rendered apps, and kept ones
// whose earlier render had this render's source, name none, so a whole
// render's lock is as it was. A kept entry's own source survives a
// further --app render, and a whole render clears it.
func TestAppKeptSource(t *testing.T) {
	t.Parallel()
	at := func(commit string) render.Options {
		o := testOptions()
		o.Source = render.Source{Repo: "https://github.com/acme/instavote", Commit: commit}
		return o
	}
	const c1, c2, c3 = "1111111111111111111111111111111111111111", "2222222222222222222222222222222222222222", "3333333333333333333333333333333333333333"
	lockOf := func(files map[string][]byte) *render.Lock {
		t.Helper()
		l, err := render.ParseLock(files[render.LockFile])
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	appsAt := func(commit string, apps []string, earlier map[string]map[string][]byte) map[string]map[string][]byte {
		o := at(commit)
		o.Apps = apps
		o.Earlier = func(env string) (map[string][]byte, error) { return earlier[env], nil }
		return envFiles(t, o)
	}
	first := envFiles(t, at(c1))
	same := appsAt(c1, []string{"vote"}, first)
	// The same commit in another clone, whose origin has another URL
	// (CI's https://, a laptop's ssh): the same code, no kept source.
	otherClone := func() map[string]map[string][]byte {
		o := at(c1)
		o.Source.Repo = "git@github.com:acme/instavote.git"
		o.Apps = []string{"vote"}
		o.Earlier = func(env string) (map[string][]byte, error) { return first[env], nil }
		return envFiles(t, o)
	}()
	second := appsAt(c2, []string{"vote"}, first)
	third := appsAt(c3, []string{"worker"}, second)
	whole := envFiles(t, at(c3))
	for env := range first {
		if l := lockOf(same[env]); len(render.KeptApps(l)) != 0 || strings.Contains(string(same[env][render.LockFile]), `"source": {`+"\n      ") {
			t.Errorf("env %s: --app at the earlier render's commit: kept apps %v, want none:\n%s", env, render.KeptApps(l), same[env][render.LockFile])
		}
		if l := lockOf(otherClone[env]); len(render.KeptApps(l)) != 0 || !render.Proven(l) || strings.Contains(string(otherClone[env][render.LockFile]), `"source": {`+"\n      ") {
			t.Errorf("env %s: --app at the earlier render's commit in another clone: kept apps %v, want none:\n%s", env, render.KeptApps(l), otherClone[env][render.LockFile])
		}
		l2 := lockOf(second[env])
		for name, a := range l2.Apps {
			switch {
			case name == "vote" && a.Source != nil:
				t.Errorf("env %s: rendered app vote has source %+v", env, a.Source)
			case name != "vote" && (a.Source == nil || a.Source.Commit != c1):
				t.Errorf("env %s: kept app %s has source %+v, want %s", env, name, a.Source, c1)
			}
		}
		if render.Proven(l2) {
			t.Errorf("env %s: a lock with kept apps is Proven", env)
		}
		l3 := lockOf(third[env])
		for name, a := range l3.Apps {
			want := c1
			switch name {
			case "worker":
				want = ""
			case "vote":
				want = c2
			}
			if got := ""; a.Source != nil {
				if got = a.Source.Commit; got != want {
					t.Errorf("env %s: app %s has source %s, want %q", env, name, got, want)
				}
			} else if want != "" {
				t.Errorf("env %s: app %s has no source, want %s", env, name, want)
			}
		}
		if lw := lockOf(whole[env]); len(render.KeptApps(lw)) != 0 || !render.Proven(lw) || strings.Contains(string(whole[env][render.LockFile]), `"source": {`+"\n        ") {
			t.Errorf("env %s: a whole render's lock names app sources:\n%s", env, whole[env][render.LockFile])
		}
	}
}

// TestLockWithoutAppSources: a lock older kiln wrote has no app sources:
// every app reads as rendered from its source, and the lock is Proven when
// that names a clean commit.
func TestLockWithoutAppSources(t *testing.T) {
	t.Parallel()
	old := []byte(`{"kilnVersion":"0.9.0","env":"dev","source":{"repo":"https://github.com/acme/shop","commit":"1111111111111111111111111111111111111111"},"images":{},"apps":{"web":{"engine":"yaml","inputDigest":"sha256:a","outputDigest":"sha256:b","objects":2}}}`)
	l, err := render.ParseLock(old)
	if err != nil {
		t.Fatal(err)
	}
	if l.Apps["web"].Source != nil || len(render.KeptApps(l)) != 0 || !render.Proven(l) {
		t.Errorf("old lock: web source %+v, kept %v, proven %v", l.Apps["web"].Source, render.KeptApps(l), render.Proven(l))
	}
	// Provenance alone: an app's own source is one of its fields.
	withSource := []byte(strings.Replace(string(old), `"objects":2}`, `"objects":2,"source":{"commit":"2222222222222222222222222222222222222222"}}`, 1))
	if !render.SameButProvenance(old, withSource) {
		t.Errorf("an app's source is not a provenance field")
	}
}

// TestPanicInAnAppsGoroutineReachesTheCaller: a panic in the goroutine
// that renders an app (here from Progress, which runs there) is raised
// again in Render's caller once the env's apps are done, where cmd/kiln
// recovers it and reports it masked, instead of ending the process from
// a goroutine of its own with the raw message.
func TestPanicInAnAppsGoroutineReachesTheCaller(t *testing.T) {
	t.Parallel()
	opts := testOptions()
	opts.RenderCache = "" // an env the cache serves counts its apps in Render's goroutine
	opts.Progress = func(env string, done, total int) {
		if done > 0 {
			panic("progress boom")
		}
	}
	r, err := render.New(load(t, example), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var got any
	func() {
		defer func() { got = recover() }()
		_, _ = r.Render(context.Background(), []string{"dev"})
	}()
	err, ok := got.(error)
	if !ok {
		t.Fatalf("Render's caller recovered %#v, want the carried panic as an error", got)
	}
	if msg := err.Error(); !strings.Contains(msg, "progress boom") || !strings.Contains(msg, "goroutine") {
		t.Errorf("carried panic %q lacks the value or its goroutine's stack", msg)
	}
}
