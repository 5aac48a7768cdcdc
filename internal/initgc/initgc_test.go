package initgc

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/kiln-gitops/kiln/internal/testenv"
)

// childEnv names the check a copy of this test binary runs in place of
// the tests: Done acts once per process and only before the first
// collection, so its checks need a process of their own.
const childEnv = "INITGC_TEST_CHILD"

func TestMain(m *testing.M) {
	if name := os.Getenv(childEnv); name != "" {
		if err := children[name](); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	testenv.ChildrenExitPromptly()
	os.Exit(m.Run())
}

// heapGoal is the collector's current heap goal.
func heapGoal() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/goal:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// afterCollections collects until cond holds, as Done's and KeepFloor's
// finalizers run on their own goroutine after a collection; false if it
// never does.
func afterCollections(cond func() bool) bool {
	for range 200 {
		runtime.GC()
		time.Sleep(time.Millisecond)
		if cond() {
			return true
		}
	}
	return false
}

// children are the checks run in a fresh process each, as kiln's main
// and its sandbox workers run them: Done from main's init, before any
// collection.
var children = map[string]func() error{
	// A process that renders little (a sandbox worker with one small
	// chart) does not collect the tables its packages built: its first
	// goal is firstScale times Go's, 16 MiB; after its first collection
	// GOGC paces it again (Go's minimum heap, 4 MiB, for a small heap).
	"first": func() error {
		Done()
		if goal := heapGoal(); goal < firstScale*4<<20 || goal > firstScale*4<<20+1<<20 {
			return fmt.Errorf("after Done the heap goal is %.1f MiB, want %d MiB", float64(goal)/(1<<20), firstScale*4)
		}
		if !afterCollections(func() bool { return heapGoal() < 8<<20 }) {
			return fmt.Errorf("after the first collections the heap goal is %.1f MiB, want GOGC's (4 MiB)", float64(heapGoal())/(1<<20))
		}
		return nil
	},
	// GOGC set is the user's setting, from the start.
	"gogc": func() error {
		Done()
		if goal := heapGoal(); goal > 5<<20 {
			return fmt.Errorf("with GOGC=100 set, after Done the heap goal is %.1f MiB, want Go's, 4 MiB", float64(goal)/(1<<20))
		}
		return nil
	},
	// kiln's own process: KeepFloor's goal stays after the first
	// collection, which gives GOGC back only where no floor is kept.
	"floor": func() error {
		Done()
		KeepFloor()
		// After the first collection both finalizers run, in either
		// order, on the finalizer goroutine; the floor's after each
		// collection, Done's once.
		runtime.GC()
		time.Sleep(20 * time.Millisecond)
		if goal := heapGoal(); goal < minGoal {
			return fmt.Errorf("after KeepFloor and collections the heap goal is %.1f MiB, want the floor, %d MiB", float64(goal)/(1<<20), minGoal>>20)
		}
		return nil
	},
}

// TestDone runs each of children in a fresh copy of this test binary.
func TestDone(t *testing.T) {
	t.Parallel()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for name := range children {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(exe, "-test.run=^$")
			var env []string
			for _, kv := range os.Environ() {
				if !strings.HasPrefix(kv, "GOGC=") && !strings.HasPrefix(kv, "GOMEMLIMIT=") {
					env = append(env, kv)
				}
			}
			cmd.Env = append(env, childEnv+"="+name)
			if name == "gogc" {
				cmd.Env = append(cmd.Env, "GOGC=100")
			}
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("%s: %v\n%s", name, err, out)
			}
		})
	}
}

func TestPercentFor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		live  uint64
		roots uint64
		gogc  int
		want  int
	}{
		{name: "a quarter of minGoal live: minGoal", live: 16 << 20, gogc: 100, want: 300},
		{name: "smaller heap", live: 8 << 20, gogc: 100, want: 700},
		{name: "stacks and globals count", live: 8 << 20, roots: 8 << 20, gogc: 100, want: 350},
		{name: "roots past the floor: GOGC", live: 16 << 20, roots: 32 << 20, gogc: 100, want: 100},
		{name: "above a quarter: the floor shrinks", live: 20 << 20, gogc: 100, want: 180},
		{name: "3/8 of minGoal live: GOGC", live: 24 << 20, gogc: 100, want: 100},
		{name: "GOGC=50 where the floor shrinks", live: 20 << 20, gogc: 50, want: 180},
		{name: "GOGC=50 past the floor", live: 28 << 20, gogc: 50, want: 50},
		{name: "half of minGoal live: GOGC", live: 32 << 20, gogc: 100, want: 100},
		{name: "large heap: GOGC", live: 48 << 20, gogc: 100, want: 100},
		{name: "GOGC=50, small heap", live: 16 << 20, gogc: 50, want: 300},
		{name: "GOGC=400 above the floor already", live: 16 << 20, gogc: 400, want: 400},
		{name: "no heap yet", live: 0, gogc: 100, want: 100},
		{name: "collector off", live: 16 << 20, gogc: -1, want: -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := percentFor(tc.live, tc.roots, tc.gogc); got != tc.want {
				t.Errorf("percentFor(%d MiB, %d MiB, %d) = %d, want %d", tc.live>>20, tc.roots>>20, tc.gogc, got, tc.want)
			}
		})
	}
}

// TestKeepFloor: in a process whose heap is small (this test's), the heap
// goal is minGoal once KeepFloor ran (not more), where Go's pacing alone
// puts it at a few MiB; with GOGC set it does nothing.
func TestKeepFloor(t *testing.T) {
	// KeepFloor acts once per process; -count=2 runs this test twice in
	// one, so each run starts as a fresh process would.
	floor.Lock()
	floor.on = false
	floor.Unlock()
	gogc, had := os.LookupEnv("GOGC")
	os.Setenv("GOGC", "100")
	KeepFloor()
	floor.Lock()
	on := floor.on
	floor.Unlock()
	if on {
		t.Error("KeepFloor tuned the collector with GOGC set")
	}
	if had {
		os.Setenv("GOGC", gogc)
	} else {
		os.Unsetenv("GOGC")
	}
	if percent <= 0 || had {
		return // the collector is the user's: nothing more to see
	}
	Done()
	defer debug.SetGCPercent(percent)
	// A live heap like a small render's: with a few hundred KiB, Go's
	// minimum heap (4 MiB × GOGC/100) would be the goal.
	held := make([][]byte, 64)
	for i := range held {
		held[i] = make([]byte, 128<<10)
	}
	runtime.GC() // the runtime's goal is set from what a collection marked
	KeepFloor()
	s := []metrics.Sample{{Name: "/gc/heap/goal:bytes"}, {Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	goal, live := s[0].Value.Uint64(), s[1].Value.Uint64()
	if live < minGoal/4 && goal < minGoal {
		t.Errorf("heap goal %d MiB with %d MiB live, want at least %d MiB", goal>>20, live>>20, minGoal>>20)
	}
	// The stacks and globals count towards Go's goal: left out, they
	// would be multiplied by a GOGC of hundreds.
	if goal > minGoal+1<<20 {
		t.Errorf("heap goal %.1f MiB with %.1f MiB live, want about %d MiB", float64(goal)/(1<<20), float64(live)/(1<<20), minGoal>>20)
	}
	runtime.KeepAlive(held)
}
