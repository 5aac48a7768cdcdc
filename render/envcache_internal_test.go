package render

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/render/internal/cache"
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
