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
	// with the identity of the file compared, to check that a link made
	// later reaches that very file.
	same map[string]fileID
	// exact: the tree holds the new files and their folders, with the
	// permissions kiln gives them, and nothing else.
	exact bool
}

// unchanged reports whether writing files over the tree would change
// nothing at all.
func (e *earlier) unchanged(files Files) bool {
	return e != nil && e.exact && len(e.same) == len(files)
}

// file returns the identity of p's earlier file, when it is the same.
func (e *earlier) file(p string) (fileID, bool) {
	if e == nil {
		return fileID{}, false
	}
	id, ok := e.same[p]
	return id, ok
}

// folder is one folder of the earlier tree, open for the comparison.
type folder interface {
	// perm is the folder's permissions.
	perm() (fs.FileMode, error)
	// list is its entries, their types from the listing itself.
	list() ([]fs.DirEntry, error)
	// sub opens the subfolder name, never through a symlink.
	sub(name string) (folder, error)
	// same reports whether the file name holds data with permissions
	// kilnPerm accepts (sizes first, then bytes), and what file it read;
	// buf is scratch space.
	same(name string, data []byte, kilnPerm func(fs.FileMode) bool, buf *[]byte) (fileID, bool)
	close()
}

// compare reads the tree at dir, a folder, against files. Only a done ctx
// fails it; what it cannot read is simply not the same.
func compare(ctx context.Context, dir string, files Files) (*earlier, error) {
	f, err := openTree(dir)
	if err != nil {
		return &earlier{exact: false}, nil
	}
	return compareFolder(ctx, f, files)
}

// compareRoot is compare through os.Root, where openTree cannot do
// better.
func compareRoot(ctx context.Context, dir string, files Files) (*earlier, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return &earlier{exact: false}, nil
	}
	return compareFolder(ctx, rootFolder{r}, files)
}

func compareFolder(ctx context.Context, f folder, files Files) (*earlier, error) {
	defer f.close()
	c := comparer{ctx: ctx, files: files, dirs: folders(files), e: &earlier{same: map[string]fileID{}, exact: true}}
	c.umask, c.umaskKnown = umask()
	if err := c.walk(f, ""); err != nil {
		return nil, err
	}
	return c.e, nil
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

// walk compares the folder f, at rel in the tree ("" at its root).
func (c *comparer) walk(f folder, rel string) error {
	if err := c.ctx.Err(); err != nil {
		return err
	}
	if perm, err := f.perm(); err != nil || !c.kilnPerm(perm, dirPerm) {
		c.e.exact = false
	}
	entries, err := f.list()
	if err != nil {
		c.e.exact = false
		return nil
	}
	filePerm := func(perm fs.FileMode) bool { return c.kilnPerm(perm, filePerm) }
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
			sub, err := f.sub(de.Name())
			if err != nil {
				c.e.exact = false
				continue
			}
			err = c.walk(sub, p)
			sub.close()
			if err != nil {
				return err
			}
		case de.Type().IsRegular():
			data, ok := c.files[p]
			if !ok {
				c.e.exact = false // a stale file
				continue
			}
			if id, ok := f.same(de.Name(), data, filePerm, &c.buf); ok {
				c.e.same[p] = id
			} else {
				c.e.exact = false
			}
		default:
			c.e.exact = false // a link, a device: never kiln's
		}
	}
	return nil
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

// rootFolder reads a folder through os.Root, on every system.
type rootFolder struct{ r *os.Root }

func (f rootFolder) perm() (fs.FileMode, error) {
	fi, err := f.r.Stat(".")
	if err != nil {
		return 0, err
	}
	return fi.Mode().Perm(), nil
}

func (f rootFolder) list() ([]fs.DirEntry, error) {
	d, err := f.r.Open(".")
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.ReadDir(-1)
}

func (f rootFolder) sub(name string) (folder, error) {
	r, err := f.r.OpenRoot(name)
	if err != nil {
		return nil, err
	}
	return rootFolder{r}, nil
}

func (f rootFolder) same(name string, data []byte, kilnPerm func(fs.FileMode) bool, buf *[]byte) (fileID, bool) {
	file, err := f.r.Open(name)
	if err != nil {
		return fileID{}, false
	}
	defer file.Close()
	fi, err := file.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() != int64(len(data)) || !kilnPerm(fi.Mode().Perm()) {
		return fileID{}, false
	}
	b := grow(buf, len(data))
	if _, err := io.ReadFull(file, b); err != nil || !bytes.Equal(b, data) {
		return fileID{}, false
	}
	return idOf(fi), true
}

func (f rootFolder) close() { f.r.Close() }

// grow returns (*buf)[:n], reallocated when too small.
func grow(buf *[]byte, n int) []byte {
	if cap(*buf) < n {
		*buf = make([]byte, n)
	}
	return (*buf)[:n]
}
