package render_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/render"
)

// TestShardMergeRefusesShardsOfAnotherConfig: the shards agree on a
// commit only in a clean checkout. Rendered outside git (or from
// uncommitted changes, promoted with --allow-dirty), shard 1 read a
// kiln.yaml that put app a1 in namespace ns, shard 2 (and the merge) one
// that puts it in namespace other. The merge must refuse rather than
// write a tree no render writes: a1's objects in ns, where kiln.yaml now
// says other.
func TestShardMergeRefusesShardsOfAnotherConfig(t *testing.T) {
	t.Parallel()
	config := func(ns string) string {
		return "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\nmanifests:\n  github: acme/manifests\napps:\n" +
			"  - name: a1\n    namespace: " + ns + "\n    yaml: apps/a1\n" +
			"  - name: a2\n    namespace: ns\n    yaml: apps/a2\n" +
			"  - name: a3\n    namespace: ns\n    yaml: apps/a3\n"
	}
	files := map[string]string{"kiln.yaml": config("ns"), "envs/dev.yaml": ""}
	for _, a := range []string{"a1", "a2", "a3"} {
		files["apps/"+a+"/cm.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + a + "}\n"
	}
	dir := writeProject(t, files)
	const n = 2
	shardOf := func(i int) map[string][]byte {
		opts := testOptions()
		opts.Shard = render.Shard{Index: i, Count: n}
		er := renderAll(t, load(t, dir), opts)[0]
		if er.Err != nil {
			t.Fatal(er.Err)
		}
		return er.Files
	}
	first := render.ShardOf("a1", n)
	trees := make([]map[string][]byte, n)
	trees[first-1] = shardOf(first) // with a1 in namespace ns
	if err := os.WriteFile(filepath.Join(dir, "kiln.yaml"), []byte(config("other")), 0o644); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		if i != first {
			trees[i-1] = shardOf(i)
		}
	}
	r, err := render.New(load(t, dir), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	er := r.Merge(context.Background(), "dev", trees, dirsOf(n))
	if er.Err == nil {
		t.Fatalf("merged a shard rendered with another kiln.yaml: a1's ConfigMap is\n%s", er.Files["apps/a1/configmap_a1.yaml"])
	}
	if msg := er.Err.Error(); !strings.Contains(msg, "kiln.yaml") {
		t.Errorf("error = %v, want one naming kiln.yaml", er.Err)
	}
	// Every shard of this kiln.yaml merges.
	trees[first-1] = shardOf(first)
	if er := r.Merge(context.Background(), "dev", trees, dirsOf(n)); er.Err != nil {
		t.Fatalf("shards of one kiln.yaml: %v", er.Err)
	}
}
