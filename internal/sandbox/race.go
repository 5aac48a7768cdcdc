//go:build race

package sandbox

// raceCap gives a worker built with the race detector room for its shadow
// memory: ThreadSanitizer maps about three bytes for each byte of heap,
// and RLIMIT_DATA counts them. The heap stays bounded by about limit.
func raceCap(limit int64) int64 { return 4*limit + 512<<20 }
