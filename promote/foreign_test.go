package promote

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/promote/internal/gittest"
	"github.com/kiln-gitops/kiln/render"
)

// TestFilesKilnDidNotWriteAreKept: kiln replaces an env's folder whole, so
// a file in it that kiln did not write would be deleted (or overwritten)
// by the promotion, pushed straight to the manifests branch in push mode.
// The commonest such folder is one `flux bootstrap --path clusters/dev`
// wrote: deleting its flux-system/ makes Flux prune itself. Another is a
// Kustomization of the user's own beside kiln's in flux/, which the
// bootstrap Kustomization applies: deleting it prunes what it deployed.
// kiln must refuse, dry run included, whatever --allow-mass-delete says.
func TestFilesKilnDidNotWriteAreKept(t *testing.T) {
	t.Parallel()
	foreignFolder := map[string]string{
		"clusters/dev/flux-system/gotk-components.yaml": "# flux\n",
		"clusters/dev/flux-system/gotk-sync.yaml":       "# sync\n",
		"clusters/dev/flux-system/kustomization.yaml":   "# k\n",
		"clusters/dev/README.md":                        "hand written\n",
	}
	for _, tc := range []struct {
		name string
		// seed is committed before the promotion; first promotes dev
		// once before it.
		seed  map[string]string
		first bool
		dry   bool
		want  []string
	}{
		{name: "a folder flux bootstrap wrote", seed: foreignFolder,
			want: []string{"would delete or change 4 files in its folder clusters/dev that kiln did not write",
				"clusters/dev/README.md, clusters/dev/flux-system/gotk-components.yaml",
				"it holds no kiln.lock.json", "flux bootstrap --path clusters/dev/flux"}},
		{name: "dry run", seed: foreignFolder, dry: true,
			want: []string{"would delete or change 4 files in its folder clusters/dev that kiln did not write"}},
		{name: "files added to a folder kiln wrote", first: true,
			seed: map[string]string{
				"clusters/dev/flux/infra.yaml":          "# the user's own Kustomization\n",
				"clusters/dev/CODEOWNERS":               "* @acme/platform\n",
				"clusters/dev/flux/extra/policies.yaml": "# another tool\n",
			},
			want: []string{"would delete or change 3 files in its folder clusters/dev that kiln did not write: clusters/dev/CODEOWNERS, clusters/dev/flux/extra/policies.yaml, clusters/dev/flux/infra.yaml"}},
		{name: "a folder of no app in apps/", first: true,
			seed: map[string]string{
				"clusters/dev/apps/extra/cm.yaml":   "# the path of the user's own Kustomization\n",
				"clusters/dev/high-level/README.md": "# notes\n",
				"clusters/dev/apps/web/extra.yaml":  "# in an app's folder: kiln's\n",
				"clusters/dev/flux/extra.yaml":      "# the user's own Kustomization\n",
			},
			want: []string{"would delete or change 3 files in its folder clusters/dev that kiln did not write: clusters/dev/apps/extra/cm.yaml, clusters/dev/flux/extra.yaml, clusters/dev/high-level/README.md"}},
		// A lock that does not parse (a merge conflict committed) names
		// no app: kiln cannot tell its files, and deletes none.
		{name: "a lock that does not parse", first: true,
			seed: map[string]string{
				"clusters/dev/kiln.lock.json":  "{\n<<<<<<< HEAD\n",
				"clusters/dev/flux/infra.yaml": "# the user's own Kustomization\n",
			},
			want: []string{"that kiln did not write: clusters/dev/apps/web/", "its kiln.lock.json does not parse"}},
		// The user's own Provider under the name kiln writes its
		// notifications to: not kiln's to overwrite.
		{name: "the user's notifications", first: true,
			seed: map[string]string{
				"clusters/dev/flux/notifications.yaml": "apiVersion: notification.toolkit.fluxcd.io/v1beta3\nkind: Provider\nmetadata: {name: slack, namespace: flux-system}\nspec: {type: slack}\n",
			},
			want: []string{"1 file in its folder clusters/dev that kiln did not write: clusters/dev/flux/notifications.yaml"}},
		{name: "a file where kiln would write an app's Kustomization", seed: map[string]string{
			"clusters/dev/flux/web.yaml": "# the user's own\n",
		}, want: []string{"1 file in its folder clusters/dev that kiln did not write: clusters/dev/flux/web.yaml"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			if tc.first {
				if _, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{})); err != nil {
					t.Fatal(err)
				}
			}
			gittest.Update(t, f.remote, "main", tc.seed, nil, "by hand")
			before := gittest.Git(t, f.remote, "rev-parse", "main")
			if tc.first {
				// A change, so that the promotion has something to do.
				f.commitCode(t, map[string]string{"apps/web/service.yaml": strings.Replace(project("")["apps/web/service.yaml"], "port: 80", "port: 81", 1)}, "port")
			}
			var log bytes.Buffer
			opts := f.opts(t, "dev", &log)
			opts.DryRun = tc.dry
			opts.AllowMassDelete = true
			_, err := promote(t, f, opts)
			if err == nil {
				t.Fatalf("promotion over files kiln did not write succeeded\n%s", log.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if got := gittest.Git(t, f.remote, "rev-parse", "main"); got != before {
				t.Errorf("main moved from %s to %s", before, got)
			}
		})
	}
}

// TestBootstrapOnlyFolderIsKilns: a folder that holds nothing but what
// flux bootstrap --path <dir>/flux wrote, before kiln's first promotion,
// is the documented setup: kiln promotes into it and keeps those files.
// An empty .gitkeep that kept the folder in git goes: it loses nothing.
func TestBootstrapOnlyFolderIsKilns(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const sync = "# sync\n"
	gittest.Update(t, f.remote, "main", map[string]string{
		"clusters/dev/flux/flux-system/gotk-sync.yaml": sync,
		"clusters/dev/.gitkeep":                        "",
	}, nil, "bootstrap")
	if _, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{})); err != nil {
		t.Fatal(err)
	}
	files := gittest.Files(t, f.remote, "main")
	if files["clusters/dev/flux/flux-system/gotk-sync.yaml"] != sync || files["clusters/dev/kiln.lock.json"] == "" {
		t.Errorf("files after the promotion: %v", files)
	}
}

// TestBootstrapOfFluxNamespaceKept: flux bootstrap --namespace flux
// writes flux/flux/, which kiln keeps, through later promotions too, when
// kiln.yaml's flux.namespace says Flux lives there.
func TestBootstrapOfFluxNamespaceKept(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	p := project(f.remote)
	f.commitCode(t, map[string]string{"kiln.yaml": strings.Replace(p["kiln.yaml"], "notifications:\n", "flux:\n  namespace: flux\nnotifications:\n", 1)}, "flux namespace")
	boot := map[string]string{
		"clusters/dev/flux/flux/gotk-sync.yaml":     "# sync\n",
		"clusters/dev/flux/flux/kustomization.yaml": "# k\n",
	}
	gittest.Update(t, f.remote, "main", boot, nil, "bootstrap")
	for i, change := range []map[string]string{nil, {"apps/web/service.yaml": strings.Replace(p["apps/web/service.yaml"], "port: 80", "port: 81", 1)}} {
		if change != nil {
			f.commitCode(t, change, "port")
		}
		res, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{}))
		if err != nil {
			t.Fatalf("promotion %d: %v", i+1, err)
		}
		files := gittest.Files(t, f.remote, "main")
		for p, want := range boot {
			if files[p] != want {
				t.Errorf("promotion %d: %s = %q, want %q", i+1, p, files[p], want)
			}
		}
		if !res.Changed || files["clusters/dev/kiln.lock.json"] == "" {
			t.Errorf("promotion %d: %+v", i+1, res)
		}
	}
}

// kilnFolder adds to seed, files of a manifests repository, the
// kiln.lock.json that makes dir a folder kiln wrote, naming the apps seed
// has below dir/apps/.
func kilnFolder(dir string, seed map[string]string) map[string]string {
	apps := map[string]render.LockApp{}
	out := map[string]string{}
	for p, data := range seed {
		out[p] = data
		if rest, ok := strings.CutPrefix(p, dir+"/apps/"); ok {
			app, _, _ := strings.Cut(rest, "/")
			apps[app] = render.LockApp{Engine: "yaml"}
		}
	}
	data, err := json.Marshal(render.Lock{Env: path.Base(dir), Apps: apps})
	if err != nil {
		panic(err)
	}
	out[dir+"/kiln.lock.json"] = string(data)
	return out
}

// TestSubmoduleInEnvFolderKept: a submodule in the env's folder is no file
// of its tree (git ls-tree shows a commit, not a blob), so the plan does
// not see it; replacing the folder would still delete it. kiln looks for
// submodules in the folder before it plans (TestSubmoduleInEnvFolder), and
// the check of the commit would refuse one too.
func TestSubmoduleInEnvFolderKept(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if _, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{})); err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(t.TempDir(), "work")
	gittest.Git(t, filepath.Dir(work), "clone", "-q", f.remote, work)
	gittest.Git(t, work, "update-index", "--add", "--cacheinfo", "160000,"+strings.Repeat("ab", 20)+",clusters/dev/vendor/policies")
	gittest.Git(t, work, "commit", "-q", "-m", "a submodule")
	gittest.Git(t, work, "push", "-q", "origin", "main")
	before := gittest.Git(t, f.remote, "rev-parse", "main")
	f.commitCode(t, map[string]string{"apps/web/service.yaml": strings.Replace(project("")["apps/web/service.yaml"], "port: 80", "port: 81", 1)}, "port")
	for _, env := range []string{"dev", "staging"} {
		_, err := promote(t, f, f.opts(t, env, &bytes.Buffer{}))
		if env == "staging" {
			// staging has no folder yet: nothing of it to lose.
			if err != nil {
				t.Errorf("staging: %v", err)
			}
			continue
		}
		if want := "holds 1 submodule in env dev's folder clusters/dev: clusters/dev/vendor/policies; kiln never writes one"; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error = %v, want %q", env, err, want)
		}
	}
	if got := gittest.Git(t, f.remote, "rev-parse", "main"); got != before {
		t.Errorf("main moved from %s to %s", before, got)
	}
}

// TestRefusedPushNamesNoCommit: when the manifests repository refuses the
// push of kiln/<env> (a ruleset that blocks force pushes on kiln/*), the
// Result names no commit: Commit is a commit on the branch, and the one
// kiln made never got there. The hint names the rule to look at.
func TestRefusedPushNamesNoCommit(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	hook := filepath.Join(f.remote, "hooks", "pre-receive")
	if err := os.WriteFile(hook, []byte("#!/bin/sh\necho 'error: GH013: Repository rule violations found for refs/heads/kiln/staging.' >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	hints := map[string]string{
		"staging": "kiln owns kiln/staging and force-pushes it: a branch protection rule or ruleset that covers kiln/* must allow force pushes",
		"dev":     "env dev has mode: push, so kiln commits straight to main: a branch protection rule or ruleset on main must let kiln's token push",
	}
	for _, env := range []string{"staging", "dev"} {
		res, err := promote(t, f, f.opts(t, env, &bytes.Buffer{}))
		if err == nil || !strings.Contains(err.Error(), "GH013") || !strings.Contains(err.Error(), hints[env]) {
			t.Fatalf("%s: error = %v, want the refusal and the hint %q", env, err, hints[env])
		}
		if res == nil || res.Commit != "" || f.gh.count() != 0 {
			t.Errorf("%s: result %+v after a refused push, %d PRs; want no commit and no PR", env, res, f.gh.count())
		}
	}
}

// TestRefusalIsNotAnotherPromotion: a push the remote refuses for a
// reason of its own whose words read like a branch that moved on (a hook
// saying "non-fast-forward", a remote with receive.denyNonFastForwards,
// as git init --shared makes one, refusing kiln's force push of
// kiln/<env>) was taken for another promotion: push mode rebuilt and
// pushed five times and gave up saying the branch "kept moving", pr mode
// said another promotion had pushed kiln/<env> and sent people to run
// again, which failed the same way every time, and neither said what the
// remote did. Both now say it, with the hint of the rule to look at.
func TestRefusalIsNotAnotherPromotion(t *testing.T) {
	t.Parallel()
	hints := map[string]string{
		"staging": "kiln owns kiln/staging and force-pushes it: a branch protection rule or ruleset that covers kiln/* must allow force pushes",
		"dev":     "env dev has mode: push, so kiln commits straight to main: a branch protection rule or ruleset on main must let kiln's token push",
	}
	for _, tc := range []struct {
		name, env string
		refuse    func(t *testing.T, remote string)
		says      string
	}{
		{"a hook, push mode", "dev", hookSaying("non-fast-forward pushes are not allowed: open a change request"), "non-fast-forward pushes are not allowed"},
		{"a hook, pr mode", "staging", hookSaying("non-fast-forward pushes are not allowed: open a change request"), "non-fast-forward pushes are not allowed"},
		{"receive.denyNonFastForwards, pr mode", "staging", func(t *testing.T, remote string) {
			gittest.Git(t, remote, "config", "receive.denyNonFastForwards", "true")
		}, "denying non-fast-forward refs/heads/kiln/staging"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			// The branch exists, so that a pr mode push replaces it.
			if _, err := promote(t, f, f.opts(t, tc.env, &bytes.Buffer{})); err != nil {
				t.Fatal(err)
			}
			branch := map[string]string{"dev": "main", "staging": "kiln/staging"}[tc.env]
			before := gittest.Git(t, f.remote, "rev-parse", branch)
			tc.refuse(t, f.remote)
			f.commitCode(t, map[string]string{"apps/web/service.yaml": strings.Replace(project("")["apps/web/service.yaml"], "port: 80", "port: 81", 1)}, "port")
			var log bytes.Buffer
			res, err := promote(t, f, f.opts(t, tc.env, &log))
			if err == nil || !strings.Contains(err.Error(), tc.says) || !strings.Contains(err.Error(), hints[tc.env]) ||
				strings.Contains(err.Error(), "another promotion") || strings.Contains(err.Error(), "kept moving") {
				t.Fatalf("error = %v, want the remote's %q and the hint %q", err, tc.says, hints[tc.env])
			}
			if res == nil || res.Commit != "" || res.Attempts > 1 {
				t.Errorf("result %+v, want no commit after one attempt", res)
			}
			if got := gittest.Git(t, f.remote, "rev-parse", branch); got != before {
				t.Errorf("%s moved from %s to %s", branch, before, got)
			}
			if tc.env == "staging" && (f.gh.count() != 1 || f.gh.pr(1).Title == res.Title) {
				t.Errorf("%d pull requests; the first's title %q, want it left alone", f.gh.count(), f.gh.pr(1).Title)
			}
		})
	}
}

// TestLockedBranchIsNotARule: the remote could not take the lock file of
// the branch ("Unable to create '….lock': File exists"): another push to
// it held the lock at that moment (git waits 100 ms for it; a host whose
// reference-transaction hook votes holds it longer), or a git of the
// remote crashed and left it. The error blamed a branch protection rule
// or the token. It says both causes now, and what to do for each; once
// the lock is gone a rerun promotes.
func TestLockedBranchIsNotARule(t *testing.T) {
	t.Parallel()
	for _, env := range []string{"staging", "dev"} {
		t.Run(env, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			if _, err := promote(t, f, f.opts(t, env, &bytes.Buffer{})); err != nil {
				t.Fatal(err)
			}
			branch := map[string]string{"dev": "main", "staging": "kiln/staging"}[env]
			lock := filepath.Join(f.remote, "refs", "heads", filepath.FromSlash(branch)+".lock")
			if err := os.WriteFile(lock, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			f.commitCode(t, map[string]string{"apps/web/service.yaml": strings.Replace(project("")["apps/web/service.yaml"], "port: 80", "port: 81", 1)}, "port")
			var log bytes.Buffer
			_, err := promote(t, f, f.opts(t, env, &log))
			if err == nil || !strings.Contains(err.Error(), "File exists") || !strings.Contains(err.Error(), "another push to "+branch+" held it") ||
				!strings.Contains(err.Error(), "running kiln again is safe") || !strings.Contains(err.Error(), "removes that file in the remote repository") ||
				strings.Contains(err.Error(), "protection") || strings.Contains(err.Error(), "another promotion") {
				t.Fatalf("error = %v, want the lock's two causes and what to do, not the rules or another promotion", err)
			}
			if err := os.Remove(lock); err != nil {
				t.Fatal(err)
			}
			if _, err := promote(t, f, f.opts(t, env, &log)); err != nil {
				t.Fatalf("the rerun: %v\n%s", err, log.String())
			}
		})
	}
}

// hookSaying makes the remote's pre-receive hook refuse every push,
// saying msg.
func hookSaying(msg string) func(t *testing.T, remote string) {
	return func(t *testing.T, remote string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(remote, "hooks", "pre-receive"), []byte("#!/bin/sh\necho '"+msg+"' >&2\nexit 1\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDiffWarnsOfFilesKilnDidNotWrite: kiln diff against the manifests
// branch (the preview on a pull request) says that kiln promote would
// refuse, before the promotion finds out.
func TestDiffWarnsOfFilesKilnDidNotWrite(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	gittest.Update(t, f.remote, "main", map[string]string{"clusters/dev/README.md": "hand written\n"}, nil, "by hand")
	var log bytes.Buffer
	o := f.opts(t, "dev", nil)
	res, err := Diff(context.Background(), f.pipeline(t), DiffOptions{Env: "dev", Render: o.Render, GitEnv: gittest.Env(), WorkDir: t.TempDir(), Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	want := "warning: promoting env dev would delete or change 1 file in its folder clusters/dev that kiln did not write: clusters/dev/README.md"
	if !res.Changed || !strings.Contains(log.String(), want) {
		t.Errorf("log lacks %q:\n%s", want, log.String())
	}
}

// TestKeepsFluxBootstrapExactly: Flux's bootstrap files are kept as git has
// them, not only their bytes: a symlink stays a symlink (written as a file
// holding its target's path, Flux would read that path as YAML and its
// bootstrap Kustomization would fail), an executable stays executable.
func TestKeepsFluxBootstrapExactly(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	work := filepath.Join(t.TempDir(), "work")
	gittest.Git(t, filepath.Dir(work), "clone", "-q", f.remote, work)
	boot := filepath.Join(work, "clusters/dev/flux/flux-system")
	for _, err := range []error{
		os.MkdirAll(filepath.Join(work, "shared"), 0o755),
		os.WriteFile(filepath.Join(work, "shared/gotk-sync.yaml"), []byte("kind: Kustomization\n"), 0o644),
		os.MkdirAll(boot, 0o755),
		os.Symlink("../../../../shared/gotk-sync.yaml", filepath.Join(boot, "gotk-sync.yaml")),
		os.WriteFile(filepath.Join(boot, "upgrade.sh"), []byte("#!/bin/sh\n"), 0o755),
		os.WriteFile(filepath.Join(boot, "kustomization.yaml"), []byte("resources: [gotk-sync.yaml]\n"), 0o644),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	gittest.Git(t, work, "add", "-A")
	gittest.Git(t, work, "commit", "-q", "-m", "flux bootstrap")
	gittest.Git(t, work, "push", "-q", "origin", "main")
	want := gittest.Git(t, f.remote, "ls-tree", "-r", "main", "clusters/dev/flux/flux-system/")
	for _, port := range []string{"81", "82"} { // the first promotion and a change
		if _, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{})); err != nil {
			t.Fatal(err)
		}
		if got := gittest.Git(t, f.remote, "ls-tree", "-r", "main", "clusters/dev/flux/flux-system/"); got != want {
			t.Errorf("Flux's bootstrap files after the promotion:\n%s\nwant\n%s", got, want)
		}
		f.commitCode(t, map[string]string{"apps/web/service.yaml": strings.Replace(project("")["apps/web/service.yaml"], "port: 80", "port: "+port, 1)}, "port")
	}
	// pr mode builds on the manifests branch the same way.
	if _, err := promote(t, f, f.opts(t, "staging", &bytes.Buffer{})); err != nil {
		t.Fatal(err)
	}
	if got := gittest.Git(t, f.remote, "ls-tree", "-r", "kiln/staging", "clusters/dev/flux/flux-system/"); got != want {
		t.Errorf("kiln/staging changed dev's bootstrap files:\n%s", got)
	}
}

// TestSymlinkReplacedByFile: git gives a symlink as a file holding its
// target's path, so a file kiln wrote that someone replaced with a
// symlink whose target reads as the file was no change: kiln diff showed
// nothing and promote had nothing to do, while Flux applies no symlink.
// kiln diff shows it now, saying why, and promote commits kiln's regular
// file in its place. A symlink where kiln did not write (a folder without
// kiln.lock.json) is not kiln's to replace, whatever it reads.
func TestSymlinkReplacedByFile(t *testing.T) {
	t.Parallel()
	const web, secret = "apps/web/deployment_web.yaml", "apps/cache/secret_cache.yaml"
	t.Run("kiln's", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		if _, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{})); err != nil {
			t.Fatal(err)
		}
		files := gittest.Files(t, f.remote, "main")
		gittest.UpdateEntries(t, f.remote, "main", "120000", map[string]string{
			"clusters/dev/" + web:    files["clusters/dev/"+web],
			"clusters/dev/" + secret: files["clusters/dev/"+secret],
		}, "symlinks")
		var log bytes.Buffer
		d, err := Diff(context.Background(), f.pipeline(t), DiffOptions{Env: "dev", Render: f.opts(t, "dev", nil).Render, GitEnv: gittest.Env(), WorkDir: t.TempDir(), Log: &log})
		if err != nil {
			t.Fatal(err)
		}
		unified := d.Unified(false)
		if len(d.Changes) != 2 || d.Changes[0].Path != secret || d.Changes[1].Path != web || d.Changes[1].Op != "changed" ||
			!strings.Contains(unified, "symlink → file: a/"+web+" is a symlink in git (mode 120000)") || strings.Contains(unified, secretValue) ||
			strings.Contains(log.String(), "did not write") {
			t.Errorf("diff: %+v\n%s\nlog:\n%s", d.Changes, unified, log.String())
		}
		res, err := promote(t, f, f.opts(t, "dev", &log))
		if err != nil || !res.Changed {
			t.Fatalf("promote: %+v, %v\n%s", res, err, log.String())
		}
		for _, p := range []string{web, secret} {
			if got := gittest.Git(t, f.remote, "ls-tree", "main", "--", "clusters/dev/"+p); !strings.HasPrefix(got, "100644 blob ") {
				t.Errorf("main holds %s as %q, want a regular file", p, got)
			}
		}
	})
	t.Run("not kiln's", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		rendered := renderDev(t, f, f.opts(t, "dev", nil).Render)
		gittest.UpdateEntries(t, f.remote, "main", "120000", map[string]string{"clusters/dev/" + web: string(rendered.Files[web])}, "a symlink")
		before := gittest.Git(t, f.remote, "rev-parse", "main")
		_, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{}))
		if want := "would delete or change 1 file in its folder clusters/dev that kiln did not write: clusters/dev/" + web + " (it holds no kiln.lock.json"; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error = %v, want %q", err, want)
		}
		if got := gittest.Git(t, f.remote, "rev-parse", "main"); got != before {
			t.Errorf("main moved from %s to %s", before, got)
		}
	})
}
