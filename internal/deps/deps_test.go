package deps

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kiln-gitops/kiln/templates"
)

// TestObserveAgreesWithRecorder records each kind of observation the way an
// engine does and checks that Observe sees the same, then that every change
// an engine could notice makes Observe see something else.
func TestObserveAgreesWithRecorder(t *testing.T) {
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	outside := t.TempDir()
	write := func(rel, content string) {
		t.Helper()
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("chart/Chart.yaml", "name: a\n")
	write("chart/templates/a.yaml", "kind: A\n")
	write("lib/b.libsonnet", "{}\n")
	if err := os.WriteFile(filepath.Join(outside, "b.libsonnet"), []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("lib", filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}

	rec := New(root)
	data, _ := os.ReadFile(filepath.Join(root, "chart/Chart.yaml"))
	rec.File(filepath.Join(root, "chart/Chart.yaml"), data)
	entries, _ := os.ReadDir(filepath.Join(root, "chart/templates"))
	rec.Dir("chart/templates", entries)
	fi, err := os.Stat(filepath.Join(root, "vendor/b.libsonnet"))
	rec.Stat("vendor/b.libsonnet", fi, err)
	if _, err := rec.Resolve(root, "link/b.libsonnet"); err != nil {
		t.Fatal(err)
	}
	got, ok := rec.Deps()
	if !ok || len(got) != 4 {
		t.Fatalf("Deps() = %v, %v; want 4 and true", got, ok)
	}
	obs := NewObserver(root)
	for _, d := range got {
		if now := Observe(root, d); now != d.Sum {
			t.Errorf("Observe(%s %s) = %q, recorded %q", d.Kind, d.Path, now, d.Sum)
		}
		if now := obs.Observe(d); now != d.Sum {
			t.Errorf("Observer.Observe(%s %s) = %q, recorded %q", d.Kind, d.Path, now, d.Sum)
		}
	}
	if got[2].Kind != Resolve || got[2].Sum != "lib/b.libsonnet" {
		t.Errorf("resolve dep = %+v", got[2])
	}

	changes := map[string]func(){
		"file content": func() { write("chart/Chart.yaml", "name: b\n") },
		"dir listing":  func() { write("chart/templates/b.yaml", "kind: B\n") },
		"lookup that found nothing finds something": func() { write("vendor/b.libsonnet", "{}\n") },
		"symlink retargeted": func() {
			write("lib2/b.libsonnet", "{}\n")
			os.Remove(filepath.Join(root, "link"))
			os.Symlink("lib2", filepath.Join(root, "link"))
		},
	}
	for name, change := range changes {
		// An Observer made before the change (a run's) and one made after
		// (the next run's, which must see it).
		before := NewObserver(root)
		for _, d := range got {
			before.Observe(d)
		}
		change()
		changed := 0
		after := NewObserver(root)
		for _, d := range got {
			now := Observe(root, d)
			if now != d.Sum {
				changed++
			}
			if o := after.Observe(d); o != now {
				t.Errorf("%s: a new Observer sees %s %s as %q, Observe as %q", name, d.Kind, d.Path, o, now)
			}
		}
		if changed != 1 {
			t.Errorf("%s: %d observations changed, want 1", name, changed)
		}
		// Put the recorded world back for the next change.
		write("chart/Chart.yaml", "name: a\n")
		os.Remove(filepath.Join(root, "chart/templates/b.yaml"))
		os.RemoveAll(filepath.Join(root, "vendor"))
		os.Remove(filepath.Join(root, "link"))
		os.Symlink("lib", filepath.Join(root, "link"))
	}

	// A symlink that comes to lead outside the root never matches, even
	// when what it leads to has the same bytes.
	os.Remove(filepath.Join(root, "link"))
	if err := os.Symlink(outside, filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	for _, d := range []struct{ kind, sum string }{{Resolve, "lib/b.libsonnet"}, {File, FileSum([]byte("{}\n"))}} {
		if now := Observe(root, depOf(d.kind, "link/b.libsonnet", d.sum)); now == d.sum {
			t.Errorf("%s through a symlink leading outside still matches", d.kind)
		}
		if now := NewObserver(root).Observe(depOf(d.kind, "link/b.libsonnet", d.sum)); now == d.sum {
			t.Errorf("Observer: %s through a symlink leading outside still matches", d.kind)
		}
	}
}

func TestConflictingObservationsAreNotCacheable(t *testing.T) {
	rec := New(t.TempDir())
	rec.File("a.yaml", []byte("one"))
	rec.File("a.yaml", []byte("two"))
	if _, ok := rec.Deps(); ok {
		t.Error("a file read twice with different content during one render must make it uncacheable")
	}
	var none *Recorder
	none.File("a.yaml", nil) // a nil Recorder records nothing and does not panic
	if _, ok := none.Deps(); ok {
		t.Error("a nil Recorder's render must not be cacheable")
	}
}

func depOf(kind, p, sum string) templates.Dep { return templates.Dep{Kind: kind, Path: p, Sum: sum} }
