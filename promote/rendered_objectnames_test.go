package promote

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/promote/internal/gittest"
	"github.com/kiln-gitops/kiln/render"
)

// TestRenderedNoSecretsSecretFileHoldsItsObject: a job without the env's
// secret vars cannot compare the bytes of a file that held a secret
// value (secretFiles), but it can tell which object the file holds: kiln
// names each object file after the object's kind, namespace and name. A
// Secret's file that holds a ClusterRoleBinding granting cluster-admin
// instead was not written by kiln.
func TestRenderedNoSecretsSecretFileHoldsItsObject(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	opts := f.opts(t, "dev", &bytes.Buffer{})
	out := t.TempDir()
	writeRender(t, f, opts.Render, out)
	addFile(t, filepath.Join(out, "dev", "apps/cache/secret_cache.yaml"), "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: own}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\nsubjects: [{kind: User, name: mallory}]\n")
	before := gittest.Git(t, f.remote, "rev-parse", "main")
	opts.Rendered = out
	opts.Render = render.Options{Version: "test"} // no secret vars
	_, err := promote(t, f, opts)
	if err == nil {
		got := gittest.Files(t, f.remote, "main")["clusters/dev/apps/cache/secret_cache.yaml"]
		t.Errorf("promote --rendered without the secret vars took a Secret's file holding another object:\n%s", got)
	} else if !strings.Contains(err.Error(), "the file holds ClusterRoleBinding/own, which kiln writes to apps/cache/clusterrolebinding_own.yaml") {
		t.Errorf("error = %v", err)
	} else if after := gittest.Git(t, f.remote, "rev-parse", "main"); after != before {
		t.Errorf("main moved")
	}
}
