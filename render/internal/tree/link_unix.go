//go:build unix

package tree

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// newLinker links through file descriptors: the folder of the last link
// is kept open in both trees, so a link costs linkat and fstatat where
// os.Root walks both paths a component at a time, twice. Every folder is
// opened a component at a time with O_NOFOLLOW, so no symlink is
// followed, as with os.Root.
func (o *Out) newLinker(name string) linker {
	l := &fdLinker{o: o, name: name, old: -1, new: -1, oldDir: -1, newDir: -1}
	var err error
	if l.old, err = ignoringEINTR(func() (int, error) { return unix.Open(filepath.Join(o.root, name), openDir, 0) }); err != nil {
		return rootLinker{o, name}
	}
	if l.new, err = ignoringEINTR(func() (int, error) { return unix.Open(filepath.Join(o.root, newName(name)), openDir, 0) }); err != nil {
		unix.Close(l.old)
		return rootLinker{o, name}
	}
	return l
}

type fdLinker struct {
	o        *Out
	name     string
	old, new int // the two trees
	// dir is the folder of the last link; oldDir and newDir are it in
	// the two trees (-1 when not open).
	dir            string
	oldDir, newDir int
}

func (l *fdLinker) link(p string, id fileID) (bool, error) {
	if l.o.linkHook != nil {
		if err := l.o.linkHook(path.Join(l.name, p), path.Join(newName(l.name), p)); err != nil {
			return false, nil
		}
	}
	dir, base := path.Split(p)
	if err := l.cd(strings.TrimSuffix(dir, "/")); err != nil {
		return false, nil
	}
	if err := unix.Linkat(l.oldDir, base, l.newDir, base, 0); err != nil {
		return false, nil
	}
	var st unix.Stat_t
	if err := unix.Fstatat(l.newDir, base, &st, unix.AT_SYMLINK_NOFOLLOW); err == nil && (fileID{uint64(st.Dev), uint64(st.Ino)}) == id {
		return true, nil
	}
	if err := unix.Unlinkat(l.newDir, base, 0); err != nil {
		return false, fmt.Errorf("writing %s: undoing a link to a file replaced meanwhile: %w", p, err)
	}
	return false, nil
}

// cd opens dir ("" for the trees' roots) in both trees, unless it is the
// folder of the last link.
func (l *fdLinker) cd(dir string) error {
	if l.oldDir >= 0 && dir == l.dir {
		return nil
	}
	l.closeDir()
	var err error
	if l.oldDir, err = openPath(l.old, dir); err != nil {
		return err
	}
	if l.newDir, err = openPath(l.new, dir); err != nil {
		return err
	}
	l.dir = dir
	return nil
}

func (l *fdLinker) closeDir() {
	for _, fd := range []*int{&l.oldDir, &l.newDir} {
		if *fd >= 0 {
			unix.Close(*fd)
			*fd = -1
		}
	}
}

func (l *fdLinker) close() {
	l.closeDir()
	unix.Close(l.old)
	unix.Close(l.new)
}

// openPath opens the folder rel below the folder fd a component at a time,
// never through a symlink. The result is a new descriptor, also for "".
func openPath(fd int, rel string) (int, error) {
	cur := fd
	components := []string{"."}
	if rel != "" {
		components = strings.Split(rel, "/")
	}
	for _, c := range components {
		next, err := ignoringEINTR(func() (int, error) { return unix.Openat(cur, c, openDir, 0) })
		if cur != fd {
			unix.Close(cur)
		}
		if err != nil {
			return -1, err
		}
		cur = next
	}
	return cur, nil
}
