package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/kiln-gitops/kiln/internal/diag"
)

// Exit codes, chosen in one place (report) from error types.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
	exitGate    = 3
	// 128 + the signal's number, as shells report a process a signal ended.
	exitSIGINT  = 130
	exitSIGTERM = 143
)

// interruptError is a run stopped by SIGINT or SIGTERM: exit 130 or 143.
type interruptError struct{ sig os.Signal }

func (e *interruptError) Error() string {
	return "interrupted by " + signalName(e.sig)
}

func signalName(s os.Signal) string {
	if s == syscall.SIGTERM {
		return "SIGTERM"
	}
	return "SIGINT"
}

// usageError is a wrong command line: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// envError carries every error of one environment's render.
type envError struct {
	env string
	err error
}

func (e *envError) Error() string { return fmt.Sprintf("env %s: %v", e.env, e.err) }
func (e *envError) Unwrap() error { return e.err }

// gateError is a promotion gate not met yet: exit code 3.
type gateError struct{ err error }

func (e *gateError) Error() string { return e.err.Error() }
func (e *gateError) Unwrap() error { return e.err }

// cliMu serialises runs of urfave/cli apps within one process. cli v2
// mutates package-level flags (cli.HelpFlag) while parsing, so two apps
// running at once race (urfave/cli#1699). kiln runs one app per process;
// only tests run several, and they must all go through runApp.
var cliMu sync.Mutex

// runApp runs app with args under cliMu.
func runApp(ctx context.Context, app *cli.App, args []string) error {
	cliMu.Lock()
	defer cliMu.Unlock()
	return app.RunContext(ctx, args)
}

// env is how the app reads the process environment; tests pass their own.
type env func(string) (string, bool)

// newApp builds the command tree. It holds no global state: stdout gets
// data, stderr progress, warnings and errors.
func newApp(stdout, stderr io.Writer, lookup env, version string) *cli.App {
	onUsage := func(_ *cli.Context, err error, _ bool) error { return &usageError{msg: err.Error()} }
	app := &cli.App{
		Name:            "kiln",
		Usage:           "render deployment templates into hydrated manifests for Flux, and promote them",
		Version:         version,
		HideVersion:     true,
		Writer:          stdout,
		ErrWriter:       stderr,
		ExitErrHandler:  func(*cli.Context, error) {}, // report() in main decides exit codes
		OnUsageError:    onUsage,
		HideHelpCommand: true,
		Commands: []*cli.Command{
			renderCommand(stdout, stderr, lookup, version),
			validateCommand(stdout, stderr, lookup, version),
			graphCommand(stdout, stderr, lookup, version),
			diffCommand(stdout, stderr, lookup, version),
			promoteCommand(stdout, stderr, lookup, version),
			verifyCommand(stdout, stderr, lookup, version),
			versionCommand(stdout, version),
		},
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usagef("unknown command %q; run 'kiln --help' for the list", c.Args().First())
			}
			_ = cli.ShowAppHelp(c)
			return usagef("no command given")
		},
	}
	for _, cmd := range app.Commands {
		cmd.OnUsageError = onUsage
	}
	return app
}

func versionCommand(stdout io.Writer, version string) *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print kiln's version",
		Flags: []cli.Flag{outputFlag()},
		Action: func(c *cli.Context) error {
			if c.String("output") == "json" {
				return writeJSON(stdout, map[string]string{"version": version, "go": runtime.Version()})
			}
			_, err := fmt.Fprintf(stdout, "kiln %s (%s)\n", version, runtime.Version())
			return err
		},
	}
}

// report prints err to stderr the way SPEC §4 shows and returns the exit code.
func report(stderr io.Writer, err error) int {
	if err == nil {
		return exitOK
	}
	var ie *interruptError
	if errors.As(err, &ie) {
		fmt.Fprintf(stderr, "kiln: %s\n", ie.Error())
		if ie.sig == syscall.SIGTERM {
			return exitSIGTERM
		}
		return exitSIGINT
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "kiln: %s\n", ue.msg)
		return exitUsage
	}
	code := exitFailure
	var ge *gateError
	if errors.As(err, &ge) {
		code = exitGate
	}
	var te *troubleError
	if errors.As(err, &te) {
		code = exitUsage // diff(1)'s "trouble"
	}
	var s silent
	if errors.As(err, &s) {
		return code // already reported in the --output json document
	}
	for _, e := range diag.Flatten(err) {
		var ee *envError
		if errors.As(e, &ee) {
			errs := diag.Flatten(ee.err)
			noun := "errors"
			if len(errs) == 1 {
				noun = "error"
			}
			fmt.Fprintf(stderr, "kiln: %d %s in env %s\n", len(errs), noun, ee.env)
			for _, x := range errs {
				fmt.Fprintln(stderr, x.Error())
			}
			continue
		}
		fmt.Fprintf(stderr, "kiln: %s\n", e.Error())
	}
	return code
}
