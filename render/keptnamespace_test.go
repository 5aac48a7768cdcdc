package render_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/render"
)

// TestAppKeptAppOfAnotherNamespace: b was rendered in namespace old, and
// kiln.yaml now gives it namespace new. kiln render --app a keeps b as the
// earlier tree has it, whose files are named for namespace old (a
// ConfigMap of the app's namespace is configmap_<name>.yaml). kiln must not
// write a tree that kiln promote --rendered then refuses as edited after
// kiln wrote it: either --app refuses to keep b, saying its namespace
// changed, or the tree it writes is one a promotion takes.
func TestAppKeptAppOfAnotherNamespace(t *testing.T) {
	t.Parallel()
	pipeline := func(ns string) string {
		return "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\nmanifests:\n  github: acme/manifests\napps:\n" +
			"  - name: a\n    namespace: a\n    yaml: apps/a\n" +
			"  - name: b\n    namespace: " + ns + "\n    yaml: apps/b\n"
	}
	dir := writeProject(t, map[string]string{
		"kiln.yaml":      pipeline("old"),
		"envs/dev.yaml":  "",
		"apps/a/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: v}\n",
		"apps/b/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\ndata: {k: v}\n",
	})
	before := renderAll(t, load(t, dir), testOptions())[0]
	if before.Err != nil {
		t.Fatal(before.Err)
	}
	if err := os.WriteFile(filepath.Join(dir, "kiln.yaml"), []byte(pipeline("new")), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := testOptions()
	opts.Apps = []string{"a"}
	opts.Earlier = func(string) (map[string][]byte, error) { return before.Files, nil }
	p := load(t, dir)
	er := renderAll(t, p, opts)[0]
	if er.Err != nil {
		if msg := er.Err.Error(); !strings.Contains(msg, "app b") || !strings.Contains(msg, "namespace old") {
			t.Errorf("error = %v, want one saying app b was rendered for namespace old", er.Err)
		}
		return
	}
	lock, err := render.ParseLock(er.Files[render.LockFile])
	if err != nil {
		t.Fatal(err)
	}
	if err := render.CheckTree(er.Files, lock, er.Redactor, render.BootstrapDirs(p), "rendered/dev", ""); err != nil {
		t.Fatalf("the tree kiln render --app wrote is refused: %v", err)
	}
	r, err := render.New(p, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if re := r.Recheck(context.Background(), "dev", er.Files, "rendered/dev"); re.Err != nil {
		t.Errorf("the tree kiln render --app wrote is refused: %v", re.Err)
	}
}
