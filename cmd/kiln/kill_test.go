//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/internal/testenv"
)

// These tests run the real kiln (this test binary re-executed as "kiln",
// see TestMain, or kiln built without the race detector: kilnProgram) and
// stop it at random moments: with SIGKILL, and with
// SIGINT and SIGTERM. The moments are random but the seed is printed, and
// the checks do not depend on timing: whatever the moment, every env's
// tree is whole (the earlier one, or the new one once the run committed),
// or, killed while an env's changes were being put in place, its journal
// is beside it and the next run completes them; and a following run
// leaves nothing temporary behind.

// kilnRun is one started kiln render.
type kilnRun struct {
	cmd    *exec.Cmd
	stderr bytes.Buffer
}

// kilnProgram is the kiln these tests run: this test binary, or, where
// the race detector could see nothing (a process killed at once, or
// processes that meet only through the file system), kiln built without
// it, when there is one: a race-enabled kiln costs about a second of CPU
// to start and stop, and these tests start dozens.
type kilnProgram bool

const (
	raced kilnProgram = true
	plain kilnProgram = false
)

func (k kilnProgram) path() string {
	if p, ok := testenv.PlainKiln(); ok && k == plain {
		return p
	}
	return os.Args[0]
}

// startRender starts kiln render of the example into out with the vote
// image at tag.
func startRender(t *testing.T, k kilnProgram, project, out, tag string) *kilnRun {
	t.Helper()
	r := &kilnRun{cmd: exec.Command(k.path(), "render", "--config", filepath.Join(project, "kiln.yaml"),
		"--out", out, "--image", "ghcr.io/acme/vote:"+tag)}
	r.cmd.Args[0] = "kiln"
	r.cmd.Env = append(os.Environ(), "KILN_CACHE_DIR="+filepath.Join(project, ".cache"))
	r.cmd.Stderr = &r.stderr
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return r
}

// wait returns the exit code, or -1 if a signal ended the process.
func (r *kilnRun) wait(t *testing.T) int {
	t.Helper()
	err := r.cmd.Wait()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	t.Fatal(err)
	return 0
}

// snapshot reads every file and folder below out, hidden ones included.
func snapshot(t *testing.T, out string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(out, p)
		if d.IsDir() {
			files[rel+"/"] = ""
			return nil
		}
		data, err := os.ReadFile(p)
		files[rel] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// envTrees splits a snapshot by top-level entry.
func envTrees(snap map[string]string) map[string]map[string]string {
	out := map[string]map[string]string{}
	for p, data := range snap {
		top, rest, _ := strings.Cut(p, "/")
		if top == "." {
			continue
		}
		if out[top] == nil {
			out[top] = map[string]string{}
		}
		out[top][rest] = data
	}
	return out
}

func names(m map[string]map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// exampleCopy copies the example project into a temporary folder.
func exampleCopy(t *testing.T) string {
	t.Helper()
	project := filepath.Join(t.TempDir(), "instavote")
	if err := os.CopyFS(project, os.DirFS("../../examples/instavote")); err != nil {
		t.Fatal(err)
	}
	return project
}

// clean renders tag into a fresh folder: what a run that completes writes.
func clean(t *testing.T, k kilnProgram, project, tag string) map[string]map[string]string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "clean")
	r := startRender(t, k, project, out, tag)
	if code := r.wait(t); code != 0 {
		t.Fatalf("clean render of %s: exit %d\n%s", tag, code, r.stderr.String())
	}
	return envTrees(snapshot(t, out))
}

func TestKillLoop(t *testing.T) {
	t.Parallel()
	project := exampleCopy(t)
	out := filepath.Join(t.TempDir(), "out")
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))

	start := time.Now()
	earlier := clean(t, plain, project, "0")
	full := time.Since(start)
	if r := startRender(t, plain, project, out, "0"); r.wait(t) != 0 {
		t.Fatalf("first render failed:\n%s", r.stderr.String())
	}
	envs := names(earlier)

	kills := 30
	if raceDetector {
		kills = 10
	}
	swapped, junk, unfinished := 0, 0, 0
	for i := 1; i <= kills; i++ {
		tag := fmt.Sprint(i)
		r := startRender(t, plain, project, out, tag)
		if i%4 == 0 {
			// Killed while it holds the lock, staging or swapping: the
			// stretch that matters most, which random moments can miss.
			waitLockHeld(t, out, r.cmd.Process.Pid, 4*full)
		} else {
			time.Sleep(time.Duration(rng.Int64N(int64(full * 12 / 10))))
		}
		_ = r.cmd.Process.Signal(syscall.SIGKILL)
		r.wait(t)

		// Every env is whole: the earlier tree, or (killed after it was
		// committed) the new one. Leftovers are only kiln's own names.
		trees := envTrees(snapshot(t, out))
		for _, env := range envs {
			if _, ok := trees["."+env+".kiln-journal"]; !ok {
				continue
			}
			// Killed while putting env's changes in place: the next run
			// completes them first, and says so.
			unfinished++
			next := startRender(t, plain, project, out, tag)
			if code := next.wait(t); code != 0 || !strings.Contains(next.stderr.String(), "completed the update") {
				t.Fatalf("run after kill %d, with %s's update unfinished: exit %d\n%s", i, env, code, next.stderr.String())
			}
			trees = envTrees(snapshot(t, out))
			break
		}
		var fresh map[string]map[string]string
		for _, env := range envs {
			if cmp.Equal(earlier[env], trees[env]) {
				continue
			}
			if fresh == nil {
				fresh = clean(t, plain, project, tag)
			}
			if diff := cmp.Diff(fresh[env], trees[env]); diff != "" {
				t.Fatalf("kill %d: env %s is neither the earlier nor the new tree (-new +got):\n%s", i, env, diff)
			}
		}
		if fresh != nil {
			swapped++
		}
		for name := range trees {
			if !contains(envs, name) && name != ".kiln.lock" && !strings.HasPrefix(name, ".") {
				t.Fatalf("kill %d: unexpected %s in the output folder", i, name)
			}
			if strings.HasPrefix(name, ".") && name != ".kiln.lock" {
				junk++
			}
		}

		earlier = trees
		if i%5 != 0 {
			continue // runs killed one after another leave junk for the next
		}

		// The next run cleans up and completes.
		next := startRender(t, plain, project, out, tag+"b")
		if code := next.wait(t); code != 0 {
			t.Fatalf("run after kill %d: exit %d\n%s", i, code, next.stderr.String())
		}
		trees = envTrees(snapshot(t, out))
		if diff := cmp.Diff(envs, names(trees)); diff != "" {
			t.Fatalf("after kill %d and a run, the output folder holds (-want +got):\n%s\n%s", i, diff, next.stderr.String())
		}
		earlier = trees
	}
	t.Logf("%d kills: %d after some env was committed, %d of them while its changes were put in place; %d temporary trees found after kills, all gone after the next run", kills, swapped, unfinished, junk)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestInterrupt: SIGINT or SIGTERM at any moment ends kiln with 130 or 143
// and one line, every earlier tree byte-identical and nothing temporary
// left; or, when the signal comes after the trees were swapped in, with
// the run's success.
func TestInterrupt(t *testing.T) {
	t.Parallel()
	project := exampleCopy(t)
	out := filepath.Join(t.TempDir(), "out")
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 2))

	if r := startRender(t, raced, project, out, "0"); r.wait(t) != 0 {
		t.Fatalf("first render failed:\n%s", r.stderr.String())
	}
	// Timed on a run like the signalled ones: the first filled the render
	// cache, and they reuse it (only the changed image renders again).
	// Timed on the first, most signals came after the trees were swapped
	// in, and at times none before.
	start := time.Now()
	if r := startRender(t, raced, project, out, "timing"); r.wait(t) != 0 {
		t.Fatalf("second render failed:\n%s", r.stderr.String())
	}
	full := time.Since(start)
	interrupted, signals := 0, 20
	locked, lockedInterrupted := 0, 0
	if raceDetector {
		signals = 8
	}
	for i := 1; i <= signals; i++ {
		before := snapshot(t, out)
		sig, want, name := os.Signal(syscall.SIGINT), 130, "SIGINT"
		if i%2 == 0 {
			sig, want, name = syscall.SIGTERM, 143, "SIGTERM"
		}
		r := startRender(t, raced, project, out, fmt.Sprint(i))
		if i%4 == 0 {
			// A quarter of the signals come once the run holds the output
			// lock: it has staged its first env and not yet swapped the
			// trees in. Timed signals alone can all miss that stretch (a
			// CI run saw 0 of 8 land in it): a race-enabled kiln spends
			// most of a cached run starting up.
			waitLockHeld(t, out, r.cmd.Process.Pid, 4*full)
			locked++
		} else {
			// Early moments matter most (reading, rendering, staging); the
			// first quarter of a run gets half of the signals.
			d := time.Duration(rng.Int64N(int64(full)))
			if i%2 == 1 {
				d /= 4
			}
			time.Sleep(d)
		}
		_ = r.cmd.Process.Signal(sig)
		code := r.wait(t)
		after := snapshot(t, out)
		switch code {
		case want:
			interrupted++
			if i%4 == 0 {
				lockedInterrupted++
			}
			if got := strings.TrimSpace(r.stderr.String()); got != "kiln: interrupted by "+name {
				t.Errorf("signal %d: stderr %q, want the one line \"kiln: interrupted by %s\"", i, got, name)
			}
			if diff := cmp.Diff(before, after); diff != "" {
				t.Fatalf("signal %d (%s) changed the output folder (-before +after):\n%s", i, name, diff)
			}
		case -1:
			// The signal came before main installed its handler (package
			// initialisation): the default action ended kiln, which had
			// not opened anything yet; a shell reports 128+n as well.
			if diff := cmp.Diff(before, after); diff != "" {
				t.Fatalf("signal %d (%s) before main changed the output folder (-before +after):\n%s", i, name, diff)
			}
		case 0:
			for p := range after {
				if strings.HasPrefix(p, ".") && p != "./" {
					t.Fatalf("signal %d: a completed run left %s", i, p)
				}
			}
		default:
			t.Fatalf("signal %d (%s): exit %d, want %d or 0\n%s", i, name, code, want, r.stderr.String())
		}
	}
	t.Logf("%d of %d runs interrupted before their trees were swapped in, %d of the %d signalled once the run held the output lock",
		interrupted, signals, lockedInterrupted, locked)
	if interrupted == 0 {
		t.Error("no run was interrupted: the signals all came too late to test anything")
	}
}

// waitLockHeld waits until out's lock names the process pid, or for at
// most limit (the run may end before the poll sees it).
func waitLockHeld(t *testing.T, out string, pid int, limit time.Duration) {
	t.Helper()
	want := fmt.Sprintf("pid=%d\n", pid)
	for end := time.Now().Add(limit); time.Now().Before(end); time.Sleep(time.Millisecond) {
		if data, err := os.ReadFile(filepath.Join(out, ".kiln.lock")); err == nil && strings.HasPrefix(string(data), want) {
			return
		}
	}
}

// TestConcurrentRenders: kiln processes writing one --out at once. Each
// either writes every env or fails naming the process holding the lock;
// the trees all come from one run; nothing temporary is left.
func TestConcurrentRenders(t *testing.T) {
	t.Parallel()
	project := exampleCopy(t)
	out := filepath.Join(t.TempDir(), "out")
	const n = 4
	runs := make([]*kilnRun, n)
	for i := range runs {
		runs[i] = startRender(t, plain, project, out, fmt.Sprint(i))
	}
	wrote := 0
	for i, r := range runs {
		switch code := r.wait(t); code {
		case 0:
			wrote++
		case 1:
			if !strings.Contains(r.stderr.String(), "another kiln process (pid ") {
				t.Errorf("run %d failed without naming the lock's holder:\n%s", i, r.stderr.String())
			}
		default:
			t.Errorf("run %d: exit %d\n%s", i, code, r.stderr.String())
		}
	}
	if wrote == 0 {
		t.Fatal("no run wrote")
	}
	trees := envTrees(snapshot(t, out))
	if diff := cmp.Diff([]string{"dev", "prod", "staging"}, names(trees)); diff != "" {
		t.Errorf("output folder (-want +got):\n%s", diff)
	}
	tags := map[string]bool{}
	for _, tree := range trees {
		var lock struct{ Images map[string]string }
		if err := json.Unmarshal([]byte(tree["kiln.lock.json"]), &lock); err != nil {
			t.Fatal(err)
		}
		tags[fmt.Sprint(lock.Images)] = true
	}
	if len(tags) != 1 {
		t.Errorf("the envs come from different runs: %v", tags)
	}
}
