package promote

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

// TestExecutableReplacedByFile: a file kiln writes whose mode on the
// manifests branch is 100755 but whose bytes are kiln's was no change:
// kiln diff showed nothing, verify called the folder exactly what its
// commit renders, and promote had nothing to do, so the executable bit
// stayed, where kiln writes every file 100644. The mode is a change now:
// diff shows it as git does, verify lists the file, and promote commits
// it 100644. Real git repositories on disk.
func TestExecutableReplacedByFile(t *testing.T) {
	t.Parallel()
	const web = "apps/web/deployment_web.yaml"
	f := newFixture(t)
	if _, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{})); err != nil {
		t.Fatal(err)
	}
	files := gittest.Files(t, f.remote, "main")
	gittest.UpdateEntries(t, f.remote, "main", "100755", map[string]string{"clusters/dev/" + web: files["clusters/dev/"+web]}, "chmod +x")

	var log bytes.Buffer
	d, err := Diff(context.Background(), f.pipeline(t), DiffOptions{Env: "dev", Render: f.opts(t, "dev", nil).Render, GitEnv: gittest.Env(), WorkDir: t.TempDir(), Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if unified := d.Unified(false); len(d.Changes) != 1 || d.Changes[0].Path != web || d.Changes[0].Op != "changed" ||
		unified != "old mode 100755\nnew mode 100644\n" {
		t.Errorf("diff: %+v\n%q\nlog:\n%s", d.Changes, unified, log.String())
	}

	verify := func() *VerifyResult {
		t.Helper()
		res, err := Verify(context.Background(), f.pipeline(t), VerifyOptions{
			Env: "dev", LookupEnv: lookup, Version: "test",
			GitEnv: gittest.Env(), WorkDir: t.TempDir(), Log: &bytes.Buffer{},
		})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := verify(); res.Equal || len(res.Files) != 1 || res.Files[0].Path != web || res.Files[0].Op != "changed" {
		t.Errorf("verify = %+v, want %s changed", res, web)
	}

	res, err := promote(t, f, f.opts(t, "dev", &log))
	if err != nil || !res.Changed {
		t.Fatalf("promote: %+v, %v\n%s", res, err, log.String())
	}
	if got := gittest.Git(t, f.remote, "ls-tree", "main", "--", "clusters/dev/"+web); !strings.HasPrefix(got, "100644 blob ") {
		t.Errorf("main holds %s as %q, want a 100644 file", web, got)
	}
	if res := verify(); !res.Equal {
		t.Errorf("verify after the promotion = %+v, want equal", res)
	}
}
