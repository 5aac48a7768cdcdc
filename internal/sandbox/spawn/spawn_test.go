package spawn

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kiln-gitops/kiln/internal/sandbox/program"
	"github.com/kiln-gitops/kiln/internal/testenv"
)

// TestMain makes this test binary a stand-in worker when Start runs it:
// it waits for its standard input to close, as a worker does.
//
// testMode makes it another stand-in: "exit3" exits 3 once its input
// closes; "grandchild" first starts a process that holds its standard
// error open and writes that process's ID on its standard output.
func TestMain(m *testing.M) {
	if os.Getenv(EnvWorker) == WorkerMagic {
		switch os.Getenv(testMode) {
		case "grandchild":
			c := exec.Command("sleep", "60")
			c.Stderr = os.Stderr
			if err := c.Start(); err != nil {
				os.Exit(5)
			}
			fmt.Println(c.Process.Pid)
		}
		_, _ = io.Copy(io.Discard, os.Stdin)
		if os.Getenv(testMode) == "exit3" {
			os.Exit(3)
		}
		os.Exit(0)
	}
	testenv.ChildrenExitPromptly()
	os.Exit(m.Run())
}

// TestWorkerEnvIsSpawns: testenv spells the worker variable out (it
// cannot import this package, whose tests import it).
func TestWorkerEnvIsSpawns(t *testing.T) {
	if want := EnvWorker + "=" + WorkerMagic; testenv.WorkerEnv != want {
		t.Errorf("testenv.WorkerEnv = %q, want %q", testenv.WorkerEnv, want)
	}
}

// testMode names the stand-in worker TestMain plays.
const testMode = "KILN_SPAWN_TEST_MODE"

// gone says whether process pid no longer exists (reaped).
func gone(pid int) bool { return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) }

func TestEnv(t *testing.T) {
	t.Setenv("GITHUB_TOKEN", "ghp_secret")
	t.Setenv("KILN_SECRET", "s3cret")
	t.Setenv("HTTPS_PROXY", "http://proxy:3128")
	t.Setenv("GODEBUG", "gctrace=1")
	t.Setenv("DOCKER_CONFIG", "/runner/temp/docker")
	env := Env()
	if env[0] != "KILN_SANDBOX_WORKER=v1" {
		t.Errorf("Env()[0] = %q, want the worker variable", env[0])
	}
	all := strings.Join(env, "\n")
	for _, want := range []string{"HTTPS_PROXY=http://proxy:3128", "GODEBUG=gctrace=1", "DOCKER_CONFIG=/runner/temp/docker"} {
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
	exe, err := program.Path() // what the pool starts and Prestart started
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

// openFDs are the file descriptors this process has open, each with what
// it refers to; nil where /proc does not say (leaked then finds none).
func openFDs() map[string]string {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return nil
	}
	out := map[string]string{}
	for _, e := range ents {
		target, _ := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		out[e.Name()] = target
	}
	return out
}

// leaked fails t for each descriptor open now that was not in before.
// Only new ones count: an earlier test's worker may still be closing its
// pipes (Take stops a refused one on a goroutine of its own).
func leaked(t *testing.T, before map[string]string, what string) {
	t.Helper()
	if before == nil {
		return
	}
	for fd, target := range openFDs() {
		if old, ok := before[fd]; !ok || old != target {
			t.Errorf("descriptor %s (%s) is open after %s", fd, target, what)
		}
	}
}

// TestStartFailsAsExec: a program that cannot be started is the error
// os/exec gave for it, word for word, and leaves no descriptor open.
func TestStartFailsAsExec(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, []byte("not a program"), 0o644); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "noexec")
	if err := os.WriteFile(script, []byte("\x7fELF garbage"), 0o755); err != nil {
		t.Fatal(err)
	}
	before := openFDs()
	for _, exe := range []string{filepath.Join(dir, "missing"), dir, plain, script} {
		p, err := Start(exe, Env())
		if err == nil {
			p.Stop()
			t.Fatalf("Start(%s) started it", exe)
		}
		c := exec.Command(exe)
		c.Env = Env()
		want := c.Start()
		if want == nil {
			_ = c.Process.Kill()
			_ = c.Wait()
			t.Fatalf("os/exec started %s", exe)
		}
		if err.Error() != want.Error() {
			t.Errorf("Start(%s) = %q, os/exec said %q", exe, err, want)
		}
	}
	leaked(t, before, "the failed starts")
}

// TestExitAsExec: a worker's exit status reads as os/exec's Wait gave it,
// and starting and reaping workers leaves no descriptor open.
func TestExitAsExec(t *testing.T) {
	exe := executable(t)
	before := openFDs()
	for _, tc := range []struct {
		mode string
		kill bool
	}{{"", false}, {"exit3", false}, {"", true}} {
		env := append(Env(), testMode+"="+tc.mode)
		p, err := Start(exe, env)
		if err != nil {
			t.Fatal(err)
		}
		c := exec.Command(exe, "-test.run=^$")
		c.Env = env
		stdin, err := c.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		if tc.kill {
			p.Stop()
			_ = c.Process.Kill()
		} else {
			p.Reap(t.Context(), nil)
			_ = stdin.Close()
		}
		want := c.Wait()
		if (p.Err() == nil) != (want == nil) || (want != nil && p.Err().Error() != want.Error()) {
			t.Errorf("mode %q, killed %v: Err() = %v, os/exec said %v", tc.mode, tc.kill, p.Err(), want)
		}
		if p.ExitCode() != c.ProcessState.ExitCode() {
			t.Errorf("mode %q, killed %v: ExitCode() = %d, os/exec said %d", tc.mode, tc.kill, p.ExitCode(), c.ProcessState.ExitCode())
		}
	}
	leaked(t, before, "the workers were reaped")
}

// TestGrandchildHoldsStderr: a worker that exits while a process it
// started keeps its standard error open is still reaped, with os/exec's
// WaitDelay error, and its pipes are closed.
func TestGrandchildHoldsStderr(t *testing.T) {
	before := openFDs()
	p, err := Start(executable(t), append(Env(), testMode+"=grandchild"))
	if err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(p.Stdout).ReadString('\n')
	if err != nil {
		p.Stop()
		t.Fatalf("reading the grandchild's ID: %v", err)
	}
	gc, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		p.Stop()
		t.Fatal(err)
	}
	defer func() {
		_ = syscall.Kill(gc, syscall.SIGKILL)
	}()
	p.Reap(t.Context(), nil)
	if p.Err() == nil || p.Err().Error() != exec.ErrWaitDelay.Error() {
		t.Errorf("Err() = %v, want os/exec's %q", p.Err(), exec.ErrWaitDelay)
	}
	if gone(gc) {
		t.Fatal("the grandchild ended: the case tests nothing")
	}
	leaked(t, before, "the worker was reaped")
}
