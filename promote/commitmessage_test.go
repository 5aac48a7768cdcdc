package promote

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kiln-gitops/kiln/promote/internal/prbody"
	"github.com/kiln-gitops/kiln/render"
)

// TestCommitMessageOfAForeignLock: the lock of a pull request's branch is
// anyone's who can push there; its commit and repository cannot add a line
// to the commit message (a forged Kiln-Env trailer) or a control character
// to the pull request's title.
func TestCommitMessageOfAForeignLock(t *testing.T) {
	t.Parallel()
	lock := &render.Lock{}
	lock.Source.Commit = "0123\n\nKiln-Env: prod\x1b[2J"
	lock.Source.Repo = "https://github.com/a/b\u202E\nKiln-Promoted-From: x"
	title, msg := commitMessage("dev", "", "clusters/dev", lock)
	if strings.ContainsAny(title, "\n\x1b\u202E") {
		t.Errorf("title %q holds a control character", title)
	}
	for _, bad := range []string{"\nKiln-Env: prod", "\nKiln-Promoted-From", "\x1b", "\u202E"} {
		if strings.Contains(msg, bad) {
			t.Errorf("message holds %q:\n%s", bad, msg)
		}
	}
	if !strings.Contains(msg, "\nKiln-Env: dev\nKiln-Path: clusters/dev\n") {
		t.Errorf("message lost its own trailers:\n%s", msg)
	}
}

// TestCommitTitleWholeCharacters: the title's short commit is cut in
// characters, so a lock's commit that is no hex id gives valid UTF-8.
func TestCommitTitleWholeCharacters(t *testing.T) {
	t.Parallel()
	lock := &render.Lock{}
	lock.Source.Commit = "ééééééééé"
	title, _ := commitMessage("dev", "", "clusters/dev", lock)
	if !utf8.ValidString(title) || !strings.HasSuffix(title, " ← ééééééé") {
		t.Errorf("title %q: want the commit's first 7 characters, whole", title)
	}
}

// TestForeignCommitShowsInvisible: a lock's commit holding a zero-width
// space or a bidi override, which a pull request's branch may hold, is
// shown escaped in the title and in the comment kiln closes the pull
// request with: the title of one commit must not read as another's.
func TestForeignCommitShowsInvisible(t *testing.T) {
	t.Parallel()
	lock := &render.Lock{}
	lock.Source.Commit = "ab\u200Bc\u202Edefgh"
	title, _ := commitMessage("dev", "", "clusters/dev", lock)
	// Cut to seven characters, then escaped: no escape is cut short.
	if want := `kiln: dev ← ab\u200Bc\u202Ede`; title != want {
		t.Errorf("title = %q, want %q", title, want)
	}
	comment := closeComment("main", "dev", lock.Source.Commit)
	if strings.ContainsAny(comment, "\u200B\u202E") || !strings.Contains(comment, " at `ab\\u200Bc\\u202Ede`,") {
		t.Errorf("comment %q holds an invisible character, or not the commit escaped", comment)
	}
}

// TestCommitTitleHandEditedImages: a lock's images are a pull request
// branch's or an earlier render's (a kept app), which anyone who can push
// there may edit. Invisible characters in a tag, shown escaped, took up
// to ten characters each, and the title of 783 GitHub refuses (over 256):
// such an image is only counted. The title stays within 256 with the
// longest env name and an escaped commit too.
func TestCommitTitleHandEditedImages(t *testing.T) {
	t.Parallel()
	lock := &render.Lock{Images: map[string]string{}, Apps: map[string]render.LockApp{}}
	for _, app := range []string{"vote", "worker"} {
		repo := "ghcr.io/acme/" + app
		lock.Images[repo] = repo + ":" + strings.Repeat("\u200B", 125)
		lock.Apps[app] = render.LockApp{Images: []string{repo + ":1"}}
	}
	lock.Images["ghcr.io/acme/web"] = "ghcr.io/acme/web:" + strings.Repeat("t", 128)
	lock.Apps["web"] = render.LockApp{Images: []string{"ghcr.io/acme/web:1"}}
	lock.Source.Commit = strings.Repeat("\U000E0041", 7)
	env := strings.Repeat("e", 63)
	title, _ := commitMessage(env, "", "clusters/prod", lock)
	if n := utf8.RuneCountInString(title); n > 256 || strings.Contains(title, `\u200B`) || !strings.HasSuffix(title, "… and 2 more)") {
		t.Errorf("title of %d characters: %q", n, title)
	}
}

// TestCloseCommentMentionsNoOne: the comment kiln closes a pull request
// with named the lock's commit as text, and a comment, unlike a title or
// a commit message, notifies whom it mentions: a lock of a --rendered
// tree whose commit reads "@acme/admins" pinged the team. The commit is a
// code span, as in the body.
func TestCloseCommentMentionsNoOne(t *testing.T) {
	t.Parallel()
	for _, commit := range []string{"@acme/admins", "#12 and more", "`@x`y"} {
		comment := closeComment("main", "dev", commit)
		span := prbody.Code(short(commit))
		if !strings.HasPrefix(span, "`") || strings.ContainsAny(strings.Replace(comment, span, "", 1), "@#") {
			t.Errorf("comment %q holds %q outside a code span", comment, commit)
		}
	}
	// Nor the manifests branch, a ref that may read so too.
	for _, base := range []string{"@acme/admins", "release#12"} {
		comment := closeComment(base, "dev", "")
		if strings.ContainsAny(strings.Replace(comment, prbody.Code(base), "", 1), "@#") {
			t.Errorf("comment %q holds %q outside a code span", comment, base)
		}
	}
}

// TestCommitTitleNamesImages: a promotion's title names the images CI gave
// that its apps run, so that two promotions of one source commit with
// other images read apart; an image no app runs is left out, and the
// title stays under GitHub's 256 characters however long the tags.
func TestCommitTitleNamesImages(t *testing.T) {
	t.Parallel()
	lock := &render.Lock{Images: map[string]string{
		"ghcr.io/acme/vote":    "ghcr.io/acme/vote:1.4.2",
		"ghcr.io/acme/worker":  "ghcr.io/acme/worker@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"ghcr.io/acme/unused":  "ghcr.io/acme/unused:9.9.9",
		"docker.io/library/db": "db:16.1",
	}, Apps: map[string]render.LockApp{
		"vote":   {Images: []string{"ghcr.io/acme/vote:1.4.2", "db:16.1"}},
		"worker": {Images: []string{"ghcr.io/acme/worker@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}},
	}}
	lock.Source.Commit = "0123456789abcdef"
	title, _ := commitMessage("prod", "staging", "clusters/prod", lock)
	if want := "kiln: prod ← 0123456 (db:16.1, vote:1.4.2, worker@sha256:0123456789ab)"; title != want {
		t.Errorf("title %q, want %q", title, want)
	}
	long := strings.Repeat("t", 128)
	lock.Images, lock.Apps = map[string]string{}, map[string]render.LockApp{}
	for _, app := range []string{"a", "b", "c", "d"} {
		ref := "ghcr.io/acme/" + app + ":" + long
		lock.Images["ghcr.io/acme/"+app] = ref
		lock.Apps[app] = render.LockApp{Images: []string{ref}}
	}
	title, _ = commitMessage("prod", "", "clusters/prod", lock)
	if n := utf8.RuneCountInString(title); n > 256 || !strings.HasSuffix(title, " and 3 more)") {
		t.Errorf("title of %d characters: %q", n, title)
	}
	// A pull request branch's lock is anyone's who can push there: its
	// image adds no line and no control character either.
	lock.Images = map[string]string{"ghcr.io/acme/a": "ghcr.io/acme/a:1\n\nKiln-Env: dev\x1b[2J"}
	title, msg := commitMessage("prod", "", "clusters/prod", lock)
	if strings.ContainsAny(title, "\n\x1b") || strings.Contains(msg, "\nKiln-Env: dev") || !strings.Contains(title, "(a:1") {
		t.Errorf("title %q, message:\n%s", title, msg)
	}
}
