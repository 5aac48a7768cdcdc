package securefs

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/kiln-gitops/kiln/internal/deps"
	"github.com/kiln-gitops/kiln/internal/limits"
	"github.com/kiln-gitops/kiln/internal/rootfs"
	"github.com/kiln-gitops/kiln/templates"
)

// ErrReadOnly is the cause of every refused write.
var ErrReadOnly = errors.New("the repository is read-only while rendering")

// FS is a filesys.FileSystem that reads the disk below one root, refuses
// writes and records the files it read. Relative paths are taken relative
// to the root, never to the process's working directory. It is safe for
// concurrent use.
//
// It also records, for kiln's render cache, every observation a caller
// makes through it (see Deps): what kustomize does depends on files it
// found absent (a kustomization file name, a patch that is a path or
// inline YAML) and on folder listings as much as on the files it read.
type FS struct {
	root string
	rec  *deps.Recorder
	// blind is set when an observation could not be recorded (a lookup
	// failed for a reason other than absence, a file was refused for a
	// bound): the caller saw something no Dep can check again.
	blind atomic.Bool

	mu   sync.Mutex
	read map[string][sha256.Size]byte // repo-relative path -> sha256 of the content read
	// asked holds the repo-relative paths of the files read as they were
	// asked for, through any symlinks (Opened).
	asked map[string]bool
	// denied lists the paths refused for leading outside the root, in
	// order. kustomize sometimes formats errors with %q instead of %w,
	// which cuts the chain to the *rootfs.OutsideError; Denied lets the
	// caller still name the path.
	denied []*rootfs.OutsideError
	// refused lists the files refused for a bound (limits.ErrLimit) or
	// for not being regular files (limits.ErrIrregular), in order, keyed
	// by their repo-relative path; like denied, for errors kustomize
	// flattens.
	refused []Refusal
	// budget is what SetReadBudget allowed, 0 for no bound; left is what
	// remains of it.
	budget, left atomic.Int64
	// stopped is set by Stop.
	stopped atomic.Bool
}

// ErrStopped is the error of every read after Stop.
var ErrStopped = errors.New("the build was stopped (its render ended: --timeout or a signal)")

// Stop makes every later read fail with ErrStopped: a build whose render
// was abandoned (its context ended while krusty ran, which nothing can
// interrupt) then ends at its next read instead of running on.
func (f *FS) Stop() { f.stopped.Store(true) }

// SetReadBudget bounds the bytes the FS reads from now on, each file read
// counted every time, to n (limits.BuildReads for one kustomize build);
// n <= 0 removes the bound. A read past it is refused like a file past
// limits.FileSize, and listed by Refused.
func (f *FS) SetReadBudget(n int64) {
	f.budget.Store(max(n, 0))
	f.left.Store(n)
}

// Refusal is a file refused for a bound or for not being a regular file.
type Refusal struct {
	// File is repo-relative.
	File string
	Err  error
}

// Refused returns the files refused so far for a limit or for not being
// regular files, in the order they were read.
func (f *FS) Refused() []Refusal {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Refusal(nil), f.refused...)
}

func (f *FS) refuse(real string, err error) {
	if errors.Is(err, limits.ErrLimit) || errors.Is(err, limits.ErrIrregular) {
		f.mu.Lock()
		f.refused = append(f.refused, Refusal{File: rootfs.Rel(f.root, real), Err: err})
		f.mu.Unlock()
	}
}

var _ filesys.FileSystem = (*FS)(nil)

// New returns an FS confined to root, which must be absolute and
// symlink-free (templates.Request.Root is).
func New(root string) (*FS, error) {
	if !filepath.IsAbs(root) {
		return nil, fmt.Errorf("securefs: root %q is not absolute", root)
	}
	clean := filepath.Clean(root)
	real, err := filepath.EvalSymlinks(clean)
	if err != nil {
		return nil, fmt.Errorf("securefs: root: %w", err)
	}
	if real != clean {
		return nil, fmt.Errorf("securefs: root %q is not symlink-free (it resolves to %s)", root, real)
	}
	return &FS{root: clean, rec: deps.New(clean), read: map[string][sha256.Size]byte{}, asked: map[string]bool{}}, nil
}

// Recorder is where the FS records its observations; callers that look at
// the repository around it (os.Stat for the kustomization file) record
// theirs there too.
func (f *FS) Recorder() *deps.Recorder { return f.rec }

// Deps returns every observation made through the FS and its Recorder,
// sorted, and whether they are complete: false when one could not be
// recorded, or gave two answers (the repository changed meanwhile).
func (f *FS) Deps() ([]templates.Dep, bool) {
	ds, ok := f.rec.Deps()
	return ds, ok && !f.blind.Load()
}

// Stat is os.Stat of real, a path Resolve returned, recorded: for
// callers that look at the repository around kustomize, as kiln does for
// the kustomization file names.
func (f *FS) Stat(real string) (fs.FileInfo, error) { return f.stat(real) }

// stat is os.Stat of real, recorded.
func (f *FS) stat(real string) (fs.FileInfo, error) {
	info, err := f.rec.StatResolved(real)
	f.observeStat(real, info, err)
	return info, err
}

// observeStat records what os.Stat said of real, unless it failed for a
// reason other than absence: that is no state a Dep can check again.
func (f *FS) observeStat(real string, info fs.FileInfo, err error) {
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		f.blind.Store(true)
		return
	}
	f.rec.Stat(real, info, err)
}

// failed records what a failed read of real saw: the path is absent, or
// not a regular file. A read refused for a bound depends on the content,
// which was not recorded.
func (f *FS) failed(real string, err error) {
	if errors.Is(err, limits.ErrLimit) {
		f.blind.Store(true)
		return
	}
	f.stat(real)
}

// Root returns the root the FS is confined to.
func (f *FS) Root() string { return f.root }

// Read returns the repository-relative, slash-separated paths of the
// regular files read so far, sorted and unique.
func (f *FS) Read() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, 0, len(f.read))
	for p := range f.read {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// Opened returns what Read does and, where a file was read through a
// symlink, the path it was asked for too (link-in.yaml beside dir/b.yaml
// it points at), sorted and unique: the files as the build saw them. A
// kustomize app's high-level/ copy lists them, where its copied
// kustomization.yaml names the link, not its target. A link's name that
// differs from a file read only in case (Deploy.yaml → deploy.yaml) is left
// out: the copies could not both stand in a checkout on macOS or Windows,
// and the env would fail for a copy made for reviewers.
func (f *FS) Opened() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, 0, len(f.read)+len(f.asked))
	folded := make(map[string]bool, len(f.read)+len(f.asked))
	for p := range f.read {
		out = append(out, p)
		folded[strings.ToLower(p)] = true
	}
	asked := make([]string, 0, len(f.asked))
	for p := range f.asked {
		asked = append(asked, p)
	}
	sort.Strings(asked)
	for _, p := range asked {
		if k := strings.ToLower(p); !folded[k] {
			folded[k] = true
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// Digest returns "sha256:<hex>" over the files read so far: for each path
// in Read's order, the path, a NUL byte, the hex SHA-256 of the content as
// it was read, and a newline. Equal digests mean the same files with the
// same contents were read.
func (f *FS) Digest() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	paths := make([]string, 0, len(f.read))
	for p := range f.read {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	h := sha256.New()
	for _, p := range paths {
		sum := f.read[p]
		fmt.Fprintf(h, "%s\x00%s\n", p, hex.EncodeToString(sum[:]))
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// Denied returns the paths refused so far for leading outside the root,
// in the order they were asked for.
func (f *FS) Denied() []*rootfs.OutsideError {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*rootfs.OutsideError(nil), f.denied...)
}

// resolve returns the symlink-free absolute path of p, or a *fs.PathError
// wrapping a *rootfs.OutsideError whose Path is repo-relative.
func (f *FS) resolve(op, p string) (string, error) {
	abs := f.abs(p)
	real, err := f.rec.Resolve(f.root, abs)
	if err != nil {
		var oe *rootfs.OutsideError
		if !errors.As(err, &oe) {
			f.blind.Store(true) // a symlink loop, say: not recorded
		}
		if errors.As(err, &oe) {
			// Report paths the way a user reads them: relative to the root.
			rel := &rootfs.OutsideError{Path: rootfs.Rel(f.root, abs), Target: oe.Target}
			f.mu.Lock()
			f.denied = append(f.denied, rel)
			f.mu.Unlock()
			err = rel
		}
		return "", &fs.PathError{Op: op, Path: p, Err: err}
	}
	return real, nil
}

// abs is p as resolve looks it up: joined to the root when relative, and
// cleaned.
func (f *FS) abs(p string) string {
	if !filepath.IsAbs(p) {
		p = filepath.Join(f.root, p)
	}
	return filepath.Clean(p)
}

// record records the file asked for as path, read at real.
func (f *FS) record(path, real string, data []byte) {
	f.rec.File(real, data)
	sum := sha256.Sum256(data)
	f.mu.Lock()
	f.read[rootfs.Rel(f.root, real)] = sum
	f.asked[rootfs.Rel(f.root, f.abs(path))] = true
	f.mu.Unlock()
}

// Create refuses: rendering never writes into the repository.
func (f *FS) Create(path string) (filesys.File, error) {
	return nil, &fs.PathError{Op: "create", Path: path, Err: ErrReadOnly}
}

// Mkdir refuses: rendering never writes into the repository.
func (f *FS) Mkdir(path string) error {
	return &fs.PathError{Op: "mkdir", Path: path, Err: ErrReadOnly}
}

// MkdirAll refuses: rendering never writes into the repository.
func (f *FS) MkdirAll(path string) error {
	return &fs.PathError{Op: "mkdir", Path: path, Err: ErrReadOnly}
}

// RemoveAll refuses: rendering never writes into the repository.
func (f *FS) RemoveAll(path string) error {
	return &fs.PathError{Op: "remove", Path: path, Err: ErrReadOnly}
}

// WriteFile refuses: rendering never writes into the repository.
func (f *FS) WriteFile(path string, _ []byte) error {
	return &fs.PathError{Op: "write", Path: path, Err: ErrReadOnly}
}

// Open opens path for reading. A regular file is read whole, recorded and
// served from memory, so that what is recorded is what the caller reads.
func (f *FS) Open(path string) (filesys.File, error) {
	real, err := f.resolve("open", path)
	if err != nil {
		return nil, err
	}
	// A FIFO, device or socket is refused: reading one could block or
	// never end.
	file, info, err := limits.OpenFileOrDir(real)
	if err != nil {
		f.refuse(real, err)
		f.failed(real, err)
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	if info.IsDir() {
		// What is read from it is not recorded: a caller that lists it
		// this way would escape the Dir observation ReadDir makes.
		f.blind.Store(true)
		return readOnlyFile{file: file}, nil
	}
	defer file.Close()
	data, err := f.readBounded(file, path)
	if err != nil {
		return nil, err
	}
	f.record(path, real, data)
	return &memFile{Reader: bytes.NewReader(data), info: info}, nil
}

// readBounded reads an open regular file up to limits.FileSize and, for
// YAML and JSON, checks limits.CheckYAMLBytes before kustomize expands
// anything: kustomize turns every resource into maps, aliases expanded.
func (f *FS) readBounded(file *os.File, path string) ([]byte, error) {
	if f.stopped.Load() {
		f.blind.Store(true)
		return nil, &fs.PathError{Op: "read", Path: path, Err: ErrStopped}
	}
	name := rootfs.Rel(f.root, file.Name())
	data, err := limits.ReadAll(file, name, limits.FileSize)
	if err != nil {
		f.refuse(file.Name(), err)
		f.blind.Store(true)
		return nil, &fs.PathError{Op: "read", Path: path, Err: err}
	}
	if budget := f.budget.Load(); budget > 0 && f.left.Add(-int64(len(data))) < 0 {
		err := &limits.Error{Input: name, What: "the total read by one kustomize build", Limit: limits.Bytes(budget)}
		f.refuse(file.Name(), err)
		f.blind.Store(true)
		return nil, &fs.PathError{Op: "read", Path: path, Err: err}
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml", ".json", "":
		if err := limits.CheckYAMLBytes(data, name); err != nil {
			f.refuse(file.Name(), err)
			f.blind.Store(true)
			return nil, &fs.PathError{Op: "read", Path: path, Err: err}
		}
	}
	return data, nil
}

// ReadFile reads and records the file at path.
func (f *FS) ReadFile(path string) ([]byte, error) {
	real, err := f.resolve("read", path)
	if err != nil {
		return nil, err
	}
	file, err := limits.Open(real)
	if err != nil {
		f.refuse(real, err)
		f.failed(real, err)
		return nil, &fs.PathError{Op: "read", Path: path, Err: err}
	}
	defer file.Close()
	data, err := f.readBounded(file, path)
	if err != nil {
		return nil, err
	}
	f.record(path, real, data)
	return data, nil
}

// IsDir reports whether path is a directory inside the root.
func (f *FS) IsDir(path string) bool {
	real, err := f.resolve("stat", path)
	if err != nil {
		return false
	}
	info, err := f.stat(real)
	return err == nil && info.IsDir()
}

// Exists reports whether path exists inside the root.
func (f *FS) Exists(path string) bool {
	real, err := f.resolve("stat", path)
	if err != nil {
		return false
	}
	_, err = f.stat(real)
	return err == nil
}

// ReadDir lists the names in the directory at path.
func (f *FS) ReadDir(path string) ([]string, error) {
	real, err := f.resolve("readdir", path)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(real)
	if err != nil {
		f.stat(real) // absent, or not a folder
		return nil, err
	}
	f.rec.Dir(real, entries)
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names, nil
}

// CleanedAbs splits path into its symlink-free directory and file name
// (empty when path is a directory), like kustomize's on-disk file system,
// and refuses a path that resolves outside the root or does not exist.
func (f *FS) CleanedAbs(path string) (filesys.ConfirmedDir, string, error) {
	real, err := f.resolve("abs", path)
	if err != nil {
		return "", "", err
	}
	info, err := f.stat(real)
	if err != nil {
		return "", "", err
	}
	if info.IsDir() {
		return filesys.ConfirmedDir(real), "", nil
	}
	return filesys.ConfirmedDir(filepath.Dir(real)), filepath.Base(real), nil
}

// Glob returns the paths matching pattern (relative patterns are taken
// relative to the root) that lie inside the root. Like kustomize's on-disk
// file system, hidden files match only a pattern that names them.
func (f *FS) Glob(pattern string) ([]string, error) {
	if !filepath.IsAbs(pattern) {
		pattern = filepath.Join(f.root, pattern)
	}
	if _, err := filepath.Match(pattern, ""); err != nil {
		return nil, err // filepath.Glob's own error for a malformed pattern
	}
	// A pattern whose fixed folders lead outside the root (an absolute
	// path, "../", a symlink) matches nothing, as a match there would be
	// refused: filepath.Glob is not let list folders outside the root,
	// which "/*/*/*/*" would do for the whole machine.
	if _, err := f.resolve("glob", fixedDir(pattern)); err != nil {
		if errors.Is(err, rootfs.ErrOutside) {
			return nil, nil
		}
	}
	matches, err := filepath.Glob(pattern)
	if err != nil {
		return nil, err
	}
	f.observeGlob(pattern)
	if !filesys.IsHiddenFilePath(pattern) {
		matches = filesys.RemoveHiddenFiles(matches)
	}
	var out []string
	for _, m := range matches {
		if _, err := f.resolve("glob", m); err == nil {
			out = append(out, m)
		}
	}
	return out, nil
}

// Walk walks the tree at path like filepath.Walk, after checking path is
// inside the root. filepath.Walk does not follow symlinks; an entry that is
// a symlink to outside the root is passed to walkFn with an error, so that
// reading it is refused either way.
func (f *FS) Walk(path string, walkFn filepath.WalkFunc) error {
	real, err := f.resolve("walk", path)
	if err != nil {
		return err
	}
	return filepath.Walk(real, func(p string, info fs.FileInfo, err error) error {
		if err == nil {
			if _, rerr := f.resolve("walk", p); rerr != nil {
				return walkFn(p, info, rerr)
			}
			f.observeWalked(p, info)
		} else {
			f.blind.Store(true)
		}
		return walkFn(p, info, err)
	})
}

// observeWalked records what Walk tells its caller of p: a folder's
// listing (Walk lists it next, and the caller sees each entry), or what
// is at p (for an entry, its folder's listing says so too, but not for the
// path Walk started at). Walk's FileInfo is Lstat's: a symlink is a
// symlink, and where it leads was recorded by resolve.
func (f *FS) observeWalked(p string, info fs.FileInfo) {
	if info.IsDir() {
		entries, err := os.ReadDir(p)
		if err != nil {
			f.blind.Store(true)
			return
		}
		f.rec.Dir(p, entries)
		return
	}
	f.stat(p)
}

// observeGlob records the observations filepath.Glob makes for pattern
// (absolute and clean): a pattern without meta characters is a lookup of
// one path; otherwise each folder its last element is matched in is
// listed, those folders being found by globbing the rest of the pattern
// the same way.
func (f *FS) observeGlob(pattern string) {
	if !hasMeta(pattern) {
		if real, err := f.resolve("glob", pattern); err == nil {
			f.stat(real)
		}
		return
	}
	dir, _ := filepath.Split(pattern)
	dir = filepath.Clean(dir)
	dirs := []string{dir}
	if hasMeta(dir) {
		f.observeGlob(dir)
		var err error
		if dirs, err = filepath.Glob(dir); err != nil {
			f.blind.Store(true)
			return
		}
	}
	for _, d := range dirs {
		real, err := f.resolve("glob", d)
		if err != nil {
			continue // outside: recorded by resolve; its matches are dropped
		}
		entries, err := os.ReadDir(real)
		if err != nil {
			f.stat(real) // absent, or not a folder: Glob matches nothing in it
			continue
		}
		f.rec.Dir(real, entries)
	}
}

// fixedDir is the folder of pattern before its first element with a
// meta character: every match lies under it.
func fixedDir(pattern string) string {
	dir := pattern
	for hasMeta(dir) {
		dir = filepath.Dir(dir)
	}
	if dir != pattern {
		return dir
	}
	return filepath.Dir(pattern)
}

// hasMeta reports whether p holds any of filepath.Match's special
// characters, as filepath.Glob decides.
func hasMeta(p string) bool {
	return strings.ContainsAny(p, `*?[\`)
}

// memFile is a regular file read whole at Open.
type memFile struct {
	*bytes.Reader
	info fs.FileInfo
}

func (m *memFile) Write([]byte) (int, error) {
	return 0, &fs.PathError{Op: "write", Path: m.info.Name(), Err: ErrReadOnly}
}
func (m *memFile) Close() error               { return nil }
func (m *memFile) Stat() (os.FileInfo, error) { return m.info, nil }

// readOnlyFile is a non-regular file (a directory) opened read-only.
type readOnlyFile struct{ file *os.File }

func (r readOnlyFile) Read(p []byte) (int, error) { return r.file.Read(p) }
func (r readOnlyFile) Write([]byte) (int, error) {
	return 0, &fs.PathError{Op: "write", Path: r.file.Name(), Err: ErrReadOnly}
}
func (r readOnlyFile) Close() error               { return r.file.Close() }
func (r readOnlyFile) Stat() (os.FileInfo, error) { return r.file.Stat() }
