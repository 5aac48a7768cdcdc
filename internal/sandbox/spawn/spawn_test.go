package spawn

import (
	"errors"
	"io"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain makes this test binary a stand-in worker when Start runs it:
// it waits for its standard input to close, as a worker does.
func TestMain(m *testing.M) {
	if os.Getenv(EnvWorker) == WorkerMagic {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// gone says whether process pid no longer exists (reaped).
func gone(pid int) bool { return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) }

func TestEnv(t *testing.T) {
	t.Setenv("GITHUB_TOKEN", "ghp_secret")
	t.Setenv("KILN_SECRET", "s3cret")
	t.Setenv("HTTPS_PROXY", "http://proxy:3128")
	t.Setenv("GODEBUG", "gctrace=1")
	env := Env()
	if env[0] != "KILN_SANDBOX_WORKER=v1" {
		t.Errorf("Env()[0] = %q, want the worker variable", env[0])
	}
	all := strings.Join(env, "\n")
	for _, want := range []string{"HTTPS_PROXY=http://proxy:3128", "GODEBUG=gctrace=1"} {
		if !slices.Contains(env, want) {
			t.Errorf("Env() lacks %s:\n%s", want, all)
		}
	}
	if strings.Contains(all, "s3cret") || strings.Contains(all, "ghp_") {
		t.Errorf("Env() passes a secret on:\n%s", all)
	}
}

// TestTake: the prestarted worker is handed over once, to a start of the
// same program with the same environment.
func TestTake(t *testing.T) {
	Prestart()
	pid := Pending()
	if pid == 0 {
		t.Fatal("Prestart started no worker")
	}
	p := Take(executable(t), Env())
	if p == nil || p.Process.Pid != pid {
		t.Fatalf("Take = %v, want the prestarted worker %d", p, pid)
	}
	if Pending() != 0 || Take(executable(t), Env()) != nil {
		t.Error("the prestarted worker was handed over twice")
	}
	p.Stop()
	if !gone(pid) {
		t.Errorf("worker %d still exists after Stop", pid)
	}
}

// TestTakeRefuses: a worker prestarted with another program or
// environment than a start would use now is not handed over, and it ends.
func TestTakeRefuses(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(t *testing.T) (exe string)
	}{
		{"program", func(*testing.T) string { return "/bin/cat" }},
		{"environment", func(t *testing.T) string { t.Setenv("HTTPS_PROXY", "http://new:3128"); return executable(t) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("HTTPS_PROXY", "http://old:3128")
			Prestart()
			pid := Pending()
			exe := tc.change(t)
			if p := Take(exe, Env()); p != nil {
				p.Stop()
				t.Fatal("Take handed over a worker started otherwise")
			}
			if Pending() != 0 {
				t.Error("the refused worker is still pending")
			}
			// Take stops it on a goroutine of its own: this ends once
			// it is reaped.
			for !gone(pid) {
				time.Sleep(time.Millisecond)
			}
		})
	}
}

func executable(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

// TestDiscard: a prestarted worker nobody took is killed, and reaped by
// Stop; Discard without one is nil.
func TestDiscard(t *testing.T) {
	Prestart()
	pid := Pending()
	p := Discard()
	if p == nil || p.Process.Pid != pid {
		t.Fatalf("Discard() = %v, want the prestarted worker %d", p, pid)
	}
	p.Stop()
	if !gone(pid) {
		t.Errorf("worker %d still exists after Discard and Stop", pid)
	}
	if ws, ok := p.State.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Errorf("discarded worker ended with %v, want killed", p.State)
	}
	if Discard() != nil || Pending() != 0 {
		t.Error("Discard found a worker after the last was discarded")
	}
}

// TestPrestartReplaces: a second Prestart stops the worker of the first.
func TestPrestartReplaces(t *testing.T) {
	Prestart()
	first := Pending()
	Prestart()
	second := Pending()
	if first == second || !gone(first) {
		t.Errorf("after a second Prestart, the first worker %d: gone %v (second %d)", first, gone(first), second)
	}
	if p := Discard(); p != nil {
		p.Stop()
	}
}
