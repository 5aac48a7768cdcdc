package render_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/render"
)

// TestStageRefusesOtherRepo: an --out env folder whose kiln.lock.json
// names another code repository (another pipeline's render, perhaps
// committed from that folder) is not replaced, and nothing in it
// changes, unless --allow-other-repo or --force; another spelling of the
// same repository, or a lock that names none, is replaced as before.
func TestStageRefusesOtherRepo(t *testing.T) {
	t.Parallel()
	root := writeProject(t, map[string]string{
		"kiln.yaml":        "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\napps:\n  - name: web\n    namespace: shop\n    yaml: apps/web\n",
		"apps/web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v\n",
	})
	p := load(t, root)
	out := filepath.Join(t.TempDir(), "rendered")
	lockPath := filepath.Join(out, "dev", "kiln.lock.json")
	write := func(repo string, wo render.WriteOptions) error {
		t.Helper()
		opts := checkOptions(false)
		opts.Provenance = func() (render.Source, []diag.Warning) {
			return render.Source{Repo: repo, Commit: strings.Repeat("a", 40)}, nil
		}
		r, err := render.New(p, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		results, err := r.Render(context.Background(), nil)
		if err != nil || results[0].Err != nil {
			t.Fatalf("render: %v %v", err, results[0].Err)
		}
		w, err := r.OpenOutput(out, wo)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		if err := w.Stage(context.Background(), results[0]); err != nil {
			return err
		}
		return w.Commit(context.Background())
	}
	if err := write("https://github.com/team-a/shop.git", render.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(lockPath)
	if err != nil {
		t.Fatal(err)
	}
	err = write("https://github.com/team-b/shop", render.WriteOptions{})
	if err == nil || !strings.Contains(err.Error(), "env dev in "+filepath.Join(out, "dev")+" is rendered from the code repository https://github.com/team-a/shop.git, not from this run's, https://github.com/team-b/shop: rendering would replace") ||
		!strings.Contains(err.Error(), "--allow-other-repo") {
		t.Fatalf("render of another repository = %v, want it refused", err)
	}
	if after, _ := os.ReadFile(lockPath); string(after) != string(before) {
		t.Fatal("the refused render changed the other pipeline's lock")
	}
	if err := write("", render.WriteOptions{}); err == nil || !strings.Contains(err.Error(), "this run, which names no repository") {
		t.Fatalf("render that names no repository = %v, want it refused", err)
	}
	// A lock edited by hand to hold a token in its URL: not shown.
	data, err := os.ReadFile(lockPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lockPath, []byte(strings.Replace(string(data), "https://github.com/team-a/", "https://x-access-token:ghs_Sup3rS3cret@github.com/team-a/", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := write("https://github.com/team-b/shop", render.WriteOptions{}); err == nil || strings.Contains(err.Error(), "Sup3rS3cret") || !strings.Contains(err.Error(), "https://github.com/team-a/shop.git") {
		t.Fatalf("render over a lock whose URL holds a token = %v, want it refused without the token", err)
	}
	if err := os.WriteFile(lockPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	// Another spelling of team-a/shop: ssh, another case.
	if err := write("git@github.com:Team-A/shop", render.WriteOptions{}); err != nil {
		t.Fatalf("render of the same repository, spelt otherwise: %v", err)
	}
	if err := write("https://github.com/team-b/shop", render.WriteOptions{AllowOtherRepo: true}); err != nil {
		t.Fatalf("--allow-other-repo: %v", err)
	}
	if data, _ := os.ReadFile(lockPath); !strings.Contains(string(data), "team-b/shop") {
		t.Fatalf("--allow-other-repo did not replace the tree: %s", data)
	}
	if err := write("https://github.com/team-c/shop", render.WriteOptions{Force: true}); err != nil {
		t.Fatalf("--force: %v", err)
	}
	// team-c's tree, moved aside by an older kiln (.dev.new-N.old) that
	// was killed before it put its new one in place: the render restores
	// it before it looks at the lock, and so refuses team-b.
	if err := os.Rename(filepath.Join(out, "dev"), filepath.Join(out, ".dev.new-123.old")); err != nil {
		t.Fatal(err)
	}
	if err := write("https://github.com/team-b/shop", render.WriteOptions{}); err == nil || !strings.Contains(err.Error(), "rendered from the code repository https://github.com/team-c/shop") {
		t.Fatalf("render over a tree an interrupted run left aside = %v, want it refused", err)
	}
	if data, _ := os.ReadFile(lockPath); !strings.Contains(string(data), "team-c/shop") {
		t.Fatalf("the earlier tree is not back in place: %s", data)
	}
}
