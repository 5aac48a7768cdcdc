package render_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/limits"
	"github.com/kiln-gitops/kiln/render"
)

// TestEnvObjectsBound: each app is within its own bounds, but together
// the apps of an env pass the env's bound (lowered here to 10 from
// limits.EnvObjects): the env fails with one error naming it, the bound
// and what to do, a limit error (exit 1), and no tree. An env of fewer
// objects renders.
func TestEnvObjectsBound(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	kiln := "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\nmanifests:\n  github: acme/manifests\napps:\n"
	for _, app := range []string{"a", "b", "c"} {
		kiln += fmt.Sprintf("  - name: %s\n    namespace: shop\n    yaml: %s\n", app, app)
		var docs []string
		for i := range 4 {
			docs = append(docs, fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s%d\n", app, i))
		}
		writeFile(t, filepath.Join(dir, app, "cms.yaml"), strings.Join(docs, "---\n"))
	}
	writeFile(t, filepath.Join(dir, "kiln.yaml"), kiln)
	p, err := envconfig.Load(filepath.Join(dir, "kiln.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		bound int
		fails bool
	}{
		{name: "12 objects, bound 10", bound: 10, fails: true},
		{name: "12 objects, bound 12", bound: 12},
	} {
		r, err := render.New(p, checkOptions(false))
		if err != nil {
			t.Fatal(err)
		}
		r.SetEnvObjects(tc.bound)
		results, err := r.Render(context.Background(), nil)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		err = results[0].Err
		if !tc.fails {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		for _, want := range []string{"kiln.yaml: env dev: its apps produce more than 10 objects together, kiln's limit for one env", "hint: split the env's apps over several envs"} {
			if err == nil || !strings.Contains(err.Error(), want) || !errors.Is(err, limits.ErrLimit) {
				t.Errorf("%s: err = %v, want a limit error saying %q", tc.name, err, want)
			}
		}
		if results[0].Files != nil {
			t.Errorf("%s: a tree of %d files", tc.name, len(results[0].Files))
		}
	}
}
