// Package gittest builds real git repositories for tests: a bare remote in
// a temporary folder, commits with a fixed identity and dates, and readers
// for what a branch holds. It runs the git program with no user or system
// configuration, like gitrepo does.
package gittest

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kiln-gitops/kiln/internal/gitinfo"
	"github.com/kiln-gitops/kiln/promote/internal/gitrepo"
)

// Date is the fixed author and committer date of every test commit.
const Date = "2024-01-02T03:04:05Z"

// fixedDate is Date as a time.
var fixedDate, _ = time.Parse(time.RFC3339, Date)

// Env is the environment test git commands run with: PATH only, fixed
// identity and dates, no configuration.
func Env() []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=" + os.DevNull,
		"GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.com",
		"GIT_AUTHOR_DATE=" + Date, "GIT_COMMITTER_DATE=" + Date,
		"LC_ALL=C",
	}
}

// Git runs git in dir and returns its trimmed stdout; it fails the test
// on error.
func Git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	out, err := Run(dir, args...)
	if err != nil {
		t.Fatalf("git %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// Run runs git in dir and returns its trimmed stdout, or an error with its
// stderr.
func Run(dir string, args ...string) (string, error) {
	// No "git maintenance run --auto" after each commit and fetch: a
	// process each that finds nothing to do in these small repositories.
	args = append([]string{"-c", "maintenance.auto=false"}, args...)
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = Env()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", &runError{err: err, stderr: stderr.String()}
	}
	return strings.TrimSpace(stdout.String()), nil
}

type runError struct {
	err    error
	stderr string
}

func (e *runError) Error() string { return e.err.Error() + ": " + strings.TrimSpace(e.stderr) }
func (e *runError) Unwrap() error { return e.err }

// Bare creates an empty bare repository whose default branch is main.
func Bare(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "remote.git")
	Git(t, filepath.Dir(dir), "init", "-q", "--bare", "--initial-branch=main", dir)
	// Nor a "git gc --auto" after every push into it (git does not pass
	// the pusher's -c settings on to a local receive-pack).
	f, err := os.OpenFile(filepath.Join(dir, "config"), os.O_APPEND|os.O_WRONLY, 0)
	if err == nil {
		_, err = f.WriteString("[receive]\n\tautogc = false\n")
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// HTTP serves the bare repositories under root over git's smart HTTP (git
// http-backend behind an httptest server), open to pushes, and returns the
// server's URL: root/m.git is URL/m.git. Every request goes to intercept
// first, which either answers it itself and returns true (a status a git
// host gives, refusing or failing) or returns false to let git answer.
func HTTP(t testing.TB, root string, intercept func(http.ResponseWriter, *http.Request) bool) string {
	t.Helper()
	gitPath, err := exec.LookPath("git")
	if err != nil {
		t.Fatal(err)
	}
	backend := &cgi.Handler{
		Path: gitPath,
		Args: []string{"http-backend"},
		// http.receivepack: http-backend refuses a push by someone it
		// does not know otherwise; the server authenticates no one.
		Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1", "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=" + os.DevNull,
			"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=http.receivepack", "GIT_CONFIG_VALUE_0=true"},
		Stderr: io.Discard,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !intercept(w, r) {
			backend.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// Commit replaces the whole tree of branch in the remote with files (path
// → content) on top of the branch's tip (or as its first commit). It
// returns the commit.
func Commit(t testing.TB, remote, branch string, files map[string]string, msg string) string {
	t.Helper()
	return importCommit(t, remote, branch, true, "644", files, nil, msg)
}

// Update changes some files of branch (the paths in del, files or whole
// folders, are removed) on top of its tip. It returns the commit.
func Update(t testing.TB, remote, branch string, files map[string]string, del []string, msg string) string {
	t.Helper()
	return importCommit(t, remote, branch, false, "644", files, del, msg)
}

// UpdateEntries is Update with entries that are no regular files, of
// mode: "120000" makes each path a symlink whose target is its value,
// "160000" a submodule at the commit its value names.
func UpdateEntries(t testing.TB, remote, branch, mode string, entries map[string]string, msg string) string {
	t.Helper()
	return importCommit(t, remote, branch, false, mode, entries, nil, msg)
}

// committer is the committer line of every commit fast-import writes:
// Env's identity and date (the author is the same when none is given).
var committer = fmt.Sprintf("committer Test <test@example.com> %d +0000", fixedDate.Unix())

// fastImport feeds stream to git fast-import in repo. unpackLimit 0
// keeps what it imports as the pack it wrote: below 100 objects (every
// test commit) fast-import starts git unpack-objects to make them loose,
// a third process for each commit.
func fastImport(t testing.TB, repo, stream string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "maintenance.auto=false", "-c", "fastimport.unpackLimit=0", "fast-import", "--quiet"}, args...)...)
	cmd.Dir = repo
	cmd.Env = Env()
	cmd.Stdin = strings.NewReader(stream)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git fast-import: %v\n%s", err, out)
	}
}

// importPath is p as fast-import reads a path: as it is, unless a line
// break or a leading quote needs git's C-style quoting.
func importPath(p string) string {
	if !strings.Contains(p, "\n") && !strings.HasPrefix(p, `"`) {
		return p
	}
	return gitrepo.CQuote(p)
}

// importCommit writes one commit onto branch of the (bare) repository
// with git fast-import, as git commit with Env's identity and dates would
// make it: two processes, where a clone, a commit and a push took a dozen
// (git's transport starts programs of its own), which made most of the
// promote tests' process starts. whole starts the tree empty (the branch
// may be new); otherwise the branch must exist. files are entries of mode,
// as UpdateEntries says.
func importCommit(t testing.TB, repo, branch string, whole bool, mode string, files map[string]string, del []string, msg string) string {
	t.Helper()
	var stream strings.Builder
	fmt.Fprintf(&stream, "commit refs/heads/%s\nmark :1\n%s\ndata %d\n%s\n", branch, committer, len(msg)+1, msg)
	if Tip(t, repo, "refs/heads/"+branch) != "" {
		// fast-import makes the branch before it reads "from": ^0 names
		// the tip it had.
		fmt.Fprintf(&stream, "from refs/heads/%s^0\n", branch)
	} else if !whole {
		t.Fatalf("gittest.Update: no branch %s in %s", branch, repo)
	}
	if whole {
		stream.WriteString("deleteall\n")
	}
	for _, d := range del {
		fmt.Fprintf(&stream, "D %s\n", importPath(d))
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if mode == "160000" {
			// fast-import takes a gitlink's commit by name only.
			fmt.Fprintf(&stream, "M %s %s %s\n", mode, files[name], importPath(name))
			continue
		}
		fmt.Fprintf(&stream, "M %s inline %s\ndata %d\n%s\n", mode, importPath(name), len(files[name]), files[name])
	}
	marks := filepath.Join(t.TempDir(), "marks")
	fastImport(t, repo, stream.String(), "--export-marks="+marks)
	data, err := os.ReadFile(marks)
	if err != nil {
		t.Fatal(err)
	}
	mark, commit, ok := strings.Cut(strings.TrimSpace(string(data)), " ")
	if !ok || mark != ":1" {
		t.Fatalf("git fast-import marks: %q", data)
	}
	return commit
}

// Tip returns the commit ref (such as refs/heads/main, or HEAD) names in
// repo (bare or not), "" when there is none. It reads the ref's file where
// git keeps it, as most refs of a test repository are (git commit, fetch,
// push and update-ref write them so) or in packed-refs, and asks git only
// in a repository of another format: the promote tests read tips
// thousands of times, and each git process costs milliseconds. A packed
// ref must name a commit (tags in test repositories are none).
func Tip(t testing.TB, repo, ref string) string {
	t.Helper()
	gitDir := repo
	if fi, err := os.Stat(filepath.Join(repo, ".git")); err == nil && fi.IsDir() {
		gitDir = filepath.Join(repo, ".git")
	}
	for range 5 { // HEAD → a branch; a chain of symbolic refs is short
		data, err := os.ReadFile(filepath.Join(gitDir, filepath.FromSlash(ref)))
		if os.IsNotExist(err) && strings.HasPrefix(ref, "refs/") {
			// Not loose: packed, or no such ref (a branch about to be
			// made, as for most commits of a new test repository).
			if _, err := os.Stat(filepath.Join(gitDir, "reftable")); err == nil {
				break
			}
			packed, err := os.ReadFile(filepath.Join(gitDir, "packed-refs"))
			if err != nil && !os.IsNotExist(err) {
				break
			}
			for line := range strings.SplitSeq(string(packed), "\n") {
				if sha, name, ok := strings.Cut(line, " "); ok && name == ref && gitinfo.IsCommitHash(sha) {
					return sha
				}
			}
			return ""
		}
		if err != nil {
			break
		}
		v := strings.TrimSpace(string(data))
		if target, ok := strings.CutPrefix(v, "ref: "); ok {
			ref = target
			continue
		}
		if gitinfo.IsCommitHash(v) {
			return v
		}
		break
	}
	out, err := Run(repo, "rev-parse", "--verify", "-q", ref+"^{commit}")
	if err != nil {
		return ""
	}
	return out
}

// History pushes n commits in a row onto branch of remote with git
// fast-import (one process, not n), each changing one file, and returns
// their hashes oldest first. The hashes are the same on every run: the
// identity and dates are fixed.
func History(t testing.TB, remote, branch string, n int) []string {
	t.Helper()
	dir := t.TempDir()
	Git(t, dir, "init", "-q", "--initial-branch="+branch)
	var stream strings.Builder
	for i := range n {
		content := fmt.Sprintf("commit %d\n", i)
		msg := fmt.Sprintf("c%d\n", i)
		fmt.Fprintf(&stream, "commit refs/heads/%s\n%s\ndata %d\n%sM 644 inline f\ndata %d\n%s\n",
			branch, committer, len(msg), msg, len(content), content)
	}
	fastImport(t, dir, stream.String())
	Git(t, dir, "push", "-q", remote, branch)
	return strings.Split(Git(t, dir, "rev-list", "--reverse", branch), "\n")
}

// SharedPrefix returns the first 4-digit prefix that two of commits share,
// and those two.
func SharedPrefix(t testing.TB, commits []string) (string, []string) {
	t.Helper()
	seen := map[string]string{}
	for _, c := range commits {
		if other, ok := seen[c[:4]]; ok {
			pair := []string{other, c}
			sort.Strings(pair)
			return c[:4], pair
		}
		seen[c[:4]] = c
	}
	t.Fatal("no two commits share 4 digits; make the history longer")
	return "", nil
}

// Files returns every file of rev in the (bare or not) repository, path →
// content; nil when rev does not exist. Two git processes read them all,
// however many files there are: ls-tree for the names and objects, one
// cat-file --batch for the contents.
func Files(t testing.TB, repo, rev string) map[string]string {
	t.Helper()
	if _, err := Run(repo, "rev-parse", "--verify", "-q", rev); err != nil {
		return nil
	}
	cmd := exec.Command("git", "ls-tree", "-r", "-z", "--full-tree", rev)
	cmd.Dir = repo
	cmd.Env = Env()
	list, err := cmd.Output()
	if err != nil {
		t.Fatalf("listing %s: %v", rev, err)
	}
	files := map[string]string{}
	var names []string
	var objects strings.Builder
	for entry := range strings.SplitSeq(strings.TrimSuffix(string(list), "\x00"), "\x00") {
		if entry == "" {
			continue
		}
		// <mode> SP <type> SP <object> TAB <path>
		meta, name, ok := strings.Cut(entry, "\t")
		fields := strings.Fields(meta)
		if !ok || len(fields) != 3 {
			t.Fatalf("listing %s: unexpected entry %q", rev, entry)
		}
		names = append(names, name)
		objects.WriteString(fields[2] + "\n")
	}
	if len(names) == 0 {
		return files
	}
	cmd = exec.Command("git", "cat-file", "--batch")
	cmd.Dir = repo
	cmd.Env = Env()
	cmd.Stdin = strings.NewReader(objects.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("reading the files of %s: %v", rev, err)
	}
	// Each answer: <object> SP <type> SP <size> LF <contents> LF
	for _, name := range names {
		header, rest, ok := bytes.Cut(out, []byte("\n"))
		fields := strings.Fields(string(header))
		if !ok || len(fields) != 3 || fields[1] != "blob" {
			t.Fatalf("reading %s:%s: git cat-file answered %q", rev, name, header)
		}
		size, err := strconv.Atoi(fields[2])
		if err != nil || size+1 > len(rest) || rest[size] != '\n' {
			t.Fatalf("reading %s:%s: git cat-file answered %q and %d bytes", rev, name, header, len(rest))
		}
		files[name] = string(rest[:size])
		out = rest[size+1:]
	}
	if len(out) != 0 {
		t.Fatalf("reading the files of %s: %d bytes left over", rev, len(out))
	}
	return files
}

// Log returns the subjects of rev's history, newest first.
func Log(t testing.TB, repo, rev string) []string {
	t.Helper()
	out := Git(t, repo, "log", "--format=%s", rev)
	lines := strings.Split(out, "\n")
	return lines
}

// Heads returns the branches of repo, sorted.
func Heads(t testing.TB, repo string) []string {
	t.Helper()
	out := Git(t, repo, "for-each-ref", "--format=%(refname:short)", "refs/heads/")
	if out == "" {
		return nil
	}
	heads := strings.Split(out, "\n")
	sort.Strings(heads)
	return heads
}

// Listing describes every file, folder and symlink under dir, one a line
// in lexical order: its path, mode, and a file's content (a digest) or a
// symlink's target. With times it lists dir itself too, and each entry's
// modification time: two such listings are equal only if nothing under
// dir was written between them, since even an entry made and removed
// again leaves its folder's time changed.
func Listing(t testing.TB, dir string, times bool) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil || (rel == "." && !times) {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s %v", filepath.ToSlash(rel), fi.Mode())
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, " -> %s", target)
		case fi.Mode().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, " %x", sha256.Sum256(data))
		}
		if times {
			fmt.Fprintf(&b, " %d", fi.ModTime().UnixNano())
		}
		b.WriteString("\n")
		return nil
	})
	if err != nil {
		t.Fatalf("listing %s: %v", dir, err)
	}
	return b.String()
}
