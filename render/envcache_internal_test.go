package render

import (
	"bytes"
	"encoding/gob"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/render/internal/cache"
	"github.com/kiln-gitops/kiln/render/internal/tree"
	"github.com/kiln-gitops/kiln/render/internal/validate"
)

// TestEnvIndexThatCannotBeTrustedIsAMiss: an env's index entry (the small
// entry the whole-env check reads first) that is truncated, altered,
// another's, stale, or that names an entry that is not there or is not a
// key, makes the env miss, never an error: the env then renders from its
// apps' entries exactly as without the cache, and its index is rewritten.
func TestEnvIndexThatCannotBeTrustedIsAMiss(t *testing.T) {
	root := copyInstavote(t)
	p, err := envconfig.Load(filepath.Join(root, "kiln.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	opts := cachedOptions(t)
	run := func(opts Options) map[string]*EnvResult {
		t.Helper()
		out := renderRoot(t, root, opts)
		for env, er := range out {
			if er.Err != nil {
				t.Fatalf("env %s: %v", env, er.Err)
			}
		}
		return out
	}
	noCache := opts
	noCache.RenderCache = ""
	want := run(noCache)
	run(opts)
	if warm := run(opts); !warm["dev"].Cached || !warm["prod"].Cached {
		t.Fatal("a warm cache does not reuse the envs whole: the test tests nothing")
	}

	r, err := New(p, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	index := func(env string) (string, *cache.Entry) {
		t.Helper()
		er, res := r.resolveEnv(env)
		if er.Err != nil {
			t.Fatal(er.Err)
		}
		key := r.envIndexKey(er, res)
		ent, err := r.cache.store.Get(key)
		if err != nil || ent == nil {
			t.Fatalf("env %s has no index entry: %v", env, err)
		}
		return key, ent
	}
	devKey, dev := index("dev")
	prodKey, prod := index("prod")
	devFile := r.cache.store.File(devKey)
	orig, err := os.ReadFile(devFile)
	if err != nil {
		t.Fatal(err)
	}
	prodData, err := os.ReadFile(r.cache.store.File(prodKey))
	if err != nil {
		t.Fatal(err)
	}
	put := func(e cache.Entry) func() {
		return func() {
			if err := r.cache.store.Put(devKey, &e); err != nil {
				t.Fatal(err)
			}
		}
	}
	write := func(data []byte) func() {
		return func() {
			if err := os.WriteFile(devFile, data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	stale := append(dev.Deps[:0:0], dev.Deps...)
	stale[len(stale)/2].Sum += "x"
	flipped := append([]byte(nil), orig...)
	flipped[len(flipped)/2] ^= 1
	for _, tc := range []struct {
		name  string
		spoil func()
	}{
		{"truncated", write(orig[:len(orig)/2])},
		{"a byte altered", write(flipped)},
		{"empty", write(nil)},
		{"another env's index under this env's name", write(prodData)},
		{"an observation that no longer holds", put(cache.Entry{Deps: stale, Result: dev.Result})},
		{"names an entry that is not there", put(cache.Entry{Deps: dev.Deps, Result: []byte(strings.Repeat("0", 64))})},
		{"names a path, not a key", put(cache.Entry{Deps: dev.Deps, Result: []byte("../../" + string(prod.Result))})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.spoil()
			got := run(opts)
			if got["dev"].Cached {
				t.Fatal("dev was reused whole")
			}
			if !got["prod"].Cached {
				t.Error("prod, whose index is intact, was not reused whole")
			}
			if d := cmp.Diff(want["dev"].Files, got["dev"].Files); d != "" {
				t.Fatalf("dev differs from a render without the cache (-want +got):\n%s", d)
			}
			for _, a := range got["dev"].Apps {
				if !a.Cached {
					t.Errorf("app %s was not served from its own entry", a.Name)
				}
			}
			if again := run(opts); !again["dev"].Cached {
				t.Error("the next run did not reuse dev whole: its index was not rewritten")
			}
		})
	}
}

// TestEnvEntryKeepsTheTree: an env entry gives back the files, clean
// keys and images used it was made from, a file of it cannot grow into
// the next, and an entry whose sizes or keys do not add up holds no tree
// (a miss).
func TestEnvEntryKeepsTheTree(t *testing.T) {
	out := &EnvResult{
		Files: tree.Files{"a.yaml": []byte("a: 1\n"), "apps/x/b.yaml": []byte("b"), "empty": {}, LockFile: []byte("{}\n")},
		Lock:  &Lock{Env: "dev"},
		clean: []validate.CleanKey{{1, 2, 3}, {31: 9}},
		used:  map[string]bool{"ghcr.io/acme/b": true, "ghcr.io/acme/a": true},
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(newEnvEntry(out)); err != nil {
		t.Fatal(err)
	}
	var e envEntry
	if err := gob.NewDecoder(&buf).Decode(&e); err != nil {
		t.Fatal(err)
	}
	files, ok := e.files()
	if !ok {
		t.Fatal("the entry holds no tree")
	}
	if d := cmp.Diff(out.Files, files, filesAsText); d != "" {
		t.Errorf("files (-stored +read):\n%s", d)
	}
	clean, ok := e.clean()
	if !ok || !slices.Equal(clean, out.clean) {
		t.Errorf("clean keys: %v, %v; want %v", clean, ok, out.clean)
	}
	if want := []string{"ghcr.io/acme/a", "ghcr.io/acme/b"}; !slices.Equal(e.Used, want) {
		t.Errorf("images used: %v, want %v", e.Used, want)
	}
	_ = append(files["a.yaml"], "XXXX"...)
	if again, _ := e.files(); string(again["apps/x/b.yaml"]) != "b" {
		t.Errorf("an append to one file changed the next: %q", again["apps/x/b.yaml"])
	}

	for name, spoil := range map[string]func(e *envEntry){
		"a size too large":      func(e *envEntry) { e.Sizes[0] += 100 },
		"a negative size":       func(e *envEntry) { e.Sizes[0] = -1 },
		"bytes left over":       func(e *envEntry) { e.Data = append(e.Data, 'x') },
		"a size missing":        func(e *envEntry) { e.Sizes = e.Sizes[1:] },
		"a clean key cut short": func(e *envEntry) { e.Clean = e.Clean[:len(e.Clean)-1] },
	} {
		c := e
		c.Sizes, c.Data, c.Clean = slices.Clone(e.Sizes), slices.Clone(e.Data), slices.Clone(e.Clean)
		spoil(&c)
		_, fok := c.files()
		_, cok := c.clean()
		if fok && cok {
			t.Errorf("%s: the entry still holds a tree", name)
		}
	}
}
