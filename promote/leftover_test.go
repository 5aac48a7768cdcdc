//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package promote

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// leftoverEnv tells this test binary, started again by
// TestLeftoverOfAKilledRunIsRemoved, to be a kiln run that makes its
// temporary folders in the work dir it names and is then killed.
const leftoverEnv = "KILN_TEST_LEFTOVER_WORKDIR"

// TestLeftoverChild is the killed run: it makes a clone's and a verify
// worktree's folder as kiln does, puts a file in each, says where, and
// waits to be killed.
func TestLeftoverChild(t *testing.T) {
	workDir := os.Getenv(leftoverEnv)
	if workDir == "" {
		t.Skip("run by TestLeftoverOfAKilledRunIsRemoved")
	}
	for _, prefix := range []string{clonePrefix, worktreePrefix} {
		d, err := makeTemp(workDir, prefix, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d.path, "objects"), []byte("a clone\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		fmt.Println(d.path)
	}
	select {}
}

// TestLeftoverOfAKilledRunIsRemoved: a promotion removes from its work
// dir the temporary folders of a kiln run killed with SIGKILL (which
// removed nothing), a line in the log naming each; it leaves alone a live
// run's folder (its marker locked), a folder named as kiln's that holds no
// marker (not kiln's, or an older kiln's), and a symlink named as kiln's
// folders, with what it leads to, even a kiln folder with an unlocked
// marker.
func TestLeftoverOfAKilledRunIsRemoved(t *testing.T) {
	t.Parallel()
	workDir := t.TempDir()

	// The killed run: this test binary, killed once its folders are made.
	cmd := exec.Command(os.Args[0], "-test.run=^TestLeftoverChild$", "-test.v")
	cmd.Env = append(os.Environ(), leftoverEnv+"="+workDir, "TMPDIR="+t.TempDir())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var killed []string
	sc := bufio.NewScanner(stdout)
	for len(killed) < 2 && sc.Scan() {
		if p := sc.Text(); filepath.Dir(p) == workDir {
			killed = append(killed, p)
		}
	}
	// A live run's folder: this process holds its marker. Made while
	// the other run lives, so its folders are no leftovers yet either.
	live, err := makeTemp(workDir, clonePrefix, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer live.remove()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if len(killed) != 2 {
		t.Fatalf("the killed run made %v", killed)
	}
	for _, p := range killed {
		if _, err := os.Stat(filepath.Join(p, "objects")); err != nil {
			t.Fatalf("the killed run's folder: %v", err)
		}
	}

	// Not kiln's: no marker.
	foreign := filepath.Join(workDir, clonePrefix+"x")
	if err := os.MkdirAll(filepath.Join(foreign, "repo"), 0o755); err != nil {
		t.Fatal(err)
	}
	// A symlink to a folder that looks like a leftover: marker unlocked.
	target := filepath.Join(t.TempDir(), clonePrefix+"target")
	if err := os.MkdirAll(target, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{tempMarker, "precious"} {
		if err := os.WriteFile(filepath.Join(target, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	link := filepath.Join(workDir, clonePrefix+"y")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}

	f := newFixture(t)
	var log bytes.Buffer
	opts := f.opts(t, "dev", &log)
	opts.WorkDir = workDir
	opts.DryRun = true
	if _, err := promote(t, f, opts); err != nil {
		t.Fatal(err)
	}
	for _, p := range killed {
		if _, err := os.Lstat(p); !os.IsNotExist(err) {
			t.Errorf("the killed run's %s is still there: %v", p, err)
		}
		if want := "removed " + p + ", left by a kiln run that was killed\n"; !strings.Contains(log.String(), want) {
			t.Errorf("the log does not say %q:\n%s", want, log.String())
		}
	}
	if n := strings.Count(log.String(), "left by a kiln run"); n != len(killed) {
		t.Errorf("the log names %d leftovers, want %d:\n%s", n, len(killed), log.String())
	}
	for _, p := range []string{filepath.Join(live.path, tempMarker), filepath.Join(foreign, "repo"), filepath.Join(target, tempMarker), filepath.Join(target, "precious")} {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("%s was removed: %v", p, err)
		}
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the symlink %s was removed or replaced: %v", link, err)
	}
	// Nothing else is left: the promotion removed its own clone.
	entries, err := os.ReadDir(workDir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{filepath.Base(live.path), clonePrefix + "x", clonePrefix + "y"}; fmt.Sprint(names) != fmt.Sprint(sortedCopy(want)) {
		t.Errorf("the work dir holds %v, want %v", names, sortedCopy(want))
	}
}

// sortedCopy is s sorted, as os.ReadDir lists names.
func sortedCopy(s []string) []string {
	c := append([]string(nil), s...)
	for i := range c {
		for j := i + 1; j < len(c); j++ {
			if c[j] < c[i] {
				c[i], c[j] = c[j], c[i]
			}
		}
	}
	return c
}

// TestLeftoverCleanerSparesLiveRuns: runs starting together, each
// removing leftovers as it makes its folder, never remove one another's
// live folder: the marker is locked before it can be seen, and stays
// locked until the folder is gone.
func TestLeftoverCleanerSparesLiveRuns(t *testing.T) {
	t.Parallel()
	workDir := t.TempDir()
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			for range 50 {
				d, err := makeTemp(workDir, clonePrefix, io.Discard)
				if err != nil {
					errs <- err
					return
				}
				p := filepath.Join(d.path, "repo")
				if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
					errs <- fmt.Errorf("a live run's folder was removed: %w", err)
					return
				}
				removeLeftovers(workDir, io.Discard)
				if _, err := os.Stat(p); err != nil {
					errs <- fmt.Errorf("a live run's folder was removed: %w", err)
					return
				}
				if err := d.remove(); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestHalfMadeLeftoverIsRemoved: a run killed inside makeTemp, between
// making its folder and renaming its marker in, leaves a folder with no
// marker: empty, or holding the marker under its first name, unlocked.
// A later run removes such a folder once it is older than any live run
// takes to make its marker, and leaves alone a fresh one (a live run
// about to mark it), one whose first-named marker a live run holds, one
// with anything else in it (an older kiln's clone), and one not named as
// kiln names them.
func TestHalfMadeLeftoverIsRemoved(t *testing.T) {
	t.Parallel()
	workDir := t.TempDir()
	old := time.Now().Add(-time.Hour)
	mk := func(name string, files ...string) string {
		dir := filepath.Join(workDir, name)
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	age := func(dir string) {
		if err := os.Chtimes(dir, old, old); err != nil {
			t.Fatal(err)
		}
	}
	empty := mk(clonePrefix + "111")
	unlocked := mk(worktreePrefix+"222", tempMarker+".new")
	locked := mk(clonePrefix+"333", tempMarker+".new")
	fresh := mk(clonePrefix + "444")
	full := mk(clonePrefix+"555", "objects")
	other := mk(clonePrefix + "debug")
	for _, d := range []string{empty, unlocked, locked, full, other} {
		age(d)
	}
	// A live run between locking its marker and renaming it in.
	f, err := os.OpenFile(filepath.Join(locked, tempMarker+".new"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}

	var log bytes.Buffer
	removeLeftovers(workDir, &log)
	for _, d := range []string{empty, unlocked} {
		if _, err := os.Lstat(d); !os.IsNotExist(err) {
			t.Errorf("%s, left half made by a killed run, is still there: %v", d, err)
		}
		if !strings.Contains(log.String(), "removed "+d+", left empty by a kiln run that was killed") {
			t.Errorf("the log does not name %s:\n%s", d, log.String())
		}
	}
	for _, d := range []string{locked, fresh, full, other} {
		if _, err := os.Lstat(d); err != nil {
			t.Errorf("%s was removed: %v", d, err)
		}
	}
}

// TestLeftoverRemovedWhileWrittenTo: a git the killed run started
// outlives it (SIGKILL reaches kiln alone) and may still write into its
// clone while the next run removes it, which then fails. The folder's
// marker went first, so no later run took the folder for a leftover
// again: a clone left on the disk for good. The marker now goes last, and
// the run after removes the folder.
func TestLeftoverRemovedWhileWrittenTo(t *testing.T) {
	workDir := t.TempDir()
	dir := filepath.Join(workDir, clonePrefix+"777")
	for _, p := range []string{tempMarker, "repo/.git/objects/ab/cd"} {
		p = filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// The orphaned git writes an object as the folder is removed.
	removeAll = func(p string) error {
		err := os.RemoveAll(p)
		obj := filepath.Join(dir, "repo", ".git", "objects", "ef", "01")
		if err := os.MkdirAll(filepath.Dir(obj), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(obj, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		return errors.Join(err, &os.PathError{Op: "unlinkat", Path: filepath.Join(dir, "repo", ".git", "objects"), Err: syscall.ENOTEMPTY})
	}
	defer func() { removeAll = os.RemoveAll }()
	var log bytes.Buffer
	removeLeftovers(workDir, &log)
	if !strings.Contains(log.String(), "warning: could not remove "+dir) {
		t.Errorf("the log does not say the removal failed:\n%s", log.String())
	}
	removeAll = os.RemoveAll
	log.Reset()
	removeLeftovers(workDir, &log)
	if _, err := os.Lstat(dir); !os.IsNotExist(err) {
		t.Errorf("%s is still there once nothing writes into it: %v\n%s", dir, err, log.String())
	}
}
