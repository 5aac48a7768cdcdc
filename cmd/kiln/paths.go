package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/rootfs"
)

// folderFlag checks the folder a flag names (--out, --cache-dir,
// --rendered, --against DIR) and returns where it really is. A ".."
// after a symlink is refused: the kernel reads "link/.." as the folder
// above link's target, filepath.Join and a shell's cd as the folder
// holding link, and kiln both opens the folder itself and Joins names
// onto it. An --out read both ways reported an update it had written
// to the other folder. Refused, every later step reads the path one way.
// Guessing one reading instead could replace trees in a folder the user
// did not mean.
func folderFlag(flag, p string) (string, error) {
	lexical, kernel, err := rootfs.Readings(p)
	if err != nil {
		return "", &usageError{err: &diag.Error{File: p, Msg: fmt.Sprintf("cannot resolve %s: %s", flag, rootfs.Why(err)), Err: err,
			Hint: "give " + flag + " a folder that can be reached"}}
	}
	if lexical != kernel {
		return "", &usageError{err: &diag.Error{File: p,
			Msg:  fmt.Sprintf("%s %s has a .. after a symlink, so it names two folders: %s as the kernel reads it, %s as a shell's cd reads it", flag, p, kernel, lexical),
			Hint: fmt.Sprintf("give %s without the .., such as %s %s", flag, flag, kernel)}}
	}
	return kernel, nil
}

// checkOutFolder refuses an --out kiln cannot make a folder of, before
// anything renders: a part of it that exists is a file, or a symlink to
// nothing. Read from the top down, the first missing part ends it: what
// lies below is made.
func checkOutFolder(out string) error {
	abs, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	if err := notInGitDir("--out", out, "rendered"); err != nil {
		return err
	}
	sep := string(filepath.Separator)
	vol := filepath.VolumeName(abs)
	p := vol + sep
	what := "the folder kiln writes each env into, as <out>/<env>"
	for _, name := range strings.Split(abs[len(vol):], sep) {
		if name == "" {
			continue
		}
		p = filepath.Join(p, name)
		li, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		var fi fs.FileInfo
		if err == nil {
			fi, err = os.Stat(p)
		}
		switch {
		case errors.Is(err, fs.ErrNotExist) && li.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			return &usageError{err: &diag.Error{File: p, Msg: fmt.Sprintf("--out %s leads to a symlink to %s, which does not exist; --out is %s", out, target, what),
				Hint: "create the folder the symlink leads to, or give --out another folder, such as rendered"}}
		case err != nil:
			return &usageError{err: &diag.Error{File: p, Msg: "cannot read --out: " + rootfs.Why(err), Err: err,
				Hint: "give --out a folder kiln can create or write, such as rendered"}}
		case !fi.IsDir():
			return &usageError{err: &diag.Error{File: p, Msg: fmt.Sprintf("--out %s leads to a file, not a folder; --out is %s", out, what),
				Hint: "give --out a folder (kiln creates it when missing), such as rendered"}}
		}
	}
	return nil
}

// checkCacheOut refuses a render whose cache folder (--cache-dir, or the
// default one: XDG_CACHE_HOME may lie in the checkout) is --out, holds
// it, or lies in one of the env folders kiln replaces there: an entry
// kiln's tree does not list, refused or removed with the tree at every
// render. A cache beside the env folders (<out>/.cache) is left alone:
// kiln writes only <out>/<env>.
func checkCacheOut(c *cli.Context, p *envconfig.Pipeline, cacheRoot string) error {
	if c.Command.Name != "render" || cacheRoot == "" || c.String("out") == "" {
		return nil
	}
	cache, err := rootfs.RealPath(cacheRoot)
	if err != nil {
		return nil // the cache's own errors say more, where it is used
	}
	out, err := rootfs.RealPath(c.String("out"))
	if err != nil {
		return nil
	}
	shown, hint := "--cache-dir "+c.String("cache-dir"), "give --cache-dir a folder outside the env folders of --out, such as .kiln-cache"
	if c.String("cache-dir") == "" {
		shown, hint = "the default cache folder "+cacheRoot, "set XDG_CACHE_HOME (or pass --cache-dir) to a folder outside the env folders of --out, such as .kiln-cache"
	}
	var rel string
	switch {
	case cache == out:
		rel = "is"
	case rootfs.Within(cache, out):
		rel = "holds"
	default:
		for _, e := range p.Environments {
			if rootfs.Within(filepath.Join(out, e.Name), cache) {
				rel = "lies in env " + e.Name + "'s folder of"
				break
			}
		}
	}
	if rel == "" {
		return nil
	}
	return &usageError{err: &diag.Error{Msg: fmt.Sprintf("%s %s --out %s; kiln replaces each env's folder there at every render", shown, rel, c.String("out")),
		Hint: hint}}
}

// localPath is the path part of an --against value when it names a
// local folder or repository rather than a git URL (as git tells them
// apart: a scheme, or a colon before any slash).
func localPath(against string) (string, bool) {
	p := against
	if i := strings.LastIndex(p, "#"); i >= 0 {
		p = p[:i]
	}
	if p == "" || strings.Contains(p, "://") {
		return "", false
	}
	if i := strings.IndexByte(p, ':'); i > 0 && !strings.ContainsAny(p[:i], `/\`) && filepath.VolumeName(p) == "" {
		return "", false
	}
	return p, true
}

// checkFolders checks the folder flags of the command c runs, those it
// has: each names one folder (folderFlag), and render's --out can be one
// (checkCacheOut, once kiln.yaml is read, the cache's place).
func checkFolders(c *cli.Context) error {
	if p := c.String("out"); p != "" {
		if c.Command.Name == "render" {
			if err := checkOutFolder(p); err != nil {
				return err
			}
		}
		if _, err := folderFlag("--out", p); err != nil {
			return err
		}
	}
	if p := c.String("cache-dir"); p != "" {
		if _, err := folderFlag("--cache-dir", p); err != nil {
			return err
		}
		// The cache writes and prunes below it: .git/refs/renders/...
		// are refs to git.
		if err := notInGitDir("--cache-dir", p, ".kiln-cache"); err != nil {
			return err
		}
	}
	for _, p := range c.StringSlice("rendered") {
		if _, err := folderFlag("--rendered", p); err != nil {
			return err
		}
	}
	if p, ok := localPath(c.String("against")); ok {
		if _, err := folderFlag("--against", p); err != nil {
			return err
		}
	}
	return nil
}

// notInGitDir refuses a path flag (render's --out, --cache-dir, init's
// --config) that is or lies in git's metadata folder (rootfs.GitDir):
// .git, .GIT on a case-insensitive file system, a bare repository such as
// the manifests clone's. kiln would write there, and render replaces and
// prunes whole folders: --out .git/refs with an env named heads deletes
// every branch.
func notInGitDir(flag, p, example string) error {
	dir, err := rootfs.GitDir(p)
	if err != nil || dir == "" {
		return nil // folderFlag and the write report a path that does not resolve
	}
	return &usageError{err: &diag.Error{File: p,
		Msg:  fmt.Sprintf("%s %s is in git's metadata folder %s; kiln would write its files among git's own (refs, hooks, objects)", flag, p, dir),
		Hint: "give " + flag + " a path in the work tree or outside the repository, such as " + example}}
}
