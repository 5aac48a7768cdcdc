//go:build unix

package promote

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

// TestVerifyCanceledCheckoutLeavesNothing: a verify interrupted while git
// checks the source commit out (here, a smudge filter of the repository's
// own config that waits) leaves nothing in the code repository nor in the
// work dir.
func TestVerifyCanceledCheckoutLeavesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	commit := f.commitCode(t, map[string]string{".gitattributes": "*.slow filter=wait\n", "a.slow": "a\n"}, "a filtered file")
	dir := t.TempDir()
	started, resume := filepath.Join(dir, "started"), filepath.Join(dir, "resume")
	for _, p := range []string{started, resume} {
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// Its stderr given up, so that only git holds the pipes kiln waits on.
	gittest.Git(t, f.code, "config", "filter.wait.smudge", "exec 2>/dev/null; echo started > '"+started+"'; read _ < '"+resume+"'; cat")
	before := gittest.Listing(t, f.code, true)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	filtering := make(chan struct{})
	go func() {
		// Opening a FIFO waits for the other end: the filter's.
		if _, err := os.ReadFile(started); err != nil {
			t.Error(err)
		}
		close(filtering)
		cancel()
	}()
	workDir := t.TempDir()
	_, _, err := checkout(ctx, f.code, commit, workDir, gittest.Env(), &bytes.Buffer{})
	select {
	case <-filtering:
		// git is gone; the filter it started waits on.
		if err := os.WriteFile(resume, []byte("go\n"), 0o600); err != nil {
			t.Error(err)
		}
	default:
		t.Fatalf("the checkout ended before git ran the filter: %v", err)
	}
	if err == nil {
		t.Fatal("the checkout ended before its context did")
	}
	if diff := cmp.Diff(before, gittest.Listing(t, f.code, true)); diff != "" {
		t.Errorf("the code repository changed (-before +after):\n%s", diff)
	}
	if entries, _ := os.ReadDir(workDir); len(entries) != 0 {
		t.Errorf("the work dir holds %v, want nothing", entries)
	}
}
