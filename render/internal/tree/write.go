package tree

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Files is an output tree in memory: slash-separated relative path → content.
type Files map[string][]byte

// Check refuses paths that would land outside the tree.
func (f Files) Check() error {
	for p := range f {
		if p == "" || path.IsAbs(p) || strings.HasPrefix(p, "/") || path.Clean(p) != p || p == ".." || strings.HasPrefix(p, "../") {
			return fmt.Errorf("output path %q is not a clean relative path", p)
		}
	}
	return nil
}

// Write replaces the folder dir with exactly files. The new tree is written
// to a temporary sibling first and renamed into place; on any error dir is
// left as it was. The earlier tree is moved aside and removed only after the
// new one is in place.
func Write(dir string, files Files) (err error) {
	if err := files.Check(); err != nil {
		return err
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("creating output folder: %w", err)
	}
	base := filepath.Base(dir)
	tmp, err := os.MkdirTemp(parent, "."+base+".new-")
	if err != nil {
		return fmt.Errorf("creating temporary folder: %w", err)
	}
	defer func() {
		if err != nil {
			_ = os.RemoveAll(tmp)
		}
	}()
	// MkdirTemp makes 0700; the tree is ordinary output, readable by others.
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("setting folder mode: %w", err)
	}
	for _, p := range SortedKeys(files) {
		target := filepath.Join(tmp, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return fmt.Errorf("writing %s: %w", p, err)
		}
		if err := os.WriteFile(target, files[p], 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", p, err)
		}
	}

	old := ""
	if _, statErr := os.Lstat(dir); statErr == nil {
		old = tmp + ".old"
		if err := os.Rename(dir, old); err != nil {
			return fmt.Errorf("moving the earlier tree aside: %w", err)
		}
	} else if !errors.Is(statErr, os.ErrNotExist) {
		return fmt.Errorf("reading output folder: %w", statErr)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if old != "" {
			// Put the earlier tree back; the render failed as a whole.
			_ = os.Rename(old, dir)
		}
		return fmt.Errorf("moving the new tree into place: %w", err)
	}
	if old != "" {
		if err := os.RemoveAll(old); err != nil {
			return fmt.Errorf("removing the earlier tree: %w", err)
		}
	}
	return nil
}

// Read loads the regular files below dir, slash paths relative to it. A
// missing dir is an error (errors.Is fs.ErrNotExist); so is any file that is
// not regular: kiln's trees hold none, and following a symlink could read
// from anywhere.
func Read(dir string) (Files, error) {
	files := Files{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s is not a regular file", p)
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		files[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("reading tree %s: %w", dir, err)
	}
	return files, nil
}
