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

	"github.com/kiln-gitops/kiln/promote/internal/ghfake"
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

// TestLandedPushThatChainsSaysSo: a push mode push that changes no app's
// objects (a new flux.interval) is one whose next stage kiln starts
// itself (repository_dispatch), Flux sending no event. When its
// connection drops once the remote moved the branch, the run fails before
// that, and a rerun finds nothing left to promote and sends nothing
// (TestNoOpPromotionChains): the next stage never started, and the error
// said a rerun was all it took. It says now that the dispatch must then
// be sent by hand.
func TestLandedPushThatChainsSaysSo(t *testing.T) {
	t.Parallel()
	var drop atomic.Bool
	var url string
	f := newFixtureAt(t, func(remote string) string {
		url = gittest.HTTP(t, filepath.Dir(remote), func(w http.ResponseWriter, r *http.Request) bool {
			if !strings.HasSuffix(r.URL.Path, "/git-receive-pack") || !drop.Load() {
				return false
			}
			rec := httptest.NewRecorder()
			return hijackAfter(w, func() { serveGit(t, filepath.Dir(remote), rec, r) })
		}) + "/" + filepath.Base(remote)
		return url
	})
	cfg := strings.Replace(project(url)["kiln.yaml"], "  commitStatus: true\n", "  commitStatus: true\n  dispatch: acme/shop\n", 1)
	f.commitCode(t, map[string]string{"kiln.yaml": cfg}, "notifications")
	api := ghfake.New(t, testToken)
	var log bytes.Buffer
	opts := func() Options {
		o := f.opts(t, "dev", &log)
		o.GitHub, o.GitHubAPI = nil, api.URL()
		return o
	}
	if _, err := promote(t, f, opts()); err != nil {
		t.Fatalf("first promotion: %v\n%s", err, log.String())
	}
	cfg = strings.Replace(cfg, "notifications:\n", "flux:\n  interval: 5m\nnotifications:\n", 1)
	f.commitCode(t, map[string]string{"kiln.yaml": cfg}, "flux interval")
	drop.Store(true)
	_, err := promote(t, f, opts())
	drop.Store(false)
	if err == nil || !strings.Contains(err.Error(), "may or may not have moved") ||
		!strings.Contains(err.Error(), "sends no kiln-promoted repository_dispatch to acme/shop") || !strings.Contains(err.Error(), "send it by hand") {
		t.Fatalf("with the connection dropped once the push landed: %v, want that the dispatch must then be sent by hand", err)
	}
	// What the error says of the rerun.
	res, err := promote(t, f, opts())
	if err != nil || res.Changed || res.Dispatched || len(api.Dispatches("acme", "shop")) != 0 {
		t.Errorf("the rerun: %+v, %v, %v", res, err, api.Dispatches("acme", "shop"))
	}
}
