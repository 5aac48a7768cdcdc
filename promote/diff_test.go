package promote

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/promote/internal/gittest"
	"github.com/kiln-gitops/kiln/render"
)

func TestDiff(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if _, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{})); err != nil {
		t.Fatal(err)
	}
	mainAtPromotion := gittest.Git(t, f.remote, "rev-parse", "main")
	// A folder like --out, holding the render before the change.
	out := t.TempDir()
	writeRender(t, f, f.opts(t, "dev", nil).Render, out)
	diff := func(t *testing.T, against string) (*DiffResult, error) {
		t.Helper()
		o := f.opts(t, "dev", nil)
		res, err := Diff(context.Background(), f.pipeline(t), DiffOptions{Env: "dev", Against: against, Render: o.Render, GitEnv: gittest.Env(), WorkDir: t.TempDir()})
		if res != nil && strings.Contains(res.Unified(false), secretValue) {
			t.Error("the diff shows the secret value")
		}
		return res, err
	}

	// Unchanged against the manifests branch.
	res, err := diff(t, "")
	if err != nil {
		t.Fatal(err)
	}
	if res.Changed || res.Unified(false) != "" || len(res.Changes) != 0 {
		t.Errorf("diff right after promoting = %+v", res)
	}

	// Change the code: the port and the size in the Secret (whose data
	// diffs mask, changed or not).
	f.commitCode(t, map[string]string{
		"apps/web/service.yaml":     strings.Replace(project("")["apps/web/service.yaml"], "port: 80", "port: 8080", 1),
		"apps/cache/configmap.yaml": strings.Replace(project("")["apps/cache/configmap.yaml"], `"64"`, `"128"`, 1),
	}, "change")
	wantApps := map[string]AppChanges{"web": {Changed: 1}, "cache": {Changed: 1}}
	for _, tc := range []struct {
		name, against, wantAgainst string
	}{
		{name: "manifests branch", against: "", wantAgainst: f.remote + "#main (" + mainAtPromotion[:7] + ") clusters/dev"},
		{name: "file URL and ref", against: "file://" + f.remote + "#" + mainAtPromotion, wantAgainst: "file://" + f.remote + "#" + mainAtPromotion + " (" + mainAtPromotion[:7] + ") clusters/dev"},
		{name: "path and branch", against: f.remote + "#main", wantAgainst: f.remote + "#main (" + mainAtPromotion[:7] + ") clusters/dev"},
		{name: "git repository folder", against: f.remote, wantAgainst: f.remote + "#main (" + mainAtPromotion[:7] + ") clusters/dev"},
		{name: "rendered folder", against: out, wantAgainst: filepath.Join(out, "dev")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := diff(t, tc.against)
			if err != nil {
				t.Fatal(err)
			}
			if res.Against != tc.wantAgainst {
				t.Errorf("Against = %q, want %q", res.Against, tc.wantAgainst)
			}
			if d := cmp.Diff(wantApps, res.Apps); d != "" {
				t.Errorf("Apps (-want +got):\n%s", d)
			}
			var paths []string
			for _, c := range res.Changes {
				paths = append(paths, c.Op+" "+c.Path+" "+c.Object)
			}
			want := []string{
				"changed apps/cache/secret_cache.yaml Secret/shop/cache",
				"changed apps/web/service_web.yaml Service/shop/web",
				"changed kiln.lock.json ",
			}
			if d := cmp.Diff(want, paths); d != "" {
				t.Errorf("changes (-want +got):\n%s", d)
			}
			u := res.Unified(false)
			for _, s := range []string{"-  - port: 80\n", "+  - port: 8080\n", "+  size: '**redacted: new value**'", "  key: '**redacted**'"} {
				if !strings.Contains(u, s) {
					t.Errorf("diff lacks %q:\n%s", s, u)
				}
			}
			if c := res.Unified(true); !strings.Contains(c, "\x1b[") {
				t.Error("coloured diff has no colour")
			}
		})
	}

	// --against DIR reads DIR as promote --rendered does, held to a
	// render writing it, but creates no lock file in a folder the user
	// only named to read.
	t.Run("rendered folder a render writes", func(t *testing.T) {
		r, err := render.New(f.pipeline(t), f.opts(t, "dev", nil).Render)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		w, err := r.OpenOutput(out, render.WriteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = diff(t, out)
		if cerr := w.Close(); cerr != nil {
			t.Fatal(cerr)
		}
		if err == nil || !strings.Contains(err.Error(), "is writing this output folder") {
			t.Errorf("diff --against a folder a render writes = %v, want an error naming the render", err)
		}
		if _, err := diff(t, out); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Lstat(filepath.Join(out, ".kiln.lock")); !os.IsNotExist(err) {
			t.Errorf("diff left a lock file in %s: %v", out, err)
		}
	})

	t.Run("missing folder", func(t *testing.T) {
		_, err := diff(t, t.TempDir())
		if err == nil || !strings.Contains(err.Error(), "hint: --against DIR compares with DIR/dev") {
			t.Errorf("error = %v", err)
		}
	})
}
