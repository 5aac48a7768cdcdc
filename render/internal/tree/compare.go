package tree

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"io/fs"
	"os"
	"path"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"
	"golang.org/x/text/unicode/norm"

	"github.com/kiln-gitops/kiln/internal/carry"
)

// A re-render mostly writes what the tree it replaces already holds, and
// writing a tree is most of what a re-render costs: creating hundreds of
// folders and thousands of files, then deleting the earlier ones (ext4
// spends its time looking for recently freed inodes). So Stage compares
// first. A tree that holds exactly the new files is left as it is, not a
// file or a modification time touched; otherwise the comparison lists the
// few entries that differ, and only those are staged and put in place
// (journal.go). The comparison reads every file's bytes: a file edited by
// hand, whatever its size and modification time, is put back.

// earlier is how the tree being replaced differs from a new one.
type earlier struct {
	// ops are the entries to put or remove, sorted by path; no op's path
	// is below another's.
	ops []op
	// whole: the tree's own folder could not be read or does not have
	// the permissions kiln gives it; the whole tree is staged anew.
	whole bool
}

// unchanged reports whether writing files over the tree would change
// nothing at all.
func (e *earlier) unchanged() bool {
	return e != nil && !e.whole && len(e.ops) == 0
}

// folder is one folder of the earlier tree, open for the comparison.
type folder interface {
	// perm is the folder's permissions.
	perm() (fs.FileMode, error)
	// list is its entries, their types from the listing itself; buf is
	// scratch space.
	list(buf *[]byte) ([]dirent, error)
	// sub opens the subfolder name, never through a symlink.
	sub(name string) (folder, error)
	// same reports whether the file name holds data with permissions
	// kilnPerm accepts (sizes first, then bytes); buf is scratch space.
	same(name string, data []byte, kilnPerm func(fs.FileMode) bool, buf *[]byte) bool
	close()
}

// compare reads the tree at dir, a folder, against files. Only a done ctx
// fails it; what it cannot read is simply not the same.
func compare(ctx context.Context, dir string, files Files) (*earlier, error) {
	f, err := openTree(dir)
	if err != nil {
		return &earlier{whole: true}, nil
	}
	return compareFolder(ctx, f, files)
}

// compareRoot is compare through os.Root, where openTree cannot do
// better.
func compareRoot(ctx context.Context, dir string, files Files) (*earlier, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return &earlier{whole: true}, nil
	}
	return compareFolder(ctx, rootFolder{r}, files)
}

func compareFolder(ctx context.Context, f folder, files Files) (*earlier, error) {
	defer f.close()
	c := comparer{ctx: ctx, files: files, dirs: folders(files), seen: make(map[string]bool, len(files)), ops: map[string]op{}, kept: map[string]bool{}}
	c.umask, c.umaskKnown = umask()
	if perm, err := f.perm(); err != nil || !c.kilnPerm(perm, dirPerm) {
		return &earlier{whole: true}, nil
	}
	// The comparison is system calls (open, stat, read, close a file;
	// list a folder), and the process has nothing else to do meanwhile:
	// folders are walked on as many threads as Go runs.
	c.g.SetLimit(runtime.GOMAXPROCS(0))
	buf := scratches.Get().(*scratch)
	err := c.walk(f, "", buf)
	scratches.Put(buf)
	if werr := c.g.Wait(); err == nil {
		err = werr
	}
	c.panics.Raise()
	if err != nil {
		return nil, err
	}
	if c.whole {
		return &earlier{whole: true}, nil
	}
	if len(c.seen) < len(files) {
		c.missing()
	}
	if foldCollision(c.ops, files, c.dirs) {
		return &earlier{whole: true}, nil
	}
	e := &earlier{ops: make([]op, 0, len(c.ops))}
	for _, p := range SortedKeys(c.ops) {
		e.ops = append(e.ops, c.ops[p])
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
	dirs       map[string]bool // the folders files need
	g          errgroup.Group  // the walks of folders on other goroutines
	panics     carry.Panics    // theirs, raised once they are done
	umask      fs.FileMode
	umaskKnown bool

	mu sync.Mutex // guards the results, each folder's added at once:
	// seen are the files found the same, ops the entries that are not,
	// by path; kept are the folders listed and kept as they are ("" is
	// the root); whole says the root could not be listed.
	seen  map[string]bool
	ops   map[string]op
	kept  map[string]bool
	whole bool
}

// dirent is an entry of a folder as its listing tells it.
type dirent struct {
	name string
	typ  fs.FileMode // fs.FileMode's type bits: 0 for a regular file
}

// scratch is a walking goroutine's reusable space: for a file's bytes, and
// for a folder's listing. A walk takes one from scratches and puts it back,
// so the goroutines of a walk (one a folder, at most GOMAXPROCS at once)
// share a few.
type scratch struct{ data, list []byte }

var scratches = sync.Pool{New: func() any { return new(scratch) }}

// walk compares the folder f, at rel in the tree ("" at its root), whose
// permissions are kiln's; buf is its goroutine's scratch space. Each
// subfolder is walked on another goroutine when one is free, else here.
func (c *comparer) walk(f folder, rel string, buf *scratch) error {
	if err := c.ctx.Err(); err != nil {
		return err
	}
	var (
		seen []string
		ops  []op
	)
	entries, err := f.list(&buf.list)
	if err != nil {
		// Not readable: put it anew whole; the root can only be staged
		// whole.
		c.mu.Lock()
		defer c.mu.Unlock()
		if rel == "" {
			c.whole = true
		} else {
			c.ops[rel] = op{path: rel, put: true, dir: true}
		}
		return nil
	}
	filePerm := func(perm fs.FileMode) bool { return c.kilnPerm(perm, filePerm) }
	for _, de := range entries {
		p := de.name
		if rel != "" {
			p = rel + "/" + p
		}
		data, isFile := c.files[p]
		switch {
		case de.typ == fs.ModeDir && c.dirs[p]:
			sub, err := f.sub(de.name)
			if err != nil {
				ops = append(ops, op{path: p, put: true, dir: true})
				continue
			}
			if perm, err := sub.perm(); err != nil || !c.kilnPerm(perm, dirPerm) {
				// Made private or shared by hand: writing the tree
				// anew would reset it, so the folder is put anew.
				sub.close()
				ops = append(ops, op{path: p, put: true, dir: true})
				continue
			}
			if c.g.TryGo(func() error {
				defer c.panics.Catch()
				defer sub.close()
				buf := scratches.Get().(*scratch)
				defer scratches.Put(buf)
				return c.walk(sub, p, buf)
			}) {
				continue
			}
			err = c.walk(sub, p, buf)
			sub.close()
			if err != nil {
				return err
			}
		case isFile && de.typ == 0 && f.same(de.name, data, filePerm, &buf.data):
			seen = append(seen, p)
		case isFile:
			// Other bytes or permissions, a folder, a link, a device.
			ops = append(ops, op{path: p, put: true})
		case c.dirs[p]:
			// A file, link or device where the new tree has a folder.
			ops = append(ops, op{path: p, put: true, dir: true})
		default:
			ops = append(ops, op{path: p}) // stale: not in the new tree
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.kept[rel] = true
	for _, p := range seen {
		c.seen[p] = true
	}
	for _, o := range ops {
		c.ops[o.path] = o
	}
	return nil
}

// missing adds an op for each new file the earlier tree has no entry
// for: the file itself where its folder was kept, else the topmost of its
// folders the tree lacks, put whole.
func (c *comparer) missing() {
	for p := range c.files {
		if c.seen[p] {
			continue
		}
		e := p
		for d := path.Dir(e); d != "." && !c.kept[d]; d = path.Dir(e) {
			e = d
		}
		if _, ok := c.ops[e]; !ok {
			c.ops[e] = op{path: e, put: true, dir: e != p}
		}
	}
}

// foldCollision reports whether an entry to remove has a name that only
// case or Unicode normalization tells apart from an entry of the new tree
// ("a.yaml" removed, "A.yaml" put). Where the file system ignores those
// (macOS, Windows) both are one entry, so removing the one could take the
// other away; such a tree is staged whole instead.
func foldCollision(ops map[string]op, files Files, dirs map[string]bool) bool {
	var dels []string
	for p, o := range ops {
		if !o.put {
			dels = append(dels, p)
		}
	}
	if len(dels) == 0 {
		return false
	}
	fold := func(p string) string { return strings.ToLower(norm.NFC.String(p)) }
	folded := make(map[string]bool, len(files)+len(dirs))
	for p := range files {
		folded[fold(p)] = true
	}
	for d := range dirs {
		folded[fold(d)] = true
	}
	for _, p := range dels {
		if folded[fold(p)] {
			return true // p itself is no new entry: it would not be removed
		}
	}
	return false
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

func (f rootFolder) list(*[]byte) ([]dirent, error) {
	d, err := f.r.Open(".")
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return readDir(d)
}

// readDir lists the folder open as d.
func readDir(d *os.File) ([]dirent, error) {
	entries, err := d.ReadDir(-1)
	if err != nil {
		return nil, err
	}
	list := make([]dirent, len(entries))
	for i, de := range entries {
		list[i] = dirent{name: de.Name(), typ: de.Type()}
	}
	return list, nil
}

func (f rootFolder) sub(name string) (folder, error) {
	r, err := f.r.OpenRoot(name)
	if err != nil {
		return nil, err
	}
	return rootFolder{r}, nil
}

func (f rootFolder) same(name string, data []byte, kilnPerm func(fs.FileMode) bool, buf *[]byte) bool {
	file, err := f.r.Open(name)
	if err != nil {
		return false
	}
	defer file.Close()
	fi, err := file.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() != int64(len(data)) || !kilnPerm(fi.Mode().Perm()) {
		return false
	}
	b := grow(buf, len(data))
	_, err = io.ReadFull(file, b)
	return err == nil && bytes.Equal(b, data)
}

func (f rootFolder) close() { f.r.Close() }

// grow returns (*buf)[:n], reallocated when too small.
func grow(buf *[]byte, n int) []byte {
	if cap(*buf) < n {
		*buf = make([]byte, n)
	}
	return (*buf)[:n]
}
