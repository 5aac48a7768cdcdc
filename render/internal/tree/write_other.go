//go:build !unix

package tree

import (
	"context"
	"os"
)

// writeTree writes the files rels (sorted) into dir, a folder kiln made
// empty, each holding files[prefix+rel], through os.Root.
func writeTree(ctx context.Context, dir string, files Files, rels []string, prefix string) error {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer r.Close()
	return writeAll(ctx, r, files, rels, prefix)
}
