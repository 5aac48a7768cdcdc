package gitrepo_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/promote/internal/gitrepo"
	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

// TestFetchRef resolves what --against GIT-URL#REF may name, on a real
// repository: branches, tags, full and abbreviated commits, HEAD, and
// the refs that name nothing or more than one commit.
func TestFetchRef(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	remote := gittest.Bare(t)
	// 1000 commits: enough for two to share their first 4 digits (the
	// birthday bound of 65536 prefixes), the same two on every run.
	commits := gittest.History(t, remote, "main", 1000)
	old, tip := commits[10], commits[len(commits)-1]
	other := gittest.Commit(t, remote, "feature", map[string]string{"g": "g\n"}, "feature")
	gittest.Git(t, remote, "tag", "v1", old)
	gittest.Git(t, remote, "tag", "-a", "-m", "annotated", "v2", commits[20])
	prefix, pair := gittest.SharedPrefix(t, commits)
	gittest.Git(t, remote, "branch", commits[30], commits[31])
	gittest.Git(t, remote, "branch", "release", commits[40])
	gittest.Git(t, remote, "tag", "-a", "-m", "annotated", "release", commits[41])
	gittest.Git(t, remote, "branch", "same", commits[42])
	gittest.Git(t, remote, "tag", "-a", "-m", "annotated", "same", commits[42])

	for _, tc := range []struct {
		name, ref, want string
		wantErr         error
	}{
		{name: "branch", ref: "main", want: tip},
		{name: "other branch", ref: "feature", want: other},
		{name: "full branch ref", ref: "refs/heads/feature", want: other},
		{name: "HEAD", ref: "HEAD", want: tip},
		{name: "lightweight tag", ref: "v1", want: old},
		{name: "annotated tag, peeled", ref: "v2", want: commits[20]},
		{name: "full commit", ref: old, want: old},
		{name: "full commit in capitals", ref: strings.ToUpper(old), want: old},
		{name: "7-digit commit", ref: old[:7], want: old},
		{name: "commit of another branch", ref: other[:8], want: other},
		{name: "unknown branch", ref: "nosuch", wantErr: gitrepo.ErrUnknownRef},
		{name: "unknown full commit", ref: strings.Repeat("0", 40), wantErr: gitrepo.ErrUnknownRef},
		{name: "unknown short commit", ref: "0000000", wantErr: gitrepo.ErrUnknownRef},
		{name: "ambiguous short commit", ref: prefix, wantErr: gitrepo.ErrAmbiguousRef},
		// Whoever may push a branch or a tag may name it after another
		// ref or a commit: a full hash is that commit, as git takes it,
		// and a tag beside a branch of its name is not chosen silently.
		{name: "full commit that a branch is named after", ref: commits[30], want: commits[30]},
		{name: "tag and branch of one name", ref: "release", wantErr: gitrepo.ErrAmbiguousRef},
		{name: "the branch of the two, by full name", ref: "refs/heads/release", want: commits[40]},
		{name: "the tag of the two, by full name", ref: "refs/tags/release", want: commits[41]},
		{name: "tag and branch of one commit", ref: "same", want: commits[42]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := clone(t, remote, gitrepo.Options{})
			got, err := r.FetchRef(ctx, tc.ref)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("FetchRef(%q) = %q, %v; want %v", tc.ref, got, err, tc.wantErr)
				}
				var re *gitrepo.RefError
				if !errors.As(err, &re) || re.Remote != remote || re.Ref != tc.ref {
					t.Errorf("error %v does not name the ref and the remote", err)
				}
				if tc.wantErr == gitrepo.ErrAmbiguousRef && tc.ref == "release" {
					for _, s := range []string{"the tag refs/tags/release (" + commits[41] + ")", "the branch refs/heads/release (" + commits[40] + ")"} {
						if !strings.Contains(err.Error(), s) {
							t.Errorf("error %q does not name %s", err, s)
						}
					}
					return
				}
				if tc.wantErr == gitrepo.ErrAmbiguousRef {
					if d := cmp.Diff(pair, re.Candidates); d != "" {
						t.Errorf("candidates (-want +got):\n%s", d)
					}
					if !strings.Contains(err.Error(), pair[0]) || !strings.Contains(err.Error(), pair[1]) {
						t.Errorf("error %q does not list the candidates", err)
					}
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("FetchRef(%q) = %q, %v; want %q", tc.ref, got, err, tc.want)
			}
			// The commit's tree is there to read.
			if _, err := r.Tree(ctx, got, ""); err != nil {
				t.Errorf("Tree(%s): %v", got, err)
			}
		})
	}

	t.Run("not a ref", func(t *testing.T) {
		t.Parallel()
		r := clone(t, remote, gitrepo.Options{})
		for _, ref := range []string{"", "-x", "main:other", "a b"} {
			if _, err := r.FetchRef(ctx, ref); !errors.Is(err, gitrepo.ErrMalformedRef) {
				t.Errorf("FetchRef(%q) = %v, want a malformed-ref error", ref, err)
			}
		}
	})
}

// TestFetchRefOfEmptyRemote: a repository with no commit has no ref; what
// is asked for is unknown, not a git failure.
func TestFetchRefOfEmptyRemote(t *testing.T) {
	t.Parallel()
	remote := gittest.Bare(t)
	for _, ref := range []string{"main", strings.Repeat("a", 40), "abcd"} {
		r := clone(t, remote, gitrepo.Options{})
		if _, err := r.FetchRef(context.Background(), ref); !errors.Is(err, gitrepo.ErrUnknownRef) {
			t.Errorf("FetchRef(%q) of an empty remote = %v, want ErrUnknownRef", ref, err)
		}
	}
}
