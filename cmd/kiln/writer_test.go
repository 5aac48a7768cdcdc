//go:build unix

package main

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/render"
)

// TestAppReadsTheEarlierTreeUnderTheLock: render --app keeps the other
// apps as <out>/<env> has them, so it must read that tree holding the
// output's lock, and hold it until it writes. Read without it, a run
// writing the tree meanwhile (taking and releasing the lock before this
// one stages) would have its apps overwritten by the copies read before
// it, and neither run would fail. While another process holds the lock,
// the read is refused, naming it; once this run reads, it holds the lock.
func TestAppReadsTheEarlierTreeUnderTheLock(t *testing.T) {
	t.Parallel()
	project := exampleCopy(t)
	p, err := envconfig.Load(filepath.Join(project, "kiln.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := render.New(p, render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	out := filepath.Join(t.TempDir(), "out")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}

	// Another kiln writes out: it holds the lock.
	other, err := os.OpenFile(filepath.Join(out, ".kiln.lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Flock(int(other.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	if _, err := other.WriteString("pid=4242\nhost=elsewhere\n"); err != nil {
		t.Fatal(err)
	}
	w := &writer{ctx: context.Background(), r: r, out: out}
	if _, err := w.earlier("dev"); err == nil || !strings.Contains(err.Error(), "another kiln process (pid 4242 on elsewhere)") {
		t.Fatalf("reading the earlier tree while another run holds the lock: %v, want that run named", err)
	}
	if err := w.abort(); err != nil {
		t.Fatal(err)
	}
	// The other run ends. Unlocked explicitly, as closing alone would not
	// do while another test's fork still shares the file (until its exec
	// closes it): flock belongs to the open file, and this test then
	// failed now and then, naming pid 4242. kiln's own release removes
	// the file first, so a lock held on for a moment there is nobody's.
	if err := unix.Flock(int(other.Fd()), unix.LOCK_UN); err != nil {
		t.Fatal(err)
	}
	other.Close()

	w = &writer{ctx: context.Background(), r: r, out: out}
	if _, err := w.earlier("dev"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("reading a missing earlier tree: %v, want it missing", err)
	}
	// Held from the read on: a run starting now is refused.
	second := &writer{ctx: context.Background(), r: r, out: out}
	if err := second.open(); err == nil || !strings.Contains(err.Error(), "another kiln process") {
		t.Errorf("a second run's open after the read: %v, want it refused", err)
	}
	if err := w.commit(); err != nil {
		t.Fatal(err)
	}
}

// TestValidateAppReadsTheEarlierTreeShared: validate --app judges the
// other apps as <out>/<env> has them, so it reads that tree as promote
// --rendered does, holding the output's lock shared: a render writing out
// meanwhile is refused, naming it, rather than its tree judged half
// written; with no render there, nothing is left behind in out.
func TestValidateAppReadsTheEarlierTreeShared(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	writeFiles(t, out, map[string]string{"dev/kiln.lock.json": "{}\n", "dev/apps/a/cm.yaml": "a\n"})
	other, err := os.OpenFile(filepath.Join(out, ".kiln.lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := unix.Flock(int(other.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	if _, err := other.WriteString("pid=4242\nhost=elsewhere\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := earlierIn(out)("dev"); err == nil || !strings.Contains(err.Error(), "another kiln process (pid 4242 on elsewhere)") {
		t.Errorf("validate --app reading while a render writes: %v, want that render named", err)
	}
	// The render ends as kiln's does: the lock file removed, then unlocked.
	if err := os.Remove(other.Name()); err != nil {
		t.Fatal(err)
	}
	if err := unix.Flock(int(other.Fd()), unix.LOCK_UN); err != nil {
		t.Fatal(err)
	}
	files, err := earlierIn(out)("dev")
	if err != nil || len(files) != 2 {
		t.Fatalf("validate --app reading once the render ended = %v, %v", files, err)
	}
	if _, err := os.Lstat(filepath.Join(out, ".kiln.lock")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("validate left a lock file in %s: %v", out, err)
	}
}
