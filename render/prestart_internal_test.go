package render

import (
	"context"
	"errors"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/sandbox/spawn"
)

// TestPrestartedWorker: the worker kiln render starts before it knows
// what it renders (cmd/kiln/internal/prestart) serves the first Helm or
// Jsonnet app of a cold render; when the render cache serves the first
// env, it is ended then, not left running beside the render until Close.
func TestPrestartedWorker(t *testing.T) {
	root := copyInstavote(t)
	p, err := envconfig.Load(filepath.Join(root, "kiln.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	opts := cachedOptions(t)
	alive := func(pid int) bool { return !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) }
	for _, run := range []string{"cold", "cached"} {
		spawn.Prestart()
		pid := spawn.Pending()
		r, err := New(p, opts)
		if err != nil {
			t.Fatal(err)
		}
		results, err := r.Render(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, er := range results {
			if er.Err != nil {
				t.Fatal(er.Err)
			}
		}
		if spawn.Pending() != 0 {
			t.Errorf("%s: the prestarted worker is still pending after the render", run)
		}
		// Without RenderOnce the pool keeps its workers: the cold render's
		// one is the prestarted worker. The cached render killed it, and
		// Close reaps it.
		if run == "cold" && !alive(pid) {
			t.Errorf("the prestarted worker %d did not serve the cold render", pid)
		}
		r.Close()
		if alive(pid) {
			t.Errorf("%s: the prestarted worker %d still exists after Close", run, pid)
		}
	}
}
