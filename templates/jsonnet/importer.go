package jsonnet

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode"

	gojsonnet "github.com/google/go-jsonnet"

	"github.com/kiln-gitops/kiln/internal/deps"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/limits"
	"github.com/kiln-gitops/kiln/internal/rootfs"
)

// fileCache holds file contents by resolved absolute path, shared by the
// renders of one Engine, so that a library imported by every environment
// is read once. It assumes files do not change while the Engine lives.
type fileCache struct {
	mu    sync.Mutex
	files map[string]gojsonnet.Contents
}

// load returns the contents of the file at real (resolved, inside the
// root); ok is false when there is no such file. The same Contents value
// comes back for the same path every time: the VM checks that.
func (c *fileCache) load(real string) (contents gojsonnet.Contents, ok bool, err error) {
	c.mu.Lock()
	contents, ok = c.files[real]
	c.mu.Unlock()
	if ok {
		return contents, true, nil
	}
	// Read without the lock, so renders of other apps do not wait on I/O.
	data, err := limits.ReadFile(real)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return gojsonnet.Contents{}, false, nil
	case err != nil:
		return gojsonnet.Contents{}, false, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if have, ok := c.files[real]; ok {
		return have, true, nil // another render was quicker
	}
	contents = gojsonnet.MakeContentsRaw(data)
	c.files[real] = contents
	return contents, true, nil
}

// importer resolves imports for one render, inside root only. It is a
// gojsonnet.Importer; a VM uses it from one goroutine, so it needs no lock.
//
// foundAt, the name the VM knows a file by (in error messages and stack
// traces, and as importedFrom of the file's own imports), is the file's
// repo-relative slash path as reached, before symlinks are resolved: like
// the jsonnet command, a relative import in a symlinked file resolves from
// the link's folder.
//
// It records, for the render cache, every candidate it looked at: where
// it led, and either that nothing was there (a file created there later
// would shadow the one found further along the jpath) or the content
// found.
type importer struct {
	root  string
	jpath []string // repo-relative, cleaned
	cache *fileCache
	rec   *deps.Recorder

	read     map[string]bool // foundAt of every file read
	contents map[string]gojsonnet.Contents
	failures []*importError
	// code holds the imports of the files checked (checkSource) that read
	// a file as Jsonnet, by importing file's foundAt and path as written.
	code map[codeImport]bool
}

// codeImport is an import expression: the importing file's foundAt and the
// path it names.
type codeImport struct{ from, path string }

var _ gojsonnet.Importer = (*importer)(nil)

func newImporter(root string, jpath []string, cache *fileCache, rec *deps.Recorder) *importer {
	jp := make([]string, len(jpath))
	for i, p := range jpath {
		jp[i] = path.Clean(p)
	}
	return &importer{root: root, jpath: jp, cache: cache, rec: rec, read: map[string]bool{}, contents: map[string]gojsonnet.Contents{},
		code: map[codeImport]bool{}}
}

// importError is an import that failed. The VM turns an importer's error
// into a RuntimeError carrying only the message, so the importer keeps
// its errors to give the cause back (see convertError).
type importError struct {
	// Path is the import path as written.
	Path string
	// From is the importing file, "" for the main file.
	From string
	// Tried lists the repo-relative candidates looked at, in order.
	Tried []string
	// Err is the cause: a *rootfs.OutsideError, or an I/O error; nil
	// when the file was not found.
	Err error
}

func (e *importError) Error() string {
	tried := make([]string, len(e.Tried))
	for i, t := range e.Tried {
		tried[i] = shownPath(t)
	}
	switch {
	case errors.Is(e.Err, rootfs.ErrOutside):
		via := tried[len(tried)-1]
		if e.Tried[len(e.Tried)-1] == e.Path {
			return fmt.Sprintf("import %q leads outside the repository", e.Path)
		}
		if e.missingInside() {
			return fmt.Sprintf("import %q: %s does not exist, and from the jpath it leads outside the repository (via %s)", e.Path, strings.Join(tried[:len(tried)-1], ", "), via)
		}
		return fmt.Sprintf("import %q leads outside the repository (via %s)", e.Path, via)
	case errors.As(e.Err, new(*diag.Error)):
		// A bound checkSource refused: its own message names file and line.
		return e.Err.Error()
	case errors.As(e.Err, new(*limits.IrregularError)):
		var ie *limits.IrregularError
		errors.As(e.Err, &ie)
		return fmt.Sprintf("cannot read import %q: %s is %s", e.Path, tried[len(tried)-1], ie.What())
	case errors.Is(e.Err, limits.ErrLimit):
		return fmt.Sprintf("cannot read import %q (at %s): %s", e.Path, tried[len(tried)-1], limits.Describe(e.Err))
	case e.Err != nil:
		// Not e.Err's text: it holds the absolute path on this machine.
		return fmt.Sprintf("cannot read import %q (at %s)", e.Path, tried[len(tried)-1])
	}
	return fmt.Sprintf("import %q not found (looked for %s)", e.Path, strings.Join(tried, ", "))
}

// shownPath is p as an error shows it: quoted when it holds a character
// that does not print, such as a line break, which an import path may
// hold (go-jsonnet's own test programs import "…\n\n\t\t") and which
// written as it is broke the error's line in two.
func shownPath(p string) string {
	if strings.IndexFunc(p, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return strconv.Quote(p)
	}
	return p
}

func (e *importError) Unwrap() error { return e.Err }

// missingInside reports whether an import that leads outside the
// repository does so only from a jpath folder, its ../ path climbing out
// of it, where next to the importing file it named a file inside that
// does not exist: the missing file is what to fix, not the jpath (tempo's
// example/tk, without the operations/tempo-mixin it imports from lib/).
func (e *importError) missingInside() bool {
	return errors.Is(e.Err, rootfs.ErrOutside) && len(e.Tried) > 1 && strings.HasPrefix(e.Tried[len(e.Tried)-1], "../")
}

// Import implements gojsonnet.Importer. importedFrom is the foundAt of
// the importing file, "" for the main file, whose path is repo-relative.
// A relative import is looked up next to the importing file, then in each
// jpath folder in order (the first listed wins). An absolute import must
// lead inside the root. A candidate that leads outside the root is an
// error at once, even if a later candidate exists.
func (im *importer) Import(importedFrom, importedPath string) (gojsonnet.Contents, string, error) {
	var cands []string
	switch {
	case filepath.IsAbs(importedPath):
		cands = []string{filepath.Clean(importedPath)}
	case importedFrom == "":
		cands = []string{path.Clean(importedPath)}
	default:
		cands = append(cands, path.Join(path.Dir(importedFrom), importedPath))
		for _, jp := range im.jpath {
			cands = append(cands, path.Join(jp, importedPath))
		}
	}
	ie := &importError{Path: importedPath, From: importedFrom}
	for _, c := range cands {
		foundAt := c
		if filepath.IsAbs(c) {
			foundAt = rootfs.Rel(im.root, c)
		}
		ie.Tried = append(ie.Tried, foundAt)
		real, err := im.rec.Resolve(im.root, c)
		if err != nil {
			ie.Err = err
			return im.fail(ie)
		}
		contents, ok, err := im.cache.load(real)
		if err != nil {
			ie.Err = err
			return im.fail(ie)
		}
		if !ok {
			im.rec.Stat(c, nil, fs.ErrNotExist)
			continue
		}
		im.rec.File(c, contents.Data())
		// The main file, and a file imported with import, are Jsonnet the
		// VM evaluates; one read with importstr or importbin is data.
		if importedFrom == "" || im.code[codeImport{importedFrom, importedPath}] {
			imports, err := checkSource(foundAt, contents.String())
			if err != nil {
				ie.Err = err
				return im.fail(ie)
			}
			for _, p := range imports {
				im.code[codeImport{foundAt, p}] = true
			}
		}
		im.read[foundAt] = true
		im.contents[foundAt] = contents
		return contents, foundAt, nil
	}
	return im.fail(ie)
}

func (im *importer) fail(ie *importError) (gojsonnet.Contents, string, error) {
	im.failures = append(im.failures, ie)
	return gojsonnet.Contents{}, "", ie
}

// inputs returns the files read, sorted.
func (im *importer) inputs() []string {
	out := make([]string, 0, len(im.read))
	for p := range im.read {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}
