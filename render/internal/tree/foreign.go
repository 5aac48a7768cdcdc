package tree

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/kiln-gitops/kiln/internal/limits"
	"github.com/kiln-gitops/kiln/internal/lockfile"
	"github.com/kiln-gitops/kiln/internal/words"
)

// foreign lists the entries of dir, a tree kiln wrote (it holds
// MarkerFile), that kiln did not write (lockfile.Wrote) and that writing
// files over it would delete or change: a README or CODEOWNERS put next to
// the tree, a folder of the user's own, their own Kustomization in flux/.
// Such a file is not kiln's to delete (promote refuses the same). Folders
// are named with a trailing slash and not entered. Only the tree's root
// and its flux/, apps/ and high-level/ folders are listed: below an app's
// folder every file is kiln's, so the check costs four listings, not a
// walk.
// lock is the tree's, nil when it does not parse; lockBad, when it is nil
// or names no apps (then nothing but the lock is kiln's), says so for the
// error.
func foreign(dir string, files Files, bootstrap []string, lock *lockfile.Lock) (found []string, lockBad string, err error) {
	lockBad = lockfile.NamesNoApp(lock)
	wrote := func(rel string) bool {
		return lockfile.Wrote(rel, true, lock) ||
			rel == lockfile.NotificationsFile && lockfile.Notifications(readOr(filepath.Join(dir, filepath.FromSlash(rel))))
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, lockBad, fmt.Errorf("reading output folder: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		switch {
		case (name == "apps" || name == "high-level" || name == "flux") && !e.IsDir():
			// A link or file in their place is replaced, what it points
			// to left alone.
		case name == "apps" || name == "high-level" || name == "flux":
			sub, err := os.ReadDir(filepath.Join(dir, name))
			if err != nil {
				return nil, lockBad, fmt.Errorf("reading output folder: %w", err)
			}
			for _, f := range sub {
				rel := name + "/" + f.Name()
				switch {
				case slices.Contains(bootstrap, rel+"/"):
					// Kept (KeepBootstrap).
				case wrote(rel):
				case name != "flux" && wrote(rel+"/"):
					// An app's folder: every file below is kiln's.
				case name != "flux" && f.IsDir() && noFiles(filepath.Join(dir, name, f.Name())):
					// A folder of no app that holds no file: removing
					// it loses nothing (git keeps no empty folder).
				case f.Type().IsRegular() && (sameFile(dir, rel, files) || lockfile.Placeholder(rel, empty(filepath.Join(dir, filepath.FromSlash(rel))))):
					// Not kiln's, but left as it is, or a placeholder.
				default:
					found = append(found, entryName(rel, f))
				}
			}
		case wrote(name):
		case e.Type().IsRegular() && lockfile.Placeholder(name, empty(filepath.Join(dir, name))):
		default:
			found = append(found, entryName(name, e))
		}
	}
	sort.Strings(found)
	return found, lockBad, nil
}

// noFiles reports whether the folder p holds nothing but folders that hold
// nothing, no link included.
func noFiles(p string) bool {
	found := false
	err := filepath.WalkDir(p, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			found = true
			return filepath.SkipAll
		}
		return nil
	})
	return err == nil && !found
}

// readOr returns the file's bytes, or nil where it cannot be read or is
// larger than a rendered tree's file may be (then the lock does not
// parse, and nothing but the lock is taken for kiln's, as lockfile.Wrote
// says).
func readOr(p string) []byte {
	data, _ := limits.ReadFileMax(p, p, limits.TreeFile)
	return data
}

// sameFile reports whether the tree's file rel already holds what files
// would write there.
func sameFile(dir, rel string, files Files) bool {
	want, ok := files[rel]
	if !ok {
		return false
	}
	p := filepath.Join(dir, filepath.FromSlash(rel))
	// Sized first: a file of another size is not the same, and is not
	// read (a user's file may be of any size).
	if fi, err := os.Lstat(p); err != nil || !fi.Mode().IsRegular() || fi.Size() != int64(len(want)) {
		return false
	}
	got, err := limits.ReadFileMax(p, p, int64(len(want)))
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
func foreignError(dir string, found []string, lockBad string) error {
	why := ""
	if lockBad != "" {
		why = fmt.Sprintf(" (its %s %s, so it names none of kiln's apps: restore it, from git if the folder is a checkout, to let kiln tell its files)", MarkerFile, lockBad)
	}
	return &NotKilnTreeError{Dir: dir,
		What: fmt.Sprintf("this tree holds %s that kiln did not write: %s%s", entriesText(len(found)), words.First(found, 5), why),
		Hint: fmt.Sprintf("kiln replaces %s whole, keeping only Flux's bootstrap in %s; move these entries out of it, or pass --force (KILN_FORCE=true) to delete them", dir, BootstrapDir)}
}
