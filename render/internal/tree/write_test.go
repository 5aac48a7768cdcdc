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
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/internal/limits"
)

var bg = context.Background()

// put writes files below dir for a test.
func put(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, data := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// entries lists dir's names, sorted.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

func asStrings(f Files) map[string]string {
	out := map[string]string{}
	for p, d := range f {
		out[p] = string(d)
	}
	return out
}

func mustRead(t *testing.T, dir string) map[string]string {
	t.Helper()
	f, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	return asStrings(f)
}

var newTree = Files{"apps/web/a.yaml": []byte("new"), MarkerFile: []byte(`{"apps": {"web": {}}}`)}

// kilnNotifications is a flux/notifications.yaml as kiln writes it.
const kilnNotifications = "apiVersion: notification.toolkit.fluxcd.io/v1beta3\nkind: Provider\nmetadata:\n  labels:\n    app.kubernetes.io/managed-by: kiln\n    kiln/env: dev\n  name: kiln-dev-commit-status\n  namespace: flux-system\n" +
	"---\napiVersion: notification.toolkit.fluxcd.io/v1beta3\nkind: Alert\nmetadata:\n  labels:\n    app.kubernetes.io/managed-by: kiln\n    kiln/env: dev\n  name: kiln-dev-commit-status\n  namespace: flux-system\n"

// TestWriteReplacesOnlyKilnTrees: a folder kiln did not write (no
// kiln.lock.json) is never replaced without force, whatever it holds.
func TestWriteReplacesOnlyKilnTrees(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		before  map[string]string // nil: absent
		force   bool
		wantErr bool
	}{
		{name: "absent"},
		{name: "empty", before: map[string]string{}},
		{name: "a kiln tree", before: map[string]string{MarkerFile: `{"apps": {"old": {}}}`, "apps/old/x.yaml": "old"}},
		{name: "a manifests checkout", before: map[string]string{"README.md": "docs", "infra/x.yaml": "mine"}, wantErr: true},
		{name: "a source overlay", before: map[string]string{"kustomization.yaml": "resources: []"}, wantErr: true},
		{name: "kiln.lock.json is a folder", before: map[string]string{MarkerFile + "/x": "y"}, wantErr: true},
		{name: "forced", before: map[string]string{"README.md": "docs"}, force: true},
		// flux bootstrap --path <manifests.path>/flux ran before kiln's
		// first render: the bootstrap is kept (TestWriteKeepsBootstrap).
		{name: "Flux's bootstrap only", before: map[string]string{"flux/flux-system/gotk-sync.yaml": "kind: GitRepository\n"}},
		{name: "Flux's bootstrap and a file of the user", before: map[string]string{"flux/flux-system/gotk-sync.yaml": "kind: GitRepository\n", "flux/mine.yaml": "kind: Kustomization\n"}, wantErr: true},
		{name: "Flux's bootstrap beside other folders", before: map[string]string{"flux/flux-system/gotk-sync.yaml": "kind: GitRepository\n", "infra/x.yaml": "mine"}, wantErr: true},
		// A kiln tree holding files kiln did not write: replacing it
		// would delete them (promote refuses the same).
		{name: "a kiln tree with a README", before: map[string]string{MarkerFile: "{}", "apps/old/x.yaml": "old", "README.md": "docs"}, wantErr: true},
		{name: "a kiln tree with a folder of the user", before: map[string]string{MarkerFile: "{}", "docs/runbook.md": "mine"}, wantErr: true},
		{name: "a kiln tree with the user's Kustomization", before: map[string]string{MarkerFile: `{"apps": {"old": {}}}`, "flux/old.yaml": "k", "flux/mine.yaml": "kind: Kustomization\n"}, wantErr: true},
		{name: "a kiln tree with a folder of no app in apps/", before: map[string]string{MarkerFile: `{"apps": {"old": {}}}`, "apps/old/x.yaml": "old", "apps/extra/cm.yaml": "mine"}, wantErr: true},
		{name: "a kiln tree with a file beside the apps' folders", before: map[string]string{MarkerFile: `{"apps": {"old": {}}}`, "apps/old/x.yaml": "old", "high-level/README.md": "mine"}, wantErr: true},
		{name: "a kiln tree with a folder in flux/", before: map[string]string{MarkerFile: "{}", "flux/infra/x.yaml": "mine"}, wantErr: true},
		{name: "a kiln tree with a .gitkeep that holds text", before: map[string]string{MarkerFile: "{}", ".gitkeep": "keep me"}, wantErr: true},
		{name: "a kiln tree with only kiln's files", before: map[string]string{
			MarkerFile: `{"apps": {"old": {}}}`, "kiln.shard.json": "{}", "apps/old/extra/x.yaml": "old", "high-level/old/values.yaml": "a: 1",
			"flux/old.yaml": "k", "flux/notifications.yaml": kilnNotifications, ".gitkeep": "", "flux/flux-system/gotk-sync.yaml": "kind: GitRepository\n"}},
		// Then no app is known, so no file but the lock can be told for
		// kiln's: a merge conflict in a manifests checkout must not
		// delete the user's Kustomization (nor apps' folders).
		{name: "a kiln tree whose lock does not parse", before: map[string]string{MarkerFile: "{\n<<<<<<< HEAD\n", "flux/old.yaml": "k"}, wantErr: true},
		{name: "a kiln tree whose lock does not parse, with an app's folder", before: map[string]string{MarkerFile: "{", "apps/old/x.yaml": "old"}, wantErr: true},
		// flux/notifications.yaml is kiln's when kiln wrote it (its
		// objects carry kiln's label); the user's own Provider and
		// Alert under that name are not.
		{name: "a kiln tree with the user's notifications", before: map[string]string{MarkerFile: `{"apps": {}}`,
			"flux/notifications.yaml": "apiVersion: notification.toolkit.fluxcd.io/v1beta3\nkind: Provider\nmetadata: {name: slack, namespace: flux-system}\nspec: {type: slack}\n"}, wantErr: true},
		{name: "a kiln tree with kiln's notifications beside one of the user", before: map[string]string{MarkerFile: `{"apps": {}}`,
			"flux/notifications.yaml": kilnNotifications + "---\napiVersion: notification.toolkit.fluxcd.io/v1beta3\nkind: Provider\nmetadata: {name: slack, namespace: flux-system}\n"}, wantErr: true},
		{name: "a kiln tree with a README, forced", before: map[string]string{MarkerFile: "{}", "README.md": "docs"}, force: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "dev")
			if tc.before != nil {
				if err := os.Mkdir(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				put(t, dir, tc.before)
			}
			_, err := Write(bg, dir, newTree, tc.force)
			var nk *NotKilnTreeError
			if tc.wantErr {
				if !errors.As(err, &nk) || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "--force") {
					t.Fatalf("Write = %v, want a NotKilnTreeError naming %s and --force", err, dir)
				}
				if diff := cmp.Diff(tc.before, mustRead(t, dir)); diff != "" {
					t.Errorf("refused folder changed (-want +got):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := asStrings(newTree)
			for p, d := range tc.before {
				if strings.HasPrefix(p, BootstrapDir) {
					want[p] = d
				}
			}
			if diff := cmp.Diff(want, mustRead(t, dir)); diff != "" {
				t.Errorf("tree (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("the user's entries named", func(t *testing.T) {
		t.Parallel()
		dir := filepath.Join(t.TempDir(), "dev")
		before := map[string]string{MarkerFile: `{"apps": {"web": {}}}`, "flux/web.yaml": "k", "README.md": "docs",
			"docs/runbook.md": "mine", "flux/mine.yaml": "kind: Kustomization\n"}
		put(t, dir, before)
		_, err := Write(bg, dir, newTree, false)
		if err == nil || !strings.Contains(err.Error(), "this tree holds 3 entries that kiln did not write: README.md, docs/, flux/mine.yaml") {
			t.Fatalf("Write = %v, want the three entries named", err)
		}
	})
	t.Run("the user's file, as kiln would write it", func(t *testing.T) {
		t.Parallel()
		dir := filepath.Join(t.TempDir(), "dev")
		put(t, dir, map[string]string{MarkerFile: "{}", "flux/web.yaml": "k"})
		files := Files{MarkerFile: []byte(`{"apps": {"web": {}}}`), "flux/web.yaml": []byte("k")}
		if _, err := Write(bg, dir, files, false); err != nil {
			t.Fatalf("Write = %v, want the file taken over as it is", err)
		}
	})
	t.Run("a file", func(t *testing.T) {
		t.Parallel()
		dir := filepath.Join(t.TempDir(), "dev")
		put(t, filepath.Dir(dir), map[string]string{"dev": "a file"})
		if _, err := Write(bg, dir, newTree, false); err == nil {
			t.Fatal("Write replaced a file")
		}
	})
}

// TestWriteKeepsBootstrap: flux/flux-system/ of the tree being replaced is
// kept byte for byte, and a rendered tree cannot overwrite it.
func TestWriteKeepsBootstrap(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "dev")
	boot := map[string]string{
		"flux/flux-system/gotk-components.yaml": "# flux v2.4.0\n",
		"flux/flux-system/kustomization.yaml":   "resources: [gotk-components.yaml]\n",
	}
	before := map[string]string{MarkerFile: `{"apps": {"old": {}}}`, "apps/old/x.yaml": "old"}
	for p, d := range boot {
		before[p] = d
	}
	put(t, dir, before)
	files := Files{MarkerFile: []byte("{}"), "flux/web.yaml": []byte("k"), "flux/flux-system/gotk-components.yaml": []byte("# not kiln's to write\n")}
	if _, err := Write(bg, dir, files, false); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{MarkerFile: "{}", "flux/web.yaml": "k"}
	for p, d := range boot {
		want[p] = d
	}
	if diff := cmp.Diff(want, mustRead(t, dir)); diff != "" {
		t.Errorf("tree (-want +got):\n%s", diff)
	}
}

// TestRecover: what a killed run leaves is restored or removed by the next
// one, with a warning each.
func TestRecover(t *testing.T) {
	t.Parallel()
	earlier := map[string]string{MarkerFile: `{"apps": {"web": {}}}`, "apps/web/a.yaml": "earlier"}
	for _, tc := range []struct {
		name      string
		dirThere  bool
		leftovers map[string]map[string]string
		wantWarns int
	}{
		{name: "killed between the two renames", leftovers: map[string]map[string]string{
			".dev.kiln-old": earlier, ".dev.kiln-new": {MarkerFile: `{"apps": {"web": {}}}`, "apps/web/a.yaml": "half"}}, wantWarns: 2},
		{name: "killed while building", dirThere: true, leftovers: map[string]map[string]string{
			".dev.kiln-new": {"apps/web/a.yaml": "half"}}, wantWarns: 1},
		{name: "killed while removing the earlier tree", dirThere: true, leftovers: map[string]map[string]string{
			".dev.kiln-old": {"apps/web/a.yaml": "older"}}, wantWarns: 1},
		{name: "older kiln's names", leftovers: map[string]map[string]string{
			".dev.new-123.old": earlier, ".dev.new-123": {"x": "half"}, ".dev.new-456": {"y": "half"}}, wantWarns: 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			dir := filepath.Join(root, "dev")
			if tc.dirThere {
				put(t, dir, earlier)
			}
			for name, files := range tc.leftovers {
				put(t, filepath.Join(root, name), files)
			}
			// Another env's leftovers go too (TestOpenRecoversEveryEnv).
			put(t, filepath.Join(root, ".prod.kiln-new"), map[string]string{"x": "y"})

			// A run that fails after recovery (interrupted while
			// comparing) still leaves the earlier tree restored and no
			// leftovers of dev.
			o, err := Open(root)
			if err != nil {
				t.Fatal(err)
			}
			if err := o.Stage(&countdown{Context: bg, n: 1}, "dev", newTree, false, nil); !errors.Is(err, context.Canceled) {
				t.Fatalf("Stage = %v, want it interrupted after recovering", err)
			}
			if err := o.Close(); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(earlier, mustRead(t, dir)); diff != "" {
				t.Errorf("earlier tree (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"dev"}, entries(t, root)); diff != "" {
				t.Errorf("output root (-want +got):\n%s", diff)
			}
			if got := len(o.Warnings()); got != tc.wantWarns+1 {
				t.Errorf("%d warnings, want %d: %v", got, tc.wantWarns+1, o.Warnings())
			}
			for _, w := range o.Warnings() {
				if !strings.Contains(w.String(), "interrupted") {
					t.Errorf("warning %q does not say what happened", w)
				}
			}
		})
	}
}

// TestOpenRecoversEveryEnv: a run killed while writing every env leaves
// leftovers beside each; the next run writing only dev must still restore
// and remove all of them, or a CI job that commits the output folder
// (git add -A in a manifests checkout) commits a hidden copy of prod, or
// prod's deletion.
func TestOpenRecoversEveryEnv(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	prod := map[string]string{MarkerFile: `{"apps": {"web": {}}}`, "apps/web/a.yaml": "prod"}
	put(t, filepath.Join(root, "dev"), map[string]string{MarkerFile: "{}"})
	put(t, filepath.Join(root, ".prod.kiln-old"), prod) // killed between the two renames
	put(t, filepath.Join(root, ".prod.kiln-new"), map[string]string{MarkerFile: `{"apps": {"web": {}}}`, "apps/web/a.yaml": "half"})
	put(t, filepath.Join(root, "staging"), map[string]string{MarkerFile: "{}"})
	put(t, filepath.Join(root, ".staging.kiln-new"), map[string]string{"x": "half"})
	// Older kilns' names are removed only for the envs a run writes: a
	// user's .backup.new-2 is not kiln's to delete, and neither is a
	// written env's entry that only starts like one (.dev.new-notes).
	put(t, filepath.Join(root, ".backup.new-2"), map[string]string{"x": "mine"})
	put(t, filepath.Join(root, ".dev.new-notes"), map[string]string{"x": "mine"})
	put(t, filepath.Join(root, ".dev.new-1.older"), map[string]string{"x": "mine"})

	o, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := o.Stage(bg, "dev", newTree, false, nil); err != nil {
		t.Fatal(err)
	}
	if err := o.Commit(bg); err != nil {
		t.Fatal(err)
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{".backup.new-2", ".dev.new-1.older", ".dev.new-notes", "dev", "prod", "staging"}, entries(t, root)); diff != "" {
		t.Errorf("output root (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(prod, mustRead(t, filepath.Join(root, "prod"))); diff != "" {
		t.Errorf("prod's earlier tree (-want +got):\n%s", diff)
	}
	if got := len(o.Warnings()); got != 3 {
		t.Errorf("%d warnings, want 3 (one per leftover): %v", got, o.Warnings())
	}
}

// TestEarlierTreeNotRemovable: once the new tree is in place, failing to
// remove the earlier one is a warning with its path, not an error.
func TestEarlierTreeNotRemovable(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dir := filepath.Join(root, "dev")
	put(t, dir, map[string]string{MarkerFile: `{"apps": {"a": {}}}`, "apps/a/x.yaml": "earlier"})
	o, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	o.removeAll = func(p string) error { return fmt.Errorf("permission denied: %s", p) }
	if err := o.Stage(bg, "dev", newTree, false, nil); err != nil {
		t.Fatal(err)
	}
	if err := o.Commit(bg); err != nil {
		t.Fatalf("Commit = %v, want success with a warning", err)
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(asStrings(newTree), mustRead(t, dir)); diff != "" {
		t.Errorf("tree (-want +got):\n%s", diff)
	}
	ws := o.Warnings()
	if len(ws) != 1 || !strings.Contains(ws[0].String(), filepath.Join(root, ".dev.kiln-")) {
		t.Fatalf("warnings = %v, want one naming the leftover", ws)
	}
	// The next run removes it.
	warns, err := Write(bg, dir, newTree, false)
	if err != nil || len(warns) != 1 {
		t.Errorf("next run: %v, warnings %v", err, warns)
	}
	if diff := cmp.Diff([]string{"dev"}, entries(t, root)); diff != "" {
		t.Errorf("output root (-want +got):\n%s", diff)
	}
}

// TestInterruptedStageLeavesNothing: a cancelled context stops the write;
// the earlier tree stays and no temporary folder is left.
func TestInterruptedStageLeavesNothing(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dir := filepath.Join(root, "dev")
	earlier := map[string]string{MarkerFile: "{}", "a": "earlier"}
	put(t, dir, earlier)
	ctx, cancel := context.WithCancel(bg)
	cancel()
	if _, err := Write(ctx, dir, newTree, false); !errors.Is(err, context.Canceled) {
		t.Fatalf("Write = %v, want context.Canceled", err)
	}
	if diff := cmp.Diff(earlier, mustRead(t, dir)); diff != "" {
		t.Errorf("earlier tree (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"dev"}, entries(t, root)); diff != "" {
		t.Errorf("output root (-want +got):\n%s", diff)
	}
}

// TestLock: one holder at a time, the error names it; a lock left by a
// process that is gone is taken over.
func TestLock(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	o, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(root)
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("second Open = %v, want a LockedError", err)
	}
	host, _ := os.Hostname()
	for _, want := range []string{fmt.Sprintf("pid %d", os.Getpid()), host, "started ", filepath.Join(root, LockFile)} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not name %q", err, want)
		}
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string(nil), entries(t, root)); diff != "" {
		t.Errorf("released root holds (-want +got):\n%s", diff)
	}

	// A lock file left by a killed kiln on this host.
	put(t, root, map[string]string{LockFile: fmt.Sprintf("pid=%d\nhost=%s\nstart=2026-01-02T03:04:05Z\n", deadPID(t), host)})
	o, err = Open(root)
	if err != nil {
		t.Fatalf("Open over a stale lock: %v", err)
	}
	if ws := o.Warnings(); len(ws) != 1 || !strings.Contains(ws[0].String(), "no longer runs") {
		t.Errorf("warnings = %v, want one about the stale lock", ws)
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
}

// deadPID is the pid of a process that has ended.
func deadPID(t *testing.T) int {
	t.Helper()
	p, err := os.StartProcess(os.Args[0], []string{os.Args[0], "-test.run=^$"}, &os.ProcAttr{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Wait(); err != nil {
		t.Fatal(err)
	}
	return p.Pid
}

// TestConcurrentWrites: many writers of one root at once; each either
// writes or is told who holds the lock, the tree is always one of theirs,
// and nothing temporary is left.
func TestConcurrentWrites(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dir := filepath.Join(root, "dev")
	const n = 16
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			files := Files{MarkerFile: []byte(`{"apps": {"a": {}}}`), "apps/a/who": []byte(fmt.Sprint(i))}
			for j := range 20 {
				files[fmt.Sprintf("apps/a/%d.yaml", j)] = []byte(fmt.Sprint(i))
			}
			_, errs[i] = Write(bg, dir, files, false)
		}()
	}
	wg.Wait()
	wrote := 0
	for _, err := range errs {
		var le *LockedError
		switch {
		case err == nil:
			wrote++
		case !errors.As(err, &le):
			t.Errorf("a writer failed without naming the lock's holder: %v", err)
		}
	}
	if wrote == 0 {
		t.Error("no writer wrote")
	}
	got := mustRead(t, dir)
	for p, d := range got {
		if p != MarkerFile && d != got["apps/a/who"] {
			t.Errorf("%s = %q, from another writer than apps/a/who = %q", p, d, got["apps/a/who"])
		}
	}
	if diff := cmp.Diff([]string{"dev"}, entries(t, root)); diff != "" {
		t.Errorf("output root (-want +got):\n%s", diff)
	}
}

// TestTwoRenameSwap: where the system has no atomic exchange, the swap
// takes two renames and leaves nothing behind either.
func TestTwoRenameSwap(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dir := filepath.Join(root, "dev")
	put(t, dir, map[string]string{MarkerFile: `{"apps": {"a": {}}}`, "apps/a/x.yaml": "earlier"})
	o, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	o.exchange = func(a, b string) error { return errNoExchange }
	if err := o.Stage(bg, "dev", newTree, false, nil); err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(o.Commit(bg), o.Close()); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(asStrings(newTree), mustRead(t, dir)); diff != "" {
		t.Errorf("tree (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"dev"}, entries(t, root)); diff != "" {
		t.Errorf("output root (-want +got):\n%s", diff)
	}
}

// stats records what a tree's files and folders are on disk, by slash
// path ("." is the tree itself).
func stats(t *testing.T, dir string) map[string]os.FileInfo {
	t.Helper()
	out := map[string]os.FileInfo{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		fi, err := os.Lstat(p)
		out[filepath.ToSlash(rel)] = fi
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// aged sets every entry of dir to an old modification time, so that a
// rewrite shows without waiting for the clock.
func aged(t *testing.T, dir string) {
	t.Helper()
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	err := filepath.WalkDir(dir, func(p string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Chtimes(p, old, old)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// untouched lists the paths whose file or folder is the same one, with
// the same modification time, in before and after.
func untouched(before, after map[string]os.FileInfo) []string {
	var same []string
	for p, b := range before {
		if a, ok := after[p]; ok && os.SameFile(a, b) && a.ModTime().Equal(b.ModTime()) {
			same = append(same, p)
		}
	}
	sort.Strings(same)
	return same
}

var fleetTree = Files{
	MarkerFile:                  []byte(`{"apps": {"a": {}, "b": {}}}`),
	"apps/a/deployment_a.yaml":  []byte("kind: Deployment\n"),
	"apps/a/kustomization.yaml": []byte("resources: [deployment_a.yaml]\n"),
	"apps/b/service_b.yaml":     []byte("kind: Service\n"),
	"apps/b/kustomization.yaml": []byte("resources: [service_b.yaml]\n"),
	"flux/a.yaml":               []byte("kind: Kustomization\n"),
	"flux/b.yaml":               []byte("kind: Kustomization\n"),
	"high-level/a/values.yaml":  []byte(""),
}

// TestRewriteUnchanged: writing a tree over the same tree changes nothing
// on disk, not the folder itself, a file or a modification time, and
// leaves nothing beside it; Flux's bootstrap files count as part of it.
func TestRewriteUnchanged(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dir := filepath.Join(root, "dev")
	if _, err := Write(bg, dir, fleetTree, false); err != nil {
		t.Fatal(err)
	}
	put(t, dir, map[string]string{"flux/flux-system/gotk-sync.yaml": "kind: GitRepository\n"})
	aged(t, dir)
	before := stats(t, dir)
	warns, err := Write(bg, dir, fleetTree, false)
	if err != nil || len(warns) > 0 {
		t.Fatalf("Write = %v, warnings %v", err, warns)
	}
	if diff := cmp.Diff(slices.Sorted(maps.Keys(before)), untouched(before, stats(t, dir))); diff != "" {
		t.Errorf("untouched paths (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"dev"}, entries(t, root)); diff != "" {
		t.Errorf("output root (-want +got):\n%s", diff)
	}
}

// TestRewriteChanged: when anything differs, the new tree is swapped in
// whole, but the files it holds byte for byte are the earlier files, not
// rewritten; everything else is exactly the new tree.
func TestRewriteChanged(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// change alters the earlier tree on disk (dir) or the new one.
		change func(t *testing.T, dir string, files Files)
		// rewritten are the paths of the new tree that are new files.
		rewritten []string
	}{
		{name: "one file changed", change: func(t *testing.T, dir string, files Files) {
			files["apps/a/deployment_a.yaml"] = []byte("kind: Deployment\nspec: {}\n")
		}, rewritten: []string{"apps/a/deployment_a.yaml"}},
		{name: "same size, other bytes", change: func(t *testing.T, dir string, files Files) {
			files["flux/b.yaml"] = []byte("kind: Kustomizatioo\n")
		}, rewritten: []string{"flux/b.yaml"}},
		{name: "a file added, one removed", change: func(t *testing.T, dir string, files Files) {
			delete(files, "apps/b/service_b.yaml")
			files["apps/b/service_c.yaml"] = []byte("kind: Service\n")
			files["apps/c/x.yaml"] = []byte("kind: Service\n")
		}, rewritten: []string{"apps/b/service_c.yaml", "apps/c/x.yaml"}},
		{name: "a stale file", change: func(t *testing.T, dir string, files Files) {
			put(t, dir, map[string]string{"apps/a/old.yaml": "kind: Secret\n"})
		}},
		{name: "a stale empty folder", change: func(t *testing.T, dir string, files Files) {
			if err := os.Mkdir(filepath.Join(dir, "apps", "gone"), 0o755); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "a link instead of a file", change: func(t *testing.T, dir string, files Files) {
			p := filepath.Join(dir, "flux", "b.yaml")
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("a.yaml", p); err != nil {
				t.Fatal(err)
			}
		}, rewritten: []string{"flux/b.yaml"}},
		{name: "a file made executable", change: func(t *testing.T, dir string, files Files) {
			if err := os.Chmod(filepath.Join(dir, "flux", "a.yaml"), 0o755); err != nil {
				t.Fatal(err)
			}
		}, rewritten: []string{"flux/a.yaml"}},
		{name: "a folder made private", change: func(t *testing.T, dir string, files Files) {
			if err := os.Chmod(filepath.Join(dir, "apps", "a"), 0o700); err != nil {
				t.Fatal(err)
			}
		}, rewritten: []string{"apps/a/deployment_a.yaml", "apps/a/kustomization.yaml"}},
		{name: "the tree made private: written whole", change: func(t *testing.T, dir string, files Files) {
			if err := os.Chmod(dir, 0o700); err != nil {
				t.Fatal(err)
			}
		}, rewritten: slices.Sorted(maps.Keys(fleetTree))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			dir := filepath.Join(root, "dev")
			if _, err := Write(bg, dir, fleetTree, false); err != nil {
				t.Fatal(err)
			}
			files := maps.Clone(fleetTree)
			tc.change(t, dir, files)
			aged(t, dir)
			before := stats(t, dir)
			if _, err := Write(bg, dir, files, false); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(asStrings(files), mustRead(t, dir)); diff != "" {
				t.Errorf("tree (-want +got):\n%s", diff)
			}
			after := stats(t, dir)
			var want []string
			for p := range files {
				if _, ok := before[p]; ok && !slices.Contains(tc.rewritten, p) {
					want = append(want, p)
				}
			}
			sort.Strings(want)
			var got []string
			for _, p := range untouched(before, after) {
				if after[p].Mode().IsRegular() {
					got = append(got, p)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("files kept as they were (-want +got):\n%s", diff)
			}
			for p, fi := range after {
				if want := fs.FileMode(0o644); fi.Mode().IsRegular() && fi.Mode().Perm()&^0o022 != want&^0o022 {
					t.Errorf("%s has mode %v", p, fi.Mode())
				}
			}
			if diff := cmp.Diff([]string{"dev"}, entries(t, root)); diff != "" {
				t.Errorf("output root (-want +got):\n%s", diff)
			}
		})
	}
}

// countdown is a context that is done after n calls of Err: a run
// interrupted in the middle of a Stage.
type countdown struct {
	context.Context
	mu sync.Mutex
	n  int
}

func (c *countdown) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n--; c.n < 0 {
		return context.Canceled
	}
	return nil
}

// TestInterruptedStage: a run interrupted at any point of a Stage that
// stages a few changed entries leaves the earlier tree as it was, every
// file with its bytes and only its own name, and nothing beside it.
func TestInterruptedStage(t *testing.T) {
	t.Parallel()
	files := maps.Clone(fleetTree)
	files["apps/a/deployment_a.yaml"] = []byte("kind: Deployment\nspec: {}\n")
	files["apps/c/x.yaml"] = []byte("kind: Service\n")
	delete(files, "flux/b.yaml")
	for n := 0; ; n++ {
		root := t.TempDir()
		dir := filepath.Join(root, "dev")
		if _, err := Write(bg, dir, fleetTree, false); err != nil {
			t.Fatal(err)
		}
		aged(t, dir)
		before := stats(t, dir)
		_, err := Write(&countdown{Context: bg, n: n}, dir, files, false)
		if err == nil {
			if n == 0 {
				t.Fatal("Write checks no context")
			}
			break // n checks are more than a Stage makes
		}
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("after %d checks: Write = %v, want context.Canceled", n, err)
		}
		if diff := cmp.Diff(asStrings(fleetTree), mustRead(t, dir)); diff != "" {
			t.Errorf("after %d checks: earlier tree (-want +got):\n%s", n, diff)
		}
		if diff := cmp.Diff(slices.Sorted(maps.Keys(before)), untouched(before, stats(t, dir))); diff != "" {
			t.Errorf("after %d checks: untouched paths (-want +got):\n%s", n, diff)
		}
		if diff := cmp.Diff([]string{"dev"}, entries(t, root)); diff != "" {
			t.Errorf("after %d checks: output root (-want +got):\n%s", n, diff)
		}
	}
}

// TestKeepsBootstrapOfFluxNamespace: `flux bootstrap --namespace flux`
// writes flux/flux/, which a tree opened with that namespace keeps like
// flux/flux-system/, and which one opened without it refuses to delete.
func TestKeepsBootstrapOfFluxNamespace(t *testing.T) {
	t.Parallel()
	boot := map[string]string{"flux/flux/gotk-sync.yaml": "kind: GitRepository\n", "flux/flux/kustomization.yaml": "resources: [gotk-sync.yaml]\n"}
	files := Files{MarkerFile: []byte("{}"), "flux/web.yaml": []byte("k"), "flux/flux/gotk-sync.yaml": []byte("# not kiln's to write\n")}
	for _, tc := range []struct {
		name   string
		before map[string]string
	}{
		{"bootstrap only", boot},
		{"a kiln tree", map[string]string{MarkerFile: `{"apps": {"old": {}}}`, "flux/old.yaml": "k", "flux/flux/gotk-sync.yaml": boot["flux/flux/gotk-sync.yaml"], "flux/flux/kustomization.yaml": boot["flux/flux/kustomization.yaml"]}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			put(t, filepath.Join(root, "dev"), tc.before)

			// Without the namespace, the folder is not kiln's to delete.
			o, err := Open(root)
			if err != nil {
				t.Fatal(err)
			}
			err = o.Stage(bg, "dev", files, false, nil)
			var nk *NotKilnTreeError
			if !errors.As(err, &nk) {
				t.Errorf("Stage without the namespace = %v, want a NotKilnTreeError", err)
			}
			if err := o.Close(); err != nil {
				t.Fatal(err)
			}

			dirs := BootstrapDirs("flux", "")
			if want := []string{"flux/flux-system/", "flux/flux/"}; !slices.Equal(dirs, want) {
				t.Errorf("BootstrapDirs = %q, want %q", dirs, want)
			}
			if o, err = Open(root, dirs...); err != nil {
				t.Fatal(err)
			}
			err = o.Stage(bg, "dev", files, false, nil)
			if err == nil {
				err = o.Commit(bg)
			}
			if err := errors.Join(err, o.Close()); err != nil {
				t.Fatal(err)
			}
			want := map[string]string{MarkerFile: "{}", "flux/web.yaml": "k"}
			maps.Copy(want, boot)
			if diff := cmp.Diff(want, mustRead(t, filepath.Join(root, "dev"))); diff != "" {
				t.Errorf("tree (-want +got):\n%s", diff)
			}
		})
	}
}

// TestWriteNamesTheLockThatDoesNotParse: a tree whose lock does not parse,
// or has lost its apps list (a hand edit, a merge), or is too large to be
// one, is refused saying so, since that is why its apps' files are not
// kiln's.
func TestWriteNamesTheLockThatDoesNotParse(t *testing.T) {
	t.Parallel()
	for lock, want := range map[string]string{
		"{\n<<<<<<< HEAD\n":     "kiln.lock.json does not parse",
		`{"kilnVersion": "v1"}`: "kiln.lock.json has no apps list, which kiln always writes",
		`{"apps": null}`:        "kiln.lock.json has no apps list, which kiln always writes",
		"huge":                  "kiln.lock.json does not parse",
	} {
		dir := filepath.Join(t.TempDir(), "dev")
		put(t, dir, map[string]string{MarkerFile: lock, "apps/old/x.yaml": "old"})
		if lock == "huge" {
			// Sparse: larger than a rendered tree's file may be, and
			// refused from its size.
			must(t, os.Truncate(filepath.Join(dir, MarkerFile), limits.TreeFile+1))
		}
		_, err := Write(bg, dir, newTree, false)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "apps/old/") {
			t.Errorf("lock %q: Write = %v, want the refusal to say %q and name apps/old/", lock, err, want)
		}
	}
}

// TestCheckAllocations: Check runs twice an env on every render, over
// trees of up to 100,000 files; folding every path and folder to compare
// them allocated about eight times per file and took eight times as long
// as the rest of Check. A tree with an upper-case name (a chart's
// Chart.yaml in high-level/) must not cost that.
func TestCheckAllocations(t *testing.T) {
	f := Files{"high-level/app-0001/Chart.yaml": nil}
	for a := range 100 {
		for o := range 100 {
			f[fmt.Sprintf("apps/app-%04d/deployment_object-%03d.yaml", a, o)] = nil
		}
	}
	if n := testing.AllocsPerRun(3, func() {
		if err := f.Check(); err != nil {
			t.Fatal(err)
		}
	}); n > 100 {
		t.Errorf("Check of %d files: %v allocations, want at most 100", len(f), n)
	}
}

// TestCheckCase: paths that differ only in case, two files or a file and
// a folder, are refused, naming both, the same error whatever the map's
// order; paths that share a folder spelled alike are fine.
func TestCheckCase(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		files []string
		want  string
	}{
		{name: "distinct", files: []string{"apps/a/x.yaml", "high-level/a/base/x.yaml", "high-level/a/base/y.yaml"}},
		{name: "two files", files: []string{"apps/a/x.yaml", "high-level/a/Deploy.yaml", "high-level/a/deploy.yaml"},
			want: "output paths high-level/a/Deploy.yaml and high-level/a/deploy.yaml differ only in case"},
		{name: "a file and a folder", files: []string{"high-level/a/Base", "high-level/a/base/x.yaml"},
			want: "output paths high-level/a/Base and high-level/a/base/ differ only in case"},
		{name: "a folder and a file", files: []string{"high-level/a/base", "high-level/a/Base/x.yaml"},
			want: "output paths high-level/a/base and high-level/a/Base/ differ only in case"},
		{name: "non-ASCII", files: []string{"high-level/a/caf\u00e9.yaml", "high-level/a/CAF\u00c9.yaml"},
			want: "output paths high-level/a/CAF\u00c9.yaml and high-level/a/caf\u00e9.yaml differ only in case"},
		{name: "two upper-case spellings", files: []string{"high-level/a/Chart.yaml", "high-level/a/CHART.yaml", "high-level/a/x.yaml"},
			want: "output paths high-level/a/CHART.yaml and high-level/a/Chart.yaml differ only in case"},
		{name: "upper case alone", files: []string{"high-level/a/Chart.yaml", "high-level/a/templates/x.yaml", "apps/a/x.yaml"}},
	} {
		for range 5 {
			f := Files{}
			for _, p := range tc.files {
				f[p] = []byte("x")
			}
			err := f.Check()
			if tc.want == "" {
				if err != nil {
					t.Errorf("%s: %v", tc.name, err)
				}
				continue
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: Check() = %v, want %q", tc.name, err, tc.want)
			}
		}
	}
}
