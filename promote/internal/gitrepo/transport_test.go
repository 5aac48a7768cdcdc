package gitrepo_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/kiln-gitops/kiln/promote/internal/gitrepo"
	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

// TestNoCommandTransports: a remote names a repository to read, never a
// command to run. manifests.repo comes from kiln.yaml, which a pull request
// may change, and git's ext:: and fd:: transports run or connect what the
// URL says; git refuses them by default, but a user's configuration
// (protocol.allow always, which kiln diff outside CI lets apply) must not
// turn them on for kiln.
func TestNoCommandTransports(t *testing.T) {
	t.Parallel()
	marker := filepath.Join(t.TempDir(), "ran")
	env := append(gittest.Env(), "GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=protocol.allow", "GIT_CONFIG_VALUE_0=always")
	r := clone(t, "ext::sh -c touch% "+marker, gitrepo.Options{Env: env, UserConfig: true})
	if _, err := r.FetchRef(context.Background(), "main"); err == nil {
		t.Error("FetchRef through ext:: succeeded")
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("git ran the command an ext:: remote names")
	}
}
