package softmem

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// Floor is the limit while the live heap is below Floor/Headroom: with
// the pages of the kiln binary itself (about 50 MiB), it keeps the
// process of a 1000-app, 3-env render under 150 MiB.
const Floor = 80 << 20

// Headroom is how much above the live heap the limit stays, as a factor.
const Headroom = 1.5

var start sync.Once

// Start sets the limit and keeps it following the live heap after every
// collection, for the life of the process. Calls after the first do
// nothing, as does a process started with GOMEMLIMIT.
func Start() {
	start.Do(func() {
		if _, set := os.LookupEnv("GOMEMLIMIT"); set {
			return
		}
		follow()
	})
}

// follow sets the limit from the live heap and arranges to be called
// again after the next collection: a cleanup runs once the collector has
// found its (unreachable) object.
func follow() {
	debug.SetMemoryLimit(limitFor(liveHeap()))
	runtime.AddCleanup(new([64]byte), func(struct{}) { follow() }, struct{}{})
}

// limitFor is the limit for a live heap of live bytes.
func limitFor(live uint64) int64 {
	l := float64(live) * Headroom
	if l < Floor {
		return Floor
	}
	if l >= math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(l)
}

// liveHeap is the heap the last collection marked live, in bytes.
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
