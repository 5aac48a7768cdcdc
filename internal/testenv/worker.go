package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/kiln-gitops/kiln/internal/sandbox/program"
)

// WorkerEnv is the variable and value that make a process a sandbox
// worker: package spawn's EnvWorker and WorkerMagic, spelled out because
// spawn's own tests import this package (TestWorkerEnvIsSpawns holds them
// equal).
const WorkerEnv = "KILN_SANDBOX_WORKER=v1"

// plainWorker is the name, beside the test binary, of kiln built without
// the race detector, which the test binary's sandbox workers run.
const plainWorker = "kiln-plain-worker"

// plainWorkerPath is where this process's sandbox workers look for the
// plain worker: beside the program they run, which is this one.
func plainWorkerPath() (string, bool) {
	exe, err := os.Executable()
	if err != nil {
		return "", false
	}
	return filepath.Join(filepath.Dir(exe), plainWorker), true
}

// PlainWorkerEnv names kiln built without the race detector: make test
// sets it to the one it built; Run sets it for the processes the tests
// start. Sandbox workers never see it (package spawn forwards no such
// variable), hence the program beside the executable.
const PlainWorkerEnv = "KILN_TEST_PLAIN_WORKER"

// PlainKiln is kiln built without the race detector, for a race-enabled
// test binary's tests that run kiln as a program where the race detector
// would see nothing: the CLI's scripts, a process killed at once. It
// reports false in a binary built without the race detector (its own kiln
// is as plain) or when there is none.
func PlainKiln() (string, bool) {
	plain := os.Getenv(PlainWorkerEnv)
	return plain, raceEnabled && plain != ""
}

// ServePlainWorker, called first in a TestMain, turns a sandbox worker
// that a race-enabled copy of the test binary started (a kiln a test runs
// as a program: this binary again, which starts itself as kiln does) into
// kiln built without the race detector, if the test process put one
// beside it (Run does). The test process's own workers need no such turn:
// Run has them start as the plain kiln at once (package program). A
// worker that finds none, or cannot start it, serves as this binary. It
// returns at once in any other process.
//
// Under -race a worker evaluated Helm and Jsonnet 30 to 60 times slower
// and started with 460 MiB of shadow memory mapped: kube-prometheus-stack
// took seconds per render, a memory-cap test 100 s. The workers' own code
// is still raced by internal/sandbox's tests, whose workers stay
// race-enabled, and the engines by templates/helm's and templates/jsonnet's;
// what a plain worker runs is what kiln's users run.
func ServePlainWorker() {
	name, value, _ := strings.Cut(WorkerEnv, "=")
	if !raceEnabled || os.Getenv(name) != value {
		return
	}
	plain, ok := plainWorkerPath()
	if !ok {
		return
	}
	if _, err := os.Stat(plain); err != nil {
		return // none built: serve as this binary
	}
	// Same pid, pipes and environment: the pool cannot tell.
	err := syscall.Exec(plain, os.Args, os.Environ())
	fmt.Fprintf(os.Stderr, "testenv: running %s: %v\n", plain, err)
}

// preparePlainWorker makes kiln built without the race detector the
// program this process's sandbox workers run (package program), and puts
// it beside this test binary for ServePlainWorker: the program
// PlainWorkerEnv names (make test builds it once for every package), or
// one built now into a folder of this process's, whose path it then sets
// in PlainWorkerEnv for the processes the tests start. It returns a func
// that undoes what it did. Without one (no go command, a build error) the
// workers stay this binary: slower, not wrong.
//
// A test may run this binary again as a test process of its own: that
// process finds PlainWorkerEnv set and the link beside the binary made,
// and leaves the link alone, so that its exit never takes the program
// from under this process's kiln programs.
func preparePlainWorker() (undo func()) {
	if !raceEnabled {
		return func() {}
	}
	var built, linked string // what undo removes
	undo = func() {
		program.Set("")
		if linked != "" {
			os.Remove(linked)
		}
		if built != "" {
			os.RemoveAll(built)
		}
	}
	plain := os.Getenv(PlainWorkerEnv)
	if plain == "" {
		dir, err := os.MkdirTemp("", "kiln-plain-worker-")
		if err != nil {
			fmt.Fprintf(os.Stderr, "testenv: sandbox workers stay race-enabled: %v\n", err)
			return undo
		}
		built = dir
		plain = filepath.Join(dir, "kiln")
		// go test puts its own go command first in PATH.
		cmd := exec.Command("go", "build", "-o", plain, "github.com/kiln-gitops/kiln/cmd/kiln")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "testenv: sandbox workers stay race-enabled: go build: %v\n%s", err, out)
			return undo
		}
		os.Setenv(PlainWorkerEnv, plain)
	}
	program.Set(plain)
	if dst, ok := plainWorkerPath(); ok {
		if target, err := os.Readlink(dst); err != nil || target != plain {
			// None, or one an earlier binary in this folder left, which
			// is not this source's.
			os.Remove(dst)
			if err := os.Symlink(plain, dst); err != nil {
				fmt.Fprintf(os.Stderr, "testenv: kiln programs' workers stay race-enabled: %v\n", err)
			} else {
				linked = dst
			}
		}
	}
	return undo
}
