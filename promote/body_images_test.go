package promote

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

// TestBodyLockImagesOnly: an image no app of the env runs still changes
// the lock, so kiln commits and opens a pull request (docs/promote.md,
// "What counts as a change"); its body said every app was unchanged, and
// nothing of the image.
func TestBodyLockImagesOnly(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if _, err := promote(t, f, f.opts(t, "staging", &bytes.Buffer{})); err != nil {
		t.Fatal(err)
	}
	gittest.Git(t, f.remote, "update-ref", "refs/heads/main", "refs/heads/kiln/staging")
	o := f.opts(t, "staging", &bytes.Buffer{})
	o.Render.Images.Refs = append(o.Render.Images.Refs, "ghcr.io/acme/other:2.0.0")
	res, err := promote(t, f, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != 1 || res.Files[0].Path != "kiln.lock.json" || res.PRNumber == 0 {
		t.Fatalf("the promotion changes more than the lock, or opens no pull request: %+v", res)
	}
	body := f.gh.pr(res.PRNumber).Body
	if want := "- `ghcr.io/acme/other`: — → `2.0.0`\n"; body != res.Body || !strings.Contains(body, want) {
		t.Errorf("the pull request's body does not hold %q:\n%s", want, body)
	}
}
