package gitrepo_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/promote/internal/gitrepo"
	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

// userEnv is gittest.Env with the user's own git configuration in the file
// global (GIT_CONFIG_GLOBAL, as HOME/.gitconfig would be), plus extra, and
// ssh disabled, so that a remote git does not rewrite fails at once.
func userEnv(t *testing.T, global string, extra ...string) []string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "gitconfig")
	if err := os.WriteFile(p, []byte(global), 0o644); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range gittest.Env() {
		if !strings.HasPrefix(kv, "GIT_CONFIG_GLOBAL=") {
			env = append(env, kv)
		}
	}
	return append(append(env, "GIT_CONFIG_GLOBAL="+p, "GIT_SSH_COMMAND=false"), extra...)
}

// TestUserConfig: with UserConfig and no token, the user's url.insteadOf
// rules apply, from the global file and from GIT_CONFIG_COUNT entries;
// with a token, or without UserConfig, they do not, and the alias is taken
// for the ssh host it looks like.
func TestUserConfig(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	remote := filepath.Join(dir, "m.git")
	gittest.Git(t, dir, "init", "-q", "--bare", "--initial-branch=main", remote)
	gittest.Commit(t, remote, "main", map[string]string{"clusters/dev/a.yaml": "a\n"}, "seed")
	global := "[url \"file://" + dir + "/\"]\n\tinsteadOf = kiln-test:\n"
	env := userEnv(t, global,
		"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=url.file://"+dir+"/.insteadOf", "GIT_CONFIG_VALUE_0=from-env:")

	for _, tc := range []struct {
		name, remote string
		opts         gitrepo.Options
		ok           bool
	}{
		{name: "global file", remote: "kiln-test:m.git", opts: gitrepo.Options{UserConfig: true}, ok: true},
		{name: "GIT_CONFIG_COUNT", remote: "from-env:m.git", opts: gitrepo.Options{UserConfig: true}, ok: true},
		{name: "isolated", remote: "kiln-test:m.git", opts: gitrepo.Options{}},
		{name: "with a token", remote: "kiln-test:m.git", opts: gitrepo.Options{UserConfig: true, Token: "t0ken-value"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.opts.Env = env
			r := clone(t, tc.remote, tc.opts)
			commit, err := r.FetchRef(ctx, "main")
			if !tc.ok {
				if err == nil {
					t.Fatalf("FetchRef through %s worked; the user's insteadOf applied", tc.remote)
				}
				t.Logf("error: %v", err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			files, err := r.Tree(ctx, commit, "clusters/dev")
			if err != nil || string(files["a.yaml"]) != "a\n" {
				t.Errorf("Tree = %q, %v", files, err)
			}
		})
	}
}

// TestUserCredentialHelper: a private HTTP remote answers to the password
// the user's credential helper gives, with UserConfig and no token; kiln's
// isolated git never asks the helper.
func TestUserCredentialHelper(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srvURL, _ := gitHTTPServer(t, func(r *http.Request) bool {
		u, p, ok := r.BasicAuth()
		return ok && u == "alice" && p == "from-the-helper"
	})
	global := "[credential]\n\thelper = \"!f() { test \\\"$1\\\" = get && printf 'username=alice\\\\npassword=from-the-helper\\\\n'; }; f\"\n"
	env := userEnv(t, global)

	user := clone(t, srvURL+"/m.git", gitrepo.Options{UserConfig: true, Env: env})
	if _, err := user.FetchRef(ctx, "main"); err != nil {
		t.Fatalf("with the user's credential helper: %v", err)
	}
	isolated := clone(t, srvURL+"/m.git", gitrepo.Options{Env: env})
	_, err := isolated.FetchRef(ctx, "main")
	if err == nil {
		t.Fatal("isolated git fetched a private repository: the helper was asked")
	}
	t.Logf("error: %v", err)
	if strings.Contains(err.Error(), "from-the-helper") {
		t.Errorf("the error shows the helper's password: %v", err)
	}
}

// TestUserRemoteOrigin: a remote the user's own configuration calls origin
// (remote.origin.url and fetch, in the global file or in GIT_CONFIG_COUNT
// entries) is not the manifests repository: with UserConfig, kiln fetches
// from and pushes to the repository it was given, and only to it.
func TestUserRemoteOrigin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// Each case its own repositories: both push kiln/dev, and in one
	// repository the second push found the branch the first had made
	// ("the remote branch kiln/dev moved on").
	repos := func(t *testing.T) (want, other, tip, decoy string) {
		t.Helper()
		dir := t.TempDir()
		want, other = filepath.Join(dir, "m.git"), filepath.Join(dir, "other.git")
		for _, b := range []string{want, other} {
			gittest.Git(t, dir, "init", "-q", "--bare", "--initial-branch=main", b)
		}
		tip = gittest.Commit(t, want, "main", map[string]string{"a": "kiln's\n"}, "kiln's")
		decoy = gittest.Commit(t, other, "main", map[string]string{"a": "other\n"}, "other")
		return want, other, tip, decoy
	}
	for name, env := range map[string]func(t *testing.T, other string) []string{
		"global file": func(t *testing.T, other string) []string {
			return userEnv(t, "[remote \"origin\"]\n\turl = "+other+"\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n")
		},
		"GIT_CONFIG_COUNT": func(t *testing.T, other string) []string {
			return userEnv(t, "", "GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=remote.origin.url", "GIT_CONFIG_VALUE_0="+other)
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			want, other, tip, decoy := repos(t)
			r := clone(t, want, gitrepo.Options{UserConfig: true, Env: env(t, other)})
			got, err := r.Fetch(ctx, "main")
			if err != nil || got["main"] != tip {
				t.Fatalf("Fetch = %v, %v; want main at %s (not the user's origin's %s)", got, err, tip, decoy)
			}
			if err := r.Checkout(ctx, "kiln/dev", "refs/remotes/origin/main"); err != nil {
				t.Fatal(err)
			}
			if err := r.Push(ctx, "kiln/dev", false); err != nil {
				t.Fatal(err)
			}
			if c := gittest.Tip(t, want, "refs/heads/kiln/dev"); c != tip {
				t.Errorf("kiln/dev of the manifests repository at %q, want %s", c, tip)
			}
			if c := gittest.Tip(t, other, "refs/heads/kiln/dev"); c != "" {
				t.Errorf("the user's origin got kiln/dev at %s", c)
			}
		})
	}
}
