package tree

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"
)

// A re-render mostly writes what the tree it replaces already holds, and
// writing a tree is most of what a re-render costs: creating thousands of
// files, then deleting the earlier thousands (ext4 spends its time looking
// for recently freed inodes). So Stage compares first. A tree that holds
// exactly the new files is left as it is, not a file or a modification
// time touched; otherwise the new tree is still built beside it and
// swapped in whole, so no reader ever sees half of it, but each file whose
// bytes are unchanged is a hard link to the earlier one instead of a new
// copy. The comparison only ever saves work: a file it cannot read, or
// whose link it cannot make, is written as before.

// earlier is what the tree being replaced already holds of a new one.
type earlier struct {
	// same are the files whose bytes and permissions are the new ones',
	// with what the comparison saw of each, to check that a link made
	// later reaches the same file.
	same map[string]fs.FileInfo
	// exact: the tree holds the new files and their folders, with the
	// permissions kiln gives them, and nothing else.
	exact bool
}

// unchanged reports whether writing files over the tree would change
// nothing at all.
func (e *earlier) unchanged(files Files) bool {
	return e != nil && e.exact && len(e.same) == len(files)
}

// file returns what compare saw of p, when p is the same.
func (e *earlier) file(p string) (fs.FileInfo, bool) {
	if e == nil {
		return nil, false
	}
	fi, ok := e.same[p]
	return fi, ok
}

// compare reads the tree at dir, a folder, against files. Only a done ctx
// fails it; what it cannot read is simply not the same.
func compare(ctx context.Context, dir string, files Files) (*earlier, error) {
	e := &earlier{same: map[string]fs.FileInfo{}, exact: true}
	r, err := os.OpenRoot(dir)
	if err != nil {
		e.exact = false
		return e, nil
	}
	defer r.Close()
	c := comparer{ctx: ctx, files: files, dirs: folders(files), e: e}
	c.umask, c.umaskKnown = umask()
	if err := c.checkFolder(r, ""); err != nil {
		return nil, err
	}
	return e, nil
}

// folders lists every folder below the root that files need.
func folders(files Files) map[string]bool {
	dirs := map[string]bool{}
	for p := range files {
		for d := path.Dir(p); d != "." && !dirs[d]; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	return dirs
}

type comparer struct {
	ctx        context.Context
	files      Files
	dirs       map[string]bool
	e          *earlier
	umask      fs.FileMode
	umaskKnown bool
	buf        []byte
}

// walk compares the folder r, at rel in the tree ("" at its root).
func (c *comparer) walk(r *os.Root, rel string) error {
	if err := c.ctx.Err(); err != nil {
		return err
	}
	f, err := r.Open(".")
	if err != nil {
		c.e.exact = false
		return nil
	}
	// The entries' types come with the listing: no stat per entry.
	entries, err := f.ReadDir(-1)
	f.Close()
	if err != nil {
		c.e.exact = false
		return nil
	}
	for _, de := range entries {
		p := de.Name()
		if rel != "" {
			p = rel + "/" + p
		}
		switch {
		case de.IsDir():
			if !c.dirs[p] {
				c.e.exact = false // a folder the new tree does not have
				continue
			}
			if err := c.folder(r, de.Name(), p); err != nil {
				return err
			}
		case de.Type().IsRegular():
			data, ok := c.files[p]
			if !ok {
				c.e.exact = false // a stale file
				continue
			}
			if fi, ok := c.file(r, de.Name(), data); ok {
				c.e.same[p] = fi
			} else {
				c.e.exact = false
			}
		default:
			c.e.exact = false // a link, a device: never kiln's
		}
	}
	return nil
}

// folder compares the subfolder name of r, at p in the tree.
func (c *comparer) folder(r *os.Root, name, p string) error {
	sub, err := r.OpenRoot(name)
	if err != nil {
		c.e.exact = false
		return nil
	}
	defer sub.Close()
	return c.checkFolder(sub, p)
}

// checkFolder compares the folder r, at rel in the tree, and its
// permissions.
func (c *comparer) checkFolder(r *os.Root, rel string) error {
	if fi, err := r.Stat("."); err != nil || !c.kilnPerm(fi.Mode().Perm(), dirPerm) {
		c.e.exact = false
	}
	return c.walk(r, rel)
}

// file reports whether name in r holds data with the permissions kiln
// writes: sizes first, then bytes.
func (c *comparer) file(r *os.Root, name string, data []byte) (fs.FileInfo, bool) {
	f, err := r.Open(name)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() != int64(len(data)) || !c.kilnPerm(fi.Mode().Perm(), filePerm) {
		return nil, false
	}
	if cap(c.buf) < len(data) {
		c.buf = make([]byte, len(data))
	}
	buf := c.buf[:len(data)]
	if _, err := io.ReadFull(f, buf); err != nil || !bytes.Equal(buf, data) {
		return nil, false
	}
	return fi, true
}

// The permissions kiln creates files and folders with, before the umask.
const (
	filePerm fs.FileMode = 0o644
	dirPerm  fs.FileMode = 0o755
)

// kilnPerm reports whether perm is what kiln would create an entry with
// now: want less the process's umask. A file made executable or private
// by hand is not unchanged, since writing the tree anew would reset it.
// Where the umask cannot be read without changing it (no /proc), any perm
// that some usual umask gives is accepted: want's owner bits, less others.
func (c *comparer) kilnPerm(perm, want fs.FileMode) bool {
	if c.umaskKnown {
		return perm == want&^c.umask
	}
	return perm&^want == 0 && perm&0o700 == want&0o700
}

// umask is the process's file mode creation mask, as Linux shows it in
// /proc/self/status (since 4.7). umask(2) cannot read it without setting
// it, which would race with every goroutine creating files meanwhile.
func umask() (fs.FileMode, bool) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "Umask:"); ok {
			m, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32)
			return fs.FileMode(m) & fs.ModePerm, err == nil
		}
	}
	return 0, false
}
