//go:build !unix

package tree

import (
	"io/fs"
	"os"
)

// fileID identifies a file by what os.SameFile compares.
type fileID struct{ fi fs.FileInfo }

func idOf(fi fs.FileInfo) fileID { return fileID{fi} }

// is reports whether fi is the file id names.
func (id fileID) is(fi fs.FileInfo) bool { return id.fi != nil && os.SameFile(id.fi, fi) }

// openTree opens the tree at dir for compare, through os.Root.
func openTree(dir string) (folder, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return rootFolder{r}, nil
}
