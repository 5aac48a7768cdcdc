package tree

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// snapshot describes every entry below dir, by slash path: type,
// permissions, and a file's bytes or a link's target. Two trees with the
// same snapshot are the same byte for byte.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		switch {
		case fi.IsDir():
			out[filepath.ToSlash(rel)] = fmt.Sprintf("dir %v", fi.Mode().Perm())
		case fi.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			out[filepath.ToSlash(rel)] = "link " + target
			return err
		default:
			data, err := os.ReadFile(p)
			out[filepath.ToSlash(rel)] = fmt.Sprintf("file %v %q", fi.Mode().Perm(), data)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// kill ends o as a killed process would: the lock released by the
// kernel (its file stays), nothing cleaned up.
func kill(o *Out) {
	o.fsys.Close()
	o.lock.drop()
}

// stopAt is a stepHook that fails step n (counting from 0) and records
// the steps it saw.
type stopAt struct {
	n     int
	steps []string
}

var errKilled = errors.New("killed")

func (s *stopAt) hook(step string) error {
	s.steps = append(s.steps, step)
	if len(s.steps)-1 == s.n {
		return errKilled
	}
	return nil
}

// updates are earlier trees and the trees that replace them, with every
// kind of change an update makes.
var updates = []struct {
	name string
	// earlier is written first; then mess changes it on disk as a user
	// could; then files replaces it.
	earlier Files
	mess    func(t *testing.T, dir string)
	files   Files
}{
	{
		name:    "a few files changed",
		earlier: fleetTree,
		files: func() Files {
			f := maps.Clone(fleetTree)
			f["apps/a/deployment_a.yaml"] = []byte("kind: Object\nmetadata: {name: changed}\n")
			// Files of one name, staged in two folders.
			f["apps/a/kustomization.yaml"] = []byte("resources: []\n")
			f["apps/b/kustomization.yaml"] = []byte("resources: []\n")
			f[MarkerFile] = []byte(`{"apps": {"a": {}, "b": {}}, "changed": true}`)
			return f
		}(),
	},
	{
		name:    "every kind of change",
		earlier: fleetTree,
		mess: func(t *testing.T, dir string) {
			// Flux's files and a user's edits.
			put(t, dir, map[string]string{
				"flux/flux-system/gotk-sync.yaml": "kind: GitRepository\n",
				"apps/a/stray.yaml":               "kind: Secret\n",
				"apps/b/kustomization.yaml":       "resources: [service_B.yaml]\n", // same size
			})
			must(t, os.Chmod(filepath.Join(dir, "flux", "a.yaml"), 0o755))
			must(t, os.Chmod(filepath.Join(dir, "high-level", "a"), 0o700))
			must(t, os.Remove(filepath.Join(dir, "flux", "b.yaml")))
			must(t, os.Symlink("a.yaml", filepath.Join(dir, "flux", "b.yaml")))
			// A folder where a file goes, a file where a folder goes,
			// under names of apps the tree's lock names.
			put(t, dir, map[string]string{"apps/x/inner": "x", "apps/d": "a file",
				MarkerFile: `{"apps": {"a": {}, "b": {}, "d": {}, "x": {}}}`})
		},
		files: func() Files {
			f := maps.Clone(fleetTree)
			delete(f, "apps/b/service_b.yaml")         // a file removed
			f["apps/b/service_c.yaml"] = []byte("c\n") // added in a kept folder
			f["apps/c/deep/x.yaml"] = []byte("new\n")  // a new folder
			f["apps/x"] = []byte("was a folder\n")
			f["apps/d/y.yaml"] = []byte("was a file\n")
			f["apps/a/deployment_a.yaml"] = []byte("kind: Deployment\nspec: {}\n")
			for p := range f {
				if strings.HasPrefix(p, "high-level/") {
					delete(f, p) // an app's folder removed
				}
			}
			f["high-level/z/values.yaml"] = []byte("z: 1\n")
			f[MarkerFile] = []byte(`{"apps": {"a": {}, "b": {}, "c": {}, "d": {}, "x": {}, "z": {}}}`)
			return f
		}(),
	},
	{
		name:    "links to folders outside the tree",
		earlier: fleetTree,
		mess: func(t *testing.T, dir string) {
			// Where the tree has a folder, and where it has none.
			must(t, os.RemoveAll(filepath.Join(dir, "apps", "b")))
			must(t, os.Symlink(filepath.Join("..", "..", "notes"), filepath.Join(dir, "apps", "b")))
			must(t, os.Symlink(filepath.Join("..", "..", "notes"), filepath.Join(dir, "apps", "elsewhere")))
			put(t, dir, map[string]string{MarkerFile: `{"apps": {"a": {}, "b": {}, "elsewhere": {}}}`})
		},
		files: func() Files {
			f := maps.Clone(fleetTree)
			f["apps/b/service_b.yaml"] = []byte("kind: Service\nspec: {}\n")
			f["apps/b/mine.txt"] = []byte("kiln's\n")
			return f
		}(),
	},
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// setUp writes u's earlier tree at root/dev, messes it, and puts a
// foreign folder beside it.
func setUp(t *testing.T, root string, earlier Files, mess func(*testing.T, string)) {
	t.Helper()
	dir := filepath.Join(root, "dev")
	if _, err := Write(bg, dir, earlier, false); err != nil {
		t.Fatal(err)
	}
	if mess != nil {
		mess(t, dir)
	}
	put(t, filepath.Join(root, "notes"), map[string]string{"mine.txt": "not kiln's"})
}

// TestKilledCommit: a run killed before any step of Commit that changes
// the file system, and again before any step of the next run's recovery,
// leaves dev exactly the earlier tree or exactly the new one once a run
// completes the recovery: the earlier one if killed before the journal is
// in place, the new one after. Foreign files survive, nothing is left
// beside dev, and the result is what kiln itself writes: writing the new
// tree again changes nothing.
func TestKilledCommit(t *testing.T) {
	t.Parallel()
	for _, u := range updates {
		t.Run(u.name, func(t *testing.T) {
			t.Parallel()
			// The trees before and after, uninterrupted.
			ref := t.TempDir()
			setUp(t, ref, u.earlier, u.mess)
			before := snapshot(t, ref)
			foreign := snapshot(t, filepath.Join(ref, "notes"))
			if _, err := Write(bg, filepath.Join(ref, "dev"), u.files, false); err != nil {
				t.Fatal(err)
			}
			after := snapshot(t, ref)
			if diff := cmp.Diff(before, after); diff == "" {
				t.Fatal("the update changes nothing")
			}
			if b, a := before["dev/flux/flux-system/gotk-sync.yaml"], after["dev/flux/flux-system/gotk-sync.yaml"]; a != b {
				t.Fatalf("the update changed Flux's files: %q, then %q", b, a)
			}

			for n := 0; ; n++ {
				root := t.TempDir()
				setUp(t, root, u.earlier, u.mess)
				s := &stopAt{n: n}
				o, err := open(root, s.hook)
				if err != nil {
					t.Fatal(err)
				}
				must(t, o.Stage(bg, "dev", u.files, false, nil))
				err = o.Commit(bg)
				if err == nil {
					must(t, o.Close())
					if n < 5 {
						t.Fatalf("Commit took %d steps: %v", n, s.steps)
					}
					break
				}
				if !errors.Is(err, errKilled) {
					t.Fatalf("step %d: Commit = %v", n, err)
				}
				// A Commit that fails is followed by Close (render
				// defers it), which must leave a committed update for the
				// next run; or the process is killed.
				if n%2 == 1 {
					must(t, o.Close())
				} else {
					kill(o)
				}
				killedAt := s.steps[n]
				want := after
				if killedAt == "write journal" || killedAt == "rename journal" {
					want = before
				}
				// The next run is killed too, at each step of its
				// recovery (for some of the first kills: the number of
				// runs grows as their product); the one after completes
				// it.
				for m := 0; ; m++ {
					again := t.TempDir()
					copyTree(t, root, again)
					r := &stopAt{n: m}
					// An Open stopped in its recovery has released the
					// lock and removed nothing else, as a kill would.
					o, err := open(again, r.hook)
					if err == nil {
						must(t, o.Close())
					} else if !errors.Is(err, errKilled) {
						t.Fatalf("step %d, recovery step %d: Open = %v", n, m, err)
					}
					o, err = Open(again)
					if err != nil {
						t.Fatalf("killed at %q, recovery at step %d: %v", killedAt, m, err)
					}
					must(t, o.Close())
					got := snapshot(t, again)
					if diff := cmp.Diff(want, got); diff != "" {
						t.Fatalf("killed at %q, recovery killed at step %d of %v: tree (-want +got):\n%s", killedAt, m, r.steps, diff)
					}
					if diff := cmp.Diff(foreign, snapshot(t, filepath.Join(again, "notes"))); diff != "" {
						t.Errorf("foreign folder (-want +got):\n%s", diff)
					}
					if m >= len(r.steps) {
						break // recovery took fewer steps than m
					}
					if !nested(killedAt, n) {
						break
					}
				}
				// Before, the tree is not read as a whole.
				if _, err := Read(filepath.Join(root, "dev")); killedAt != "write journal" && killedAt != "rename journal" && !strings.HasPrefix(killedAt, "remove staging") {
					var ue *UnfinishedError
					if !errors.As(err, &ue) {
						t.Errorf("killed at %q: Read = %v, want an UnfinishedError", killedAt, err)
					}
				}
				// What the recovery left is what kiln writes: writing
				// the new tree over it changes nothing more.
				if _, err := Write(bg, filepath.Join(root, "dev"), u.files, false); err != nil {
					t.Fatal(err)
				}
				aged(t, filepath.Join(root, "dev"))
				st := stats(t, filepath.Join(root, "dev"))
				if _, err := Write(bg, filepath.Join(root, "dev"), u.files, false); err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(slices.Sorted(maps.Keys(st)), untouched(st, stats(t, filepath.Join(root, "dev")))); diff != "" {
					t.Errorf("killed at %q: rewriting the recovered tree touched (-want +got):\n%s", killedAt, diff)
				}
				if diff := cmp.Diff(after, snapshot(t, root)); diff != "" {
					t.Errorf("killed at %q: tree after the next write (-want +got):\n%s", killedAt, diff)
				}
			}
		})
	}
}

// copyTree copies what a killed run left at src to dst: folders, files
// and links, with their permissions.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		switch {
		case fi.IsDir():
			if err := os.MkdirAll(to, 0o700); err != nil {
				return err
			}
			return os.Chmod(to, fi.Mode().Perm())
		case fi.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(target, to)
		default:
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if err := os.WriteFile(to, data, fi.Mode().Perm()); err != nil {
				return err
			}
			return os.Chmod(to, fi.Mode().Perm())
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}

// nested says for which kills of a Commit TestKilledCommit also kills the
// recovery at each of its steps: the kill before the first op, whose
// recovery does every op, and every third.
func nested(killedAt string, n int) bool {
	return strings.HasPrefix(killedAt, "op 0:") || n%3 == 0
}

// TestJournalLeftAlone: a journal whose tree is gone is removed, with a
// warning; a damaged one is an error naming it and saying what to do,
// and nothing is changed.
func TestJournalLeftAlone(t *testing.T) {
	t.Parallel()
	t.Run("tree gone", func(t *testing.T) {
		t.Parallel()
		root := t.TempDir()
		put(t, root, map[string]string{journalName("dev"): string(encodeJournal([]op{{path: "a", put: true}})), newName("dev") + "/0/a": "x"})
		o, err := Open(root)
		if err != nil {
			t.Fatal(err)
		}
		must(t, o.Close())
		if diff := cmp.Diff([]string(nil), entries(t, root)); diff != "" {
			t.Errorf("output root (-want +got):\n%s", diff)
		}
		if ws := o.Warnings(); len(ws) != 2 || !strings.Contains(ws[0].String(), "which is gone") {
			t.Errorf("warnings = %v", ws)
		}
	})
	for name, journal := range map[string]string{
		"truncated":   journalHead + "\nput \"a\"\n",
		"escaping":    journalHead + "\nput \"../notes/x\"\nend\n",
		"unknown op":  journalHead + "\nchmod \"a\"\nend\n",
		"not quoted":  journalHead + "\nput a\nend\n",
		"other files": "hello\n",
		// A journal may have been committed to the manifests repository
		// rather than left by a killed run: one that touches what kiln
		// never writes is refused, not done.
		"outside kiln's entries":         journalHead + "\nput \"README.md\"\nend\n",
		"a git hook":                     journalHead + "\nput \"apps/a/.git/hooks/post-checkout\"\nend\n",
		"flux's bootstrap":               journalHead + "\ndel \"flux/flux-system\"\nend\n",
		"the folder of flux's bootstrap": journalHead + "\nput \"flux\"\nend\n",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			setUp(t, root, fleetTree, nil)
			put(t, root, map[string]string{journalName("dev"): journal, newName("dev") + "/0/a": "x",
				"dev/README.md": "notes", "dev/flux/flux-system/gotk-sync.yaml": "kind: Kustomization\n"})
			before := snapshot(t, root)
			_, err := Open(root)
			if err == nil || !strings.Contains(err.Error(), journalName("dev")) || !strings.Contains(err.Error(), "remove") {
				t.Fatalf("Open = %v, want an error naming the journal and what to do", err)
			}
			delete(before, LockFile)
			if diff := cmp.Diff(before, snapshot(t, root)); diff != "" {
				t.Errorf("output root (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPlantedLeftovers: what looks like an interrupted run's leftovers
// but names no tree kiln could write (the output root itself, a hidden
// folder) is left alone: a journal committed as ...kiln-journal would
// otherwise update the output root, its .git included.
func TestPlantedLeftovers(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	setUp(t, root, fleetTree, nil)
	journal := journalHead + "\ndel \"README.md\"\nput \".git/hooks/post-checkout\"\nend\n"
	put(t, root, map[string]string{"README.md": "notes", ".git/HEAD": "ref: refs/heads/main\n",
		journalName("."): journal, newName(".") + "/0/post-checkout": "#!/bin/sh\n", newName(".") + "/gone/.keep": "",
		journalName(".git"): journal, newName(".git") + "/0/post-checkout": "#!/bin/sh\n"})
	before := snapshot(t, root)
	o, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	must(t, o.Close())
	if diff := cmp.Diff(before, snapshot(t, root)); diff != "" {
		t.Errorf("output root (-want +got):\n%s", diff)
	}
	if ws := o.Warnings(); len(ws) != 0 {
		t.Errorf("warnings = %v", ws)
	}
}

// TestConcurrentRunDuringUpdate: while a run puts an env's changes in
// place, another run cannot open the root (the lock), so it neither
// completes nor undoes them, and a reader of the tree is told the tree is
// being updated instead of reading half of it.
func TestConcurrentRunDuringUpdate(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dir := filepath.Join(root, "dev")
	setUp(t, root, fleetTree, nil)
	files := maps.Clone(fleetTree)
	files["apps/a/deployment_a.yaml"] = []byte("kind: Deployment\nspec: {}\n")
	files["apps/c/x.yaml"] = []byte("new\n")
	delete(files, "flux/b.yaml")
	checked := 0
	o, err := open(root, func(step string) error {
		if !strings.HasPrefix(step, "op ") {
			return nil
		}
		checked++
		before := snapshot(t, root)
		var le *LockedError
		if _, err := Write(bg, dir, fleetTree, false); !errors.As(err, &le) {
			t.Errorf("at %q: a second run: %v, want a LockedError", step, err)
		}
		var ue *UnfinishedError
		if _, err := Read(dir); !errors.As(err, &ue) || !strings.Contains(err.Error(), "kiln render") {
			t.Errorf("at %q: Read = %v, want an UnfinishedError saying what to do", step, err)
		}
		if diff := cmp.Diff(before, snapshot(t, root)); diff != "" {
			t.Errorf("at %q: the second run changed (-before +after):\n%s", step, diff)
		}
		return nil
	})
	must(t, err)
	must(t, o.Stage(bg, "dev", files, false, nil))
	must(t, errors.Join(o.Commit(bg), o.Close()))
	if checked < 3 {
		t.Errorf("checked at %d steps, want one per op", checked)
	}
	if diff := cmp.Diff(asStrings(files), mustRead(t, dir)); diff != "" {
		t.Errorf("tree (-want +got):\n%s", diff)
	}
}

// TestForcedKilledRecovers: a forced update removes the user's files
// through its journal; killed after the journal is in place, the next run
// completes it, removal included (a journal may remove any entry but
// .git's and the bootstrap's).
func TestForcedKilledRecovers(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	first := Files{MarkerFile: []byte(`{"apps":{"a":{}}}` + "\n"), "apps/a/x.yaml": []byte("a: 1\n")}
	o, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	must(t, o.Stage(context.Background(), "dev", first, false, nil))
	must(t, o.Commit(context.Background()))
	must(t, o.Close())
	put(t, root, map[string]string{"dev/README.md": "notes\n"})
	second := Files{MarkerFile: first[MarkerFile], "apps/a/x.yaml": []byte("a: 2\n")}
	s := &stopAt{n: 3}
	o, err = open(root, s.hook)
	if err != nil {
		t.Fatal(err)
	}
	must(t, o.Stage(context.Background(), "dev", second, true, nil))
	if err := o.Commit(context.Background()); err == nil {
		t.Fatal("the commit was not stopped")
	}
	_ = o.Close()
	o, err = Open(root)
	if err != nil {
		t.Fatalf("the next run cannot recover: %v", err)
	}
	must(t, o.Close())
	got, err := Read(filepath.Join(root, "dev"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(second, got); diff != "" {
		t.Errorf("tree after recovery (-want +got):\n%s", diff)
	}
}

// TestJournalThroughLinks: a committed journal cannot reach through a
// symlink in the tree (apps/ linked to ../.git/hooks), nor put a staged
// symlink: nothing is written there, and the run fails naming the link.
func TestJournalThroughLinks(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		link, target string
		journal      string
	}{
		"a link above the entry": {"dev/apps", "../.git/hooks", "put \"apps/pre-commit\""},
		"a staged link":          {newName("dev") + "/0/pre-commit", "../../.git/hooks/pre-commit", "put \"apps/pre-commit\""},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			setUp(t, root, fleetTree, nil)
			put(t, root, map[string]string{".git/hooks/README": "hooks\n", journalName("dev"): journalHead + "\n" + tc.journal + "\nend\n"})
			if !strings.HasPrefix(tc.link, newName("dev")) {
				must(t, os.RemoveAll(filepath.Join(root, tc.link)))
				put(t, root, map[string]string{newName("dev") + "/0/pre-commit": "#!/bin/sh\necho pwned\n"})
			} else {
				must(t, os.MkdirAll(filepath.Join(root, filepath.Dir(tc.link)), 0o755))
			}
			must(t, os.Symlink(tc.target, filepath.Join(root, tc.link)))
			if _, err := Open(root); err == nil || !strings.Contains(err.Error(), "symlink") {
				t.Fatalf("Open = %v, want an error naming the symlink", err)
			}
			if _, err := os.Lstat(filepath.Join(root, ".git", "hooks", "pre-commit")); err == nil {
				t.Error("a hook was written")
			}
			if _, err := os.Lstat(filepath.Join(root, "dev", "apps", "pre-commit")); err == nil && name == "a staged link" {
				t.Error("a staged link was put in the tree")
			}
		})
	}
}
