// Package rootfs confines file access to the repository root.
//
// Every path an engine opens goes through Resolve, which resolves symlinks
// before checking that the target is still inside the root: a chart, base,
// import or values file that leads outside is refused with an error naming
// the path. This is the engines' only defence against ../ escapes, so it is
// deliberately small and strict.
package rootfs

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/kiln-gitops/kiln/internal/limits"
)

// ErrOutside is the cause of every containment error.
var ErrOutside = errors.New("path leads outside the repository")

// OutsideError reports a path that resolved to somewhere outside Root.
type OutsideError struct {
	// Path is the path as the user wrote it (or as the engine asked for it).
	Path string
	// Target is where it resolved to, when that differs from Path.
	Target string
}

func (e *OutsideError) Error() string {
	if e.Target != "" && e.Target != e.Path {
		return fmt.Sprintf("%q leads outside the repository (to %s)", e.Path, e.Target)
	}
	return fmt.Sprintf("%q leads outside the repository", e.Path)
}

// Unwrap lets errors.Is(err, ErrOutside) match.
func (e *OutsideError) Unwrap() error { return ErrOutside }

// Within reports whether abs, a clean absolute path, is root or below it.
func Within(root, abs string) bool {
	if abs == root {
		return true
	}
	return strings.HasPrefix(abs, strings.TrimSuffix(root, string(filepath.Separator))+string(filepath.Separator))
}

// Resolve returns the absolute, symlink-free path of p, which is either
// relative to root or absolute, and checks that it lies inside root. root
// must itself be absolute and symlink-free. A path that does not exist is
// resolved as far as it exists, so that a missing file inside the root gives
// the caller's own not-found error, not a containment error.
func Resolve(root, p string) (string, error) {
	abs := p
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(root, filepath.FromSlash(p))
	}
	abs = filepath.Clean(abs)
	if !Within(root, abs) {
		return "", &OutsideError{Path: p, Target: abs}
	}
	real, err := evalExisting(abs)
	if err != nil {
		return "", err
	}
	if !Within(root, real) {
		return "", &OutsideError{Path: p, Target: real}
	}
	return real, nil
}

// RealPath is p made absolute, with symlinks resolved in the longest part
// of it that exists: where a path kiln may still create really leads.
func RealPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	return evalExisting(abs)
}

// evalExisting resolves symlinks in the longest existing prefix of abs and
// appends the rest unchanged.
func evalExisting(abs string) (string, error) {
	real, err := filepath.EvalSymlinks(abs)
	if err == nil {
		return real, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	parent := filepath.Dir(abs)
	if parent == abs {
		return abs, nil
	}
	rp, err := evalExisting(parent)
	if err != nil {
		return "", err
	}
	return filepath.Join(rp, filepath.Base(abs)), nil
}

// ReadFile reads p (relative to root or absolute) after Resolve, with
// limits.ReadFile: a regular file of at most limits.FileSize bytes.
func ReadFile(root, p string) ([]byte, error) {
	real, err := Resolve(root, p)
	if err != nil {
		return nil, err
	}
	return limits.ReadFileAs(real, p)
}

// Rel returns abs relative to root, slash-separated, for messages and digests.
func Rel(root, abs string) string {
	r, err := filepath.Rel(root, abs)
	if err != nil {
		return filepath.ToSlash(abs)
	}
	return filepath.ToSlash(r)
}
