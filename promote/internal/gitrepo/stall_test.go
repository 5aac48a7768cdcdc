package gitrepo_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kiln-gitops/kiln/promote/internal/gitrepo"
	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

// TestStalledPushIsGivenUp: a git host whose connection goes silent
// during the push (the network dropped it without a word) hung git, and
// kiln with it, for good: the push runs on when interrupted, since it may
// land. git now gives up a transfer that moves nothing for
// Options.StallTime, and the push's error says that the remote never
// answered (it may have taken the push). kiln's limit holds over the
// user's git configuration (docs/promote.md): one that turns git's limit
// off does not bring the hang back.
func TestStalledPushIsGivenUp(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts gitrepo.Options
	}{
		{name: "isolated"},
		{name: "the user's limit off", opts: gitrepo.Options{UserConfig: true, Env: userEnv(t, "[http]\n\tlowSpeedLimit = 0\n",
			"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=http.lowSpeedTime", "GIT_CONFIG_VALUE_0=0")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			stalledPush(t, tc.opts)
		})
	}
}

func stalledPush(t *testing.T, opts gitrepo.Options) {
	root := t.TempDir()
	remote := filepath.Join(root, "m.git")
	gittest.Git(t, root, "init", "-q", "--bare", "--initial-branch=main", remote)
	gittest.Commit(t, remote, "main", map[string]string{"a": "a\n"}, "base")
	url := gittest.HTTP(t, root, func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasSuffix(r.URL.Path, "/git-receive-pack") {
			return false
		}
		_, _ = io.Copy(io.Discard, r.Body)
		// Silent until git gives up, or long past the test's patience.
		select {
		case <-r.Context().Done():
		case <-time.After(30 * time.Second):
		}
		return true
	}) + "/m.git"
	opts.StallTime = 2 * time.Second
	r := clone(t, url, opts)
	ctx := context.Background()
	if _, err := r.Fetch(ctx, "main"); err != nil {
		t.Fatal(err)
	}
	commitOn(t, r, "main", "refs/remotes/origin/main", "new\n")
	start := time.Now()
	err := r.Push(ctx, "main", false)
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("the stalled push took %s", took)
	}
	if !errors.Is(err, gitrepo.ErrNoAnswer) {
		t.Errorf("stalled push: %v, want ErrNoAnswer", err)
	}
}
