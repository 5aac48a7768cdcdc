//go:build !unix

package tree

import "os"

// openTree opens the tree at dir for compare, through os.Root.
func openTree(dir string) (folder, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return rootFolder{r}, nil
}
