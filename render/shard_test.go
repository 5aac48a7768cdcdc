package render_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

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
	} {
		t.Run(tc.name, func(t *testing.T) {
			er := r.Merge(context.Background(), "dev", tc.trees, dirsOf(len(tc.trees)))
			if er.Err == nil || !strings.Contains(er.Err.Error(), tc.want) {
				t.Errorf("Merge error = %v, want it to contain %q", er.Err, tc.want)
			}
		})
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
