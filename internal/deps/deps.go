// Package deps records what a render looked at in the repository, and looks
// again later to tell whether anything it saw has changed.
//
// kiln's render cache (package render) reuses an engine's Result only when
// the Request is the same and every observation the engine made gives the
// same answer today. An observation is not only a file read: a directory
// listing (a chart folder, a folder of plain YAML), a lookup that found
// nothing (a jsonnet import tried in an earlier -J folder, the second
// kustomization file name) and the resolution of a symlink all change the
// output when they change. Engines record each of them with a Recorder, and
// Observe repeats one, through the same rootfs containment rules, so that
// recording and checking cannot disagree on what a Sum means.
//
// Missing one observation makes the cache return a stale render, the worst
// bug a cache can have; recording one too many only costs a cache miss. When
// in doubt, record.
package deps

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/kiln-gitops/kiln/internal/limits"
	"github.com/kiln-gitops/kiln/internal/rootfs"
	"github.com/kiln-gitops/kiln/templates"
)

// The kinds of observation.
const (
	// File is a file's content: Sum is FileSum of the bytes read.
	File = "file"
	// Dir is a directory's listing: Sum is DirSum of its entries.
	Dir = "dir"
	// Stat is what is at a path: Sum is one of the State values.
	Stat = "stat"
	// Resolve is where a path leads once its symlinks are resolved: Sum is
	// the repository-relative real path, or StateOutside.
	Resolve = "resolve"
)

// The states of a Stat observation.
const (
	StateNone    = "none"
	StateFile    = "file"
	StateDir     = "dir"
	StateOther   = "other"
	StateOutside = "outside"
	// StateError is any other failure to look. Engines record only what
	// they could see, but for a file they skip when they cannot read it
	// (a yaml app's file it warns of when it holds objects): reading it
	// again fails again, and the render skips it again.
	StateError = "error"
)

// FileSum is the Sum of a File observation of content.
func FileSum(content []byte) string {
	sum := sha256.Sum256(content)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// DirSum is the Sum of a Dir observation: the entries' names and types in
// name order. Types are those of the entries themselves (a symlink is a
// symlink); where a symlink leads is a Resolve observation of its own.
func DirSum(entries []fs.DirEntry) string {
	lines := make([]string, len(entries))
	for i, e := range entries {
		lines[i] = e.Name() + "\x00" + typeOf(e.Type())
	}
	slices.Sort(lines)
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l))
		h.Write([]byte{'\n'})
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

func typeOf(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "d"
	case m&fs.ModeSymlink != 0:
		return "l"
	case m.IsRegular():
		return "f"
	}
	return "o"
}

// StatSum is the Sum of a Stat observation, from os.Stat's answer (which
// follows symlinks).
func StatSum(fi fs.FileInfo, err error) string {
	switch {
	case errors.Is(err, rootfs.ErrOutside):
		return StateOutside
	case errors.Is(err, fs.ErrNotExist):
		return StateNone
	case err != nil:
		return StateError
	case fi.IsDir():
		return StateDir
	case fi.Mode().IsRegular():
		return StateFile
	}
	return StateOther
}

// Recorder collects one render's observations. A nil *Recorder records
// nothing, so engines can run without one. Safe for concurrent use.
type Recorder struct {
	root string
	// res resolves the render's paths below root, each folder on the way
	// once: a render resolves many paths below the same few folders, and
	// rootfs.Resolve would look at every component from / down for each.
	// Like every Resolver it assumes the disk does not change while it is
	// in use, which is one render: a symlink changed during the render is
	// seen as it first was, where a fresh resolve could have recorded a
	// conflict.
	res *rootfs.Resolver

	mu   sync.Mutex
	seen map[[2]string]string // kind, path -> sum
	// conflict is set when one observation was made twice with different
	// answers: the repository changed during the render, and the result
	// must not be cached.
	conflict bool
}

// New returns a Recorder for a render below root, the absolute,
// symlink-free repository root (templates.Request.Root).
func New(root string) *Recorder {
	return &Recorder{root: root, res: rootfs.NewResolver(root), seen: map[[2]string]string{}}
}

// Rel is p as a Dep's Path: repository-relative and slash-separated. p is
// absolute (inside root) or relative to root.
func (r *Recorder) Rel(p string) string {
	if filepath.IsAbs(p) {
		return rootfs.Rel(r.root, p)
	}
	return path.Clean(filepath.ToSlash(p))
}

// Record notes one observation.
func (r *Recorder) Record(kind, p, sum string) {
	if r == nil {
		return
	}
	k := [2]string{kind, r.Rel(p)}
	r.mu.Lock()
	defer r.mu.Unlock()
	if old, ok := r.seen[k]; ok && old != sum {
		r.conflict = true
	}
	r.seen[k] = sum
}

// File records that the file at p had content.
func (r *Recorder) File(p string, content []byte) {
	if r == nil {
		return
	}
	r.Record(File, p, FileSum(content))
}

// Dir records the listing of the directory at p.
func (r *Recorder) Dir(p string, entries []fs.DirEntry) {
	if r == nil {
		return
	}
	r.Record(Dir, p, DirSum(entries))
}

// StatResolved is os.Stat of real, a path Resolve returned, without
// looking again when resolving it already did (rootfs.Resolver.Stat). It
// records nothing.
func (r *Recorder) StatResolved(real string) (fs.FileInfo, error) {
	if r == nil {
		return os.Stat(real)
	}
	return r.res.Stat(real)
}

// Stat records what os.Stat said of p.
func (r *Recorder) Stat(p string, fi fs.FileInfo, err error) {
	if r == nil {
		return
	}
	r.Record(Stat, p, StatSum(fi, err))
}

// Resolve is rootfs.Resolve(root, p), recorded: where p led, or that it
// led outside the root.
func (r *Recorder) Resolve(root, p string) (string, error) {
	if r == nil {
		return rootfs.Resolve(root, p)
	}
	var real string
	var err error
	if root == r.root {
		real, err = r.res.Resolve(p)
	} else {
		real, err = rootfs.Resolve(root, p)
	}
	switch {
	case err == nil:
		r.Record(Resolve, p, rootfs.Rel(root, real))
	case errors.Is(err, rootfs.ErrOutside):
		r.Record(Resolve, p, StateOutside)
	}
	return real, err
}

// Deps returns the observations sorted by kind and path, and false when
// the render must not be cached because one of them changed under it.
func (r *Recorder) Deps() ([]templates.Dep, bool) {
	if r == nil {
		return nil, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]templates.Dep, 0, len(r.seen))
	for k, sum := range r.seen {
		out = append(out, templates.Dep{Kind: k[0], Path: k[1], Sum: sum})
	}
	slices.SortFunc(out, func(a, b templates.Dep) int {
		if c := strings.Compare(a.Kind, b.Kind); c != 0 {
			return c
		}
		return strings.Compare(a.Path, b.Path)
	})
	return out, !r.conflict
}

// Observe makes d's observation again below root and returns what it sees
// now, in d.Sum's terms. Every path goes through rootfs.Resolve first, so
// a path that has come to lead outside the root never matches.
func Observe(root string, d templates.Dep) string {
	real, err := rootfs.Resolve(root, d.Path)
	return observe(root, real, err, d, os.Stat)
}

// Observer is Observe for the many observations of one run: each folder on
// the way to a path is resolved once (rootfs.Resolver), so that the
// observations of a hundred apps below one chart do not each look at every
// folder from / down. It assumes nothing changes on the disk while it is
// in use: one Observer per run, never kept for the next. Safe for
// concurrent use.
type Observer struct {
	root string
	res  *rootfs.Resolver
}

// NewObserver returns an Observer below root, as for Observe.
func NewObserver(root string) *Observer {
	return &Observer{root: root, res: rootfs.NewResolver(root)}
}

// Observe is Observe(root, d).
func (o *Observer) Observe(d templates.Dep) string {
	real, err := o.res.Resolve(d.Path)
	return observe(o.root, real, err, d, o.res.Stat)
}

// observe makes d's observation at real, where rootfs.Resolve found d.Path
// to lead (or err), with stat as os.Stat.
func observe(root, real string, err error, d templates.Dep, stat func(string) (fs.FileInfo, error)) string {
	switch d.Kind {
	case Resolve:
		if errors.Is(err, rootfs.ErrOutside) {
			return StateOutside
		}
		if err != nil {
			return StateError
		}
		return rootfs.Rel(root, real)
	case Stat:
		if err != nil {
			return StatSum(nil, err)
		}
		fi, err := stat(real)
		return StatSum(fi, err)
	case File:
		if err != nil {
			return StateError
		}
		data, err := limits.ReadFileAs(real, d.Path)
		if err != nil {
			return StateError
		}
		return FileSum(data)
	case Dir:
		if err != nil {
			return StateError
		}
		entries, err := os.ReadDir(real)
		if err != nil {
			return StateError
		}
		return DirSum(entries)
	}
	return StateError
}

// ReadFile is rootfs.ReadFile(root, p), recorded: where p led and what it
// held.
func (r *Recorder) ReadFile(root, p string) ([]byte, error) {
	real, err := r.Resolve(root, p)
	if err != nil {
		return nil, err
	}
	data, err := limits.ReadFileAs(real, p)
	if err == nil {
		r.File(p, data)
	}
	return data, err
}
