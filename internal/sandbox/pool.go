package sandbox

import (
	"bufio"
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/limits"
	"github.com/kiln-gitops/kiln/internal/sandbox/program"
	"github.com/kiln-gitops/kiln/internal/sandbox/spawn"
	"github.com/kiln-gitops/kiln/templates"
)

// DefaultMemoryLimit is a worker's memory cap when Options.MemoryLimit is
// 0: ten times what the largest public charts we know need to render, and
// small enough that a few workers fit a CI runner.
const DefaultMemoryLimit = 4 << 30

// Options configure a Pool.
type Options struct {
	// Workers bounds how many workers run at once, and so how many renders
	// run at once; 0 means GOMAXPROCS.
	Workers int
	// MemoryLimit caps each worker's memory, in bytes; 0 means
	// DefaultMemoryLimit.
	MemoryLimit int64
	// Executable is the program a worker runs: one whose main (or TestMain)
	// calls Serve first, named by its path (it is not looked up in PATH).
	// "" means the program package program names: this one, unless a
	// test binary set it.
	Executable string
}

// Pool runs renders in worker processes. It is safe for concurrent use.
// Close it when done; a Pool not closed ends its idle workers when it is
// garbage collected.
type Pool struct {
	opts Options
	sem  chan struct{}
	*idle
}

// idle are a pool's workers waiting for a render; apart from Pool so that
// a cleanup can end them once the Pool is unreachable.
type idle struct {
	mu      sync.Mutex
	workers []*worker
	closed  bool
	// ending are the workers Release ended and close waits for.
	ending sync.WaitGroup
	// prestarted says that the pool runs this program's workers, so it
	// may take the worker spawn.Prestart started, and ends it when it
	// has not (Release, Close).
	prestarted bool
}

func (s *idle) close() {
	s.mu.Lock()
	workers := s.workers
	s.workers, s.closed = nil, true
	s.mu.Unlock()
	if s.prestarted {
		if p := spawn.Discard(); p != nil {
			p.Stop()
		}
	}
	for _, w := range workers {
		w.stop()
	}
	s.ending.Wait()
}

// New returns a Pool; it starts workers when renders need them.
func New(opts Options) *Pool {
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.MemoryLimit <= 0 {
		opts.MemoryLimit = DefaultMemoryLimit
	}
	p := &Pool{opts: opts, sem: make(chan struct{}, opts.Workers), idle: &idle{prestarted: opts.Executable == ""}}
	runtime.AddCleanup(p, (*idle).close, p.idle)
	return p
}

// Close ends the idle workers; a worker still rendering ends when its
// render does. Renders after Close fail.
func (p *Pool) Close() error {
	p.close()
	return nil
}

// Release ends the idle workers without waiting for them to exit; the
// pool stays open and starts new workers for later renders. A caller that
// knows no render follows soon (kiln render, once its last templates are
// evaluated) calls it so that the workers' exit, which takes the kernel
// milliseconds for a process of this size, overlaps the caller's own work
// instead of Close's wait. Close still returns only once every worker
// Release ended has been reaped.
func (p *Pool) Release() {
	p.mu.Lock()
	workers := p.workers
	p.workers = nil
	p.ending.Add(len(workers))
	p.mu.Unlock()
	for _, w := range workers {
		go func() {
			defer p.ending.Done()
			w.stop()
		}()
	}
	p.DiscardPrestarted()
}

// DiscardPrestarted ends the worker spawn.Prestart started for this
// program, unless a render took it, without waiting for it to exit (Close
// waits). A caller that knows its first renders are done, or were not
// needed (the render cache served them), calls it so that a worker
// started in vain stops using CPU at once. Later renders start workers
// as usual.
func (p *Pool) DiscardPrestarted() {
	if !p.prestarted {
		return
	}
	w := spawn.Discard()
	if w == nil {
		return
	}
	p.ending.Add(1)
	go func() {
		defer p.ending.Done()
		w.Stop()
	}()
}

// Idle is how many workers wait for a render.
func (p *Pool) Idle() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.workers)
}

// Engine returns an Engine that renders in the pool's workers with the
// engine Serve's factories know as name, built from config.
func (p *Pool) Engine(name string, config []byte) templates.Engine {
	return &engine{pool: p, name: name, config: config}
}

type engine struct {
	pool   *Pool
	name   string
	config []byte
}

var _ WireEngine = (*engine)(nil)

// WireEngine is an Engine whose results arrive encoded, exactly as
// MarshalResult encodes them: the worker's answer is that encoding.
type WireEngine interface {
	templates.Engine
	// RenderWire is Render that also returns the result's encoding, the
	// bytes it was just decoded from, so that a caller keeping results
	// encoded (render's cache) does not encode each one again.
	// UnmarshalResult of those bytes gives the same result.
	RenderWire(ctx context.Context, req *templates.Request) (*templates.Result, []byte, error)
}

// Render sends req to a worker and waits for its result. When ctx ends
// first, the worker is killed and Render returns at once; when the worker
// dies (its memory cap, a Go stack overflow, a crash), Render returns a
// *diag.Error naming the app and file, and the next render gets a new
// worker.
func (e *engine) Render(ctx context.Context, req *templates.Request) (*templates.Result, error) {
	res, _, err := e.RenderWire(ctx, req)
	return res, err
}

// RenderWire implements WireEngine.
func (e *engine) RenderWire(ctx context.Context, req *templates.Request) (*templates.Result, []byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	p := e.pool
	wr, err := encodeRequest(e.name, e.config, req)
	if err != nil {
		return nil, nil, &diag.Error{App: req.App, File: req.Path, Msg: "cannot pass the request to the sandbox: " + err.Error(), Err: err,
			Hint: "this is a bug in kiln; please report it"}
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(wr); err != nil {
		return nil, nil, fmt.Errorf("sandbox: encoding the request: %w", err)
	}

	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, nil, stopped(ctx, req)
	}
	defer func() { <-p.sem }()

	w, err := p.get(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, stopped(ctx, req)
		}
		var sd *startDied
		if errors.As(err, &sd) {
			return nil, nil, sd.w.died(req, p.opts.MemoryLimit, err)
		}
		return nil, nil, &diag.Error{App: req.App, File: req.Path, Msg: "cannot start the sandbox worker: " + err.Error(), Err: err}
	}

	type reply struct {
		frame []byte
		err   error
	}
	done := make(chan reply, 1)
	w.Stderr.Reset() // what the worker said during earlier renders explains nothing now
	go func() {
		if err := writeFrame(w.Stdin, buf.Bytes()); err != nil {
			done <- reply{err: err}
			return
		}
		frame, err := readFrame(w.stdout)
		done <- reply{frame, err}
	}()
	var r reply
	select {
	case r = <-done:
	case <-ctx.Done():
		w.stop()
		<-done
		return nil, nil, stopped(ctx, req)
	}
	if r.err != nil {
		// The worker died, or wrote something that is no frame: either
		// way it is done for.
		w.stop()
		if ctx.Err() != nil {
			return nil, nil, stopped(ctx, req)
		}
		return nil, nil, w.died(req, p.opts.MemoryLimit, r.err)
	}
	p.put(w)
	var resp wireResponse
	if err := resp.UnmarshalBinary(r.frame); err != nil {
		return nil, nil, &diag.Error{App: req.App, File: req.Path, Msg: "the sandbox worker's answer cannot be read: " + err.Error(), Err: err,
			Hint: "this is a bug in kiln; please report it"}
	}
	res, err := resp.decode()
	if err != nil {
		var de *diag.Error
		if len(resp.Errors) == 0 && !errors.As(err, &de) {
			err = &diag.Error{App: req.App, File: req.Path, Msg: "the sandbox worker's answer cannot be read: " + err.Error(), Err: err,
				Hint: "this is a bug in kiln; please report it"}
		}
		return nil, nil, err
	}
	return res, r.frame, nil
}

// stopped is the error of a render whose context ended: it unwraps to the
// context's error, so that callers can tell a timeout from a signal.
func stopped(ctx context.Context, req *templates.Request) error {
	return &diag.Error{App: req.App, File: req.Path, Msg: "rendering stopped: " + ctx.Err().Error(), Err: ctx.Err(),
		Hint: "an endless or very long template; raise --timeout if it is just slow"}
}

func (p *Pool) get(ctx context.Context) (*worker, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errors.New("the pool is closed")
	}
	if n := len(p.workers); n > 0 {
		w := p.workers[n-1]
		p.workers = p.workers[:n-1]
		p.mu.Unlock()
		return w, nil
	}
	p.mu.Unlock()
	return start(ctx, p.opts)
}

func (p *Pool) put(w *worker) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		go w.stop()
		return
	}
	p.workers = append(p.workers, w)
}

// worker is one running worker process.
type worker struct {
	*spawn.Proc
	stdout *bufio.Reader
}

// startTimeout bounds how long a new worker may take to say hello: a
// program that answers nothing (it does not call Serve) is not waited for
// forever.
const startTimeout = 2 * time.Minute

// start returns a worker ready for requests: the one spawn.Prestart
// started for this program, if it is still as the pool would start it, or
// else a new one. Either way it has said hello and applied the pool's
// memory limit before start returns.
func start(ctx context.Context, opts Options) (*worker, error) {
	if os.Getenv(spawn.EnvWorker) != "" {
		// A worker that renders through a Pool of its own would start
		// workers without end.
		return nil, errors.New("this process is itself a sandbox worker: the program does not call sandbox.Serve first thing in main (or TestMain)")
	}
	exe, env := opts.Executable, spawn.Env()
	var proc *spawn.Proc
	if exe == "" {
		var err error
		if exe, err = program.Path(); err != nil {
			return nil, err
		}
		proc = spawn.Take(exe, env)
	}
	if proc == nil {
		var err error
		if proc, err = spawn.Start(exe, env); err != nil {
			return nil, err
		}
		startedHook()
	}
	w := &worker{Proc: proc, stdout: bufio.NewReaderSize(proc.Stdout, 64<<10)}

	type answer struct {
		err   error
		ended bool // the worker closed its stdout without a word: it is ending
	}
	got := make(chan answer, 1)
	go func() {
		buf := make([]byte, len(hello))
		n, err := io.ReadFull(w.stdout, buf)
		switch {
		case string(buf) == hello:
			helloHook(w)
			// A worker killed between its hello and the limit's answer
			// (the OOM killer, a test) breaks the pipe: it is ending, and
			// its exit status says how.
			gone, err := w.limit(opts.MemoryLimit)
			got <- answer{err: err, ended: gone}
		case n > 0:
			got <- answer{err: fmt.Errorf("%s is not a sandbox worker: it answered %q; it must call sandbox.Serve first thing in main (or TestMain)", exe, buf[:n])}
		default:
			got <- answer{err: fmt.Errorf("%s is not a sandbox worker: it answered nothing (%v); it must call sandbox.Serve first thing in main (or TestMain)", exe, err), ended: true}
		}
	}()
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	var err error
	ended := false
	select {
	case a := <-got:
		err, ended = a.err, a.ended
	case <-ctx.Done():
		err = ctx.Err()
	case <-timer.C:
		err = fmt.Errorf("%s did not answer within %s as a sandbox worker", exe, startTimeout)
	}
	if err != nil {
		if ended {
			// Let it end by itself, so that its exit status says how.
			w.Reap(ctx, timer.C)
		}
		w.Stop()
		if ended && w.ExitCode() == -1 {
			// Killed while starting (by the kernel's OOM killer, say):
			// a crash, not a program that is no worker.
			return nil, &startDied{w: w, err: err}
		}
		return nil, err
	}
	return w, nil
}

// startedHook is called each time start starts a worker itself, not
// taking a prestarted one; tests count them.
var startedHook = func() {}

// helloHook is called when a worker said hello, before it is sent its
// limit; a test kills the worker there.
var helloHook = func(*worker) {}

// limit sends the worker its memory cap, the first message after its
// hello, and waits for its answer: an empty frame once the cap is
// applied, or what failed. The worker reads no request before. gone says
// the pipes failed: the worker is ending.
func (w *worker) limit(bytes int64) (gone bool, err error) {
	if err := writeFrame(w.Stdin, []byte(strconv.FormatInt(bytes, 10))); err != nil {
		return true, fmt.Errorf("sending the sandbox worker its memory limit: %w", err)
	}
	ack, err := readFrame(w.stdout)
	if err != nil {
		return true, fmt.Errorf("the sandbox worker did not take its memory limit: %w", err)
	}
	if len(ack) > 0 {
		return false, errors.New("kiln sandbox worker: " + string(ack))
	}
	return false, nil
}

// startDied is a worker killed by a signal before it took its limit.
type startDied struct {
	w   *worker
	err error
}

func (e *startDied) Error() string {
	return "the sandbox worker died while starting: " + exitText(e.w.Err())
}
func (e *startDied) Unwrap() error { return e.err }

// stop kills the worker, if it still runs, and reaps it.
func (w *worker) stop() { w.Stop() }

// died explains why a worker ended during req, from its exit status and
// what the Go runtime wrote on its standard error. It never repeats that
// text: a panic or a stack trace may quote template data, secrets included.
func (w *worker) died(req *templates.Request, limit int64, readErr error) error {
	w.stop()
	stderr := w.Stderr.String()
	e := &diag.Error{App: req.App, File: req.Path, Err: &CrashError{Exit: exitText(w.Err()), Cause: readErr}}
	switch {
	case strings.Contains(stderr, "stack exceeds") || strings.Contains(stderr, "fatal error: stack overflow"):
		e.Msg = "rendering overflowed the Go stack"
		e.Hint = "a template recursing without end, or once for each element of a long list (jsonnet's std.setUnion, std.setInter and std.setDiff do, and overflow at about 100,000 elements), fails like this; bound the recursion"
		e.Err.(*CrashError).Reason = ReasonStack
	case outOfMemory(stderr):
		e.Msg = "rendering exceeded kiln's memory limit of " + limits.Bytes(limit)
		e.Hint = "a template that allocates without end (a huge std.makeArray, a string doubled in a loop, a `range until` over a large number, a value that tpl or include expands into itself), or a kustomize replacement copying a large value into many fields, fails like this; if the app is just large, raise --memory-limit (KILN_MEMORY_LIMIT)"
		e.Err.(*CrashError).Reason = ReasonMemory
	default:
		e.Msg = "the template engine crashed (" + exitText(w.Err()) + ")"
		e.Hint = "a memory limit below --memory-limit (a container's) kills it like this; otherwise this is a bug in kiln or its engine: please report it with the app's templates"
		e.Err.(*CrashError).Reason = ReasonCrash
	}
	return e
}

// outOfMemory says whether a worker ended for want of memory, from what
// it wrote on its standard error. At the cap the Go runtime does not
// always get to say so: an allocation can fail where the runtime does not
// expect it, so the worker also writes nearCap as its memory nears the
// cap. That watch is a goroutine ticking each millisecond, which a machine
// whose cores are all busy may not run before the end (one test run in
// five with every core busy), and then what the runtime wrote is all
// there is. Under a data cap two ends are the cap's: a fault in the
// runtime's own code, which the runtime reports as a bare "SIGSEGV:
// segmentation violation" rather than a panic (Go 1.26's garbage collector
// faults so when its span queue cannot grow), and a thread that cannot be
// made (thread stacks are data too). A template's own crash is a panic,
// with "panic:", and a worker killed by a signal writes nothing.
func outOfMemory(stderr string) bool {
	for _, s := range []string{nearCap, "fatal error: out of memory", "fatal error: runtime: out of memory", "runtime: out of memory", "ThreadSanitizer failed to allocate", "cannot allocate memory",
		"pthread_create failed", "failed to create new OS thread"} {
		if strings.Contains(stderr, s) {
			return true
		}
	}
	return strings.Contains(stderr, "SIGSEGV: segmentation violation") && !strings.Contains(stderr, "panic:")
}

func exitText(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// Why a worker died.
const (
	ReasonMemory = "memory"
	ReasonStack  = "stack"
	ReasonCrash  = "crash"
)

// CrashError is the cause of the error a render returns when its worker
// died: Reason is ReasonMemory, ReasonStack or ReasonCrash.
type CrashError struct {
	Reason string
	// Exit is the worker's exit status ("exit status 2", "signal: killed").
	Exit string
	// Cause is what reading the worker's answer failed with.
	Cause error
}

func (e *CrashError) Error() string { return "sandbox worker died (" + e.Reason + "): " + e.Exit }
func (e *CrashError) Unwrap() error { return e.Cause }
