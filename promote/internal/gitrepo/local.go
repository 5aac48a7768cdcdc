package gitrepo

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/kiln-gitops/kiln/internal/gitinfo"
)

// Local runs git in dir, a local repository that is not a Repo (the user's
// code checkout, for kiln verify), with env (the process's when nil), and
// returns its trimmed stdout, or an error with its stderr.
func Local(ctx context.Context, dir string, env []string, args ...string) (string, error) {
	cmd := gitinfo.Command(ctx, 5*time.Second, "git", append([]string{"-C", dir}, args...)...)
	if env != nil {
		cmd.Env = env
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			return "", err
		}
		return "", fmt.Errorf("git %s: %s", subcommand(args), msg)
	}
	return strings.TrimSpace(stdout.String()), nil
}

// subcommand is the git command args run, past the options before it
// (-c NAME=VALUE, --git-dir=DIR), for an error to name.
func subcommand(args []string) string {
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "-c" || a == "-C":
			i++
		case !strings.HasPrefix(a, "-"):
			return a
		}
	}
	return args[0]
}

// CommonDir is the absolute path of the git folder of the repository whose
// work tree top is: the folder a linked worktree's own git folder belongs
// to, which holds the objects, the configuration and the worktree entries.
func CommonDir(ctx context.Context, top string, env []string) (string, error) {
	dir, err := Local(ctx, top, env, "rev-parse", "--git-common-dir")
	if err != nil {
		return "", err
	}
	// Relative to top in the main worktree (".git").
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(top, dir)
	}
	return dir, nil
}

// Export writes the files of commit, in the local repository whose work
// tree top is, into dst, an empty folder outside it, as a checkout of the
// commit would: with the repository's configuration and the commit's
// .gitattributes (filters, line endings), symlinks as symlinks, and an
// empty folder for each submodule. It writes nothing into the repository:
// no worktree entry (git worktree add leaves one, locked, when killed
// half-way, which git worktree prune never removes), no ref, no index.
// The commit's index is built in scratch instead, an empty folder the
// caller owns and removes, as it does dst. So are the objects a partial
// clone fetches for the commit's files (blobs its filter left out): git
// writes them to scratch's object folder, reading the repository's own
// as an alternate, where they would have gone into the repository's
// .git/objects, where kiln has no business writing. So is the object
// cache of a git-lfs smudge filter (lfsStorage). No hook runs.
func Export(ctx context.Context, top, commit, dst, scratch string, env []string) error {
	if strings.HasPrefix(commit, "-") {
		return fmt.Errorf("%q is not a commit", commit)
	}
	// The repository's own git folder, not a linked worktree's: that
	// checkout's HEAD, index and config.worktree play no part, as they
	// did not in a worktree that git worktree add made. And its object
	// folder as git finds it: .git/objects of the common folder, or the
	// user's GIT_OBJECT_DIRECTORY, which Export's own replaces below.
	// One git for both.
	dirs, err := Local(ctx, top, env, "rev-parse", "--git-common-dir", "--git-path", "objects")
	if err != nil {
		return err
	}
	common, own, ok := strings.Cut(dirs, "\n")
	if !ok {
		return fmt.Errorf("git rev-parse gave no object folder: %q", dirs)
	}
	if !filepath.IsAbs(common) {
		common = filepath.Join(top, common)
	}
	if !filepath.IsAbs(own) {
		own = filepath.Join(top, own)
	}
	if dst, err = filepath.Abs(dst); err != nil {
		return err
	}
	if scratch, err = filepath.Abs(scratch); err != nil {
		return err
	}
	objects := filepath.Join(scratch, "objects")
	if err := os.MkdirAll(filepath.Join(objects, "pack"), 0o755); err != nil {
		return err
	}
	if env == nil {
		env = os.Environ()
	}
	// The last of a name wins (exec.Cmd.Env): the user's GIT_INDEX_FILE
	// and object folder are not written. The repository's object folder
	// is read through the alternates, its own alternates with it.
	alternates := alternatePath(own)
	var user string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "GIT_ALTERNATE_OBJECT_DIRECTORIES="); ok {
			user = v
		}
	}
	if user != "" {
		// git resolves a relative entry against the folder it runs in
		// once it has found the repository, the work tree's top for a
		// git run in the checkout (where verify found the commit);
		// below it runs in dst. Against top's real path: a git before
		// 2.39 cleans a ".." of the joined path by name, where from top
		// it followed the symlinks.
		base, err := filepath.EvalSymlinks(top)
		if err != nil {
			return fmt.Errorf("reading GIT_ALTERNATE_OBJECT_DIRECTORIES: %w", err)
		}
		if user = absoluteAlternates(user, base); user != "" {
			alternates = user + string(filepath.ListSeparator) + alternates
		}
	}
	storage, err := lfsStorage(ctx, top, common, scratch, env)
	if err != nil {
		return err
	}
	env = append(slices.Clip(env), "GIT_INDEX_FILE="+filepath.Join(scratch, "index"),
		"GIT_OBJECT_DIRECTORY="+objects, "GIT_ALTERNATE_OBJECT_DIRECTORIES="+alternates)
	git := []string{"--git-dir=" + common, "--work-tree=" + dst,
		// Off, though read-tree and checkout-index run no hooks: a
		// core.fsmonitor program is one, and a split index would write
		// its shared part into the git folder.
		"-c", "core.hooksPath=" + os.DevNull, "-c", "core.fsmonitor=false", "-c", "core.splitIndex=false",
		// Nor does a partial clone's fetch of missing objects start a
		// maintenance run or gc in the repository.
		"-c", "maintenance.auto=false", "-c", "gc.auto=0"}
	if storage != "" {
		git = append(git, "-c", "lfs.storage="+storage)
	}
	if _, err := Local(ctx, dst, env, append(git, "read-tree", commit)...); err != nil {
		return err
	}
	_, err = Local(ctx, dst, env, append(git, "checkout-index", "--all")...)
	return err
}

// lfsStorage is the folder for git-lfs's object cache (lfs.storage) in
// Export's gits, which pass it on to a git-lfs smudge filter: scratch's,
// where git-lfs would fill the repository's .git/lfs. It still reuses
// the objects there, linking or copying them, not downloading them: it
// looks for each in lfs/objects beside each alternate object folder, and
// the repository's object folder is one. "" keeps the user's own
// lfs.storage, one that exists outside the repository (a cache shared
// between checkouts): it is not the repository's, and scratch's would
// download again what it holds.
func lfsStorage(ctx context.Context, top, common, scratch string, env []string) (string, error) {
	// As git-lfs reads it in Export's gits, from the common git folder.
	v, err := Local(ctx, top, env, "--git-dir="+common, "config", "--default=", "--get", "lfs.storage")
	if err != nil {
		return "", err
	}
	if v != "" {
		if !filepath.IsAbs(v) {
			// git-lfs's reading of a relative one.
			v = filepath.Join(common, v)
		}
		if outside(v, common, top) {
			return "", nil
		}
	}
	return filepath.Join(scratch, "lfs"), nil
}

// outside reports whether dir exists and is, symlinks followed, in none
// of the folders dirs.
func outside(dir string, dirs ...string) bool {
	p, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return false
	}
	for _, d := range dirs {
		d, err := filepath.EvalSymlinks(d)
		if err != nil {
			return false
		}
		rel, err := filepath.Rel(d, p)
		if err != nil || (rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))) {
			return false
		}
	}
	return true
}

// alternatePath is dir as an entry of GIT_ALTERNATE_OBJECT_DIRECTORIES,
// whose entries git splits at the path list separator (':'; ';' on
// Windows): a folder whose path holds one, a repository in
// /home/me/a:b, would be read as two folders, neither of them its own,
// and the commit's objects not found. git reads an entry that starts
// with a double quote as a C-quoted string (object-file.c
// parse_alt_odb_entry), so such a path, or one starting with a quote or
// '#' (a comment there), is quoted.
func alternatePath(dir string) string {
	if !strings.ContainsRune(dir, filepath.ListSeparator) && !strings.HasPrefix(dir, `"`) && !strings.HasPrefix(dir, "#") {
		return dir
	}
	return CQuote(dir)
}

// absoluteAlternates is v, a GIT_ALTERNATE_OBJECT_DIRECTORIES, with each
// relative entry joined to base, read as git reads it (object-file.c
// parse_alt_odb_entry): entries split at the path list separator, one
// starting with '#' a comment, one starting with a double quote C-quoted
// when its quoting is sound (git then skips the character after the
// closing quote, a separator or not), empty ones skipped. Not cleaned:
// git follows symlinks before "..", as it would have from base.
func absoluteAlternates(v, base string) string {
	sep := string(filepath.ListSeparator)
	var out []string
	for v != "" {
		var entry string
		switch s, n, ok := cUnquote(v); {
		case strings.HasPrefix(v, "#"):
			_, v, _ = strings.Cut(v, sep)
			continue
		case ok:
			entry, v = s, v[n:]
			if v != "" {
				v = v[1:]
			}
		default:
			entry, v, _ = strings.Cut(v, sep)
		}
		if entry == "" {
			continue
		}
		if !filepath.IsAbs(entry) {
			entry = base + string(filepath.Separator) + entry
		}
		out = append(out, alternatePath(entry))
	}
	return strings.Join(out, sep)
}

// cUnquote reads the C-quoted string at the start of s as git's
// unquote_c_style does, returning it and the length of its quoted form;
// ok is false when s does not start with one.
func cUnquote(s string) (_ string, n int, ok bool) {
	if !strings.HasPrefix(s, `"`) {
		return "", 0, false
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			return b.String(), i + 1, true
		case '\\':
		default:
			b.WriteByte(c)
			continue
		}
		if i++; i == len(s) {
			return "", 0, false
		}
		c = s[i]
		if j := strings.IndexByte(`abfnrtv\"`, c); j >= 0 {
			b.WriteByte("\a\b\f\n\r\t\v\\\""[j])
			continue
		}
		// Three octal digits, the first at most 3: a byte.
		if c > '3' || i+2 >= len(s) || !isOctal(c) || !isOctal(s[i+1]) || !isOctal(s[i+2]) {
			return "", 0, false
		}
		b.WriteByte((c-'0')<<6 | (s[i+1]-'0')<<3 | (s[i+2] - '0'))
		i += 2
	}
	return "", 0, false
}

func isOctal(c byte) bool { return '0' <= c && c <= '7' }

// CQuote is s in git's C-style quotes, as git reads a quoted path (an
// alternates entry, a fast-import path): a double quote and a backslash
// escaped, control characters as octal escapes.
func CQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, c := range []byte(s) {
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, "\\%03o", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}
