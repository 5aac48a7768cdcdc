package tree

import (
	"fmt"
	"path"
)

// linker puts files of the earlier tree of one env into its new tree as
// hard links (see compare.go).
type linker interface {
	// link makes p of the new tree a hard link to p of the earlier tree,
	// which compare saw (id) holding p's bytes, and reports whether it
	// did. A link that cannot be made (a file system without hard links, a
	// file of another user) is no error: the caller writes the file. A
	// link that reaches another file than the one compared (replaced
	// meanwhile) is undone first; should that fail, the caller must not
	// write through it into the earlier tree's file, so it is an error.
	// p's folder exists in the new tree.
	link(p string, id fileID) (bool, error)
	close()
}

// rootLinker links through the output root's os.Root, on every system.
type rootLinker struct {
	o    *Out
	name string
}

func (l rootLinker) link(p string, id fileID) (bool, error) {
	src, dst := path.Join(l.name, p), path.Join(newName(l.name), p)
	if l.o.linkHook != nil {
		if err := l.o.linkHook(src, dst); err != nil {
			return false, nil
		}
	}
	if err := l.o.fsys.Link(src, dst); err != nil {
		return false, nil
	}
	if li, err := l.o.fsys.Lstat(dst); err == nil && id.is(li) {
		return true, nil
	}
	if err := l.o.fsys.Remove(dst); err != nil {
		return false, fmt.Errorf("writing %s: undoing a link to a file replaced meanwhile: %w", p, err)
	}
	return false, nil
}

func (rootLinker) close() {}
