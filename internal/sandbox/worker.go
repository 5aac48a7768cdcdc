package sandbox

import (
	"bytes"
	"context"
	"encoding/gob"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"

	"github.com/kiln-gitops/kiln/internal/limits"
	"github.com/kiln-gitops/kiln/internal/sandbox/spawn"
	"github.com/kiln-gitops/kiln/templates"
)

// envWorker set to workerMagic turns a process that calls Serve into a
// worker (package spawn starts it so).
const (
	envWorker   = spawn.EnvWorker
	workerMagic = spawn.WorkerMagic
)

// hello is the first thing a worker writes. A program that does not call
// Serve first (a test binary whose TestMain forgot it) writes something
// else or nothing, and the pool refuses it instead of waiting.
const hello = "kiln-sandbox-worker " + workerMagic + "\n"

// Factory builds, in a worker, the engine a pool names, from the
// configuration the pool sends (Pool.Engine's config).
type Factory func(config []byte) (templates.Engine, error)

// Serve turns this process into a sandbox worker when its parent started
// it as one: it serves render requests with engines (by name) until its
// standard input closes, then exits. Otherwise it returns at once. Call it
// first thing in main, and in TestMain of every test binary that renders
// through a Pool, before anything else runs.
func Serve(engines map[string]Factory) {
	if os.Getenv(envWorker) != workerMagic {
		return
	}
	os.Exit(serve(engines))
}

func serve(engines map[string]Factory) int {
	// The pool, not a terminal's Ctrl-C, decides when a worker ends: it
	// kills the worker when the render's context ends.
	signal.Ignore(os.Interrupt, syscall.SIGTERM)

	// Templates evaluate in UTC, whatever the machine's time zone, as
	// helm-controller does in a cluster: sprig's date, toDate and their
	// kin read time.Local, which no render request names and the render
	// cache does not observe, so a cache kept on a laptop that changed
	// zones, or shared by machines of two zones, served one zone's output
	// to the other, and CI and a laptop rendered one chart differently.
	time.Local = time.UTC

	// Frames go to the real standard output only; anything a library
	// prints goes to standard error.
	out := os.Stdout
	os.Stdout = os.Stderr
	if _, err := io.WriteString(out, hello); err != nil {
		return 3
	}

	// The pool's first message is the memory cap, which the worker
	// applies before it reads any request. It is a message and not part
	// of the worker's environment because kiln render starts its first
	// worker before it has parsed --memory-limit (package spawn).
	frame, err := readFrame(os.Stdin)
	if err != nil {
		return 0 // the pool is gone
	}
	limit, err := applyLimit(string(frame))
	if err != nil {
		_ = writeFrame(out, []byte(err.Error()))
		return 3
	}
	if err := writeFrame(out, nil); err != nil {
		return 0
	}

	// Standard input is read all the time, not only between renders: its
	// end means the pool is gone (closed, or kiln died), and the worker
	// must not evaluate on without it.
	requests := make(chan []byte)
	go func() {
		for {
			frame, err := readFrame(os.Stdin)
			if err != nil {
				os.Exit(0)
			}
			requests <- frame
		}
	}()
	w := &server{factories: engines, engines: map[string]templates.Engine{}, limit: limit}
	for frame := range requests {
		if err := writeResponse(out, w.handle(frame)); err != nil {
			return 0
		}
	}
	return 0
}

// applyLimit caps the worker's memory at limit bytes (decimal).
func applyLimit(limit string) (int64, error) {
	n, err := strconv.ParseInt(limit, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("invalid memory limit %q", limit)
	}
	if hardCap {
		near, err := checkCap(dataUsed(), raceCap(n), n)
		if err != nil {
			return 0, err
		}
		if near {
			fmt.Fprintln(os.Stderr, nearCap)
		}
	}
	if err := capMemory(n); err != nil {
		return 0, fmt.Errorf("setting the memory limit: %w", err)
	}
	// The garbage collector works harder as the heap nears the cap,
	// before the cap ends the worker.
	debug.SetMemoryLimit(n / 10 * 9)
	// Deep recursion ends as a stack overflow, reported as such, before
	// its stack alone could reach the cap.
	debug.SetMaxStack(int(min(n/4, 1<<30)))
	return n, nil
}

// server is a worker's state: one engine per name and configuration, kept
// for the worker's life, so the engine's caches (charts, jsonnet
// libraries) serve every render the worker does.
type server struct {
	factories map[string]Factory
	engines   map[string]templates.Engine
	limit     int64
}

// checkCap judges a cap of c bytes (the user's limit n, as the build
// applies it) for a worker that already uses used bytes. The cap binds
// only what the worker maps from then on: below what it uses, its next
// allocation fails, often inside the garbage collector, which then faults
// without a word of memory, so the worker refuses the cap and says why.
// Near it, a death before a render's watchMemory first ticks is memory
// too: near says to write nearCap at once.
func checkCap(used, c, n int64) (near bool, err error) {
	switch {
	case used >= c:
		return false, fmt.Errorf("the memory limit of %s is below the %s a worker uses before it renders anything; raise --memory-limit (KILN_MEMORY_LIMIT)", limits.Bytes(n), limits.Bytes(used))
	case used >= c/4*3:
		return true, nil
	}
	return false, nil
}

// nearCap is what a worker writes on its standard error when its memory
// passes three quarters of the cap, so that the pool can tell why it died
// even when the Go runtime, out of memory, could not say so.
const nearCap = "kiln sandbox worker: memory near the cap"

// watchMemory writes nearCap once when the worker's memory passes three
// quarters of its cap during a render, until stop is called.
func watchMemory(limit int64) (stop func()) {
	if !hardCap {
		return func() {}
	}
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if dataUsed() >= raceCap(limit)/4*3 {
					fmt.Fprintln(os.Stderr, nearCap)
					return
				}
			}
		}
	}()
	return func() {
		close(done)
		<-stopped
	}
}

func (s *server) handle(frame []byte) *wireResponse {
	fail := func(format string, args ...any) *wireResponse {
		return &wireResponse{Errors: []wireError{{Msg: "sandbox: " + fmt.Sprintf(format, args...)}}}
	}
	var wr wireRequest
	if err := gob.NewDecoder(bytes.NewReader(frame)).Decode(&wr); err != nil {
		return fail("decoding the request: %v", err)
	}
	req, err := wr.decode()
	if err != nil {
		return fail("decoding the request: %v", err)
	}
	key := wr.Engine + "\x00" + string(wr.Config)
	eng, ok := s.engines[key]
	if !ok {
		f, ok := s.factories[wr.Engine]
		if !ok {
			return fail("this program serves no engine %q", wr.Engine)
		}
		if eng, err = f(wr.Config); err != nil {
			return fail("building the %s engine: %v", wr.Engine, err)
		}
		s.engines[key] = eng
	}
	stop := watchMemory(s.limit)
	res, rerr := eng.Render(context.Background(), req)
	stop()
	resp, err := encodeResponse(res, rerr)
	if err != nil {
		return fail("encoding the result: %v", err)
	}
	return resp
}
