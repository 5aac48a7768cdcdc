package gittest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// filesOneByOne is how Files read a tree before it used cat-file --batch:
// one git process per file. It is the reference Files must agree with.
func filesOneByOne(t *testing.T, repo, rev string) map[string]string {
	t.Helper()
	files := map[string]string{}
	list := Git(t, repo, "ls-tree", "-r", "--name-only", "--full-tree", rev)
	if list == "" {
		return files
	}
	for _, name := range strings.Split(list, "\n") {
		cmd := exec.Command("git", "cat-file", "blob", rev+":"+name)
		cmd.Dir = repo
		cmd.Env = Env()
		data, err := cmd.Output()
		if err != nil {
			t.Fatalf("reading %s:%s: %v", rev, name, err)
		}
		files[name] = string(data)
	}
	return files
}

// TestFiles: Files reads what one cat-file per file reads, for contents
// with and without a final newline, empty, binary (NUL and newline bytes,
// which the batch answers must not split on), nested and executable files
// and a symlink; nil for a missing rev, empty for an empty tree.
func TestFiles(t *testing.T) {
	t.Parallel()
	remote := Bare(t)
	files := map[string]string{
		"README.md":           "hi\n",
		"no-newline":          "x",
		"empty":               "",
		"bin/data":            "a\x00b\nc\n\n\x00",
		"a b/c d.yaml":        "kind: ConfigMap\n",
		"deep/er/and/er/f":    strings.Repeat("line\n", 1000),
		"looks/like/a/header": "0123456789abcdef0123456789abcdef01234567 blob 3\nabc\n",
	}
	Commit(t, remote, "main", files, "seed")
	dir := t.TempDir()
	Git(t, dir, "init", "-q", "--initial-branch=main")
	Git(t, dir, "fetch", "-q", remote, "main")
	Git(t, dir, "reset", "-q", "--hard", "FETCH_HEAD")
	if err := os.Symlink("README.md", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, "no-newline"), 0o755); err != nil {
		t.Fatal(err)
	}
	Git(t, dir, "add", "-A")
	Git(t, dir, "commit", "-q", "-m", "link")

	want := filesOneByOne(t, dir, "HEAD")
	if len(want) != len(files)+1 || want["link"] != "README.md" {
		t.Fatalf("the reference read %d files, link %q", len(want), want["link"])
	}
	if diff := cmp.Diff(want, Files(t, dir, "HEAD")); diff != "" {
		t.Errorf("Files (-one by one +Files):\n%s", diff)
	}
	if diff := cmp.Diff(files, Files(t, remote, "main")); diff != "" {
		t.Errorf("Files of the bare remote (-committed +Files):\n%s", diff)
	}
	if got := Files(t, remote, "nope"); got != nil {
		t.Errorf("Files of a missing rev = %v, want nil", got)
	}
	empty := Commit(t, remote, "empty", nil, "nothing")
	if got := Files(t, remote, empty); got == nil || len(got) != 0 {
		t.Errorf("Files of an empty tree = %#v, want an empty map", got)
	}
}

// TestCommitAsGitCommitMakesIt: Commit and Update write, with fast-import,
// the very commits a clone, git commit and a push made before: the same
// hashes, so the same trees, parents, identity, dates and messages. The
// paths include a space, a line break and a leading quote.
func TestCommitAsGitCommitMakesIt(t *testing.T) {
	t.Parallel()
	viaPush := func(remote, branch string, files map[string]string, del []string, msg string) string {
		dir := t.TempDir()
		Git(t, dir, "init", "-q", "--initial-branch="+branch)
		if _, err := Run(dir, "fetch", "-q", remote, branch); err == nil {
			Git(t, dir, "reset", "-q", "--hard", "FETCH_HEAD")
			if del == nil {
				Git(t, dir, "rm", "-rq", "--ignore-unmatch", ".")
			}
		}
		for _, d := range del {
			Git(t, dir, "rm", "-rq", d)
		}
		for name, content := range files {
			p := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		Git(t, dir, "add", "-A")
		Git(t, dir, "commit", "-q", "--allow-empty", "-m", msg)
		Git(t, dir, "push", "-q", remote, "HEAD:refs/heads/"+branch)
		return Git(t, dir, "rev-parse", "HEAD")
	}
	seed := map[string]string{"README.md": "hi\n", "a b/c d.yaml": "x\n", "line\nbreak": "y", `"quoted`: "", "dir/f": "f\n"}
	next := map[string]string{"new/g": "g\n", "README.md": "hello\n"}
	want, got := Bare(t), Bare(t)
	steps := []struct {
		name      string
		push      func(remote string) string
		viaImport func(remote string) string
	}{
		{"first commit",
			func(r string) string { return viaPush(r, "main", seed, nil, "seed") },
			func(r string) string { return Commit(t, r, "main", seed, "seed") }},
		{"update",
			func(r string) string { return viaPush(r, "main", next, []string{"dir", "a b"}, "update") },
			func(r string) string { return Update(t, r, "main", next, []string{"dir", "a b"}, "update") }},
		{"whole tree on top",
			func(r string) string { return viaPush(r, "main", next, nil, "again") },
			func(r string) string { return Commit(t, r, "main", next, "again") }},
		{"empty commit",
			func(r string) string { return viaPush(r, "main", next, nil, "empty") },
			func(r string) string { return Commit(t, r, "main", next, "empty") }},
	}
	for _, s := range steps {
		if w, g := s.push(want), s.viaImport(got); w != g {
			t.Fatalf("%s: commit %s, git commit made %s\n%v\n%v", s.name, g, w, Files(t, got, g), Files(t, want, w))
		}
	}
}

// TestTip reads tips as git does: from a ref's file, through HEAD, from
// packed-refs (through git), and none for a ref that does not exist.
func TestTip(t *testing.T) {
	remote := Bare(t)
	if got := Tip(t, remote, "refs/heads/main"); got != "" {
		t.Errorf("a new repository's main: %q", got)
	}
	c := Commit(t, remote, "main", map[string]string{"a": "a\n"}, "one")
	if got := Tip(t, remote, "refs/heads/main"); got != c {
		t.Errorf("loose ref: %q, want %s", got, c)
	}
	if got := Tip(t, remote, "HEAD"); got != c {
		t.Errorf("HEAD: %q, want %s", got, c)
	}
	Git(t, remote, "pack-refs", "--all")
	if _, err := os.Stat(filepath.Join(remote, "refs", "heads", "main")); !os.IsNotExist(err) {
		t.Fatalf("pack-refs left refs/heads/main: %v", err)
	}
	if got := Tip(t, remote, "HEAD"); got != c {
		t.Errorf("packed ref through HEAD: %q, want %s", got, c)
	}
	if got := Tip(t, remote, "refs/heads/none"); got != "" {
		t.Errorf("missing ref: %q", got)
	}
	if got := Update(t, remote, "main", map[string]string{"b": "b\n"}, nil, "two"); Tip(t, remote, "refs/heads/main") != got || got == c {
		t.Errorf("Update onto a packed branch made %s; tip %s", got, Tip(t, remote, "refs/heads/main"))
	}
	work := t.TempDir()
	Git(t, work, "init", "-q", "--initial-branch=main")
	if got := Tip(t, work, "HEAD"); got != "" {
		t.Errorf("unborn HEAD: %q", got)
	}
	Git(t, work, "commit", "-q", "--allow-empty", "-m", "x")
	if got, want := Tip(t, work, "HEAD"), Git(t, work, "rev-parse", "HEAD"); got != want {
		t.Errorf("work tree HEAD: %q, want %s", got, want)
	}
}
