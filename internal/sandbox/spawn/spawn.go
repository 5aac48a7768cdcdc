package spawn

import (
	"context"
	"errors"
	"io"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/kiln-gitops/kiln/internal/sandbox/program"
)

// The variable that turns a process into a sandbox worker, and its value.
const (
	EnvWorker   = "KILN_SANDBOX_WORKER"
	WorkerMagic = "v1"
)

// forwardEnv are the variables a worker gets from kiln's environment:
// those the engines' HTTP clients and Go's runtime read. No token, no
// secret var: a template that escaped its engine finds none of them.
// DOCKER_CONFIG is a folder, which helm's registry client reads
// registry credentials from as `docker login` wrote them there (CI jobs
// set it to keep them out of HOME); without it the worker looked in
// ~/.docker and a private registry refused the pull.
var forwardEnv = []string{
	"PATH", "HOME", "TMPDIR", "DOCKER_CONFIG",
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
//
// It is started with os.StartProcess, not os/exec: os/exec imports
// path/filepath, which Go initializes late in kiln (after some 140
// packages: among packages whose imports are ready it takes them in
// import-path order, and "path/..." comes after "github.com/...",
// "google.golang.org/..." and "k8s.io/..."), and package prestart, which
// starts the first worker from its init, could not run before it.
type Proc struct {
	// Process is the worker; State is its exit status once Stop or Reap
	// returned.
	Process *os.Process
	State   *os.ProcessState
	Stdin   io.WriteCloser
	Stdout  io.ReadCloser
	// Stderr keeps the last 64 KiB the worker wrote on its standard
	// error, which says why it died.
	Stderr *Tail
	// Exe and Env are the program and environment it was started with.
	Exe string
	Env []string

	stderrDone chan struct{} // closed when the copy of its stderr ends
	stderr     *os.File      // the read end of that pipe

	once sync.Once
	err  error
}

// Start starts exe (a path) as a worker with environment env (Env's). Its
// standard input, output and error are pipes to this process, it gets
// SIGKILL when this process dies (on Linux), and nothing else of this
// process is passed on.
func Start(exe string, env []string) (*Proc, error) {
	var parent, child []*os.File // parent's ends, child's ends: stdin, stdout, stderr
	fail := func(err error) (*Proc, error) {
		for _, f := range append(parent, child...) {
			_ = f.Close()
		}
		return nil, err
	}
	for i := range 3 {
		r, w, err := os.Pipe()
		if err != nil {
			return fail(err)
		}
		if i == 0 { // the child reads its stdin
			parent, child = append(parent, w), append(child, r)
		} else {
			parent, child = append(parent, r), append(child, w)
		}
	}
	// -test.run=^$ makes a test binary whose TestMain forgot Serve run no
	// test and exit, so that the handshake fails at once instead of after
	// the whole suite ran again; Serve never reads its arguments.
	proc, err := os.StartProcess(exe, []string{"kiln-sandbox-worker", "-test.run=^$"}, &os.ProcAttr{
		Env: env, Files: child, Sys: sysProcAttr(),
	})
	if err != nil {
		return fail(err) // "fork/exec <exe>: ...", as os/exec said it
	}
	for _, f := range child {
		_ = f.Close()
	}
	p := &Proc{Process: proc, Stdin: parent[0], Stdout: parent[1], Stderr: &Tail{max: 64 << 10}, Exe: exe, Env: env,
		stderrDone: make(chan struct{}), stderr: parent[2]}
	go func() {
		defer close(p.stderrDone)
		_, _ = io.Copy(p.Stderr, p.stderr)
	}()
	return p, nil
}

// waitDelay bounds how long wait waits, once the worker exited, for the
// copy of its standard error to end: a process it started could hold the
// pipe open.
const waitDelay = time.Second

// wait reaps the worker, lets the copy of its standard error end, closes
// this side's pipes and sets State and err (as os/exec's Wait reported
// it: nil for exit status 0, the exit status otherwise).
func (p *Proc) wait() {
	state, err := p.Process.Wait()
	p.State = state
	timer := time.NewTimer(waitDelay)
	select {
	case <-p.stderrDone:
	case <-timer.C:
		_ = p.stderr.Close()
		<-p.stderrDone
		if err == nil && state.Success() {
			err = errWaitDelay
		}
	}
	timer.Stop()
	_ = p.stderr.Close()
	_ = p.Stdin.Close()
	_ = p.Stdout.Close()
	switch {
	case err != nil:
		p.err = err
	case !state.Success():
		p.err = &ExitError{ProcessState: state}
	}
}

// errWaitDelay says the worker exited but its standard error stayed open
// past waitDelay.
var errWaitDelay = errors.New("exec: WaitDelay expired before I/O complete")

// ExitError is a worker's exit status other than 0.
type ExitError struct{ *os.ProcessState }

// Error is the exit status: "exit status 2", "signal: killed".
func (e *ExitError) Error() string { return e.ProcessState.String() }

// Stop kills the worker, if it still runs, and reaps it; Err is then its
// exit status. Only the first call does anything.
func (p *Proc) Stop() {
	p.once.Do(func() {
		_ = p.Stdin.Close()
		_ = p.Process.Kill()
		p.wait()
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
			p.wait()
		})
		close(exited)
	}()
	select {
	case <-exited:
	case <-ctx.Done():
		_ = p.Process.Kill()
		<-exited
	case <-timeout:
		_ = p.Process.Kill()
		<-exited
	}
}

// Err is the worker's exit status as an error (nil for 0), once Stop or
// Reap returned.
func (p *Proc) Err() error { return p.err }

// ExitCode is the worker's exit code once Stop or Reap returned: -1 if a
// signal ended it.
func (p *Proc) ExitCode() int {
	if p.State == nil {
		return -1
	}
	return p.State.ExitCode()
}

// prestarted is the worker Prestart started, until Take or Discard.
var prestarted struct {
	mu sync.Mutex
	p  *Proc
}

// Prestart starts a worker of this program now, for the first Take. A
// failure is not reported: the pool starts its worker itself then, and
// reports what fails. A worker started before and not taken is stopped.
func Prestart() {
	exe, err := program.Path()
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
	return prestarted.p.Process.Pid
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
		_ = p.Process.Kill()
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
