//go:build !race

package sandbox

// raceCap is limit: no race detector, no shadow memory.
func raceCap(limit int64) int64 { return limit }
