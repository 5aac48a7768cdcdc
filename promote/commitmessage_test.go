package promote

import (
	"strings"
	"testing"
	"unicode/utf8"

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
	title, msg := commitMessage("dev", "", lock)
	if strings.ContainsAny(title, "\n\x1b\u202E") {
		t.Errorf("title %q holds a control character", title)
	}
	for _, bad := range []string{"\nKiln-Env: prod", "\nKiln-Promoted-From", "\x1b", "\u202E"} {
		if strings.Contains(msg, bad) {
			t.Errorf("message holds %q:\n%s", bad, msg)
		}
	}
	if !strings.Contains(msg, "\nKiln-Env: dev\n") {
		t.Errorf("message lost its own trailer:\n%s", msg)
	}
}

// TestCommitTitleWholeCharacters: the title's short commit is cut in
// characters, so a lock's commit that is no hex id gives valid UTF-8.
func TestCommitTitleWholeCharacters(t *testing.T) {
	t.Parallel()
	lock := &render.Lock{}
	lock.Source.Commit = "ééééééééé"
	title, _ := commitMessage("dev", "", lock)
	if !utf8.ValidString(title) || !strings.HasSuffix(title, " ← ééééééé") {
		t.Errorf("title %q: want the commit's first 7 characters, whole", title)
	}
}
