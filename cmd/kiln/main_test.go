package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/carry"
	"github.com/kiln-gitops/kiln/internal/redact"
	"github.com/kiln-gitops/kiln/internal/testenv"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/urfave/cli/v2"

	"github.com/kiln-gitops/kiln/render"
)

func TestMain(m *testing.M) {
	testenv.ServePlainWorker()
	render.Serve()
	testscript.Main(testenv.Hermetic(m), map[string]func(){
		"kiln": func() { os.Exit(run()) },
	})
}

// TestScripts runs the CLI contract: flags, KILN_* variables, stdout and
// stderr, exit codes. Each script starts with a copy of the example project
// in $WORK/instavote.
func TestScripts(t *testing.T) {
	t.Parallel()
	example, err := filepath.Abs("../../examples/instavote")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("KILN_CACHE_DIR", filepath.Join(env.WorkDir, ".cache"))
			if plain, ok := testenv.PlainKiln(); ok {
				if err := usePlainKiln(env, plain); err != nil {
					return err
				}
			}
			return os.CopyFS(filepath.Join(env.WorkDir, "instavote"), os.DirFS(example))
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// jsonschema COMMAND: the last stdout is one JSON document
			// valid under docs/schemas/COMMAND.json.
			"jsonschema": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 1 {
					ts.Fatalf("usage: jsonschema COMMAND")
				}
				err := validateOutput(args[0], []byte(ts.ReadFile("stdout")))
				if neg {
					if err == nil {
						ts.Fatalf("stdout is valid under %s.json", args[0])
					}
					return
				}
				if err != nil {
					ts.Fatalf("stdout is not valid under docs/schemas/%s.json: %v", args[0], err)
				}
			},
			// exitcode N cmd args...: run cmd and require exit code N.
			"exitcode": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) < 2 {
					ts.Fatalf("usage: exitcode N command [args...]")
				}
				want, err := strconv.Atoi(args[0])
				if err != nil {
					ts.Fatalf("exitcode: %v", err)
				}
				err = ts.Exec(args[1], args[2:]...)
				got := 0
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					got = ee.ExitCode()
				} else if err != nil {
					ts.Fatalf("exitcode: %v", err)
				}
				if got != want {
					ts.Fatalf("exit code %d, want %d", got, want)
				}
			},
		},
	})
}

// usePlainKiln makes the scripts' kiln the program at plain, kiln built
// without the race detector, ahead of testscript's copy of this test
// binary in PATH. A race-enabled kiln costs about a second of CPU to start
// and stop on the machines CI runs on, and the scripts start it a few
// hundred times; the race detector already watches the same code in the
// render, promote and cmd/kiln tests that run it in this process. What the
// scripts check is the contract of the program users run, and that is the
// plain one (built like make build, but without the version flags).
func usePlainKiln(env *testscript.Env, plain string) error {
	bin := filepath.Join(env.WorkDir, ".kiln-bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		return err
	}
	if err := os.Symlink(plain, filepath.Join(bin, "kiln")); err != nil {
		return err
	}
	env.Setenv("PATH", bin+string(os.PathListSeparator)+env.Getenv("PATH"))
	return nil
}

func TestModuleVersion(t *testing.T) {
	t.Parallel()
	built := func(v string) func() (*debug.BuildInfo, bool) {
		return func() (*debug.BuildInfo, bool) { return &debug.BuildInfo{Main: debug.Module{Version: v}}, true }
	}
	none := func() (*debug.BuildInfo, bool) { return nil, false }
	for _, tc := range []struct {
		name, ldflags string
		info          func() (*debug.BuildInfo, bool)
		want          string
	}{
		{name: "make build sets it", ldflags: "v1.0.0-3-gabc", info: built("v0.9.0"), want: "v1.0.0-3-gabc"},
		{name: "go install @version", ldflags: "dev", info: built("v1.2.3"), want: "v1.2.3"},
		{name: "go build in a checkout", ldflags: "dev", info: built("(devel)"), want: "dev"},
		{name: "no build info", ldflags: "dev", info: none, want: "dev"},
	} {
		if got := moduleVersion(tc.ldflags, tc.info); got != tc.want {
			t.Errorf("%s: moduleVersion = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestPanicReported: a command that panics (a kiln bug) is reported like
// an error, through the redactor, and exits 1; in GitHub Actions the
// runner's workflow commands are resumed at exit as on any other path,
// so the step's later commands (::add-mask:: among them) are not lost.
func TestPanicReported(t *testing.T) {
	t.Parallel()
	lookup := func(k string) (string, bool) {
		if k == "GITHUB_ACTIONS" {
			return "true", true
		}
		return "", false
	}
	var log bytes.Buffer // one stream, as the kiln action runs kiln (2>&1)
	app := newApp(&log, &log, lookup, "test")
	s := sinksOf(app)
	s.secrets.Add(redact.New(map[string]string{"SECRET": "hunter2-hunter2"}))
	app.Commands = append(app.Commands, &cli.Command{Name: "boom", Action: func(c *cli.Context) error {
		fmt.Fprintln(c.App.Writer, "   ::warning::from a manifest")
		panic("boom with hunter2-hunter2")
	}})
	code := runAndReport(context.Background(), app, []string{"kiln", "boom"})
	if code != exitFailure {
		t.Errorf("exit %d, want %d", code, exitFailure)
	}
	out := log.String()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	stop := lines[0]
	token, ok := strings.CutPrefix(stop, "::stop-commands::")
	if !ok {
		t.Fatalf("first line %q, want ::stop-commands::<token>\n%s", stop, out)
	}
	if last := lines[len(lines)-1]; last != "::"+token+"::" {
		t.Errorf("last line %q, want the resume ::%s::\n%s", last, token, out)
	}
	if !strings.Contains(out, "kiln: internal error: boom with **redacted**") || !strings.Contains(out, "this is a kiln bug") {
		t.Errorf("the panic is not reported as an internal error:\n%s", out)
	}
	if strings.Contains(out, "hunter2-hunter2") {
		t.Errorf("the panic shows a secret value:\n%s", out)
	}
}

// TestCarriedPanicReported: a panic in a goroutine kiln starts for its
// own work (carry.Each, as render's checks and layout run apps) reaches
// runAndReport like one in the command's own goroutine: reported as an
// internal error with the goroutine's stack, its secret value masked, and
// exit 1, not the process ended with the raw message.
func TestCarriedPanicReported(t *testing.T) {
	t.Parallel()
	var log bytes.Buffer
	app := newApp(&log, &log, func(string) (string, bool) { return "", false }, "test")
	sinksOf(app).secrets.Add(redact.New(map[string]string{"SECRET": "hunter2-hunter2"}))
	app.Commands = append(app.Commands, &cli.Command{Name: "boom", Action: func(c *cli.Context) error {
		carry.Each(8, func(i int) {
			if i == 5 {
				panic("app 5 holds hunter2-hunter2")
			}
		})
		return nil
	}})
	if code := runAndReport(context.Background(), app, []string{"kiln", "boom"}); code != exitFailure {
		t.Errorf("exit %d, want %d", code, exitFailure)
	}
	out := log.String()
	if !strings.Contains(out, "kiln: internal error: app 5 holds **redacted**") || !strings.Contains(out, "panicked in another goroutine") {
		t.Errorf("the goroutine's panic is not reported as an internal error with its stack:\n%s", out)
	}
	if strings.Contains(out, "hunter2-hunter2") {
		t.Errorf("the panic shows a secret value:\n%s", out)
	}
}
