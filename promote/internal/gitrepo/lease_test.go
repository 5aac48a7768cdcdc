package gitrepo_test

import (
	"cmp"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/promote/internal/gitrepo"
	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

// TestPushLease: a lease on the commit the branch was fetched at replaces
// the branch only while it is still there; "" leases a branch that does
// not exist. Head reads where the branch is now.
func TestPushLease(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	remote := gittest.Bare(t)
	gittest.Commit(t, remote, "main", map[string]string{"a": "a\n"}, "base")
	r := clone(t, remote, gitrepo.Options{})
	if _, err := r.Fetch(ctx, "main"); err != nil {
		t.Fatal(err)
	}
	commit := func(content string) string {
		t.Helper()
		return commitOn(t, r, "kiln/dev", "refs/remotes/origin/main", content)
	}
	head := func() string {
		t.Helper()
		h, err := r.Head(ctx, "kiln/dev")
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	if h := head(); h != "" {
		t.Fatalf("Head of a missing branch = %q", h)
	}
	first := commit("1")
	if err := r.PushLease(ctx, "kiln/dev", ""); err != nil {
		t.Fatalf("lease on a missing branch: %v", err)
	}
	if h := head(); h != first {
		t.Fatalf("Head = %s, want %s", h, first)
	}
	// The branch exists now: a lease on its absence fails.
	second := commit("2")
	if err := r.PushLease(ctx, "kiln/dev", ""); !errors.Is(err, gitrepo.ErrNonFastForward) {
		t.Fatalf("lease on a missing branch that exists: %v", err)
	}
	if err := r.PushLease(ctx, "kiln/dev", first); err != nil {
		t.Fatalf("lease on the commit seen: %v", err)
	}
	// Another run replaces the branch; our lease on second fails and the
	// branch keeps the other run's commit.
	other := gittest.Update(t, remote, "kiln/dev", map[string]string{"dev/f": "other\n"}, nil, "other run")
	commit("3")
	if err := r.PushLease(ctx, "kiln/dev", second); !errors.Is(err, gitrepo.ErrNonFastForward) {
		t.Fatalf("lease on a commit no longer there: %v", err)
	}
	if h := head(); h != other {
		t.Errorf("Head = %s, want the other run's %s", h, other)
	}
}

// TestPushRefusedByTheRemote: a push the remote refuses for a reason of
// its own is not taken for a branch that moved on, whatever its hook says
// ("non-fast-forward" included), nor is a force push that a remote's
// receive.denyNonFastForwards (git init --shared) refuses, nor one a
// stale lock in the remote fails: the callers would tell of another
// promotion, and send people to run again a push that fails the same way
// every time. The error keeps the hook's words and the remote's reason.
func TestPushRefusedByTheRemote(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name, hook string
		deny, lock bool
		says       []string
	}{
		{name: "GitHub's protected branch", hook: "echo 'error: GH006: Protected branch update failed for refs/heads/kiln/dev.' >&2; echo 'error: Cannot force-push to this branch' >&2",
			says: []string{"GH006: Protected branch update failed", "(pre-receive hook declined)"}},
		{name: "a hook that says non-fast-forward", hook: "echo 'non-fast-forward updates are not allowed here' >&2; echo 'remote rejected, cannot lock ref' >&2; echo >&2",
			says: []string{"non-fast-forward updates are not allowed here", "(pre-receive hook declined)"}},
		{name: "receive.denyNonFastForwards", deny: true, says: []string{"denying non-fast-forward", "(non-fast-forward)"}},
		// A git of the remote's that crashed while it updated the branch.
		{name: "a stale lock", lock: true, says: []string{"Unable to create", "kiln/dev.lock': File exists", "remove the file manually", "(failed to update ref)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			remote := gittest.Bare(t)
			gittest.Commit(t, remote, "main", map[string]string{"a": "a\n"}, "base")
			gittest.Git(t, remote, "branch", "kiln/dev", "main")
			old := gittest.Update(t, remote, "kiln/dev", map[string]string{"dev/f": "old\n"}, nil, "old")
			if tc.hook != "" {
				if err := os.WriteFile(filepath.Join(remote, "hooks", "pre-receive"), []byte("#!/bin/sh\n"+tc.hook+"\nexit 1\n"), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if tc.lock {
				if err := os.WriteFile(filepath.Join(remote, "refs", "heads", "kiln", "dev.lock"), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if tc.deny {
				gittest.Git(t, remote, "config", "receive.denyNonFastForwards", "true")
			}
			r := clone(t, remote, gitrepo.Options{})
			if _, err := r.Fetch(ctx, "main", "kiln/dev"); err != nil {
				t.Fatal(err)
			}
			commitOn(t, r, "kiln/dev", "refs/remotes/origin/main", "new\n")
			pushes := map[string]func() error{"lease": func() error { return r.PushLease(ctx, "kiln/dev", old) }}
			if tc.hook != "" {
				// On top of the branch, so that only the hook refuses it.
				pushes["fast-forward"] = func() error {
					commitOn(t, r, "kiln/dev", "refs/remotes/origin/kiln/dev", "newer\n")
					return r.Push(ctx, "kiln/dev", false)
				}
			}
			for name, push := range pushes {
				err := push()
				if err == nil || errors.Is(err, gitrepo.ErrNonFastForward) {
					t.Errorf("%s: %v, want the remote's refusal, not a branch that moved on", name, err)
					continue
				}
				for _, s := range tc.says {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("%s: %v, want it to say %q", name, err, s)
					}
				}
			}
			if h := gittest.Git(t, remote, "rev-parse", "kiln/dev"); h != old {
				t.Errorf("kiln/dev moved to %s", h)
			}
		})
	}
}

// TestPushLeaseRaceAtTheRemote: the branch moves after the remote told
// git where it was and before the remote updates it (here by its own
// pre-receive hook, as another push would). The remote's "failed to
// update ref" then says "but expected": the branch moved on, as a
// refusal of git's own check would say.
func TestPushLeaseRaceAtTheRemote(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	remote := gittest.Bare(t)
	gittest.Commit(t, remote, "main", map[string]string{"a": "a\n"}, "base")
	gittest.Git(t, remote, "branch", "kiln/dev", "main")
	old := gittest.Update(t, remote, "kiln/dev", map[string]string{"dev/f": "old\n"}, nil, "old")
	other := gittest.Update(t, remote, "kiln/dev", map[string]string{"dev/f": "other\n"}, nil, "other")
	gittest.Git(t, remote, "update-ref", "refs/heads/kiln/dev", old)
	hook := "#!/bin/sh\nunset GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES\ngit update-ref refs/heads/kiln/dev " + other + "\n"
	if err := os.WriteFile(filepath.Join(remote, "hooks", "pre-receive"), []byte(hook), 0o755); err != nil {
		t.Fatal(err)
	}
	r := clone(t, remote, gitrepo.Options{})
	if _, err := r.Fetch(ctx, "main", "kiln/dev"); err != nil {
		t.Fatal(err)
	}
	commitOn(t, r, "kiln/dev", "refs/remotes/origin/main", "new\n")
	if err := r.PushLease(ctx, "kiln/dev", old); !errors.Is(err, gitrepo.ErrNonFastForward) {
		t.Errorf("lease on a branch that moved at the remote: %v, want ErrNonFastForward", err)
	}
	if h := gittest.Git(t, remote, "rev-parse", "kiln/dev"); h != other {
		t.Errorf("kiln/dev at %s, want the other push's %s", h, other)
	}
}

// TestPushRaceInEachGitsWords: the remote refuses a push because the
// branch moved between its advertisement and its update, in the words of
// each git host: git 2.39's receive-pack ("failed to update ref", the
// detail on a "remote: error:" line), git 2.51's (batched updates report
// only the kind: "incorrect old value provided", "reference does not
// exist" for a branch deleted meanwhile, as a merged pull request's
// kiln/<env> is, "reference already exists"), a host that puts the
// detail in the reason (GitHub). Each is the branch moving on. A hook's
// words are not, whatever they say ("but expected" included): only the
// update's own failure reads the remote's lines. Nor is a lock file
// taken, whichever way a git reports it: ErrRefLocked. A report that
// ends before the ref's status is no answer: the push may have landed.
func TestPushRaceInEachGitsWords(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const (
		x = "1111111111111111111111111111111111111111"
		y = "2222222222222222222222222222222222222222"
	)
	for _, tc := range []struct {
		name, reason, stderr string
		moved, locked        bool
		// status replaces "[remote rejected] (reason)" as the ref's.
		status   string
		noAnswer bool
	}{
		{name: "git 2.39, moved", reason: "failed to update ref", stderr: "remote: error: cannot lock ref 'refs/heads/kiln/dev': is at " + x + " but expected " + y, moved: true},
		{name: "git 2.39, deleted", reason: "failed to update ref", stderr: "remote: error: cannot lock ref 'refs/heads/kiln/dev': reference is missing but expected " + y, moved: true},
		{name: "git 2.39, created", reason: "failed to update ref", stderr: "remote: error: cannot lock ref 'refs/heads/kiln/dev': reference already exists", moved: true},
		{name: "git 2.51, moved", reason: "incorrect old value provided", moved: true},
		{name: "git 2.51, deleted", reason: "reference does not exist", moved: true},
		{name: "git 2.51, created", reason: "reference already exists", moved: true},
		{name: "GitHub", reason: "cannot lock ref 'refs/heads/kiln/dev': is at " + x + " but expected " + y, moved: true},
		// A stale lock, or another push's held at that moment.
		{name: "a lock, git 2.39", reason: "failed to update ref", stderr: "remote: error: cannot lock ref 'refs/heads/kiln/dev': Unable to create '/srv/m.git/refs/heads/kiln/dev.lock': File exists.", locked: true},
		{name: "a lock, in the reason", reason: "cannot lock ref 'refs/heads/kiln/dev': Unable to create '/data/m.git/refs/heads/kiln/dev.lock': File exists.", locked: true},
		{name: "a lock, newer git", reason: "reference already exists", stderr: "remote: error: cannot lock ref 'refs/heads/kiln/dev': Unable to create '/srv/m.git/refs/heads/kiln/dev.lock': File exists.", locked: true},
		{name: "a hook saying but expected", reason: "pre-receive hook declined", stderr: "remote: error: cannot lock ref 'refs/heads/kiln/dev': is at " + x + " but expected " + y},
		{name: "a hook saying a lock", reason: "pre-receive hook declined", stderr: "remote: error: cannot lock ref 'refs/heads/kiln/dev': Unable to create '/srv/m.git/refs/heads/kiln/dev.lock': File exists."},
		{name: "a hook saying already exists", reason: "pre-receive hook declined", stderr: "remote: kiln/dev: reference already exists in the archive, ask #platform"},
		// The remote's report ended before the ref's status.
		{name: "no status of the ref", status: "[remote failure] (remote failed to report status)", noAnswer: true},
		{name: "a branch in the way", reason: "failed to update ref", stderr: "remote: error: cannot lock ref 'refs/heads/kiln/dev': 'refs/heads/kiln' exists; cannot create 'refs/heads/kiln/dev'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			status := cmp.Or(tc.status, "[remote rejected] ("+tc.reason+")")
			report := "To /srv/m.git\n!\trefs/heads/kiln/dev:refs/heads/kiln/dev\t" + status + "\nDone\n"
			stderr := tc.stderr + "\nerror: failed to push some refs to '/srv/m.git'\n"
			for name, data := range map[string]string{"out": report, "err": stderr} {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			gitPath, err := exec.LookPath("git")
			if err != nil {
				t.Fatal(err)
			}
			// git, whose push the remote answers as tc says.
			wrapper := filepath.Join(dir, "git")
			script := "#!/bin/sh\nif [ \"$1\" = push ]; then cat '" + dir + "/out'; cat '" + dir + "/err' >&2; exit 1; fi\nexec '" + gitPath + "' \"$@\"\n"
			if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
			remote := gittest.Bare(t)
			gittest.Commit(t, remote, "main", map[string]string{"a": "a\n"}, "base")
			r := clone(t, remote, gitrepo.Options{Git: wrapper})
			for name, push := range map[string]func() error{
				"lease":        func() error { return r.PushLease(ctx, "kiln/dev", y) },
				"force":        func() error { return r.Push(ctx, "kiln/dev", true) },
				"fast-forward": func() error { return r.Push(ctx, "kiln/dev", false) },
			} {
				err := push()
				if got := errors.Is(err, gitrepo.ErrNonFastForward); got != tc.moved {
					t.Errorf("%s: %v; moved on = %v, want %v", name, err, got, tc.moved)
				}
				if got := errors.Is(err, gitrepo.ErrRefLocked); got != tc.locked {
					t.Errorf("%s: %v; locked = %v, want %v", name, err, got, tc.locked)
				}
				if got := errors.Is(err, gitrepo.ErrNoAnswer); got != tc.noAnswer {
					t.Errorf("%s: %v; no answer = %v, want %v", name, err, got, tc.noAnswer)
				}
				if !tc.moved && tc.status == "" && (err == nil || !strings.Contains(err.Error(), "("+tc.reason+")")) {
					t.Errorf("%s: %v, want the remote's reason", name, err)
				}
			}
		})
	}
}

// TestGitSpeaksCWhateverTheLocale: kiln reads git's words (a repository
// that is not there, a branch that moved on, a connection that failed),
// which a git with its translations installed says in the user's language
// (LANGUAGE=de: "Schwerwiegend: … does not appear to be a git
// repository"). git runs in the C locale whatever the environment says.
// (Where git's German is not installed, this proves nothing.)
func TestGitSpeaksCWhateverTheLocale(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := append(gittest.Env(), "LANGUAGE=de", "LANG=de_DE.UTF-8", "LC_ALL=C.UTF-8", "LC_MESSAGES=de_DE.UTF-8")
	missing := clone(t, filepath.Join(t.TempDir(), "missing.git"), gitrepo.Options{Env: env})
	if _, err := missing.Fetch(ctx, "main"); !errors.Is(err, gitrepo.ErrNoRepository) || strings.Contains(err.Error(), "Schwerwiegend") {
		t.Errorf("fetch from a missing repository: %v, want ErrNoRepository in git's English", err)
	}
	remote := gittest.Bare(t)
	gittest.Commit(t, remote, "main", map[string]string{"a": "a\n"}, "base")
	r := clone(t, remote, gitrepo.Options{Env: env})
	if _, err := r.Fetch(ctx, "main"); err != nil {
		t.Fatal(err)
	}
	commitOn(t, r, "main", "refs/remotes/origin/main", "new\n")
	gittest.Update(t, remote, "main", map[string]string{"b": "other\n"}, nil, "another push")
	if err := r.Push(ctx, "main", false); !errors.Is(err, gitrepo.ErrNonFastForward) {
		t.Errorf("push to a branch that moved on: %v, want ErrNonFastForward", err)
	}
}

// commitOn commits content as dev/f on branch checked out at from, as a
// promotion does, and returns the commit.
func commitOn(t *testing.T, r *gitrepo.Repo, branch, from, content string) string {
	t.Helper()
	ctx := context.Background()
	if err := r.Checkout(ctx, branch, from); err != nil {
		t.Fatal(err)
	}
	if err := r.ReplaceDir(ctx, "dev", map[string][]byte{"f": []byte(content)}); err != nil {
		t.Fatal(err)
	}
	c, err := r.Commit(ctx, "c "+content)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
