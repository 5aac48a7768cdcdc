package initgc

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// percent is the collector's setting (GOGC, 100 by default) from before
// this package turned it off.
var percent = debug.SetGCPercent(-1)

// firstScale is how many times Go's first heap goal the heap may reach
// before the first collection after Done, unless GOGC is set.
//
// Before its first collection Go's goal is its minimum heap, 4 MiB ×
// GOGC/100, and initialization leaves about 5 MiB (3 MiB of it live: the
// tables kiln's packages built) in kiln and in every sandbox worker. So
// with the collector back on, a worker's first cycle started within its
// first render, marked those tables and freed little: 2-3 ms of the 8-12
// ms a worker took to render one podinfo-sized chart, which allocates
// about 4 MiB more. With the first goal at 16 MiB such a worker never
// collects; one that renders more collects once at 16 MiB and is paced
// by GOGC from there (docs/speed.md, "One small chart, cold").
const firstScale = 4

// doneOnce makes Done act once.
var doneOnce sync.Once

// Done turns the collector back on with the setting it had, so GOGC is
// honoured, except that unless GOGC is set the first collection waits
// until the heap reaches firstScale times Go's first goal; from the
// first collection on, GOGC paces it (or KeepFloor, if it was called).
// Only the first call does anything.
func Done() {
	doneOnce.Do(func() {
		_, set := os.LookupEnv("GOGC")
		if set || percent <= 0 || collected() {
			debug.SetGCPercent(percent)
			return
		}
		debug.SetGCPercent(percent * firstScale)
		runtime.SetFinalizer(new(sentinel), func(*sentinel) {
			floor.Lock()
			defer floor.Unlock()
			// KeepFloor, if it ran by now, sets the collector itself.
			if !floor.on {
				debug.SetGCPercent(percent)
			}
		})
	})
}

// collected says whether a collection ran already (runtime.GC during
// initialization): then the goal is no longer Go's minimum heap times
// GOGC, and firstScale would multiply a goal set from a live heap.
func collected() bool {
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(s)
	return s[0].Value.Uint64() > 0
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
	floor.Lock()
	defer floor.Unlock()
	if _, set := os.LookupEnv("GOGC"); set || percent <= 0 || floor.on {
		return
	}
	floor.on = true
	tune()
	arm()
}

// floor.on is set by the first KeepFloor that applies. The lock keeps
// Done's finalizer, which gives GOGC back after the first collection,
// from undoing a floor set between its check and its setting.
var floor struct {
	sync.Mutex
	on bool
}

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
