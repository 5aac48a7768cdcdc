package spawn

import (
	"context"
	"io"
	"os"
	"os/exec"
	"slices"
	"sync"
	"time"
)

// The variable that turns a process into a sandbox worker, and its value.
const (
	EnvWorker   = "KILN_SANDBOX_WORKER"
	WorkerMagic = "v1"
)

// forwardEnv are the variables a worker gets from kiln's environment:
// those the engines' HTTP clients and Go's runtime read. No token, no
// secret var: a template that escaped its engine finds none of them.
var forwardEnv = []string{
	"PATH", "HOME", "TMPDIR",
	"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
	"SSL_CERT_FILE", "SSL_CERT_DIR",
	"GODEBUG", "GOTRACEBACK", "GORACE", "GOCOVERDIR",
}

// Env is a worker's whole environment, taken from this process's now:
// EnvWorker and the forwarded variables.
func Env() []string {
	env := []string{EnvWorker + "=" + WorkerMagic}
	for _, k := range forwardEnv {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// Proc is a started worker process and its pipes.
type Proc struct {
	Cmd    *exec.Cmd
	Stdin  io.WriteCloser
	Stdout io.ReadCloser
	// Stderr keeps the last 64 KiB the worker wrote on its standard
	// error, which says why it died.
	Stderr *Tail
	// Exe and Env are the program and environment it was started with.
	Exe string
	Env []string

	once sync.Once
	err  error
}

// Start starts exe as a worker with environment env (Env's). Its
// standard input, output and error are pipes to this process, it gets
// SIGKILL when this process dies (on Linux), and nothing else of this
// process is passed on.
func Start(exe string, env []string) (*Proc, error) {
	// -test.run=^$ makes a test binary whose TestMain forgot Serve run no
	// test and exit, so that the handshake fails at once instead of after
	// the whole suite ran again; Serve never reads its arguments.
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Args[0] = "kiln-sandbox-worker"
	cmd.Env = env
	cmd.SysProcAttr = sysProcAttr()
	p := &Proc{Cmd: cmd, Stderr: &Tail{max: 64 << 10}, Exe: exe, Env: env}
	cmd.Stderr = p.Stderr
	cmd.WaitDelay = time.Second
	var err error
	if p.Stdin, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	if p.Stdout, err = cmd.StdoutPipe(); err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return p, nil
}

// Stop kills the worker, if it still runs, and reaps it; Err is then its
// exit status. Only the first call does anything.
func (p *Proc) Stop() {
	p.once.Do(func() {
		_ = p.Stdin.Close()
		_ = p.Cmd.Process.Kill()
		p.err = p.Cmd.Wait()
	})
}

// Reap closes the worker's standard input, which ends a worker, and reaps
// it once it exits by itself, or kills it first when ctx ends or timeout
// fires. Only the first call of Reap or Stop does anything.
func (p *Proc) Reap(ctx context.Context, timeout <-chan time.Time) {
	exited := make(chan struct{})
	go func() {
		p.once.Do(func() {
			_ = p.Stdin.Close()
			p.err = p.Cmd.Wait()
		})
		close(exited)
	}()
	select {
	case <-exited:
	case <-ctx.Done():
		_ = p.Cmd.Process.Kill()
		<-exited
	case <-timeout:
		_ = p.Cmd.Process.Kill()
		<-exited
	}
}

// Err is cmd.Wait's error, once Stop or Reap returned.
func (p *Proc) Err() error { return p.err }

// prestarted is the worker Prestart started, until Take or Discard.
var prestarted struct {
	mu sync.Mutex
	p  *Proc
}

// Prestart starts a worker of this program now, for the first Take. A
// failure is not reported: the pool starts its worker itself then, and
// reports what fails. A worker started before and not taken is stopped.
func Prestart() {
	exe, err := os.Executable()
	if err != nil {
		return
	}
	p, err := Start(exe, Env())
	if err != nil {
		return
	}
	prestarted.mu.Lock()
	old := prestarted.p
	prestarted.p = p
	prestarted.mu.Unlock()
	if old != nil {
		old.Stop()
	}
}

// Take hands over the prestarted worker when it runs exe with env, as
// Start(exe, env) would start it; it returns nil when there is none. A
// prestarted worker that differs (the environment changed since) is
// stopped, on a goroutine of its own.
func Take(exe string, env []string) *Proc {
	prestarted.mu.Lock()
	p := prestarted.p
	prestarted.p = nil
	prestarted.mu.Unlock()
	if p == nil {
		return nil
	}
	if p.Exe != exe || !slices.Equal(p.Env, env) {
		go p.Stop()
		return nil
	}
	return p
}

// Pending is the process ID of the prestarted worker, until Take or
// Discard; 0 when there is none.
func Pending() int {
	prestarted.mu.Lock()
	defer prestarted.mu.Unlock()
	if prestarted.p == nil {
		return 0
	}
	return prestarted.p.Cmd.Process.Pid
}

// Discard ends the prestarted worker, if no Take took it: it kills it
// and returns the worker so that the caller can reap it (Stop) where
// waiting costs least; nil when there is none.
func Discard() *Proc {
	prestarted.mu.Lock()
	p := prestarted.p
	prestarted.p = nil
	prestarted.mu.Unlock()
	if p != nil {
		_ = p.Cmd.Process.Kill()
	}
	return p
}

// Tail keeps the last bytes written to it.
type Tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *Tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

// Reset forgets what was written.
func (t *Tail) Reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = t.buf[:0]
}

func (t *Tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
