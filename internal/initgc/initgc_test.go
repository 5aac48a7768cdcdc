package initgc

import (
	"os"
	"runtime/debug"
	"runtime/metrics"
	"testing"
)

func TestPercentFor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		live uint64
		gogc int
		want int
	}{
		{name: "small heap: minGoal", live: 16 << 20, gogc: 100, want: 300},
		{name: "smaller heap", live: 8 << 20, gogc: 100, want: 700},
		{name: "half of minGoal live: GOGC", live: 32 << 20, gogc: 100, want: 100},
		{name: "large heap: GOGC", live: 48 << 20, gogc: 100, want: 100},
		{name: "GOGC=50, small heap", live: 16 << 20, gogc: 50, want: 300},
		{name: "GOGC=400 above the floor already", live: 16 << 20, gogc: 400, want: 400},
		{name: "no heap yet", live: 0, gogc: 100, want: 100},
		{name: "collector off", live: 16 << 20, gogc: -1, want: -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := percentFor(tc.live, tc.gogc); got != tc.want {
				t.Errorf("percentFor(%d MiB, %d) = %d, want %d", tc.live>>20, tc.gogc, got, tc.want)
			}
		})
	}
}

// TestKeepFloor: in a process whose heap is small (this test's), the heap
// goal is minGoal once KeepFloor ran, where Go's pacing alone puts it at a
// few MiB; with GOGC set it does nothing.
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
	KeepFloor()
	s := []metrics.Sample{{Name: "/gc/heap/goal:bytes"}, {Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if goal, live := s[0].Value.Uint64(), s[1].Value.Uint64(); live < minGoal/2 && goal < minGoal {
		t.Errorf("heap goal %d MiB with %d MiB live, want at least %d MiB", goal>>20, live>>20, minGoal>>20)
	}
}
