package rootfs

import (
	"errors"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/limits"
)

// Suggest returns rel, a slash path relative to dir that does not exist,
// with each missing element replaced by the closest name in its folder,
// when that leads to something that exists inside root; "" otherwise: the
// "did you mean" of an error about a missing path.
func Suggest(root, dir, rel string) string {
	cur := dir
	var out []string
	changed := false
	for _, elem := range strings.Split(path.Clean(rel), "/") {
		next := filepath.Join(cur, elem)
		if _, err := os.Lstat(next); err != nil {
			entries, err := os.ReadDir(cur)
			if err != nil {
				return ""
			}
			names := make([]string, 0, len(entries))
			for _, e := range entries {
				names = append(names, e.Name())
			}
			best := diag.Closest(elem, names)
			if best == "" {
				return ""
			}
			elem, next, changed = best, filepath.Join(cur, best), true
		}
		if _, err := Resolve(root, next); err != nil {
			return ""
		}
		out = append(out, elem)
		cur = next
	}
	if !changed {
		return ""
	}
	return strings.Join(out, "/")
}

// Why says why a path could not be resolved, opened or read, without the
// path, for messages that name it themselves: an *fs.PathError's text
// holds the absolute path, which differs from machine to machine and
// tells a pull request's reader where the runner keeps its files.
func Why(err error) string {
	var oe *OutsideError
	if errors.As(err, &oe) {
		return "it " + oe.where()
	}
	if r := limits.Reason(err); r != "" {
		return strings.TrimPrefix(r, ": ")
	}
	return err.Error()
}
