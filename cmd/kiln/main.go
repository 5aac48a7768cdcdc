// Command kiln renders deployment templates into hydrated Kubernetes
// manifests for Flux and promotes them between environments. The command
// line only parses flags and calls packages render and promote.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/kiln-gitops/kiln/cmd/kiln/internal/prestart"
	"github.com/kiln-gitops/kiln/internal/initgc"
	"github.com/kiln-gitops/kiln/promote"
	"github.com/kiln-gitops/kiln/render"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// init turns the collector back on: every package kiln links is
// initialized by now (see package initgc), in kiln and in its tests. It
// also turns off heap profiling, which kiln never reports.
func init() {
	initgc.Done()
	runtime.MemProfileRate = memProfileRate(os.Getenv("GODEBUG"), runtime.MemProfileRate)
}

// memProfileRate is the heap profiling rate kiln runs with: none, unless
// GODEBUG sets memprofilerate (then rate, which the runtime set from it).
// With the runtime's default rate every process samples an allocation
// per 512 KiB and keeps a record per sampled call stack: about 2 MiB of a
// 1000-app render's peak, in kiln and again in every sandbox worker
// (docs/speed.md).
func memProfileRate(godebug string, rate int) int {
	for kv := range strings.SplitSeq(godebug, ",") {
		if k, _, _ := strings.Cut(kv, "="); strings.TrimSpace(k) == "memprofilerate" {
			return rate
		}
	}
	return 0
}

func main() {
	// A sandbox worker (a child that evaluates Helm or Jsonnet templates
	// for render) serves and exits here, before anything else starts.
	render.Serve()
	// This is kiln's own process: let its heap grow to a floor before
	// the collector paces it (see package initgc).
	initgc.KeepFloor()
	os.Exit(run())
}

// moduleVersion is v, or, for a binary built without -ldflags (v "dev")
// by `go install github.com/kiln-gitops/kiln/cmd/kiln@v1.2.3`, the module
// version the go command recorded in it.
func moduleVersion(v string, info func() (*debug.BuildInfo, bool)) string {
	if v != "dev" {
		return v
	}
	if bi, ok := info(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return v
}

// run is main without the exit, so script tests can call it in process.
func run() int {
	// A worker that package prestart started and no render took (kiln
	// render failed before it rendered, or had nothing to render) ends
	// with kiln, reaped.
	defer prestart.Discard()
	dropEmptyKilnEnv()
	ctx, stop := interruptible(context.Background())
	defer stop()
	stdout, stderr := os.Stdout, os.Stderr
	muteLibraries()
	app := newApp(stdout, stderr, os.LookupEnv, moduleVersion(version, debug.ReadBuildInfo))
	return runAndReport(ctx, app, os.Args)
}

// muteLibraries points os.Stdout and os.Stderr at the null device once kiln
// holds the real ones for its own writers. Libraries that print to them
// directly (kustomize writes its deprecation notices for commonLabels,
// bases, vars and patchesStrategicMerge with fmt.Fprintf(os.Stderr, …),
// once per build) would write past every redactor, past the GitHub Actions
// guard that stops the runner's workflow commands (a line before kiln's
// first would be read with commands on), and into --output json's
// neighbour stream, naming no app or file. What kiln reports goes through
// its writers; the runtime's own messages (a fatal error) go to file
// descriptor 2 and stay.
func muteLibraries() {
	if null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0); err == nil {
		os.Stdout, os.Stderr = null, null
	}
}

// runAndReport runs app with args, reports its error and returns the exit
// code. A panic of the command (a kiln bug) is reported the same way,
// with its stack, and exits 1: left to the runtime, its message would
// pass every redactor, and in GitHub Actions the runner would read no
// workflow command of the step after kiln (no ::add-mask:: either), as
// the resume kiln sends at exit would never be sent.
func runAndReport(ctx context.Context, app *cli.App, args []string) (code int) {
	s := sinksOf(app)
	defer s.done()
	defer func() {
		if p := recover(); p != nil {
			code = report(s.stderr, &panicError{value: p, stack: debug.Stack()})
		}
	}()
	return report(s.stderr, interrupted(ctx, runApp(ctx, app, args))) // errors are masked like every other line
}

// panicError is a panic of a command, recovered by runAndReport.
type panicError struct {
	value any
	stack []byte
}

// ShowWhole: the stack is what the report needs (diag.Whole).
func (e *panicError) ShowWhole() {}

func (e *panicError) Error() string {
	return fmt.Sprintf("internal error: %v\n  hint: this is a kiln bug; please report it with this stack:\n%s",
		e.value, strings.TrimRight(string(e.stack), "\n"))
}

// interruptible returns a context cancelled by the first SIGINT or SIGTERM,
// with an *interruptError as its cause. The first signal lets kiln stop
// cleanly (earlier trees kept, temporary folders removed); after it the
// default handling is back, so a second signal ends the process at once.
// Only a process entry point may call it: the signals stay caught until
// the process exits.
func interruptible(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			signal.Stop(sigs)
			cancel(&interruptError{sig: s})
		case <-done:
		}
	}()
	// stop keeps the signals routed to sigs: run returns straight into
	// os.Exit, and a signal in between would otherwise get the default
	// action and kill a kiln that already finished, with no line and no
	// exit code of its own (TestInterrupt hit that window).
	return ctx, func() {
		close(done)
		cancel(nil)
	}
}

// interrupted replaces whatever a cancelled run returned (context
// canceled, a killed git, half a list of errors) by the signal that
// cancelled it, so the user reads one line and the exit code says which.
func interrupted(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if ie, ok := context.Cause(ctx).(*interruptError); ok {
		// kiln lets a push it started run through an interrupt, but a
		// terminal's Ctrl-C reaches the git child too and stops it: the
		// branch may have moved all the same, which "interrupted" alone
		// would hide (in push mode, Flux applies it and no next stage is
		// started).
		if promote.PushUnconfirmed(err) {
			return &interruptError{sig: ie.sig, push: err}
		}
		return ie
	}
	return err
}

// dropEmptyKilnEnv unsets every KILN_ variable that is set but empty, so
// that it means what an unset one does: the flag's default. A workflow's
// env: block (KILN_OUT: ${{ inputs.out }}) sets the variable to "" when
// the input is not given, and urfave/cli takes a set variable as the
// flag's value: KILN_OUT= made render fail on "mkdir : no such file",
// KILN_APP= looked for an app named "".
func dropEmptyKilnEnv() {
	for _, kv := range os.Environ() {
		if name, val, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "KILN_") && val == "" {
			os.Unsetenv(name)
		}
	}
}
