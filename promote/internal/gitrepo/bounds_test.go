package gitrepo_test

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/limits"
	"github.com/kiln-gitops/kiln/promote/internal/gitrepo"
	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

// zeros reads as endless zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestTreeIsBounded: a file of the manifests repository that is larger
// than a rendered tree's file may be (limits.TreeFile) is refused from the
// size git lists, by Tree and by ReadFile, before its content is read: a
// blob of zeros takes a few hundred kilobytes in the repository and its
// full size in kiln's memory. The files beside it are read as before.
func TestTreeIsBounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	remote := gittest.Bare(t)
	gittest.Commit(t, remote, "main", map[string]string{"clusters/dev/kiln.lock.json": "{}\n"}, "seed")
	// The large blob, added with plumbing: no work tree holds it.
	hash := exec.Command("git", "hash-object", "-w", "--stdin")
	hash.Dir, hash.Env = remote, gittest.Env()
	hash.Stdin = io.LimitReader(zeros{}, limits.TreeFile+1)
	out, err := hash.Output()
	if err != nil {
		t.Fatal(err)
	}
	blob := strings.TrimSpace(string(out))
	index := t.TempDir() + "/index"
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir, cmd.Env = remote, append(gittest.Env(), "GIT_INDEX_FILE="+index)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("git %v: %v", args, err)
		}
		return strings.TrimSpace(string(out))
	}
	git("read-tree", "main")
	git("update-index", "--add", "--cacheinfo", "100644,"+blob+",clusters/dev/apps/web/big.yaml")
	commit := git("commit-tree", git("write-tree"), "-p", "main", "-m", "big")
	git("update-ref", "refs/heads/main", commit)

	r := clone(t, "file://"+remote, gitrepo.Options{})
	heads, err := r.Fetch(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	var le *limits.Error
	_, err = r.Tree(ctx, heads["main"], "clusters/dev")
	if !errors.As(err, &le) || !strings.Contains(err.Error(), "clusters/dev/apps/web/big.yaml") || le.Limit != limits.Bytes(limits.TreeFile) {
		t.Errorf("Tree = %v, want the file bound naming big.yaml", err)
	}
	_, err = r.ReadFile(ctx, heads["main"], "clusters/dev/apps/web/big.yaml")
	if !errors.As(err, &le) {
		t.Errorf("ReadFile = %v, want the file bound", err)
	}
	if got, err := r.ReadFile(ctx, heads["main"], "clusters/dev/kiln.lock.json"); err != nil || string(got) != "{}\n" {
		t.Errorf("ReadFile of the lock = %q, %v", got, err)
	}
	if _, err := r.ReadFile(ctx, heads["main"], "clusters/dev/missing"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadFile of a missing file = %v, want ErrNotExist", err)
	}
	if files, err := r.Tree(ctx, heads["main"], "clusters/dev/flux"); err != nil || len(files) != 0 {
		t.Errorf("Tree of a folder beside it = %v, %v", files, err)
	}
}

// TestTokenOnlyOverHTTPS: the manifests repository's URL comes from
// kiln.yaml, which a pull request may change; a token is never sent over
// plain http, but to this machine (a test's server).
func TestTokenOnlyOverHTTPS(t *testing.T) {
	t.Parallel()
	const token = "ghs_never_over_http"
	for remote, ok := range map[string]bool{
		"http://example.com/acme/manifests.git":       false,
		"http://" + token + "@example.com/acme/m.git": false,
		"https://example.com/acme/manifests.git":      true,
		"http://127.0.0.1:1/acme/manifests.git":       true,
		"http://localhost:1/acme/manifests.git":       true,
	} {
		rem, err := gitrepo.ParseRemote(remote, "/")
		if err != nil {
			t.Fatal(err)
		}
		_, err = gitrepo.Clone(context.Background(), rem, t.TempDir()+"/clone", gitrepo.Options{Token: token, Env: gittest.Env()})
		if ok != (err == nil) || (err != nil && (!strings.Contains(err.Error(), "only over https") || strings.Contains(err.Error(), token))) {
			t.Errorf("%s: Clone = %v, want allowed %v (and no token in the error)", remote, err, ok)
		}
	}
}

// TestRefusedRemoteKeepsItsQuery: a manifests.repo kiln refuses before
// git runs (plain http with a token, a URL Go cannot read) is named in
// the error without its query, where a host may take a token, as
// everywhere else kiln names a remote.
func TestRefusedRemoteKeepsItsQuery(t *testing.T) {
	t.Parallel()
	const query = "glpat-Qu3ry-R3fused"
	rem, err := gitrepo.ParseRemote("http://example.com/acme/m.git?private_token="+query, "/")
	if err != nil {
		t.Fatal(err)
	}
	_, err = gitrepo.Clone(context.Background(), rem, t.TempDir()+"/clone", gitrepo.Options{Token: "ghs_never_over_http", Env: gittest.Env()})
	if err == nil || !strings.Contains(err.Error(), "only over https") || strings.Contains(err.Error(), query) {
		t.Errorf("Clone = %v, want the refusal without the query's token", err)
	}
	_, err = gitrepo.ParseRemote("https://example.com:port/acme/m.git?private_token="+query, "/")
	if err == nil || !strings.Contains(err.Error(), "not a valid URL") || strings.Contains(err.Error(), query) {
		t.Errorf("ParseRemote = %v, want the refusal without the query's token", err)
	}
}
