package gitinfo

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// run runs git in dir with a fixed identity and no user configuration.
func run(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestRead: a real repository whose code lives in code/, beside another
// project (a monorepo), in every state the lock records.
func TestRead(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		change  func(t *testing.T, repo string)
		exclude []string
		dirty   bool
		changed []string
	}{
		{name: "clean"},
		{name: "tracked file changed", change: func(t *testing.T, repo string) { write(t, filepath.Join(repo, "code/kiln.yaml"), "changed\n") },
			dirty: true, changed: []string{"code/kiln.yaml"}},
		{name: "change staged", change: func(t *testing.T, repo string) {
			write(t, filepath.Join(repo, "code/kiln.yaml"), "changed\n")
			run(t, repo, "add", "-A")
		}, dirty: true, changed: []string{"code/kiln.yaml"}},
		{name: "tracked file deleted", change: func(t *testing.T, repo string) { os.Remove(filepath.Join(repo, "code/apps/web/cm.yaml")) },
			dirty: true, changed: []string{"code/apps/web/cm.yaml"}},
		{name: "new template", change: func(t *testing.T, repo string) { write(t, filepath.Join(repo, "code/apps/web/new.yaml"), "x: 1\n") },
			dirty: true, changed: []string{"code/apps/web/new.yaml"}},
		{name: "ignored file", change: func(t *testing.T, repo string) { write(t, filepath.Join(repo, "code/tmp/scratch.log"), "x\n") }},
		{name: "render's output folder", change: func(t *testing.T, repo string) { write(t, filepath.Join(repo, "code/out/dev/kiln.lock.json"), "{}\n") },
			exclude: []string{"out"}},
		{name: "another project of the monorepo", change: func(t *testing.T, repo string) { write(t, filepath.Join(repo, "other/main.go"), "package x\n") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			repo := t.TempDir()
			write(t, filepath.Join(repo, "code/kiln.yaml"), "apiVersion: kiln/v1alpha1\n")
			write(t, filepath.Join(repo, "code/apps/web/cm.yaml"), "kind: ConfigMap\n")
			write(t, filepath.Join(repo, "code/.gitignore"), "tmp/\n")
			write(t, filepath.Join(repo, "other/README"), "another project\n")
			run(t, repo, "init", "-q", "--initial-branch=main")
			run(t, repo, "remote", "add", "origin", "https://user:secret@github.com/acme/app.git?private_token=S3cret")
			run(t, repo, "add", "-A")
			run(t, repo, "commit", "-q", "-m", "initial")
			if tc.change != nil {
				tc.change(t, repo)
			}
			code := filepath.Join(repo, "code")
			var exclude []string
			for _, e := range tc.exclude {
				exclude = append(exclude, filepath.Join(code, e))
			}
			info := Read(context.Background(), code, exclude...)
			// Start gives the same, however often it is waited for.
			pending := Start(context.Background(), code, exclude...)
			if diff := cmp.Diff(info, pending.Wait()); diff != "" {
				t.Errorf("Start(...).Wait() differs from Read (-Read +Start):\n%s", diff)
			}
			if diff := cmp.Diff(info, pending.Wait()); diff != "" {
				t.Errorf("a second Wait differs (-Read +Wait):\n%s", diff)
			}
			if !info.InWorkTree || len(info.Commit) != 40 || info.Repo != "https://github.com/acme/app.git" {
				t.Errorf("Read = %+v, want a work tree at a commit, credentials removed", info)
			}
			if info.Dirty != tc.dirty {
				t.Errorf("Dirty = %v, want %v", info.Dirty, tc.dirty)
			}
			if diff := cmp.Diff(tc.changed, info.Changed); diff != "" {
				t.Errorf("Changed (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadOutsideGit(t *testing.T) {
	t.Parallel()
	if got := Read(context.Background(), t.TempDir()); got.InWorkTree || got.Commit != "" || got.Dirty {
		t.Errorf("Read outside git = %+v, want nothing", got)
	}
	if got := Start(context.Background(), t.TempDir()).Wait(); got.InWorkTree || got.Commit != "" || got.Dirty {
		t.Errorf("Start outside git = %+v, want nothing", got)
	}
}

// TestReadBeforeFirstCommit: a work tree with no commit yet is a work
// tree at no commit, dirty with its untracked files; the git folder
// itself is no work tree.
func TestReadBeforeFirstCommit(t *testing.T) {
	t.Parallel()
	repo := t.TempDir()
	write(t, filepath.Join(repo, "kiln.yaml"), "apiVersion: kiln/v1alpha1\n")
	run(t, repo, "init", "-q", "--initial-branch=main")
	run(t, repo, "remote", "add", "origin", "https://github.com/acme/app.git")
	want := Info{InWorkTree: true, Repo: "https://github.com/acme/app.git", Dirty: true, Changed: []string{"kiln.yaml"}}
	if diff := cmp.Diff(want, Read(context.Background(), repo)); diff != "" {
		t.Errorf("Read before the first commit (-want +got):\n%s", diff)
	}
	if got := Read(context.Background(), filepath.Join(repo, ".git")); got.InWorkTree || got.Commit != "" {
		t.Errorf("Read in the git folder = %+v, want no work tree", got)
	}
	run(t, repo, "add", "-A")
	run(t, repo, "commit", "-q", "-m", "initial")
	if got := Read(context.Background(), filepath.Join(repo, ".git")); got.InWorkTree || got.Commit != "" {
		t.Errorf("Read in the git folder after a commit = %+v, want no work tree", got)
	}
}

// TestReadRunsThreeGits: Read starts three git programs, not four (the
// two questions to rev-parse are one program): each start is a few
// milliseconds of a render that has nothing else to do.
func TestReadRunsThreeGits(t *testing.T) {
	real, err := exec.LookPath("git")
	if err != nil {
		t.Fatal(err)
	}
	repo := t.TempDir()
	write(t, filepath.Join(repo, "kiln.yaml"), "apiVersion: kiln/v1alpha1\n")
	run(t, repo, "init", "-q", "--initial-branch=main")
	run(t, repo, "add", "-A")
	run(t, repo, "commit", "-q", "-m", "initial")
	bin, log := t.TempDir(), filepath.Join(t.TempDir(), "calls")
	write(t, filepath.Join(bin, "git"), "#!/bin/sh\necho \"$*\" >> "+log+"\nexec "+real+" \"$@\"\n")
	if err := os.Chmod(filepath.Join(bin, "git"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	if info := Read(context.Background(), repo); !info.InWorkTree || len(info.Commit) != 40 || info.Dirty {
		t.Fatalf("Read = %+v, want a clean work tree at a commit", info)
	}
	calls, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(calls), "\n"); n != 3 {
		t.Errorf("Read ran git %d times, want 3:\n%s", n, calls)
	}
}

// TestReadLeavesTheIndexAlone: kiln reads the user's checkout while the
// user may run git in it. git status would refresh stale stat data in
// the index, writing it under .git/index.lock; Read must not write the
// index, and must work while another git holds that lock.
func TestReadLeavesTheIndexAlone(t *testing.T) {
	t.Parallel()
	repo := t.TempDir()
	file := filepath.Join(repo, "kiln.yaml")
	write(t, file, "apiVersion: kiln/v1alpha1\n")
	run(t, repo, "init", "-q", "--initial-branch=main")
	run(t, repo, "add", "-A")
	run(t, repo, "commit", "-q", "-m", "initial")
	// The same content with another modification time: the index's stat
	// data for the file is stale, which a plain git status rewrites.
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(file, later, later); err != nil {
		t.Fatal(err)
	}
	index := filepath.Join(repo, ".git", "index")
	before, err := os.ReadFile(index)
	if err != nil {
		t.Fatal(err)
	}
	if info := Read(context.Background(), repo); !info.InWorkTree || info.Dirty {
		t.Fatalf("Read = %+v, want a clean work tree", info)
	}
	if after, err := os.ReadFile(index); err != nil || !bytes.Equal(before, after) {
		t.Errorf("Read rewrote .git/index (err %v)", err)
	}

	// Another git holds the index lock: Read answers the same and leaves
	// the lock as it found it.
	lock := index + ".lock"
	write(t, lock, "held by another git\n")
	if info := Read(context.Background(), repo); !info.InWorkTree || info.Dirty || len(info.Commit) != 40 {
		t.Errorf("Read while the index is locked = %+v, want a clean work tree at a commit", info)
	}
	if got, err := os.ReadFile(lock); err != nil || string(got) != "held by another git\n" {
		t.Errorf("the other git's index.lock = %q, %v; want it untouched", got, err)
	}
}

// TestReadSubmoduleChanges: the render reads a submodule's files like any
// other (a chart vendored as a submodule), so a submodule checked out at
// another commit than the one recorded, or with changed or new files,
// makes the tree dirty. The repository's own .gitmodules may say
// ignore = all (or dirty, untracked) to quiet git status; that must not
// quiet the lock's provenance.
func TestReadSubmoduleChanges(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, ignore string
		change       func(t *testing.T, sub string)
	}{
		{name: "another commit", ignore: "all", change: func(t *testing.T, sub string) {
			write(t, filepath.Join(sub, "templates/cm.yaml"), "kind: ConfigMap\ndata: {v: \"2\"}\n")
			run(t, sub, "commit", "-q", "-am", "v2")
		}},
		{name: "changed file", ignore: "dirty", change: func(t *testing.T, sub string) {
			write(t, filepath.Join(sub, "templates/cm.yaml"), "kind: ConfigMap\ndata: {v: \"2\"}\n")
		}},
		{name: "new file", ignore: "untracked", change: func(t *testing.T, sub string) {
			write(t, filepath.Join(sub, "templates/new.yaml"), "kind: ConfigMap\n")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			repo := withSubmodule(t, nil)
			run(t, repo, "config", "-f", ".gitmodules", "submodule.charts/web.ignore", tc.ignore)
			run(t, repo, "add", "-A")
			run(t, repo, "commit", "-q", "-m", "initial")
			if info := Read(context.Background(), repo); info.Dirty {
				t.Fatalf("Read of the clean checkout = %+v, want clean", info)
			}
			tc.change(t, filepath.Join(repo, "charts/web"))
			info := Read(context.Background(), repo)
			if !info.Dirty || !slices.Contains(info.Changed, "charts/web") {
				t.Errorf("Read = %+v, want dirty with charts/web changed", info)
			}
		})
	}
}

// The user's own excludes file must not decide whether a checkout is
// dirty: a file it ignores is read by the render all the same, and the
// same checkout on a machine without it would be dirty. Not parallel: it
// sets HOME and XDG_CONFIG_HOME, which Read's git programs read.
func TestReadIgnoresTheUsersExcludes(t *testing.T) {
	home := t.TempDir()
	write(t, filepath.Join(home, ".config/git/ignore"), "*.tmp\n")
	write(t, filepath.Join(home, "excludes"), "*.bak\n")
	write(t, filepath.Join(home, ".gitconfig"), "[core]\n\texcludesFile = "+filepath.ToSlash(filepath.Join(home, "excludes"))+"\n")

	repo := withSubmodule(t, map[string]string{".gitignore": "*.log\n"})
	run(t, repo, "add", "-A")
	run(t, repo, "commit", "-q", "-m", "initial")
	write(t, filepath.Join(repo, ".git/info/exclude"), "*.local\n")

	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	for _, tc := range []struct {
		file, config string
		dirty        bool
	}{
		{file: "values.tmp", config: os.DevNull, dirty: true},                 // ~/.config/git/ignore
		{file: "values.bak", config: "excludes", dirty: true},                 // core.excludesFile
		{file: "charts/web/templates/x.tmp", config: os.DevNull, dirty: true}, // in a submodule
		{file: "charts/web/templates/x.bak", config: "excludes", dirty: true}, // in a submodule
		{file: "build.log", config: "excludes"},                               // the repository's .gitignore
		{file: "notes.local", config: "excludes"},                             // its .git/info/exclude
	} {
		if tc.config == os.DevNull {
			t.Setenv("GIT_CONFIG_GLOBAL", os.DevNull)
		} else {
			t.Setenv("GIT_CONFIG_GLOBAL", filepath.Join(home, ".gitconfig"))
		}
		path := filepath.Join(repo, tc.file)
		write(t, path, "x\n")
		info := Read(context.Background(), repo)
		if info.Dirty != tc.dirty {
			t.Errorf("with %s: Dirty = %v, want %v (%+v)", tc.file, info.Dirty, tc.dirty, info)
		}
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
	}
}

// withSubmodule returns a new repository holding kiln.yaml, files and a
// chart's repository as the submodule charts/web, added but not
// committed.
func withSubmodule(t *testing.T, files map[string]string) string {
	t.Helper()
	chart := t.TempDir()
	write(t, filepath.Join(chart, "templates/cm.yaml"), "kind: ConfigMap\n")
	run(t, chart, "init", "-q", "--initial-branch=main")
	run(t, chart, "add", "-A")
	run(t, chart, "commit", "-q", "-m", "v1")
	repo := t.TempDir()
	write(t, filepath.Join(repo, "kiln.yaml"), "apiVersion: kiln/v1alpha1\n")
	for name, content := range files {
		write(t, filepath.Join(repo, name), content)
	}
	run(t, repo, "init", "-q", "--initial-branch=main")
	run(t, repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", chart, "charts/web")
	return repo
}
