package promote

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

// TestVerify renders dev's source commit again and compares it with the
// manifests branch: equal after a promotion, different after a hand edit
// or a lock whose images are not the tree's, and unaffected by the user's
// uncommitted changes, which it must leave as they are.
func TestVerify(t *testing.T) {
	t.Parallel()
	setup := func(t *testing.T) *fixture {
		f := newFixture(t)
		if _, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{})); err != nil {
			t.Fatal(err)
		}
		return f
	}
	verifyRef := func(t *testing.T, f *fixture, against, ref string) (*VerifyResult, error) {
		t.Helper()
		log := &bytes.Buffer{}
		res, err := Verify(context.Background(), f.pipeline(t), VerifyOptions{
			Env: "dev", Against: against, LookupEnv: lookup, Version: "test",
			GitEnv: gittest.Env(), WorkDir: t.TempDir(), Log: log, SourceRef: ref,
		})
		if strings.Contains(log.String(), secretValue) || (err != nil && strings.Contains(err.Error(), secretValue)) {
			t.Errorf("a secret leaked:\n%s\n%v", log, err)
		}
		return res, err
	}
	verify := func(t *testing.T, f *fixture, against string) (*VerifyResult, error) {
		t.Helper()
		return verifyRef(t, f, against, "")
	}
	// tamper commits edit(files) of the manifests branch.
	tamper := func(t *testing.T, f *fixture, edit func(files map[string]string)) {
		t.Helper()
		files := gittest.Files(t, f.remote, "main")
		edit(files)
		gittest.Commit(t, f.remote, "main", files, "hand edit")
	}
	changed := func(res *VerifyResult) []string {
		var out []string
		for _, c := range res.Files {
			out = append(out, c.Op+" "+c.Path)
		}
		return out
	}

	t.Run("equal", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		res, err := verify(t, f, "")
		if err != nil {
			t.Fatal(err)
		}
		if !res.Equal || len(res.Files) != 0 || res.SourceCommit != f.head(t) {
			t.Errorf("result = %+v, want equal at %s", res, f.head(t))
		}
	})

	t.Run("tampered", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		tamper(t, f, func(files map[string]string) {
			p := "clusters/dev/apps/web/deployment_web.yaml"
			files[p] = strings.Replace(files[p], "replicas: 1", "replicas: 5", 1)
			files["clusters/dev/apps/web/extra.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\n"
		})
		res, err := verify(t, f, "")
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"removed apps/web/extra.yaml", "changed apps/web/deployment_web.yaml"}
		if res.Equal || !cmp.Equal(sorted(want), sorted(changed(res))) {
			t.Errorf("files = %v, want %v", changed(res), want)
		}
	})

	// The manifests branch by default, never a tag of its name: whoever
	// may push a tag main would otherwise choose the tree verified.
	t.Run("tag named as the manifests branch", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		gittest.Git(t, f.remote, "tag", "main", "main")
		tamper(t, f, func(files map[string]string) {
			files["clusters/dev/apps/web/extra.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\n"
		})
		res, err := verify(t, f, "")
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"removed apps/web/extra.yaml"}; res.Equal || !cmp.Equal(want, changed(res)) {
			t.Errorf("files = %v, want %v", changed(res), want)
		}
	})

	// A lock an older kiln wrote, without the digests of the tree's own
	// files (kiln promote keeps it while no file changes): the files are
	// compared themselves, so it verifies; a changed file still does not.
	t.Run("lock without file digests", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		strip := func(files map[string]string) {
			p := "clusters/dev/kiln.lock.json"
			var lock map[string]any
			if err := json.Unmarshal([]byte(files[p]), &lock); err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, a := range lock["apps"].(map[string]any) {
				app := a.(map[string]any)
				for _, k := range []string{"secretFiles", "plainDigest", "highLevelDigest"} {
					if _, ok := app[k]; ok {
						delete(app, k)
						n++
					}
				}
			}
			if n == 0 {
				t.Fatal("the lock has no file digests: the test tests nothing")
			}
			data, err := json.MarshalIndent(lock, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			files[p] = string(data) + "\n"
		}
		tamper(t, f, strip)
		res, err := verify(t, f, "")
		if err != nil {
			t.Fatal(err)
		}
		if !res.Equal {
			t.Errorf("files = %v, want the tree verified", changed(res))
		}
		tamper(t, f, func(files map[string]string) {
			p := "clusters/dev/high-level/cache/vars.yaml"
			files[p] += "# edited\n"
		})
		if res, err = verify(t, f, ""); err != nil {
			t.Fatal(err)
		}
		if got := changed(res); res.Equal || !cmp.Equal(got, []string{"changed high-level/cache/vars.yaml"}) {
			t.Errorf("files = %v, want the edited high-level file alone", got)
		}
	})

	t.Run("wrong images", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		// The lock claims an image the tree does not run.
		tamper(t, f, func(files map[string]string) {
			p := "clusters/dev/kiln.lock.json"
			files[p] = strings.ReplaceAll(files[p], "ghcr.io/acme/web:1.2.3", "ghcr.io/acme/web:9.9.9")
		})
		res, err := verify(t, f, "")
		if err != nil {
			t.Fatal(err)
		}
		got := changed(res)
		if res.Equal || !contains(got, "changed apps/web/deployment_web.yaml") || !contains(got, "changed kiln.lock.json") {
			t.Errorf("files = %v, want the deployment and the lock", got)
		}
	})

	t.Run("dirty working tree", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		dep := filepath.Join(f.code, "apps", "web", "deployment.yaml")
		orig, err := os.ReadFile(dep)
		if err != nil {
			t.Fatal(err)
		}
		dirty := strings.Replace(string(orig), "replicas: 1", "replicas: 3", 1)
		if err := os.WriteFile(dep, []byte(dirty), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(f.code, "untracked.txt"), []byte("mine\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		status := gittest.Git(t, f.code, "status", "--porcelain")
		res, err := verify(t, f, "")
		if err != nil {
			t.Fatal(err)
		}
		if !res.Equal {
			t.Errorf("uncommitted changes reached the render: %v", changed(res))
		}
		if got := gittest.Git(t, f.code, "status", "--porcelain"); got != status {
			t.Errorf("the working tree changed:\n%s\nwant\n%s", got, status)
		}
		if data, _ := os.ReadFile(dep); string(data) != dirty {
			t.Error("the uncommitted edit is gone")
		}
		if wts := gittest.Git(t, f.code, "worktree", "list", "--porcelain"); strings.Count(wts, "worktree ") != 1 {
			t.Errorf("a worktree was left behind:\n%s", wts)
		}
	})

	t.Run("against a folder", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		out := t.TempDir()
		for p, content := range gittest.Files(t, f.remote, "main") {
			rel, ok := strings.CutPrefix(p, "clusters/")
			if !ok {
				continue
			}
			dst := filepath.Join(out, filepath.FromSlash(rel))
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(dst, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		res, err := verify(t, f, out)
		if err != nil || !res.Equal {
			t.Fatalf("verify = %+v, %v; want equal", res, err)
		}
	})

	t.Run("sops file", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		tamper(t, f, func(files map[string]string) {
			p := "clusters/dev/apps/cache/secret_cache.yaml"
			files[p] = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cache, namespace: shop}\ndata:\n  key: ENC[AES256_GCM,data:xyz]\nsops:\n  version: 3.9.0\n"
		})
		res, err := verify(t, f, "")
		if err != nil {
			t.Fatal(err)
		}
		// The source renders a plain Secret: an encrypted one in its
		// place differs whatever it decrypts to.
		if res.Equal || len(res.Unverifiable) != 0 || len(res.Files) != 1 || res.Files[0].Path != "apps/cache/secret_cache.yaml" {
			t.Errorf("result = %+v, want the encrypted file changed", res)
		}
	})

	t.Run("commit not in the repository", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		tamper(t, f, func(files map[string]string) {
			p := "clusters/dev/kiln.lock.json"
			files[p] = strings.ReplaceAll(files[p], f.head(t), strings.Repeat("0", 40))
		})
		_, err := verify(t, f, "")
		if err == nil || !strings.Contains(err.Error(), "the source commit "+strings.Repeat("0", 40)+" that the lock names is not in this repository") {
			t.Errorf("error = %v", err)
		}
	})

	t.Run("source ref", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		reviewed := f.head(t)
		res, err := verifyRef(t, f, "", "main")
		if err != nil || !res.Equal || res.OffSourceRef || res.SourceRef != "main" {
			t.Fatalf("verify of main's own commit = %+v, %v; want equal", res, err)
		}

		// A commit nobody merged (a fork's, which GitHub serves by SHA
		// to whoever fetches it) renders the tree a pull request to
		// kiln/dev carries: it is exactly what that commit renders.
		gittest.Git(t, f.code, "checkout", "-q", "-b", "fork")
		dep := filepath.Join(f.code, "apps", "web", "deployment.yaml")
		orig, err := os.ReadFile(dep)
		if err != nil {
			t.Fatal(err)
		}
		f.commitCode(t, map[string]string{"apps/web/deployment.yaml": strings.Replace(string(orig), "replicas: 1", "replicas: 7", 1)}, "unreviewed")
		fork := f.head(t)
		if _, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{})); err != nil {
			t.Fatal(err)
		}
		gittest.Git(t, f.code, "checkout", "-q", "main")
		if res, err := verify(t, f, ""); err != nil || !res.Equal || res.SourceCommit != fork {
			t.Fatalf("without --source-ref the fork's tree verifies (documented): %+v, %v", res, err)
		}
		res, err = verifyRef(t, f, "", "main")
		if err != nil || res.Equal || !res.OffSourceRef || res.SourceCommit != fork || len(res.Files) != 0 {
			t.Errorf("a commit off main = %+v, %v; want not equal, off the ref, not rendered", res, err)
		}

		// Merged, the same commit is on main.
		gittest.Git(t, f.code, "merge", "-q", "--ff-only", "fork")
		if res, err := verifyRef(t, f, "", "main"); err != nil || !res.Equal || res.OffSourceRef {
			t.Errorf("once merged = %+v, %v; want equal", res, err)
		}
		if res, err := verifyRef(t, f, "", reviewed); err != nil || !res.OffSourceRef {
			t.Errorf("a ref behind the commit = %+v, %v; want off the ref", res, err)
		}

		for _, c := range []struct{ ref, want string }{
			{"origin/main", "--source-ref origin/main is not a commit of this repository"},
			{"--output=x", `--source-ref "--output=x" is not a revision`},
		} {
			if _, err := verifyRef(t, f, "", c.ref); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("--source-ref %s: error = %v, want %q", c.ref, err, c.want)
			}
		}
	})

	t.Run("source ref in a shallow clone", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		f.commitCode(t, map[string]string{"notes.txt": "later\n"}, "later")
		shallow := filepath.Join(t.TempDir(), "code")
		gittest.Git(t, filepath.Dir(shallow), "clone", "-q", "--depth", "1", "file://"+f.code, shallow)
		p, err := envconfig.Load(filepath.Join(shallow, "kiln.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = Verify(context.Background(), p, VerifyOptions{
			Env: "dev", LookupEnv: lookup, Version: "test", SourceRef: "origin/main",
			GitEnv: gittest.Env(), WorkDir: t.TempDir(),
		})
		// The lock's commit is not in the clone at all; fetched alone
		// by SHA it would be, without the history that links it to
		// main: either way kiln says why it cannot tell.
		if err == nil || !strings.Contains(err.Error(), "not in this repository") {
			t.Errorf("error = %v", err)
		}
		gittest.Git(t, shallow, "fetch", "-q", "--depth", "1", "origin", gittest.Git(t, f.code, "rev-parse", "HEAD~1"))
		_, err = Verify(context.Background(), p, VerifyOptions{
			Env: "dev", LookupEnv: lookup, Version: "test", SourceRef: "origin/main",
			GitEnv: gittest.Env(), WorkDir: t.TempDir(),
		})
		if err == nil || !strings.Contains(err.Error(), "a shallow clone cannot tell whether the source commit") {
			t.Errorf("error = %v", err)
		}
	})
}

func TestSOPSEncrypted(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]bool{
		"kind: Secret\nsops: {version: 3.9.0}\n":             true,
		"kind: ConfigMap\ndata: {sops: x}\n":                 false,
		"- a\n---\nkind: Secret\nsops: {}\n":                 true,
		"kind: ConfigMap\n":                                  false,
		"not: [valid\n":                                      false,
		"apiVersion: v1\nkind: ConfigMap\n---\nsops: null\n": true,
	} {
		if got := sopsEncrypted([]byte(in)); got != want {
			t.Errorf("sopsEncrypted(%q) = %v, want %v", in, got, want)
		}
	}
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

func contains(s []string, v string) bool { return slices.Contains(s, v) }
