package gitrepo_test

import (
	"context"
	"encoding/base64"
	"errors"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/promote/internal/gitrepo"
	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

func clone(t *testing.T, remote string, opts gitrepo.Options) *gitrepo.Repo {
	t.Helper()
	rem, err := gitrepo.ParseRemote(remote, "/")
	if err != nil {
		t.Fatal(err)
	}
	if opts.Env == nil {
		opts.Env = gittest.Env()
	}
	r, err := gitrepo.Clone(context.Background(), rem, filepath.Join(t.TempDir(), "clone"), opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestParseRemote(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in, want string
		http, user     bool
	}{
		{name: "https", in: "https://github.com/acme/m.git", want: "https://github.com/acme/m.git", http: true},
		{name: "https with token", in: "https://x-access-token:s3cr3t@github.com/acme/m.git", want: "https://github.com/acme/m.git", http: true, user: true},
		{name: "ssh", in: "ssh://git@github.com/acme/m.git", want: "ssh://git@github.com/acme/m.git", user: true},
		{name: "scp-like", in: "git@github.com:acme/m.git", want: "git@github.com:acme/m.git"},
		{name: "scp-like without user", in: "github.com:acme/m.git", want: "github.com:acme/m.git"},
		{name: "insteadOf alias", in: "kiln-test:m.git", want: "kiln-test:m.git"},
		{name: "path with a colon after a slash", in: "./a:b", want: "/work/code/a:b"},
		{name: "file", in: "file:///srv/m.git", want: "file:///srv/m.git"},
		{name: "absolute path", in: "/srv/m.git", want: "/srv/m.git"},
		{name: "relative path", in: "../m", want: "/work/m"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := gitrepo.ParseRemote(tc.in, "/work/code")
			if err != nil {
				t.Fatal(err)
			}
			if got.URL != tc.want || got.HTTP != tc.http || (got.User != nil) != tc.user {
				t.Errorf("ParseRemote(%q) = %+v, want URL %q http %v user %v", tc.in, got, tc.want, tc.http, tc.user)
			}
		})
	}
}

func TestReplaceCommitPush(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	remote := gittest.Bare(t)
	gittest.Commit(t, remote, "main", map[string]string{
		"README.md":                     "hello\n",
		"clusters/dev/apps/a/old.yaml":  "old\n",
		"clusters/dev/apps/a/keep.yaml": "keep\n",
		"clusters/prod/apps/a/x.yaml":   "prod\n",
	}, "seed")
	r := clone(t, "file://"+remote, gitrepo.Options{})
	heads, err := r.Fetch(ctx, "main", "kiln/dev")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := heads["kiln/dev"]; ok || heads["main"] == "" {
		t.Fatalf("Fetch = %v, want main only", heads)
	}
	if err := r.Checkout(ctx, "kiln/dev", "refs/remotes/origin/main"); err != nil {
		t.Fatal(err)
	}
	if err := r.ReplaceDir(ctx, "clusters/dev", map[string][]byte{
		"apps/a/keep.yaml": []byte("keep\n"),
		"apps/a/new.yaml":  []byte("new\n"),
	}); err != nil {
		t.Fatal(err)
	}
	commit, err := r.Commit(ctx, "kiln: dev\n\nKiln-Env: dev\n")
	if err != nil {
		t.Fatal(err)
	}
	if commit == "" {
		t.Fatal("no commit")
	}
	if err := r.Push(ctx, "kiln/dev", true); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"README.md":                     "hello\n",
		"clusters/dev/apps/a/keep.yaml": "keep\n",
		"clusters/dev/apps/a/new.yaml":  "new\n",
		"clusters/prod/apps/a/x.yaml":   "prod\n",
	}
	if diff := cmp.Diff(want, gittest.Files(t, remote, "kiln/dev")); diff != "" {
		t.Errorf("pushed tree (-want +got):\n%s", diff)
	}
	if got := gittest.Git(t, remote, "log", "-1", "--format=%an <%ae>|%cn <%ce>|%aI", "kiln/dev"); got != "kiln <kiln@users.noreply.github.com>|kiln <kiln@users.noreply.github.com>|2024-01-02T03:04:05+00:00" {
		t.Errorf("identity = %q", got)
	}

	// The same tree again: nothing to commit.
	if err := r.ReplaceDir(ctx, "clusters/dev", map[string][]byte{
		"apps/a/keep.yaml": []byte("keep\n"),
		"apps/a/new.yaml":  []byte("new\n"),
	}); err != nil {
		t.Fatal(err)
	}
	again, err := r.Commit(ctx, "again")
	if err != nil {
		t.Fatal(err)
	}
	if again != "" {
		t.Errorf("Commit of an unchanged tree = %s, want none", again)
	}

	// Reading at a ref.
	data, err := r.ReadFile(ctx, "refs/remotes/origin/main", "clusters/dev/apps/a/old.yaml")
	if err != nil || string(data) != "old\n" {
		t.Errorf("ReadFile = %q, %v", data, err)
	}
	if _, err := r.ReadFile(ctx, "refs/remotes/origin/main", "clusters/dev/kiln.lock.json"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadFile of a missing file: %v, want fs.ErrNotExist", err)
	}
	tree, err := r.Tree(ctx, "HEAD", "clusters/dev")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string][]byte{"apps/a/keep.yaml": []byte("keep\n"), "apps/a/new.yaml": []byte("new\n")}, tree); diff != "" {
		t.Errorf("Tree (-want +got):\n%s", diff)
	}
	empty, err := r.Tree(ctx, "HEAD", "clusters/staging")
	if err != nil || len(empty) != 0 {
		t.Errorf("Tree of a missing folder = %v, %v; want empty", empty, err)
	}
	info, err := r.Info(ctx, commit)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{heads["main"]}, info.Parents); diff != "" {
		t.Errorf("parents (-want +got):\n%s", diff)
	}
}

// TestReplaceDirIgnoresGitignore: a manifests repository's .gitignore
// (a root one that keeps secrets or JSON out of the repository, one
// above the env's folder) must not make kiln commit a tree without the
// files it wrote: the kustomization.yaml would name a missing Secret, and
// kiln.lock.json would vanish, while the promotion reported success.
func TestReplaceDirIgnoresGitignore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	remote := gittest.Bare(t)
	gittest.Commit(t, remote, "main", map[string]string{
		".gitignore":          "secret_*.yaml\n*.json\n",
		"clusters/.gitignore": "apps/\n",
	}, "seed")
	r := clone(t, remote, gitrepo.Options{})
	if _, err := r.Fetch(ctx, "main"); err != nil {
		t.Fatal(err)
	}
	if err := r.Checkout(ctx, "main", "refs/remotes/origin/main"); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"apps/db/secret_db.yaml":     []byte("kind: Secret\n"),
		"apps/db/kustomization.yaml": []byte("resources: [secret_db.yaml]\n"),
		"kiln.lock.json":             []byte("{}\n"),
	}
	if err := r.ReplaceDir(ctx, "clusters/dev", files); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Commit(ctx, "kiln: dev"); err != nil {
		t.Fatal(err)
	}
	if err := r.Push(ctx, "main", false); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		".gitignore":                              "secret_*.yaml\n*.json\n",
		"clusters/.gitignore":                     "apps/\n",
		"clusters/dev/apps/db/secret_db.yaml":     "kind: Secret\n",
		"clusters/dev/apps/db/kustomization.yaml": "resources: [secret_db.yaml]\n",
		"clusters/dev/kiln.lock.json":             "{}\n",
	}
	if diff := cmp.Diff(want, gittest.Files(t, remote, "main")); diff != "" {
		t.Errorf("pushed tree (-want +got):\n%s", diff)
	}
}

// TestSymlinkBecomesAFile: Tree reads a symlink (mode 120000) as a file
// holding its target's path, which can be byte for byte what kiln writes
// there, and leaves a submodule out; TreeAndSpecial names both. A file
// ReplaceDir writes where a symlink was is committed as a regular file
// even where git add keeps the mode of the entry it updates (core.symlinks
// false, git's default where symlinks cannot be made, as on Windows).
func TestSymlinkBecomesAFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	remote := gittest.Bare(t)
	seed := gittest.Commit(t, remote, "main", map[string]string{
		"clusters/dev/apps/a/cm.yaml": "kind: ConfigMap\n",
		"clusters/dev/kiln.lock.json": "{}\n",
	}, "seed")
	gittest.UpdateEntries(t, remote, "main", "120000", map[string]string{
		"clusters/dev/apps/a/link.yaml": "kind: ConfigMap\n",
		"clusters/shared.yaml":          "dev/kiln.lock.json",
	}, "symlinks")
	gittest.UpdateEntries(t, remote, "main", "160000", map[string]string{"clusters/dev/vendor": seed}, "a submodule")
	r := clone(t, remote, gitrepo.Options{})
	heads, err := r.Fetch(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	files, special, err := r.TreeAndSpecial(ctx, heads["main"], "clusters/dev")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{
		"apps/a/cm.yaml":   []byte("kind: ConfigMap\n"),
		"apps/a/link.yaml": []byte("kind: ConfigMap\n"),
		"kiln.lock.json":   []byte("{}\n"),
	}
	if diff := cmp.Diff(want, files); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	wantSpecial := gitrepo.Special{Submodules: []string{"clusters/dev/vendor"}, Symlinks: []string{"clusters/dev/apps/a/link.yaml"}}
	if diff := cmp.Diff(wantSpecial, special); diff != "" {
		t.Errorf("special (-want +got):\n%s", diff)
	}

	gittest.Git(t, r.Dir, "config", "core.symlinks", "false")
	if err := r.Checkout(ctx, "main", "refs/remotes/origin/main"); err != nil {
		t.Fatal(err)
	}
	if err := r.ReplaceDir(ctx, "clusters/dev", want); err != nil {
		t.Fatal(err)
	}
	commit, err := r.Commit(ctx, "kiln: dev")
	if err != nil || commit == "" {
		t.Fatalf("Commit = %q, %v", commit, err)
	}
	modes := map[string]string{}
	for _, line := range strings.Split(gittest.Git(t, r.Dir, "ls-tree", "-r", commit), "\n") {
		meta, name, _ := strings.Cut(line, "\t")
		modes[name] = strings.Fields(meta)[0]
	}
	wantModes := map[string]string{
		"clusters/dev/apps/a/cm.yaml":   "100644",
		"clusters/dev/apps/a/link.yaml": "100644",
		"clusters/dev/kiln.lock.json":   "100644",
		"clusters/shared.yaml":          "120000",
	}
	if diff := cmp.Diff(wantModes, modes); diff != "" {
		t.Errorf("the commit's modes (-want +got):\n%s", diff)
	}
}

func TestPushNonFastForward(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	remote := gittest.Bare(t)
	gittest.Commit(t, remote, "main", map[string]string{"a": "1\n"}, "seed")
	r := clone(t, remote, gitrepo.Options{})
	if _, err := r.Fetch(ctx, "main"); err != nil {
		t.Fatal(err)
	}
	if err := r.Checkout(ctx, "main", "refs/remotes/origin/main"); err != nil {
		t.Fatal(err)
	}
	if err := r.ReplaceDir(ctx, "dev", map[string][]byte{"x": []byte("x\n")}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Commit(ctx, "mine"); err != nil {
		t.Fatal(err)
	}
	gittest.Update(t, remote, "main", map[string]string{"b": "2\n"}, nil, "theirs")
	err := r.Push(ctx, "main", false)
	if !errors.Is(err, gitrepo.ErrNonFastForward) {
		t.Fatalf("Push after someone else pushed: %v, want ErrNonFastForward", err)
	}
}

func TestPushRetryKeepsEveryCommit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	remote := gittest.Bare(t)
	gittest.Commit(t, remote, "main", map[string]string{"README.md": "hi\n"}, "seed")
	r := clone(t, remote, gitrepo.Options{})
	attempts := 0
	commit, n, err := r.PushRetry(ctx, "main", 5, func(ctx context.Context, tip string) (string, error) {
		attempts++
		if err := r.ReplaceDir(ctx, "clusters/dev", map[string][]byte{"f.yaml": []byte("dev\n")}); err != nil {
			return "", err
		}
		c, err := r.Commit(ctx, "kiln: dev")
		if attempts <= 2 {
			// Someone else lands a commit between our fetch and our push.
			gittest.Update(t, remote, "main", map[string]string{"clusters/prod/p.yaml": strings.Repeat("p", attempts) + "\n"}, nil, "other")
		}
		return c, err
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 || commit == "" {
		t.Errorf("PushRetry = %q after %d attempts, want a commit after 3", commit, n)
	}
	if diff := cmp.Diff([]string{"kiln: dev", "other", "other", "seed"}, gittest.Log(t, remote, "main")); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	want := map[string]string{"README.md": "hi\n", "clusters/dev/f.yaml": "dev\n", "clusters/prod/p.yaml": "pp\n"}
	if diff := cmp.Diff(want, gittest.Files(t, remote, "main")); diff != "" {
		t.Errorf("tree (-want +got):\n%s", diff)
	}
}

func TestPushRetryGivesUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	remote := gittest.Bare(t)
	gittest.Commit(t, remote, "main", map[string]string{"README.md": "hi\n"}, "seed")
	r := clone(t, remote, gitrepo.Options{})
	i := 0
	_, n, err := r.PushRetry(ctx, "main", 2, func(ctx context.Context, tip string) (string, error) {
		i++
		if err := r.ReplaceDir(ctx, "dev", map[string][]byte{"f": []byte("f\n")}); err != nil {
			return "", err
		}
		c, err := r.Commit(ctx, "kiln")
		gittest.Update(t, remote, "main", map[string]string{"other": strings.Repeat("o", i)}, nil, "other")
		return c, err
	})
	if !errors.Is(err, gitrepo.ErrNonFastForward) || n != 2 {
		t.Errorf("PushRetry = %d attempts, %v; want 2 and ErrNonFastForward", n, err)
	}
}

func TestFirstCommitOfEmptyRemote(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	remote := gittest.Bare(t)
	r := clone(t, remote, gitrepo.Options{})
	commit, _, err := r.PushRetry(ctx, "main", 3, func(ctx context.Context, tip string) (string, error) {
		if tip != "" {
			t.Errorf("tip of an empty remote = %q", tip)
		}
		if err := r.ReplaceDir(ctx, "clusters/dev", map[string][]byte{"f": []byte("f\n")}); err != nil {
			return "", err
		}
		return r.Commit(ctx, "kiln: dev")
	})
	if err != nil || commit == "" {
		t.Fatalf("PushRetry = %q, %v", commit, err)
	}
	if diff := cmp.Diff(map[string]string{"clusters/dev/f": "f\n"}, gittest.Files(t, remote, "main")); diff != "" {
		t.Errorf("tree (-want +got):\n%s", diff)
	}
}

func TestReplaceDirRefusesSymlinkEscape(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "precious"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	remote := gittest.Bare(t)
	seed := t.TempDir()
	gittest.Git(t, seed, "init", "-q", "--initial-branch=main")
	if err := os.Symlink(outside, filepath.Join(seed, "clusters")); err != nil {
		t.Fatal(err)
	}
	gittest.Git(t, seed, "add", "-A")
	gittest.Git(t, seed, "commit", "-q", "-m", "evil")
	gittest.Git(t, seed, "push", "-q", remote, "HEAD:refs/heads/main")

	r := clone(t, remote, gitrepo.Options{})
	if _, err := r.Fetch(ctx, "main"); err != nil {
		t.Fatal(err)
	}
	if err := r.Checkout(ctx, "main", "refs/remotes/origin/main"); err != nil {
		t.Fatal(err)
	}
	if err := r.ReplaceDir(ctx, "clusters/dev", map[string][]byte{"f": []byte("f")}); err == nil {
		t.Error("ReplaceDir through a symlink leading outside: no error")
	}
	if _, err := os.Stat(filepath.Join(outside, "precious")); err != nil {
		t.Errorf("file outside the clone: %v", err)
	}
	if err := r.ReplaceDir(ctx, "dev", map[string][]byte{"../x": []byte("f")}); err == nil {
		t.Error("ReplaceDir with ../ in a file name: no error")
	}
}

// gitHTTPServer serves a bare repository m.git, one commit on main and
// open to pushes, over git's smart HTTP (gittest.HTTP), answering only the
// requests authorized accepts. It returns the server's URL and the
// repository's path.
func gitHTTPServer(t *testing.T, authorized func(*http.Request) bool) (string, string) {
	t.Helper()
	root := t.TempDir()
	remote := filepath.Join(root, "m.git")
	gittest.Git(t, root, "init", "-q", "--bare", "--initial-branch=main", remote)
	gittest.Commit(t, remote, "main", map[string]string{"README.md": "hi\n"}, "seed")
	srvURL := gittest.HTTP(t, root, func(w http.ResponseWriter, r *http.Request) bool {
		if authorized(r) {
			return false
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return true
	})
	return srvURL, remote
}

// TestTokenStaysSecret pushes over real smart HTTP (git http-backend behind
// an httptest server that requires the token) and checks that the token
// reaches the server as a header and nowhere else: not in argv, not in
// .git/config, not in any error.
func TestTokenStaysSecret(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const token = "ghs_T0KEN-never-shown"
	wantAuth := "Basic " + base64.StdEncoding.EncodeToString([]byte("x-access-token:"+token))
	var mu sync.Mutex
	authorized := 0
	srvURL, remote := gitHTTPServer(t, func(r *http.Request) bool {
		if r.Header.Get("Authorization") != wantAuth {
			return false
		}
		mu.Lock()
		authorized++
		mu.Unlock()
		return true
	})
	wrapper, argvLog := recordingGit(t)

	r := clone(t, srvURL+"/m.git", gitrepo.Options{Token: token, Git: wrapper})
	if _, err := r.Fetch(ctx, "main"); err != nil {
		t.Fatal(err)
	}
	if err := r.Checkout(ctx, "kiln/dev", "refs/remotes/origin/main"); err != nil {
		t.Fatal(err)
	}
	if err := r.ReplaceDir(ctx, "clusters/dev", map[string][]byte{"f": []byte("f\n")}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Commit(ctx, "kiln: dev"); err != nil {
		t.Fatal(err)
	}
	if err := r.Push(ctx, "kiln/dev", true); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"README.md": "hi\n", "clusters/dev/f": "f\n"}, gittest.Files(t, remote, "kiln/dev")); diff != "" {
		t.Errorf("pushed over HTTP (-want +got):\n%s", diff)
	}
	mu.Lock()
	seen := authorized
	mu.Unlock()
	if seen == 0 {
		t.Error("the server never saw the token")
	}

	// An error (a missing repository) must not show the token either.
	bad := clone(t, srvURL+"/missing.git", gitrepo.Options{Token: token, Git: wrapper})
	_, ferr := bad.Fetch(ctx, "main")
	if ferr == nil {
		t.Fatal("fetch of a missing repository: no error")
	}
	t.Logf("fetch error: %v", ferr)
	// A token given in the URL is moved out of it.
	inURL, err := url.Parse(srvURL + "/m.git")
	if err != nil {
		t.Fatal(err)
	}
	inURL.User = url.UserPassword("x-access-token", token)
	viaURL := clone(t, inURL.String(), gitrepo.Options{Git: wrapper})
	if _, err := viaURL.Fetch(ctx, "main"); err != nil {
		t.Fatalf("fetch with the token in the URL: %v", err)
	}

	for name, text := range map[string]string{
		"error":             ferr.Error(),
		"remote":            r.Remote + viaURL.Remote,
		".git/config":       readFile(t, filepath.Join(r.Dir, ".git", "config")),
		".git/config (url)": readFile(t, filepath.Join(viaURL.Dir, ".git", "config")),
		"argv":              readFile(t, argvLog),
	} {
		for _, secret := range []string{token, base64.StdEncoding.EncodeToString([]byte("x-access-token:" + token))} {
			if strings.Contains(text, secret) {
				t.Errorf("%s contains the token:\n%s", name, text)
			}
		}
	}
	if !strings.Contains(readFile(t, argvLog), "push") {
		t.Error("the argv log recorded nothing; is the wrapper used?")
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestCancel(t *testing.T) {
	t.Parallel()
	remote := gittest.Bare(t)
	r := clone(t, remote, gitrepo.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Fetch(ctx, "main"); !errors.Is(err, context.Canceled) {
		t.Errorf("Fetch with a cancelled context: %v, want context.Canceled", err)
	}
}

// TestReplaceDirRefusesAnythingButAnEnvFolder: the root, "..", .git and a
// symlink to another folder of the repository are refused, and nothing in
// the work tree changes.
func TestReplaceDirRefusesAnythingButAnEnvFolder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	remote := gittest.Bare(t)
	seed := t.TempDir()
	gittest.Git(t, seed, "init", "-q", "--initial-branch=main")
	if err := os.MkdirAll(filepath.Join(seed, "platform"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(seed, "platform", "precious.yaml"), []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(seed, "clusters"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../platform", filepath.Join(seed, "clusters", "dev")); err != nil {
		t.Fatal(err)
	}
	gittest.Git(t, seed, "add", "-A")
	gittest.Git(t, seed, "commit", "-q", "-m", "seed")
	gittest.Git(t, seed, "push", "-q", remote, "HEAD:refs/heads/main")

	r := clone(t, remote, gitrepo.Options{})
	if _, err := r.Fetch(ctx, "main"); err != nil {
		t.Fatal(err)
	}
	if err := r.Checkout(ctx, "main", "refs/remotes/origin/main"); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"", ".", "/", "clusters/dev/../..", "clusters/..", ".git", ".git/hooks", ".GIT/hooks", "x/.Git", "clusters/dev", "clusters/dev/apps"} {
		if err := r.ReplaceDir(ctx, dir, map[string][]byte{"f": []byte("f")}); err == nil {
			t.Errorf("ReplaceDir(%q): no error", dir)
		}
	}
	data, err := os.ReadFile(filepath.Join(r.Dir, "platform", "precious.yaml"))
	if err != nil || string(data) != "x\n" {
		t.Errorf("platform/precious.yaml = %q, %v", data, err)
	}
	if out := gittest.Git(t, r.Dir, "status", "--porcelain"); out != "" {
		t.Errorf("the work tree changed:\n%s", out)
	}
}

// recordingGit writes a git wrapper that appends every argv git is run
// with, as one line, to a log, and returns the wrapper and the log.
func recordingGit(t *testing.T) (wrapper, argvLog string) {
	t.Helper()
	gitPath, err := exec.LookPath("git")
	if err != nil {
		t.Fatal(err)
	}
	argvLog = filepath.Join(t.TempDir(), "argv")
	wrapper = filepath.Join(t.TempDir(), "git")
	script := "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '" + argvLog + "'\nexec '" + gitPath + "' \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return wrapper, argvLog
}
