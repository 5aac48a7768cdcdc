package render

import (
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/kiln-gitops/kiln/templates"
)

// TestCacheMarksGoWithTheirResult: what the cache notes about a result
// (its identity, that it was served) goes once the result is no longer
// used, with the observations it holds; a run of 1000 apps × 3 envs
// otherwise keeps every env's to its end.
func TestCacheMarksGoWithTheirResult(t *testing.T) {
	c := &renderCache{}
	keep := &templates.Result{Deps: []templates.Dep{{Kind: "file", Path: "b", Sum: "y"}}}
	c.remember(keep, resultID{id: "k2:2", deps: keep.Deps}, false)
	func() {
		res := &templates.Result{Deps: []templates.Dep{{Kind: "file", Path: "a", Sum: "x"}}}
		c.remember(res, resultID{id: "k:1", deps: res.Deps}, true)
		if id, ok := c.identity(res); !ok || id.id != "k:1" {
			t.Fatalf("identity = %v, %v", id, ok)
		}
	}()
	count := func(m *sync.Map) (n int) {
		m.Range(func(any, any) bool { n++; return true })
		return n
	}
	// Cleanups run after a collection, on their own goroutine.
	for i := 0; i < 100 && count(&c.ids)+count(&c.served) > 1; i++ {
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	if n, m := count(&c.ids), count(&c.served); n != 1 || m != 0 {
		t.Errorf("%d identities and %d served marks left, want only the live result's identity", n, m)
	}
	if id, ok := c.identity(keep); !ok || id.id != "k2:2" {
		t.Errorf("the live result's identity = %v, %v", id, ok)
	}
	runtime.KeepAlive(keep)
}
