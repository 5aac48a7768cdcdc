package render

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/render/internal/tree"
	"github.com/kiln-gitops/kiln/render/internal/validate"
)

// TestEmittedFilesFoundCleanAreNotCheckedAgain: in an env that is not
// reused whole (one app's file changed), the Flux files kiln writes that
// an earlier run found clean, byte for byte, are not parsed and checked
// again, and the tree is what a render without the cache writes. A Flux
// file whose bytes change is checked again: a setting that makes one
// invalid is still refused with a warm cache.
func TestEmittedFilesFoundCleanAreNotCheckedAgain(t *testing.T) {
	root := copyInstavote(t)
	opts := cachedOptions(t)
	// run renders every env and returns the results and how many emitted
	// files were checked.
	run := func(opts Options) (map[string]*EnvResult, int64) {
		t.Helper()
		before := emittedChecked.Load()
		out := renderRoot(t, root, opts)
		return out, emittedChecked.Load() - before
	}
	edit := func(rel, old, new string) {
		t.Helper()
		path := filepath.Join(root, rel)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), old) {
			t.Fatalf("%s no longer holds %q", rel, old)
		}
		if err := os.WriteFile(path, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	cold, checkedCold := run(opts)
	if checkedCold == 0 {
		t.Fatal("a cold render checked no emitted file: the test tests nothing")
	}
	edit("apps/db/configmap.yaml", "\ndata:\n", "\ndata:\n  KILN_TEST: changed\n")
	warm, checkedWarm := run(opts)
	noCache := opts
	noCache.RenderCache = ""
	want, _ := run(noCache)
	for env, er := range warm {
		if er.Err != nil || want[env].Err != nil {
			t.Fatalf("env %s: %v / %v", env, er.Err, want[env].Err)
		}
		if er.Cached {
			t.Fatalf("env %s was reused whole after an app changed: the test tests nothing", env)
		}
		if diff := cmp.Diff(want[env].Files, er.Files); diff != "" {
			t.Errorf("env %s: warm render differs from one without the cache (-want +got):\n%s", env, diff)
		}
		if cmp.Equal(cold[env].Files, er.Files) {
			t.Fatalf("env %s: the edit changed nothing", env)
		}
	}
	if checkedWarm != 0 {
		t.Errorf("one app changed: %d emitted files checked again (a cold render checked %d); want none, their bytes are the same", checkedWarm, checkedCold)
	}

	// Make high-level/redis/source.yaml invalid (an ArtifactGenerator its
	// CRD refuses, as TestEmittedFluxObjectsValidated does): the warm
	// cache must not hide it.
	edit("kiln.yaml", "sourceRef: {kind: GitRepository, name: flux-system}", "sourceRef: {kind: OCIRepository, name: manifests.v2, originRevision: true}")
	bad, _ := run(opts)
	for env, er := range bad {
		if er.Err == nil || !strings.Contains(er.Err.Error(), "high-level/redis/source.yaml:") {
			t.Errorf("env %s: an invalid emitted file passed with a warm cache: %v", env, er.Err)
		}
	}
}

// TestEmittedErrorsInFileOrder: emitted files are checked side by side,
// yet their errors come in the order of the files' names, the same at
// every run, as the one-by-one check gave them.
func TestEmittedErrorsInFileOrder(t *testing.T) {
	env, err := validate.NewSchemas().Env("", nil)
	if err != nil {
		t.Fatal(err)
	}
	files, emitted := tree.Files{}, map[string]string{}
	var want []string
	for i := range 40 {
		app := fmt.Sprintf("app%02d", i)
		name := "flux/" + app + ".yaml"
		// A Kustomization without its required spec.prune and sourceRef.
		files[name] = []byte("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: " + app + "\n  namespace: flux-system\nspec:\n  interval: 10m\n")
		emitted[name] = app
		want = append(want, name)
	}
	for range 5 {
		var got []string
		for _, e := range diag.Flatten(checkEmittedIn(env, files, emitted)) {
			var de *diag.Error
			if !errors.As(e, &de) {
				t.Fatalf("not a diag.Error: %v", e)
			}
			if len(got) == 0 || got[len(got)-1] != de.File {
				got = append(got, de.File)
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("files of the errors, in order (-want +got):\n%s", diff)
		}
	}
}
