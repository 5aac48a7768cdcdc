package promote

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

// TestDiffAgainstGitRefs: what --against GIT-URL#REF may name, on real
// repositories: a manifests branch that does not exist yet (in an empty
// repository or beside other branches) diffs as everything added; a
// branch, tag or commit named in #REF must exist; an abbreviated commit
// works, and one of several commits is a usage mistake.
func TestDiffAgainstGitRefs(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if _, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{})); err != nil {
		t.Fatal(err)
	}
	promoted := gittest.Git(t, f.remote, "rev-parse", "main")
	empty := gittest.Bare(t)
	noMain := gittest.Bare(t)
	gittest.Commit(t, noMain, "gh-pages", map[string]string{"index.html": "hi\n"}, "pages")
	diff := func(t *testing.T, against string) (*DiffResult, error) {
		t.Helper()
		o := f.opts(t, "dev", nil)
		return Diff(context.Background(), f.pipeline(t), DiffOptions{Env: "dev", Against: against, Render: o.Render, GitEnv: gittest.Env(), WorkDir: t.TempDir()})
	}
	everything := func(t *testing.T, res *DiffResult) {
		t.Helper()
		if !res.Changed || len(res.Changes) == 0 {
			t.Fatalf("nothing differs: %+v", res)
		}
		for _, c := range res.Changes {
			if c.Op != "added" {
				t.Errorf("%s %s, want every file added", c.Op, c.Path)
			}
		}
		if d := cmp.Diff(map[string]AppChanges{"web": {Added: 2}, "cache": {Added: 1}}, res.Apps); d != "" {
			t.Errorf("Apps (-want +got):\n%s", d)
		}
	}

	for _, tc := range []struct {
		name, against, wantAgainst string
	}{
		{name: "empty repository", against: empty, wantAgainst: empty + "#main (no such branch yet) clusters/dev"},
		{name: "empty repository, branch named", against: "file://" + empty + "#main", wantAgainst: "file://" + empty + "#main (no such branch yet) clusters/dev"},
		{name: "no manifests branch yet", against: noMain, wantAgainst: noMain + "#main (no such branch yet) clusters/dev"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := diff(t, tc.against)
			if err != nil {
				t.Fatal(err)
			}
			if res.Against != tc.wantAgainst {
				t.Errorf("Against = %q, want %q", res.Against, tc.wantAgainst)
			}
			everything(t, res)
		})
	}

	t.Run("short commit", func(t *testing.T) {
		t.Parallel()
		res, err := diff(t, f.remote+"#"+promoted[:7])
		if err != nil {
			t.Fatal(err)
		}
		if want := f.remote + "#" + promoted[:7] + " (" + promoted[:7] + ") clusters/dev"; res.Changed || res.Against != want {
			t.Errorf("diff against the promoted commit = changed %v against %q, want unchanged against %q", res.Changed, res.Against, want)
		}
	})

	for _, tc := range []struct {
		name, against, want string
	}{
		{name: "named branch missing", against: f.remote + "#release", want: `"release": no such branch, tag or commit in ` + f.remote},
		{name: "named branch of an empty repository", against: empty + "#release", want: `"release": no such branch, tag or commit`},
		{name: "unknown commit", against: f.remote + "#0123456789", want: `"0123456789": no such branch, tag or commit`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := diff(t, tc.against)
			var de *diag.Error
			if !errors.As(err, &de) || !strings.Contains(err.Error(), tc.want) || de.Hint == "" || errors.Is(err, ErrAmbiguousRef) {
				t.Errorf("error = %v, want a diag.Error with a hint saying %q", err, tc.want)
			}
		})
	}

	t.Run("tag and branch of one name", func(t *testing.T) {
		t.Parallel()
		remote := gittest.Bare(t)
		commits := gittest.History(t, remote, "main", 2)
		gittest.Git(t, remote, "branch", "release", commits[0])
		gittest.Git(t, remote, "tag", "release", commits[1])
		_, err := diff(t, remote+"#release")
		var de *diag.Error
		if !errors.Is(err, ErrAmbiguousRef) || !errors.As(err, &de) || !strings.Contains(de.Hint, "refs/heads/release or refs/tags/release") {
			t.Errorf("error = %v, want ErrAmbiguousRef with a hint naming both full refs", err)
		}
	})

	t.Run("ambiguous commit", func(t *testing.T) {
		t.Parallel()
		remote := gittest.Bare(t)
		prefix, _ := gittest.SharedPrefix(t, gittest.History(t, remote, "main", 1000))
		_, err := diff(t, remote+"#"+prefix)
		if !errors.Is(err, ErrAmbiguousRef) {
			t.Errorf("error = %v, want ErrAmbiguousRef", err)
		}
	})
}

// TestDiffUserGitConfig: outside CI and without a token (the CLI's
// UserGitConfig), the user's url.insteadOf rules choose the repository
// compared with; with a token they do not.
func TestDiffUserGitConfig(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if _, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{})); err != nil {
		t.Fatal(err)
	}
	// A mirror whose dev folder is missing: a diff against it adds
	// everything, a diff against the real remote adds nothing.
	mirror := gittest.Bare(t)
	gittest.Commit(t, mirror, "main", map[string]string{"README.md": "mirror\n"}, "mirror")
	config := filepath.Join(t.TempDir(), "gitconfig")
	rules := "[url \"file://" + filepath.Dir(f.remote) + "/\"]\n\tinsteadOf = kiln-test:\n" +
		"[url \"file://" + mirror + "\"]\n\tinsteadOf = file://" + f.remote + "\n"
	if err := os.WriteFile(config, []byte(rules), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"GIT_SSH_COMMAND=false"}
	for _, kv := range gittest.Env() {
		if !strings.HasPrefix(kv, "GIT_CONFIG_GLOBAL=") {
			env = append(env, kv)
		}
	}
	env = append(env, "GIT_CONFIG_GLOBAL="+config)
	diff := func(t *testing.T, against, token string) (*DiffResult, error) {
		t.Helper()
		o := f.opts(t, "dev", nil)
		return Diff(context.Background(), f.pipeline(t), DiffOptions{Env: "dev", Against: against, Render: o.Render,
			GitEnv: env, UserGitConfig: true, Token: token, WorkDir: t.TempDir()})
	}

	t.Run("alias", func(t *testing.T) {
		t.Parallel()
		res, err := diff(t, "kiln-test:"+filepath.Base(f.remote), "")
		if err != nil {
			t.Fatal(err)
		}
		if res.Changed {
			t.Errorf("the alias did not lead to the promoted repository: %d files differ", len(res.Changes))
		}
	})
	t.Run("alias with a token", func(t *testing.T) {
		t.Parallel()
		if _, err := diff(t, "kiln-test:"+filepath.Base(f.remote), testToken); err == nil {
			t.Error("with a token the user's alias still applied")
		}
	})
	t.Run("rewrite", func(t *testing.T) {
		t.Parallel()
		res, err := diff(t, "file://"+f.remote, "")
		if err != nil {
			t.Fatal(err)
		}
		if !res.Changed {
			t.Error("the rewrite to the mirror was not followed")
		}
	})
	t.Run("rewrite with a token", func(t *testing.T) {
		t.Parallel()
		res, err := diff(t, "file://"+f.remote, testToken)
		if err != nil {
			t.Fatal(err)
		}
		if res.Changed {
			t.Error("with a token the user's rewrite still applied")
		}
	})
}
