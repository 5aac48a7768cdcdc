//go:build unix

package promote

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

// TestInterruptOncePushedFinishes: an interrupt (the CLI cancels the
// context on SIGINT or SIGTERM) that arrives once the push has begun
// stops nothing. The remote moves the branch before git hears back, so a
// git push killed then had landed all the same: kiln reported an
// interrupted run (exit 130) for a manifests branch that Flux was about to
// apply, and in pr mode left the env's pull request unopened, or holding
// the new commit under the earlier release's title and body. The push,
// the pull request and the run now finish.
func TestInterruptOncePushedFinishes(t *testing.T) {
	t.Parallel()
	// duringPush cancels when the remote has updated the branch and is
	// running its post-receive hook, which git push waits for: the
	// moment a Ctrl-C loses the race with the remote.
	duringPush := func(t *testing.T, f *fixture, cancel context.CancelFunc) {
		dir := t.TempDir()
		pushed, resume := filepath.Join(dir, "pushed"), filepath.Join(dir, "resume")
		for _, p := range []string{pushed, resume} {
			if err := syscall.Mkfifo(p, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		hook := "#!/bin/sh\necho pushed > '" + pushed + "'\nread _ < '" + resume + "'\n"
		if err := os.WriteFile(filepath.Join(f.remote, "hooks", "post-receive"), []byte(hook), 0o755); err != nil {
			t.Fatal(err)
		}
		go func() {
			// Opening a FIFO waits for the other end: the hook's.
			if _, err := os.ReadFile(pushed); err != nil {
				t.Error(err)
			}
			cancel()
			if err := os.WriteFile(resume, []byte("go\n"), 0o600); err != nil {
				t.Error(err)
			}
		}()
	}
	for _, tc := range []struct {
		name, env, branch string
		at                func(t *testing.T, f *fixture, cancel context.CancelFunc, opts *Options)
	}{
		{"push mode, during the push", "dev", "main", func(t *testing.T, f *fixture, cancel context.CancelFunc, _ *Options) {
			duringPush(t, f, cancel)
		}},
		{"pr mode, during the push", "staging", "kiln/staging", func(t *testing.T, f *fixture, cancel context.CancelFunc, _ *Options) {
			duringPush(t, f, cancel)
		}},
		{"pr mode, between the push and the pull request", "staging", "kiln/staging", func(t *testing.T, f *fixture, cancel context.CancelFunc, opts *Options) {
			opts.hook = func(_ context.Context, step string) error {
				if step == stepPushed {
					cancel()
				}
				return nil
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			var log bytes.Buffer
			opts := f.opts(t, tc.env, &log)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			tc.at(t, f, cancel, &opts)
			res, err := Promote(ctx, f.pipeline(t), opts)
			if ctx.Err() == nil {
				t.Fatal("the test never interrupted the promotion")
			}
			if err != nil {
				t.Fatalf("interrupted once the push began: %v\n%s", err, log.String())
			}
			remote := gittest.Git(t, f.remote, "rev-parse", tc.branch)
			if res.Commit != remote {
				t.Errorf("result commit %q, but %s is at %s", res.Commit, tc.branch, remote)
			}
			if tc.env == "staging" {
				prs := f.gh.count()
				if prs != 1 || f.gh.pr(1).Body != res.Body || res.Body == "" {
					t.Errorf("%d pull requests, want one whose body is this promotion's", prs)
				}
			}
		})
	}
}
