package initgc

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
)

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
	floorOn = false
	gogc, had := os.LookupEnv("GOGC")
	os.Setenv("GOGC", "100")
	KeepFloor()
	if floorOn {
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
