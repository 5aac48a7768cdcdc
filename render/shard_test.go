package render_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/limits"
	"github.com/kiln-gitops/kiln/render"
)

// renderShards renders every env of the example as n shards.
func renderShards(t *testing.T, n int) map[string][]map[string][]byte {
	t.Helper()
	out := map[string][]map[string][]byte{}
	for i := 1; i <= n; i++ {
		opts := testOptions()
		opts.Shard = render.Shard{Index: i, Count: n}
		for _, er := range renderAll(t, load(t, example), opts) {
			if er.Err != nil {
				t.Fatalf("shard %d/%d, env %s: %v", i, n, er.Env, er.Err)
			}
			out[er.Env] = append(out[er.Env], er.Files)
		}
	}
	return out
}

func dirsOf(n int) []string {
	var d []string
	for i := 1; i <= n; i++ {
		d = append(d, fmt.Sprintf("shard-%d", i))
	}
	return d
}

func asStrings(files map[string][]byte) map[string]string {
	out := map[string]string{}
	for p, d := range files {
		out[p] = string(d)
	}
	return out
}

// TestShardMergeEqualsFullRender renders the example in 1, 2, 3 and 7
// shards; merging the shards gives, byte for byte, the tree of one render.
func TestShardMergeEqualsFullRender(t *testing.T) {
	t.Parallel()
	full := envFiles(t, testOptions())
	for _, n := range []int{1, 2, 3, 7} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			t.Parallel()
			shards := renderShards(t, n)
			r, err := render.New(load(t, example), testOptions())
			if err != nil {
				t.Fatal(err)
			}
			for env, trees := range shards {
				apps := 0
				for _, tr := range trees {
					if _, ok := tr[render.ShardFile]; n > 1 && !ok {
						t.Errorf("env %s: a shard has no %s", env, render.ShardFile)
					}
					for p := range tr {
						if strings.HasPrefix(p, "flux/") && p != "flux/notifications.yaml" {
							apps++
						}
					}
				}
				if n > 1 {
					er := r.Merge(context.Background(), env, trees, dirsOf(n))
					if er.Err != nil {
						t.Fatalf("env %s: merge: %v", env, er.Err)
					}
					if diff := cmp.Diff(asStrings(full[env]), asStrings(er.Files)); diff != "" {
						t.Errorf("env %s: merged shards differ from a full render (-want +got):\n%s", env, diff)
					}
				}
				if want := strings.Count(string(full[env]["kiln.lock.json"]), `"engine"`); apps != want {
					t.Errorf("env %s: the %d shards rendered %d apps, want %d", env, n, apps, want)
				}
			}
		})
	}
}

// TestShardMergeRefuses: a missing shard, a shard given twice and a full
// render among shards are errors naming the app or folder.
func TestShardMergeRefuses(t *testing.T) {
	t.Parallel()
	shards := renderShards(t, 3)["dev"]
	full := envFiles(t, testOptions())["dev"]
	r, err := render.New(load(t, example), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		trees []map[string][]byte
		want  string
	}{
		{name: "missing", trees: shards[:2], want: "rendered by none of the shards given"},
		{name: "twice", trees: append(append([]map[string][]byte{}, shards...), shards[0]), want: "rendered by two shards: shard-1 and shard-4"},
		{name: "not a shard", trees: append([]map[string][]byte{full}, shards...), want: "shard-1: not a shard"},
		// The cause is said, not only kept for errors.As.
		{name: "bad marker", trees: append([]map[string][]byte{withFile(shards[0], render.ShardFile, "{")}, shards[1:]...), want: "unreadable shard marker: unexpected end of JSON input"},
		{name: "bad lock", trees: append([]map[string][]byte{withFile(shards[0], "kiln.lock.json", "{")}, shards[1:]...), want: "unreadable lock: parsing kiln.lock.json: unexpected end of JSON input"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			er := r.Merge(context.Background(), "dev", tc.trees, dirsOf(len(tc.trees)))
			if er.Err == nil || !strings.Contains(er.Err.Error(), tc.want) {
				t.Errorf("Merge error = %v, want it to contain %q", er.Err, tc.want)
			}
		})
	}
}

// withFile is tree with the file name holding data.
func withFile(tree map[string][]byte, name, data string) map[string][]byte {
	c := maps.Clone(tree)
	c[name] = []byte(data)
	return c
}

// TestShardMergeEnvObjectsBound: each shard is bounded alone as it
// renders, so the merge bounds the env's objects, every shard's together
// (limits.EnvObjects, lowered here to the example's count).
func TestShardMergeEnvObjectsBound(t *testing.T) {
	t.Parallel()
	shards := renderShards(t, 3)["dev"]
	lock, err := render.ParseLock(envFiles(t, testOptions())["dev"]["kiln.lock.json"])
	if err != nil {
		t.Fatal(err)
	}
	objects := 0
	for _, a := range lock.Apps {
		objects += a.Objects
	}
	r, err := render.New(load(t, example), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	r.SetEnvObjects(objects)
	if er := r.Merge(context.Background(), "dev", shards, dirsOf(3)); er.Err != nil {
		t.Fatalf("merge of %d objects, bound %d: %v", objects, objects, er.Err)
	}
	r.SetEnvObjects(objects - 1)
	er := r.Merge(context.Background(), "dev", shards, dirsOf(3))
	want := fmt.Sprintf("env dev: its apps produce more than %d objects together", objects-1)
	if er.Err == nil || !strings.Contains(er.Err.Error(), want) || !errors.Is(er.Err, limits.ErrLimit) {
		t.Errorf("merge of %d objects, bound %d: err = %v, want a limit error saying %q", objects, objects-1, er.Err, want)
	}
}

// TestShardMergeStopsParsingPastBound: once the apps parsed pass the
// bound, the merge parses no other app's files: it fails anyway, and n
// shards' objects would be parsed back into memory for nothing. Every
// app's files but the first app's are broken (not YAML, nor what the
// shard's lock records): past the bound none of them is read, so the
// limit error is the only one.
func TestShardMergeStopsParsingPastBound(t *testing.T) {
	t.Parallel()
	shards := renderShards(t, 3)["dev"]
	p := load(t, example)
	first := p.Apps[0].Name
	broken := 0
	for _, tree := range shards {
		for path := range tree {
			if strings.HasPrefix(path, "apps/") && !strings.HasPrefix(path, "apps/"+first+"/") {
				tree[path] = []byte("kind: [unclosed\n")
				broken++
			}
		}
	}
	if broken == 0 {
		t.Fatal("no app file to break")
	}
	r, err := render.New(p, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	r.SetEnvObjects(0)
	er := r.Merge(context.Background(), "dev", shards, dirsOf(3))
	if er.Err == nil || !errors.Is(er.Err, limits.ErrLimit) {
		t.Fatalf("merge past the bound: err = %v, want a limit error", er.Err)
	}
	if n := len(diag.Flatten(er.Err)); n != 1 {
		t.Errorf("merge past the bound: %d errors, want only the limit error:\n%v", n, er.Err)
	}
}

// TestShardOfIsStable pins the assignment: it depends on the name and n
// alone, so it must never change between kiln versions either (a matrix
// of old and new runners would lose or duplicate apps).
func TestShardOfIsStable(t *testing.T) {
	t.Parallel()
	got := map[string]int{}
	for _, app := range []string{"platform", "redis", "db", "vote", "result", "worker"} {
		got[app] = render.ShardOf(app, 3)
	}
	// The first 8 bytes of each name's SHA-256, big-endian, modulo 3, plus 1.
	want := map[string]int{"platform": 1, "redis": 2, "db": 2, "vote": 1, "result": 3, "worker": 2}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ShardOf (-want +got):\n%s", diff)
	}
	for app, s := range got {
		if s < 1 || s > 3 {
			t.Errorf("ShardOf(%s, 3) = %d, want 1..3", app, s)
		}
	}
}

// TestShardMergeRefusesAnotherCheckout: Merge reads kiln.yaml and the env
// file of its own checkout (the apps the env enables, the checks across
// apps, flux/notifications.yaml) and keeps every app's files from the
// shards: shards of one commit merged at another, or by another kiln,
// would be a tree no commit and no kiln renders. It is refused, naming
// both commits (or versions).
func TestShardMergeRefusesAnotherCheckout(t *testing.T) {
	t.Parallel()
	shards := renderShards(t, 3)["dev"]
	opts := testOptions()
	opts.Source.Commit = "89abcdef0123456789abcdef0123456789abcdef"
	r, err := render.New(load(t, example), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	er := r.Merge(context.Background(), "dev", shards, dirsOf(3))
	if er.Err == nil {
		t.Fatal("Merge took shards of another commit than its checkout's")
	}
	if msg := er.Err.Error(); !strings.Contains(msg, "0123456789ab") || !strings.Contains(msg, "89abcdef0123") {
		t.Errorf("Merge error = %v, want it to name both commits", er.Err)
	}
	// Nor by another kiln than the one that rendered them: the merge
	// writes flux/notifications.yaml and checks every app itself.
	opts = testOptions()
	opts.Version = "other"
	r2, err := render.New(load(t, example), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	if er := r2.Merge(context.Background(), "dev", shards, dirsOf(3)); er.Err == nil || !strings.Contains(er.Err.Error(), `kiln "test"`) || !strings.Contains(er.Err.Error(), `kiln "other"`) {
		t.Errorf("Merge by another kiln: error = %v, want it to name both versions", er.Err)
	}
	// The same commit, or a checkout whose commit is unknown, merges.
	for _, commit := range []string{testOptions().Source.Commit, ""} {
		opts := testOptions()
		opts.Source.Commit = commit
		r, err := render.New(load(t, example), opts)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if er := r.Merge(context.Background(), "dev", shards, dirsOf(3)); er.Err != nil {
			t.Errorf("checkout at %q: Merge: %v", commit, er.Err)
		}
	}
}

// widgetProject is a project whose app crds (shard 1 of 2) ships the CRD
// of the namespaced kind Widget and whose app app2 (shard 2 of 2)
// holds a Widget without a namespace; with unknown, it also holds a
// Gadget, a kind no CRD of the env defines.
func widgetProject(t *testing.T, unknown bool) string {
	t.Helper()
	files := map[string]string{
		"kiln.yaml": `apiVersion: kiln/v1alpha1
kind: Pipeline
environments:
  - name: dev
kubeVersion: "1.33.0"
manifests: {repo: "https://github.com/acme/manifests.git", branch: main, path: "clusters/{env}"}
apps:
  - name: crds
    namespace: demo
    yaml: crds
  - name: app2
    namespace: demo
    yaml: widgets
    dependsOn: [crds]
`,
		"crds/crd.yaml":       widgetCRDOf("integer"),
		"widgets/widget.yaml": "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  size: 3\n",
	}
	if unknown {
		files["widgets/gadget.yaml"] = "apiVersion: example.com/v1\nkind: Gadget\nmetadata:\n  name: g\n"
	}
	return writeProject(t, files)
}

// TestShardScopeWarningsWaitForTheMerge: a shard that renders a custom
// resource whose CRD another shard renders cannot know its scope; it
// records the kind for Merge instead of warning that the kind is unknown.
// Warned, --strict made that shard fail while a full render of the same
// env passes. A kind no CRD of the whole env defines is still warned about
// (an error with --strict) by Merge, as by a full render.
func TestShardScopeWarningsWaitForTheMerge(t *testing.T) {
	t.Parallel()
	if render.ShardOf("crds", 2) != 1 || render.ShardOf("app2", 2) != 2 {
		t.Fatal("the fixture's apps are not in shards 1 and 2 of 2")
	}
	for _, unknown := range []bool{false, true} {
		t.Run(fmt.Sprintf("unknown kind %v", unknown), func(t *testing.T) {
			t.Parallel()
			root := widgetProject(t, unknown)
			opts := testOptions()
			opts.Images = render.Images{} // the example's, which no app here uses
			opts.Strict = true
			full := renderAll(t, load(t, root), opts)[0]
			if unknown != (full.Err != nil) {
				t.Fatalf("full render with --strict: error = %v", full.Err)
			}
			var trees []map[string][]byte
			for i := 1; i <= 2; i++ {
				o := opts
				o.Shard = render.Shard{Index: i, Count: 2}
				er := renderAll(t, load(t, root), o)[0]
				if er.Err != nil {
					t.Fatalf("shard %d/2 with --strict: %v", i, er.Err)
				}
				trees = append(trees, er.Files)
			}
			r, err := render.New(load(t, root), opts)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			er := r.Merge(context.Background(), "dev", trees, dirsOf(2))
			if !unknown {
				if er.Err != nil {
					t.Fatalf("Merge with --strict: %v", er.Err)
				}
				if diff := cmp.Diff(asStrings(full.Files), asStrings(er.Files)); diff != "" {
					t.Errorf("merged shards differ from a full render (-want +got):\n%s", diff)
				}
				return
			}
			if er.Err == nil || !strings.Contains(er.Err.Error(), "kind Gadget (example.com/v1) is unknown to kiln") {
				t.Errorf("Merge with --strict: error = %v, want the Gadget's unknown kind", er.Err)
			}
			if strings.Contains(fmt.Sprint(er.Err), "kind Widget") {
				t.Errorf("Merge blamed the Widget, whose CRD a shard rendered: %v", er.Err)
			}
		})
	}
}
