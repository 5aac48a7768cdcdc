package render

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/kiln-gitops/kiln/render/internal/cache"
)

// TestListedAPIVersionsKept: the API versions of validation.crds are kept
// in the render cache under the files' bytes, so that a later run (a
// re-render with nothing changed computes every app's key) reads them
// instead of parsing megabytes of schema again; a file with other bytes
// is parsed afresh.
func TestListedAPIVersionsKept(t *testing.T) {
	t.Parallel()
	root := copyInstavote(t)
	crd, err := os.ReadFile("../testdata/manifests/kube-prometheus/0servicemonitorCustomResourceDefinition.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "crds"), 0o755); err != nil {
		t.Fatal(err)
	}
	crdFile := filepath.Join(root, "crds", "servicemonitor.yaml")
	if err := os.WriteFile(crdFile, crd, 0o644); err != nil {
		t.Fatal(err)
	}
	appendFile(t, root, "kiln.yaml", "\nvalidation:\n  crds: [crds/servicemonitor.yaml]\n")
	opts := cachedOptions(t)
	var store *cache.Store
	versions := func() []string {
		r := newRenderer(t, root, opts)
		defer r.Close()
		store = r.cache.store
		return r.listedAPIVersions("dev")
	}
	want := []string{"monitoring.coreos.com/v1", "monitoring.coreos.com/v1/ServiceMonitor"}
	if got := versions(); !slices.Equal(got, want) {
		t.Fatalf("first run: %q, want %q", got, want)
	}

	// The kept list is what a later run reads: rewritten in the store, it
	// is what the next Renderer returns.
	var kept string
	filepath.WalkDir(store.Dir(), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if ent, gerr := store.Get(d.Name()); gerr == nil && ent != nil && string(ent.Result) == want[0]+"\n"+want[1] {
				kept = d.Name()
			}
		}
		return nil
	})
	if kept == "" {
		t.Fatal("no entry holds the list")
	}
	if err := store.Put(kept, &cache.Entry{Result: []byte("example.com/v9\nexample.com/v9/Marker")}); err != nil {
		t.Fatal(err)
	}
	if got := versions(); !slices.Equal(got, []string{"example.com/v9", "example.com/v9/Marker"}) {
		t.Fatalf("second run: %q, want the kept list", got)
	}

	// Other bytes, another key: parsed afresh.
	if err := os.WriteFile(crdFile, append(crd, "\n# changed\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := versions(); !slices.Equal(got, want) {
		t.Fatalf("after a change: %q, want %q", got, want)
	}
}

// TestListedAPIVersionsListsOnce: every Helm app asks for the API
// versions of validation.crds, and a folder named there was listed, and
// each of its files resolved, for each: 300 Helm apps and a folder of
// 2,000 CRD files took 18 s to re-render with nothing changed, against
// 5 s for the same CRDs in one file. The folder is listed once per env
// and run: a later ask allocates next to nothing. (Not parallel:
// AllocsPerRun counts the whole process's allocations.)
func TestListedAPIVersionsListsOnce(t *testing.T) {
	root := copyInstavote(t)
	crd, err := os.ReadFile("../testdata/manifests/kube-prometheus/0servicemonitorCustomResourceDefinition.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "crds"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "crds", "servicemonitor.yaml"), crd, 0o644); err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		if err := os.WriteFile(filepath.Join(root, "crds", fmt.Sprintf("notes-%d.md", i)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	appendFile(t, root, "kiln.yaml", "\nvalidation:\n  crds: [crds]\n")
	r := newRenderer(t, root, cachedOptions(t))
	defer r.Close()
	want := []string{"monitoring.coreos.com/v1", "monitoring.coreos.com/v1/ServiceMonitor"}
	if got := r.listedAPIVersions("dev"); !slices.Equal(got, want) {
		t.Fatalf("%q, want %q", got, want)
	}
	if n := testing.AllocsPerRun(10, func() { r.listedAPIVersions("dev") }); n > 10 {
		t.Errorf("%v allocations for each later ask, want the folder listed once", n)
	}
}
