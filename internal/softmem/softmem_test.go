package softmem

import (
	"math"
	"runtime"
	"runtime/debug"
	"sync"
	"testing"
	"time"
)

func TestLimitFor(t *testing.T) {
	for _, c := range []struct {
		live uint64
		want int64
	}{
		{0, Floor},
		{20 << 20, Floor},
		{Floor / 2, Floor},
		{100 << 20, 150 << 20},
		{math.MaxUint64, math.MaxInt64},
	} {
		if got := limitFor(c.live); got != c.want {
			t.Errorf("limitFor(%d) = %d, want %d", c.live, got, c.want)
		}
	}
}

// TestFollowsLiveHeap: once the live heap is past the floor's share, the
// limit rises with it after a collection, so the collector always has
// headroom; without Start the process has no limit at all.
func TestFollowsLiveHeap(t *testing.T) {
	if l := debug.SetMemoryLimit(-1); l != math.MaxInt64 {
		t.Fatalf("before Start the limit is %d, want none", l)
	}
	t.Setenv("GOMEMLIMIT", "") // restored after the test
	Start()                    // GOMEMLIMIT is set: nothing
	if l := debug.SetMemoryLimit(-1); l != math.MaxInt64 {
		t.Fatalf("with GOMEMLIMIT set, Start set a limit of %d", l)
	}
	start = sync.Once{} // as if Start had not run
	follow()
	if l := debug.SetMemoryLimit(-1); l != Floor {
		t.Fatalf("with a small heap the limit is %d, want the floor %d", l, Floor)
	}
	keep := make([][]byte, 0, 96)
	for range 96 {
		keep = append(keep, make([]byte, 1<<20))
	}
	want := int64(float64(liveHeapAfterGC()) * Headroom)
	var got int64
	for range 100 { // the cleanup runs on its own goroutine, soon after the cycle
		if got = debug.SetMemoryLimit(-1); got >= want*9/10 && got > Floor {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got < want*9/10 || got <= Floor {
		t.Errorf("with %d MiB live the limit is %d MiB, want about %d MiB", len(keep), got>>20, want>>20)
	}
	runtime.KeepAlive(keep)
}

func liveHeapAfterGC() uint64 {
	runtime.GC()
	return liveHeap()
}
