package rootfs

import (
	"os"
	"path/filepath"
	"testing"
)

// TestGitDir: a path that is or lies in git's metadata, by name (.git in
// any case), by layout (a bare repository) or through a symlink, is found;
// a work tree and its other folders are not.
func TestGitDir(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for _, d := range []string{"repo/.git/refs", "repo/apps", "manifests.git/objects", "manifests.git/refs"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "manifests.git", "HEAD"), []byte("ref: refs/heads/main\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "repo", ".git", "refs"), filepath.Join(root, "repo", "apps", "link")); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]string{
		"repo/.git":                "repo/.git",
		"repo/.git/x/y":            "repo/.git",
		"repo/.git/refs":           "repo/.git",
		"repo/.GIT/out":            "repo/.GIT",
		"repo/apps/link/heads":     "repo/.git",
		"manifests.git":            "manifests.git",
		"manifests.git/out":        "manifests.git",
		"repo":                     "",
		"repo/rendered":            "",
		"repo/apps/.gitkeep":       "",
		"repo/apps/x.git/rendered": "",
	} {
		got, err := GitDir(filepath.Join(root, p))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if want != "" {
			want = filepath.Join(root, want)
		}
		if got != want {
			t.Errorf("GitDir(%s) = %q, want %q", p, got, want)
		}
	}
}
