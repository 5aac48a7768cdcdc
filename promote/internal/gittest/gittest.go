// Package gittest builds real git repositories for tests: a bare remote in
// a temporary folder, commits with a fixed identity and dates, and readers
// for what a branch holds. It runs the git program with no user or system
// configuration, like gitrepo does.
package gittest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// Date is the fixed author and committer date of every test commit.
const Date = "2024-01-02T03:04:05Z"

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

// Commit replaces the whole tree of branch in the remote with files (path
// → content; nil content is skipped) on top of the branch's tip (or as its
// first commit) and pushes it. It returns the commit.
func Commit(t testing.TB, remote, branch string, files map[string]string, msg string) string {
	t.Helper()
	dir := t.TempDir()
	Git(t, dir, "init", "-q", "--initial-branch="+branch)
	Git(t, dir, "remote", "add", "origin", remote)
	if _, err := Run(dir, "fetch", "-q", "origin", branch); err == nil {
		Git(t, dir, "reset", "-q", "--hard", "FETCH_HEAD")
		Git(t, dir, "rm", "-rq", "--ignore-unmatch", ".")
	}
	write(t, dir, files)
	Git(t, dir, "add", "-A")
	Git(t, dir, "commit", "-q", "--allow-empty", "-m", msg)
	Git(t, dir, "push", "-q", "origin", "HEAD:refs/heads/"+branch)
	return Git(t, dir, "rev-parse", "HEAD")
}

// Update changes some files of branch (nil-valued keys of del are removed)
// on top of its tip and pushes it. It returns the commit.
func Update(t testing.TB, remote, branch string, files map[string]string, del []string, msg string) string {
	t.Helper()
	dir := t.TempDir()
	Git(t, dir, "init", "-q", "--initial-branch="+branch)
	Git(t, dir, "remote", "add", "origin", remote)
	Git(t, dir, "fetch", "-q", "origin", branch)
	Git(t, dir, "reset", "-q", "--hard", "FETCH_HEAD")
	for _, d := range del {
		Git(t, dir, "rm", "-rq", d)
	}
	write(t, dir, files)
	Git(t, dir, "add", "-A")
	Git(t, dir, "commit", "-q", "-m", msg)
	Git(t, dir, "push", "-q", "origin", "HEAD:refs/heads/"+branch)
	return Git(t, dir, "rev-parse", "HEAD")
}

func write(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
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
		fmt.Fprintf(&stream, "commit refs/heads/%s\ncommitter Test <test@example.com> 1704164645 +0000\ndata %d\n%sM 644 inline f\ndata %d\n%s\n",
			branch, len(msg), msg, len(content), content)
	}
	cmd := exec.Command("git", "fast-import", "--quiet")
	cmd.Dir = dir
	cmd.Env = Env()
	cmd.Stdin = strings.NewReader(stream.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git fast-import: %v\n%s", err, out)
	}
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
