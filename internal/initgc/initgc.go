package initgc

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// percent is the collector's setting (GOGC, 100 by default) from before
// this package turned it off.
var percent = debug.SetGCPercent(-1)

// Done turns the collector back on with the setting it had, so GOGC is
// honoured. Calling it again is harmless.
func Done() {
	debug.SetGCPercent(percent)
}

// minGoal is the smallest heap goal KeepFloor keeps for a small heap.
// With Go's pacing a collection starts when the heap reaches twice what
// the last one left live; a render of a hundred apps stays at 9-14 MiB
// live, so it collected about twenty times, a fifth of its CPU, to hold
// its heap near 30 MiB. Up to minGoal/4 live the goal is minGoal.
//
// Above that the floor shrinks by two bytes for each byte of live heap,
// so from 3/8 of minGoal (24 MiB) live the goal is GOGC's. A full floor up
// to minGoal/2 live held a render of a thousand apps, 20-35 MiB live for
// most of its run, at a goal of 64 MiB where GOGC's is 40-70: about 10 MiB
// more peak RSS for a CPU saving that shrinks as the live heap grows
// (docs/speed.md, "A floor under the heap goal").
const minGoal = 64 << 20

// KeepFloor keeps the collector's heap goal at minGoal or above for the
// rest of the process, unless GOGC is set (then it is the user's) or the
// collector is off. kiln's command calls it once it knows it is not a
// sandbox worker: a worker's heap is small and its program large, so a
// floor would raise its RSS by most of minGoal for little CPU. A soft
// memory limit (GOMEMLIMIT, a worker's cap) still bounds the heap: the
// runtime collects at the lower of the two goals. Only the first call
// does anything.
func KeepFloor() {
	if _, set := os.LookupEnv("GOGC"); set || percent <= 0 || floorOn {
		return
	}
	floorOn = true
	tune()
	arm()
}

// floorOn is set by the first KeepFloor that applies; only main's
// goroutine calls it.
var floorOn bool

// sentinel is allocated for its finalizer alone: nothing refers to it, so
// the next collection finds it unreachable and its finalizer runs once,
// after that collection.
type sentinel struct{ _ [16]byte } // 16 bytes: no tiny-allocator block shared with live objects

// arm calls tune after the next collection, and again after each one.
func arm() {
	runtime.SetFinalizer(new(sentinel), func(*sentinel) {
		tune()
		arm()
	})
}

// tune sets GOGC so that the next heap goal is GOGC's on the live heap,
// or the floor if that is more. Before the first collection the live heap
// is taken to be all that is allocated.
func tune() {
	s := []metrics.Sample{
		{Name: "/gc/heap/live:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/gc/scan/globals:bytes"},
		{Name: "/gc/scan/stack:bytes"},
	}
	metrics.Read(s)
	live := s[0].Value.Uint64()
	if live == 0 {
		live = s[1].Value.Uint64()
	}
	debug.SetGCPercent(percentFor(live, s[2].Value.Uint64()+s[3].Value.Uint64(), percent))
}

// percentFor is the GOGC that puts the heap goal for live bytes of live
// heap at what gogc gives, or at the floor for live (minGoal, shrinking
// above minGoal/4 live) if that is more. roots are the stacks and globals
// the collector scans: Go's goal is live + (live + roots) × GOGC/100, so a
// GOGC of several hundred that left them out would put the goal well above
// the floor (kiln's 2 MiB of globals made it 75-80 MiB).
func percentFor(live, roots uint64, gogc int) int {
	if live == 0 || gogc <= 0 {
		return gogc
	}
	floor := uint64(minGoal)
	if live > minGoal/4 {
		shrink := 2 * (live - minGoal/4)
		if shrink >= floor {
			return gogc
		}
		floor -= shrink
	}
	if live+(live+roots)*uint64(gogc)/100 >= floor {
		return gogc
	}
	// Rounded up: the goal is at the floor, not a few KiB under it.
	return int(((floor-live)*100 + live + roots - 1) / (live + roots))
}
