package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

// atInit is the collector's state while package main's variables
// initialize: after every package kiln links, before main's init turns the
// collector back on (package initgc).
var atInit = func() (s struct {
	percent int
	cycles  uint32
}) {
	s.percent = debug.SetGCPercent(-1)
	debug.SetGCPercent(s.percent)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s.cycles = ms.NumGC
	return s
}()

// TestCollectorOffDuringInit: the packages kiln links allocate megabytes
// of tables while they initialize, and collecting during that is a fifth
// of `kiln version`'s time and of every sandbox worker's start. The
// collector stays off until main's init and is on again after it.
func TestCollectorOffDuringInit(t *testing.T) {
	if atInit.percent != -1 {
		t.Errorf("while kiln's packages initialized, GOGC was %d, want off (-1): is internal/initgc imported by main?", atInit.percent)
	}
	if atInit.cycles != 0 {
		t.Errorf("the collector ran %d cycles while kiln's packages initialized, want 0", atInit.cycles)
	}
	now := debug.SetGCPercent(-1)
	debug.SetGCPercent(now)
	if now < 0 {
		t.Errorf("after main's init GOGC is %d: the collector was not turned back on", now)
	}
}

// TestNoHeapProfiling: kiln (and so every sandbox worker) runs without
// heap profiling, whose records are about 2 MiB of a large render's peak,
// unless GODEBUG asks for a rate.
func TestNoHeapProfiling(t *testing.T) {
	if runtime.MemProfileRate != 0 && !strings.Contains(os.Getenv("GODEBUG"), "memprofilerate") {
		t.Errorf("after main's init MemProfileRate is %d, want 0", runtime.MemProfileRate)
	}
	for _, c := range []struct {
		godebug string
		want    int
	}{
		{"", 0},
		{"gctrace=1", 0},
		{"memprofilerate=1", 7},
		{"gctrace=1, memprofilerate=4096", 7},
		{"memprofilerate", 7},
		{"xmemprofilerate=1", 0},
	} {
		if got := memProfileRate(c.godebug, 7); got != c.want {
			t.Errorf("memProfileRate(%q) = %d, want %d", c.godebug, got, c.want)
		}
	}
}
