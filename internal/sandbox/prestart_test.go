package sandbox

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/sandbox/spawn"
	"github.com/kiln-gitops/kiln/templates"
)

// countStarts counts the workers pools start themselves, not taking the
// prestarted one, until the test ends.
func countStarts(t *testing.T) *atomic.Int32 {
	t.Helper()
	var n atomic.Int32
	startedHook = func() { n.Add(1) }
	t.Cleanup(func() { startedHook = func() {} })
	return &n
}

// TestPrestartedWorkerTaken: a pool's first render takes the worker
// spawn.Prestart started instead of starting one, and that worker gets
// the pool's memory limit before the request: a render past it dies as
// any worker's does.
func TestPrestartedWorkerTaken(t *testing.T) {
	starts := countStarts(t)
	spawn.Prestart()
	pid := spawn.Pending()
	p := newPool(t, Options{Workers: 1, MemoryLimit: 128 << 20})
	if _, err := p.Engine("echo", nil).Render(context.Background(), &templates.Request{Vars: map[string]string{"yaml": "a: 1"}}); err != nil {
		t.Fatal(err)
	}
	if got := p.workers[0].Process.Pid; got != pid || starts.Load() != 0 || spawn.Pending() != 0 {
		t.Fatalf("the render ran in worker %d after %d starts, want the prestarted %d and none", got, starts.Load(), pid)
	}
	if ce := renderDies(t, p, "hog", &templates.Request{App: "big", Path: "charts/big"}); ce.Reason != ReasonMemory {
		t.Errorf("reason %q, want %q", ce.Reason, ReasonMemory)
	}
	if !gone(pid) {
		t.Errorf("the prestarted worker %d lives on after it died", pid)
	}
}

// TestPrestartedWorkerEnvironment: a worker prestarted before the
// environment changed is not taken; the render gets a worker started
// with the environment of now, and the other one ends.
func TestPrestartedWorkerEnvironment(t *testing.T) {
	starts := countStarts(t)
	t.Setenv("HTTPS_PROXY", "http://old:3128")
	spawn.Prestart()
	pid := spawn.Pending()
	t.Setenv("HTTPS_PROXY", "http://new:3128")
	p := newPool(t, Options{Workers: 1})
	res, err := p.Engine("environ", nil).Render(context.Background(), &templates.Request{})
	if err != nil {
		t.Fatal(err)
	}
	if env := res.Params["env"].([]string); !slices.Contains(env, "HTTPS_PROXY=http://new:3128") || starts.Load() != 1 {
		t.Errorf("after %d starts the worker's environment is %q", starts.Load(), env)
	}
	for !gone(pid) {
		time.Sleep(time.Millisecond)
	}
}

// TestReleaseEndsPrestarted: a pool that needed no worker (the render
// cache served every app) ends the prestarted one at Release, and Close
// returns once it is reaped.
func TestReleaseEndsPrestarted(t *testing.T) {
	starts := countStarts(t)
	for _, end := range []string{"Release", "Close"} {
		spawn.Prestart()
		pid := spawn.Pending()
		p := New(Options{Workers: 1})
		if end == "Release" {
			p.Release()
			if spawn.Pending() != 0 {
				t.Errorf("Release left the prestarted worker pending")
			}
		}
		p.Close()
		if !gone(pid) {
			t.Errorf("%s: the prestarted worker %d still exists after Close", end, pid)
		}
	}
	if starts.Load() != 0 {
		t.Errorf("%d workers started", starts.Load())
	}
}

// TestOtherProgramKeepsPrestarted: a pool running another program neither
// takes nor ends this program's prestarted worker.
func TestOtherProgramKeepsPrestarted(t *testing.T) {
	spawn.Prestart()
	pid := spawn.Pending()
	p := New(Options{Workers: 1, Executable: "/bin/true"})
	_, _ = p.Engine("echo", nil).Render(context.Background(), &templates.Request{})
	p.Release()
	p.Close()
	if spawn.Pending() != pid {
		t.Errorf("the prestarted worker %d is no longer pending (%d)", pid, spawn.Pending())
	}
	if w := spawn.Discard(); w != nil {
		w.Stop()
	}
}

// gone says whether process pid no longer exists (it is reaped).
func gone(pid int) bool { return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) }

// TestWorkerKilledAfterHello: a worker killed after its hello, before it
// took its memory limit (the kernel's OOM killer, a container's limit),
// is a crashed engine naming the signal, as a worker killed at any other
// moment is; it was "cannot start the sandbox worker: … broken pipe",
// and render's TestWorkerKilled failed when its kill came that early.
func TestWorkerKilledAfterHello(t *testing.T) {
	helloHook = func(w *worker) {
		if err := syscall.Kill(w.Process.Pid, syscall.SIGKILL); err != nil {
			t.Error(err)
		}
	}
	t.Cleanup(func() { helloHook = func(*worker) {} })
	p := newPool(t, Options{Workers: 1, MemoryLimit: 128 << 20})
	_, err := p.Engine("echo", nil).Render(context.Background(), &templates.Request{App: "web", Vars: map[string]string{"yaml": "a: 1"}})
	var de *diag.Error
	if !errors.As(err, &de) || de.Msg != "the template engine crashed (signal: killed)" || de.App != "web" {
		t.Fatalf("Render() = %v, want the crashed engine named", err)
	}
	var ce *CrashError
	if !errors.As(err, &ce) || ce.Reason != ReasonCrash {
		t.Errorf("error %v is no crash", err)
	}
}
