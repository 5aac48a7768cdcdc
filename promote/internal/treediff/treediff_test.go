package treediff

import (
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/internal/golden"
)

var update = flag.Bool("update", false, "rewrite golden files")

// readTree reads dir into a slash path → contents map; a missing dir is
// an empty tree.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	return golden.ReadTree(t, dir)
}

func TestTrees(t *testing.T) {
	t.Parallel()
	old := readTree(t, "testdata/update/old")
	new := readTree(t, "testdata/update/new")
	type row struct{ Path, Op, App, Object string }
	var got []row
	for _, c := range Trees(old, new) {
		got = append(got, row{c.Path, c.Op, c.App, c.Object})
	}
	want := []row{
		{Path: "apps/legacy/namespace_legacy.yaml", Op: Removed, App: "legacy", Object: "Namespace/legacy"},
		{Path: "apps/vote/configmap_vote-config-5g7c2kd8tf.yaml", Op: Added, App: "vote", Object: "ConfigMap/instavote/vote-config-5g7c2kd8tf"},
		{Path: "apps/vote/configmap_vote-config-hmk88mhbt8.yaml", Op: Removed, App: "vote", Object: "ConfigMap/instavote/vote-config-hmk88mhbt8"},
		{Path: "apps/vote/deployment_vote.yaml", Op: Changed, App: "vote", Object: "Deployment/instavote/vote"},
		{Path: "apps/vote/kustomization.yaml", Op: Changed, App: "vote"},
		{Path: "apps/worker/deployment_worker.yaml", Op: Added, App: "worker", Object: "Deployment/instavote/worker"},
		{Path: "apps/worker/kustomization.yaml", Op: Added, App: "worker"},
		{Path: "flux/vote.yaml", Op: Changed, App: "vote", Object: "Kustomization/flux-system/vote"},
		{Path: "kiln.lock.json", Op: Changed},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Trees (-want +got):\n%s", d)
	}
	if got := Trees(old, old); len(got) != 0 {
		t.Errorf("Trees(old, old) = %d changes, want none", len(got))
	}
	if got := Trees(nil, nil); len(got) != 0 {
		t.Errorf("Trees(nil, nil) = %d changes, want none", len(got))
	}
}

func TestCount(t *testing.T) {
	t.Parallel()
	changes := Trees(readTree(t, "testdata/update/old"), readTree(t, "testdata/update/new"))
	want := map[string]Summary{
		"legacy": {Removed: 1},
		"vote":   {Added: 1, Changed: 1, Removed: 1},
		"worker": {Added: 1},
	}
	if d := cmp.Diff(want, Count(changes)); d != "" {
		t.Errorf("Count (-want +got):\n%s", d)
	}
}

func TestAppOf(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		path, app string
		object    bool
	}{
		{path: "apps/vote/deployment_vote.yaml", app: "vote", object: true},
		{path: "apps/vote/kustomization.yaml", app: "vote"},
		{path: "apps/vote/sub/x.yaml", app: "vote"},
		{path: "apps/vote", app: ""},
		{path: "flux/vote.yaml", app: "vote"},
		{path: "flux/notifications.yaml", app: "notifications"},
		{path: "flux/a/b.yaml", app: ""},
		{path: "high-level/vote/values.yaml", app: "vote"},
		{path: "high-level/vote/base/kustomization.yaml", app: "vote"},
		{path: "kiln.lock.json", app: ""},
	} {
		t.Run(tc.path, func(t *testing.T) {
			t.Parallel()
			if got := AppOf(tc.path); got != tc.app {
				t.Errorf("AppOf(%q) = %q, want %q", tc.path, got, tc.app)
			}
			if got := IsObject(tc.path); got != tc.object {
				t.Errorf("IsObject(%q) = %v, want %v", tc.path, got, tc.object)
			}
		})
	}
}

// TestUnifiedGolden prints every change of testdata/<case> as a reviewer
// would see it; the golden files were checked against `diff -u`.
func TestUnifiedGolden(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"update"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join("testdata", name)
			changes := Trees(readTree(t, filepath.Join(dir, "old")), readTree(t, filepath.Join(dir, "new")))
			var plain, color strings.Builder
			for _, c := range changes {
				plain.WriteString(Unified(c, false))
				color.WriteString(Unified(c, true))
			}
			golden.File(t, filepath.Join(dir, "want.diff"), []byte(plain.String()), *update)
			golden.File(t, filepath.Join(dir, "want.color.diff"), []byte(color.String()), *update)
		})
	}
}

func TestUnified(t *testing.T) {
	t.Parallel()
	lines := func(n int, f string) string {
		var b strings.Builder
		for i := 1; i <= n; i++ {
			fmt.Fprintf(&b, f+"\n", i)
		}
		return b.String()
	}
	for _, tc := range []struct {
		name     string
		old, new string
		op       string
		want     string
	}{
		{
			name: "identical",
			old:  "a\n", new: "a\n", op: Changed,
			want: "",
		},
		{
			name: "added",
			new:  "a\nb\n", op: Added,
			want: "--- /dev/null\n+++ b/f.yaml\n@@ -0,0 +1,2 @@\n+a\n+b\n",
		},
		{
			name: "removed one line",
			old:  "a\n", op: Removed,
			want: "--- a/f.yaml\n+++ /dev/null\n@@ -1 +0,0 @@\n-a\n",
		},
		{
			name: "added empty file",
			new:  "", op: Added,
			want: "--- /dev/null\n+++ b/f.yaml\n",
		},
		{
			name: "newline added at end",
			old:  "a\nb", new: "a\nb\n", op: Changed,
			want: "--- a/f.yaml\n+++ b/f.yaml\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n",
		},
		{
			name: "append at end",
			old:  lines(5, "l%d"), new: lines(5, "l%d") + "x\n", op: Changed,
			want: "--- a/f.yaml\n+++ b/f.yaml\n@@ -3,3 +3,4 @@\n l3\n l4\n l5\n+x\n",
		},
		{
			name: "insert at start",
			old:  lines(5, "l%d"), new: "x\n" + lines(5, "l%d"), op: Changed,
			want: "--- a/f.yaml\n+++ b/f.yaml\n@@ -1,3 +1,4 @@\n+x\n l1\n l2\n l3\n",
		},
		{
			name: "changes 6 lines apart share a hunk",
			old:  lines(20, "l%d"),
			new:  strings.Replace(strings.Replace(lines(20, "l%d"), "l5\n", "X\n", 1), "l12\n", "Y\n", 1),
			op:   Changed,
			want: "--- a/f.yaml\n+++ b/f.yaml\n@@ -2,14 +2,14 @@\n l2\n l3\n l4\n-l5\n+X\n l6\n l7\n l8\n l9\n l10\n l11\n-l12\n+Y\n l13\n l14\n l15\n",
		},
		{
			name: "changes 7 lines apart get two hunks",
			old:  lines(20, "l%d"),
			new:  strings.Replace(strings.Replace(lines(20, "l%d"), "l5\n", "X\n", 1), "l13\n", "Y\n", 1),
			op:   Changed,
			want: "--- a/f.yaml\n+++ b/f.yaml\n@@ -2,7 +2,7 @@\n l2\n l3\n l4\n-l5\n+X\n l6\n l7\n l8\n@@ -10,7 +10,7 @@\n l10\n l11\n l12\n-l13\n+Y\n l14\n l15\n l16\n",
		},
		{
			name: "binary",
			old:  "a\x00", new: "b\x00", op: Changed,
			want: "Binary files a/f.yaml and b/f.yaml differ\n",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := Change{Path: "f.yaml", Op: tc.op}
			if tc.op != Added {
				c.Old = []byte(tc.old)
			}
			if tc.op != Removed {
				c.New = []byte(tc.new)
			}
			if d := cmp.Diff(tc.want, Unified(c, false)); d != "" {
				t.Errorf("Unified (-want +got):\n%s", d)
			}
			if strings.HasPrefix(tc.want, "Binary") {
				return
			}
			if got := apply(t, Unified(c, false), tc.old); got != tc.new {
				t.Errorf("applying the diff gives %q, want %q", got, tc.new)
			}
		})
	}
}

func TestUnifiedColor(t *testing.T) {
	t.Parallel()
	got := Unified(Change{Path: "f", Op: Changed, Old: []byte("a\nb\n"), New: []byte("a\nc\n")}, true)
	want := "\x1b[1m--- a/f\x1b[m\n\x1b[1m+++ b/f\x1b[m\n\x1b[36m@@ -1,2 +1,2 @@\x1b[m\n a\n\x1b[31m-b\x1b[m\n\x1b[32m+c\x1b[m\n"
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Unified colour (-want +got):\n%s", d)
	}
}

// TestUnifiedColorShowsControls: on a terminal, escape sequences in a
// file pushed to the manifests branch (or in its name) are shown, not
// obeyed; without colour (a pipe, a file) the bytes stay as they are.
func TestUnifiedColorShowsControls(t *testing.T) {
	t.Parallel()
	c := Change{Path: "f\x1b]0;x\a", Op: Changed, Old: []byte("a\n\x1b[2Jb\r\n"), New: []byte("a\nc\u009b\x9b\n")}
	got := Unified(c, true)
	want := "\x1b[1m--- \"a/f\\x1b]0;x\\a\"\x1b[m\n\x1b[1m+++ \"b/f\\x1b]0;x\\a\"\x1b[m\n\x1b[36m@@ -1,2 +1,2 @@\x1b[m\n a\n\x1b[31m-^[[2Jb^M\x1b[m\n\x1b[32m+c\\u009B\\x9B\x1b[m\n"
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Unified colour (-want +got):\n%s", d)
	}
	if plain := Unified(c, false); !strings.Contains(plain, "-\x1b[2Jb\r\n") {
		t.Errorf("without colour the bytes changed:\n%q", plain)
	}
}

// TestUnifiedColorShowsInvisible: on a terminal, a line that differs by a
// zero-width space, a no-break space or a bidi override alone read as the
// line it replaces; they are shown escaped, and a CR LF line's CR as ^M.
// Visible text of any script is drawn as it is. Without colour (a pipe, a
// file, patch) the diff keeps every byte.
func TestUnifiedColorShowsInvisible(t *testing.T) {
	t.Parallel()
	old := "greeting: café 日本 🙂\nhost: db\nowner: admin\nmode: strict mode\nend: x\r\n"
	new := "greeting: café 日本 🙂\nhost: d\u200Bb\nowner: \u202Enimda\nmode: strict\u00A0mode\nend: x\n"
	c := Change{Path: "f", Op: Changed, Old: []byte(old), New: []byte(new)}
	want := "\x1b[1m--- a/f\x1b[m\n\x1b[1m+++ b/f\x1b[m\n\x1b[36m@@ -1,5 +1,5 @@\x1b[m\n greeting: café 日本 🙂\n" +
		"\x1b[31m-host: db\x1b[m\n\x1b[31m-owner: admin\x1b[m\n\x1b[31m-mode: strict mode\x1b[m\n\x1b[31m-end: x^M\x1b[m\n" +
		"\x1b[32m+host: d\\u200Bb\x1b[m\n\x1b[32m+owner: \\u202Enimda\x1b[m\n\x1b[32m+mode: strict\\u00A0mode\x1b[m\n\x1b[32m+end: x\x1b[m\n"
	if d := cmp.Diff(want, Unified(c, true)); d != "" {
		t.Errorf("Unified colour (-want +got):\n%s", d)
	}
	plain := Unified(c, false)
	wantPlain := "--- a/f\n+++ b/f\n@@ -1,5 +1,5 @@\n greeting: café 日本 🙂\n-host: db\n-owner: admin\n-mode: strict mode\n-end: x\r\n" +
		"+host: d\u200Bb\n+owner: \u202Enimda\n+mode: strict\u00A0mode\n+end: x\n"
	if d := cmp.Diff(wantPlain, plain); d != "" {
		t.Errorf("without colour the bytes changed (-want +got):\n%s", d)
	}
	if got := apply(t, plain, old); got != new {
		t.Errorf("the plain diff applies to %q, want %q", got, new)
	}
}

// TestNotificationsFileIsNoApps: flux/notifications.yaml reads as the Flux
// file of an app "notifications", and kiln diff --output json, verify and
// promote's files gave it that app. Its Providers and Alerts carry no
// kiln/app label; an app really named notifications (kiln then writes no
// notifications file) keeps its name.
func TestNotificationsFileIsNoApps(t *testing.T) {
	t.Parallel()
	provider := []byte("apiVersion: notification.toolkit.fluxcd.io/v1beta3\nkind: Provider\nmetadata:\n  labels:\n    app.kubernetes.io/managed-by: kiln\n    kiln/env: dev\n  name: kiln-dev-commit-status\n  namespace: flux-system\n")
	app := []byte("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  labels:\n    app.kubernetes.io/managed-by: kiln\n    kiln/app: notifications\n  name: notifications\n  namespace: flux-system\n")
	for _, tc := range []struct {
		old, new []byte
		app      string
	}{
		{nil, provider, ""},
		{provider, nil, ""},
		{provider, append(provider, "---\n"...), ""},
		{nil, app, "notifications"},
		{app, nil, "notifications"},
	} {
		old, new := map[string][]byte{}, map[string][]byte{}
		if tc.old != nil {
			old["flux/notifications.yaml"] = tc.old
		}
		if tc.new != nil {
			new["flux/notifications.yaml"] = tc.new
		}
		cs := Trees(old, new)
		if len(cs) != 1 || cs[0].App != tc.app {
			t.Errorf("old %q, new %q: changes %+v, want one of app %q", tc.old, tc.new, cs, tc.app)
		}
	}
}

// TestTreesWithSymlinks: a symlink in git is read as a file holding its
// target's path, which may be exactly what kiln writes there; it is still
// a change (Flux does not apply a symlink), listed once, and its diff says
// why when no line differs.
func TestTreesWithSymlinks(t *testing.T) {
	t.Parallel()
	cm := []byte("kind: ConfigMap\nmetadata:\n  name: c\n")
	old := map[string][]byte{
		"apps/c/configmap_c.yaml":   cm,
		"apps/c/kustomization.yaml": []byte("resources: []\n"),
		"apps/c/extra.yaml":         []byte("../x.yaml"),
		"kiln.lock.json":            []byte("{}\n"),
	}
	new := map[string][]byte{
		"apps/c/configmap_c.yaml":   cm,
		"apps/c/kustomization.yaml": []byte("resources: [configmap_c.yaml]\n"),
		"kiln.lock.json":            []byte("{}\n"),
	}
	type row struct {
		Path, Op, App, Object string
		OldSymlink            bool
	}
	var got []row
	changes := TreesWithSymlinks(old, new, []string{"kiln.lock.json.gone", "apps/c/kustomization.yaml", "apps/c/extra.yaml", "apps/c/configmap_c.yaml"})
	for _, c := range changes {
		got = append(got, row{c.Path, c.Op, c.App, c.Object, c.OldSymlink})
	}
	want := []row{
		{Path: "apps/c/configmap_c.yaml", Op: Changed, App: "c", Object: "ConfigMap/c", OldSymlink: true},
		{Path: "apps/c/extra.yaml", Op: Removed, App: "c", OldSymlink: true},
		{Path: "apps/c/kustomization.yaml", Op: Changed, App: "c", OldSymlink: true},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("TreesWithSymlinks (-want +got):\n%s", d)
	}
	wantDiff := "symlink → file: a/apps/c/configmap_c.yaml is a symlink in git (mode 120000): the old text is its target, and Flux does not apply a symlink; kiln writes a regular file\n" +
		"--- a/apps/c/configmap_c.yaml\n+++ b/apps/c/configmap_c.yaml\n"
	if d := cmp.Diff(wantDiff, Unified(changes[0], false)); d != "" {
		t.Errorf("Unified of an equal symlink (-want +got):\n%s", d)
	}
	wantDiff = "symlink: a/apps/c/extra.yaml is a symlink in git (mode 120000): the old text is its target, and Flux does not apply a symlink\n" +
		"--- a/apps/c/extra.yaml\n+++ /dev/null\n@@ -1 +0,0 @@\n-../x.yaml\n\\ No newline at end of file\n"
	if d := cmp.Diff(wantDiff, Unified(changes[1], false)); d != "" {
		t.Errorf("Unified of a removed symlink (-want +got):\n%s", d)
	}
	if got := TreesWithSymlinks(old, old, nil); len(got) != 0 {
		t.Errorf("TreesWithSymlinks(old, old, nil) = %d changes, want none", len(got))
	}
}
