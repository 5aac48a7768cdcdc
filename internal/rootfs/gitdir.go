package rootfs

import (
	"os"
	"path/filepath"
	"strings"
)

// GitDir returns the git metadata folder that p is or lies in, "" when
// there is none: a folder named .git in any case (on the case-insensitive
// file systems of macOS and Windows .GIT is .git), or one laid out as a
// git directory (a HEAD file, objects/ and refs/: a bare repository such
// as manifests.git, a submodule's or a linked worktree's git dir). p is
// read both as written and with its symlinks resolved (RealPath), so a
// link into .git counts too. A folder kiln replaces there would be git's
// refs, hooks or objects: a corrupt repository, deleted branches.
func GitDir(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	real, err := RealPath(p)
	if err != nil {
		return "", err
	}
	for _, q := range []string{abs, real} {
		if d := gitDirOf(q); d != "" {
			return d, nil
		}
	}
	return "", nil
}

// gitDirOf is GitDir of abs, an absolute clean path, read as it is.
func gitDirOf(abs string) string {
	for d := abs; ; {
		if strings.EqualFold(filepath.Base(d), ".git") || looksLikeGitDir(d) {
			return d
		}
		parent := filepath.Dir(d)
		if parent == d {
			return ""
		}
		d = parent
	}
}

// looksLikeGitDir says whether d holds what git needs to take a folder
// for a repository (setup.c's is_git_directory): HEAD, objects and refs.
func looksLikeGitDir(d string) bool {
	head, err := os.Stat(filepath.Join(d, "HEAD"))
	if err != nil || !head.Mode().IsRegular() {
		return false
	}
	for _, sub := range []string{"objects", "refs"} {
		if fi, err := os.Stat(filepath.Join(d, sub)); err != nil || !fi.IsDir() {
			return false
		}
	}
	return true
}
