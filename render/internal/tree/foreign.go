package tree

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/kiln-gitops/kiln/internal/lockfile"
)

// foreign lists the entries of dir, a tree kiln wrote (it holds
// MarkerFile), that kiln did not write (lockfile.Wrote) and that writing
// files over it would delete or change: a README or CODEOWNERS put next to
// the tree, a folder of the user's own, their own Kustomization in flux/.
// Such a file is not kiln's to delete (promote refuses the same). Folders
// are named with a trailing slash and not entered. Only the tree's root
// and its flux/ folder are listed: below apps/ and high-level/ every file
// is kiln's, so the check costs two listings, not a walk.
func foreign(dir string, files Files, bootstrap []string) ([]string, error) {
	lock, _ := lockfile.Parse(readOr(filepath.Join(dir, MarkerFile)))
	var found []string
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading output folder: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		switch {
		case name == "apps" || name == "high-level" || name == "flux" && !e.IsDir():
			// Every file below is kiln's; a link or file in their place
			// is replaced, what it points to left alone.
		case name == "flux":
			sub, err := os.ReadDir(filepath.Join(dir, name))
			if err != nil {
				return nil, fmt.Errorf("reading output folder: %w", err)
			}
			for _, f := range sub {
				rel := "flux/" + f.Name()
				switch {
				case slices.Contains(bootstrap, rel+"/"):
					// Kept (KeepBootstrap).
				case lockfile.Wrote(rel, true, lock):
				case f.Type().IsRegular() && sameFile(dir, rel, files):
					// Not kiln's, but left as it is.
				default:
					found = append(found, entryName(rel, f))
				}
			}
		case lockfile.Wrote(name, true, lock):
		case e.Type().IsRegular() && lockfile.Placeholder(name, empty(filepath.Join(dir, name))):
		default:
			found = append(found, entryName(name, e))
		}
	}
	sort.Strings(found)
	return found, nil
}

// readOr returns the file's bytes, or nil where it cannot be read (then
// the lock does not parse, and every Kustomization in flux/ is taken for
// kiln's, as lockfile.Wrote says).
func readOr(p string) []byte {
	data, _ := os.ReadFile(p)
	return data
}

// sameFile reports whether the tree's file rel already holds what files
// would write there.
func sameFile(dir, rel string, files Files) bool {
	want, ok := files[rel]
	if !ok {
		return false
	}
	got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
	return err == nil && bytes.Equal(got, want)
}

// empty reports whether the file p holds nothing.
func empty(p string) bool {
	fi, err := os.Lstat(p)
	return err == nil && fi.Size() == 0
}

// entryName is rel, with a slash after a folder's name.
func entryName(rel string, e fs.DirEntry) string {
	if e.IsDir() {
		return rel + "/"
	}
	return rel
}

// foreignError says which entries of dir kiln would delete or change.
func foreignError(dir string, found []string) error {
	shown := found
	if len(shown) > 5 {
		shown = append(shown[:5:5], fmt.Sprintf("and %d more", len(found)-5))
	}
	return &NotKilnTreeError{Dir: dir,
		What: fmt.Sprintf("this tree holds %s that kiln did not write: %s", entriesText(len(found)), strings.Join(shown, ", ")),
		Hint: fmt.Sprintf("kiln replaces %s whole, keeping only Flux's bootstrap in %s; move these entries out of it, or pass --force (KILN_FORCE=true) to delete them", dir, BootstrapDir)}
}
