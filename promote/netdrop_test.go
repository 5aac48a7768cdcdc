package promote

import (
	"bytes"
	"io"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

// TestNetworkDropsMidPush: the connection to the git host drops during
// the push, before the host read it or once it had moved the branch. The
// hint blamed a branch protection rule or the token, and said nothing of
// a push that may have landed (the branch moved, the pull request not
// opened). It says that now, and a rerun ends as an uninterrupted
// promotion does.
func TestNetworkDropsMidPush(t *testing.T) {
	t.Parallel()
	for _, env := range []string{"staging", "dev"} {
		for _, landed := range []bool{false, true} {
			t.Run(env+map[bool]string{false: " lost", true: " landed"}[landed], func(t *testing.T) {
				t.Parallel()
				var drop atomic.Bool
				f := newFixtureAt(t, func(remote string) string {
					return gittest.HTTP(t, filepath.Dir(remote), func(w http.ResponseWriter, r *http.Request) bool {
						if !strings.HasSuffix(r.URL.Path, "/git-receive-pack") || !drop.Load() {
							return false
						}
						if landed {
							rec := httptest.NewRecorder()
							// Let git answer, into nothing.
							return hijackAfter(w, func() { serveGit(t, filepath.Dir(remote), rec, r) })
						}
						_, _ = io.CopyN(io.Discard, r.Body, 100)
						return hijackAfter(w, func() {})
					}) + "/" + filepath.Base(remote)
				})
				var log bytes.Buffer
				drop.Store(true)
				_, err := promote(t, f, f.opts(t, env, &log))
				drop.Store(false)
				if err == nil || !strings.Contains(err.Error(), "the remote end hung up") || !strings.Contains(err.Error(), "may or may not have moved; run kiln again") || strings.Contains(err.Error(), "protection") {
					t.Errorf("with the connection dropped: %v, want git's words and that the push may have landed, not the rules or the token", err)
				}
				res, err := promote(t, f, f.opts(t, env, &log))
				if err != nil {
					t.Fatalf("the rerun: %v\n%s", err, log.String())
				}
				branch := map[string]string{"dev": "main", "staging": "kiln/staging"}[env]
				if files := gittest.Files(t, f.remote, branch); files["clusters/"+env+"/kiln.lock.json"] == "" || files["README.md"] != "manifests\n" {
					t.Errorf("%s after the rerun holds %d files", branch, len(files))
				}
				if env == "staging" && (f.gh.count() != 1 || f.gh.pr(1).Body != res.Body || res.Commit != gittest.Git(t, f.remote, "rev-parse", branch)) {
					t.Errorf("%d pull requests after the rerun, result %+v", f.gh.count(), res)
				}
			})
		}
	}
}

func hijackAfter(w http.ResponseWriter, before func()) bool {
	before()
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		conn.Close()
	}
	return true
}

// serveGit answers r as gittest.HTTP's git does, into w.
func serveGit(t *testing.T, root string, w http.ResponseWriter, r *http.Request) {
	gitPath, err := exec.LookPath("git")
	if err != nil {
		t.Fatal(err)
	}
	(&cgi.Handler{Path: gitPath, Args: []string{"http-backend"}, Stderr: io.Discard,
		Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1", "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=" + os.DevNull,
			"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=http.receivepack", "GIT_CONFIG_VALUE_0=true"}}).ServeHTTP(w, r)
}
