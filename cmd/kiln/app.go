package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/kiln-gitops/kiln/internal/caret"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/ghactions"
	"github.com/kiln-gitops/kiln/internal/redact"
	"github.com/kiln-gitops/kiln/internal/words"
	"github.com/kiln-gitops/kiln/render"
)

// Exit codes (SPEC §4), chosen in one place (exitCode) from error types.
// Commands that follow diff(1) (diff --exit-code, verify) use 1 for "there
// are differences" and 2 for trouble of any kind.
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
type interruptError struct {
	sig os.Signal
	// push is the error of a git push the signal stopped before git heard
	// back (promote.PushUnconfirmed), nil for none: the branch may have
	// moved, which the user must be told.
	push error
}

func (e *interruptError) Error() string {
	if e.push != nil {
		return "interrupted by " + signalName(e.sig) + ", which stopped git's push as well (a terminal's Ctrl-C, like any signal to kiln's process group, reaches git too): " + diag.Text(e.push)
	}
	return "interrupted by " + signalName(e.sig)
}

func signalName(s os.Signal) string {
	if s == syscall.SIGTERM {
		return "SIGTERM"
	}
	return "SIGINT"
}

// usageError is a wrong command line: exit code 2. Err, when set, is the
// cause (an unknown env, a malformed image reference) and is what report
// prints.
type usageError struct {
	msg string
	err error
}

func (e *usageError) Error() string {
	if e.err != nil {
		return e.err.Error()
	}
	return e.msg
}
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// troubleError is a command that follows diff(1) and could not do its
// job, as opposed to one that found differences: exit code 2. annotated
// says the command annotated err itself, usage mistakes included.
type troubleError struct {
	err       error
	annotated bool
}

func (e *troubleError) Error() string { return e.err.Error() }
func (e *troubleError) Unwrap() error { return e.err }

// cliExitType is the type of urfave/cli's own exit errors (cli.Exit).
var cliExitType = reflect.TypeOf(cli.Exit("", 0))

// cliExit reports whether err holds an exit error of urfave/cli's own
// ("kiln help nosuch": a usage mistake). Other errors with an ExitCode
// method are not kiln's exit codes: git's and a worker's *exec.ExitError
// (any failed git command of promote wraps one) and the sandbox's
// spawn.ExitError are failures like any other.
func cliExit(err error) bool {
	if err == nil {
		return false
	}
	if reflect.TypeOf(err) == cliExitType {
		return true
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return cliExit(u.Unwrap())
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			if cliExit(e) {
				return true
			}
		}
	}
	return false
}

// errDifferences is diff --exit-code finding differences: exit code 1,
// nothing printed (the diff itself is the report).
var errDifferences = silent{errors.New("there are differences")}

// exitCode maps an error to the process exit code; the one place that does.
func exitCode(err error) int {
	var (
		ie *interruptError
		ue *usageError
		te *troubleError
		ge *gateError
	)
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ie):
		if ie.sig == syscall.SIGTERM {
			return exitSIGTERM
		}
		return exitSIGINT
	case errors.As(err, &ue), errors.As(err, &te), cliExit(err), errors.Is(err, render.ErrOutOverlapsSource), errors.Is(err, render.ErrOutInGitDir), errors.Is(err, render.ErrOutInKilnTree):
		return exitUsage
	case errors.As(err, &ge):
		return exitGate
	}
	return exitFailure
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

// runApp runs app with args under cliMu, then writes the step outputs
// and what its redacting writers held back.
func runApp(ctx context.Context, app *cli.App, args []string) (err error) {
	cliMu.Lock()
	defer cliMu.Unlock()
	// onUsageError needs the command line as typed: a flag that does not
	// parse stops the parsing before a later --output json is seen.
	app.Metadata[argsKey] = args
	s := sinksOf(app)
	defer s.flush()
	// Deferred, so that every way out of the command writes them, a
	// panic's included; after the command's document and report, so
	// printed here, and never lost in a silent error.
	defer func() {
		if oerr := outputsOf(app).write(s); oerr != nil {
			fmt.Fprintf(s.stderr, "kiln: %s\n", oerr)
			if err == nil {
				err = silent{oerr}
			}
		}
	}()
	defer backgroundOf(app).stop()
	return app.RunContext(ctx, args)
}

// background is work a command starts beside its own and may return
// without waiting for: git reading the checkout's provenance while the
// apps render, when the command fails before it needs the answer. runApp
// ends it and waits before returning, so that nothing kiln started
// outlives the command (a git still running in the user's checkout, or in
// a test's temporary folder as it is removed).
type background struct {
	mu    sync.Mutex
	stops []func()
}

const backgroundKey = "kiln.background"

const argsKey = "kiln.args"

// backgroundOf returns the background work newApp made room for in app.
func backgroundOf(app *cli.App) *background {
	return app.Metadata[backgroundKey].(*background)
}

// add registers stop, which must end its work and return once it has.
func (b *background) add(stop func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stops = append(b.stops, stop)
}

// stop ends every registered piece of work, the last started first.
func (b *background) stop() {
	b.mu.Lock()
	stops := b.stops
	b.stops = nil
	b.mu.Unlock()
	for i := len(stops) - 1; i >= 0; i-- {
		stops[i]()
	}
}

// sinks are where the app's text goes. Every byte written to stdout and
// stderr passes through one redactor that learns each env's secrets as
// they are read (render.Options.OnSecrets), so no command, present or
// future, can print a secret value in any form: it has no other writer.
// Only ::add-mask:: lines go to the raw stderr, through the GitHub Actions
// Runner, which masks all its other output with the same set.
type sinks struct {
	secrets        *redact.Set
	stdout, stderr *redact.Writer
	rawStderr      io.Writer
	// guard stops GitHub Actions' runner from reading workflow commands
	// in stdout and stderr (nil outside Actions); kiln's own commands go
	// to rawStderr through it.
	guard *ghactions.Guard
	// colors is set while kiln diff colours its diff: only then do
	// colour sequences on stdout come from kiln (forTerminal).
	colors *atomic.Bool
}

const sinksKey = "kiln.sinks"

func newSinks(stdout, stderr io.Writer, guard *ghactions.Guard) *sinks {
	set := &redact.Set{}
	colors := &atomic.Bool{}
	return &sinks{secrets: set, stdout: set.Writer(guard.Data(forTerminal(stdout, colors))), stderr: set.Writer(guard.Data(humanReadable(stderr))),
		rawStderr: stderr, guard: guard, colors: colors}
}

// forTerminal is w, through caret.Colored when w is a terminal. kiln
// prints text it does not control (a manifest line of the branch in a
// diff, a file or app name of the branch in a summary, the kiln version in
// its lock, a chart's fail message in an error), and on a terminal an
// escape sequence in it would clear the screen, move the cursor or set the
// title. kiln's own output needs no control character there but the
// colours of kiln diff, which pass while colors is set (kiln diff sets it
// when it colours, and shows the other side's escape sequences in caret
// notation itself); the progress bar draws on the raw stderr.
func forTerminal(w io.Writer, colors *atomic.Bool) io.Writer {
	if isTerminal(w) {
		return caret.Colored(w, colors.Load)
	}
	return w
}

// humanReadable is w through caret.Plain: stderr carries only text for
// people (progress, warnings, errors), never a colour of kiln's, and on a
// terminal or in a CI log an escape sequence, a carriage return or a bidi
// control in a chart's fail message or an object's name would be obeyed
// by the terminal or the log viewer, rewrite the line, or read as another
// text. No script reads stderr byte for byte; stdout, which carries data,
// keeps its bytes (forTerminal). docs/security.md, "Text kiln does not
// control".
func humanReadable(w io.Writer) io.Writer { return caret.Plain(w) }

// sinksOf returns the sinks newApp made for app.
func sinksOf(app *cli.App) *sinks {
	return app.Metadata[sinksKey].(*sinks)
}

func (s *sinks) flush() {
	// A failed write to stdout or stderr has nowhere to be reported.
	_ = s.stdout.Flush()
	_ = s.stderr.Flush()
}

// done flushes the sinks and lets the runner read commands again.
func (s *sinks) done() {
	s.flush()
	s.guard.Resume()
}

// env is how the app reads the process environment; tests pass their own.
type env func(string) (string, bool)

// newApp builds the command tree. It holds no global state: stdout gets
// data, stderr progress, warnings and errors.
func newApp(rawStdout, rawStderr io.Writer, lookup env, version string) *cli.App {
	s := newSinks(rawStdout, rawStderr, ghactions.NewGuard(lookup, rawStderr))
	var stdout, stderr io.Writer = s.stdout, s.stderr
	app := &cli.App{
		Name:    "kiln",
		Usage:   "render deployment templates into hydrated manifests for Flux, and promote them",
		Version: version,
		// kiln --version is kiln version, by running it (below): urfave's
		// own flag printed "kiln version X" where kiln version prints
		// "kiln X (goV)", ignored KILN_OUTPUT=json, and took any argument.
		HideVersion: true,
		Flags: []cli.Flag{&cli.BoolFlag{Name: "version", Aliases: []string{"v"},
			Usage: "print kiln's version, as kiln version does", DisableDefaultText: true}},
		Writer:               stdout,
		ErrWriter:            stderr,
		ExitErrHandler:       func(*cli.Context, error) {}, // exitCode decides exit codes
		OnUsageError:         onUsageError,
		EnableBashCompletion: true, // --generate-bash-completion, used by kiln completion's scripts
		Suggest:              true, // "did you mean" in kiln help <command>
		Metadata:             map[string]any{sinksKey: s, backgroundKey: &background{}, outputsKey: &stepOutputs{lookup: lookup, values: map[string]string{}}},
		Commands: []*cli.Command{
			renderCommand(stdout, stderr, lookup, version),
			validateCommand(stdout, stderr, lookup, version),
			graphCommand(stdout, stderr, lookup, version),
			diffCommand(stdout, stderr, lookup, version, rawStdout),
			promoteCommand(stdout, stderr, lookup, version),
			verifyCommand(stdout, stderr, lookup, version),
			initCommand(stdout, stderr),
			versionCommand(stdout, version),
			completionCommand(stdout),
		},
		// urfave/cli's own "No help topic for 'nope'" suggests any
		// command, however far ("completion" for "nope"); kiln help nope
		// reads like kiln nope.
		Before: func(c *cli.Context) error {
			// urfave's --version printed the version and ignored the
			// command after it; kiln's would run it: kiln --version
			// render must not render.
			if c.Bool("version") && c.Args().Present() {
				return usagef("--version takes no command or argument (%q): run kiln version, or the command without --version", c.Args().First())
			}
			// Here, before the command parses its flags: a usage
			// mistake among them still leaves the command's outputs.
			if cmd := c.App.Command(c.Args().First()); cmd != nil {
				outputsOf(c.App).run(cmd.Name)
			}
			if a := c.Args(); (a.First() == "help" || a.First() == "h") && a.Len() > 1 && c.App.Command(a.Get(1)) == nil {
				return unknownCommand(c, a.Get(1))
			}
			return nil
		},
		Action: func(c *cli.Context) error {
			if c.Bool("version") {
				cmd := c.App.Command("version")
				vc := cli.NewContext(c.App, nil, c)
				vc.Command = cmd
				return cmd.Run(vc, append([]string{cmd.Name}, c.Args().Slice()...)...)
			}
			if c.Args().Present() {
				return unknownCommand(c, c.Args().First())
			}
			// kiln alone is a usage mistake: help goes to stderr, as git
			// and kubectl do, so that stdout stays empty for scripts.
			cli.HelpPrinter(c.App.ErrWriter, cli.AppHelpTemplate, c.App)
			return usagef("no command given")
		},
	}
	for _, cmd := range app.Commands {
		cmd.OnUsageError = onUsageError
		if cmd.Action != nil {
			cmd.Action = annotateUsage(jsonOnFailure(cmd.Action), lookup)
		}
	}
	return app
}

// versionReport is version's --output json document.
type versionReport struct {
	Version string      `json:"version"`
	Go      string      `json:"go"`
	Errors  []jsonError `json:"errors"`
}

// jsonOnFailure makes a command keep the --output json contract when it
// fails before it could write its document (a usage mistake, kiln.yaml
// unreadable): stdout still holds one JSON document, {"errors": [...]}.
func jsonOnFailure(action cli.ActionFunc) cli.ActionFunc {
	return func(c *cli.Context) error {
		err := action(c)
		if err == nil || c.String("output") != "json" {
			return err
		}
		var s silent
		if errors.As(err, &s) {
			return err // the command wrote its document
		}
		return jsonDocument(c.App.Writer, struct {
			Errors []jsonError `json:"errors"`
		}{jsonErrors(err)}, err)
	}
}

// annotateUsage turns a usage mistake into an error annotation inside
// GitHub Actions, as render errors are: an env input naming no env, a
// flag in the args input that conflicts. Without it the run's page said
// only "exit code 2", the reason buried in the step's log.
func annotateUsage(action cli.ActionFunc, lookup env) cli.ActionFunc {
	return func(c *cli.Context) error {
		err := action(c)
		var ue *usageError
		var te *troubleError
		if errors.As(err, &ue) && !(errors.As(err, &te) && te.annotated) {
			annotate(actionsRunner(c, lookup), ue)
		}
		return err
	}
}

// unknownCommand is the usage error for a command kiln does not have,
// with the nearest one when the name looks like a misspelling.
func unknownCommand(c *cli.Context, name string) error {
	var names []string
	for _, cmd := range c.App.VisibleCommands() {
		names = append(names, cmd.Names()...)
	}
	msg := fmt.Sprintf("unknown command %q", name)
	if s := diag.Closest(name, names); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	return usagef("%s; run 'kiln help' for the list", msg)
}

// goFlagName matches a flag as Go's flag package names it in errors
// ("-env"); kiln's messages use the GNU spelling "--env".
var goFlagName = regexp.MustCompile(`(^|[\s:])-([A-Za-z][A-Za-z0-9-]+)`)

// onUsageError turns a flag parsing error into a usageError in GNU style,
// with the nearest flag for a misspelt one and where to read more.
func onUsageError(c *cli.Context, err error, _ bool) error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		msg = "unknown flag --" + name
		var names []string
		for _, f := range c.Command.VisibleFlags() {
			names = append(names, f.Names()...)
		}
		if s := diag.Closest(name, names); s != "" {
			msg += fmt.Sprintf(" (did you mean --%s?)", s)
		}
	} else {
		msg = goFlagName.ReplaceAllString(msg, "$1--$2")
	}
	help := "kiln help"
	if c.Command != nil && c.Command.Name != "" && c.Command.Name != c.App.Name {
		help += " " + c.Command.Name
	}
	uerr := usagef("%s; run '%s' for usage", msg, help)
	if c.Command != nil {
		// As annotateUsage does for the mistakes a command finds; the
		// action never runs here. urfave/cli reads the process
		// environment for the flags too.
		annotate(actionsRunner(c, os.LookupEnv), uerr)
	}
	if c.Command == nil || !hasFlag(c.Command, "output") || !wantsJSON(c.App) {
		return uerr
	}
	// The command's action never runs (jsonOnFailure cannot help), but
	// the --output json contract holds for usage mistakes too.
	return jsonDocument(c.App.Writer, struct {
		Errors []jsonError `json:"errors"`
	}{jsonErrors(uerr)}, uerr)
}

func hasFlag(cmd *cli.Command, name string) bool {
	for _, f := range cmd.Flags {
		for _, n := range f.Names() {
			if n == name {
				return true
			}
		}
	}
	return false
}

// wantsJSON reports whether the command line runApp got, or else
// KILN_OUTPUT (which urfave/cli reads from the process environment as
// well), asks for --output json. The last --output given wins, as when
// flags parse.
func wantsJSON(app *cli.App) bool {
	args, _ := app.Metadata[argsKey].([]string)
	out, seen := "", false
	for i := 1; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "output" {
			continue
		}
		if !hasVal {
			if i+1 >= len(args) {
				break
			}
			i++
			val = args[i]
		}
		out, seen = val, true
	}
	if !seen {
		out = os.Getenv("KILN_OUTPUT")
	}
	return out == "json"
}

func versionCommand(stdout io.Writer, version string) *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print kiln's version (also kiln --version)",
		Flags: []cli.Flag{outputFlag()},
		Action: func(c *cli.Context) error {
			if err := checkOutput(c); err != nil {
				return err
			}
			if c.Args().Present() {
				return usagef("unexpected argument %q; kiln version takes none", c.Args().First())
			}
			if c.String("output") == "json" {
				return writeJSON(stdout, versionReport{Version: version, Go: runtime.Version(), Errors: []jsonError{}})
			}
			_, err := fmt.Fprintf(stdout, "kiln %s (%s)\n", version, runtime.Version())
			return err
		},
	}
}

// annotate turns err into the step's annotations, each env's errors under
// that env's title (err may join several), and then writes what the
// runner held for the kind's last slot (ghactions.Runner.Flush): once, for
// each Flush takes a slot GitHub may not show. Outside GitHub Actions it
// does nothing.
func annotate(gh *ghactions.Runner, err error) {
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, err := range errs {
		var ee *envError
		if errors.As(err, &ee) {
			gh.ForEnv(ee.env).Error(ee.err)
		} else {
			gh.Error(err)
		}
	}
	gh.Flush()
}

// report prints err to stderr the way SPEC §4 shows and returns the exit
// code.
func report(stderr io.Writer, err error) int {
	code := exitCode(err)
	if err == nil {
		return code
	}
	var ie *interruptError
	if errors.As(err, &ie) {
		fmt.Fprintf(stderr, "kiln: %s\n", diag.Text(ie))
		return code
	}
	var s silent
	if errors.As(err, &s) {
		return code // already reported: the --output json document, or a diff
	}
	if cliExit(err) {
		fmt.Fprintf(stderr, "kiln: %s\n", diag.Text(err))
		return code
	}
	var te *troubleError
	if errors.As(err, &te) {
		// The code is chosen; the errors inside (one per env) are
		// printed each under its env.
		err = te.err
	}
	flat := diag.Flatten(err)
	// Several errors of no env (kiln.yaml's, all reported together) get
	// one header, as an env's do, and are printed under it.
	var plain []error
	for _, e := range flat {
		var ee *envError
		var ue *usageError
		if !errors.As(e, &ee) && !(errors.As(e, &ue) && ue.err != nil) {
			plain = append(plain, e)
		}
	}
	if len(plain) > 1 {
		fmt.Fprintf(stderr, "kiln: %s%s\n", words.Count(len(plain), "error"), inOneFile(plain))
		for _, e := range plain {
			fmt.Fprintln(stderr, diag.Text(e))
		}
	}
	for _, e := range flat {
		var ee *envError
		if errors.As(e, &ee) {
			errs := diag.Flatten(ee.err)
			fmt.Fprintf(stderr, "kiln: %s in env %s\n", words.Count(len(errs), "error"), ee.env)
			for _, x := range errs {
				fmt.Fprintln(stderr, diag.Text(x))
			}
			continue
		}
		var ue *usageError
		if errors.As(e, &ue) && ue.err != nil {
			for _, x := range diag.Flatten(ue.err) {
				fmt.Fprintf(stderr, "kiln: %s\n", diag.Text(x))
			}
			continue
		}
		if len(plain) < 2 {
			fmt.Fprintf(stderr, "kiln: %s\n", diag.Text(e))
		}
	}
	return code
}

// inOneFile is " in FILE" when every error of errs names that file, else "".
func inOneFile(errs []error) string {
	file := ""
	for _, e := range errs {
		var de *diag.Error
		if !errors.As(e, &de) || de.File == "" || (file != "" && de.File != file) {
			return ""
		}
		file = de.File
	}
	return " in " + file
}

// flagRef names flag name as the user gave it, for a usage error: --name
// when it is on the command line, else the KILN_ variable it came from.
// "give --env or --all, not both" misled a user who typed only --env and
// had KILN_ALL=true in the workflow's env: block.
func flagRef(c *cli.Context, name string) string {
	args, _ := c.App.Metadata[argsKey].([]string)
	for _, a := range args[min(1, len(args)):] {
		if a == "--" {
			break
		}
		if !strings.HasPrefix(a, "-") {
			continue
		}
		if n, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "="); n == name {
			return "--" + name
		}
	}
	v := kilnEnv(name)[0]
	if _, ok := os.LookupEnv(v); ok {
		return fmt.Sprintf("--%s (from %s)", name, v)
	}
	return "--" + name
}
