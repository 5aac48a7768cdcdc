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
	"os"
	"path/filepath"
	"strings"
	"sync"

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

func (e *OutsideError) Error() string { return fmt.Sprintf("%q %s", e.Path, e.where()) }

// where is the error without the path.
func (e *OutsideError) where() string {
	if e.Target != "" && e.Target != e.Path {
		return "leads outside the repository (to " + e.Target + ")"
	}
	return "leads outside the repository"
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
		return "", outside(root, p, abs)
	}
	real, err := evalExisting(abs)
	if err != nil {
		return "", err
	}
	if !Within(root, real) {
		return "", outside(root, p, real)
	}
	return real, nil
}

// outside is the OutsideError of p, below root, which leads to target. An
// engine's absolute path inside root and where a relative path leads are
// given from root, as every path of kiln's messages: the machine's
// checkout folder ("/home/runner/work/app/app/…") made the same error read
// differently on each machine, and told a pull request's reader where the
// runner keeps its files. An absolute path the user wrote outside root is
// theirs, and stays as written.
func outside(root, p, target string) *OutsideError {
	if !filepath.IsAbs(p) || Within(root, p) {
		return &OutsideError{Path: shownFrom(root, p), Target: Rel(root, target)}
	}
	return &OutsideError{Path: p, Target: target}
}

// shownFrom is p, relative to root or absolute, as a path from root.
func shownFrom(root, p string) string {
	if filepath.IsAbs(p) {
		return Rel(root, p)
	}
	return p
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
// walks the rest as if its folders were made (walk). A symlink to nothing leads where its target
// would be: a link inside the repository to a missing file outside it is
// a path outside, as it will be once the file is there, not a missing file
// inside (which told the user to add a file kiln would then refuse).
func evalExisting(abs string) (string, error) {
	real, err := filepath.EvalSymlinks(abs)
	if err == nil {
		return real, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	return walk(abs)
}

// maxLinks bounds the symlinks one walk follows, all chains together, as
// filepath.EvalSymlinks bounds them (255): a bound per chain let a few
// dozen links, each naming the one before it twice, make a walk of 2^n
// steps that no --timeout stopped.
const maxLinks = 255

// walk resolves abs, an absolute path, one name at a time as the
// kernel does: a symlink's target is walked from the link's folder, so
// that a ".." in it steps up from where the name before it really leads
// (a link "a/../x", with a a link out of the root, leads out, not to the
// root's x). Below the first missing name the walk goes on lexically, as
// if each missing folder were made: where the path would lead once it is.
func walk(abs string) (string, error) {
	sep := string(filepath.Separator)
	vol := filepath.VolumeName(abs)
	dest := vol + sep
	rest := abs[len(vol):]
	links := 0
	missing := 0 // names of dest below the last folder that exists
	for rest != "" {
		rest = strings.TrimLeft(rest, sep)
		name := rest
		if i := strings.Index(rest, sep); i >= 0 {
			name, rest = rest[:i], rest[i:]
		} else {
			rest = ""
		}
		switch name {
		case "", ".":
			continue
		case "..":
			// dest has no symlink left in it: its parent is really there.
			dest = filepath.Dir(dest)
			if missing > 0 {
				missing--
			}
			continue
		}
		next := filepath.Join(dest, name)
		if missing > 0 {
			dest = next
			missing++
			continue
		}
		fi, err := os.Lstat(next)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			dest, missing = next, 1
			continue
		case err != nil:
			return "", err
		case fi.Mode()&fs.ModeSymlink == 0:
			dest = next
			continue
		}
		if links++; links > maxLinks {
			return "", &fs.PathError{Op: "resolve", Path: abs, Err: errors.New("too many links")}
		}
		target, err := os.Readlink(next)
		if err != nil {
			return "", err
		}
		if filepath.IsAbs(target) {
			v := filepath.VolumeName(target)
			dest, target = v+sep, target[len(v):]
		}
		rest = target + sep + rest
	}
	return dest, nil
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

// Resolver is Resolve for many paths below one root, resolving each folder
// on the way once: a render's observations are checked again path by path,
// most of them below the same few chart and library folders, and
// filepath.EvalSymlinks would look at every component of each. Its answers
// are Resolve's, containment included; it assumes nothing on the disk
// changes while it is in use, so it must live no longer than one run (the
// caches of a Renderer assume the same). Safe for concurrent use.
type Resolver struct {
	root string

	mu   sync.Mutex
	real map[string]resolved // clean absolute path -> evalExisting's answer
	// lstat holds what Lstat said of a resolved path that is not a
	// symlink (a file, a folder, nothing): what os.Stat would say of it.
	lstat map[string]statted
}

type statted struct {
	fi  fs.FileInfo
	err error
}

type resolved struct {
	path string
	err  error
}

// NewResolver returns a Resolver below root, which must be absolute and
// symlink-free, as for Resolve.
func NewResolver(root string) *Resolver {
	return &Resolver{root: root, real: map[string]resolved{}, lstat: map[string]statted{}}
}

// Resolve is Resolve(root, p), with the folders on the way remembered.
func (r *Resolver) Resolve(p string) (string, error) {
	abs := p
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(r.root, filepath.FromSlash(p))
	}
	abs = filepath.Clean(abs)
	if !Within(r.root, abs) {
		return "", outside(r.root, p, abs)
	}
	real, err := r.eval(abs)
	if err != nil {
		return "", err
	}
	if !Within(r.root, real) {
		return "", outside(r.root, p, real)
	}
	return real, nil
}

// RealPath is RealPath(abs) for an absolute abs, with the folders on the
// way remembered. Unlike Resolve it checks no containment: it says where
// a path leads, wherever that is.
func (r *Resolver) RealPath(abs string) (string, error) {
	if !filepath.IsAbs(abs) {
		return RealPath(abs)
	}
	return r.eval(filepath.Clean(abs))
}

// eval is evalExisting(abs), built on the answer for abs's parent: once the
// parent's real path is known, abs's is that path joined with abs's last
// name unless that name is a symlink, which is looked at with one Lstat.
// A symlink, rare in a repository, is resolved by evalExisting itself, so
// that its every case (a link leading to nothing leads where its target
// would be) stays exactly Resolve's.
func (r *Resolver) eval(abs string) (string, error) {
	r.mu.Lock()
	v, ok := r.real[abs]
	r.mu.Unlock()
	if ok {
		return v.path, v.err
	}
	v = r.evalUncached(abs)
	r.mu.Lock()
	r.real[abs] = v
	r.mu.Unlock()
	return v.path, v.err
}

func (r *Resolver) evalUncached(abs string) resolved {
	parent := filepath.Dir(abs)
	if parent == abs {
		p, err := evalExisting(abs)
		return resolved{p, err}
	}
	rp, err := r.eval(parent)
	if err != nil {
		// EvalSymlinks(abs) walks through parent and fails there too.
		return resolved{"", err}
	}
	cand := filepath.Join(rp, filepath.Base(abs))
	fi, err := os.Lstat(cand)
	switch {
	case err == nil && fi.Mode()&fs.ModeSymlink != 0:
		p, err := evalExisting(abs)
		return resolved{p, err}
	case err == nil, errors.Is(err, fs.ErrNotExist):
		// What exists is resolved, what does not is appended unchanged:
		// evalExisting's answer for a path that ends in a missing name.
		r.mu.Lock()
		r.lstat[cand] = statted{fi, err}
		r.mu.Unlock()
		return resolved{cand, nil}
	}
	return resolved{"", err}
}

// Stat is os.Stat(real) for a path Resolve returned, without looking
// again when the Resolver already did: a path that is not a symlink stats
// as it lstats.
func (r *Resolver) Stat(real string) (fs.FileInfo, error) {
	r.mu.Lock()
	v, ok := r.lstat[real]
	r.mu.Unlock()
	if ok {
		return v.fi, v.err
	}
	return os.Stat(real)
}

// Readings returns the two places p can name, each absolute with symlinks
// resolved: lexical is p cleaned first, as filepath.Join and a shell's cd
// read it, and kernel is p walked name by name, as the kernel reads it.
// They differ only where a ".." follows a symlink: "link/.." is link's
// folder to the one and the folder above link's target to the other.
// Code that opens p itself and Joins names onto it would touch both.
func Readings(p string) (lexical, kernel string, err error) {
	if filepath.IsAbs(p) {
		return readingsFrom("", p)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", "", err
	}
	return readingsFrom(wd, p)
}

// readingsFrom is Readings of p from the working folder wd ("" for an
// absolute p). The kernel reads a relative path from where the working
// folder really is, and so does a Join of names onto it; os.Getwd may
// return the way a shell entered it ($PWD, through a symlink), whose ".."
// is another folder. So wd is resolved first: a relative "../out" from a
// checkout entered through a symlink names one folder, as it always did.
func readingsFrom(wd, p string) (lexical, kernel string, err error) {
	raw := p
	if wd != "" {
		if wd, err = filepath.EvalSymlinks(wd); err != nil {
			return "", "", err
		}
		raw = wd + string(filepath.Separator) + p
	}
	if lexical, err = RealPath(raw); err != nil {
		return "", "", err
	}
	if kernel, err = walk(raw); err != nil {
		return "", "", err
	}
	return lexical, kernel, nil
}
