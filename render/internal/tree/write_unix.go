//go:build unix

package tree

import (
	"context"
	"fmt"
	"io"
	"path"
	"strings"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sys/unix"

	"github.com/kiln-gitops/kiln/internal/carry"
)

// A whole tree (a first render, or one whose earlier tree is gone, as in
// every CI run on a fresh clone) is most of a render's writing: 600 files
// in 200 folders for an env of 100 apps. Through os.Root each file cost a
// walk of its path from the root and the file's own open, one at a time;
// the file system's latency, not the CPU, set the pace. Here each folder is
// made and opened once, by a walk of openat with O_NOFOLLOW from the new
// tree's descriptor, as os.Root does it, and its files are created
// relative to it with O_EXCL|O_NOFOLLOW (in a folder kiln just made, a
// name that exists is not kiln's), writeWorkers folders at a time.

// writeWorkers is how many folders are written at once. Creating a file
// waits on the file system more than it uses a core, so more than
// GOMAXPROCS keep the cores busy: on 2 cores 8 wrote an env's tree in a
// fifth of the time one did (BenchmarkWriteWhole).
const writeWorkers = 8

const createFile = unix.O_WRONLY | unix.O_CREAT | unix.O_EXCL | unix.O_NOFOLLOW | unix.O_CLOEXEC

// writeTree writes the files rels (sorted) into dir, a folder kiln made
// empty, each holding files[prefix+rel], making their folders.
func writeTree(ctx context.Context, dir string, files Files, rels []string, prefix string) error {
	root, err := ignoringEINTR(func() (int, error) { return unix.Open(dir, openDir, 0) })
	if err != nil {
		return fmt.Errorf("opening the new tree's folder: %w", err)
	}
	defer unix.Close(root)
	groups := byFolder(rels)
	// Each folder's error is kept in its place, and the first in folder
	// order returned: which goroutine fails first must not change the
	// message.
	errs := make([]error, len(groups))
	var g errgroup.Group
	g.SetLimit(writeWorkers)
	var panics carry.Panics
	for i, grp := range groups {
		g.Go(func() error {
			defer panics.Catch()
			errs[i] = writeFolder(ctx, root, files, grp, prefix)
			return nil
		})
	}
	_ = g.Wait()
	panics.Raise()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// writeFolder makes grp's folder below root (its parents too: another
// goroutine may be making them) and writes its files.
func writeFolder(ctx context.Context, root int, files Files, grp folderFiles, prefix string) error {
	fd := root
	if grp.dir != "." {
		for _, name := range strings.Split(grp.dir, "/") {
			if err := unix.Mkdirat(fd, name, uint32(dirPerm)); err != nil && err != unix.EEXIST {
				closeSub(fd, root)
				return fmt.Errorf("writing %s: %w", prefix+grp.dir, err)
			}
			sub, err := ignoringEINTR(func() (int, error) { return unix.Openat(fd, name, openDir, 0) })
			closeSub(fd, root)
			if err != nil {
				return fmt.Errorf("writing %s: %w", prefix+grp.dir, err)
			}
			fd = sub
		}
		defer unix.Close(fd)
	}
	for _, rel := range grp.rels {
		if err := ctx.Err(); err != nil {
			return err
		}
		base := rel[strings.LastIndexByte(rel, '/')+1:]
		if err := createWith(fd, base, files[prefix+rel]); err != nil {
			return fmt.Errorf("writing %s: %w", prefix+rel, err)
		}
	}
	return nil
}

// closeSub closes fd unless it is root, which its caller closes.
func closeSub(fd, root int) {
	if fd != root {
		unix.Close(fd)
	}
}

// createWith creates the file name in the folder open at dir, holding data.
func createWith(dir int, name string, data []byte) error {
	fd, err := ignoringEINTR(func() (int, error) { return unix.Openat(dir, name, createFile, uint32(filePerm)) })
	if err != nil {
		return err
	}
	for len(data) > 0 {
		n, err := ignoringEINTR(func() (int, error) { return unix.Write(fd, data) })
		if err == nil && n == 0 {
			err = io.ErrShortWrite
		}
		if err != nil {
			unix.Close(fd)
			return err
		}
		data = data[n:]
	}
	return unix.Close(fd)
}

// folderFiles are the files of one folder of a tree (dir "." for the
// top), by their paths in the tree.
type folderFiles struct {
	dir  string
	rels []string
}

// byFolder groups rels (sorted) by folder, in order.
func byFolder(rels []string) []folderFiles {
	var out []folderFiles
	at := map[string]int{}
	for _, rel := range rels {
		d := path.Dir(rel)
		i, ok := at[d]
		if !ok {
			i = len(out)
			at[d] = i
			out = append(out, folderFiles{dir: d})
		}
		out[i].rels = append(out[i].rels, rel)
	}
	return out
}
